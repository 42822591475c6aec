"""FastAPI (and Starlette) helpers: dependencies that read, verify and type inbound requests.

    from b24typed.events import Event, Install
    from b24typed.events.fastapi import event_dependency, install_dependency

    @app.post("/events")
    async def on_event(
        event: Annotated[Event[Any], Depends(event_dependency(application_token=lookup))],
    ) -> None: ...

A forged request is answered ``403``, a body that is not an event ``400``, a body over 8 MiB
``413``; user code runs only for verified requests. Install with the ``b24typed[fastapi]`` extra.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import HTTPException
from starlette.requests import Request

from b24typed.events.asgi import read_capped
from b24typed.events.base import Event, EventPayloadError, EventVerificationError, Placement
from b24typed.events.parse import ApplicationToken, Install, RequestKind, parse_request

__all__ = ["event_dependency", "install_dependency", "placement_dependency", "read_request"]


async def read_request(
    request: Request,
    kind: RequestKind,
    *,
    application_token: ApplicationToken | None = None,
    member_id: str | None = None,
) -> Any:
    """Parse a Starlette request as ``kind``; a refused, unreadable or too large one (over
    :data:`b24typed.events.asgi.MAX_BODY`) is an HTTPException."""
    body = await read_capped(request.stream())
    if body is None:
        raise HTTPException(413, "body too large")
    try:
        return parse_request(
            kind,
            body,
            query=request.url.query,
            content_type=request.headers.get("content-type"),
            application_token=application_token,
            member_id=member_id,
        )
    except (EventVerificationError, EventPayloadError) as error:
        raise HTTPException(error.status, error.code) from None


def _dependency(
    kind: RequestKind, application_token: ApplicationToken | None, member_id: str | None
) -> Callable[[Request], Awaitable[Any]]:
    async def dependency(request: Request) -> Any:
        return await read_request(
            request, kind, application_token=application_token, member_id=member_id
        )

    return dependency


def event_dependency(
    *, application_token: ApplicationToken, member_id: str | None = None
) -> Callable[[Request], Awaitable[Event[Any]]]:
    """A dependency giving the verified, typed event of the request."""
    return _dependency("event", application_token, member_id)


def install_dependency(
    *, application_token: ApplicationToken | None = None, member_id: str | None = None
) -> Callable[[Request], Awaitable[Install]]:
    """A dependency giving the :class:`Install` (tokens, member id) of an install request."""
    return _dependency("install", application_token, member_id)


def placement_dependency(
    *, application_token: ApplicationToken | None = None, member_id: str | None = None
) -> Callable[[Request], Awaitable[Placement]]:
    """A dependency giving the :class:`Placement` a user opened."""
    return _dependency("placement", application_token, member_id)
