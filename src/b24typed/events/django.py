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

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from b24typed.events.base import EventPayloadError, EventVerificationError
from b24typed.events.parse import ApplicationToken, RequestKind, parse_request

__all__ = ["b24_view"]


def b24_view(
    kind: RequestKind,
    *,
    application_token: ApplicationToken | None = None,
    member_id: str | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a Django view so it runs only for a verified ``kind`` request, with it parsed."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            try:
                parsed = parse_request(
                    kind,
                    request.body,
                    query=request.META.get("QUERY_STRING", ""),
                    content_type=request.content_type,
                    application_token=application_token,
                    member_id=member_id,
                )
            except (EventVerificationError, EventPayloadError) as error:
                return HttpResponse(error.code, status=error.status, content_type="text/plain")
            answer = view(request, parsed, *args, **kwargs)
            return HttpResponse("", status=200) if answer is None else answer

        exempt: Callable[..., Any] = csrf_exempt(wrapper)
        return exempt

    return decorate
