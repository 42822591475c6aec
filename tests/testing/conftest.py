"""Fixtures: every protocol test runs over the in-process transport and the loopback server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from b24typed.testing import FakePortal
from b24typed.testing.clock import ManualClock


@dataclass
class Env:
    """A portal plus an httpx client that reaches it one way or the other."""

    portal: FakePortal
    http: httpx.Client
    base: str  # scheme://host[:port]
    mode: str

    @property
    def hook(self) -> str:
        """The default webhook URL (ends with '/')."""
        return (
            self.portal.serve_webhook_url(self.base)
            if self.mode == "loopback"
            else (self.portal.webhook_url)
        )

    def url_for(self, hook_url: str) -> str:
        """Rewrite a webhook URL issued by the portal onto this environment's base."""
        path = httpx.URL(hook_url).path
        return self.base + path

    def call(self, method: str, params: Any = None, **kw: Any) -> httpx.Response:
        return self.http.post(self.hook + method, json=params if params is not None else {}, **kw)

    def v3(self, method: str, params: Any = None, **kw: Any) -> httpx.Response:
        url = self.hook.replace("/rest/", "/rest/api/", 1) + method
        return self.http.post(url, json=params if params is not None else {}, **kw)

    def ok(self, method: str, params: Any = None) -> Any:
        resp = self.call(method, params)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def ok3(self, method: str, params: Any = None) -> Any:
        resp = self.v3(method, params)
        assert resp.status_code == 200, resp.text
        return resp.json()


def _env(portal: FakePortal, mode: str) -> Iterator[Env]:
    if mode == "inproc":
        with portal.client() as client:
            yield Env(portal, client, f"https://{portal.domain}", mode)
    else:
        with portal.serve() as base, httpx.Client(timeout=10) as client:
            yield Env(portal, client, base, mode)


@pytest.fixture(params=["inproc", "loopback"])
def env(request: pytest.FixtureRequest) -> Iterator[Env]:
    yield from _env(FakePortal(seed=0), request.param)


@pytest.fixture(params=["inproc", "loopback"])
def clocked(request: pytest.FixtureRequest) -> Iterator[Env]:
    """Like ``env`` with a manual clock (``env.portal.clock.advance(s)``)."""
    yield from _env(FakePortal(seed=0, clock=ManualClock()), request.param)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
