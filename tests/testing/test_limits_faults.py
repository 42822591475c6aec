"""Leaky bucket, operating budget, fault injection and REST 3.0 idempotency."""

from __future__ import annotations

import json

import httpx
import pytest

from b24typed.testing import FakePortal

from .conftest import Env


def test_leaky_bucket(clocked: Env) -> None:
    clocked.portal.limits.rate(burst=5, per_second=1)
    statuses = [clocked.call("server.time").status_code for _ in range(7)]
    assert statuses == [200] * 5 + [503] * 2
    blocked = clocked.call("server.time")
    assert blocked.json()["error"] == "QUERY_LIMIT_EXCEEDED"
    clocked.portal.clock.advance(1)
    assert clocked.call("server.time").status_code == 200
    assert clocked.call("server.time").status_code == 503
    clocked.portal.clock.advance(5)
    assert [clocked.call("server.time").status_code for _ in range(5)] == [200] * 5


def test_limits_are_off_by_default(env: Env) -> None:
    assert all(env.call("server.time").status_code == 200 for _ in range(80))


def test_operating_budget_per_method(clocked: Env) -> None:
    clock = clocked.portal.clock
    clocked.portal.limits.operating(budget_seconds=10, window_seconds=600, cost=4)
    start = clock.now()
    times = []
    for _ in range(3):
        times.append(clocked.ok("crm.deal.list")["time"])
        clock.advance(1)
    assert [t["operating"] for t in times] == [4, 8, 12]
    assert times[0]["operating_reset_at"] == int(start + 600)
    blocked = clocked.call("crm.deal.list")
    assert blocked.status_code == 429
    assert blocked.json()["error"] == "OPERATION_TIME_LIMIT"
    assert clocked.call("crm.lead.list").status_code == 200  # other methods keep working
    batch = clocked.ok("batch", {"cmd": {"d": "crm.deal.list", "l": "crm.lead.list"}})["result"]
    assert batch["result_error"]["d"]["error"] == "OPERATION_TIME_LIMIT"
    assert "l" in batch["result"]
    clock.advance(600)
    assert clocked.call("crm.deal.list").status_code == 200


def test_operating_cost_callable(clocked: Env) -> None:
    clocked.portal.limits.operating(budget_seconds=100, cost=lambda m, p: 7.5 if "list" in m else 0)
    assert clocked.ok("crm.deal.list")["time"]["operating"] == 7.5
    assert clocked.ok("server.time")["time"]["operating"] == 0


@pytest.mark.parametrize(
    ("kind", "status", "error"),
    [("503", 503, "QUERY_LIMIT_EXCEEDED"), ("500", 500, "INTERNAL_SERVER_ERROR"),
     ("429", 429, "OPERATION_TIME_LIMIT")],
)  # fmt: skip
def test_scripted_json_faults(env: Env, kind: str, status: int, error: str) -> None:
    env.portal.faults.next("crm.item.list", kind=kind, times=3)
    results = [env.call("crm.item.list", {"entityTypeId": 2}) for _ in range(4)]
    assert [r.status_code for r in results] == [status] * 3 + [200]
    assert results[0].json()["error"] == error
    assert env.call("server.time").status_code == 200


def test_html_and_truncated_bodies(env: Env) -> None:
    env.portal.faults.next(kind="html502").next(kind="truncated")
    html = env.call("server.time")
    assert html.status_code == 502 and html.text.startswith("<html>")
    cut = env.call("server.time")
    assert cut.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut.text)


def test_connection_faults_raise_httpx_errors(env: Env) -> None:
    env.portal.faults.timeout_seconds = 0.5
    env.portal.faults.next("server.time", kind="reset")
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        env.call("server.time")
    env.portal.faults.next("server.time", kind="timeout")
    with pytest.raises(httpx.ReadTimeout):
        env.call("server.time", timeout=0.2)
    env.portal.faults.next("server.time", kind="connect")
    expected = httpx.ConnectError if env.mode == "inproc" else httpx.RemoteProtocolError
    with pytest.raises((expected, httpx.ReadError)):
        env.call("server.time")
    assert env.call("server.time").status_code == 200


def test_timeout_after_commit_keeps_the_write(env: Env) -> None:
    env.portal.faults.timeout_seconds = 0.5
    env.portal.faults.next("crm.item.add", kind="timeout", after=True)
    with pytest.raises(httpx.ReadTimeout):
        env.call("crm.item.add", {"entityTypeId": 2, "fields": {"title": "once"}}, timeout=0.2)
    assert len(env.portal.crm.table(2)) == 1
    assert env.portal.stats["crm.item.add"] == 1


def test_random_faults_are_seeded() -> None:
    def run() -> list[int]:
        portal = FakePortal()
        portal.faults.random(rate=0.3, kinds=("503", "500", "html502"), seed=7)
        with portal.client() as client:
            return [client.post(portal.webhook_url + "server.time").status_code for _ in range(40)]

    first = run()
    assert first == run()
    assert 5 < sum(s != 200 for s in first) < 25
    portal = FakePortal()
    portal.faults.random(rate=1.0, kinds=("503",), methods=["crm.deal.list"])
    with portal.client() as client:
        assert client.post(portal.webhook_url + "server.time").status_code == 200
        assert client.post(portal.webhook_url + "crm.deal.list").status_code == 503
    portal.faults.clear()
    with portal.client() as client:
        assert client.post(portal.webhook_url + "crm.deal.list").status_code == 200


def test_unknown_fault_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        FakePortal().faults.next(kind="explode")


def test_v3_idempotency_key(env: Env) -> None:
    fields = {"fields": {"title": "Once", "creatorId": 1, "responsibleId": 1}}
    headers = {"Idempotency-Key": "9f1c1a7e-5f1b-4a1e"}
    env.portal.faults.timeout_seconds = 0.5
    env.portal.faults.next("tasks.task.add", kind="timeout", after=True)
    with pytest.raises(httpx.ReadTimeout):
        env.v3("tasks.task.add", fields, headers=headers, timeout=0.2)
    retry = env.v3("tasks.task.add", fields, headers=headers)
    assert retry.status_code == 200
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.headers["idempotency-key"] == headers["Idempotency-Key"]
    assert retry.json()["result"]["item"]["id"] == 1
    assert len(env.portal.tasks.table) == 1
    other = env.v3("tasks.task.add", {"fields": {**fields["fields"], "title": "x"}},
                   headers=headers)  # fmt: skip
    assert other.status_code == 422
    assert other.json()["error"]["code"].endswith("IDEMPOTENCYKEYREUSEDEXCEPTION")
    bad = env.v3("tasks.task.add", fields, headers={"Idempotency-Key": "x" * 300})
    assert bad.status_code == 400
    fresh = env.v3("tasks.task.add", fields, headers={"Idempotency-Key": "another"})
    assert "idempotent-replayed" not in fresh.headers
    assert len(env.portal.tasks.table) == 2
    # REST v2 ignores the header: a repeated add creates a second record
    env.call("tasks.task.add", {"fields": {"TITLE": "v2"}}, headers=headers)
    env.call("tasks.task.add", {"fields": {"TITLE": "v2"}}, headers=headers)
    assert len(env.portal.tasks.table) == 4


def test_idempotency_keys_expire_after_a_day(clocked: Env) -> None:
    fields = {"fields": {"title": "Once", "creatorId": 1, "responsibleId": 1}}
    headers = {"Idempotency-Key": "day-key"}
    clocked.v3("tasks.task.add", fields, headers=headers)
    clocked.portal.clock.advance(3600)
    assert clocked.v3("tasks.task.add", fields, headers=headers).headers["idempotent-replayed"]
    clocked.portal.clock.advance(86400)
    fresh = clocked.v3("tasks.task.add", fields, headers=headers)
    assert "idempotent-replayed" not in fresh.headers
    assert len(clocked.portal.tasks.table) == 2
