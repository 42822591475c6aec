"""Clocks for the fake portal: real time by default, a manual clock that tests drive."""

from __future__ import annotations

import time

__all__ = ["Clock", "ManualClock", "RealClock"]


class Clock:
    """A source of unix time in seconds (float). ``advance`` moves it forward."""

    def now(self) -> float:
        raise NotImplementedError

    def advance(self, seconds: float) -> None:
        raise NotImplementedError


class RealClock(Clock):
    """Follows ``time.time()``; ``advance`` adds a fixed offset (handy to skip a limit window)."""

    def __init__(self) -> None:
        self._offset = 0.0

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds


class ManualClock(Clock):
    """A clock that only moves when ``advance`` is called."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self._now = float(start)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds

    def set(self, timestamp: float) -> None:
        self._now = float(timestamp)
