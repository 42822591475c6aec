"""Read and verify what a portal POSTs to an application: events, the install, placements.

Framework-free: each function takes the raw body (bytes or text, form-encoded PHP-style or JSON,
or a mapping a framework already decoded) and returns a typed model, or raises
:class:`EventVerificationError` when the request is not from the expected application and portal.
Tokens are compared in constant time and never written into errors.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlencode

from pydantic import ValidationError

from b24typed.core.auth import OAuthTokens
from b24typed.core.phpparse import parse_str, php_to_json
from b24typed.core.redact import Secret
from b24typed.events.base import (
    Event,
    EventPayloadError,
    EventVerificationError,
    Placement,
    UnknownEvent,
)

if TYPE_CHECKING:
    from b24typed.clients import AsyncB24OAuth, B24OAuth
    from b24typed.tokens import AsyncTokenStore, TokenStore

__all__ = [
    "ApplicationToken",
    "Body",
    "Install",
    "RequestKind",
    "decode_body",
    "event_model",
    "parse_event",
    "parse_install",
    "parse_placement",
    "parse_request",
]

Body = bytes | str | Mapping[str, Any]
ApplicationToken = str | Callable[[str], str | None]
"""The application token to expect: one string, or a lookup by the sender's ``member_id``
(an application installed on many portals has one token per portal)."""

INSTALL_EVENT = "ONAPPINSTALL"


def decode_body(body: Body, content_type: str | None = None) -> dict[str, Any]:
    """The payload as JSON-like data: a PHP-style form (``data[FIELDS][ID]=1``) or a JSON object.

    Without a content type, a body starting with ``{`` is JSON. A mapping is taken as decoded
    form fields, flat (``{"data[FIELDS][ID]": "1"}``, as frameworks give them) or nested.
    """
    if isinstance(body, Mapping):
        if any("[" in str(key) for key in body):
            return _form(urlencode([(str(k), _form_value(v)) for k, v in body.items()]))
        return dict(body)
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    is_json = "json" in (content_type or "").lower() or (
        content_type is None and text.lstrip().startswith("{")
    )
    if not is_json:
        return _form(text)
    try:
        value = json.loads(text)
    except ValueError:
        raise EventPayloadError("the body is not valid JSON") from None
    except RecursionError:
        raise EventPayloadError("the JSON body is nested too deep") from None
    if not isinstance(value, dict):
        raise EventPayloadError("the JSON body is not an object")
    return value


def _form_value(value: Any) -> str:
    if isinstance(value, list | tuple):  # a multi-valued field: PHP keeps the last
        return str(value[-1]) if value else ""
    return str(value)


def _form(text: str) -> dict[str, Any]:
    decoded = php_to_json(parse_str(text))
    return decoded if isinstance(decoded, dict) else {}


def _same(sent: Any, expected: str) -> bool:
    """Constant-time comparison of a sent value with the expected secret."""
    if not isinstance(sent, str) or not sent:
        return False
    return hmac.compare_digest(sent.encode(), expected.encode())


def _verify(
    *,
    sent_token: Any,
    sent_member: Any,
    application_token: ApplicationToken | None,
    member_id: str | None,
    what: str,
) -> None:
    if member_id is not None and not _same(sent_member, member_id):
        raise EventVerificationError(f"the {what} comes from another portal (member_id differs)")
    if application_token is None:
        return
    expected = (
        application_token(str(sent_member or ""))
        if callable(application_token)
        else application_token
    )
    if not expected:
        raise EventVerificationError(
            f"no application token is known for the portal that sent this {what}",
            code="EVENT_UNKNOWN_PORTAL",
        )
    if not _same(sent_token, expected):
        raise EventVerificationError(f"the {what}'s application_token does not match")


def event_model(code: str) -> type[Event[Any]]:
    """The generated model of an event code (any case), or :class:`UnknownEvent`."""
    from b24typed.events.models import EVENT_MODELS

    return EVENT_MODELS.get(code.upper(), UnknownEvent)


def _validate(model: type[Any], payload: dict[str, Any], what: str) -> Any:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        # Only where and what kind: pydantic's own message repeats the input, tokens included.
        places = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or '(body)'}: {error['type']}"
            for error in exc.errors()[:5]
        )
        raise EventPayloadError(f"the {what} does not fit its model ({places})") from None


def _verify_auth(
    payload: Mapping[str, Any],
    application_token: ApplicationToken | None,
    member_id: str | None,
    what: str,
) -> None:
    """Check an event's ``auth`` block (token and member) against what the caller expects."""
    auth = payload.get("auth")
    if not isinstance(auth, Mapping):
        auth = {}
    _verify(
        sent_token=auth.get("application_token"),
        sent_member=auth.get("member_id"),
        application_token=application_token,
        member_id=member_id,
        what=what,
    )


def parse_event(
    body: Body,
    *,
    application_token: ApplicationToken,
    member_id: str | None = None,
    content_type: str | None = None,
) -> Event[Any]:
    """The typed event of an event handler's request, verified.

    ``application_token`` is the token the portal gave at install (or a lookup by member id);
    with ``member_id``, the event must come from that portal. Raises
    :class:`EventVerificationError` on a mismatch, :class:`EventPayloadError` on a body that is
    not an event.
    """
    payload = decode_body(body, content_type)
    if not isinstance(payload.get("event"), str) or not payload["event"]:
        raise EventPayloadError("the body is not an event (no 'event' code)")
    _verify_auth(payload, application_token, member_id, "event")
    event: Event[Any] = _validate(event_model(payload["event"]), payload, "event")
    return event


@dataclass(frozen=True)
class Install:
    """An installation: the first OAuth tokens and the application token to check events with.

    Save it with :meth:`save`; ``tokens.application_token`` is what later events must carry.
    """

    tokens: OAuthTokens
    event: Event[Any] | None = None
    placement: Placement | None = None

    @property
    def member_id(self) -> str:
        return self.tokens.member_id

    @property
    def domain(self) -> str:
        return self.tokens.domain

    @property
    def application_token(self) -> Secret | None:
        return self.tokens.application_token

    def save(self, store: TokenStore) -> None:
        """Keep the tokens (and the application token) in ``store`` under the member id."""
        store.save(self.member_id, self.tokens)

    async def asave(self, store: TokenStore | AsyncTokenStore) -> None:
        """:meth:`save` for an async store (a blocking one works too)."""
        outcome = store.save(self.member_id, self.tokens)
        if outcome is not None:
            await outcome

    def client(self, *, client_id: str, client_secret: str, **options: Any) -> B24OAuth:
        """A blocking typed client for the portal that installed the application."""
        from b24typed.clients import B24OAuth

        return B24OAuth(
            client_id=client_id, client_secret=client_secret, tokens=self.tokens, **options
        )

    def async_client(self, *, client_id: str, client_secret: str, **options: Any) -> AsyncB24OAuth:
        """An asyncio typed client for the portal that installed the application."""
        from b24typed.clients import AsyncB24OAuth

        return AsyncB24OAuth(
            client_id=client_id, client_secret=client_secret, tokens=self.tokens, **options
        )


def parse_install(
    body: Body,
    *,
    query: str | Mapping[str, Any] | None = None,
    member_id: str | None = None,
    application_token: ApplicationToken | None = None,
    content_type: str | None = None,
) -> Install:
    """The installation a request reports: an ``ONAPPINSTALL`` event, or the install page the
    portal opens (``AUTH_ID``, ``REFRESH_ID``, ``member_id``, with ``DOMAIN`` in the query).

    The install is where the application learns its token, so ``application_token`` is
    optional (pass it to accept a re-install only from the same installation).
    """
    payload = decode_body(body, content_type)
    if isinstance(payload.get("event"), str):
        if payload["event"].upper() != INSTALL_EVENT:
            raise EventPayloadError("the body is an event, but not ONAPPINSTALL")
        _verify_auth(payload, application_token, member_id, "install")
        event: Event[Any] = _validate(event_model(INSTALL_EVENT), payload, "install event")
        tokens = event.tokens()
        if tokens is None or not tokens.member_id:
            raise EventPayloadError("the install event carries no OAuth tokens or member_id")
        return Install(tokens=tokens, event=event)
    placement = parse_placement(
        body,
        query=query,
        member_id=member_id,
        application_token=application_token,
        content_type=content_type,
    )
    tokens = placement.tokens()
    if tokens is None or not tokens.member_id:
        raise EventPayloadError("the install request carries no AUTH_ID/REFRESH_ID or member_id")
    return Install(tokens=tokens, placement=placement)


def parse_placement(
    body: Body,
    *,
    query: str | Mapping[str, Any] | None = None,
    member_id: str | None = None,
    application_token: ApplicationToken | None = None,
    content_type: str | None = None,
) -> Placement:
    """The placement a user opened: code, decoded options and the user's tokens.

    ``query`` is the request's query string (the portal puts ``DOMAIN``, ``PROTOCOL``,
    ``LANG`` and ``APP_SID`` there). With ``application_token``, a request that carries no
    ``APPLICATION_TOKEN`` or another one is refused.
    """
    payload = _form(query) if isinstance(query, str) else decode_body(query or {})
    payload.update(decode_body(body, content_type))
    _verify(
        sent_token=payload.get("APPLICATION_TOKEN"),
        sent_member=payload.get("member_id"),
        application_token=application_token,
        member_id=member_id,
        what="placement request",
    )
    placement: Placement = _validate(Placement, payload, "placement request")
    return placement


RequestKind = Literal["event", "install", "placement"]


def parse_request(
    kind: RequestKind,
    body: Body,
    *,
    query: str | Mapping[str, Any] | None = None,
    content_type: str | None = None,
    application_token: ApplicationToken | None = None,
    member_id: str | None = None,
) -> Event[Any] | Install | Placement:
    """The one entry the framework helpers use: :func:`parse_event`, :func:`parse_install` or
    :func:`parse_placement` by ``kind`` (an event needs ``application_token``)."""
    if kind == "event":
        if application_token is None:
            raise TypeError("checking events needs application_token (a string or a lookup)")
        return parse_event(
            body,
            application_token=application_token,
            member_id=member_id,
            content_type=content_type,
        )
    parse = parse_install if kind == "install" else parse_placement
    return parse(
        body,
        query=query,
        application_token=application_token,
        member_id=member_id,
        content_type=content_type,
    )
