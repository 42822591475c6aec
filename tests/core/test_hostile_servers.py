"""Hostile servers on 127.0.0.1: nested JSON, compression bombs, endless and dribbled bodies,
slow headers, redirect loops, odd pages, cursors and limits. Every case ends in bounded time and
memory with a B24Error (or data), never a hang and never a secret."""

from __future__ import annotations

import asyncio
import json
import socket
import time
import zlib
from collections.abc import Callable
from functools import cache
from typing import Any

import httpx
import pytest

from b24typed import (
    AsyncB24Hook,
    AttemptLimits,
    B24Error,
    B24Hook,
    LimitConfig,
    ManualClock,
    RequestTimeoutError,
    ResponseFormatError,
    RetryPolicy,
    SdkError,
    TransportError,
)

from .harness import SECRET
from .loopback import Request, json_response, response, serve

TIGHT = AttemptLimits(max_answer_bytes=4 * 1024 * 1024, max_seconds=0.5)
ONCE = RetryPolicy.never()

Script = Callable[[socket.socket, Request], None]


def hook(base: str, **kw: Any) -> B24Hook:
    kw.setdefault("attempt_limits", TIGHT)
    kw.setdefault("retry", ONCE)
    return B24Hook.from_webhook_url(
        f"{base}/rest/7/{SECRET}/", limits=LimitConfig.off(), clock=ManualClock(), **kw
    )


def call_async(base: str, method: str) -> Any:
    async def run() -> Any:
        async with AsyncB24Hook.from_webhook_url(
            f"{base}/rest/7/{SECRET}/",
            limits=LimitConfig.off(),
            retry=ONCE,
            attempt_limits=TIGHT,
            clock=ManualClock(),
        ) as client:
            return await client.call(2, method, {"id": 1})

    return asyncio.run(run())


def outcome(script: Script, mode: str, method: str = "crm.deal.get") -> tuple[Any, float]:
    """The error (or result) of one call against ``script``, and the seconds it took."""
    started = time.monotonic()
    with serve(script, timeout=5) as base:
        try:
            if mode == "async":
                result = call_async(base, method)
            else:
                with hook(base) as client:
                    result = client.call(2, method, {"id": 1})
            value: Any = result.error if result.error is not None else result
        except B24Error as error:
            value = error
    elapsed = time.monotonic() - started
    assert SECRET not in repr(value) and SECRET not in str(value)
    return value, elapsed


@cache
def gzip_bomb(size: int) -> bytes:
    """A gzip body of ``size`` zero bytes (about a thousandth of that on the wire)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1024 * 1024)
    parts = [packer.compress(block) for _ in range(size // len(block))]
    return b"".join(parts) + packer.flush()


def bomb(conn: socket.socket, request: Request) -> None:
    conn.sendall(response(200, gzip_bomb(100 * 1024 * 1024), Content_Encoding="gzip"))


def endless_chunked(conn: socket.socket, request: Request) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n%s\r\n" % (65536, b"[" * 65536)
    for _ in range(2000):  # 128 MiB at most
        conn.sendall(chunk)


def dribbled_body(conn: socket.socket, request: Request) -> None:
    body = json.dumps({"result": {"ID": "1", "TITLE": "slow"}}).encode()
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body))
    for byte in body:  # 40 bytes, 0.1 s apart: 4 s in all
        conn.sendall(bytes([byte]))
        time.sleep(0.1)


def dribbled_headers(conn: socket.socket, request: Request) -> None:
    for _ in range(50):  # 5 s of header bytes that never end
        conn.sendall(b"X")
        time.sleep(0.1)


def nested_json(conn: socket.socket, request: Request) -> None:
    conn.sendall(response(200, b'{"result":' + b"[" * 5000 + b"]" * 5000 + b"}"))


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_gzip_bomb_stops_at_the_answer_limit(mode: str) -> None:
    gzip_bomb(100 * 1024 * 1024)  # built before the clock of the attempt starts
    error, _ = outcome(bomb, mode)
    assert isinstance(error, ResponseFormatError) and error.code == "ANSWER_TOO_LARGE"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_endless_body_stops_at_the_answer_limit(mode: str) -> None:
    error, _ = outcome(endless_chunked, mode)
    assert isinstance(error, ResponseFormatError) and error.code == "ANSWER_TOO_LARGE"


@pytest.mark.parametrize("script", [dribbled_body, dribbled_headers], ids=["body", "headers"])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_dribbling_server_is_cut_off_at_the_attempt_limit(mode: str, script: Script) -> None:
    error, elapsed = outcome(script, mode)
    assert isinstance(error, RequestTimeoutError)
    assert elapsed < 3.0  # the attempt limit is 0.5 s; the server would go on for 4-5 s


def test_a_callers_own_sync_client_is_cut_off_while_headers_dribble() -> None:
    started = time.monotonic()
    with serve(dribbled_headers, timeout=5) as base, pytest.raises(RequestTimeoutError):
        hook(base, http_client=httpx.Client()).call(2, "crm.deal.get", {"id": 1}).raise_for_error()
    assert time.monotonic() - started < 3.0


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_json_nested_deeper_than_the_parser_is_an_unreadable_answer(mode: str) -> None:
    error, _ = outcome(nested_json, mode)
    assert isinstance(error, ResponseFormatError) and error.code == "INVALID_RESPONSE"


def test_a_redirect_loop_on_a_redirect_following_client_is_a_transport_error() -> None:
    def loop(conn: socket.socket, request: Request) -> None:
        conn.sendall(response(302, b"", Location=request.path))

    following = httpx.Client(follow_redirects=True)
    with (
        serve(loop) as base,
        hook(base, http_client=following) as b24,
        pytest.raises(TransportError) as info,
    ):
        b24.call(2, "crm.deal.get", {"id": 1}).raise_for_error()
    assert SECRET not in str(info.value) and info.value.__cause__ is None


def test_a_big_answer_under_the_limit_reads_whole() -> None:
    items = [{"ID": str(i), "TITLE": "x" * 1000} for i in range(1, 2001)]
    with serve(lambda conn, request: conn.sendall(json_response({"result": items}))) as base:
        b24 = hook(base)
        assert len(b24.call(2, "crm.deal.list").result) == 2000


def test_a_keyset_walk_over_a_server_that_ignores_the_cursor_stops() -> None:
    page = {"result": [{"ID": str(i)} for i in range(1, 51)]}
    served = 0

    def same_page(conn: socket.socket, request: Request) -> None:
        nonlocal served
        served += 1
        if request.path.endswith("/batch"):
            cmd = json.loads(request.body)["cmd"]
            conn.sendall(json_response({"result": {"result": dict.fromkeys(cmd, page["result"])}}))
        else:
            conn.sendall(json_response(page))

    with serve(same_page) as base, pytest.raises(SdkError, match="at or below the cursor"):
        hook(base).call_list_method("crm.deal.list")
    assert served == 2


def test_a_limit_reset_a_year_ahead_waits_the_cap_not_a_year() -> None:
    clock = ManualClock()
    spent = {
        "result": [],
        "time": {
            "finish": clock.now(),
            "operating": 480,
            "operating_reset_at": clock.now() + 365 * 86400,
        },
    }
    with serve(lambda conn, request: conn.sendall(json_response(spent))) as base:
        b24 = B24Hook.from_webhook_url(f"{base}/rest/7/{SECRET}/", clock=clock)
        b24.call(2, "crm.deal.list")
        b24.call(2, "crm.deal.list")
    assert clock.slept == [pytest.approx(660.0)]


@cache
def gzip_twice(size: int) -> bytes:
    """``gzip_bomb(size)`` compressed again: a few hundred bytes on the wire."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    return packer.compress(gzip_bomb(size)) + packer.flush()


def double_bomb(conn: socket.socket, request: Request) -> None:
    body = gzip_twice(64 * 1024 * 1024)
    conn.sendall(response(200, body, Content_Encoding="gzip, gzip"))


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_answer_compressed_twice_is_refused_before_it_is_decompressed(mode: str) -> None:
    """Each layer multiplies what one chunk decompresses to (a 2 KB answer gave 1 GiB at once,
    whatever max_answer_bytes), so stacked encodings are refused from the headers."""
    import tracemalloc

    gzip_twice(64 * 1024 * 1024)  # built before memory is measured
    tracemalloc.start()
    try:
        error, _ = outcome(double_bomb, mode)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(error, ResponseFormatError) and error.code == "ANSWER_TOO_LARGE"
    assert peak < 16 * 1024 * 1024
