"""Latency profiles: how long a fake portal takes to answer, as a real one would.

A real portal costs every HTTP request a network round trip, every command inside it some server
time, and serves only so many requests at once. :class:`LatencyProfile` holds those numbers; the
portal computes each answer's server time from them (``stats.server_time`` adds it up per client)
and :class:`Schedule` turns it into a delay, queueing requests when every worker is busy. The
adapters then wait that long: ``time.sleep`` in the loopback server and the sync transport,
``asyncio.sleep`` in the async transport, or the portal's manual clock when it has one.

Presets: :meth:`LatencyProfile.loopback` (no delay: the fake portal's own speed) and
:meth:`LatencyProfile.cloud` (see its docstring for where each number comes from).
"""

from __future__ import annotations

import heapq
import threading
from dataclasses import dataclass

__all__ = ["LatencyProfile", "Schedule"]

# https://apidocs.bitrix24.com/settings/performance/huge-data.html: counting `total` over
# 2,387,743 deals took 49.9 s of processing, a page without the count 0.07 s.
DOCUMENTED_COUNT_SECONDS_PER_ROW = 49.9 / 2_387_743


@dataclass(frozen=True)
class LatencyProfile:
    """Timing of a portal. All times in seconds.

    ``round_trip``: network time per HTTP request (both ways, no server work).
    ``per_command``: server time of one command (a keyset ``>ID`` page, a get, an add, ...).
    ``per_offset_row``: extra server time per row a ``start=N`` page skips (a database OFFSET).
    ``per_counted_row``: server time per row counted for ``total`` (not with ``start=-1``).
    ``workers``: requests served at once; more wait in a queue (``None``: no limit).
    """

    name: str = "custom"
    round_trip: float = 0.0
    per_command: float = 0.0
    per_offset_row: float = 0.0
    per_counted_row: float = 0.0
    workers: int | None = None

    def __post_init__(self) -> None:
        times = (self.round_trip, self.per_command, self.per_offset_row, self.per_counted_row)
        if min(times) < 0:
            raise ValueError("latency times must not be negative")
        if self.workers is not None and self.workers < 1:
            raise ValueError("workers must be at least 1 (or None: no limit)")

    @classmethod
    def loopback(cls) -> LatencyProfile:
        """No added time: answers as fast as the fake portal computes them."""
        return cls(name="loopback")

    @classmethod
    def cloud(cls) -> LatencyProfile:
        """A cloud portal seen from another continent.

        ``round_trip`` 100 ms and ``per_command`` 20 ms: the round trip and keyset page time
        measured against cloud portals in issue 14. ``per_counted_row``: a twentieth of the
        documented count cost (:data:`DOCUMENTED_COUNT_SECONDS_PER_ROW`, 21 us a row with a
        filter), as for an unfiltered count over the primary key; ``per_offset_row`` the same,
        since a database OFFSET reads the rows it skips. ``workers``: 16 requests at once, an
        assumption (Bitrix24 does not document it).
        """
        per_row = DOCUMENTED_COUNT_SECONDS_PER_ROW / 20
        return cls(
            name="cloud",
            round_trip=0.100,
            per_command=0.020,
            per_offset_row=per_row,
            per_counted_row=per_row,
            workers=16,
        )

    def command_time(self, *, start: int = 0, counted: int | None = None) -> float:
        """Server time of one command; list pages pass their offset and the rows counted."""
        seconds = self.per_command + start * self.per_offset_row
        if counted is not None:
            seconds += counted * self.per_counted_row
        return seconds


class Schedule:
    """When each answer reaches its client: half the round trip out, a free worker for the
    server time (the earliest free one, queueing if all are busy), half the round trip back."""

    def __init__(self, profile: LatencyProfile) -> None:
        self.profile = profile
        self._free_at: list[float] = []  # a heap: when each busy worker becomes free
        self._lock = threading.Lock()

    def delay(self, now: float, server_time: float) -> float:
        """Seconds from ``now`` (the request leaving the client) to its answer arriving."""
        half = self.profile.round_trip / 2
        arrive = now + half
        workers = self.profile.workers
        with self._lock:
            begin = arrive
            if workers is not None:
                if len(self._free_at) == workers:
                    begin = max(arrive, heapq.heappop(self._free_at))
                heapq.heappush(self._free_at, begin + server_time)
            finish = begin + server_time
        return finish + half - now
