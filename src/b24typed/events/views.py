"""What the Flask and Django view decorators share: parse, refuse or call the view."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from b24typed.events.base import EventPayloadError, EventVerificationError
from b24typed.events.parse import ApplicationToken, RequestKind, parse_request

__all__ = ["Framework", "wrap_view"]


@dataclass(frozen=True)
class Framework:
    """How one framework reads a request and answers.

    ``read(args)`` gives (body, query string, content type) for the view's arguments;
    ``respond(status, text)`` builds a plain-text response; ``call(view, parsed, args, kwargs)``
    runs the user's view with the parsed request.
    """

    read: Callable[[tuple[Any, ...]], tuple[bytes, str, str | None]]
    respond: Callable[[int, str], Any]
    call: Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]


def wrap_view(
    view: Callable[..., Any],
    framework: Framework,
    kind: RequestKind,
    application_token: ApplicationToken | None,
    member_id: str | None,
) -> Callable[..., Any]:
    """``view`` run only for a verified ``kind`` request; ``None`` from it answers 200."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        body, query, content_type = framework.read(args)
        try:
            parsed = parse_request(
                kind,
                body,
                query=query,
                content_type=content_type,
                application_token=application_token,
                member_id=member_id,
            )
        except (EventVerificationError, EventPayloadError) as error:
            return framework.respond(error.status, error.code)
        answer = framework.call(view, parsed, args, kwargs)
        return framework.respond(200, "") if answer is None else answer

    return wrapper
