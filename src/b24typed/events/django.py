"""Django helper: a view decorator that reads, verifies and types an inbound request.

    from b24typed.events.django import b24_view

    @b24_view("event", application_token=lookup)
    def on_event(request: HttpRequest, event: Event[Any]) -> HttpResponse | None: ...

The view gets the request and the parsed :class:`Event`, :class:`Install` or :class:`Placement`;
it is exempt from CSRF checks (the portal cannot send a CSRF token; the application token is the
check). A forged request is answered ``403``, an unreadable one ``400``, and a view returning
``None`` answers ``200`` with an empty body. Install with ``b24typed[django]``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from b24typed.events.parse import ApplicationToken, RequestKind
from b24typed.events.views import Framework, wrap_view

__all__ = ["b24_view"]

DJANGO = Framework(
    read=lambda args: (
        args[0].body,
        args[0].META.get("QUERY_STRING", ""),
        args[0].content_type,
    ),
    respond=lambda status, text: HttpResponse(text, status=status, content_type="text/plain"),
    call=lambda view, parsed, args, kwargs: view(args[0], parsed, *args[1:], **kwargs),
)


def b24_view(
    kind: RequestKind,
    *,
    application_token: ApplicationToken | None = None,
    member_id: str | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a Django view so it runs only for a verified ``kind`` request, with it parsed."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        exempt: Callable[..., Any] = csrf_exempt(
            wrap_view(view, DJANGO, kind, application_token, member_id)
        )
        return exempt

    return decorate
