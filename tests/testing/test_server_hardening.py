"""The fake portal as a server: an answer for every malformed request, idle connections closed,
statistics in bounded memory, idempotency answers forgotten after 24 hours, fresh secrets."""

from __future__ import annotations

import socket
import time
from typing import Any

import httpx
import pytest

from b24typed.testing import FakePortal
from b24typed.testing.clock import ManualClock
from b24typed.testing.portal import STATS_KEYS, Request


def exchange(base: str, raw: bytes) -> bytes:
    """Send ``raw`` to the server at ``base`` and read until it closes or 2 s pass."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=2) as conn:
        conn.sendall(raw)
        data = b""
        try:
            while chunk := conn.recv(65536):
                data += chunk
        except TimeoutError:
            pass
    return data


@pytest.mark.parametrize(
    ("head", "status"),
    [
        (b"Content-Length: abc", b"400"),
        (b"Content-Length: -5", b"400"),
        (b"Content-Length: 99999999999", b"413"),
    ],
)
def test_a_malformed_request_gets_an_http_answer(head: bytes, status: bytes) -> None:
    portal = FakePortal()
    with portal.serve() as base:
        path = portal.serve_webhook_url(base).removeprefix(base).encode()
        answer = exchange(base, b"POST " + path + b"profile HTTP/1.1\r\n" + head + b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 " + status)


def test_a_body_shorter_than_its_length_gets_a_408() -> None:
    portal = FakePortal()
    with portal.serve(idle_timeout=0.3) as base:
        path = portal.serve_webhook_url(base).removeprefix(base).encode()
        head = b"POST " + path + b"profile HTTP/1.1\r\nContent-Length: 100\r\n\r\n{}"
        assert exchange(base, head).startswith(b"HTTP/1.1 408")


def test_a_request_the_portal_fails_on_gets_a_500(monkeypatch: pytest.MonkeyPatch) -> None:
    portal = FakePortal()

    def broken(request: Request) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(portal, "handle", broken)
    with portal.serve() as base:
        answer = httpx.post(portal.serve_webhook_url(base) + "profile", json={}, timeout=5)
    assert answer.status_code == 500 and answer.json()["error"] == "INVALID_REQUEST"


def test_an_idle_connection_is_closed() -> None:
    portal = FakePortal()
    with portal.serve(idle_timeout=0.3) as base:
        started = time.monotonic()
        assert exchange(base, b"") == b""  # closed by the server, before the 2 s read timeout
        assert time.monotonic() - started < 1.5


def test_statistics_stay_bounded_under_made_up_methods() -> None:
    portal = FakePortal()
    for n in range(STATS_KEYS + 500):
        portal.handle(Request("POST", f"https://x/rest/1/nope/m{n}.{'x' * 5000}", {}, b"{}"))
    assert len(portal.stats.by_method) <= STATS_KEYS + 1
    assert max(map(len, portal.stats.by_method)) <= 100
    assert portal.stats.requests == STATS_KEYS + 500


def test_idempotency_answers_are_purged_after_24_hours() -> None:
    clock = ManualClock()
    portal = FakePortal(clock=clock)
    url = portal.webhook_url.replace("/rest/", "/rest/api/") + "tasks.task.add"
    fields = {"fields": {"title": "Once", "creatorId": 1, "responsibleId": 1}}
    with portal.client() as http:
        for n in range(3):
            answer = http.post(url, json=fields, headers={"Idempotency-Key": f"key-{n}"})
            assert answer.status_code == 200, answer.text
        assert len(portal._idempotency) == 3
        clock.advance(86401)
        http.post(url, json=fields, headers={"Idempotency-Key": "key-3"})
    assert [slot[2] for slot in portal._idempotency] == ["key-3"]


def test_a_seeded_portal_gets_a_fresh_secret_unless_one_is_given() -> None:
    assert FakePortal(seed=7).webhook_url != FakePortal(seed=7).webhook_url
    fixed = FakePortal(seed=7, webhook_secret="fixedsecret1")
    assert fixed.webhook_url.endswith("/rest/1/fixedsecret1/")
