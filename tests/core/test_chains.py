"""Parallel keyset export: exactly once under faults and churn, limits kept, memory flat."""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
from typing import Any

import httpx
import pytest

from b24typed import AsyncB24Hook, B24Hook, LimitConfig, ManualClock
from b24typed.testing import FakePortal

from .test_lists import check_once, deal_churn

FAULTS = ("503", "500", "reset", "timeout", "html502", "truncated")


class Counting(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """The portal's transport, counting how many requests overlap. Each request waits (up to
    half a second) until ``expect`` requests are in, so threads that start late under a busy
    machine still meet; ``expect=1`` lets every request through at once."""

    def __init__(self, portal: FakePortal, expect: int = 1) -> None:
        self.inner = portal.transport()
        self.expect = expect
        self.met = threading.Condition()
        self.active = self.peak = 0

    def _enter(self) -> None:
        with self.met:
            self.active += 1
            self.peak = max(self.peak, self.active)
            self.met.notify_all()

    def _leave(self) -> None:
        with self.met:
            self.active -= 1

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._enter()
        try:
            with self.met:
                self.met.wait_for(lambda: self.active >= self.expect, timeout=0.5)
            return self.inner.handle_request(request)
        finally:
            self._leave()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._enter()
        try:
            for _ in range(50):
                if self.active >= self.expect:
                    break
                await asyncio.sleep(0.01)
            return await self.inner.handle_async_request(request)
        finally:
            self._leave()


def _ids(items: list[Any]) -> list[int]:
    return [int(item["ID"]) for item in items]


@pytest.mark.parametrize("chains", [1, 4, 16])
@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_exactly_once_under_faults_and_churn(flavour: str, chains: int) -> None:
    n = 6000
    portal = FakePortal(clock=ManualClock())
    portal.crm.seed_deals(n)
    portal.faults.random(rate=0.15, kinds=FAULTS, seed=chains)
    churn = deal_churn(portal)
    seen: list[tuple[int, int | None]] = []
    options: dict[str, Any] = {
        "max_concurrency": chains,
        "progress": lambda done, total: seen.append((done, total)),
    }
    if flavour == "sync":
        client = B24Hook.from_webhook_url(
            portal.webhook_url,
            http_client=httpx.Client(transport=churn),
            limits=LimitConfig.off(),
            clock=portal.clock,  # type: ignore[arg-type]
        )
        items = client.call_list_method("crm.deal.list", {"select": ["ID"]}, **options)
    else:

        async def walk() -> list[Any]:
            client = AsyncB24Hook.from_webhook_url(
                portal.webhook_url,
                http_client=httpx.AsyncClient(transport=churn),
                limits=LimitConfig.off(),
                clock=portal.clock,  # type: ignore[arg-type]
            )
            return await client.call_list_method("crm.deal.list", {"select": ["ID"]}, **options)

        items = asyncio.run(walk())
    portal.faults.clear()
    assert portal.faults.injected, "no fault was injected: the test proves nothing"
    assert churn.removed and churn.added
    check_once(_ids(items), set(range(1, n + 1)), churn)
    assert seen[-1][0] == len(items)  # progress counts across every chain
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_chains_run_at_once_and_in_order_when_asked(flavour: str) -> None:
    portal = FakePortal()
    portal.crm.seed_deals(12_345)
    counting = Counting(portal, expect=4)
    options: dict[str, Any] = {"max_concurrency": 4, "ordered": True}
    if flavour == "sync":
        client = B24Hook.from_webhook_url(
            portal.webhook_url, http_client=httpx.Client(transport=counting)
        )
        pages = list(client.fetch_list_method("crm.deal.list", **options))
    else:

        async def walk() -> list[Any]:
            client = AsyncB24Hook.from_webhook_url(
                portal.webhook_url, http_client=httpx.AsyncClient(transport=counting)
            )
            return [p async for p in client.fetch_list_method("crm.deal.list", **options)]

        pages = asyncio.run(walk())
    assert [i for page in pages for i in _ids(page)] == list(range(1, 12_346))
    assert counting.peak == 4


def test_ranges_are_cut_again_when_the_ids_turn_dense() -> None:
    portal = FakePortal()
    portal.crm.seed_deals(30_000)
    table = portal.crm.table(2)
    for gone in range(1, 5_001):  # the first page sees one id in a hundred, then all of them
        if gone % 100:
            table.delete(gone)
    counting = Counting(portal, expect=8)
    client = B24Hook.from_webhook_url(
        portal.webhook_url, http_client=httpx.Client(transport=counting), limits=LimitConfig.off()
    )
    items = client.call_list_method("crm.deal.list", {"select": ["ID"]}, max_concurrency=8)
    assert sorted(_ids(items)) == [*range(100, 5_001, 100), *range(5_001, 30_001)]
    # at the first page's density the rest looked like 5 pages (one range); once the ids
    # turned dense, the range was cut into eight that ran at once
    assert counting.peak == 8
    assert portal.stats.calls["crm.deal.list"] <= 2 + 500 + 8 * 2


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_no_limit_error_against_a_portal_that_enforces_the_bucket(flavour: str) -> None:
    clock = ManualClock()
    portal = FakePortal(clock=clock)
    portal.crm.seed_deals(12_345)
    portal.limits.rate(burst=3, per_second=1)
    limits = LimitConfig(burst=3, per_second=1)
    if flavour == "sync":
        client = B24Hook.from_webhook_url(
            portal.webhook_url, http_client=portal.client(), limits=limits, clock=clock
        )
        items = client.call_list_method("crm.deal.list", max_concurrency=16)
    else:

        async def walk() -> list[Any]:
            client = AsyncB24Hook.from_webhook_url(
                portal.webhook_url, http_client=portal.async_client(), limits=limits, clock=clock
            )
            return await client.call_list_method("crm.deal.list", max_concurrency=16)

        items = asyncio.run(walk())
    assert sorted(_ids(items)) == list(range(1, 12_346))
    assert portal.stats.by_status.get(503, 0) == 0
    assert portal.stats.requests > 3  # the walk went past the burst


def _huge_list(portal: FakePortal, size: int, *, upper: bool = True) -> None:
    """``test.huge.list``: ``size`` items made on the fly, with ``>ID``, ``<=ID`` (unless not
    ``upper``) and id order."""

    def handler(ctx: Any, params: dict[str, Any]) -> Any:
        flt = params.get("filter") or {}
        low = max(1, int(flt.get(">ID", 0)) + 1)
        high = min(size, int(flt.get("<=ID", size))) if upper else size
        descending = str((params.get("order") or {}).get("ID", "ASC")).upper() == "DESC"
        ids = range(high, max(low, high - 50) - 1, -1) if descending else range(low, high + 1)
        return [{"ID": str(i)} for i in ids[:50]]

    portal.register_v2("test.huge.list", handler)


def test_a_portal_that_ignores_the_upper_bound_still_gives_each_item_once() -> None:
    portal = FakePortal()
    _huge_list(portal, 20_000, upper=False)
    client = B24Hook.from_webhook_url(
        portal.webhook_url, http_client=portal.client(), limits=LimitConfig.off()
    )
    items = client.call_list_method("test.huge.list", max_concurrency=8)
    assert sorted(_ids(items)) == list(range(1, 20_001))


def test_memory_stays_flat_streaming_a_million_items() -> None:
    size = 1_000_000
    portal = FakePortal()
    _huge_list(portal, size)
    counting = Counting(portal, expect=2)
    client = B24Hook.from_webhook_url(
        portal.webhook_url, http_client=httpx.Client(transport=counting), limits=LimitConfig.off()
    )
    count = 0
    blocks = []  # memory blocks in use after every 100,000 items
    for page in client.fetch_list_method("test.huge.list", max_concurrency=16):
        count += len(page)
        if count % 100_000 < len(page):
            gc.collect()
            blocks.append(sys.getallocatedblocks())
    assert count == size
    assert counting.peak > 1
    # pages are kept only until the caller takes them: at most two rounds of 16 ranges of 50
    # pages are held (80,000 items, about 3 blocks each), wherever the walk is; keeping what
    # was read would add at least 2 blocks an item, 1.8 million from the first sample to the
    # last
    assert max(blocks) - min(blocks) < 250_000, blocks
