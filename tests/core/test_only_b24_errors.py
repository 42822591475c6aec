"""Whatever the portal answers and whatever the caller passes, only a B24Error (or a ValueError /
SdkError before anything is sent) comes out, and none of them holds a secret."""

from __future__ import annotations

import gzip
import pickle
import traceback
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from b24typed import (
    B24Error,
    B24Hook,
    LimitConfig,
    ManualClock,
    ResponseFormatError,
    RetryPolicy,
    SdkError,
    TransportError,
)

from .harness import SECRET, WEBHOOK

Handler = Callable[[httpx.Request], httpx.Response]


def client(handler: Handler, **http: Any) -> tuple[B24Hook, list[httpx.Request]]:
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return handler(request)

    hook = B24Hook.from_webhook_url(
        WEBHOOK,
        http_client=httpx.Client(transport=httpx.MockTransport(record), **http),
        limits=LimitConfig.off(),
        retry=RetryPolicy(max_attempts=2, backoff_base=0.01),
        clock=ManualClock(),
    )
    return hook, sent


def body(content: bytes, **headers: str) -> Handler:
    return lambda request: httpx.Response(200, content=content, headers=headers)


def no_secret_in(error: BaseException) -> None:
    shown = [str(error), repr(error), str(vars(error))]
    shown.append("".join(traceback.format_exception(type(error), error, error.__traceback__)))
    if isinstance(error, B24Error):
        shown.append(repr(pickle.loads(pickle.dumps(error))))
    assert all(SECRET not in text for text in shown)


HOSTILE_ANSWERS: dict[str, Handler] = {
    "json nested 2,000 levels": body(b"[" * 2000 + b"]" * 2000),
    "json object nested 100,000 levels": body(b'{"a":' * 100_000 + b"1" + b"}" * 100_000),
    "infinite id": body(b'{"result": [{"ID": Infinity}], "next": 50}'),
    "infinite total": body(b'{"result": [], "total": -Infinity}'),
    "number too big for a float": body(b'{"result": {"ID": 1e400}}'),
    "nan": body(b'{"result": NaN}'),
    "bad gzip": body(b"\x1f\x8bnot really gzip", **{"content-encoding": "gzip"}),
    "redirect loop": lambda request: httpx.Response(302, headers={"location": str(request.url)}),
}


# Non-finite numbers are read (as absent counts); the rest cannot be read at all.
READABLE = {"infinite id", "infinite total", "number too big for a float", "nan"}


@pytest.mark.parametrize("name", sorted(HOSTILE_ANSWERS))
@pytest.mark.parametrize("path", ["call", "list", "batch"])
def test_hostile_answers_give_data_or_b24_errors_without_the_secret(name: str, path: str) -> None:
    hook, _ = client(HOSTILE_ANSWERS[name], follow_redirects=True)
    try:
        if path == "call":
            hook.call(2, "crm.deal.get", {"id": 1}).raise_for_error()
        elif path == "list":
            hook.call_list_method("crm.deal.list", mode="offset")
        else:
            hook.call_batch([("crm.deal.get", {"id": 1})])
    except B24Error as error:
        no_secret_in(error)
    else:
        assert name in READABLE


def test_an_unreadable_answer_is_a_response_format_error() -> None:
    hook, _ = client(HOSTILE_ANSWERS["json nested 2,000 levels"])
    assert isinstance(hook.call(2, "crm.deal.list").error, ResponseFormatError)
    hook, _ = client(HOSTILE_ANSWERS["bad gzip"])
    with pytest.raises(TransportError):
        hook.call(2, "crm.deal.get", {"id": 1}).raise_for_error()
    hook, _ = client(HOSTILE_ANSWERS["infinite id"])
    with pytest.raises(SdkError, match="no numeric 'ID'"):
        hook.call_list_method("crm.deal.list")


def test_a_gzip_answer_still_reads() -> None:
    hook, _ = client(body(gzip.compress(b'{"result": 5}'), **{"content-encoding": "gzip"}))
    assert hook.call(2, "crm.deal.get", {"id": 1}).result == 5


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"a": value}
    return value


BAD_PARAMS: dict[str, dict[str, Any]] = {
    "nan": {"fields": {"OPPORTUNITY": float("nan")}},
    "infinity": {"fields": {"OPPORTUNITY": float("inf")}},
    "huge int": {"fields": {"OPPORTUNITY": 10**5000}},
    "very deep": {"fields": nested(5000)},
}


@pytest.mark.parametrize("name", sorted(BAD_PARAMS))
@pytest.mark.parametrize("path", ["call", "batch", "v3"])
def test_params_that_cannot_be_sent_are_refused_before_sending(name: str, path: str) -> None:
    hook, sent = client(body(b'{"result": 1}'))
    with pytest.raises(SdkError) as info:
        if path == "call":
            hook.call(2, "crm.deal.add", BAD_PARAMS[name])
        elif path == "v3":
            hook.call(3, "crm.deal.add", BAD_PARAMS[name])
        else:
            hook.call_batch([("crm.deal.add", BAD_PARAMS[name])])
    assert sent == []
    no_secret_in(info.value)


@pytest.mark.parametrize("request_id", ["a\r\nX-Injected: 1", "id\n", "ид-1", "x" * 300])
@pytest.mark.parametrize("method", ["crm.deal.add", "crm.deal.get"])
def test_a_request_id_that_cannot_be_sent_is_refused_before_sending(
    request_id: str, method: str
) -> None:
    hook, sent = client(body(b'{"result": 1}'))
    with pytest.raises(SdkError) as info:
        hook.call_method(method, {"id": 1}, request_id=request_id)
    assert info.value.code == "SDK_BAD_REQUEST_ID" and sent == []


@pytest.mark.parametrize("url", [None, 5, "", "   "])
def test_a_portal_url_that_is_not_a_string_is_a_value_error(url: Any) -> None:
    with pytest.raises(ValueError):
        B24Hook(b24_url=url, user_id=1, secret=SECRET)


@pytest.mark.parametrize(
    "url",
    [
        "https://x.bitrix24.com\\@evil.com/rest/1/abcdef/",
        "https://x.bitrix24.com@evil.com/rest/1/abcdef/",
        "https://x.bitrix24.com/rest/1/abc?def/",
        "https://x.bitrix24.com/rest/1/abc#def/",
        "https://x.bitrix24.com/rest/1/../",
        "https://x.bitrix24.com/rest/1/ab..cd/",
        "https://x.bitrix24.com/rest/1/ab%2Fcd/",
    ],
)
def test_malformed_webhook_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"malformed|path must be"):
        B24Hook.from_webhook_url(url)


@pytest.mark.parametrize("secret", ["a?b", "a#b", "..", "a/../b", "a..b", "a b", "x\r\n"])
def test_malformed_webhook_secrets_are_refused(secret: str) -> None:
    with pytest.raises(ValueError, match="malformed"):
        B24Hook(b24_url="https://x.bitrix24.com", user_id=1, secret=secret)
    with pytest.raises(ValueError, match="malformed"):
        B24Hook(b24_url="https://x.bitrix24.com\\@evil.com", user_id=1, secret="fine")


def oauth_tokens(**endpoints: str) -> dict[str, Any]:
    return {"access_token": "a" * 8, "refresh_token": "r" * 8, "expires_in": 60, **endpoints}


@pytest.mark.parametrize(
    "endpoints",
    [
        {"client_endpoint": "http://portal.example.com/rest/"},
        {"client_endpoint": "https://portal.example.com\\@evil.com/rest/"},
        {"domain": "portal.example.com", "server_endpoint": "http://oauth.example.com/rest/"},
    ],
)
def test_oauth_endpoints_must_be_https_unless_loopback(endpoints: dict[str, str]) -> None:
    from b24typed import B24OAuth

    with pytest.raises(ValueError):
        B24OAuth(client_id="app", client_secret="s" * 8, tokens=oauth_tokens(**endpoints))
    loopback = {"client_endpoint": "http://127.0.0.1:8000/rest/"}
    assert B24OAuth(client_id="app", client_secret="s" * 8, tokens=oauth_tokens(**loopback))


def test_a_refresh_answer_may_not_move_the_endpoint_to_plain_http() -> None:
    from b24typed import B24OAuth, TokenRefreshError

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token/":
            moved = oauth_tokens(client_endpoint="http://evil.example.com/rest/")
            return httpx.Response(200, json=moved)
        return httpx.Response(401, json={"error": "expired_token"})

    hook = B24OAuth(
        client_id="app",
        client_secret="s" * 8,
        tokens=oauth_tokens(client_endpoint="https://portal.example.com/rest/"),
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
        limits=LimitConfig.off(),
    )
    with pytest.raises(TokenRefreshError, match="https"):
        hook.call(2, "profile")
    assert hook.tokens.client_endpoint == "https://portal.example.com/rest/"
