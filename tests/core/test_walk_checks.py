"""List walks verify what they rely on: a portal that ignores the id order or the cursor, drops
chained results, caps its pages or never moves its cursor stops a walk with an SdkError or is
asked again; it never loses or repeats items silently."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from b24typed import (
    B24Hook,
    LimitConfig,
    ManualClock,
    RetryPolicy,
    SdkError,
    UnknownOutcomeError,
)
from b24typed.core.lists import ListInfo, list_registry
from b24typed.testing import FakePortal

from .harness import WEBHOOK

_REF = re.compile(r"^\$result\[(\w+)\]\[(\d+)\]\[(\w+)\]$")


class ListServer:
    """A REST v2 ``crm.deal.list`` over ``ids`` that misbehaves as told; it answers plain pages
    and chained batches, resolving ``$result`` references as the portal does."""

    def __init__(
        self,
        ids: list[int],
        *,
        cap: int = 50,
        order: Callable[[list[int]], list[int]] = sorted,
        keep_results: int = 50,
        at_or_after: bool = False,
        max_requests: int = 1000,
    ) -> None:
        self.ids, self.cap, self.order = ids, cap, order
        self.keep_results, self.at_or_after = keep_results, at_or_after
        self.max_requests = max_requests
        self.requests = 0

    def page(self, cursor: int) -> list[dict[str, Any]]:
        chosen = [i for i in self.ids if i > cursor or (self.at_or_after and i == cursor)]
        return [{"ID": str(i)} for i in self.order(chosen)[: self.cap]]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        assert self.requests <= self.max_requests, "the walk does not stop"
        body = json.loads(request.content)
        if request.url.path.endswith("/crm.deal.list"):
            return httpx.Response(200, json={"result": self.page(int(body["filter"][">ID"]))})
        results: dict[str, Any] = {}
        for key, command in body["cmd"].items():
            query = dict(parse_qsl(urlsplit(command).query))
            after = query["filter[>ID]"]
            ref = _REF.match(after)
            if ref:
                earlier = results.get(ref[1], [])
                if int(ref[2]) >= len(earlier):
                    break
                after = earlier[int(ref[2])][ref[3]]
            results[key] = self.page(int(after))
        for key in list(results)[self.keep_results :]:
            del results[key]
        return httpx.Response(200, json={"result": {"result": results, "result_error": []}})


def walk(server: ListServer, mode: str = "batch", **options: Any) -> list[int]:
    client = B24Hook.from_webhook_url(
        WEBHOOK,
        http_client=httpx.Client(transport=httpx.MockTransport(server)),
        limits=LimitConfig.off(),
        retry=RetryPolicy(max_attempts=3, backoff_base=0.01),
        clock=ManualClock(),
    )
    items = client.call_list_method("crm.deal.list", mode=mode, **options)
    return [int(item["ID"]) for item in items]


@pytest.mark.parametrize("mode", ["batch", "fast"])
def test_a_method_that_ignores_the_order_stops_the_walk(mode: str) -> None:
    ids = list(range(1, 1001))
    shuffled = ListServer(ids, order=lambda found: random.Random(3).sample(found, len(found)))
    with pytest.raises(SdkError) as info:
        walk(shuffled, mode)
    assert info.value.code == "SDK_LIST_CURSOR_IGNORED"


@pytest.mark.parametrize("mode", ["batch", "fast"])
def test_ids_shuffled_within_a_page_stop_the_walk(mode: str) -> None:
    def shuffle_each_page(found: list[int]) -> list[int]:
        first = sorted(found)[:50]
        return random.Random(5).sample(first, len(first)) + sorted(found)[50:]

    with pytest.raises(SdkError, match="not ascending"):
        walk(ListServer(list(range(1, 301)), order=shuffle_each_page), mode)


@pytest.mark.parametrize("mode", ["batch", "fast"])
def test_a_page_that_starts_at_the_cursor_is_a_cursor_the_portal_ignored(mode: str) -> None:
    # The portal applies ">=ID" instead of ">ID": page 2 starts with the last id of page 1.
    with pytest.raises(SdkError) as info:
        walk(ListServer(list(range(1, 201)), at_or_after=True), mode)
    assert info.value.code == "SDK_LIST_CURSOR_IGNORED"


def test_chained_commands_without_an_answer_are_asked_again() -> None:
    server = ListServer(list(range(1, 10_001)), keep_results=10)
    assert walk(server) == list(range(1, 10_001))
    assert server.requests > 5  # each chain brought 10 pages, not 50


def test_a_chain_that_never_answers_its_commands_raises() -> None:
    server = ListServer(list(range(1, 10_001)), keep_results=0)
    with pytest.raises(Exception) as info:
        walk(server)
    assert getattr(info.value, "code", None) == "BATCH_COMMAND_NO_ANSWER"


@pytest.mark.parametrize("mode", ["batch", "fast"])
def test_pages_capped_below_50_are_not_the_end(monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    monkeypatch.setitem(list_registry._tables[2], "crm.deal.list", ListInfo(page_cap=40))
    server = ListServer(list(range(1, 1001)), cap=40)
    assert walk(server, mode) == list(range(1, 1001))


def bounded(handler: Callable[[httpx.Request], httpx.Response]) -> B24Hook:
    """A client of ``handler`` that fails the test on a 51st request (a walk that never ends)."""
    count = 0

    def guarded(request: httpx.Request) -> httpx.Response:
        nonlocal count
        count += 1
        assert count <= 50, "the walk does not stop"
        return handler(request)

    return B24Hook.from_webhook_url(
        WEBHOOK,
        http_client=httpx.Client(transport=httpx.MockTransport(guarded)),
        limits=LimitConfig.off(),
    )


@pytest.mark.parametrize(("step", "why"), [(50, "no new item"), (0, "does not move past")])
def test_an_offset_walk_whose_portal_ignores_start_stops(step: int, why: str) -> None:
    def same_page(request: httpx.Request) -> httpx.Response:
        start = int(json.loads(request.content)["start"])
        items = (
            [{"ID": str(i)} for i in range(start, start + 50)]
            if step == 0
            else [{"ID": str(i)} for i in range(1, 51)]
        )
        return httpx.Response(200, json={"result": items, "next": start + step, "total": 10**4})

    with pytest.raises(SdkError, match=why) as info:
        bounded(same_page).call_list_method("crm.deal.list", mode="offset")
    assert info.value.code == "SDK_LIST_CURSOR_STUCK"


def test_a_tail_walk_over_a_method_that_ignores_the_cursor_stops() -> None:
    portal = FakePortal()
    portal.tasks.seed(2)
    client = bounded(lambda request: portal.transport().handle_request(request))
    client = B24Hook.from_webhook_url(
        portal.webhook_url, http_client=client._http, limits=LimitConfig.off()
    )
    with pytest.raises(SdkError) as info:
        client.actions.v3.call_tail.make(method="tasks.task.list")
    assert info.value.code == "SDK_LIST_CURSOR_STUCK"
    assert client.actions.v3.call_tail.make(method="tasks.task.tail") == [{"id": 1}, {"id": 2}]


@pytest.mark.parametrize("mode", ["batch", "fast", "offset"])
def test_a_null_in_the_filter_gives_the_same_items_in_every_mode(mode: str) -> None:
    portal = FakePortal()
    portal.crm.seed_deals(1800)
    client = B24Hook.from_webhook_url(
        portal.webhook_url, http_client=portal.client(), limits=LimitConfig.off()
    )
    updates = [("crm.deal.update", {"id": i, "fields": {"COMMENTS": "c"}}) for i in range(1, 1801)]
    client.call_batch_by_chunk([u for u in updates if u[1]["id"] % 15])
    found = client.call_list_method("crm.deal.list", {"filter": {"COMMENTS": None}}, mode=mode)
    assert [int(item["ID"]) for item in found] == list(range(15, 1801, 15))


def chunk_server(fail_on: int) -> tuple[B24Hook, list[httpx.Request]]:
    """A portal whose ``fail_on``-th batch request times out; the others create deals."""
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if len(sent) == fail_on:
            raise httpx.ReadTimeout("no answer")
        cmd = json.loads(request.content)["cmd"]
        first = 100 * len(sent)
        results = [first + n for n in range(len(cmd))]
        return httpx.Response(200, json={"result": {"result": results, "result_error": []}})

    client = B24Hook.from_webhook_url(
        WEBHOOK,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
        limits=LimitConfig.off(),
        clock=ManualClock(),
    )
    return client, sent


def test_a_failing_chunk_carries_the_chunks_that_completed() -> None:
    client, sent = chunk_server(fail_on=3)
    calls = [("crm.deal.add", {"fields": {"TITLE": f"d{i}"}}) for i in range(150)]
    with pytest.raises(UnknownOutcomeError) as info:
        client.call_batch_by_chunk(calls)
    completed = info.value.completed
    assert len(sent) == 3 and completed is not None
    assert sorted(completed.results, key=int) == [str(i) for i in range(100)]
    assert completed.results["0"] == 100 and completed.results["99"] == 249


def test_bad_params_in_a_late_chunk_fail_before_anything_is_sent() -> None:
    client, sent = chunk_server(fail_on=0)
    calls: list[Any] = [("crm.deal.add", {"fields": {"TITLE": "x"}})] * 120
    calls.append(("crm.deal.add", {"fields": {"OPPORTUNITY": object()}}))
    with pytest.raises(SdkError):
        client.call_batch_by_chunk(calls)
    assert sent == []


@pytest.mark.parametrize("chains", [1, 16])
def test_every_page_of_a_chained_export_sends_the_same_filter(chains: int) -> None:
    from b24typed.core.phpparse import parse_str, php_to_json

    portal = FakePortal()
    portal.crm.seed_deals(3000)
    sent: list[httpx.Request] = []
    inner = portal.transport()

    def record(request: httpx.Request) -> httpx.Response:
        request.read()
        sent.append(request)
        return inner.handle_request(request)

    client = B24Hook.from_webhook_url(
        portal.webhook_url,
        http_client=httpx.Client(transport=httpx.MockTransport(record)),
        limits=LimitConfig.off(),
    )
    flt = {">=OPPORTUNITY": 0.5, "!=CLOSED": True, "@STAGE_ID": ["NEW", "WON", "LOSE"]}
    client.call_list_method("crm.deal.list", {"filter": flt}, max_concurrency=chains)
    pages = []
    for request in sent:
        body = json.loads(request.content)
        if "cmd" not in body:  # a page sent alone, as JSON
            pages.append(body["filter"])
            continue
        for command in body["cmd"].values():
            pages.append(php_to_json(parse_str(urlsplit(command).query))["filter"])
    assert len(pages) > len(sent)  # chained pages were sent
    for page in pages:
        page.pop(">ID")
        page.pop("<=ID", None)  # the upper bound of a parallel walk's id range
    assert all(page == pages[0] for page in pages)
