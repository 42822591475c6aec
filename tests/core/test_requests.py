"""What the clients send: URLs, bodies, headers and request ids, for webhooks and OAuth."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import pytest

from b24typed import B24Hook, SdkError
from b24typed.core.request import is_read_method, new_request_id

from .harness import SECRET, Harness, body_of, envelope

MODES = ["sync", "async"]

OAUTH = {
    "client_id": "app.123",
    "client_secret": "appClientSecretValue",
    "tokens": {
        "access_token": "accessTokenValue",
        "refresh_token": "refreshTokenValue",
        "expires_in": 3600,
        "client_endpoint": "https://portal.example.com/rest/",
        "domain": "portal.example.com",
    },
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("api", "expected"),
    [
        (2, f"https://portal.example.com/rest/7/{SECRET}/crm.item.get"),
        (3, f"https://portal.example.com/rest/api/7/{SECRET}/crm.item.get"),
    ],
)
def test_webhook_urls(mode: str, api: int, expected: str) -> None:
    h = Harness(mode, lambda r: envelope({"item": {"id": 5}}))
    h.call(api, "crm.item.get", {"entityTypeId": 2, "id": 5})
    (request,) = h.requests
    assert request.method == "POST"
    assert str(request.url).split("?")[0] == expected
    assert body_of(request) == {"entityTypeId": 2, "id": 5}
    assert request.headers["content-type"] == "application/json"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("api", "expected"),
    [
        (2, "https://portal.example.com/rest/user.current"),
        (3, "https://portal.example.com/rest/api/user.current"),
    ],
)
def test_oauth_urls_put_the_token_in_the_body(mode: str, api: int, expected: str) -> None:
    h = Harness(mode, lambda r: envelope({"ID": "1"}), oauth=OAUTH)
    h.call(api, "user.current")
    (request,) = h.requests
    assert str(request.url).split("?")[0] == expected
    assert body_of(request) == {"auth": "accessTokenValue"}
    assert "accessTokenValue" not in str(request.url)


@pytest.mark.parametrize(
    "url",
    [
        "https://portal.example.com/rest/7/abc",
        "https://portal.example.com/rest/7/abc/",
        "https://portal.example.com/rest/api/7/abc/",
        "portal.example.com:443/rest/7/abc/",
        "https://portal.example.com:443/rest/7/abc/",
    ],
)
def test_webhook_url_forms_lead_to_the_same_endpoint(url: str) -> None:
    if "://" not in url:
        with pytest.raises(ValueError, match="https"):
            B24Hook.from_webhook_url(url)
        return
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url).split("?")[0])
        return envelope(True)

    client = B24Hook.from_webhook_url(
        url, http_client=httpx.Client(transport=httpx.MockTransport(handler))
    )
    client.call_method("server.time")
    assert seen == ["https://portal.example.com/rest/7/abc/server.time"]


def test_oauth_endpoint_trailing_slashes_are_normalised() -> None:
    tokens = {**OAUTH["tokens"], "client_endpoint": "https://portal.example.com/rest//"}  # type: ignore[dict-item]
    h = Harness("sync", lambda r: envelope(1), oauth={**OAUTH, "tokens": tokens})
    h.call(2, "profile")
    assert str(h.requests[0].url) == "https://portal.example.com/rest/profile"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("ftp://portal.example.com/rest/1/SECRETX/", "https"),
        ("http://portal.example.com/rest/1/SECRETX/", "https"),
        ("https://portal.example.com/api/1/SECRETX/", "/rest/<user_id>/<secret>"),
        ("https://portal.example.com/rest/1/", "/rest/<user_id>/<secret>"),
        ("https://portal.example.com/rest/1/SECRETX/extra", "/rest/<user_id>/<secret>"),
        ("https://portal.example.com/rest/admin/SECRETX/", "number"),
        ("https://portal.example.com:99999/rest/1/SECRETX/", "not a valid URL"),
        ("https:///rest/1/SECRETX/", "host"),
    ],
)
def test_malformed_webhook_urls_say_why_without_the_secret(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        B24Hook.from_webhook_url(url)
    assert "SECRETX" not in str(info.value)
    assert "SECRETX" not in repr(info.value)


def test_http_is_allowed_for_loopback_only() -> None:
    client = B24Hook.from_webhook_url("http://127.0.0.1:8123/rest/1/abc/")
    assert client.domain == "127.0.0.1:8123"
    client.close()


@pytest.mark.parametrize("mode", MODES)
def test_request_id_is_sent_in_a_header_and_kept_across_retries(mode: str) -> None:
    answers = iter([httpx.Response(503, json={"error": "QUERY_LIMIT_EXCEEDED"}), envelope(1)])
    h = Harness(mode, lambda r: next(answers))
    result = h.run("call_method", "crm.deal.get", {"id": 1}, request_id="my-request-42")
    assert result.request_id == "my-request-42"
    assert [r.headers["x-request-id"] for r in h.requests] == ["my-request-42"] * 2
    assert all(r.url.query == b"" for r in h.requests)


@pytest.mark.parametrize("mode", MODES)
def test_generated_request_ids_are_uuid7_and_differ_per_call(mode: str) -> None:
    h = Harness(mode, lambda r: envelope(1))
    first = h.call(2, "server.time")
    second = h.call(2, "server.time")
    assert first.request_id != second.request_id
    assert first.request_id[14] == "7"  # the UUID version nibble
    assert h.requests[0].headers["x-request-id"] == first.request_id


def test_request_ids_are_time_ordered() -> None:
    ids = [new_request_id() for _ in range(50)]
    assert ids == sorted(ids) or ids[0][:13] <= ids[-1][:13]
    assert len(set(ids)) == 50


def test_legacy_positional_task_methods_get_no_query_parameters() -> None:
    h = Harness("sync", lambda r: envelope([]))
    h.call(2, "task.commentitem.getlist", {"TASKID": 1})
    assert h.requests[0].url.query == b""
    assert h.requests[0].headers["x-request-id"]


def test_bodies_encode_dates_decimals_and_unicode() -> None:
    h = Harness("sync", lambda r: envelope(1))
    h.call(
        2,
        "crm.deal.add",
        {"fields": {"TITLE": "Сделка & co", "BEGINDATE": dt.date(2026, 1, 2), "TAGS": ("a", "b")}},
    )
    assert body_of(h.requests[0]) == {
        "fields": {"TITLE": "Сделка & co", "BEGINDATE": "2026-01-02", "TAGS": ["a", "b"]}
    }


@pytest.mark.parametrize("mode", MODES)
def test_unencodable_params_raise_before_anything_is_sent(mode: str) -> None:
    h = Harness(mode, lambda r: envelope(1))
    with pytest.raises(SdkError, match="cannot be encoded"):
        h.call(2, "crm.deal.add", {"fields": {"X": object()}})
    assert h.requests == []


@pytest.mark.parametrize("bad", ["", "crm deal", "crm.deal/../x", "../../x", "crm..deal", None])
def test_bad_method_names_are_refused(bad: Any) -> None:
    h = Harness("sync", lambda r: envelope(1))
    with pytest.raises(SdkError, match="not a REST method name"):
        h.call(2, bad)
    assert h.requests == []


def test_params_must_be_a_mapping() -> None:
    h = Harness("sync", lambda r: envelope(1))
    with pytest.raises(SdkError, match="mapping"):
        h.call(2, "crm.deal.list", [("a", 1)])  # type: ignore[arg-type]


def test_call_method_start_is_sent_and_actions_match_call() -> None:
    h = Harness("sync", lambda r: envelope([], total=0))
    h.run("call_method", "crm.deal.list", {"select": ["ID"]}, -1)
    h.client.actions.v2.call.make(method="crm.deal.list", params={"start": 50})
    h.client.actions.v3.call.make(method="tasks.task.list", request_id="rid-3")
    assert body_of(h.requests[0]) == {"select": ["ID"], "start": -1}
    assert body_of(h.requests[1]) == {"start": 50}
    assert "/rest/api/" in str(h.requests[2].url)
    assert h.requests[2].headers["x-request-id"] == "rid-3"


@pytest.mark.parametrize("mode", MODES)
def test_rest3_writes_carry_an_idempotency_key_and_reads_do_not(mode: str) -> None:
    h = Harness(mode, lambda r: envelope({"item": {"id": 1}}))
    h.call(3, "tasks.task.add", {"fields": {"title": "x"}})
    h.call(3, "tasks.task.get", {"id": 1})
    h.call(2, "crm.deal.add", {"fields": {}})
    assert len(h.requests[0].headers["idempotency-key"]) == 36
    assert "idempotency-key" not in h.requests[1].headers
    assert "idempotency-key" not in h.requests[2].headers


@pytest.mark.parametrize(
    ("method", "read"),
    [
        ("crm.item.get", True),
        ("crm.deal.list", True),
        ("crm.deal.fields", True),
        ("tasks.task.getFields", True),
        ("user.current", True),
        ("crm.item.add", False),
        ("crm.deal.update", False),
        ("tasks.task.delete", False),
        ("im.message.send", False),
    ],
)
def test_read_methods_are_told_from_writes(method: str, read: bool) -> None:
    assert is_read_method(method) is read


@pytest.mark.parametrize("mode", MODES)
def test_sync_and_async_give_identical_results(mode: str) -> None:
    payload = {"result": [{"ID": "1"}], "total": 120, "next": 50, "time": {"operating": 1.5}}
    results = {}
    for each in MODES:
        h = Harness(each, lambda r: httpx.Response(200, json=payload))
        answer = h.call(2, "crm.deal.list", {"select": ["ID"]})
        results[each] = (
            answer.get_data(),
            answer.total,
            answer.next,
            answer.is_more(),
            answer.time,
        )
        assert json.loads(h.requests[0].content) == {"select": ["ID"]}
    assert results["sync"] == results["async"]
    assert results[mode][1:4] == (120, 50, True)


def test_context_managers_close_owned_clients_only() -> None:
    transport = httpx.MockTransport(lambda r: envelope(1))
    mine = httpx.Client(transport=transport)
    with B24Hook.from_webhook_url("https://p.example.com/rest/1/x/", http_client=mine) as b24:
        b24.call_method("server.time")
    assert not mine.is_closed
    with B24Hook.from_webhook_url("https://p.example.com/rest/1/x/") as owned:
        inner = owned._http
    assert inner.is_closed


@pytest.mark.anyio
async def test_async_context_manager_closes_owned_client() -> None:
    from b24typed import AsyncB24Hook

    async with AsyncB24Hook.from_webhook_url("https://p.example.com/rest/1/x/") as b24:
        inner = b24._http
    assert inner.is_closed


def test_static_headers_are_set_once_on_an_owned_client_and_per_request_otherwise() -> None:
    from b24typed.core.request import STATIC_HEADERS

    with B24Hook.from_webhook_url("https://p.example.com/rest/1/x/") as owned:
        for name, value in STATIC_HEADERS.items():
            assert owned._http.headers[name] == value
    h = Harness("sync", lambda r: envelope(1))
    h.call(2, "server.time")
    sent = h.requests[0].headers
    assert sent["user-agent"].startswith("b24typed/")
    assert sent["accept"] == "application/json"
