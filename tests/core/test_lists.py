"""Whole-list walks against the fake portal: every item once, in the promised number of requests,
while items are added and removed under the walk."""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from b24typed import AsyncB24Hook, B24Hook, LimitConfig, ManualClock, SdkError
from b24typed.core.lists import MAX_CONCURRENCY, ListInfo, list_registry, page_items, resolve_info
from b24typed.testing import FakePortal

SIZES = [0, 1, 49, 50, 51, 2500, 2501, 12345]


class Churn(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """The portal's transport, removing and adding items before every request but the first."""

    def __init__(
        self,
        portal: FakePortal,
        ids: Callable[[], list[int]],
        remove: Callable[[int], Any],
        add: Callable[[int], list[int]],
    ) -> None:
        self.portal = portal
        self.inner = portal.transport()
        self.ids, self.remove, self.add = ids, remove, add
        self.rng = random.Random(7)
        self.removed: set[int] = set()
        self.added: set[int] = set()
        self.requests = 0

    def churn(self) -> None:
        # under the portal's lock: chains in threads send at once, and the portal must not
        # change under a request it is answering (a real portal's database would not)
        with self.portal.lock:
            self.requests += 1
            if self.requests == 1:
                return
            current = self.ids()
            for victim in self.rng.sample(current, min(3, len(current))):
                self.remove(victim)
                self.removed.add(victim)
            self.added.update(self.add(2))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.churn()
        return self.inner.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.churn()
        return await self.inner.handle_async_request(request)


def hook(portal: FakePortal, transport: Any = None) -> B24Hook:
    http = httpx.Client(transport=transport) if transport else portal.client()
    return B24Hook.from_webhook_url(portal.webhook_url, http_client=http, limits=LimitConfig.off())


def async_hook(portal: FakePortal, transport: Any = None) -> AsyncB24Hook:
    http = httpx.AsyncClient(transport=transport) if transport else portal.async_client()
    return AsyncB24Hook.from_webhook_url(
        portal.webhook_url, http_client=http, limits=LimitConfig.off()
    )


def deal_churn(portal: FakePortal) -> Churn:
    table = portal.crm.table(2)
    return Churn(portal, lambda: list(table.ids), table.delete, portal.crm.seed_deals)


def task_churn(portal: FakePortal) -> Churn:
    table = portal.tasks.table
    return Churn(portal, lambda: list(table.ids), table.delete, portal.tasks.seed)


def check_once(ids: list[int], before: set[int], churn: Churn) -> None:
    """Nothing twice; everything that existed throughout; nothing that never existed."""
    assert len(ids) == len(set(ids))
    assert before - churn.removed <= set(ids)
    assert set(ids) <= before | churn.added


def deal_ids(items: list[Any]) -> list[int]:
    return [int(item["ID"]) for item in items]


# --- REST v2 -------------------------------------------------------------------------------


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("mode", ["batch", "sequential", "fast", "offset"])
def test_every_item_once(mode: str, n: int) -> None:
    portal = FakePortal()
    portal.crm.seed_deals(n)
    options: dict[str, Any] = {"mode": mode, "ordered": True}
    if mode == "sequential":
        options = {"mode": "batch", "max_concurrency": 1}
    items = hook(portal).call_list_method("crm.deal.list", {"select": ["TITLE"]}, **options)
    assert deal_ids(items) == list(range(1, n + 1))
    assert all(set(item) == {"ID", "TITLE"} for item in items)
    requests = portal.stats.requests
    if mode == "sequential":
        assert requests <= math.ceil(n / 2500) + 1
    elif mode == "batch":  # every range ends in a batch of its own
        assert requests <= math.ceil(n / 2500) + 1 + MAX_CONCURRENCY
    elif mode == "fast":
        assert requests == n // 50 + 1
    else:
        assert requests == max(1, math.ceil(n / 50))


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("mode", ["batch", "fast"])
def test_keyset_modes_survive_churn(mode: str, n: int) -> None:
    portal = FakePortal()
    portal.crm.seed_deals(n)
    churn = deal_churn(portal)
    items = hook(portal, churn).call_list_method("crm.deal.list", mode=mode)
    check_once(deal_ids(items), set(range(1, n + 1)), churn)
    if n >= 2500:
        assert churn.removed and churn.added


@pytest.mark.parametrize("n", [51, 2501])
def test_offset_mode_under_churn_never_repeats(n: int) -> None:
    # Offset paging cannot promise to see everything when items before the offset go away; it
    # still never hands out an item twice.
    portal = FakePortal()
    portal.crm.seed_deals(n)
    items = hook(portal, deal_churn(portal)).call_list_method("crm.deal.list", mode="offset")
    ids = deal_ids(items)
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("n", [0, 50, 2501])
@pytest.mark.parametrize("mode", ["batch", "fast"])
def test_crm_item_list_items_key(mode: str, n: int) -> None:
    portal = FakePortal()
    portal.crm.seed_deals(n)
    churn = deal_churn(portal)
    items = hook(portal, churn).call_list_method(
        "crm.item.list", {"entityTypeId": 2, "select": ["title"]}, mode=mode
    )
    check_once([item["id"] for item in items], set(range(1, n + 1)), churn)
    assert all(set(item) == {"id", "title"} for item in items)


@pytest.mark.parametrize("n", [0, 1, 51, 2500, 2501])
@pytest.mark.parametrize("mode", ["batch", "fast"])
def test_tasks_filter_on_id_but_answer_id(mode: str, n: int) -> None:
    portal = FakePortal()
    portal.tasks.seed(n)
    churn = task_churn(portal)
    items = hook(portal, churn).call_list_method(
        "tasks.task.list", {"select": ["TITLE"]}, mode=mode
    )
    check_once([int(item["id"]) for item in items], set(range(1, n + 1)), churn)


def test_chained_export_request_count() -> None:
    portal = FakePortal()
    portal.crm.seed_deals(12345)
    client = hook(portal)
    counts = {}
    for mode in ("batch", "fast", "offset"):
        portal.stats.reset()
        items = client.call_list_method("crm.deal.list", mode=mode, max_concurrency=1)
        assert len(items) == 12345
        counts[mode] = portal.stats.requests
    assert counts == {"batch": 6, "fast": 247, "offset": 247}
    assert client.stats["requests"] == 6 + 247 + 247
    portal.stats.reset()
    assert len(client.call_list_method("crm.deal.list", max_concurrency=4)) == 12345
    # the first page with the highest id, then 4 ranges of 62 pages: 50 and 12 per range
    assert portal.stats.requests == 1 + 4 * 2
    assert portal.stats.calls["crm.deal.list"] == 2 + 246


def test_fast_list_method() -> None:
    portal = FakePortal()
    portal.crm.seed_deals(120)
    items = hook(portal).call_fast_list_method("crm.deal.list", {"filter": {"<=ID": 101}})
    assert deal_ids(items) == list(range(1, 102)) and portal.stats.requests == 3


def test_fetch_is_lazy_and_pages_are_small() -> None:
    portal = FakePortal()
    portal.crm.seed_deals(5000)
    pages = hook(portal).fetch_list_method("crm.deal.list", mode="fast")
    first = next(pages)
    assert len(first) == 50 and portal.stats.requests == 1
    sizes = [len(first)] + [len(page) for page in pages]
    assert sum(sizes) == 5000 and max(sizes) == 50


def test_user_filter_and_start_id_are_kept() -> None:
    portal = FakePortal()
    portal.crm.seed_deals(3000)
    items = hook(portal).call_list_method(
        "crm.deal.list", {"filter": {">ID": 100, "<=ID": 2700}, "start": 50}
    )
    assert deal_ids(items) == list(range(101, 2701))


def test_order_is_replaced_and_select_gets_the_id(caplog: pytest.LogCaptureFixture) -> None:
    portal = FakePortal()
    portal.crm.seed_deals(60)
    with caplog.at_level(logging.WARNING, logger="b24typed"):
        items = hook(portal).call_list_method(
            "crm.deal.list", {"order": {"TITLE": "DESC"}, "select": ["TITLE"]}, mode="fast"
        )
    assert deal_ids(items) == list(range(1, 61))
    assert "ignored" in caplog.text


def test_offset_mode_keeps_the_callers_order() -> None:
    portal = FakePortal()
    portal.crm.seed_deals(120)
    items = hook(portal).call_list_method("crm.deal.list", {"order": {"ID": "DESC"}}, mode="offset")
    assert deal_ids(items) == list(range(120, 0, -1))


def test_no_numeric_id_stops_with_an_error() -> None:
    portal = FakePortal()
    portal.crm.seed_deals(60)
    with pytest.raises(SdkError) as failed:
        hook(portal).call_list_method("crm.deal.list", id_key="NOPE", cursor_key="ID")
    assert failed.value.code == "SDK_LIST_NO_ID"


def test_a_wrong_items_key_gives_nothing_not_a_crash() -> None:
    portal = FakePortal()
    portal.crm.seed_deals(10)
    assert hook(portal).call_list_method("crm.item.list", {"entityTypeId": 2}, items_key="x") == []


def test_unknown_method_learns_the_id_name() -> None:
    portal = FakePortal()
    portal.crm.seed_contacts(130)
    info, known = resolve_info("crm.contact.userfield.nowhere", 2)
    assert not known and info == ListInfo()
    items = hook(portal).call_list_method("crm.item.list", {"entityTypeId": 3}, items_key="items")
    assert [item["id"] for item in items] == list(range(1, 131))


def test_progress_callback_and_bar(capsys: pytest.CaptureFixture[str]) -> None:
    portal = FakePortal()
    portal.crm.seed_deals(2600)
    seen: list[tuple[int, int | None]] = []
    hook(portal).call_list_method("crm.deal.list", progress=lambda d, t: seen.append((d, t)))
    assert seen[0] == (50, None) and seen[-1] == (2600, None)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    offset: list[tuple[int, int | None]] = []
    hook(portal).call_list_method(
        "crm.deal.list", mode="offset", progress=lambda d, t: offset.append((d, t))
    )
    assert offset[-1] == (2600, 2600)
    hook(portal).call_list_method("crm.deal.list", progress=True)
    assert "2600" in capsys.readouterr().err


def test_registry_and_page_shapes() -> None:
    list_registry.register({"x.thing.list": ListInfo.of("things", "id", "ID")})
    assert resolve_info("x.thing.list", 2) == (ListInfo("things", "id", "ID"), True)
    assert resolve_info("tasks.task.list", 2)[0] == ListInfo("tasks", "id", "ID")
    assert resolve_info("tasks.task.list", 2, id_key="ID")[0].cursor_key == "ID"
    assert resolve_info("anything", 3)[0] == ListInfo("items", "id", "id")
    assert page_items([1, 2], None) == [1, 2]
    assert page_items({"tasks": [1]}, None) == [1]
    assert page_items({"5": {"ID": 5}, "7": {"ID": 7}}, None) == [{"ID": 5}, {"ID": 7}]
    assert page_items(None, "items") == [] and page_items({"items": 3}, "items") == []


@pytest.mark.anyio
async def test_async_walks() -> None:
    portal = FakePortal()
    portal.crm.seed_deals(2501)
    churn = deal_churn(portal)
    client = async_hook(portal, churn)
    items = await client.call_list_method("crm.deal.list")
    check_once(deal_ids(items), set(range(1, 2502)), churn)
    pages = [page async for page in client.fetch_list_method("crm.deal.list", mode="fast")]
    assert all(len(page) <= 50 for page in pages)
    fast = await client.call_fast_list_method("crm.deal.list")
    assert len(fast) == len(set(deal_ids(fast)))


@pytest.mark.anyio
async def test_async_early_break_stops_sending() -> None:
    portal = FakePortal()
    portal.crm.seed_deals(500)
    client = async_hook(portal)
    walk = client.fetch_list_method("crm.deal.list", mode="fast")
    async for _page in walk:
        break
    await walk.aclose()
    assert portal.stats.requests == 1


def test_actions_v2() -> None:
    portal = FakePortal()
    portal.crm.seed_deals(120)
    client = hook(portal)
    items = client.actions.v2.call_list.make(method="crm.deal.list", mode="fast")
    assert len(items) == 120
    pages = list(client.actions.v2.fetch_list.make(method="crm.deal.list"))
    assert sum(map(len, pages)) == 120


# --- REST 3.0 ------------------------------------------------------------------------------


@pytest.mark.parametrize("n", SIZES[:-1])
def test_v3_list_with_a_capped_page(n: int) -> None:
    portal = FakePortal()
    portal.tasks.seed(n)
    churn = task_churn(portal)
    client = hook(portal, churn)
    items = client.actions.v3.call_list.make(method="tasks.task.list", limit=1000)
    check_once([item["id"] for item in items], set(range(1, n + 1)), churn)
    # the registry knows the cap of 50, so a page shorter than 50 ends the walk
    assert churn.requests <= n // 50 + 2


@pytest.mark.parametrize("n", [0, 1, 49, 50, 51, 2500])
def test_v3_list_with_an_unknown_cap(monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    monkeypatch.delitem(list_registry._tables[3], "tasks.task.list")
    portal = FakePortal()
    portal.tasks.seed(n)
    items = hook(portal).actions.v3.call_list.make(method="tasks.task.list", limit=1000)
    assert [item["id"] for item in items] == list(range(1, n + 1))
    # a page shorter than the longest seen ends the walk: a lone short page costs one more
    expected = 1 if n == 0 else n // 50 + 1 + (0 < n < 50)
    assert portal.stats.requests == expected


def test_v3_fetch_list_keeps_the_filter() -> None:
    portal = FakePortal()
    portal.tasks.seed(300)
    client = hook(portal)
    pages = list(
        client.actions.v3.fetch_list.make(
            method="tasks.task.list",
            params={"filter": [["id", "<=", 120]], "order": {"title": "DESC"}, "select": ["id"]},
            limit=50,
        )
    )
    assert [len(page) for page in pages] == [50, 50, 20]
    assert [item["id"] for page in pages for item in page] == list(range(1, 121))


@pytest.mark.parametrize("n", [0, 1, 50, 51, 2501])
def test_v3_tail(n: int) -> None:
    portal = FakePortal()
    portal.tasks.seed(n)
    client = hook(portal)
    items = client.actions.v3.call_tail.make(method="tasks.task.tail", params={"select": ["title"]})
    assert [item["id"] for item in items] == list(range(1, n + 1))
    down = client.actions.v3.call_tail.make(
        method="tasks.task.tail", order="DESC", initial_value=n + 1, limit=100
    )
    assert [item["id"] for item in down] == list(range(n, 0, -1))
    with pytest.raises(SdkError):
        client.actions.v3.call_tail.make(method="tasks.task.tail", order="DESC")


@pytest.mark.anyio
async def test_v3_async_actions() -> None:
    portal = FakePortal()
    portal.tasks.seed(130)
    client = async_hook(portal)
    items = await client.actions.v3.call_list.make(method="tasks.task.list")
    assert len(items) == 130
    pages = [p async for p in client.actions.v3.fetch_tail.make(method="tasks.task.tail")]
    assert [len(p) for p in pages] == [50, 50, 30]


@pytest.mark.parametrize("mode", ["batch", "fast"])
def test_walk_waits_out_the_operating_limit(mode: str) -> None:
    clock = ManualClock()
    portal = FakePortal(clock=clock)
    portal.crm.seed_deals(2501)
    portal.limits.operating(budget_seconds=20, window_seconds=600, cost=1.0)
    client = B24Hook.from_webhook_url(portal.webhook_url, http_client=portal.client(), clock=clock)
    started = clock.now()
    items = client.call_list_method("crm.deal.list", mode=mode)
    assert sorted(deal_ids(items)) == list(range(1, 2502))
    assert clock.now() - started >= 600  # it waited for the window to reset, then went on
