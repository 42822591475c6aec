"""Hostile servers on 127.0.0.1 for tests: each connection runs a script over a raw socket.

A script reads the request with :func:`read_request` and writes whatever bytes it likes, as slowly
as it likes; every socket has a timeout and every server stops with its ``with`` block, so a test
that goes wrong ends in bounded time.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Script = Callable[[socket.socket, "Request"], None]


class Request:
    """What a client sent: request line, headers (lower-case names) and body."""

    def __init__(self, line: str, headers: dict[str, str], body: bytes) -> None:
        self.line, self.headers, self.body = line, headers, body

    @property
    def path(self) -> str:
        return self.line.split(" ")[1] if " " in self.line else ""


def read_request(conn: socket.socket) -> Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for row in lines[1:]:
        name, _, value = row.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return Request(lines[0], headers, body)


def response(status: int, body: bytes, **headers: str) -> bytes:
    head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}"]
    head += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def json_response(payload: Any, status: int = 200) -> bytes:
    return response(status, json.dumps(payload).encode(), Content_Type="application/json")


@contextmanager
def _listen(handle: Callable[[socket.socket], None], timeout: float) -> Iterator[str]:
    """Accept connections on 127.0.0.1 and run ``handle`` for each in a thread."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stop = threading.Event()

    def run(conn: socket.socket) -> None:
        conn.settimeout(timeout)
        try:
            handle(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=run, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        listener.close()


@contextmanager
def serve(script: Script, *, timeout: float = 10.0) -> Iterator[str]:
    """Run ``script`` for every request; yields ``http://127.0.0.1:port``."""

    def handle(conn: socket.socket) -> None:
        while True:
            request = read_request(conn)
            if request is None:
                return
            script(conn, request)

    with _listen(handle, timeout) as url:
        yield url


@contextmanager
def serve_h2(answer: Callable[[str], bytes]) -> Iterator[str]:
    """An HTTP/2 (prior knowledge) server answering every request with ``answer(path)`` as
    JSON; yields ``http://127.0.0.1:port``."""
    import h2.config
    import h2.connection
    import h2.events

    def script(conn: socket.socket) -> None:
        h2conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        h2conn.initiate_connection()
        conn.sendall(h2conn.data_to_send())
        paths: dict[int, str] = {}
        while True:
            data = conn.recv(65536)
            if not data:
                return
            for event in h2conn.receive_data(data):
                if isinstance(event, h2.events.RequestReceived):
                    headers = {bytes(k): bytes(v) for k, v in event.headers}
                    paths[event.stream_id] = headers[b":path"].decode()
                elif isinstance(event, h2.events.DataReceived):
                    h2conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                if isinstance(event, h2.events.StreamEnded):
                    body = answer(paths.pop(event.stream_id, ""))
                    h2conn.send_headers(
                        event.stream_id,
                        [
                            (":status", "200"),
                            ("content-type", "application/json"),
                            ("content-length", str(len(body))),
                        ],
                    )
                    h2conn.send_data(event.stream_id, body, end_stream=True)
            conn.sendall(h2conn.data_to_send())

    with _listen(script, 10.0) as url:
        yield url
