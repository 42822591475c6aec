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

from collections.abc import Callable
from typing import Any

from flask import Response, request

from b24typed.events.parse import ApplicationToken, RequestKind
from b24typed.events.views import Framework, wrap_view

__all__ = ["b24_view"]

FLASK = Framework(
    read=lambda args: (
        request.get_data(),
        request.query_string.decode("latin-1"),
        request.content_type,
    ),
    respond=lambda status, text: Response(text, status=status, mimetype="text/plain"),
    call=lambda view, parsed, args, kwargs: view(parsed, *args, **kwargs),
)


def b24_view(
    kind: RequestKind,
    *,
    application_token: ApplicationToken | None = None,
    member_id: str | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a Flask view so it runs only for a verified ``kind`` request, with it parsed."""
    return lambda view: wrap_view(view, FLASK, kind, application_token, member_id)
