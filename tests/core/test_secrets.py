"""The webhook secret and OAuth tokens never appear in logs, errors, reprs or tracebacks."""

from __future__ import annotations

import asyncio
import json
import logging
import pickle
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from b24typed import AsyncB24Hook, B24Error, B24Hook, RetryPolicy

from .harness import SECRET, Harness, envelope
from .loopback import Request, json_response, serve, serve_h2

ACCESS, REFRESH, CLIENT_SECRET = "accessTok3nXYZ", "refreshTok3nXYZ", "clientS3cretXYZ"
NEW_ACCESS, NEW_REFRESH = "newAccessTok3n", "newRefreshTok3n"
ALL_SECRETS = (SECRET, ACCESS, REFRESH, CLIENT_SECRET, NEW_ACCESS, NEW_REFRESH)
FAST_RETRY = RetryPolicy(max_attempts=3, backoff_base=0.01)


def oauth(expires_in: int = 3600) -> dict[str, Any]:
    return {
        "client_id": "app.1",
        "client_secret": CLIENT_SECRET,
        "tokens": {
            "access_token": ACCESS,
            "refresh_token": REFRESH,
            "expires_in": expires_in,
            "client_endpoint": "https://portal.example.com/rest/",
        },
    }


def echo_page(request: httpx.Request) -> httpx.Response:
    """A proxy error page that repeats the URL it was asked for (secret included)."""
    return httpx.Response(
        502, content=f"<html>Bad gateway for {request.url} {request.content!r}</html>".encode()
    )


def raise_(exc: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


def refresh_then(
    answer: Callable[[httpx.Request], httpx.Response],
) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token/":
            return answer(request)
        if ACCESS in request.content.decode():
            return httpx.Response(
                401, json={"error": "expired_token", "error_description": f"token {ACCESS} expired"}
            )
        return envelope({"ok": True})

    return handler


SCENARIOS: dict[str, tuple[Callable[[httpx.Request], httpx.Response], dict[str, Any]]] = {
    "v2 error": (
        lambda r: httpx.Response(400, json={"error": "X", "error_description": "bad"}),
        {},
    ),
    "auth error": (lambda r: httpx.Response(401, json={"error": "INVALID_CREDENTIALS"}), {}),
    "v2 error echoes the url": (
        lambda r: httpx.Response(
            400,
            json={"error": "ERROR_CORE", "error_description": f"at {r.url} with {r.content!r}"},
        ),
        {},
    ),
    "v3 message echoes the url": (
        lambda r: httpx.Response(
            400, json={"error": {"code": "X", "message": f"at {r.url} with {r.content!r}"}}
        ),
        {},
    ),
    "oauth error echoes the body": (
        lambda r: httpx.Response(
            400, json={"error": "ERROR_CORE", "error_description": f"got {r.content!r}"}
        ),
        {"oauth": oauth()},
    ),
    "html echo": (echo_page, {}),
    "timeout retried": (raise_(httpx.ReadTimeout(f"timed out on /rest/7/{SECRET}/")), {}),
    "connect error": (raise_(httpx.ConnectError(f"failed https://p/rest/7/{SECRET}/x")), {}),
    "rate limit retried": (
        lambda r: httpx.Response(503, json={"error": "QUERY_LIMIT_EXCEEDED"}),
        {},
    ),
    "oauth refresh ok": (
        refresh_then(
            lambda r: httpx.Response(
                200,
                json={"access_token": NEW_ACCESS, "refresh_token": NEW_REFRESH, "expires_in": 3600},
            )
        ),
        {"oauth": oauth()},
    ),
    "oauth refresh rejected": (
        refresh_then(
            lambda r: httpx.Response(
                400,
                json={
                    "error": "invalid_grant",
                    "error_description": f"bad {REFRESH} for {CLIENT_SECRET}",
                },
            )
        ),
        {"oauth": oauth()},
    ),
    "oauth refresh html": (refresh_then(echo_page), {"oauth": oauth()}),
    "oauth refresh timeout": (refresh_then(raise_(httpx.ReadTimeout("slow"))), {"oauth": oauth()}),
    "oauth expired upfront": (
        refresh_then(
            lambda r: httpx.Response(
                200,
                json={"access_token": NEW_ACCESS, "refresh_token": NEW_REFRESH, "expires_in": 3600},
            )
        ),
        {"oauth": oauth(expires_in=-10)},
    ),
}


@pytest.fixture
def captured_logs() -> Iterator[list[str]]:
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))
            lines.append(repr(record.__dict__))

    handler = Collect(level=logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("b24typed")
    old = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)
    logger.setLevel(old)


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("api", [2, 3])
def test_no_secret_escapes(mode: str, scenario: str, api: int, captured_logs: list[str]) -> None:
    handler, kw = SCENARIOS[scenario]
    h = Harness(mode, handler, retry=FAST_RETRY, **kw)
    seen: list[str] = [repr(h.client), str(h.client.stats)]
    try:
        result = h.call(api, "crm.deal.add", {"fields": {"TITLE": "x"}, "auth": "ignored"})
        seen += [repr(result), str(result.get_data()), str(result.get_error_messages())]
        if result.error is not None:
            seen += [str(result.error), repr(result.error), str(result.error.to_dict())]
            result.raise_for_error()
    except B24Error as error:
        seen += [str(error), repr(error), str(error.to_dict()), str(vars(error))]
        seen.append("".join(traceback.format_exception(type(error), error, error.__traceback__)))
        seen.append(repr(pickle.loads(pickle.dumps(error))))
    seen += captured_logs
    text = "\n".join(seen)
    assert text  # something was captured to look through
    for secret in ALL_SECRETS:
        assert secret not in text, f"{scenario}: a secret leaked"


def test_the_scenarios_really_reach_their_paths(captured_logs: list[str]) -> None:
    h = Harness("sync", SCENARIOS["oauth refresh ok"][0], **SCENARIOS["oauth refresh ok"][1])
    assert h.call(2, "crm.deal.add", {}).is_success
    assert h.client.stats["refreshes"] == 1
    h = Harness("sync", SCENARIOS["timeout retried"][0], retry=FAST_RETRY)
    with pytest.raises(B24Error):
        h.call(2, "crm.deal.get", {"id": 1})
    assert h.client.stats["retries"] == 2
    assert any("retrying" in line for line in captured_logs)


def test_reprs_of_credentials_hide_them() -> None:
    from b24typed.core.auth import OAuthTokens, parse_webhook_url

    auth = parse_webhook_url(f"https://p.example.com/rest/1/{SECRET}/")
    tokens = OAuthTokens.from_payload(
        {"access_token": ACCESS, "refresh_token": REFRESH, "domain": "p.example.com"}, now=0
    )
    for text in (repr(auth), str(auth), repr(tokens), str(tokens), repr(auth.secret)):
        assert SECRET not in text and ACCESS not in text and REFRESH not in text
    with pytest.raises(TypeError):
        pickle.dumps(auth.secret)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "user.update?ID=1&FIELDS%5BPASSWORD%5D=hunter2&X=1",
            "user.update?ID=1&FIELDS%5BPASSWORD%5D=***&X=1",
        ),
        ("user.add?fields[password]=p1&name=n", "user.add?fields[password]=***&name=n"),
        ("x?auth%5Baccess_token%5D=zz", "x?auth%5Baccess_token%5D=***"),
        (
            "crm.deal.list?auth=tok&filter%5BTITLE%5D=ok",
            "crm.deal.list?auth=***&filter%5BTITLE%5D=ok",
        ),
        ("x?keyword=1&tokens=2", "x?keyword=1&tokens=2"),
    ],
)
def test_credentials_inside_batch_commands_are_masked(text: str, expected: str) -> None:
    from b24typed.core.redact import redact

    assert redact({"cmd": [text]}) == {"cmd": [expected]}
    assert redact({"Password": "p", "nested": {"client_secret": "s"}}) == {
        "Password": "***",
        "nested": {"client_secret": "***"},
    }


@pytest.fixture
def root_debug_logs() -> Iterator[list[str]]:
    """Everything any library logs, with the root logger at DEBUG (``basicConfig`` style)."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(f"{record.name} {self.format(record)} {record.args!r} {record.msg!r}")

    root = logging.getLogger()
    handler, old = Collect(level=logging.DEBUG), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield lines
    root.removeHandler(handler)
    root.setLevel(old)


def answer_json(path: str) -> bytes:
    return json.dumps({"result": {"path_seen": path.count("/")}}).encode()


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("http2", [False, True], ids=["http1.1", "http2"])
def test_no_secret_in_any_library_log_at_debug(
    mode: str, http2: bool, root_debug_logs: list[str]
) -> None:
    server = serve_h2(answer_json) if http2 else serve(lambda c, r: c.sendall(http1_answer(r)))
    with server as base:
        url = f"{base}/rest/7/{SECRET}/"
        if mode == "sync":
            with B24Hook.from_webhook_url(
                url, http_client=httpx.Client(http1=not http2, http2=http2)
            ) as client:
                assert client.call(2, "crm.deal.get", {"id": 1}).is_success
        else:

            async def run() -> None:
                http = httpx.AsyncClient(http1=not http2, http2=http2)
                async with AsyncB24Hook.from_webhook_url(url, http_client=http) as client:
                    assert (await client.call(2, "crm.deal.get", {"id": 1})).is_success
                await http.aclose()

            asyncio.run(run())
    text = "\n".join(root_debug_logs)
    assert "HTTP Request: POST" in text  # httpx logged the request (and hpack its headers)
    if http2:
        assert any(line.startswith("hpack") and "crm.deal.get" in line for line in root_debug_logs)
    assert SECRET not in text
    assert "/rest/7/***/crm.deal.get" in text


def http1_answer(request: Request) -> bytes:
    return json_response(json.loads(answer_json(request.path)))


@pytest.mark.parametrize(
    "key", ["auth", "access_token", "refresh_token", "client_secret", "password", "auth_id"]
)
def test_every_credential_key_is_masked_in_data_and_query_strings(key: str) -> None:
    from b24typed.core.redact import MASK, redact

    assert redact({key: "v1", "deep": {key.upper(): "v2"}}) == {
        key: MASK,
        "deep": {key.upper(): MASK},
    }
    assert redact(f"x?{key}=v3&b=1") == f"x?{key}={MASK}&b=1"


# ---- inbound requests: events, installs, placements -------------------------------------------

APP_TOKEN = "appTok3nXYZ"
FORGED = "forgedTok3nXYZ"
INBOUND_SECRETS = (ACCESS, REFRESH, APP_TOKEN, FORGED)


def _event_body(token: str = APP_TOKEN, **extra: str) -> str:
    from b24typed.testing.phpqs import http_build_query

    auth = {
        "access_token": ACCESS,
        "refresh_token": REFRESH,
        "application_token": token,
        "member_id": "m1",
        "domain": "p.example.com",
        "client_endpoint": "https://p.example.com/rest/",
    }
    return http_build_query({"event": "ONCRMDEALADD", "data": {"FIELDS": {"ID": "1"}}, **extra}) + (
        "&" + http_build_query({"auth": auth})
    )


def _inbound_scenarios() -> dict[str, Callable[[], Any]]:
    from b24typed.events import parse_event, parse_install, parse_placement

    placement = (
        f"AUTH_ID={ACCESS}&REFRESH_ID={REFRESH}&APPLICATION_TOKEN={APP_TOKEN}&member_id=m1"
        "&PLACEMENT=CRM_DEAL_DETAIL_TAB&PLACEMENT_OPTIONS=%7B%22ID%22%3A1%7D&DOMAIN=p.example.com"
    )
    return {
        "event ok": lambda: parse_event(_event_body(), application_token=APP_TOKEN),
        "event forged": lambda: parse_event(_event_body(FORGED), application_token=APP_TOKEN),
        "event other portal": lambda: parse_event(
            _event_body(), application_token=APP_TOKEN, member_id="m2"
        ),
        "event bad shape": lambda: parse_event(
            _event_body().replace("data%5BFIELDS%5D%5BID%5D=1", f"data={ACCESS}")
            + f"&event_handler_id={REFRESH}",
            application_token=APP_TOKEN,
        ),
        "install event": lambda: parse_install(
            _event_body().replace("ONCRMDEALADD", "ONAPPINSTALL")
        ),
        "install forged": lambda: parse_install(
            _event_body(FORGED).replace("ONCRMDEALADD", "ONAPPINSTALL"),
            application_token=APP_TOKEN,
        ),
        "install page": lambda: parse_install(placement.replace("CRM_DEAL_DETAIL_TAB", "DEFAULT")),
        "placement ok": lambda: parse_placement(placement, application_token=APP_TOKEN),
        "placement forged": lambda: parse_placement(placement, application_token=FORGED),
        "placement bad options": lambda: parse_placement(
            placement.replace("%7B%22ID%22%3A1%7D", ACCESS)
        ),
    }


@pytest.mark.parametrize("scenario", sorted(_inbound_scenarios()))
def test_no_secret_escapes_from_inbound_requests(scenario: str, captured_logs: list[str]) -> None:
    from pydantic import BaseModel

    from b24typed.events import EventPayloadError, EventVerificationError
    from b24typed.tokens import InMemoryTokenStore

    seen: list[str] = []
    try:
        parsed = _inbound_scenarios()[scenario]()
    except B24Error as error:
        assert isinstance(error, EventVerificationError | EventPayloadError)
        seen += [str(error), repr(error), str(vars(error))]
        seen.append("".join(traceback.format_exception(type(error), error, error.__traceback__)))
        seen.append(repr(pickle.loads(pickle.dumps(error))))
    else:
        seen += [repr(parsed), str(parsed)]
        model = parsed if isinstance(parsed, BaseModel) else parsed.event or parsed.placement
        assert model is not None
        seen += [str(model.model_dump()), model.model_dump_json(), repr(model.tokens())]
        store = InMemoryTokenStore()
        tokens = model.tokens()
        assert tokens is not None
        store.save("m1", tokens)
        client = model.client(client_id="app", client_secret=CLIENT_SECRET, token_store=store)
        seen += [repr(store), repr(client), repr(client._state.auth)]
    seen += captured_logs
    text = "\n".join(seen)
    assert text
    for secret in (*INBOUND_SECRETS, CLIENT_SECRET):
        assert secret not in text, f"{scenario}: a secret leaked"
