"""Events on the fake portal: ``event.bind``/``unbind``/``get``, outbound event POSTs, offline
events, and the requests a portal makes to an application (install, placement).

When a REST call changes a deal, contact, lead, company, CRM item, task or user, every handler an
application bound to that event gets the documented payload, form-encoded as PHP sends it and
signed with the application's token, POSTed from a background thread (a handler may call the
portal back). Handlers bound with ``event_type=offline`` get nothing: the event waits in the
queue that ``event.offline.get`` reads.

    app = portal.oauth_app("local.app", "secret")
    portal.public_url = base_url                       # client_endpoint the app is given
    portal.events.install(app, "http://127.0.0.1:8000/install")   # POSTs ONAPPINSTALL
    ...                                                # the app binds ONCRMDEALADD, a deal is added
    portal.events.flush()                              # wait until every POST was made
    portal.events.sent                                 # [Delivery(url, event, status, error)]
    portal.events.open_placement(app, url, "CRM_DEAL_DETAIL_TAB", {"ID": "5"})
"""

from __future__ import annotations

import json
import queue
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from .crm import TZ
from .errors import ApiError
from .phpqs import http_build_query

if TYPE_CHECKING:
    from .portal import Ctx, FakePortal, OAuthApp

__all__ = ["Binding", "Delivery", "EventHub", "Sender"]

Sender = Callable[[str, bytes, Mapping[str, str]], int]
"""Makes one POST (url, form body, headers) and returns the HTTP status."""

_LEGACY_CRM = {"deal": 2, "contact": 3, "lead": 1, "company": 4}
_CRM_NAMES = {etid: name.upper() for name, etid in _LEGACY_CRM.items()}
_ACTIONS = {"add": "ADD", "update": "UPDATE", "delete": "DELETE"}
_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass
class Binding:
    """One ``event.bind`` of an application."""

    id: int
    client_id: str
    event: str
    handler: str
    auth_type: int
    offline: bool
    auth_connector: str
    scopes: frozenset[str]
    min_timeout: float = 1.0  # ONOFFLINEEVENT: seconds between notifications
    notified_at: float | None = None

    def view(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "handler": self.handler,
            "auth_type": str(self.auth_type),
            "offline": int(self.offline),
        }


@dataclass
class Delivery:
    """A POST the portal made to an application: where, which event, and how it went."""

    url: str
    event: str
    status: int | None = None
    error: str | None = None


@dataclass
class _Offline:
    id: int
    client_id: str
    event: str
    data: Any
    connector: str
    timestamp: str
    message_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    process_id: str | None = None
    error: bool = False

    def view(self) -> dict[str, Any]:
        return {
            "ID": str(self.id),
            "TIMESTAMP_X": self.timestamp,
            "EVENT_NAME": self.event,
            "EVENT_DATA": self.data,
            "EVENT_ADDITIONAL": {"user_id": 1},
            "MESSAGE_ID": self.message_id,
        }


def _http_sender(url: str, body: bytes, headers: Mapping[str, str]) -> int:
    import httpx

    with httpx.Client(timeout=10.0) as http:
        return http.post(url, content=body, headers=dict(headers)).status_code


class EventHub:
    """The fake portal's event bindings, outbound queue and offline queue (``portal.events``)."""

    def __init__(self, portal: FakePortal) -> None:
        self._portal = portal
        self.bindings: list[Binding] = []
        self.sent: list[Delivery] = []
        self.sender: Sender = _http_sender
        self._offline: list[_Offline] = []
        self._tokens: dict[str, str] = {}
        self._next_id = 1
        self._outbox: queue.Queue[tuple[str, str, bytes]] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._pending = 0
        self._idle = threading.Condition()

    # -- application side -------------------------------------------------------------------
    def application_token(self, app: OAuthApp) -> str:
        """The token this portal signs the application's events with (made at first use)."""
        with self._portal.lock:
            token = self._tokens.get(app.client_id)
            if token is None:
                token = self._tokens[app.client_id] = self._portal._secret(32)
            return token

    def install(
        self,
        app: OAuthApp,
        handler_url: str,
        *,
        user_id: int = 1,
        scopes: list[str] | tuple[str, ...] | None = None,
    ) -> Delivery:
        """Install ``app``: POST ``ONAPPINSTALL`` with fresh tokens to ``handler_url`` now."""
        tokens = self._portal.issue_tokens(app, user_id=user_id, scopes=scopes)
        payload = {
            "event": "ONAPPINSTALL",
            "data": {"VERSION": "1", "ACTIVE": "Y", "INSTALLED": "Y", "LANGUAGE_ID": "en"},
            "ts": str(int(self._portal.clock.now())),
            "auth": {**tokens, "application_token": self.application_token(app)},
        }
        return self._post(handler_url, "ONAPPINSTALL", http_build_query(payload).encode())

    def open_placement(
        self,
        app: OAuthApp,
        url: str,
        placement: str = "DEFAULT",
        options: Mapping[str, Any] | None = None,
        *,
        user_id: int = 1,
        lang: str = "en",
    ) -> Delivery:
        """A user opens ``app`` in ``placement``: POST what the portal sends to the app's page."""
        tokens = self._portal.issue_tokens(app, user_id=user_id)
        endpoint = self._portal.rest_endpoint()
        query = urlencode(
            {
                "DOMAIN": endpoint.split("://", 1)[1].removesuffix("/rest/"),
                "PROTOCOL": "0" if endpoint.startswith("http://") else "1",
                "LANG": lang,
                "APP_SID": uuid.uuid4().hex,
            }
        )
        body = {
            "AUTH_ID": tokens["access_token"],
            "AUTH_EXPIRES": str(tokens["expires_in"]),
            "REFRESH_ID": tokens["refresh_token"],
            "SERVER_ENDPOINT": tokens["server_endpoint"],
            "APPLICATION_TOKEN": self.application_token(app),
            "APPLICATION_SCOPE": tokens["scope"],
            "member_id": tokens["member_id"],
            "status": "L",
            "PLACEMENT": placement,
            "PLACEMENT_OPTIONS": json.dumps(dict(options or {}), separators=(",", ":")),
        }
        joined = f"{url}{'&' if '?' in url else '?'}{query}"
        return self._post(joined, placement, urlencode(body).encode())

    def _post(self, url: str, event: str, body: bytes) -> Delivery:
        delivery = Delivery(url, event)
        try:
            delivery.status = self.sender(url, body, _FORM)
        except Exception as exc:  # an unreachable handler is recorded, not raised
            delivery.error = type(exc).__name__
        with self._portal.lock:
            self.sent.append(delivery)
        return delivery

    # -- the outbound queue -----------------------------------------------------------------
    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every queued event was POSTed (``TimeoutError`` after ``timeout``)."""
        with self._idle:
            if not self._idle.wait_for(lambda: self._pending == 0, timeout):
                raise TimeoutError(f"{self._pending} events still queued after {timeout}s")

    def _ensure_worker(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._drain, name="fake-portal-events")
            self._worker.daemon = True
            self._worker.start()

    def _drain(self) -> None:
        while True:
            url, event, body = self._outbox.get()
            try:
                self._post(url, event, body)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    # -- REST methods -----------------------------------------------------------------------
    def register(self, portal: FakePortal) -> None:
        reg = portal.register_v2
        reg("event.bind", self._bind, write=True)
        reg("event.unbind", self._unbind, write=True)
        reg("event.get", self._get)
        reg("event.offline.get", self._offline_get, write=True)
        reg("event.offline.list", self._offline_list)
        reg("event.offline.clear", self._offline_clear, write=True)
        reg("event.offline.error", self._offline_error, write=True)

    def _app_of(self, ctx: Ctx) -> str:
        """The calling application; binding needs one (a webhook cannot receive events)."""
        if not ctx.identity.startswith("app:"):
            raise ApiError("WRONG_AUTH_TYPE", "Current authorization type is denied", 401)
        return ctx.identity.split(":")[1]

    @staticmethod
    def _owner(ctx: Ctx) -> str:
        """Whose bindings and queue a call reads: the application, or the webhook itself."""
        return ctx.identity.split(":")[1] if ctx.identity.startswith("app:") else ctx.identity

    def _bind(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        client_id = self._app_of(ctx)
        code, handler = str(p.get("event") or "").upper(), str(p.get("handler") or "")
        offline = str(p.get("event_type") or "online").lower() == "offline"
        if not code.startswith("ON"):
            raise ApiError("ERROR_EVENT_NOT_FOUND", "Event not found", 400)
        if not offline and not handler.startswith(("http://", "https://")):
            raise ApiError("ERROR_HANDLER_URL_MISMATCH", "Wrong handler URL", 400)
        auth_type = _int(p.get("auth_type"))
        if (offline or auth_type not in (0, ctx.user_id)) and ctx.user_id != 1:
            raise ApiError("ACCESS_DENIED", "Access denied!", 403)
        for b in self.bindings:
            same = (b.client_id, b.event, b.handler, b.auth_type, b.offline)
            if same == (client_id, code, handler, auth_type, offline):
                raise ApiError("ERROR_EVENT_HANDLER_ALREADY_EXISTS", "Handler already binded", 400)
        given = p.get("options")
        options: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
        self.bindings.append(
            Binding(
                self._next_id, client_id, code, handler, auth_type, offline,
                str(p.get("auth_connector") or ""), ctx.scopes,
                min_timeout=float(_int(options.get("minTimeout", 1))),
            )
        )  # fmt: skip
        self._next_id += 1
        return True

    def _unbind(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        client_id = self._owner(ctx)
        code, handler = str(p.get("event") or "").upper(), p.get("handler")
        offline = str(p.get("event_type") or "online").lower() == "offline"
        keep = []
        for b in self.bindings:
            hit = b.client_id == client_id and b.event == code and b.offline == offline
            if hit and handler is not None:
                hit = b.handler == handler
            if hit and p.get("auth_type") is not None:
                hit = b.auth_type == _int(p.get("auth_type"))
            if not hit:
                keep.append(b)
        count = len(self.bindings) - len(keep)
        self.bindings = keep
        return {"count": count}

    def _get(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        client_id = self._owner(ctx)
        return [b.view() for b in self.bindings if b.client_id == client_id]

    def _mine(self, ctx: Ctx, p: Mapping[str, Any]) -> list[_Offline]:
        client_id = self._owner(ctx)
        if ctx.user_id != 1:
            raise ApiError("ACCESS_DENIED", "Access denied!", 403)
        connector = str(p.get("auth_connector") or "")
        return [r for r in self._offline if r.client_id == client_id and r.connector == connector]

    def _offline_get(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        records = self._mine(ctx, p)
        clear = str(p.get("clear", "1")) not in ("0", "false", "N")
        want_errors = str(p.get("error", "0")) in ("1", "true", "Y")
        process = str(p.get("process_id") or "")
        limit = max(1, _int(p.get("limit")) or 50)
        if process:
            picked = [r for r in records if r.process_id == process]
        else:
            picked = [r for r in records if r.process_id is None and r.error == want_errors]
        picked = picked[:limit]
        if clear:
            self._offline = [r for r in self._offline if r not in picked]
            return {"process_id": None, "events": [r.view() for r in picked]}
        process = process or uuid.uuid4().hex
        for r in picked:
            r.process_id = process
        return {"process_id": process, "events": [r.view() for r in picked]}

    def _offline_list(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        return [{**r.view(), "PROCESS_ID": r.process_id or "", "ERROR": int(r.error)}
                for r in self._mine(ctx, p)]  # fmt: skip

    def _offline_clear(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        process = str(p.get("process_id") or "")
        if not process:
            raise ApiError("ERROR_ARGUMENT", "process_id is required", 400)
        ids = {str(i) for i in _list(p.get("id"))}
        messages = {str(m) for m in _list(p.get("message_id"))}
        gone = [
            r for r in self._mine(ctx, p)
            if r.process_id == process
            and (not ids or str(r.id) in ids)
            and (ids or not messages or r.message_id in messages)
        ]  # fmt: skip
        self._offline = [r for r in self._offline if r not in gone]
        return True

    def _offline_error(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        process = str(p.get("process_id") or "")
        if not process:
            raise ApiError("ERROR_ARGUMENT", "process_id is required", 400)
        messages = {str(m) for m in _list(p.get("message_id"))}
        for r in self._mine(ctx, p):
            if r.process_id == process and (not messages or r.message_id in messages):
                r.error, r.process_id = True, None
        return True

    # -- what changed -----------------------------------------------------------------------
    def changed(self, ctx: Ctx, method: str, params: Mapping[str, Any], answer: Any) -> None:
        """Queue the events a successful REST call causes (called under the portal's lock)."""
        for code, data in _events_of(method.lower(), params, answer):
            self.emit(code, data, user_id=ctx.user_id)

    def emit(self, code: str, data: Any, *, user_id: int = 1) -> None:
        """Deliver ``code`` with ``data`` to every application that bound it."""
        with self._portal.lock:
            for binding in [b for b in self.bindings if b.event == code.upper()]:
                if binding.offline:
                    self._offline.append(
                        _Offline(
                            len(self._offline) + 1, binding.client_id, binding.event, data,
                            binding.auth_connector, _now(self._portal),
                        )
                    )  # fmt: skip
                    self._notify_offline(binding.client_id, user_id)
                    continue
                body = self._signed(binding, data, user_id)
                with self._idle:
                    self._pending += 1
                self._outbox.put((binding.handler, binding.event, body))
        self._ensure_worker()

    def _notify_offline(self, client_id: str, user_id: int) -> None:
        """``ONOFFLINEEVENT`` to the app's online handlers, at most once per ``minTimeout``."""
        now = self._portal.clock.now()
        for b in self.bindings:
            if b.client_id != client_id or b.event != "ONOFFLINEEVENT" or b.offline:
                continue
            if b.notified_at is not None and now - b.notified_at < max(b.min_timeout, 1e-9):
                continue
            b.notified_at = now
            with self._idle:
                self._pending += 1
            self._outbox.put((b.handler, b.event, self._signed(b, [], user_id)))

    def _signed(self, binding: Binding, data: Any, user_id: int) -> bytes:
        app = self._portal._apps[binding.client_id]
        tokens = self._portal._new_token(app, binding.auth_type or user_id, binding.scopes, 3600)
        payload = {
            "event": binding.event,
            "event_handler_id": binding.id,
            "data": data,
            "ts": int(self._portal.clock.now()),
            "auth": {**tokens, "application_token": self.application_token(app)},
        }
        return http_build_query(payload).encode()


def _int(value: Any) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0


def _list(value: Any) -> list[Any]:
    if isinstance(value, Mapping):
        return list(value.values())
    if isinstance(value, list | tuple):
        return list(value)
    return [] if value in (None, "") else [value]


def _now(portal: FakePortal) -> str:
    return datetime.fromtimestamp(portal.clock.now(), TZ).isoformat(timespec="seconds")


def _events_of(method: str, params: Mapping[str, Any], answer: Any) -> list[tuple[str, Any]]:
    """The (event code, data) pairs a successful call of ``method`` causes."""
    parts = method.split(".")
    action = _ACTIONS.get(parts[-1])
    if action is None:
        return []
    given = params.get("id", params.get("ID"))
    if parts[:1] == ["crm"] and len(parts) == 3 and parts[1] in _LEGACY_CRM:
        entity_id = answer if action == "ADD" else given
        return [(f"ONCRM{parts[1].upper()}{action}", {"FIELDS": {"ID": entity_id}})]
    if parts[:2] == ["crm", "item"]:
        etid = _int(params.get("entityTypeId"))
        item = answer.get("item") if isinstance(answer, Mapping) else None
        entity_id = item.get("id") if isinstance(item, Mapping) else given
        if etid in _CRM_NAMES:
            return [(f"ONCRM{_CRM_NAMES[etid]}{action}", {"FIELDS": {"ID": entity_id}})]
        return [
            (f"ONCRMDYNAMICITEM{action}", {"FIELDS": {"ID": entity_id, "ENTITY_TYPE_ID": etid}})
        ]
    if parts[:2] == ["tasks", "task"]:
        task = answer.get("task") or answer.get("item") if isinstance(answer, Mapping) else None
        task_id = task.get("id") if isinstance(task, Mapping) and action == "ADD" else None
        task_id = task_id or given or params.get("taskId")
        ref = {"ID": task_id}
        before, after = {
            "ADD": ("undefined", ref),
            "UPDATE": (ref, ref),
            "DELETE": (ref, "undefined"),
        }[action]
        return [(f"ONTASK{action}", {"FIELDS_BEFORE": before, "FIELDS_AFTER": after})]
    if method == "user.add":
        given_fields = params.get("fields")
        user = given_fields if isinstance(given_fields, Mapping) else params
        return [("ONUSERADD", {**{str(k).upper(): v for k, v in user.items()}, "ID": answer})]
    return []
