"""call_batch / call_batch_by_chunk and the REST 3.0 batch, against the fake portal."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest

from b24typed import AjaxError, AjaxResult, AsyncB24Hook, AuthError, B24Hook, LimitConfig, SdkError
from b24typed.core.batch import BatchResult
from b24typed.testing import FakePortal

MODES = ["sync", "async"]


class Env:
    """A fake portal and a sync or async client on it; ``run`` awaits async calls."""

    def __init__(self, mode: str) -> None:
        self.portal = FakePortal()
        if mode == "sync":
            self.client: Any = B24Hook.from_webhook_url(
                self.portal.webhook_url, http_client=self.portal.client(), limits=LimitConfig.off()
            )
        else:
            self.client = AsyncB24Hook.from_webhook_url(
                self.portal.webhook_url,
                http_client=self.portal.async_client(),
                limits=LimitConfig.off(),
            )

    def run(self, name: str, *args: Any, **kwargs: Any) -> Any:
        outcome = getattr(self.client, name)(*args, **kwargs)
        if inspect.isawaitable(outcome):
            return asyncio.run(_wait(outcome))
        return outcome

    def v3(self, action: str, **kwargs: Any) -> Any:
        outcome = getattr(self.client.actions.v3, action).make(**kwargs)
        if inspect.isawaitable(outcome):
            return asyncio.run(_wait(outcome))
        return outcome


async def _wait(outcome: Any) -> Any:
    return await outcome


@pytest.fixture(params=MODES)
def env(request: pytest.FixtureRequest) -> Env:
    return Env(request.param)


def test_positional_batch(env: Env) -> None:
    env.portal.crm.seed_deals(60)
    answer: BatchResult[Any] = env.run(
        "call_batch",
        [
            ("crm.deal.get", {"id": 3}),
            ("crm.deal.list", {"filter": {">ID": 5}, "select": ["ID"]}),
            {"method": "server.time"},
            ("crm.deal.fields",),
        ],
    )
    assert answer.is_success and list(answer) == ["0", "1", "2", "3"]
    assert answer["0"]["ID"] == "3"
    assert answer[1][0] == {"ID": "6"} and len(answer.results["1"]) == 50
    assert answer.totals == {"1": 55} and answer.nexts == {"1": 50}
    assert set(answer.times) == {"0", "1", "2", "3"}
    assert answer.ajax_results["1"].total == 55
    assert answer.requests == 1 and env.portal.stats.requests == 1


def test_named_batch_with_references(env: Env) -> None:
    env.portal.crm.seed_deals(10)
    answer = env.run(
        "call_batch",
        {
            "page": ("crm.deal.list", {"order": {"ID": "DESC"}, "select": ["ID", "TITLE"]}),
            "top": ("crm.deal.get", {"id": "$result[page][0][ID]"}),
            "title": ("crm.deal.list", {"filter": {"TITLE": "$result[top][TITLE]"}}),
        },
    )
    assert list(answer) == ["page", "top", "title"]
    assert answer["top"]["ID"] == "10"
    assert [d["ID"] for d in answer["title"]] == ["10"]
    positional = env.run(
        "call_batch", [("crm.deal.get", {"id": 4}), ("crm.deal.get", {"id": "$result[0][ID]"})]
    )
    assert positional[1]["ID"] == "4"


def test_halt_on_error_skips_the_rest(env: Env) -> None:
    env.portal.crm.seed_deals(3)
    calls = [("crm.deal.get", {"id": 1}), ("crm.nothing.here", {}), ("crm.deal.get", {"id": 2})]
    halted = env.run("call_batch", calls)
    assert list(halted.results) == ["0"]
    assert list(halted.errors) == ["1"] and halted.errors["1"].code == "ERROR_METHOD_NOT_FOUND"
    assert halted.skipped == ("2",) and not halted.is_success
    with pytest.raises(AjaxError):
        halted[1]
    with pytest.raises(KeyError):
        halted[2]

    going_on = env.run("call_batch", calls, is_halt_on_error=False)
    assert list(going_on.results) == ["0", "2"] and list(going_on.errors) == ["1"]
    assert going_on.skipped == ()
    with pytest.raises(AjaxError):
        going_on.raise_for_error()


def test_errors_keyed_by_position_zero_and_by_name(env: Env) -> None:
    positional = env.run("call_batch", [("crm.deal.get", {"id": 99})], is_halt_on_error=False)
    assert list(positional.errors) == ["0"]
    assert positional.get_error_messages() == ["0: Not found"]
    named = env.run("call_batch", {"x": ("crm.deal.get", {"id": 99})})
    assert list(named.errors) == ["x"]


def test_null_result_stays_none(env: Env) -> None:
    env.portal.crm.seed_deals(1)
    answer = env.run("call_batch", {"del": ("crm.item.delete", {"entityTypeId": 2, "id": 1})})
    assert "del" in answer.results and answer["del"] is None


def test_return_ajax_result(env: Env) -> None:
    env.portal.crm.seed_deals(2)
    answer = env.run(
        "call_batch",
        [("crm.deal.get", {"id": 1}), ("crm.deal.get", {"id": 7})],
        is_halt_on_error=False,
        return_ajax_result=True,
    )
    first, second = answer.results["0"], answer.results["1"]
    assert isinstance(first, AjaxResult) and first.is_success and first.result["ID"] == "1"
    assert first.time is not None and first.method == "crm.deal.get"
    assert isinstance(second, AjaxResult) and not second.is_success
    assert second.error is not None and second.error.description == "Not found"


def test_too_many_or_no_commands_fail_before_sending(env: Env) -> None:
    with pytest.raises(SdkError) as too_many:
        env.run("call_batch", [("server.time", {})] * 51)
    assert too_many.value.code == "SDK_BATCH_TOO_LARGE"
    with pytest.raises(SdkError):
        env.run("call_batch", [])
    with pytest.raises(SdkError):
        env.run("call_batch", [42])
    with pytest.raises(SdkError):
        env.run("call_batch", {"a[0]": ("server.time", {})})
    assert env.portal.stats.requests == 0


def test_a_failed_envelope_raises() -> None:
    portal = FakePortal()
    url = portal.webhook_url.rstrip("/").rsplit("/", 1)[0] + "/wrongSecret/"
    client = B24Hook.from_webhook_url(url, http_client=portal.client(), limits=LimitConfig.off())
    with pytest.raises(AuthError):
        client.call_batch([("server.time", {})])


def test_ready_command_strings_are_sent_as_they_are(env: Env) -> None:
    env.portal.crm.seed_deals(4)
    answer = env.run("call_batch", {"d": "crm.deal.get?id=4", "t": "server.time"})
    assert answer["d"]["ID"] == "4" and answer["t"]


def test_by_chunk_keeps_input_keys_and_errors_apart(env: Env) -> None:
    env.portal.crm.seed_deals(130)
    calls: list[Any] = [("crm.deal.get", {"id": i + 1}) for i in range(130)]
    calls[3] = ("crm.deal.get", {"id": 10_000})
    calls[77] = ("crm.deal.get", {"id": 20_000})
    answer = env.run("call_batch_by_chunk", calls, is_halt_on_error=False)
    assert list(answer) == [str(i) for i in range(130)]
    assert set(answer.errors) == {"3", "77"}
    assert len(answer.results) == 128 and answer["129"]["ID"] == "130"
    assert answer.requests == 3 and env.portal.stats.requests == 3

    halted = env.run("call_batch_by_chunk", calls)
    assert set(halted.errors) == {"3"} and halted.requests == 1
    assert halted.skipped == tuple(str(i) for i in range(4, 130))


def test_by_chunk_named(env: Env) -> None:
    env.portal.crm.seed_deals(60)
    calls = {f"deal{i}": ("crm.deal.get", {"id": i}) for i in range(1, 61)}
    answer = env.run("call_batch_by_chunk", calls)
    assert list(answer.results) == list(calls) and answer["deal60"]["ID"] == "60"
    assert answer.requests == 2


def test_command_times_reach_the_limiter(env: Env) -> None:
    env.portal.crm.seed_deals(2)
    env.run("call_batch", [("crm.deal.get", {"id": 1}), ("crm.deal.list", {})])
    used = env.client._state.limits.operating.snapshot()
    assert {"crm.deal.get", "crm.deal.list"} <= set(used)


def test_v3_batch(env: Env) -> None:
    env.portal.tasks.seed(5)
    answer = env.v3(
        "batch",
        calls={
            "few": ("tasks.task.list", {"filter": [["id", "<=", 2]], "select": ["id"]}),
            "one": ("tasks.task.get", {"id": {"$ref": "few.0.id"}, "select": ["title"]}),
        },
    )
    assert answer["few"] == {"items": [{"id": 1}, {"id": 2}]}
    assert answer["one"] == {"item": {"title": "Task #1"}}
    assert set(answer.times) == {"few", "one"}
    with pytest.raises(AjaxError) as failed:
        env.v3("batch", calls=[("tasks.task.get", {"id": 1}), ("tasks.task.get", {"id": 99})])
    assert failed.value.code.endswith("ENTITYNOTFOUNDEXCEPTION")
    many = env.v3(
        "batch_by_chunk", calls=[("tasks.task.get", {"id": 1 + i % 5}) for i in range(70)]
    )
    assert len(many.results) == 70 and many.requests == 2
