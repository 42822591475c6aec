"""The fake portal: auth, routing, envelopes, limits, faults and statistics (batches: .batch).

One :class:`FakePortal` owns the data and answers :class:`Request` objects with
:class:`Response` objects (or a :class:`Fault`). The in-process httpx transport
(:mod:`.transport`) and the loopback HTTP server (:mod:`.server`) are thin adapters over
:meth:`FakePortal.handle`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import json
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .clock import Clock, RealClock
from .crm import TZ, CrmStore
from .errors import V3_PREFIX, ApiError, method_not_found, v3_error
from .events import EventHub
from .faults import Fault, Faults
from .latency import LatencyProfile, Schedule
from .limits import Limits
from .phpqs import parse_str, php_to_json
from .tasks import TaskStore
from .userfields import UserFields
from .users import UserStore

if TYPE_CHECKING:
    import ssl

    import httpx

    from .schemas import SchemaRegistry
    from .transport import PortalTransport

__all__ = ["Answer", "Ctx", "FakePortal", "OAuthApp", "Request", "Response", "Stats"]

OAUTH_HOST = "oauth.bitrix.info"
ALL_SCOPES = frozenset(
    {"crm", "task", "user", "user_brief", "user_basic", "department", "im", "disk", "calendar",
     "lists", "log", "sonet_group", "telephony", "entity", "placement", "bizproc", "catalog",
     "sale", "timeman", "main", "mail", "humanresources", "landing", "imopenlines", "booking",
     "ai_admin", "biconnector", "documentgenerator", "userfieldconfig", "vote", "sign",
     "rpa", "pay_system", "delivery", "cashbox", "messageservice", "rest"}
)  # fmt: skip


class _AllScopes(frozenset[str]):
    """Every scope, including ones this module does not list (schema-driven methods)."""

    def __contains__(self, item: object) -> bool:
        return True


EVERY_SCOPE = _AllScopes(ALL_SCOPES)


@dataclass
class Request:
    """A transport-neutral HTTP request."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes = b""

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def query(self) -> str:
        return urlsplit(self.url).query


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Answer:
    """A handler result with optional list paging data (``total``/``next`` for REST v2)."""

    result: Any
    total: int | None = None
    start: int = 0

    @property
    def next(self) -> int | None:
        if self.total is None:
            return None
        nxt = self.start + 50
        return nxt if nxt < self.total else None


@dataclass
class Ctx:
    portal: FakePortal
    api: int
    user_id: int
    identity: str
    scopes: frozenset[str]
    method: str
    headers: Mapping[str, str]


Handler = Callable[[Ctx, dict[str, Any]], Any]


@dataclass
class MethodDef:
    name: str
    handler: Handler
    scopes: tuple[str, ...]
    write: bool = False
    # REST 3.0: (params, result) JSON Schemas for rest.documentation.openapi
    openapi: tuple[dict[str, Any], dict[str, Any]] | None = None


@dataclass
class Webhook:
    user_id: int
    secret: str
    scopes: frozenset[str]


@dataclass(frozen=True)
class OAuthApp:
    client_id: str
    client_secret: str


@dataclass
class Token:
    app: OAuthApp
    user_id: int
    scopes: frozenset[str]
    access_token: str
    refresh_token: str
    expires_at: float
    expires_in: int


IDEMPOTENCY_SECONDS = 86400  # how long a REST 3.0 answer is replayed for its Idempotency-Key
STATS_KEYS = 2000  # distinct method names counted one by one; the rest count as "(other)"


class _BoundedCounter(Counter[Any]):
    """A counter that holds at most :data:`STATS_KEYS` keys, each at most 100 characters: a
    stream of made-up method names cannot grow it without end."""

    def __missing__(self, key: Any) -> int:
        return 0

    def __setitem__(self, key: Any, value: int) -> None:
        if isinstance(key, str):
            key = key[:100]
        if key not in self and len(self) >= STATS_KEYS:
            key = "(other)"
        super().__setitem__(key, value)


class Stats:
    """HTTP request counters. ``requests``: all HTTP requests; ``by_method``: per REST method
    named in the URL (``batch`` counts once); ``calls``: per method including batch commands.
    Each keeps at most ``STATS_KEYS`` names.

    ``server_time``: seconds of server time the latency profile charged, in all and
    ``by_client`` (``webhook:{user}:{digest}`` or ``app:{client_id}:{user}``, never a secret);
    ``in_flight_peak``: the most requests the portal held at once."""

    def __init__(self) -> None:
        self.requests = 0
        self.by_method: Counter[str] = _BoundedCounter()
        self.calls: Counter[str] = _BoundedCounter()
        self.by_status: Counter[int] = _BoundedCounter()
        self.oauth_requests = 0
        self.server_time = 0.0
        self.server_time_by_client: dict[str, float] = {}
        self.in_flight = 0
        self.in_flight_peak = 0

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]

    def __getitem__(self, method: str) -> int:
        return self.by_method[method]

    @property
    def total(self) -> int:
        return self.requests

    def __repr__(self) -> str:
        return f"Stats(requests={self.requests}, by_method={dict(self.by_method)})"


def client_label(identity: str) -> str:
    """A name for the caller behind ``identity`` that holds no secret."""
    kind, _, rest = identity.partition(":")
    if kind != "hook":
        return identity
    digest = hashlib.sha256(rest.encode()).hexdigest()[:8]
    return f"webhook:{digest}"


def page_params(p: Mapping[str, Any]) -> tuple[int, bool]:
    """(offset, with_total) from a v2 ``start`` parameter; ``start=-1`` turns the count off."""
    raw = p.get("start", p.get("START", 0))
    try:
        start = int(raw)
    except (TypeError, ValueError):
        start = 0
    if start == -1:
        return 0, False
    return max(0, start), True


def php_json(value: Any) -> Any:
    """Maps with keys "0".."n-1" become lists and empty maps ``[]``, as ``json_encode`` does."""
    if isinstance(value, dict):
        if not value:
            return []
        keys = list(value)
        if keys == [str(i) for i in range(len(keys))]:
            return list(value.values())
        return value
    return value


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


_PATH = re.compile(
    r"^/rest(?P<api>/api)?/(?:(?P<user>\d+)/(?P<secret>[^/]+)/)?(?P<method>[^/]+)/?$"
)
_READ_SUFFIXES = (".get", ".list", ".tail", ".fields", ".getFields", ".openapi", ".aggregate")


class FakePortal:
    """A fake Bitrix24 portal. See the package docstring for the public surface."""

    def __init__(
        self,
        domain: str = "portal.example.bitrix24.com",
        *,
        seed: int = 0,
        clock: Clock | None = None,
        schemas_dir: str | Path | None = None,
        latency: LatencyProfile | None = None,
        webhook_secret: str | None = None,
    ) -> None:
        self.domain = domain
        self.seed = seed
        self.clock: Clock = clock or RealClock()
        self.member_id = hashlib.md5(f"{domain}:{seed}".encode(), usedforsecurity=False).hexdigest()
        self.stats = Stats()
        self.limits = Limits(self.clock)
        self.faults = Faults()
        self.lock = threading.RLock()
        self._flight_lock = threading.Lock()
        self.latency = latency or LatencyProfile.loopback()
        self._request_server_time = 0.0
        # False answers every REST call with 403 ACCESS_DENIED, as a portal on a free plan does
        self.rest_available = True
        # True: webhooks over plain http fail as on a real portal (off: the loopback is http)
        self.require_https = False
        self._v2: dict[str, MethodDef] = {}
        self._v3: dict[str, MethodDef] = {}
        self._webhooks: dict[str, Webhook] = {}
        self._apps: dict[str, OAuthApp] = {}
        self._tokens: dict[str, Token] = {}
        self._refresh: dict[str, Token] = {}
        # (identity, method, key) -> (body digest, stored answer, stored at); kept 24 hours
        self._idempotency: dict[tuple[str, str, str], tuple[str, Response, float]] = {}
        self._schemas_dir = Path(schemas_dir) if schemas_dir is not None else None
        self._schemas: SchemaRegistry | None = None
        self.userfields = UserFields(self)
        self.users = UserStore(self)
        self.crm = CrmStore(self, self.userfields)
        self.tasks = TaskStore(self)
        self.events = EventHub(self)
        self.crm.register(self)
        self.users.register(self)
        self.tasks.register(self)
        self.events.register(self)
        # The address applications are given as client_endpoint and server_endpoint (tokens,
        # events); None means https://{domain} and the OAuth server. Set it to serve()'s URL when
        # an application calls back over loopback (its token refreshes then come here too).
        self.public_url: str | None = None
        self._register_basics()
        # The seed fixes the data, not the credentials: a portal served on a port gets fresh
        # secrets every run unless the caller names one.
        self.webhook_url = self.add_webhook(1, secret=webhook_secret)

    # -- registration ---------------------------------------------------------------------
    def register_v2(
        self, name: str, handler: Handler, scope: str | tuple[str, ...] = (), *, write: bool = False
    ) -> None:
        scopes = (scope,) if isinstance(scope, str) else scope
        if name.startswith("user.") and scopes == ("user",):
            scopes = ("user", "user_basic", "user_brief")
        self._v2[name.lower()] = MethodDef(name, handler, scopes, write)

    def register_v3(
        self,
        name: str,
        handler: Handler,
        scope: str | tuple[str, ...] = (),
        *,
        write: bool = False,
        openapi: tuple[dict[str, Any], dict[str, Any]] | None = None,
    ) -> None:
        """A REST 3.0 method; ``openapi``: its (params, result) JSON Schemas, published by
        ``rest.documentation.openapi``."""
        scopes = (scope,) if isinstance(scope, str) else scope
        self._v3[name.lower()] = MethodDef(name, handler, scopes, write, openapi)

    def seed_variety(self) -> None:
        """User fields of every type on every entity, two smart processes and REST 3.0 methods
        with schemas of their own (see :mod:`b24typed.testing.variety`)."""
        from .variety import seed_variety

        seed_variety(self)

    def _register_basics(self) -> None:
        self.register_v2(
            "server.time",
            lambda c, p: datetime.fromtimestamp(self.clock.now(), TZ).isoformat(timespec="seconds"),
        )
        self.register_v2("profile", self._profile)
        self.register_v2("scope", self._scope)
        self.register_v2("methods", self._methods)
        self.register_v2("methods.get", self._methods)
        self.register_v2("method.get", self._method_get)
        self.register_v2("app.info", self._app_info)
        self.register_v3("rest.documentation.openapi", self._openapi)
        self.register_v3("documentation", self._openapi)
        self.register_v3("rest.scope.list", self._scope_list)

    # -- auth setup -----------------------------------------------------------------------
    def _secret(self, length: int = 16) -> str:
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
        return "".join(secrets.choice(alphabet) for _ in range(length))

    def add_webhook(
        self,
        user_id: int = 1,
        scopes: list[str] | tuple[str, ...] | None = None,
        *,
        secret: str | None = None,
    ) -> str:
        """Create an inbound webhook; returns its URL ``https://{domain}/rest/{user}/{secret}/``."""
        with self.lock:
            if user_id != 1 and not self.users.exists(user_id):
                self.users.seed(user_id - len(self.users.table))
            secret = secret or self._secret()
            granted = frozenset(scopes) if scopes is not None else EVERY_SCOPE
            self._webhooks[secret] = Webhook(user_id, secret, granted)
            return f"https://{self.domain}/rest/{user_id}/{secret}/"

    def oauth_app(
        self,
        client_id: str = "local.app",
        client_secret: str = "app-secret",  # noqa: S107
    ) -> OAuthApp:
        app = OAuthApp(client_id, client_secret)
        self._apps[client_id] = app
        return app

    def issue_tokens(
        self,
        app: OAuthApp,
        user_id: int = 1,
        scopes: list[str] | tuple[str, ...] | None = None,
        expires_in: int = 3600,
    ) -> dict[str, Any]:
        """Issue an access/refresh token pair as the OAuth server would after installation."""
        with self.lock:
            self._apps.setdefault(app.client_id, app)
            granted = frozenset(scopes) if scopes is not None else EVERY_SCOPE
            return self._new_token(app, user_id, granted, expires_in)

    def _new_token(
        self, app: OAuthApp, user_id: int, scopes: frozenset[str], expires_in: int
    ) -> dict[str, Any]:
        token = Token(
            app, user_id, scopes, self._secret(32), self._secret(32),
            self.clock.now() + expires_in, expires_in,
        )  # fmt: skip
        self._tokens[token.access_token] = token
        self._refresh[token.refresh_token] = token
        return self._token_answer(token)

    def _token_answer(self, token: Token) -> dict[str, Any]:
        return {
            "access_token": token.access_token,
            "expires": int(token.expires_at),
            "expires_in": token.expires_in,
            "scope": ",".join(sorted(token.scopes)),
            "domain": self.domain,
            "server_endpoint": self.rest_endpoint()
            if self.public_url
            else f"https://{OAUTH_HOST}/rest/",
            "status": "L",
            "client_endpoint": self.rest_endpoint(),
            "member_id": self.member_id,
            "user_id": token.user_id,
            "refresh_token": token.refresh_token,
        }

    def rest_endpoint(self) -> str:
        """The ``client_endpoint`` applications are given: ``{public_url or https://domain}/rest/``."""
        return f"{(self.public_url or f'https://{self.domain}').rstrip('/')}/rest/"

    def expire_token(self, access_token: str) -> None:
        with self.lock:
            token = self._tokens.get(access_token)
            if token is not None:
                token.expires_at = self.clock.now() - 1

    # -- adapters -------------------------------------------------------------------------
    def transport(self) -> PortalTransport:
        from .transport import PortalTransport

        return PortalTransport(self)

    def client(self, **kw: Any) -> httpx.Client:
        import httpx

        return httpx.Client(transport=self.transport(), **kw)

    def async_client(self, **kw: Any) -> httpx.AsyncClient:
        import httpx

        return httpx.AsyncClient(transport=self.transport(), **kw)

    @contextlib.contextmanager
    def serve(
        self,
        port: int = 0,
        host: str = "127.0.0.1",
        *,
        ssl_context: ssl.SSLContext | None = None,
        idle_timeout: float = 30.0,
    ) -> Iterator[str]:
        """Run the loopback HTTP server in a thread; yields ``http://127.0.0.1:PORT``.

        With ``ssl_context`` (a server-side context holding a certificate) it speaks HTTPS and
        yields ``https://...``, for clients that insist on https webhook URLs. A connection idle
        for ``idle_timeout`` seconds is closed."""
        from .server import start_server

        server, thread = start_server(
            self, host, port, ssl_context=ssl_context, idle_timeout=idle_timeout
        )
        scheme = "https" if ssl_context is not None else "http"
        try:
            yield f"{scheme}://{host}:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

    def serve_webhook_url(self, base_url: str, user_id: int = 1) -> str:
        """The default webhook's URL on a loopback ``base_url``."""
        path = urlsplit(self.webhook_url).path
        if user_id != 1:
            for hook in self._webhooks.values():
                if hook.user_id == user_id:
                    path = f"/rest/{user_id}/{hook.secret}/"
                    break
        return base_url.rstrip("/") + path

    @property
    def schemas(self) -> SchemaRegistry:
        if self._schemas is None:
            from .schemas import SchemaRegistry

            self._schemas = SchemaRegistry(self._schemas_dir)
        return self._schemas

    # -- request handling -----------------------------------------------------------------
    @property
    def latency(self) -> LatencyProfile:
        """The latency profile (set it to change how long answers take)."""
        return self._schedule.profile

    @latency.setter
    def latency(self, profile: LatencyProfile) -> None:
        self._schedule = Schedule(profile)

    def handle(self, req: Request) -> Response | Fault:
        """Answer one HTTP request after the latency profile's delay (thread-safe, blocking)."""
        with self._flight():
            started = time.perf_counter()
            out, delay = self.answer(req)
            if delay > 0 and isinstance(self.clock, RealClock):
                # the time spent computing the answer is part of the delay, not added to it
                time.sleep(max(0.0, delay - (time.perf_counter() - started)))
            elif delay > 0:
                self.clock.advance(delay)
        return out

    async def ahandle(self, req: Request) -> Response | Fault:
        """:meth:`handle` for asyncio: the delay is awaited, not slept."""
        with self._flight():
            started = time.perf_counter()
            out, delay = self.answer(req)
            if delay > 0 and isinstance(self.clock, RealClock):
                await asyncio.sleep(max(0.0, delay - (time.perf_counter() - started)))
            elif delay > 0:
                self.clock.advance(delay)
                await asyncio.sleep(0)
        return out

    @contextlib.contextmanager
    def _flight(self) -> Iterator[None]:
        with self._flight_lock:
            self.stats.in_flight += 1
            self.stats.in_flight_peak = max(self.stats.in_flight_peak, self.stats.in_flight)
        try:
            yield
        finally:
            with self._flight_lock:
                self.stats.in_flight -= 1

    def answer(self, req: Request) -> tuple[Response | Fault, float]:
        """The answer to one HTTP request and how long it takes to arrive (no waiting)."""
        now = self.clock.now()
        with self.lock:
            self._request_server_time = 0.0
            out = self._answer(req)
            server_time = self._request_server_time
        return out, self._schedule.delay(now, server_time)

    def _answer(self, req: Request) -> Response | Fault:
        path = req.path
        if req.host == OAUTH_HOST or path.rstrip("/") == "/oauth/token":
            with self.lock:
                self.stats.oauth_requests += 1
                return self._oauth(req)
        m = _PATH.match(path)
        method = m.group("method") if m else ""
        if method.endswith(".json"):
            method = method[: -len(".json")]
        with self.lock:
            self.stats.requests += 1
            self.stats.by_method[method] += 1
            fault = self.faults.pick(method)
        if fault is not None and not fault.after and fault.kind != "truncated":
            early = fault_response(fault)
            if early is not None:
                with self.lock:
                    self.stats.by_status[early.status] += 1
            return early or fault
        with self.lock:
            if m is None:
                resp = self._json(404, {"error": "ERROR_METHOD_NOT_FOUND",
                                        "error_description": "Method not found!"})  # fmt: skip
            else:
                resp = self._handle_rest(req, m, method)
            self.stats.by_status[resp.status] += 1
        if fault is not None:
            if fault.kind == "truncated":
                return Response(200, resp.body[: max(1, len(resp.body) // 2)], resp.headers)
            return fault_response(fault) or fault
        return resp

    @staticmethod
    def _json(status: int, data: Any, headers: dict[str, str] | None = None) -> Response:
        hdrs = {"content-type": "application/json; charset=utf-8"}
        if headers:
            hdrs.update(headers)
        return Response(status, _dumps(data), hdrs)

    def _error(self, api: int, err: ApiError) -> Response:
        body = err.v3_body() if api == 3 and err.v3_code is not None else err.v2_body()
        if api == 3 and err.v3_code is None and err.code.startswith(V3_PREFIX):
            body = {"error": {"code": err.code, "message": err.description}}
        return self._json(err.status, body)

    def _params(self, req: Request, api: int) -> dict[str, Any]:
        ctype = req.headers.get("content-type", "").lower()
        body = req.body
        if api == 3:
            if not body.strip():
                return {}
            if "json" not in ctype and ctype:
                raise v3_error("INVALIDJSONEXCEPTION", "The request body is not valid JSON")
            try:
                data = json.loads(body)
            except ValueError:
                raise v3_error(
                    "INVALIDJSONEXCEPTION", "The request body is not valid JSON"
                ) from None
            if isinstance(data, list):
                return {"__list__": data}
            if not isinstance(data, dict):
                raise v3_error("INVALIDJSONEXCEPTION", "The request body is not valid JSON")
            return data
        params: dict[str, Any] = php_to_json(parse_str(req.query)) if req.query else {}
        if not isinstance(params, dict):
            params = {}
        if body.strip():
            if "json" in ctype or (not ctype and body.lstrip()[:1] in (b"{", b"[")):
                try:
                    data = json.loads(body)
                except ValueError:
                    raise ApiError(
                        "INVALID_REQUEST", "Invalid JSON in the request body", 400
                    ) from None
                if isinstance(data, dict):
                    params.update(data)
            else:
                data = php_to_json(parse_str(body))
                if isinstance(data, dict):
                    params.update(data)
        return params

    def _authenticate(
        self, m: re.Match[str], params: dict[str, Any], api: int, scheme: str
    ) -> tuple[int, str, frozenset[str]]:
        # REST 3.0 answers every webhook authentication failure with one code (401)
        v3_denied = v3_error("ACCESSDENIEDEXCEPTION", "Access denied", 401)
        if m.group("user") is not None:
            hook = self._webhooks.get(m.group("secret"))
            if hook is None or str(hook.user_id) != m.group("user"):
                if api == 3:
                    raise v3_denied
                raise ApiError("INVALID_CREDENTIALS", "Invalid request credentials", 401)
            if self.require_https and scheme != "https":
                if api == 3:
                    raise v3_denied
                raise ApiError("INVALID_REQUEST", "Https required.", 401)
            return hook.user_id, f"hook:{hook.secret}", hook.scopes
        auth = params.pop("auth", None)
        if auth is None:
            auth = params.pop("access_token", None)
        if not auth:
            if api == 3:
                raise v3_denied
            raise ApiError("NO_AUTH_FOUND", "Wrong authorization data", 401)
        token = self._tokens.get(str(auth))
        if token is None:
            raise ApiError("invalid_token", "Unable to authenticate user", 401)
        if token.expires_at <= self.clock.now():
            raise ApiError("expired_token", "The access token provided has expired.", 401)
        return token.user_id, f"app:{token.app.client_id}:{token.user_id}", token.scopes

    def _lookup(self, api: int, method: str) -> MethodDef | None:
        table = self._v3 if api == 3 else self._v2
        found = table.get(method.lower())
        if found is not None:
            return found
        schema = self.schemas.get(api, method)
        if schema is None:
            return None
        return MethodDef(schema.method, schema.handler, tuple(schema.scopes), schema.write)

    def _handle_rest(self, req: Request, m: re.Match[str], method: str) -> Response:
        api = 3 if m.group("api") else 2
        started = self.clock.now()
        perf = time.perf_counter()
        try:
            params = self._params(req, api)
            if api == 3 and "auth" not in params and m.group("user") is None and req.query:
                query_auth = parse_str(req.query).get("auth")
                if query_auth:
                    params["auth"] = query_auth
            scheme = urlsplit(req.url).scheme
            user_id, identity, scopes = self._authenticate(m, params, api, scheme)
            if not self.rest_available:
                raise ApiError(
                    "ACCESS_DENIED", "REST API is available only on commercial plans", 403
                )
            if not self.limits.take_request():
                raise ApiError("QUERY_LIMIT_EXCEEDED", "Too many requests", 503)
            ctx = Ctx(self, api, user_id, identity, scopes, method, req.headers)
            if method.lower() == "batch":
                from .batch import batch_v2, batch_v3

                result = (batch_v3 if api == 3 else batch_v2)(self, ctx, params)
                return self._success(api, result, started, perf, identity, "batch", cost=0.0)
            mdef = self._lookup(api, method)
            if mdef is None:
                raise method_not_found(method)
            idem = req.headers.get("idempotency-key")
            if api == 3 and idem is not None and self._is_write(mdef):
                return self._idempotent(ctx, mdef, params, idem, req, started, perf)
            answer, cost = self._call(ctx, mdef, params)
            return self._success(api, answer, started, perf, identity, mdef.name, cost=cost)
        except ApiError as err:
            return self._error(api, err)

    @staticmethod
    def _is_write(mdef: MethodDef) -> bool:
        return mdef.write or not mdef.name.endswith(_READ_SUFFIXES)

    def _check_access(self, ctx: Ctx, mdef: MethodDef) -> None:
        if mdef.scopes and not any(s in ctx.scopes for s in mdef.scopes):
            if ctx.api == 3:
                raise v3_error(
                    "INSUFFICIENTSCOPEEXCEPTION",
                    "The request requires higher privileges than provided by the webhook token",
                    403,
                )
            raise ApiError(
                "insufficient_scope",
                "The request requires higher privileges than provided by the webhook token",
                403,
            )
        if self.limits.operating_blocked(ctx.identity, mdef.name):
            raise ApiError(
                "OPERATION_TIME_LIMIT",
                f"Method is blocked due to operation time limit. Method: {mdef.name}",
                429,
            )

    def _call(self, ctx: Ctx, mdef: MethodDef, params: dict[str, Any]) -> tuple[Any, float]:
        """Run one method (scope and operating checks included); returns (answer, cost)."""
        self._check_access(ctx, mdef)
        self.stats.calls[mdef.name] += 1
        perf = time.perf_counter()
        answer = mdef.handler(ctx, params)
        measured = time.perf_counter() - perf
        self.events.changed(ctx, mdef.name, params, answer)
        modeled = self._server_time(answer)
        if modeled > 0:
            self._request_server_time += modeled
            self.stats.server_time += modeled
            by_client = self.stats.server_time_by_client
            label = client_label(ctx.identity)
            by_client[label] = by_client.get(label, 0.0) + modeled
        cost = self.limits.cost_of(mdef.name, params, modeled or measured)
        self.limits.record(ctx.identity, mdef.name, cost)
        return answer, cost

    def _server_time(self, answer: Any) -> float:
        """The latency profile's server time for one command's answer."""
        if isinstance(answer, Answer):
            return self.latency.command_time(start=answer.start, counted=answer.total)
        return self.latency.command_time()

    def _time_block(
        self, started: float, perf: float, identity: str, method: str
    ) -> dict[str, Any]:
        processing = time.perf_counter() - perf
        finish = max(self.clock.now(), started + processing)
        operating, reset_at = self.limits.operating_of(identity, method)
        return {
            "start": round(started, 6),
            "finish": round(finish, 6),
            "duration": finish - started,
            "processing": processing,
            "date_start": datetime.fromtimestamp(started, TZ).isoformat(timespec="seconds"),
            "date_finish": datetime.fromtimestamp(finish, TZ).isoformat(timespec="seconds"),
            "operating_reset_at": int(reset_at),
            "operating": operating,
        }

    def _success(  # noqa: PLR0917
        self,
        api: int,
        answer: Any,
        started: float,
        perf: float,
        identity: str,
        method: str,
        *,
        cost: float,
    ) -> Response:
        if isinstance(answer, RawAnswer):
            return self._json(200, answer.body)
        body: dict[str, Any] = {}
        if isinstance(answer, Answer):
            body["result"] = answer.result
            if api == 2 and answer.total is not None:
                if answer.next is not None:
                    body["next"] = answer.next
                body["total"] = answer.total
        else:
            body["result"] = answer
        body["time"] = self._time_block(started, perf, identity, method)
        return self._json(200, body)

    def _idempotent(  # noqa: PLR0917
        self,
        ctx: Ctx,
        mdef: MethodDef,
        params: dict[str, Any],
        key: str,
        req: Request,
        started: float,
        perf: float,
    ) -> Response:
        if not (1 <= len(key) <= 255) or not all(32 < ord(c) < 127 for c in key):
            raise v3_error(
                "INVALIDIDEMPOTENCYKEYEXCEPTION",
                "The Idempotency-Key header must be 1 to 255 printable ASCII characters",
                400,
            )
        slot = (ctx.identity, mdef.name, key)
        digest = hashlib.sha256(
            json.dumps(params, sort_keys=True, default=str).encode()
        ).hexdigest()
        stored = self._idempotency.get(slot)
        if stored is not None and stored[2] + IDEMPOTENCY_SECONDS <= self.clock.now():
            stored = None
        if stored is not None:
            if stored[0] != digest:
                raise v3_error(
                    "IDEMPOTENCYKEYREUSEDEXCEPTION",
                    "The Idempotency-Key was already used with a different request body",
                    422,
                )
            old = stored[1]
            return Response(
                old.status, old.body,
                {**old.headers, "idempotency-key": key, "idempotent-replayed": "true"},
            )  # fmt: skip
        answer, cost = self._call(ctx, mdef, params)
        resp = self._success(3, answer, started, perf, ctx.identity, mdef.name, cost=cost)
        resp.headers["idempotency-key"] = key
        self._purge_idempotency()
        self._idempotency[slot] = (digest, resp, self.clock.now())
        return resp

    def _purge_idempotency(self) -> None:
        """Forget answers stored more than 24 hours ago (they are kept in arrival order)."""
        expired = self.clock.now() - IDEMPOTENCY_SECONDS
        for slot, (_, _, stored_at) in list(self._idempotency.items()):
            if stored_at > expired:
                break
            del self._idempotency[slot]

    # -- oauth ----------------------------------------------------------------------------
    def _oauth(self, req: Request) -> Response:
        form: dict[str, Any] = parse_str(req.query) if req.query else {}
        if req.body.strip():
            if req.body.lstrip()[:1] == b"{":
                with contextlib.suppress(ValueError):
                    form.update(json.loads(req.body))
            else:
                form.update(parse_str(req.body))
        if form.get("grant_type") != "refresh_token":
            return self._json(
                400,
                {"error": "unsupported_grant_type", "error_description": "Use refresh_token"},
            )
        app = self._apps.get(str(form.get("client_id", "")))
        if app is None or app.client_secret != form.get("client_secret"):
            return self._json(401, {"error": "invalid_client",
                                    "error_description": "Invalid client credentials"})  # fmt: skip
        old = self._refresh.pop(str(form.get("refresh_token", "")), None)
        if old is None or old.app.client_id != app.client_id:
            return self._json(400, {"error": "invalid_grant",
                                    "error_description": "Invalid refresh token"})  # fmt: skip
        self._tokens.pop(old.access_token, None)
        answer = self._new_token(app, old.user_id, old.scopes, old.expires_in)
        parts = urlsplit(req.url)
        if req.host != OAUTH_HOST and _is_loopback(req.host):
            # reached on the loopback server: the new pair points there, not at the domain
            answer["client_endpoint"] = f"{parts.scheme}://{parts.netloc}/rest/"
            answer["server_endpoint"] = f"{parts.scheme}://{parts.netloc}/rest/"
        return self._json(200, answer)

    # -- basic methods --------------------------------------------------------------------
    def _profile(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        row = self.users.table.get(ctx.user_id) or {}
        return {
            "ID": str(ctx.user_id),
            "ADMIN": ctx.user_id == 1,
            "NAME": row.get("NAME", ""),
            "LAST_NAME": row.get("LAST_NAME", ""),
            "PERSONAL_GENDER": "",
            "TIME_ZONE": "",
            "TIME_ZONE_OFFSET": 10800,
        }

    def _scope(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        if p.get("full") in {True, "true", "1"}:
            return sorted(ALL_SCOPES)
        return sorted(ctx.scopes)

    def _methods(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        scope = p.get("scope")
        names = []
        for mdef in self._all_methods(2):
            in_scope = scope is None or scope in mdef.scopes or (scope == "" and not mdef.scopes)
            if in_scope and (
                p.get("full") in {True, "true", "1"}
                or not mdef.scopes
                or any(s in ctx.scopes for s in mdef.scopes)
            ):
                names.append(mdef.name)
        names.append("batch")
        return sorted(set(names))

    def _all_methods(self, api: int) -> list[MethodDef]:
        """Hand-written methods plus the ones known from schemas/."""
        table = self._v3 if api == 3 else self._v2
        found = dict(table)
        for sm in self.schemas.methods(api):
            found.setdefault(sm.method.lower(), MethodDef(sm.method, sm.handler, tuple(sm.scopes)))
        return list(found.values())

    def _method_get(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        name = str(p.get("name", ""))
        mdef = self._lookup(2, name)
        if mdef is None:
            return {"isExisting": False, "isAvailable": False}
        available = not mdef.scopes or any(s in ctx.scopes for s in mdef.scopes)
        return {"isExisting": True, "isAvailable": available}

    def _app_info(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        return {
            "ID": 1,
            "CODE": ctx.identity.split(":")[1] if ctx.identity.startswith("app:") else "",
            "VERSION": 1,
            "STATUS": "L",
            "INSTALLED": True,
            "PAYMENT_EXPIRED": "N",
            "DAYS": None,
            "LICENSE": "ru_project",
            "LICENSE_TYPE": "project",
            "LICENSE_FAMILY": "project",
        }

    def _openapi(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        return RawAnswer(self.schemas.openapi(self._v3))

    def _scope_list(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        mapping: dict[str, list[str]] = {}
        for mdef in self._all_methods(3):
            for scope in mdef.scopes:
                mapping.setdefault(scope, []).append(mdef.name)
        return {"items": [{"scope": s, "methods": sorted(m)} for s, m in sorted(mapping.items())]}


@dataclass
class RawAnswer:
    """A bare body without the ``{result, time}`` envelope (``rest.documentation.openapi``)."""

    body: Any


_FAULT_BODIES: dict[str, tuple[int, str, bytes]] = {
    "503": (503, "application/json", _dumps(
        {"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"})),
    "429": (429, "application/json", _dumps(
        {"error": "OPERATION_TIME_LIMIT", "error_description": "Method is blocked due to "
         "operation time limit."})),
    "500": (500, "application/json", _dumps(
        {"error": "INTERNAL_SERVER_ERROR", "error_description": "Internal server error"})),
    "html502": (502, "text/html", b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n"
                b"<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
                b"<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"),
}  # fmt: skip


def fault_response(fault: Fault) -> Response | None:
    """The HTTP answer for an answer-shaped fault kind; None for connection-level kinds."""
    entry = _FAULT_BODIES.get(fault.kind)
    if entry is None:
        return None
    status, ctype, body = entry
    return Response(status, body, {"content-type": ctype})
