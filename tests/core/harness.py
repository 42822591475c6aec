"""A tiny fake server for core tests: an httpx.MockTransport around a handler, sync or async."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx

from b24typed import AsyncB24Hook, AsyncB24OAuth, B24Hook, B24OAuth, LimitConfig, ManualClock
from b24typed.core.result import AjaxResult

SECRET = "s3cr3tWebhookValue"
WEBHOOK = f"https://portal.example.com/rest/7/{SECRET}/"

Handler = Callable[[httpx.Request], httpx.Response]


def envelope(result: Any, **extra: Any) -> httpx.Response:
    body = {"result": result, "time": {"start": 1.0, "finish": 1.1, "operating": 0.1}, **extra}
    return httpx.Response(200, json=body)


def body_of(request: httpx.Request) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(request.content)
    return data


class Harness:
    """Runs the same calls through a sync or an async client and records what was sent."""

    def __init__(self, mode: str, handler: Handler, **client_kw: Any) -> None:
        self.mode = mode
        self.requests: list[httpx.Request] = []
        self.clock = client_kw.pop("clock", None) or ManualClock()
        client_kw.setdefault("limits", LimitConfig.off())

        def record(request: httpx.Request) -> httpx.Response:
            request.read()
            self.requests.append(request)
            return handler(request)

        transport = httpx.MockTransport(record)
        oauth = client_kw.pop("oauth", None)
        if mode == "sync":
            http: Any = httpx.Client(transport=transport)
            cls: Any = B24OAuth if oauth else B24Hook
        else:
            http = httpx.AsyncClient(transport=transport)
            cls = AsyncB24OAuth if oauth else AsyncB24Hook
        if oauth:
            self.client = cls(http_client=http, clock=self.clock, **oauth, **client_kw)
        else:
            self.client = cls.from_webhook_url(
                client_kw.pop("url", WEBHOOK), http_client=http, clock=self.clock, **client_kw
            )

    def run(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call a client method by name, awaiting it for async clients."""
        outcome = getattr(self.client, name)(*args, **kwargs)
        if self.mode == "async":
            return asyncio.run(_await(outcome))
        return outcome

    def call(self, api: int, method: str, params: dict[str, Any] | None = None) -> AjaxResult[Any]:
        result: AjaxResult[Any] = self.run("call", api, method, params)
        return result


async def _await(outcome: Any) -> Any:
    return await outcome
