"""pytest plugin (entry point ``pytest11: b24typed``): a fresh fake portal per test.

Fixtures: ``b24_portal`` (a :class:`~b24typed.testing.FakePortal`), ``b24_http`` (an
``httpx.Client`` wired to it) and ``b24_async_http`` (an ``httpx.AsyncClient``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

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
