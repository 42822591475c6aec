"""Credentials and where calls go: inbound webhooks and OAuth applications."""

from __future__ import annotations

import ipaddress
import math
import re
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from b24typed.core.envelope import loads
from b24typed.core.errors import SdkError, TokenRefreshError
from b24typed.core.http import HttpAnswer, HttpRequest
from b24typed.core.redact import Secret, scrub
from b24typed.core.result import ApiVersion

if TYPE_CHECKING:
    from b24typed.tokens import AsyncTokenStore, TokenStore

DEFAULT_OAUTH_SERVER = "https://oauth.bitrix.info/rest/"


# Hosts of Bitrix24's own OAuth servers (the docs' examples name both).
BITRIX_OAUTH_HOSTS = frozenset({"oauth.bitrix.info", "oauth.bitrix24.info"})


def is_bitrix_oauth_server(url: str) -> bool:
    """True for an https URL on Bitrix24's OAuth servers, or any URL on a loopback host (a
    local emulator such as the fake portal)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return _is_loopback(host) or (parts.scheme == "https" and host in BITRIX_OAUTH_HOSTS)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_shape(url: str, what: str) -> None:
    """Refuse URLs that parsers read differently: a backslash (browsers take it for '/', Python
    does not) or a user part (``https://portal\\@evil.example/`` goes to evil.example)."""
    if "\\" in url or any(c.isspace() or ord(c) < 32 for c in url.strip()):
        raise ValueError(f"the {what} is malformed (backslash, space or control character)")
    netloc = urlsplit(url if "://" in url else f"https://{url}").netloc
    if "@" in netloc:
        raise ValueError(f"the {what} is malformed (it names a user before '@')")


def check_endpoint(url: str, what: str) -> str:
    """``url`` if it is a well-formed https URL (plain http for loopback hosts only)."""
    _check_shape(url, what)
    parts = urlsplit(url)
    if not parts.hostname or parts.scheme not in ("https", "http"):
        raise ValueError(f"the {what} must be an https:// URL with a host name")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ValueError(f"the {what} must use https (http is accepted for loopback only)")
    return url


def normalize_portal_url(url: str) -> str:
    """``https://host[:port]`` for a portal address given with or without scheme or path.

    Plain ``http`` is kept only for loopback hosts (a local emulator); anything else is https.
    """
    if not isinstance(url, str):
        raise ValueError(f"the portal URL must be a string, not {type(url).__name__}")
    text = url.strip()
    if not text:
        raise ValueError("the portal URL is empty")
    _check_shape(text, "portal URL")
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    host = parts.hostname
    if not host:
        raise ValueError("the portal URL has no host name")
    scheme = "http" if parts.scheme == "http" and _is_loopback(host) else "https"
    port = parts.port
    default_port = {"https": 443, "http": 80}[scheme]
    netloc = host if port in (None, default_port) else f"{host}:{port}"
    if ":" in host and not host.startswith("["):
        netloc = f"[{host}]" if port in (None, default_port) else f"[{host}]:{port}"
    return f"{scheme}://{netloc}"


@dataclass(frozen=True)
class WebhookAuth:
    """An inbound webhook: the secret travels in the URL path."""

    b24_url: str
    user_id: int
    secret: Secret

    def base_url(self, api: ApiVersion) -> str:
        prefix = "rest" if api == 2 else "rest/api"
        return f"{self.b24_url}/{prefix}/{self.user_id}/{self.secret.reveal()}"

    def body_auth(self) -> str | None:
        return None

    def secrets(self) -> tuple[str, ...]:
        return (self.secret.reveal(),)

    @property
    def domain(self) -> str:
        return urlsplit(self.b24_url).netloc

    def __repr__(self) -> str:
        return f"WebhookAuth(b24_url={self.b24_url!r}, user_id={self.user_id}, secret=***)"


_SECRET = re.compile(r"[A-Za-z0-9_~-]+(?:\.[A-Za-z0-9_~-]+)*")


def check_webhook_secret(secret: str) -> str:
    """``secret`` if it can travel as one URL path segment, unchanged."""
    if not isinstance(secret, str) or not _SECRET.fullmatch(secret):
        raise ValueError(
            "the webhook secret is malformed: letters, digits, '_', '-', '~' and single dots "
            "between them only"
        )
    return secret


def parse_webhook_url(url: str) -> WebhookAuth:
    """Read ``https://portal/rest/{user_id}/{secret}/`` (or ``/rest/api/...``).

    Errors say what is wrong without repeating the URL, which holds the secret.
    """
    if not isinstance(url, str) or not url.strip():
        raise ValueError("the webhook URL is empty")
    _check_shape(url, "webhook URL")
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        _ = parts.port
    except ValueError:
        raise ValueError("the webhook URL is not a valid URL") from None
    if parts.scheme not in ("https", "http") or not host:
        raise ValueError("the webhook URL must start with https:// and name the portal's host")
    if parts.scheme == "http" and not _is_loopback(host):
        raise ValueError("the webhook URL must use https (http is accepted for loopback only)")
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise ValueError("the webhook URL is malformed (it has a '?' or '#')")
    segments = [s for s in parts.path.split("/") if s]
    if segments[:2] == ["rest", "api"]:
        segments = ["rest", *segments[2:]]
    if len(segments) != 3 or segments[0] != "rest":
        raise ValueError("the webhook URL path must be /rest/<user_id>/<secret>/")
    user_id, secret = segments[1], segments[2]
    if not user_id.isdigit():
        raise ValueError("the user id in the webhook URL must be a number")
    check_webhook_secret(secret)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return WebhookAuth(
        b24_url=normalize_portal_url(f"{parts.scheme}://{netloc}"),
        user_id=int(user_id),
        secret=Secret(secret),
    )


@dataclass(frozen=True)
class OAuthTokens:
    """An OAuth token pair and what the portal said about it."""

    access_token: Secret
    refresh_token: Secret
    expires: float | None = None
    client_endpoint: str = ""
    server_endpoint: str = DEFAULT_OAUTH_SERVER
    domain: str = ""
    member_id: str = ""
    scope: str = ""
    user_id: int | None = None
    application_token: Secret | None = None

    @classmethod
    def from_payload(cls, data: Mapping[str, Any], *, now: float) -> OAuthTokens:
        """Tokens from an OAuth server answer or an install event's ``auth`` block."""
        access = data.get("access_token") or data.get("AUTH_ID")
        refresh = data.get("refresh_token") or data.get("REFRESH_ID")
        if not access or not refresh:
            raise TokenRefreshError("INVALID_TOKEN_ANSWER", "no access_token/refresh_token given")
        expires = _number(data.get("expires"))
        expires_in = _number(data.get("expires_in") or data.get("AUTH_EXPIRES"))
        if expires is None and expires_in is not None:
            expires = now + expires_in
        endpoint = str(data.get("client_endpoint") or "")
        if not endpoint and data.get("domain"):
            endpoint = f"{normalize_portal_url(str(data['domain']))}/rest/"
        user_id = _number(data.get("user_id"))
        application_token = data.get("application_token") or data.get("APPLICATION_TOKEN")
        return cls(
            access_token=Secret(str(access)),
            refresh_token=Secret(str(refresh)),
            expires=expires,
            client_endpoint=endpoint,
            server_endpoint=str(data.get("server_endpoint") or DEFAULT_OAUTH_SERVER),
            domain=str(data.get("domain") or urlsplit(endpoint).netloc),
            member_id=str(data.get("member_id") or ""),
            scope=str(data.get("scope") or ""),
            user_id=int(user_id) if user_id is not None else None,
            application_token=Secret(str(application_token)) if application_token else None,
        )

    def __repr__(self) -> str:
        return (
            f"OAuthTokens(domain={self.domain!r}, expires={self.expires!r}, "
            "access_token=***, refresh_token=***)"
        )


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _check_endpoints(tokens: OAuthTokens) -> None:
    if tokens.client_endpoint:
        check_endpoint(tokens.client_endpoint, "OAuth client_endpoint")
    check_endpoint(tokens.server_endpoint or DEFAULT_OAUTH_SERVER, "OAuth server_endpoint")


TokenCallback = Callable[[OAuthTokens], Awaitable[None] | None]


class OAuthAuth:
    """An OAuth application's tokens, refreshed once at a time when they expire."""

    def __init__(
        self,
        tokens: OAuthTokens,
        *,
        client_id: str,
        client_secret: str,
        on_token_refresh: TokenCallback | None = None,
        token_store: TokenStore | AsyncTokenStore | None = None,
        member_id: str = "",
    ) -> None:
        if not tokens.client_endpoint:
            raise SdkError("OAuth tokens need a client_endpoint or a domain", code="SDK_BAD_AUTH")
        if token_store is not None and not member_id:
            raise SdkError("a token store needs the portal's member_id", code="SDK_BAD_AUTH")
        _check_endpoints(tokens)
        self.tokens = tokens
        self.client_id = client_id
        self.client_secret = Secret(client_secret)
        self.on_token_refresh = on_token_refresh
        self.token_store = token_store
        self.member_id = member_id
        self.thread_lock = threading.Lock()
        self.generation = 0

    def base_url(self, api: ApiVersion) -> str:
        endpoint = self.tokens.client_endpoint.rstrip("/")
        return endpoint if api == 2 else f"{endpoint}/api"

    def body_auth(self) -> str | None:
        return self.tokens.access_token.reveal()

    def secrets(self) -> tuple[str, ...]:
        application = self.tokens.application_token
        return (
            self.tokens.access_token.reveal(),
            self.tokens.refresh_token.reveal(),
            self.client_secret.reveal(),
            *((application.reveal(),) if application else ()),
        )

    @property
    def domain(self) -> str:
        return self.tokens.domain or urlsplit(self.tokens.client_endpoint).netloc

    def is_expired(self, now: float) -> bool:
        return self.tokens.expires is not None and self.tokens.expires <= now

    def refresh_request(self, timeout: float | None) -> HttpRequest:
        """The form POST that trades the refresh token for a new pair."""
        server = self.tokens.server_endpoint or DEFAULT_OAUTH_SERVER
        parts = urlsplit(server)
        body = urlencode(
            {
                "grant_type": "refresh_token",
                "client_id": self.client_id,
                "client_secret": self.client_secret.reveal(),
                "refresh_token": self.tokens.refresh_token.reveal(),
            }
        )
        return HttpRequest(
            url=f"{parts.scheme}://{parts.netloc}/oauth/token/",
            content=body.encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
            timeout=timeout,
        )

    def apply_refresh(self, answer: HttpAnswer, *, now: float) -> OAuthTokens:
        """Store the tokens of a refresh answer, or raise :class:`TokenRefreshError`."""
        try:
            data = loads(answer.content)
        except (ValueError, UnicodeDecodeError):
            data = None
        if not isinstance(data, dict) or answer.status != 200 or data.get("error"):
            code = "TOKEN_REFRESH_FAILED"
            description = f"the OAuth server answered HTTP {answer.status}"
            if isinstance(data, dict) and data.get("error"):
                code = str(data["error"])
                detail = scrub(str(data.get("error_description") or ""), self.secrets())
                description += f": {detail}" if detail else ""
            raise TokenRefreshError(code, description, status=answer.status)
        fresh = OAuthTokens.from_payload(data, now=now)
        try:
            _check_endpoints(fresh)
        except ValueError as exc:
            raise TokenRefreshError(
                "INVALID_TOKEN_ANSWER", str(exc), status=answer.status
            ) from None
        self.tokens = replace(
            fresh,
            client_endpoint=fresh.client_endpoint or self.tokens.client_endpoint,
            domain=fresh.domain or self.tokens.domain,
            member_id=fresh.member_id or self.tokens.member_id,
            application_token=fresh.application_token or self.tokens.application_token,
        )
        self.generation += 1
        return self.tokens

    def adopt(self, tokens: OAuthTokens) -> None:
        """Use a pair refreshed elsewhere (read from the token store)."""
        self.tokens = tokens
        self.generation += 1

    def __repr__(self) -> str:
        return f"OAuthAuth(domain={self.domain!r}, client_id={self.client_id!r}, tokens=***)"


Auth = WebhookAuth | OAuthAuth
