"""The in-process httpx transport: sync and async clients talk to the portal without sockets."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from .faults import Fault
from .portal import Request, Response

if TYPE_CHECKING:
    from .portal import FakePortal

__all__ = ["PortalTransport"]


def _raise_fault(fault: Fault, request: httpx.Request) -> None:
    if fault.kind == "timeout":
        raise httpx.ReadTimeout("timed out (injected fault)", request=request)
    if fault.kind == "connect":
        raise httpx.ConnectError("connection refused (injected fault)", request=request)
    raise httpx.RemoteProtocolError(
        "Server disconnected without sending a response (injected fault)", request=request
    )


class PortalTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Both an ``httpx.BaseTransport`` and an ``httpx.AsyncBaseTransport`` over one portal."""

    def __init__(self, portal: FakePortal) -> None:
        self.portal = portal

    @staticmethod
    def _request(request: httpx.Request, body: bytes) -> Request:
        headers = {k.lower(): v for k, v in request.headers.items()}
        return Request(request.method, str(request.url), headers, body)

    @staticmethod
    def _response(request: httpx.Request, out: Response | Fault) -> httpx.Response:
        if isinstance(out, Fault):
            _raise_fault(out, request)
        assert isinstance(out, Response)
        return httpx.Response(out.status, headers=out.headers, content=out.body, request=request)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        out = self.portal.handle(self._request(request, request.read()))
        return self._response(request, out)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        out = await self.portal.ahandle(self._request(request, await request.aread()))
        return self._response(request, out)

    def close(self) -> None:
        return None

    async def aclose(self) -> None:
        return None
