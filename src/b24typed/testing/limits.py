"""Server-side limits: the leaky bucket (503 ``QUERY_LIMIT_EXCEEDED``) and the per-method
operating-time budget (429 ``OPERATION_TIME_LIMIT``). Both are off until configured."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .clock import Clock

__all__ = ["Limits"]

CostFn = Callable[[str, Mapping[str, Any]], float]


@dataclass
class _Bucket:
    started: float
    total: float = 0.0


@dataclass
class _Operating:
    buckets: list[_Bucket] = field(default_factory=list)


class Limits:
    """``portal.limits``: configure with :meth:`rate` and :meth:`operating`, drop with :meth:`off`.

    Rate: each HTTP request adds 1 to a counter that drains at ``per_second``; a request that
    finds the counter at ``burst`` or above is refused with 503 ``QUERY_LIMIT_EXCEEDED`` (and does
    not count). Operating: each call adds its cost (seconds) to one-minute baskets per
    (webhook/application, method); a basket leaves the sum ``window_seconds`` after it opened; a
    call made while the sum exceeds ``budget_seconds`` is refused with 429
    ``OPERATION_TIME_LIMIT``. The outer ``batch`` call costs nothing; its commands count.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.rate_enabled = False
        self.burst = 50.0
        self.per_second = 2.0
        self._level = 0.0
        self._level_at = 0.0
        self.operating_enabled = False
        self.budget_seconds = 480.0
        self.window_seconds = 600.0
        self._cost: CostFn | None = None
        self._operating: dict[tuple[str, str], _Operating] = {}

    # -- configuration --------------------------------------------------------------------
    def rate(self, burst: float = 50, per_second: float = 2) -> Limits:
        self.rate_enabled = True
        self.burst = float(burst)
        self.per_second = float(per_second)
        self._level = 0.0
        self._level_at = self._clock.now()
        return self

    def operating(
        self,
        budget_seconds: float = 480,
        window_seconds: float = 600,
        cost: float | CostFn | None = None,
    ) -> Limits:
        """Enable the budget. ``cost``: seconds per call, or ``f(method, params) -> seconds``;
        by default the measured processing time of the call."""
        self.operating_enabled = True
        self.budget_seconds = float(budget_seconds)
        self.window_seconds = float(window_seconds)
        if cost is None:
            self._cost = None
        elif callable(cost):
            self._cost = cost
        else:
            fixed = float(cost)
            self._cost = lambda _m, _p: fixed
        return self

    def off(self) -> None:
        self.rate_enabled = False
        self.operating_enabled = False
        self._cost = None
        self._operating.clear()

    # -- rate -----------------------------------------------------------------------------
    def _drain(self) -> float:
        now = self._clock.now()
        elapsed = max(0.0, now - self._level_at)
        self._level = max(0.0, self._level - elapsed * self.per_second)
        self._level_at = now
        return self._level

    def take_request(self) -> bool:
        """Count one HTTP request; False when the bucket is full (answer 503)."""
        if not self.rate_enabled:
            return True
        if self._drain() >= self.burst:
            return False
        self._level += 1.0
        return True

    @property
    def rate_level(self) -> float:
        return self._drain() if self.rate_enabled else 0.0

    # -- operating ------------------------------------------------------------------------
    def _state(self, identity: str, method: str) -> _Operating:
        key = (identity, method)
        state = self._operating.get(key)
        if state is None:
            state = self._operating[key] = _Operating()
        now = self._clock.now()
        state.buckets = [b for b in state.buckets if b.started + self.window_seconds > now]
        return state

    def operating_blocked(self, identity: str, method: str) -> bool:
        if not self.operating_enabled:
            return False
        state = self._state(identity, method)
        return sum(b.total for b in state.buckets) > self.budget_seconds

    def cost_of(self, method: str, params: Mapping[str, Any], measured: float) -> float:
        if self._cost is None:
            return measured
        return float(self._cost(method, params))

    def record(self, identity: str, method: str, cost: float) -> tuple[float, float]:
        """Add a call's cost; return (operating, operating_reset_at) for the ``time`` block."""
        state = self._state(identity, method)
        now = self._clock.now()
        if state.buckets and now - state.buckets[-1].started < 60:
            state.buckets[-1].total += cost
        else:
            state.buckets.append(_Bucket(now, cost))
        return self.operating_of(identity, method)

    def operating_of(self, identity: str, method: str) -> tuple[float, float]:
        state = self._state(identity, method)
        now = self._clock.now()
        total = sum(b.total for b in state.buckets)
        reset_at = (state.buckets[0].started if state.buckets else now) + self.window_seconds
        return total, reset_at
