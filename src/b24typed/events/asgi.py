"""A bare ASGI endpoint for portal requests: no framework needed, mountable in any ASGI app.

    from b24typed.events.asgi import B24Endpoint

    async def on_event(event: Event[Any]) -> None: ...

    app = B24Endpoint("event", on_event, application_token=lookup)   # uvicorn module:app
    fastapi_app.mount("/events", B24Endpoint("event", on_event, application_token=lookup))

It answers ``405`` to anything but POST, ``403`` to a forged request, ``400`` to an unreadable
one, and ``200`` after the handler (sync or async) returns.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

from b24typed.events.base import EventPayloadError, EventVerificationError
from b24typed.events.parse import ApplicationToken, RequestKind, parse_request

__all__ = ["B24Endpoint"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
MAX_BODY = 8 * 1024 * 1024  # a portal's request is a few kilobytes; refuse floods


class B24Endpoint:
    """An ASGI application that verifies and parses one kind of request, then calls ``handler``."""

    def __init__(
        self,
        kind: RequestKind,
        handler: Callable[[Any], Awaitable[None] | None],
        *,
        application_token: ApplicationToken | None = None,
        member_id: str | None = None,
    ) -> None:
        self.kind = kind
        self.handler = handler
        self.application_token = application_token
        self.member_id = member_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] != "POST":
            await _answer(send, 405, b"POST only")
            return
        body = await read_capped(_chunks(receive))
        if body is None:
            await _answer(send, 413, b"body too large")
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            parsed = parse_request(
                self.kind,
                body,
                query=scope.get("query_string", b"").decode("latin-1"),
                content_type=headers.get("content-type"),
                application_token=self.application_token,
                member_id=self.member_id,
            )
        except (EventVerificationError, EventPayloadError) as error:
            await _answer(send, error.status, error.code.encode())
            return
        outcome = self.handler(parsed)
        if inspect.isawaitable(outcome):
            await outcome
        await _answer(send, 200, b"")


async def read_capped(chunks: AsyncIterable[bytes]) -> bytes | None:
    """The body ``chunks`` make up, or ``None`` once it passes :data:`MAX_BODY`."""
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > MAX_BODY:
            return None
        parts.append(chunk)
    return b"".join(parts)


async def _chunks(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        yield message.get("body", b"")
        if not message.get("more_body"):
            return


async def _answer(send: Send, status: int, text: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain"),
                (b"content-length", str(len(text)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": text})
