"""Limits, retries by error class, token refresh, and what happens when the network misbehaves."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import threading
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from b24typed import (
    AsyncB24OAuth,
    B24Error,
    B24Hook,
    B24OAuth,
    LimitConfig,
    ManualClock,
    OAuthTokens,
    QueryLimitError,
    RequestTimeoutError,
    ResponseFormatError,
    RetryPolicy,
    TokenRefreshError,
    UnknownOutcomeError,
)
from b24typed.core.limits import RateLimiter

from .harness import Harness, body_of, envelope

MODES = ["sync", "async"]
FAST = RetryPolicy(backoff_base=0.01)
_domains = itertools.count()


def unique_url() -> str:
    """A webhook on a portal no other test uses, so shared limits start fresh."""
    return f"https://resilience-{next(_domains)}.example.com/rest/1/secret/"


def scripted(*answers: Any) -> Any:
    """A handler that gives the answers in order, repeating the last one."""
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        return fresh(item)

    return handler


def fresh(response: httpx.Response) -> httpx.Response:
    """A new copy: httpx responses cannot be sent twice."""
    return httpx.Response(response.status_code, headers=response.headers, content=response.content)


LIMIT_503 = httpx.Response(
    503, json={"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many"}
)


@pytest.mark.parametrize("mode", MODES)
def test_query_limit_is_retried_after_backoff(mode: str) -> None:
    h = Harness(mode, scripted(LIMIT_503, LIMIT_503, envelope({"ID": "1"})))
    result = h.call(2, "crm.deal.get", {"id": 1})
    assert result.is_success and len(h.requests) == 3
    assert len(h.clock.slept) == 2 and all(s >= 1.0 for s in h.clock.slept)
    assert h.client.stats["retries"] == 2


def test_retry_after_header_is_honoured() -> None:
    limited = httpx.Response(
        503, headers={"Retry-After": "7"}, json={"error": "QUERY_LIMIT_EXCEEDED"}
    )
    h = Harness("sync", scripted(limited, envelope(1)))
    assert h.call(2, "crm.deal.get", {"id": 1}).is_success
    assert h.clock.slept == [7.0]


@pytest.mark.parametrize("mode", MODES)
def test_retries_stop_at_max_attempts_with_the_real_error_and_no_final_sleep(mode: str) -> None:
    h = Harness(mode, scripted(LIMIT_503), retry=RetryPolicy(max_attempts=4))
    result = h.call(2, "crm.deal.list")
    assert isinstance(result.error, QueryLimitError)
    assert result.error.code == "QUERY_LIMIT_EXCEEDED"
    assert len(h.requests) == 4 and len(h.clock.slept) == 3


def test_overall_deadline_stops_retrying() -> None:
    h = Harness("sync", scripted(LIMIT_503), retry=RetryPolicy(max_attempts=100, deadline=5.0))
    assert isinstance(h.call(2, "crm.deal.list").error, QueryLimitError)
    assert sum(h.clock.slept) <= 5.0
    assert 2 <= len(h.requests) < 100


def test_operation_time_limit_waits_for_the_reset() -> None:
    clock = ManualClock()
    reset_at = clock.now() + 120
    limited = httpx.Response(
        429, json={"error": "OPERATION_TIME_LIMIT", "error_description": "Method is blocked"}
    )
    ok = httpx.Response(
        200, json={"result": [], "time": {"operating": 480.0, "operating_reset_at": reset_at}}
    )
    h = Harness(
        "sync",
        scripted(ok, limited, envelope([])),
        clock=clock,
        url=unique_url(),
        limits=LimitConfig(),
    )
    h.call(2, "crm.deal.list")  # the server reports the budget as spent
    assert h.call(2, "crm.deal.list").is_success
    # first the client waits for the reset it was told about; the 429 then waits again (>= 10 s)
    assert h.clock.slept[0] == pytest.approx(121.0)
    assert h.clock.slept[1] >= 10.0
    assert len(h.requests) == 3


def test_spent_operating_budget_waits_until_reset_before_sending() -> None:
    clock = ManualClock()
    reset_at = clock.now() + 300
    spent = {"result": [], "time": {"operating": 478.0, "operating_reset_at": reset_at}}
    h = Harness(
        "sync",
        lambda r: httpx.Response(200, json=spent),
        clock=clock,
        url=unique_url(),
        limits=LimitConfig(),
    )
    h.call(2, "tasks.task.list")
    sent_at: list[float] = []
    h2 = h.client
    h2.call_method("crm.deal.list")  # other methods are not held back
    assert clock.slept == []
    h.call(2, "tasks.task.list")
    sent_at.append(clock.now())
    assert clock.slept == [pytest.approx(301.0)]
    assert sent_at[0] >= reset_at


def test_operating_budget_of_batch_commands_is_charged_per_inner_method() -> None:
    clock = ManualClock()
    reset_at = clock.now() + 50
    batch_answer = {
        "result": {
            "result": {"a": [], "b": []},
            "result_error": [],
            "result_time": {
                "a": {"operating": 479.0, "operating_reset_at": reset_at},
                "b": {"operating": 1.0, "operating_reset_at": reset_at},
            },
        },
        "time": {"operating": 0.5},
    }
    h = Harness(
        "sync",
        lambda r: httpx.Response(200, json=batch_answer),
        clock=clock,
        url=unique_url(),
        limits=LimitConfig(),
    )
    h.call(2, "batch", {"halt": 0, "cmd": {"a": "crm.deal.list?start=0", "b": "user.get"}})
    h.call(2, "user.get")
    assert clock.slept == []
    h.call(2, "crm.deal.list")
    assert clock.slept == [pytest.approx(51.0)]


@pytest.mark.parametrize("mode", MODES)
def test_reads_are_retried_after_server_errors_and_timeouts(mode: str) -> None:
    html = httpx.Response(502, content=b"<html>Bad Gateway</html>")
    h = Harness(
        mode,
        scripted(
            httpx.ReadTimeout("slow"), html, httpx.RemoteProtocolError("reset"), envelope([1])
        ),
    )
    assert h.call(2, "crm.deal.list").result == [1]
    assert len(h.requests) == 4


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("peer closed"),
        httpx.Response(500, json={"error": "INTERNAL_SERVER_ERROR"}),
        httpx.Response(502, content=b"<html>Bad Gateway</html>"),
        httpx.Response(200, content=b'{"result": 1'),
    ],
)
def test_rest_v2_write_with_unknown_outcome_is_not_sent_twice(mode: str, failure: Any) -> None:
    h = Harness(mode, scripted(failure, envelope(5)))
    with pytest.raises(UnknownOutcomeError) as info:
        h.call(2, "crm.deal.add", {"fields": {"TITLE": "once"}})
    assert len(h.requests) == 1
    assert info.value.request_id and info.value.request_id in str(info.value)
    assert "may or may not have been applied" in str(info.value)


def test_rest_v2_write_is_retried_when_the_request_never_left() -> None:
    h = Harness("sync", scripted(httpx.ConnectError("refused"), envelope(5)))
    assert h.call(2, "crm.deal.add", {"fields": {}}).result == 5
    assert len(h.requests) == 2


@pytest.mark.parametrize("mode", MODES)
def test_rest3_write_is_retried_with_the_same_idempotency_key(mode: str) -> None:
    h = Harness(
        mode,
        scripted(
            httpx.ReadTimeout("slow"),
            httpx.Response(502, content=b"<html/>"),
            envelope({"item": {"id": 1}}),
        ),
    )
    assert h.call(3, "tasks.task.add", {"fields": {"title": "t"}}).is_success
    keys = {r.headers["idempotency-key"] for r in h.requests}
    assert len(h.requests) == 3 and len(keys) == 1


@pytest.mark.parametrize(
    "answer",
    [
        {"error": "INVALID_ARG_VALUE"},
        {"error": "ERROR_CORE", "error_description": "Task not found or access denied"},
        {"error": "INTERNAL_SERVER_ERROR"},
    ],
)
def test_other_client_errors_are_never_retried(answer: dict[str, str]) -> None:
    h = Harness("sync", scripted(httpx.Response(400, json=answer), envelope(1)))
    assert h.call(2, "tasks.task.get", {"taskId": 1}).error is not None
    assert len(h.requests) == 1 and h.clock.slept == []


def test_network_retries_can_be_switched_off() -> None:
    h = Harness(
        "sync",
        scripted(httpx.ReadTimeout("slow"), envelope(1)),
        retry=RetryPolicy(retry_network_errors=False),
    )
    with pytest.raises(RequestTimeoutError):
        h.call(2, "crm.deal.get", {"id": 1})
    assert len(h.requests) == 1


# ---- the client-side leaky bucket -------------------------------------------------------------


class ServerBucket:
    """The portal's leaky bucket: each request adds 1, it drains ``rate`` a second, max ``size``."""

    def __init__(self, clock: ManualClock, size: int = 50, rate: float = 2.0) -> None:
        self.clock, self.size, self.rate = clock, size, rate
        self.level, self.updated, self.rejected = 0.0, clock.now(), 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        now = self.clock.now()
        self.level = max(0.0, self.level - (now - self.updated) * self.rate)
        self.updated = now
        if self.level + 1 > self.size + 1e-5:  # float time at 1.7e9 s resolves ~0.2 us
            self.rejected += 1
            return fresh(LIMIT_503)
        self.level += 1
        return envelope(True)


@pytest.mark.parametrize("mode", MODES)
def test_a_burst_of_200_calls_never_overflows_the_bucket(mode: str) -> None:
    clock = ManualClock()
    server = ServerBucket(clock)
    h = Harness(mode, server, clock=clock, url=unique_url(), limits=LimitConfig.standard())
    start = clock.now()
    for _ in range(200):
        assert h.call(2, "server.time").is_success
    assert server.rejected == 0
    assert len(h.requests) == 200
    assert clock.now() - start == pytest.approx((200 - 50) / 2.0, abs=0.01)


def test_enterprise_preset_allows_a_bigger_burst() -> None:
    clock = ManualClock()
    server = ServerBucket(clock, size=250, rate=5.0)
    h = Harness("sync", server, clock=clock, url=unique_url(), limits=LimitConfig.enterprise())
    for _ in range(260):
        h.call(2, "server.time")
    assert server.rejected == 0 and clock.now() - 1_767_225_600.0 == pytest.approx(2.0, abs=0.01)


def test_concurrent_reservations_never_exceed_the_bucket() -> None:
    limiter = RateLimiter(burst=50, per_second=2.0, now=0.0)
    send_times: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(25):
            wait = limiter.reserve(0.0)
            with lock:
                send_times.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    send_times.sort()
    assert len(send_times) == 200
    for index, at in enumerate(send_times):
        assert (
            index + 1 <= 50 + at * 2.0 + 1e-9
        )  # never more sends by time t than the bucket allows


def test_clients_of_one_portal_share_limits_across_sync_and_async() -> None:
    from b24typed import AsyncB24Hook

    url = unique_url()
    a = B24Hook.from_webhook_url(url)
    b = AsyncB24Hook.from_webhook_url(url)
    c = B24Hook.from_webhook_url(unique_url())
    assert a._state.limits is b._state.limits
    assert a._state.limits is not c._state.limits


# ---- OAuth refresh -----------------------------------------------------------------------------


def oauth_server(refresh_delay: float = 0.0) -> tuple[Any, dict[str, Any]]:
    state: dict[str, Any] = {"refreshes": 0, "bodies": [], "token": "tok-0", "refresh": "ref-0"}
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token/":
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            with lock:
                state["bodies"].append((request.method, str(request.url), form))
                if form.get("refresh_token") != state["refresh"]:
                    return httpx.Response(400, json={"error": "invalid_grant"})
                state["refreshes"] += 1
                n = state["refreshes"]
                state["token"], state["refresh"] = f"tok-{n}", f"ref-{n}"
            if refresh_delay:
                threading.Event().wait(refresh_delay)
            return httpx.Response(
                200,
                json={
                    "access_token": f"tok-{n}",
                    "refresh_token": f"ref-{n}",
                    "expires_in": 3600,
                    "client_endpoint": "https://o.example.com/rest/",
                },
            )
        if body_of(request).get("auth") != state["token"]:
            return httpx.Response(
                401,
                json={
                    "error": "expired_token",
                    "error_description": "The access token provided has expired.",
                },
            )
        return envelope({"ok": True})

    return handler, state


def oauth_kw(**extra: Any) -> dict[str, Any]:
    return {
        "client_id": "app.1",
        "client_secret": "csecret",
        "tokens": {
            "access_token": "stale",
            "refresh_token": "ref-0",
            "expires_in": 3600,
            "client_endpoint": "https://o.example.com/rest/",
        },
        **extra,
    }


@pytest.mark.parametrize("mode", MODES)
def test_expired_token_is_refreshed_once_and_the_call_retried(mode: str) -> None:
    handler, server = oauth_server()
    saved: list[OAuthTokens] = []
    h = Harness(mode, handler, oauth=oauth_kw(on_token_refresh=saved.append))
    assert h.call(2, "crm.deal.list").is_success
    assert h.call(3, "tasks.task.list").is_success
    assert server["refreshes"] == 1
    method, url, form = server["bodies"][0]
    assert method == "POST" and url == "https://oauth.bitrix.info/oauth/token/"
    assert form == {
        "grant_type": "refresh_token",
        "client_id": "app.1",
        "client_secret": "csecret",
        "refresh_token": "ref-0",
    }
    assert [t.refresh_token.reveal() for t in saved] == ["ref-1"]
    assert h.client.tokens.access_token.reveal() == "tok-1"


def test_a_rejected_refresh_raises_token_refresh_error() -> None:
    handler, _ = oauth_server()
    kw = oauth_kw()
    kw["tokens"]["refresh_token"] = "wrong"
    h = Harness("sync", handler, oauth=kw)
    with pytest.raises(TokenRefreshError) as info:
        h.call(2, "crm.deal.list")
    assert info.value.code == "invalid_grant"


def test_a_second_expiry_after_refresh_is_not_looped() -> None:
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if request.url.path == "/oauth/token/":
            return httpx.Response(
                200, json={"access_token": "a2", "refresh_token": "r2", "expires_in": 3600}
            )
        return httpx.Response(401, json={"error": "expired_token"})

    h = Harness("sync", handler, oauth=oauth_kw())
    assert h.call(2, "crm.deal.list").error is not None
    assert calls["n"] == 3  # call, refresh, one retry


def test_threads_share_one_refresh() -> None:
    handler, server = oauth_server(refresh_delay=0.05)
    client = B24OAuth(
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
        limits=LimitConfig.off(),
        **oauth_kw(),
    )
    results: list[bool] = []
    threads = [
        threading.Thread(target=lambda: results.append(client.call_method("profile").is_success))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 8
    assert server["refreshes"] == 1


def test_async_tasks_share_one_refresh() -> None:
    handler, server = oauth_server()

    async def slow_handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.01)
        return handler(request)

    async def main() -> list[bool]:
        client = AsyncB24OAuth(
            http_client=httpx.AsyncClient(transport=httpx.MockTransport(slow_handler)),
            limits=LimitConfig.off(),
            **oauth_kw(),
        )
        answers = await asyncio.gather(*(client.call_method("profile") for _ in range(10)))
        return [a.is_success for a in answers]

    assert asyncio.run(main()) == [True] * 10
    assert server["refreshes"] == 1


def test_token_expiring_by_the_clock_is_refreshed_before_the_call() -> None:
    handler, server = oauth_server()
    clock = ManualClock()
    h = Harness("sync", handler, oauth=oauth_kw(), clock=clock)
    clock.advance(4000)
    assert h.call(2, "profile").is_success
    assert server["refreshes"] == 1
    assert len(h.requests) == 2  # the refresh, then the call with the new token


# ---- observability -----------------------------------------------------------------------------


def test_retries_waits_and_refreshes_are_logged_with_the_request_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler, _ = oauth_server()
    answers = iter([LIMIT_503])

    def flaky(request: httpx.Request) -> httpx.Response:
        if request.url.path != "/oauth/token/" and "tok-1" in request.content.decode():
            limited = next(answers, None)
            return fresh(limited) if limited is not None else handler(request)
        return handler(request)

    h = Harness("sync", flaky, oauth=oauth_kw())
    with caplog.at_level(logging.DEBUG, logger="b24typed"):
        h.run("call_method", "crm.deal.list", request_id="rid-obs")
    messages = [r.getMessage() for r in caplog.records]
    assert any("refreshing" in m and "rid-obs" in m for m in messages)
    assert any("retrying" in m and "rid-obs" in m for m in messages)
    assert h.client.stats == {
        "requests": 4,
        "retries": 1,
        "waits": 1,
        "wait_seconds": h.clock.slept[0],
        "refreshes": 1,
    }


# ---- arbitrary answers -------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "result",
                    "error",
                    "error_description",
                    "time",
                    "total",
                    "next",
                    "code",
                    "message",
                    "validation",
                    "operating",
                    "operating_reset_at",
                    "x",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)
bodies = st.one_of(
    st.binary(max_size=64),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {"error": json_values}, optional={"error_description": json_values, "result": json_values}
    ).map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {"result": json_values, "time": json_values},
        optional={"total": json_values, "next": json_values},
    ).map(lambda v: json.dumps(v).encode()),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    status=st.integers(min_value=100, max_value=599),
    body=bodies,
    api=st.sampled_from([2, 3]),
    method=st.sampled_from(["crm.deal.list", "crm.deal.add", "batch"]),
)
def test_any_answer_gives_a_result_or_a_b24_error(
    status: int, body: bytes, api: int, method: str
) -> None:
    h = Harness(
        "sync", lambda r: httpx.Response(status, content=body), retry=RetryPolicy(max_attempts=2)
    )
    try:
        result = h.call(api, method, {"cmd": ["crm.deal.list?x=1"]} if method == "batch" else {})
    except B24Error:
        return
    assert result.is_success == (result.error is None)
    for probe in (
        result.get_data,
        result.get_error_messages,
        result.get_total,
        result.is_more,
        repr,
    ):
        probe() if probe is not repr else repr(result)
    if result.error is not None:
        assert isinstance(result.error, B24Error) and result.error.code
        with pytest.raises(B24Error):
            result.raise_for_error()


BARE_LIMIT_ANSWERS = {
    "503 without a code": httpx.Response(503, json={"result": None}),
    "503 with another code": httpx.Response(
        503, json={"error": "GATEWAY", "error_description": ""}
    ),
    "429 without a code": httpx.Response(429, json={}),
}


@pytest.mark.parametrize("name", sorted(BARE_LIMIT_ANSWERS))
def test_a_v2_write_is_not_repeated_after_a_limit_status_without_bitrix_code(name: str) -> None:
    h = Harness(
        "sync", scripted(BARE_LIMIT_ANSWERS[name], envelope(1)), retry=FAST, url=unique_url()
    )
    with pytest.raises(UnknownOutcomeError):
        h.call(2, "crm.deal.add", {"fields": {"TITLE": "x"}}).raise_for_error()
    assert len(h.requests) == 1
    # a read is safe to repeat
    h = Harness(
        "sync", scripted(BARE_LIMIT_ANSWERS[name], envelope(1)), retry=FAST, url=unique_url()
    )
    assert h.call(2, "crm.deal.get", {"id": 1}).result == 1 and len(h.requests) == 2


def test_an_unreadable_503_to_a_write_is_a_format_error_not_an_unknown_outcome() -> None:
    page = httpx.Response(503, content=b"<html>Service Temporarily Unavailable</html>")
    h = Harness("sync", scripted(page, envelope(1)), retry=FAST, url=unique_url())
    result = h.call(2, "crm.deal.add", {"fields": {"TITLE": "x"}})
    assert type(result.error) is ResponseFormatError and result.error.status == 503
    assert len(h.requests) == 1


def late_stale_answer(base: Any) -> tuple[Any, threading.Event]:
    """``base``, except that the first ``crm.deal.get`` (sent with the stale token) is answered
    only after another call has refreshed the token and succeeded."""
    sent, other_done = threading.Event(), threading.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        late = request.url.path.endswith("/crm.deal.get") and body_of(request)["auth"] == "stale"
        if late:
            sent.set()
            assert other_done.wait(5)
        answer = base(request)
        if request.url.path.endswith("/profile") and answer.status_code == 200:
            other_done.set()
        return answer

    return handler, sent


def test_a_late_stale_token_answer_does_not_refresh_again_sync() -> None:
    base, server = oauth_server()
    handler, sent = late_stale_answer(base)
    client = B24OAuth(
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
        limits=LimitConfig.off(),
        **oauth_kw(),
    )
    results: list[bool] = []
    late = threading.Thread(
        target=lambda: results.append(client.call_method("crm.deal.get").is_success)
    )
    late.start()
    assert sent.wait(5)
    assert client.call_method("profile").is_success
    late.join(10)
    assert results == [True]
    assert server["refreshes"] == 1


def test_a_late_stale_token_answer_does_not_refresh_again_async() -> None:
    base, server = oauth_server()

    async def main() -> list[bool]:
        other_done = asyncio.Event()

        async def handler(request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("/crm.deal.get") and body_of(request)["auth"] == "stale":
                await asyncio.wait_for(other_done.wait(), 5)
            answer = base(request)
            if request.url.path.endswith("/profile") and answer.status_code == 200:
                other_done.set()
            return answer

        client = AsyncB24OAuth(
            http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
            limits=LimitConfig.off(),
            **oauth_kw(),
        )
        late = asyncio.create_task(client.call_method("crm.deal.get"))
        await asyncio.sleep(0.01)
        other = await client.call_method("profile")
        return [(await late).is_success, other.is_success]

    assert asyncio.run(main()) == [True, True]
    assert server["refreshes"] == 1
