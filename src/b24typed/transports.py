"""HTTP clients to put under the async clients, for more speed than httpx's own.

Many requests in flight at once wait on httpx's connection pool (encode/httpx#3215); aiohttp
does not. :func:`aiohttp_client` gives an ``httpx.AsyncClient`` that sends through aiohttp (the
``httpx-aiohttp`` package), so everything above it stays the same::

    from b24typed import AsyncB24Hook
    from b24typed.transports import aiohttp_client

    async with aiohttp_client() as http:
        b24 = AsyncB24Hook.from_webhook_url(url, http_client=http)
        deals = await asyncio.gather(*(b24.crm.deal.get(id=i) for i in ids))

Install it with the extra: ``pip install 'b24typed[aiohttp]'``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from b24typed.core.request import STATIC_HEADERS

if TYPE_CHECKING:
    import httpx

__all__ = ["aiohttp_client"]


def aiohttp_client(
    *, timeout: float | None = 30.0, max_connections: int = 100
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` over aiohttp (close it yourself: ``async with``)."""
    try:
        import httpx
        from httpx_aiohttp import HttpxAiohttpClient
    except ImportError as exc:
        raise ImportError(
            "aiohttp_client() needs the aiohttp extra: pip install 'b24typed[aiohttp]'"
        ) from exc
    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    return HttpxAiohttpClient(timeout=timeout, headers=STATIC_HEADERS, limits=limits)
