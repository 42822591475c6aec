"""The hand-written models of inbound requests: events, the auth block they carry, placements.

The generated :mod:`b24typed.events.models` subclasses :class:`Event` once per documented event,
typing its ``data``. Tokens are :class:`pydantic.SecretStr`: reprs, dumps and errors show
``**********``; ``.tokens()`` reveals them only into an :class:`~b24typed.OAuthTokens`.
"""

from __future__ import annotations

import inspect
import json
import logging
import time
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import Field, SecretStr, field_validator

from b24typed.core.auth import (
    DEFAULT_OAUTH_SERVER,
    OAuthTokens,
    is_bitrix_oauth_server,
    normalize_portal_url,
)
from b24typed.core.errors import B24Error, SdkError
from b24typed.core.redact import shorten
from b24typed.core.typed_models import B24Model, LInt, LStr

if TYPE_CHECKING:
    from b24typed.clients import AsyncB24OAuth, B24OAuth
    from b24typed.tokens import AsyncTokenStore, TokenStore

__all__ = [
    "Event",
    "EventAuth",
    "EventPayloadError",
    "EventVerificationError",
    "Placement",
    "UnknownEvent",
]

DataT = TypeVar("DataT")

logger = logging.getLogger("b24typed")


def _request_tokens(payload: dict[str, Any]) -> OAuthTokens:
    """The OAuth pair an inbound request carried.

    Anyone can POST an install, so the OAuth server a request names is kept only when it is
    Bitrix24's (or loopback): a refresh sends the application's client secret there.
    """
    server = payload.get("server_endpoint")
    if server and not is_bitrix_oauth_server(str(server)):
        logger.warning(
            "a request named %r as its OAuth server; refreshing at %s instead",
            shorten(str(server), 100),
            DEFAULT_OAUTH_SERVER,
        )
        payload = {**payload, "server_endpoint": DEFAULT_OAUTH_SERVER}
    return OAuthTokens.from_payload(payload, now=time.time())


class EventVerificationError(B24Error):
    """An inbound request is not from the expected portal and application (forged or misrouted).

    The message says which check failed, never the tokens compared. Handlers answer ``status``.
    """

    status = 403

    def __init__(self, message: str, *, code: str = "EVENT_NOT_VERIFIED") -> None:
        super().__init__(message)
        self.code = code


class EventPayloadError(B24Error):
    """An inbound body could not be read (not a form or JSON object, or an unusable shape)."""

    status = 400

    def __init__(self, message: str, *, code: str = "EVENT_BAD_PAYLOAD") -> None:
        super().__init__(message)
        self.code = code


class _Authorized(B24Model):
    """Something that carries a portal's OAuth tokens and can build a client from them."""

    def tokens(self) -> OAuthTokens | None:
        """The OAuth pair this request carried, or ``None`` when it carried none."""
        raise NotImplementedError

    def _client_arguments(self, token_store: TokenStore | AsyncTokenStore | None) -> dict[str, Any]:
        tokens = self.tokens()
        if tokens is None and token_store is None:
            raise SdkError(
                "this request carried no OAuth tokens; pass token_store= to use stored ones",
                code="SDK_NO_TOKENS",
            )
        if tokens is not None:  # the request's own pair (often another user's): not stored
            return {"tokens": tokens, "member_id": tokens.member_id or None}
        return {"tokens": None, "token_store": token_store, "member_id": self._member_id() or None}

    def _member_id(self) -> str:
        raise NotImplementedError

    def client(
        self,
        *,
        client_id: str,
        client_secret: str,
        token_store: TokenStore | None = None,
        **options: Any,
    ) -> B24OAuth:
        """A blocking typed client for the portal that sent this, with the tokens it carried.

        Without tokens in the request, the pair ``token_store`` keeps for the sender's member id
        is used, and the client saves every refreshed pair there. A pair the request carries
        belongs to the user it names and is never written to the store.
        """
        from b24typed.clients import B24OAuth

        arguments = self._client_arguments(token_store)
        return B24OAuth(client_id=client_id, client_secret=client_secret, **arguments, **options)

    async def async_client(
        self,
        *,
        client_id: str,
        client_secret: str,
        token_store: TokenStore | AsyncTokenStore | None = None,
        **options: Any,
    ) -> AsyncB24OAuth:
        """The asyncio twin of :meth:`client` (awaited, so an async store can be read)."""
        from b24typed.clients import AsyncB24OAuth

        arguments = self._client_arguments(token_store)
        if arguments["tokens"] is None and token_store is not None:
            found = token_store.get(arguments["member_id"] or "")
            arguments["tokens"] = await found if inspect.isawaitable(found) else found
            if arguments["tokens"] is None:
                raise SdkError("no stored tokens for this portal", code="SDK_NO_TOKENS")
        return AsyncB24OAuth(
            client_id=client_id, client_secret=client_secret, **arguments, **options
        )


class EventAuth(B24Model):
    """The ``auth`` block of an event: the portal, the application's token and OAuth tokens."""

    access_token: SecretStr | None = None
    refresh_token: SecretStr | None = None
    application_token: SecretStr | None = None
    expires: LInt = None
    expires_in: LInt = None
    scope: LStr = None
    domain: LStr = None
    server_endpoint: LStr = None
    client_endpoint: LStr = None
    member_id: LStr = None
    user_id: LInt = None
    status: LStr = None


class Event(_Authorized, Generic[DataT]):
    """An event the portal POSTed to a handler bound with ``event.bind``.

    ``data`` is typed per event by the generated subclasses (``OnCrmDealAdd``, ...); an event
    b24typed does not know parses into :class:`UnknownEvent` with ``data`` as sent.
    """

    event: str = ""
    event_handler_id: LInt = None
    data: DataT
    ts: LInt = None
    auth: EventAuth = Field(default_factory=EventAuth)

    @field_validator("event", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    def tokens(self) -> OAuthTokens | None:
        auth = self.auth
        if auth.access_token is None or auth.refresh_token is None:
            return None
        payload: dict[str, Any] = {
            key: value
            for key, value in auth.model_dump(exclude_none=True).items()
            if not isinstance(value, SecretStr)
        }
        payload["access_token"] = auth.access_token.get_secret_value()
        payload["refresh_token"] = auth.refresh_token.get_secret_value()
        if auth.application_token is not None:
            payload["application_token"] = auth.application_token.get_secret_value()
        return _request_tokens(payload)

    def _member_id(self) -> str:
        return self.auth.member_id or ""


class UnknownEvent(Event[Any]):
    """An event without a generated model: ``data`` is the decoded payload as sent."""

    data: Any = None


class Placement(_Authorized):
    """A user opened the application in a placement (a CRM card tab, a menu item, ...).

    ``options`` is ``PLACEMENT_OPTIONS`` decoded from its JSON string.
    """

    placement: LStr = Field(None, alias="PLACEMENT")
    options: dict[str, Any] = Field(default_factory=dict, alias="PLACEMENT_OPTIONS")
    domain: LStr = Field(None, alias="DOMAIN")
    protocol: LInt = Field(None, alias="PROTOCOL")
    lang: LStr = Field(None, alias="LANG")
    app_sid: LStr = Field(None, alias="APP_SID")
    auth_id: SecretStr | None = Field(None, alias="AUTH_ID")
    auth_expires: LInt = Field(None, alias="AUTH_EXPIRES")
    refresh_id: SecretStr | None = Field(None, alias="REFRESH_ID")
    server_endpoint: LStr = Field(None, alias="SERVER_ENDPOINT")
    application_token: SecretStr | None = Field(None, alias="APPLICATION_TOKEN")
    application_scope: LStr = Field(None, alias="APPLICATION_SCOPE")
    member_id: LStr = None
    status: LStr = None

    @field_validator("options", mode="before")
    @classmethod
    def _decode_options(cls, value: Any) -> Any:
        if isinstance(value, str | bytes) and value:
            try:
                value = json.loads(value)
            except (ValueError, RecursionError):
                raise ValueError("PLACEMENT_OPTIONS is not a JSON object") from None
        # PHP's json_encode writes an empty array as "[]"
        return {} if value is None or value in ("", []) else value

    def tokens(self) -> OAuthTokens | None:
        if self.auth_id is None or self.refresh_id is None or not self.domain:
            return None
        scheme = "http" if self.protocol == 0 else "https"  # PROTOCOL: 1 is https, 0 is http
        payload: dict[str, Any] = {
            "access_token": self.auth_id.get_secret_value(),
            "refresh_token": self.refresh_id.get_secret_value(),
            "expires_in": self.auth_expires,
            "domain": self.domain,
            "client_endpoint": f"{normalize_portal_url(f'{scheme}://{self.domain}')}/rest/",
            "member_id": self.member_id or "",
            "scope": self.application_scope or "",
        }
        if self.server_endpoint:
            payload["server_endpoint"] = self.server_endpoint
        if self.application_token is not None:
            payload["application_token"] = self.application_token.get_secret_value()
        return _request_tokens(payload)

    def _member_id(self) -> str:
        return self.member_id or ""
