"""Bounds on one HTTP attempt: how big its answer may grow once decompressed, and how long the
whole attempt may take, headers and body included.

httpx's own timeouts are per network operation, so a server that sends one byte a second never
trips them; and an answer is read whole, so a small gzip body can decompress to gigabytes. The
drivers read every answer through a :class:`BodyReader`, which stops either (and refuses an
answer compressed more than once, which would expand too far in one chunk to count). A sync
client that b24typed creates also bounds every socket read by the time left
(:func:`bounded_transport`), so a server that dribbles its headers is stopped too (as does a
caller's own sync client, when its transports are httpx's); an async client runs the attempt
under a timeout.
"""

from __future__ import annotations

import time
import typing
from contextvars import ContextVar
from dataclasses import dataclass

import httpcore
import httpx

from b24typed.core.http import HttpFailure


@dataclass(frozen=True)
class AttemptLimits:
    """``max_answer_bytes``: the largest answer body, counted after decompression.
    ``max_seconds``: the wall-clock time one attempt may take (``None``: no limit)."""

    max_answer_bytes: int = 64 * 1024 * 1024
    max_seconds: float | None = 300.0


class OutOfBounds(Exception):
    """An answer broke an :class:`AttemptLimits` bound; ``failure`` says how."""

    def __init__(self, failure: HttpFailure) -> None:
        super().__init__(failure.detail)
        self.failure = failure


class BodyReader:
    """Collects an answer's decoded chunks, raising :class:`OutOfBounds` past either bound."""

    def __init__(self, limits: AttemptLimits) -> None:
        self.limits = limits
        self.deadline = (
            None if limits.max_seconds is None else time.monotonic() + limits.max_seconds
        )
        self._chunks: list[bytes] = []
        self._size = 0

    def check_headers(self, headers: typing.Mapping[str, str], status: int) -> None:
        """Refuse an answer compressed more than once before reading it: every layer multiplies
        what one network chunk decompresses to, all at once, before :meth:`add` can count it."""
        codings = headers.get("content-encoding", "").split(",")
        if sum(1 for coding in codings if coding.strip().lower() not in ("", "identity")) > 1:
            raise OutOfBounds(
                HttpFailure(
                    "too_large",
                    "the answer is compressed more than once (Content-Encoding)",
                    sent=True,
                    status=status,
                )
            )

    def add(self, chunk: bytes, status: int) -> None:
        self._size += len(chunk)
        if self._size > self.limits.max_answer_bytes:
            raise OutOfBounds(
                HttpFailure(
                    "too_large",
                    f"the answer grew past {self.limits.max_answer_bytes} bytes "
                    "(AttemptLimits.max_answer_bytes)",
                    sent=True,
                    status=status,
                )
            )
        self.check_time()
        self._chunks.append(chunk)

    def check_time(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise OutOfBounds(too_slow(self.limits))

    def content(self) -> bytes:
        return b"".join(self._chunks)


def too_slow(limits: AttemptLimits) -> HttpFailure:
    return HttpFailure(
        "timeout",
        f"the attempt took longer than {limits.max_seconds} s (AttemptLimits.max_seconds)",
        sent=True,
    )


# The monotonic time by which the current attempt of this thread must end.
attempt_deadline: ContextVar[float | None] = ContextVar("b24typed_attempt_deadline", default=None)


def _time_left(timeout: float | None) -> float | None:
    deadline = attempt_deadline.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the attempt ran out of time (AttemptLimits.max_seconds)")
    return left if timeout is None else min(timeout, left)


class _BoundedStream(httpcore.NetworkStream):
    """A socket stream whose reads and writes wait no longer than the attempt has left."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _time_left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _time_left(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: typing.Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        return _BoundedStream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class _BoundedBackend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _BoundedStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        return _BoundedStream(self._inner.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def bounded_transport() -> httpx.HTTPTransport:
    """httpx's default transport, its socket reads bounded by :data:`attempt_deadline`."""
    transport = httpx.HTTPTransport()
    _bound(transport)
    return transport


def bound_client(client: httpx.Client) -> None:
    """Bound the socket reads of a caller's client the same way, where its transports are
    httpx's own (a custom transport is left as it is). Outside a b24typed attempt nothing
    changes: the bound only applies while :data:`attempt_deadline` is set."""
    for transport in (client._transport, *client._mounts.values()):
        if isinstance(transport, httpx.HTTPTransport):
            _bound(transport)


def _bound(transport: httpx.HTTPTransport) -> None:
    pool = transport._pool  # httpx keeps the network backend on its httpcore pool
    backend = getattr(pool, "_network_backend", None)
    if isinstance(pool, httpcore.ConnectionPool) and not isinstance(backend, _BoundedBackend):
        pool._network_backend = _BoundedBackend(pool._network_backend)
