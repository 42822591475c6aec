"""Clocks for the fake portal: real time by default, or the core's :class:`ManualClock` that tests
drive (share one with a client, and the client's waits move the portal's time)."""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable

from b24typed.core.clock import ManualClock

__all__ = ["Clock", "ManualClock", "RealClock"]


@runtime_checkable
class Clock(Protocol):
    """A source of unix time in seconds (float); ``advance`` moves it forward.

    Any object with these two methods works, e.g. ``b24typed.core.clock.ManualClock``: share one
    manual clock between a client and the portal and the client's waits move the portal's time.
    """

    def now(self) -> float: ...

    def advance(self, seconds: float) -> None: ...


class RealClock:
    """Follows ``time.time()``; ``advance`` adds a fixed offset (handy to skip a limit window)."""

    def __init__(self) -> None:
        self._offset = 0.0

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds
