"""Flask helper: a view decorator that reads, verifies and types an inbound request.

    from b24typed.events.flask import b24_view

    @app.post("/events")
    @b24_view("event", application_token=lookup)
    def on_event(event: Event[Any]) -> str: ...

The decorated view gets the parsed :class:`Event`, :class:`Install` or :class:`Placement` as its
first argument; a forged request is answered ``403``, an unreadable one ``400``, and a view
returning ``None`` answers ``200`` with an empty body. Install with ``b24typed[flask]``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Response, request

from b24typed.events.base import EventPayloadError, EventVerificationError
from b24typed.events.parse import ApplicationToken, RequestKind, parse_request

__all__ = ["b24_view"]


def b24_view(
    kind: RequestKind,
    *,
    application_token: ApplicationToken | None = None,
    member_id: str | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a Flask view so it runs only for a verified ``kind`` request, with it parsed."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                parsed = parse_request(
                    kind,
                    request.get_data(),
                    query=request.query_string.decode("latin-1"),
                    content_type=request.content_type,
                    application_token=application_token,
                    member_id=member_id,
                )
            except (EventVerificationError, EventPayloadError) as error:
                return Response(error.code, status=error.status, mimetype="text/plain")
            answer = view(parsed, *args, **kwargs)
            return Response("", status=200) if answer is None else answer

        return wrapper

    return decorate
