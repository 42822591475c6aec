"""The loopback HTTP server (stdlib ``ThreadingHTTPServer``) in front of a portal.

Every request gets an HTTP answer, malformed ones included (a bad ``Content-Length`` is a 400, a
body over ``MAX_BODY`` a 413, a failure inside the portal a 500), and a connection that stays
idle longer than ``idle_timeout`` seconds is closed.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from .faults import Fault

if TYPE_CHECKING:
    import ssl

    from .portal import FakePortal

__all__ = ["start_server"]


MAX_BODY = 64 * 1024 * 1024
IDLE_TIMEOUT = 30.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    portal: FakePortal
    idle_timeout: float = IDLE_TIMEOUT


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.idle_timeout)  # an idle connection ends

    def log_message(self, format: str, *args: object) -> None:
        return None

    def _plain(self, status: int, text: str) -> None:
        body = json.dumps({"error": "INVALID_REQUEST", "error_description": text}).encode()
        self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def _serve(self) -> None:
        try:
            self._answer()
        except TimeoutError:  # the body stopped short of its Content-Length
            with contextlib.suppress(OSError):
                self._plain(408, "the body did not arrive in time")
        except OSError:
            self.close_connection = True
        except Exception:  # a request the portal cannot handle still gets an answer
            self._plain(500, "the fake portal failed on this request")

    def _answer(self) -> None:
        from .portal import Request

        raw = self.headers.get("Content-Length") or "0"
        if not raw.isdigit():
            self._plain(400, "Content-Length must be a non-negative number")
            return
        length = int(raw)
        if length > MAX_BODY:
            self._plain(413, f"the body is over {MAX_BODY} bytes")
            return
        body = self.rfile.read(length) if length > 0 else b""
        host = self.headers.get("Host") or "127.0.0.1"
        req = Request(
            self.command,
            f"http://{host}{self.path}",
            {k.lower(): v for k, v in self.headers.items()},
            body,
        )
        out = self.server.portal.handle(req)
        if isinstance(out, Fault):
            if out.kind == "timeout":
                time.sleep(self.server.portal.faults.timeout_seconds)
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(out.status)
        for key, value in out.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(out.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(out.body)

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()


def start_server(
    portal: FakePortal,
    host: str,
    port: int,
    *,
    ssl_context: ssl.SSLContext | None = None,
    idle_timeout: float = IDLE_TIMEOUT,
) -> tuple[_Server, threading.Thread]:
    server = _Server((host, port), _Handler)
    server.idle_timeout = idle_timeout
    if ssl_context is not None:
        server.socket = ssl_context.wrap_socket(server.socket, server_side=True)
    server.portal = portal
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="b24-fake-portal",
        daemon=True,
    )
    thread.start()
    return server, thread
