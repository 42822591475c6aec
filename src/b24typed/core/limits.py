"""Client-side limits: the portal's leaky bucket and each method's operating-time budget.

A request's flow asks its portal's limits, through a :data:`LimitOp`, "how long must this request
wait?" and tells them what the portal answered; the sync and async clients carry the operation to
the store and sleep in their own way. Where the limits live is a :class:`LimitStore`: by default
:class:`InProcessLimitStore`, whose :class:`PortalLimits` is shared by every client of a portal in
the process; ``b24typed.redis.RedisLimitStore`` shares them between processes and machines.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Protocol

from b24typed.core.result import ResponseTime

logger = logging.getLogger("b24typed")


def capped_wait(seconds: float, cap: float, method: str) -> float:
    """``seconds``, or ``cap`` with a warning naming ``method`` when the portal asked for more."""
    if seconds <= cap:
        return seconds
    logger.warning(
        "%s: the portal asked for a %.0f s limit wait; waiting %.0f s (LimitConfig.max_wait)",
        method,
        seconds,
        cap,
    )
    return cap


@dataclass(frozen=True)
class LimitConfig:
    """How fast a portal may be called. The defaults are the standard plans' limits.

    ``store`` is where the limits live: None for this process (:class:`InProcessLimitStore`).
    """

    burst: int = 50
    per_second: float = 2.0
    operating_budget: float = 480.0
    operating_margin: float = 5.0
    enabled: bool = True
    max_wait: float = 660.0  # the longest limit wait: the operating window is 10 minutes
    store: LimitStore | None = field(default=None, compare=False)

    @classmethod
    def standard(cls, *, store: LimitStore | None = None) -> LimitConfig:
        """Standard plans: a bucket of 50 that drains 2 requests a second."""
        return cls(store=store)

    @classmethod
    def enterprise(cls, *, store: LimitStore | None = None) -> LimitConfig:
        """Enterprise plans: a bucket of 250 that drains 5 requests a second."""
        return cls(burst=250, per_second=5.0, store=store)

    @classmethod
    def off(cls) -> LimitConfig:
        """No client-side limiting (the server's limits still apply)."""
        return cls(enabled=False)


class RateLimiter:
    """A token bucket that hands out reservations, so waiting callers queue in order.

    ``reserve`` takes a token now or promises the next free one, returning how long the caller
    must wait before sending. Tokens may go negative: each waiter owns one future token.
    """

    def __init__(self, burst: int, per_second: float, now: float) -> None:
        if burst < 1 or per_second <= 0:
            raise ValueError("a rate limit needs burst >= 1 and per_second > 0")
        self.burst = burst
        self.per_second = per_second
        self._tokens = float(burst)
        self._updated = now
        self._lock = threading.Lock()

    def _refill(self, now: float) -> None:
        if now > self._updated:
            self._tokens = min(
                float(self.burst), self._tokens + (now - self._updated) * self.per_second
            )
            self._updated = now

    def reserve(self, now: float) -> float:
        """Take a token; the seconds to wait before using it (0 when one is free now)."""
        with self._lock:
            self._refill(now)
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens / self.per_second

    def drain(self, now: float) -> None:
        """The server said the bucket is full: assume no tokens are left."""
        with self._lock:
            self._refill(now)
            self._tokens = min(self._tokens, 0.0)

    def available(self, now: float) -> float:
        with self._lock:
            self._refill(now)
            return self._tokens


@dataclass
class _MethodUsage:
    operating: float = 0.0
    reset_at: float | None = None


class OperatingBudget:
    """Server time spent per method, from each answer's ``time.operating``.

    Reset times are kept on the local clock: the time left is read against the server's own
    clock (the answer's ``time.finish``), so a skewed clock on either side changes nothing.
    """

    def __init__(self, budget: float, margin: float, max_wait: float = 660.0) -> None:
        self.budget = budget
        self.margin = margin
        self.max_wait = max_wait
        self._usage: dict[str, _MethodUsage] = {}
        self._lock = threading.Lock()

    def record(self, method: str, time: ResponseTime | None, now: float | None = None) -> None:
        """Charge ``method`` with what the server reported (nothing when it reported nothing);
        ``now`` is the local time the answer arrived."""
        if time is None or time.operating is None:
            return
        reset_at = time.operating_reset_at
        if reset_at is not None and now is not None and time.finish is not None:
            reset_at = now + (reset_at - time.finish)
        with self._lock:
            usage = self._usage.setdefault(method, _MethodUsage())
            usage.operating = time.operating
            if reset_at is not None:
                usage.reset_at = reset_at

    def exhausted(self, method: str) -> None:
        """The server said the method's budget is spent (``OPERATION_TIME_LIMIT``)."""
        with self._lock:
            self._usage.setdefault(method, _MethodUsage()).operating = self.budget

    def wait_for(self, method: str, now: float) -> float:
        """Seconds until ``method`` may run again: 0 unless its budget is (nearly) spent."""
        with self._lock:
            usage = self._usage.get(method)
            if usage is None or usage.operating < max(0.0, self.budget - self.margin):
                return 0.0
            if usage.reset_at is None or usage.reset_at <= now:
                if usage.reset_at is not None:
                    self._usage.pop(method, None)
                    return 0.0
                return 10.0
            wait = usage.reset_at - now + 1.0
            if wait > self.max_wait:  # after the capped wait the method is free again
                usage.reset_at = now + self.max_wait - 1.0
        return capped_wait(wait, self.max_wait, method)

    def reset_at(self, method: str) -> float | None:
        with self._lock:
            usage = self._usage.get(method)
            return usage.reset_at if usage else None

    def snapshot(self) -> dict[str, float]:
        with self._lock:
            return {method: usage.operating for method, usage in self._usage.items()}


@dataclass
class PortalLimits:
    """The limits of one portal, shared by all its clients in the process."""

    config: LimitConfig
    rate: RateLimiter
    operating: OperatingBudget = field(init=False)

    def __post_init__(self) -> None:
        self.operating = OperatingBudget(
            self.config.operating_budget, self.config.operating_margin, self.config.max_wait
        )

    def wait_before(self, methods: tuple[str, ...], now: float) -> float:
        """The answer to :class:`Reserve` (budget first, then a token)."""
        if not self.config.enabled:
            return 0.0
        budget_wait = max((self.operating.wait_for(m, now) for m in methods), default=0.0)
        if budget_wait > 0:
            return -budget_wait
        return self.rate.reserve(now)

    def apply(self, op: LimitOp) -> float:
        """Carry out ``op`` here, in this process."""
        if isinstance(op, Reserve):
            return self.wait_before(op.methods, op.now)
        if isinstance(op, Record):
            for method, time in op.usage:
                self.operating.record(method, time, op.now)
            return 0.0
        if isinstance(op, Drain):
            self.rate.drain(op.now)
            return 0.0
        self.operating.exhausted(op.method)
        return max((self.operating.wait_for(m, op.now) for m in op.methods), default=0.0)

    async def aapply(self, op: LimitOp) -> float:
        return self.apply(op)


@dataclass(frozen=True)
class Reserve:
    """Take the bucket's next token for a request running ``methods``.

    The answer is the seconds to wait before sending (0: send now). A negative answer means one
    of the methods has spent its operating budget: no token was taken; wait that many seconds,
    then reserve again.
    """

    methods: tuple[str, ...]
    now: float


@dataclass(frozen=True)
class Record:
    """The operating time the portal reported, per method, after a successful answer."""

    usage: tuple[tuple[str, ResponseTime], ...]
    now: float


@dataclass(frozen=True)
class Drain:
    """The portal said its bucket is full (``QUERY_LIMIT_EXCEEDED``)."""

    now: float


@dataclass(frozen=True)
class Exhaust:
    """The portal refused ``method`` for its operating budget; the seconds until ``methods``
    may run again."""

    method: str
    methods: tuple[str, ...]
    now: float


LimitOp = Reserve | Record | Drain | Exhaust


class BoundLimits(Protocol):
    """The limits of one portal in some store; what a client's flows talk to."""

    config: LimitConfig

    def apply(self, op: LimitOp) -> float:
        """Carry out ``op`` (blocking); the seconds to wait (0 for a mere report)."""
        ...

    async def aapply(self, op: LimitOp) -> float:
        """Carry out ``op`` from asyncio code."""
        ...


class LimitStore(Protocol):
    """Where the limits of portals live, for every client that uses the store."""

    def bind(self, portal: str, config: LimitConfig, now: float) -> BoundLimits:
        """The limits of ``portal`` under ``config``."""
        ...


class InProcessLimitStore:
    """Limits kept in this process: every client of a portal shares one :class:`PortalLimits`;
    a client with a different config replaces them."""

    def __init__(self) -> None:
        self._portals: dict[str, PortalLimits] = {}
        self._lock = threading.Lock()

    def bind(self, portal: str, config: LimitConfig, now: float) -> PortalLimits:
        with self._lock:
            limits = self._portals.get(portal)
            if limits is None or limits.config != config:
                limits = PortalLimits(config, RateLimiter(config.burst, config.per_second, now))
                self._portals[portal] = limits
            return limits


PROCESS_LIMITS = InProcessLimitStore()
"""The embedded default store (``LimitConfig.store`` left None)."""


def shared_limits(portal: str, config: LimitConfig, now: float) -> BoundLimits:
    """The limits of ``portal`` in the config's store (this process's when it names none)."""
    return (config.store or PROCESS_LIMITS).bind(portal, config, now)
