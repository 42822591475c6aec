"""pytest plugin, opt-in (``-p b24typed.testing.pytest_plugin``, ``addopts``, or
``pytest_plugins = ["b24typed.testing.pytest_plugin"]``): a fresh fake portal per test.

Fixtures: ``b24_portal`` (a :class:`~b24typed.testing.FakePortal`), ``b24_client`` and
``async_b24_client`` (b24typed clients on its webhook), ``b24_http`` (an
``httpx.Client`` wired to it) and ``b24_async_http`` (an ``httpx.AsyncClient``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import httpx

    from .portal import FakePortal


@pytest.fixture
def b24_portal() -> FakePortal:
    from .portal import FakePortal

    return FakePortal(seed=0)


@pytest.fixture
def b24_http(b24_portal: FakePortal) -> Iterator[httpx.Client]:
    with b24_portal.client() as client:
        yield client


@pytest.fixture
async def b24_async_http(b24_portal: FakePortal) -> AsyncIterator[httpx.AsyncClient]:
    async with b24_portal.async_client() as client:
        yield client


@pytest.fixture
def b24_client(b24_portal: FakePortal) -> Iterator[Any]:
    """A ``b24typed.B24Hook`` on the portal's default webhook (in-process transport).

    Its client-side rate limit is off: the limiter is shared per portal host in the process, and
    every test's portal has the same host."""
    from b24typed import B24Hook, LimitConfig

    client = B24Hook.from_webhook_url(
        b24_portal.webhook_url, http_client=b24_portal.client(), limits=LimitConfig.off()
    )
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
async def async_b24_client(b24_portal: FakePortal) -> AsyncIterator[Any]:
    """A ``b24typed.AsyncB24Hook`` on the portal's default webhook (no client-side rate limit)."""
    from b24typed import AsyncB24Hook, LimitConfig

    client = AsyncB24Hook.from_webhook_url(
        b24_portal.webhook_url, http_client=b24_portal.async_client(), limits=LimitConfig.off()
    )
    try:
        yield client
    finally:
        await client.aclose()
