"""Limits (and tokens) shared through Redis by every process and machine of an application.

Install with ``pip install 'b24typed[redis]'``. A client takes the limit store through its
config::

    from b24typed import B24Hook, LimitConfig
    from b24typed.redis import RedisLimitStore

    store = RedisLimitStore.from_url("redis://localhost:6379/0")
    b24 = B24Hook.from_webhook_url(url, limits=LimitConfig.standard(store=store))

Each reservation is one Lua script run (one round trip) that reads Redis's own clock (``TIME``),
so the machines' clocks may disagree. Failures: an unreachable Redis at :meth:`from_url` raises
:class:`~b24typed.StoreError`; in the middle of work the store either raises it
(``on_failure="fail"``, the default) or logs a WARNING and keeps the limits in the process until
Redis answers again (``on_failure="fallback"``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from typing import Any, Literal, TypeVar

try:
    import redis as redis_sync
    import redis.asyncio as redis_async
    from redis.commands.core import AsyncScript, Script
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
except ImportError as missing:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "b24typed.redis needs the redis extra: pip install 'b24typed[redis]'"
    ) from missing

from b24typed.core.auth import OAuthTokens
from b24typed.core.errors import StoreError
from b24typed.core.limits import (
    Drain,
    Exhaust,
    LimitConfig,
    LimitOp,
    PortalLimits,
    RateLimiter,
    Reserve,
    capped_wait,
)
from b24typed.tokens import RefreshLease, dump_tokens, load_tokens

__all__ = ["RedisLimitStore", "RedisTokenStore"]

T = TypeVar("T")

logger = logging.getLogger("b24typed")

OnFailure = Literal["fail", "fallback"]

_UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)

# The time of the Redis server in seconds, and how long a method spent near its budget must wait
# (0, or until its reset time plus one second, or 10 seconds when the portal gave no reset time).
_PRELUDE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local function operating_wait(first, threshold)
  local wait = 0
  for i = first, #KEYS do
    local usage = redis.call('HMGET', KEYS[i], 'operating', 'reset_at')
    local used = tonumber(usage[1])
    if used and used >= threshold then
      local reset_at = tonumber(usage[2])
      local this = 10
      if reset_at and reset_at <= now then
        redis.call('DEL', KEYS[i])
        this = 0
      elseif reset_at then
        this = reset_at - now + 1
      end
      if this > wait then wait = this end
    end
  end
  return wait
end
local function refill(burst, per_second)
  local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
  local tokens, at = tonumber(bucket[1]), tonumber(bucket[2])
  if not tokens then tokens, at = burst, now end
  if now > at then
    tokens = math.min(burst, tokens + (now - at) * per_second)
    at = now
  end
  return tokens, at
end
local function keep(tokens, at, burst, per_second)
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
  redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / per_second * 1000) + 1000)
end
"""

# KEYS: bucket, then the operating key of each method. ARGV: burst, per_second, threshold.
_RESERVE = (
    _PRELUDE
    + """
local burst, per_second = tonumber(ARGV[1]), tonumber(ARGV[2])
local wait = operating_wait(2, tonumber(ARGV[3]))
if wait > 0 then return tostring(-wait) end
local tokens, at = refill(burst, per_second)
tokens = tokens - 1
keep(tokens, at, burst, per_second)
if tokens >= 0 then return '0' end
return tostring(-tokens / per_second)
"""
)

# KEYS: bucket. ARGV: burst, per_second.
_DRAIN = (
    _PRELUDE
    + """
local burst, per_second = tonumber(ARGV[1]), tonumber(ARGV[2])
local tokens, at = refill(burst, per_second)
keep(math.min(tokens, 0), at, burst, per_second)
return '0'
"""
)

# KEYS: bucket (unused), then one operating key per row. ARGV: per row operating, reset_at
# (''), and the seconds left until it by the portal's clock ('': unknown; then reset_at is used).
_RECORD = (
    _PRELUDE
    + """
for i = 2, #KEYS do
  local operating, reset_at, left = ARGV[3 * i - 5], ARGV[3 * i - 4], ARGV[3 * i - 3]
  if left ~= '' then reset_at = tostring(now + tonumber(left)) end
  redis.call('HSET', KEYS[i], 'operating', operating)
  if reset_at ~= '' then
    redis.call('HSET', KEYS[i], 'reset_at', reset_at)
    redis.call('EXPIREAT', KEYS[i], math.ceil(tonumber(reset_at)) + 60)
  elseif redis.call('HEXISTS', KEYS[i], 'reset_at') == 0 then
    redis.call('EXPIRE', KEYS[i], 10)
  end
end
return '0'
"""
)

# KEYS: the refused method's operating key, then those of the methods to wait for.
# ARGV: budget, threshold.
_EXHAUST = (
    _PRELUDE
    + """
redis.call('HSET', KEYS[1], 'operating', ARGV[1])
if redis.call('HEXISTS', KEYS[1], 'reset_at') == 0 then redis.call('EXPIRE', KEYS[1], 10) end
return tostring(operating_wait(2, tonumber(ARGV[2])))
"""
)


_SCRIPTS = {"reserve": _RESERVE, "drain": _DRAIN, "record": _RECORD, "exhaust": _EXHAUST}


def _where(client: redis_sync.Redis) -> str:
    """``host:port/db`` of a client, without the user name or password of its URL."""
    kwargs = client.connection_pool.connection_kwargs
    if "path" in kwargs:
        return f"unix:{kwargs['path']}"
    return f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"


class _Connection:
    """One Redis reached from blocking code and from each asyncio event loop, with the
    failure policy: raise, or fall back to this process for ``retry_after`` seconds."""

    def __init__(
        self,
        url: str,
        *,
        on_failure: OnFailure,
        retry_after: float,
        socket_timeout: float,
    ) -> None:
        if on_failure not in ("fail", "fallback"):
            raise ValueError("on_failure must be 'fail' or 'fallback'")
        options: dict[str, Any] = {
            "socket_timeout": socket_timeout,
            "socket_connect_timeout": socket_timeout,
        }
        self._url = url
        self._options = options
        self.sync = redis_sync.Redis.from_url(url, **options)
        self.where = _where(self.sync)
        self.on_failure = on_failure
        self.retry_after = retry_after
        self._scripts = {name: self.sync.register_script(text) for name, text in _SCRIPTS.items()}
        self._async: dict[int, dict[str, AsyncScript]] = {}
        self._down_until = 0.0

    def check(self) -> None:
        """Raise :class:`StoreError` unless Redis answers a PING."""
        try:
            self.sync.ping()
        except _UNREACHABLE as exc:
            raise StoreError(
                f"Redis at {self.where} is unreachable ({type(exc).__name__})"
            ) from None

    def script(self, name: str) -> Script:
        """A Lua script of this module on the blocking client (loaded again after a restart)."""
        return self._scripts[name]

    def ascript(self, name: str) -> AsyncScript:
        """The same script on the running event loop's client (a client cannot cross loops)."""
        loop = id(asyncio.get_running_loop())
        scripts = self._async.get(loop)
        if scripts is None:
            if len(self._async) > 16:
                self._async.clear()
            client = redis_async.Redis.from_url(self._url, **self._options)
            scripts = self._async[loop] = {
                key: client.register_script(text) for key, text in _SCRIPTS.items()
            }
        return scripts[name]

    def available(self) -> bool:
        """False while a fallback waits before asking Redis again."""
        return time.monotonic() >= self._down_until

    def failed(self, exc: BaseException, what: str) -> None:
        """Raise, or start (or go on with) the fallback with one WARNING per outage."""
        if self.on_failure == "fail":
            raise self.unreachable(exc, what) from None
        if self._down_until == 0.0:
            logger.warning(
                "Redis at %s is unreachable (%s) while %s; falling back to this process "
                "until it answers again",
                self.where,
                type(exc).__name__,
                what,
            )
        self._down_until = time.monotonic() + self.retry_after

    def unreachable(self, exc: BaseException, what: str) -> StoreError:
        return StoreError(
            f"Redis at {self.where} is unreachable ({type(exc).__name__}) while {what}"
        )

    def recovered(self) -> None:
        if self._down_until != 0.0:
            self._down_until = 0.0
            logger.warning("Redis at %s answers again; shared state resumed", self.where)


def _float(reply: Any) -> float:
    return float(reply.decode() if isinstance(reply, bytes) else reply)


class RedisLimitStore:
    """The leaky bucket of each portal and the operating time of each of its methods, in Redis.

    Every process and machine whose clients use a store on the same Redis (and ``prefix``)
    shares the limits of a portal. Build it with :meth:`from_url`.
    """

    def __init__(self, connection: _Connection, *, prefix: str = "b24typed") -> None:
        self._redis = connection
        self.prefix = prefix

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = "b24typed",
        on_failure: OnFailure = "fail",
        retry_after: float = 5.0,
        socket_timeout: float = 2.0,
        check: bool = True,
    ) -> RedisLimitStore:
        """A store on the Redis at ``url`` (``redis://``, ``rediss://`` or ``unix://``).

        ``check`` pings Redis now, so a wrong address fails at start with :class:`StoreError`.
        ``on_failure``: what a call does when Redis stops answering later: ``"fail"`` raises
        :class:`StoreError`; ``"fallback"`` logs a WARNING and uses this process's limits,
        asking Redis again every ``retry_after`` seconds.
        """
        connection = _Connection(
            url, on_failure=on_failure, retry_after=retry_after, socket_timeout=socket_timeout
        )
        if check:
            connection.check()
        return cls(connection, prefix=prefix)

    def bind(self, portal: str, config: LimitConfig, now: float) -> RedisPortalLimits:
        return RedisPortalLimits(self._redis, f"{self.prefix}:limits:{{{portal}}}", config, now)

    def __repr__(self) -> str:
        return f"RedisLimitStore(redis={self._redis.where!r}, prefix={self.prefix!r})"


class RedisPortalLimits:
    """One portal's limits in Redis; each operation is one script run (one round trip)."""

    def __init__(self, connection: _Connection, key: str, config: LimitConfig, now: float) -> None:
        self.config = config
        self._redis = connection
        self._key = key
        self._threshold = max(0.0, config.operating_budget - config.operating_margin)
        # Where the limits live while Redis does not answer (``on_failure="fallback"``).
        self._local = PortalLimits(config, RateLimiter(config.burst, config.per_second, now))

    def _operating_key(self, method: str) -> str:
        return f"{self._key}:operating:{method}"

    def _plan(self, op: LimitOp) -> tuple[str, list[str], list[Any]] | None:
        """(script, keys, arguments) that carry out ``op`` in Redis; None to do it here."""
        if not self._redis.available():
            return None
        config = self.config
        bucket = f"{self._key}:bucket"
        if isinstance(op, Reserve):
            keys = [bucket, *map(self._operating_key, op.methods)]
            return "reserve", keys, [config.burst, config.per_second, self._threshold]
        if isinstance(op, Drain):
            return "drain", [bucket], [config.burst, config.per_second]
        if isinstance(op, Exhaust):
            keys = [self._operating_key(op.method), *map(self._operating_key, op.methods)]
            return "exhaust", keys, [config.operating_budget, self._threshold]
        # Only a method near its budget changes anyone's wait; the others are kept here only.
        rows = [
            (method, reported)
            for method, reported in op.usage
            if reported.operating is not None and reported.operating >= self._threshold
        ]
        if not rows:
            return None
        self._local.apply(op)
        arguments: list[Any] = []
        for _, reported in rows:
            reset_at, finish = reported.operating_reset_at, reported.finish
            left = "" if reset_at is None or finish is None else reset_at - finish
            arguments += [reported.operating, "" if reset_at is None else reset_at, left]
        return "record", [bucket, *(self._operating_key(m) for m, _ in rows)], arguments

    def _answer(self, op: LimitOp, reply: Any) -> float:
        """A script's answer, with a budget wait capped at ``LimitConfig.max_wait``."""
        self._redis.recovered()
        wait = _float(reply)
        if isinstance(op, Reserve) and wait < 0:
            return -capped_wait(-wait, self.config.max_wait, ", ".join(op.methods))
        if isinstance(op, Exhaust):
            return capped_wait(wait, self.config.max_wait, op.method)
        return wait

    def _fallback(self, op: LimitOp, exc: BaseException) -> float:
        self._redis.failed(exc, f"limiting {self._key}")
        return self._local.apply(op)

    def apply(self, op: LimitOp) -> float:
        plan = self._plan(op)
        if plan is None:
            return self._local.apply(op)
        name, keys, arguments = plan
        try:
            reply = self._redis.script(name)(keys=keys, args=arguments)
        except _UNREACHABLE as exc:
            return self._fallback(op, exc)
        return self._answer(op, reply)

    async def aapply(self, op: LimitOp) -> float:
        plan = self._plan(op)
        if plan is None:
            return self._local.apply(op)
        name, keys, arguments = plan
        try:
            reply = await self._redis.ascript(name)(keys=keys, args=arguments)
        except _UNREACHABLE as exc:
            return self._fallback(op, exc)
        return self._answer(op, reply)


# KEYS: lock, tokens. ARGV: fence, the new record ('' when the refresh failed).
_FINISH_REFRESH = """
if ARGV[2] ~= '' then
  local written = tonumber(redis.call('HGET', KEYS[2], 'fence') or '0')
  if tonumber(ARGV[1]) > written then
    redis.call('HSET', KEYS[2], 'record', ARGV[2], 'fence', ARGV[1])
  end
end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return redis.call('HGET', KEYS[2], 'record')
"""


class _Sealer:
    """AES-GCM with the application's key; the member id is bound in as associated data, so
    a record moved to another portal's key does not open."""

    def __init__(self, key: bytes) -> None:
        if len(key) not in (16, 24, 32):
            raise ValueError("the encryption key must be 16, 24 or 32 bytes (os.urandom(32))")
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aead = AESGCM(key)

    def seal(self, member_id: str, text: str) -> bytes:
        nonce = os.urandom(12)
        return b"\x01" + nonce + self._aead.encrypt(nonce, text.encode(), member_id.encode())

    def open(self, member_id: str, record: bytes) -> str:
        from cryptography.exceptions import InvalidTag

        if record[:1] != b"\x01":
            raise StoreError("a token record is not encrypted, but this store has a key")
        try:
            plain = self._aead.decrypt(record[1:13], record[13:], member_id.encode())
        except InvalidTag:
            raise StoreError(
                "a token record does not open with this key (another key, or another portal's "
                "record)"
            ) from None
        return plain.decode()


class RedisTokenStore:
    """OAuth tokens per ``member_id`` in Redis, with refreshes single-flight across processes.

    ``B24OAuth(..., token_store=store, member_id=...)`` reads and saves its pair here. When a
    token expires, one process takes a Redis lock (with a fencing number and a timeout) and
    refreshes; the others wait and take the pair it stores instead of refreshing again (the
    refresh token rotates: a second refresh with the old one would fail). A refresher that dies
    holds the lock only until ``lock_timeout``; then another process refreshes. A late write by
    a refresher whose lock had expired never replaces a pair stored under a later lock.

    ``encryption_key`` (16, 24 or 32 random bytes, kept outside Redis) encrypts each record with
    AES-GCM: a Redis dump, replica, backup or ``MONITOR`` output then shows no token to whoever
    lacks the key, and a record copied to another portal's key does not open. It does not
    protect against anyone who holds the key (the application's own machines), nor against
    someone who can write to Redis deleting records or putting back an older one.
    """

    def __init__(
        self,
        connection: _Connection,
        *,
        prefix: str = "b24typed",
        encryption_key: bytes | None = None,
        lock_timeout: float = 20.0,
        poll_interval: float = 0.05,
    ) -> None:
        self._redis = connection
        self.prefix = prefix
        self._sealer = _Sealer(encryption_key) if encryption_key is not None else None
        self.lock_timeout = lock_timeout
        self.poll_interval = poll_interval
        self._finish = connection.sync.register_script(_FINISH_REFRESH)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = "b24typed",
        encryption_key: bytes | None = None,
        lock_timeout: float = 20.0,
        socket_timeout: float = 2.0,
        check: bool = True,
    ) -> RedisTokenStore:
        """A store on the Redis at ``url``; ``check`` pings it now (:class:`StoreError` if it
        does not answer). ``lock_timeout`` should exceed a refresh's HTTP timeout."""
        connection = _Connection(
            url, on_failure="fail", retry_after=0.0, socket_timeout=socket_timeout
        )
        if check:
            connection.check()
        return cls(
            connection, prefix=prefix, encryption_key=encryption_key, lock_timeout=lock_timeout
        )

    def _key(self, member_id: str, part: str) -> str:
        if not isinstance(member_id, str) or not member_id:
            raise ValueError("member_id must be a non-empty string")
        return f"{self.prefix}:tokens:{{{member_id}}}:{part}"

    def _record(self, member_id: str, tokens: OAuthTokens) -> bytes | str:
        text = dump_tokens(tokens)
        return self._sealer.seal(member_id, text) if self._sealer else text

    def _tokens(self, member_id: str, record: Any) -> OAuthTokens | None:
        if record is None:
            return None
        if self._sealer is not None:
            return load_tokens(self._sealer.open(member_id, bytes(record)))
        return load_tokens(record)

    def _do(self, what: str, command: Callable[[], T]) -> T:
        try:
            return command()
        except _UNREACHABLE as exc:
            raise self._redis.unreachable(exc, what) from None

    def get(self, member_id: str) -> OAuthTokens | None:
        key = self._key(member_id, "pair")
        record = self._do("reading tokens", lambda: self._redis.sync.hget(key, "record"))
        return self._tokens(member_id, record)

    def save(self, member_id: str, tokens: OAuthTokens) -> None:
        key, record = self._key(member_id, "pair"), self._record(member_id, tokens)
        self._do("saving tokens", lambda: self._redis.sync.hset(key, "record", record))

    def delete(self, member_id: str) -> None:
        keys = [self._key(member_id, part) for part in ("pair", "lock", "fence")]
        self._do("deleting tokens", lambda: self._redis.sync.delete(*keys))

    def lock_refresh(self, member_id: str, held: OAuthTokens) -> RefreshLease:
        lock = self._key(member_id, "lock")
        fence = int(
            self._do(
                "locking a refresh", lambda: self._redis.sync.incr(self._key(member_id, "fence"))
            )
        )
        deadline = time.monotonic() + 2 * self.lock_timeout
        ttl = max(1, int(self.lock_timeout * 1000))
        while True:
            taken = self._do(
                "locking a refresh", lambda: self._redis.sync.set(lock, fence, nx=True, px=ttl)
            )
            stored = self.get(member_id)
            newer = stored is not None and stored.refresh_token != held.refresh_token
            if taken and newer:
                self.finish_refresh(member_id, RefreshLease(fence), None)
            if newer:
                return RefreshLease(None, stored)
            if taken:
                return RefreshLease(fence)
            if time.monotonic() > deadline:
                raise StoreError(
                    f"waited {2 * self.lock_timeout:.0f}s for another process's token refresh"
                )
            time.sleep(self.poll_interval)

    def finish_refresh(
        self, member_id: str, lease: RefreshLease, tokens: OAuthTokens | None
    ) -> OAuthTokens | None:
        keys = [self._key(member_id, "lock"), self._key(member_id, "pair")]
        record = self._record(member_id, tokens) if tokens is not None else ""
        stored = self._do(
            "storing refreshed tokens",
            lambda: self._finish(keys=keys, args=[lease.fence or 0, record]),
        )
        return self._tokens(member_id, stored)

    def __repr__(self) -> str:
        encrypted = ", encrypted" if self._sealer else ""
        return f"RedisTokenStore(redis={self._redis.where!r}, prefix={self.prefix!r}{encrypted})"
