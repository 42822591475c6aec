"""The request pipeline, written once for sync and async clients.

A call is a generator ("flow") that yields effects: :class:`Send` an HTTP request, :class:`Sleep`,
:class:`Refresh` the OAuth tokens, ask or tell the portal's limits (:class:`Limit`), or run
several flows at once (:class:`Start` them, later :class:`Join` them: threads in the sync
driver, tasks in the async one). The sync and async drivers in :mod:`b24typed.core.client`
perform the effects; everything else (building requests, parsing answers, limit decisions,
retries, migration warnings) happens here, in plain code.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, TypeVar

from b24typed.core import errors as e
from b24typed.core.auth import Auth, OAuthAuth, OAuthTokens
from b24typed.core.clock import Clock
from b24typed.core.envelope import parse_answer, transport_error
from b24typed.core.http import HttpAnswer, HttpFailure, HttpRequest
from b24typed.core.limits import (
    BoundLimits,
    Drain,
    Exhaust,
    LimitOp,
    Record,
    Reserve,
    capped_wait,
)
from b24typed.core.redact import redact
from b24typed.core.registry import MigrationNotifier
from b24typed.core.request import CallSpec, build_request
from b24typed.core.result import AjaxResult, ResponseTime
from b24typed.core.retry import GiveUp, Retry, RetryPolicy, decide

logger = logging.getLogger("b24typed")

T = TypeVar("T")


@dataclass(frozen=True)
class Send:
    request: HttpRequest


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Refresh:
    """Refresh the OAuth tokens unless someone already did since ``generation``."""

    generation: int
    request_id: str


@dataclass(frozen=True)
class Limit:
    """Carry out ``op`` on the client's limits (in this process, or in a shared store such as
    Redis); the answer is the seconds to wait."""

    op: LimitOp


@dataclass(frozen=True)
class Start:
    """Start running ``flows`` concurrently and go on; the value is a :class:`Running` handle
    to :class:`Join` later (threads in the sync driver, tasks in the async one)."""

    flows: tuple[Generator[Any, Any, Any], ...]


class Running(Protocol):
    """Flows a driver started: join them with :class:`Join`, or ``cancel()`` them."""

    def cancel(self) -> None: ...


@dataclass(frozen=True)
class Join:
    """Wait for the flows of ``running``; the value is the list of their results, in order.

    Every flow runs to its end; then the first one's exception, if any, is raised into the
    flow that joins them.
    """

    running: Running


@dataclass(frozen=True)
class LoadTokens:
    """Read the pair the application's token store keeps for ``member_id``."""

    store: Any
    member_id: str
    action: ClassVar[str] = "get"

    def run(self) -> Any:
        """The store's answer: tokens or ``None``, or an awaitable of them for an async store."""
        return self.store.get(self.member_id)


@dataclass(frozen=True)
class SaveTokens:
    """Write a freshly refreshed pair to the application's token store."""

    store: Any
    member_id: str
    tokens: OAuthTokens
    action: ClassVar[str] = "save"

    def run(self) -> Any:
        """``None``, or an awaitable for an async store."""
        return self.store.save(self.member_id, self.tokens)


@dataclass(frozen=True)
class LockRefresh:
    """Become the one process that refreshes ``member_id``'s pair, or wait for the pair another
    process gets (a store shared by processes: :class:`~b24typed.tokens.SharedTokenStore`)."""

    store: Any
    member_id: str
    held: OAuthTokens
    action: ClassVar[str] = "lock_refresh"

    def run(self) -> Any:
        """A :class:`~b24typed.tokens.RefreshLease`."""
        return self.store.lock_refresh(self.member_id, self.held)


@dataclass(frozen=True)
class FinishRefresh:
    """Store the refreshed pair (None: the refresh failed) unless a later lease wrote one, and
    release the lock; the answer is the pair the store keeps now."""

    store: Any
    member_id: str
    lease: Any
    tokens: OAuthTokens | None
    action: ClassVar[str] = "finish_refresh"

    def run(self) -> Any:
        return self.store.finish_refresh(self.member_id, self.lease, self.tokens)


StoreEffect = LoadTokens | SaveTokens | LockRefresh | FinishRefresh
Effect = Send | Sleep | Refresh | StoreEffect | Limit | Start | Join
Flow = Generator[Effect, Any, T]


@dataclass(frozen=True)
class Emit:
    """Hand ``value`` (a page of a list) to the caller; only iterating drivers accept it."""

    value: Any


StreamFlow = Generator[Effect | Emit, Any, T]


@dataclass
class ClientStats:
    """Counters of one client: HTTP requests sent, retries, waits and token refreshes."""

    requests: int = 0
    retries: int = 0
    waits: int = 0
    wait_seconds: float = 0.0
    refreshes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: float) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def snapshot(self) -> dict[str, float]:
        with self._lock:
            return {
                "requests": self.requests,
                "retries": self.retries,
                "waits": self.waits,
                "wait_seconds": self.wait_seconds,
                "refreshes": self.refreshes,
            }


@dataclass
class ClientState:
    """Everything a flow needs to know about its client; no I/O objects."""

    auth: Auth
    clock: Clock
    limits: BoundLimits
    retry: RetryPolicy
    timeout: float | None
    stats: ClientStats = field(default_factory=ClientStats)
    migrations: MigrationNotifier = field(default_factory=MigrationNotifier)

    def secrets(self) -> tuple[str, ...]:
        return self.auth.secrets()


def batch_methods(spec: CallSpec) -> tuple[str, ...]:
    """The methods a call runs: the inner methods of a REST v2 batch, else the method itself."""
    if spec.method != "batch" or spec.api != 2:
        return (spec.method,)
    commands = spec.params.get("cmd")
    if isinstance(commands, Mapping):
        commands = list(commands.values())
    if not isinstance(commands, list | tuple):
        return (spec.method,)
    return tuple(sorted({str(c).split("?", 1)[0] for c in commands})) or (spec.method,)


def _operating_usage(
    spec: CallSpec, result: AjaxResult[Any]
) -> tuple[tuple[str, ResponseTime], ...]:
    """The operating times an answer reports: per command for a REST v2 batch."""
    if spec.method == "batch" and spec.api == 2 and isinstance(result.result, Mapping):
        times = result.result.get("result_time")
        commands = spec.params.get("cmd")
        usage: list[tuple[str, ResponseTime]] = []
        if isinstance(times, Mapping | list) and isinstance(commands, Mapping | list):
            keyed_cmd = commands if isinstance(commands, Mapping) else dict(enumerate(commands))
            keyed_time = times if isinstance(times, Mapping) else dict(enumerate(times))
            for key, time in keyed_time.items():
                command = keyed_cmd.get(key, keyed_cmd.get(_int_key(key)))
                reported = ResponseTime.from_payload(time)
                if command is not None and reported is not None and reported.operating is not None:
                    usage.append((str(command).split("?", 1)[0], reported))
        return tuple(usage)
    time = result.time
    return ((spec.method, time),) if time is not None and time.operating is not None else ()


def mark_limit(
    state: ClientState, error: e.AjaxError, method: str, methods: tuple[str, ...]
) -> Flow[float]:
    """Tell the limits that the portal refused ``method`` for a limit; the operating wait."""
    now = state.clock.now()
    if isinstance(error, e.OperationTimeLimitError):
        wait: float = yield Limit(Exhaust(method, methods, now))
        return wait
    if isinstance(error, e.LimitError):
        yield Limit(Drain(now))
    return 0.0


def _int_key(key: Any) -> Any:
    return int(key) if isinstance(key, str) and key.isdigit() else key


def _retry_after(answer: HttpAnswer) -> float | None:
    value = answer.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _wait_for_limits(state: ClientState, spec: CallSpec, methods: tuple[str, ...]) -> Flow[float]:
    """Wait until the request may go: its methods' budgets allow it and it holds a token; the
    seconds waited.

    After one wait for a budget the request takes its token without asking the budget again
    (a budget the portal gave no reset time for would otherwise keep it waiting).
    """
    if not state.limits.config.enabled:
        return 0.0
    waited = 0.0
    wait = yield Limit(Reserve(methods, state.clock.now()))
    if wait < 0:
        waited += yield from _sleep_for_limits(state, spec, -wait, "the operating budget")
        wait = yield Limit(Reserve((), state.clock.now()))
    if wait > 0:
        waited += yield from _sleep_for_limits(state, spec, wait, "a token")
    return waited


def _sleep_for_limits(state: ClientState, spec: CallSpec, seconds: float, what: str) -> Flow[float]:
    logger.debug("waiting %.2fs for %s before %s [%s]", seconds, what, spec.method, spec.request_id)
    state.stats.add(waits=1, wait_seconds=seconds)
    yield Sleep(seconds)
    return seconds


def call_flow(state: ClientState, spec: CallSpec) -> Flow[AjaxResult[Any]]:
    """Send one call with limits, retries and token refresh; the portal's answer.

    API errors come back inside the :class:`AjaxResult`; a call that got no usable answer
    raises a :class:`TransportError` (or :class:`UnknownOutcomeError` for a REST v2 write).
    """
    if spec.api == 2:
        state.migrations.notify(spec.method, spec.request_id)
    methods = batch_methods(spec)
    idempotent = not spec.is_write or spec.idempotency_key is not None
    # Waits for the operating window are not charged to the retry deadline: a call that waited
    # out a 10-minute window still gets its retries after a transient failure.
    deadline = state.clock.now() + state.retry.deadline
    attempt = 0
    refreshed = False
    while True:
        attempt += 1
        deadline += yield from _wait_for_limits(state, spec, methods)
        auth = state.auth
        if isinstance(auth, OAuthAuth) and auth.is_expired(state.clock.now()):
            logger.debug("token expired by the clock; refreshing [%s]", spec.request_id)
            yield Refresh(auth.generation, spec.request_id)
        # The token generation this request carries, read before its token: an answer that
        # rejects the token must not refresh again a token someone refreshed meanwhile.
        generation = auth.generation if isinstance(auth, OAuthAuth) else 0
        request = build_request(auth, spec, default_timeout=state.timeout)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "calling %s (REST %s, attempt %d) [%s] params=%s",
                spec.method,
                "3.0" if spec.api == 3 else "v2",
                attempt,
                spec.request_id,
                redact(dict(spec.params)),
            )
        state.stats.add(requests=1)
        outcome = yield Send(request)
        result: AjaxResult[Any] | None = None
        retry_after: float | None = None
        if isinstance(outcome, HttpFailure):
            error: e.AjaxError = transport_error(
                outcome, method=spec.method, request_id=spec.request_id
            )
            sent = outcome.sent
        else:
            result = parse_answer(
                outcome,
                method=spec.method,
                request_id=spec.request_id,
                api=spec.api,
                secrets=state.secrets(),
            )
            if result.error is None:
                usage = _operating_usage(spec, result)
                if usage:
                    yield Limit(Record(usage, state.clock.now()))
                return result
            error, sent, retry_after = result.error, True, _retry_after(outcome)
            if (
                isinstance(error, e.TokenExpiredError | e.InvalidTokenError)
                and isinstance(auth, OAuthAuth)
                and not refreshed
            ):
                refreshed = True
                attempt -= 1
                logger.debug("token rejected (%s); refreshing [%s]", error.code, spec.request_id)
                yield Refresh(generation, spec.request_id)
                continue
        operating_wait = yield from mark_limit(state, error, spec.method, methods)
        now = state.clock.now()
        decision = decide(
            error,
            attempt=attempt,
            policy=state.retry,
            is_write=spec.is_write,
            idempotent=idempotent,
            sent=sent,
            retry_after=retry_after,
            operating_wait=operating_wait,
            rate_wait=1.0 / state.limits.config.per_second,
        )
        if isinstance(decision, Retry) and isinstance(error, e.LimitError):
            delay = capped_wait(decision.delay, state.limits.config.max_wait, spec.method)
            decision = Retry(delay, decision.reason)
            if isinstance(error, e.OperationTimeLimitError):
                deadline += delay  # the window's reset, not a backoff: the deadline waits too
        if not isinstance(decision, GiveUp) and now + decision.delay > deadline:
            decision = GiveUp(error)
        if isinstance(decision, GiveUp):
            if result is not None and decision.error is error:
                return result
            raise decision.error
        logger.debug(
            "retrying %s in %.2fs after %s (attempt %d of %d) [%s]",
            spec.method,
            decision.delay,
            decision.reason,
            attempt,
            state.retry.max_attempts,
            spec.request_id,
        )
        state.stats.add(retries=1, waits=1, wait_seconds=decision.delay)
        yield Sleep(decision.delay)


def refresh_flow(state: ClientState, auth: OAuthAuth, request_id: str) -> Flow[OAuthTokens]:
    """Trade the refresh token for a new pair (a form POST; secrets never go in the URL).

    With a token store, this is the one place the pipeline touches it: a pair someone else
    already stored (another process refreshed and rotated the refresh token) is taken first,
    and every pair this client gets is saved.
    """
    store = auth.token_store
    lease = None
    if store is not None:
        stored = yield LoadTokens(store, auth.member_id)
        if _adopt_newer(state, auth, stored):
            logger.debug("took newer OAuth tokens from the token store [%s]", request_id)
            return auth.tokens
        if hasattr(store, "lock_refresh"):
            # Shared by processes: one refreshes, the others wait and take its pair.
            lease = yield LockRefresh(store, auth.member_id, auth.tokens)
            if _adopt_newer(state, auth, lease.tokens):
                logger.debug("took the pair another process refreshed [%s]", request_id)
                return auth.tokens
    state.stats.add(requests=1)
    outcome = yield Send(auth.refresh_request(state.timeout))
    try:
        if isinstance(outcome, HttpFailure):
            raise e.TokenRefreshError(
                "TOKEN_REFRESH_FAILED", f"the OAuth server did not answer ({outcome.kind})"
            )
        tokens = auth.apply_refresh(outcome, now=state.clock.now())
    except e.TokenRefreshError:
        if lease is None:
            raise
        # A refresher whose lock expired may have rotated the pair meanwhile: take it if so.
        stored = yield FinishRefresh(store, auth.member_id, lease, None)
        if not _adopt_newer(state, auth, stored):
            raise
        return auth.tokens
    state.stats.add(refreshes=1)
    logger.debug("OAuth tokens refreshed for %s [%s]", auth.domain, request_id)
    if lease is not None:
        stored = yield FinishRefresh(store, auth.member_id, lease, tokens)
        _adopt_newer(state, auth, stored)
    elif store is not None:
        yield SaveTokens(store, auth.member_id, tokens)
    return auth.tokens


def _adopt_newer(state: ClientState, auth: OAuthAuth, stored: Any) -> bool:
    """Use ``stored`` if it is another, still valid pair than the one ``auth`` holds."""
    if not isinstance(stored, OAuthTokens) or stored.refresh_token == auth.tokens.refresh_token:
        return False
    auth.adopt(stored)
    return not auth.is_expired(state.clock.now())
