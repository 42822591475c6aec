"""The loopback HTTP server (stdlib ``ThreadingHTTPServer``) in front of a portal."""

from __future__ import annotations

import contextlib
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


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    portal: FakePortal


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        return None

    def _serve(self) -> None:
        from .portal import Request

        length = int(self.headers.get("Content-Length") or 0)
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
    portal: FakePortal, host: str, port: int, *, ssl_context: ssl.SSLContext | None = None
) -> tuple[_Server, threading.Thread]:
    server = _Server((host, port), _Handler)
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
