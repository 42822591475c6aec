"""When a failed call may be sent again, and after how long (a plain decision function)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from b24typed.core import errors as e


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. ``max_attempts`` counts every HTTP attempt, the first included."""

    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_factor: float = 2.0
    backoff_max: float = 30.0
    jitter: float = 0.1
    deadline: float = 600.0
    operating_wait_min: float = 10.0
    retry_network_errors: bool = True

    @classmethod
    def never(cls) -> RetryPolicy:
        """One attempt per call."""
        return cls(max_attempts=1)

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Exponential delay after ``attempt`` (1-based), with +/- ``jitter`` spread."""
        delay = min(self.backoff_max, self.backoff_base * self.backoff_factor ** (attempt - 1))
        spread = (rng or random).uniform(-self.jitter, self.jitter)
        return max(0.05, delay * (1 + spread))


@dataclass(frozen=True)
class Retry:
    """Send again after ``delay`` seconds."""

    delay: float
    reason: str


@dataclass(frozen=True)
class GiveUp:
    """Stop; ``error`` is what the caller gets (may differ from the last error seen)."""

    error: e.AjaxError


# The codes with which Bitrix24 itself refuses a call before running it.
LIMIT_CODES = frozenset({"QUERY_LIMIT_EXCEEDED", "OPERATION_TIME_LIMIT"})


def _answered_server_failure(error: e.AjaxError) -> bool:
    """A 5xx or unreadable answer: the request may have been applied before it failed."""
    if isinstance(error, e.ResponseFormatError):
        return error.status != 503
    return isinstance(error, e.ServerError) and error.status >= 500 and error.status != 503


def decide(
    error: e.AjaxError,
    *,
    attempt: int,
    policy: RetryPolicy,
    is_write: bool,
    idempotent: bool,
    sent: bool,
    retry_after: float | None,
    operating_wait: float,
    rate_wait: float,
) -> Retry | GiveUp:
    """Retry or give up after ``error`` on attempt ``attempt``.

    ``idempotent`` means repeating is harmless (a read, or a REST 3.0 write with an
    Idempotency-Key); ``sent`` is False only when the request surely never left.
    """
    last = attempt >= policy.max_attempts
    # A 503 or 429 without Bitrix24's own code may come from a proxy after the portal ran the
    # call: only a call that is harmless to repeat is sent again.
    bare_limit = isinstance(error, e.LimitError) and error.code not in LIMIT_CODES
    if bare_limit and is_write and sent and not idempotent:
        return GiveUp(_unknown_outcome(error))
    if isinstance(error, e.QueryLimitError):
        delay = max(retry_after or 0.0, rate_wait + 1.0, policy.backoff(attempt))
        return GiveUp(error) if last else Retry(delay, "rate limit")
    if isinstance(error, e.OperationTimeLimitError):
        delay = max(retry_after or 0.0, operating_wait, policy.operating_wait_min)
        return GiveUp(error) if last else Retry(delay, "operating limit")
    unsure = isinstance(error, e.TransportError) or _answered_server_failure(error)
    if not unsure:
        return GiveUp(error)
    if isinstance(error, e.TransportError) and not policy.retry_network_errors:
        return GiveUp(_unknown_outcome(error) if is_write and sent else error)
    if is_write and sent and not idempotent:
        return GiveUp(_unknown_outcome(error))
    if last:
        return GiveUp(error)
    delay = max(retry_after or 0.0, policy.backoff(attempt))
    return Retry(delay, error.code)


def _unknown_outcome(error: e.AjaxError) -> e.UnknownOutcomeError:
    return e.UnknownOutcomeError(
        "UNKNOWN_OUTCOME",
        f"{error.code} after the request was sent; it may or may not have been applied, "
        "so it was not repeated",
        status=error.status,
        method=error.method,
        request_id=error.request_id,
    )
