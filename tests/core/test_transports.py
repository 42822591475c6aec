"""The aiohttp transport extra: the async client works the same over it."""

from __future__ import annotations

import asyncio

import pytest

from b24typed import AsyncB24Hook, LimitConfig
from b24typed.testing import FakePortal
from b24typed.transports import aiohttp_client


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_async_client_over_aiohttp() -> None:
    portal = FakePortal()
    portal.crm.seed_deals(120)

    async def run(url: str) -> tuple[list[str], int]:
        async with aiohttp_client() as http:
            b24 = AsyncB24Hook.from_webhook_url(url, http_client=http, limits=LimitConfig.off())
            deals = await asyncio.gather(*(b24.crm.deal.get(id=i) for i in range(1, 51)))
            items = await b24.call_list_method("crm.deal.list", max_concurrency=4)
        return [deal.title or "" for deal in deals], len(items)

    with portal.serve() as base:
        titles, count = asyncio.run(run(portal.serve_webhook_url(base)))
    assert titles == [f"Deal #{i}" for i in range(1, 51)]
    assert count == 120
