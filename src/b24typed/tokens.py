"""Where an application keeps the OAuth tokens of every portal that installed it.

A store maps a portal's ``member_id`` to its current :class:`~b24typed.OAuthTokens`. Install
handlers save the first pair; OAuth clients built with ``token_store=`` save every refreshed pair
(Bitrix24 rotates the refresh token, so the old pair is useless once refreshed).

Any object with ``get``, ``save`` and ``delete`` is a store (:class:`TokenStore`, or
:class:`AsyncTokenStore` with coroutines). :func:`dump_tokens` and :func:`load_tokens` turn a pair
into one JSON text and back, for stores that keep strings (a database row, a Redis key).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from b24typed.core.auth import DEFAULT_OAUTH_SERVER, OAuthTokens
from b24typed.core.redact import Secret

__all__ = [
    "AsyncTokenStore",
    "InMemoryTokenStore",
    "RefreshLease",
    "SQLiteTokenStore",
    "SharedTokenStore",
    "TokenStore",
    "dump_tokens",
    "load_tokens",
]


class TokenStore(Protocol):
    """Blocking token storage keyed by the portal's ``member_id``."""

    def get(self, member_id: str) -> OAuthTokens | None: ...

    def save(self, member_id: str, tokens: OAuthTokens) -> None: ...

    def delete(self, member_id: str) -> None: ...


class AsyncTokenStore(Protocol):
    """The same as :class:`TokenStore`, with coroutine methods."""

    async def get(self, member_id: str) -> OAuthTokens | None: ...

    async def save(self, member_id: str, tokens: OAuthTokens) -> None: ...

    async def delete(self, member_id: str) -> None: ...


@dataclass(frozen=True)
class RefreshLease:
    """What :meth:`SharedTokenStore.lock_refresh` gives: the lock (``fence``, a number that grows
    with every lock taken) or, when another process refreshed meanwhile, its pair (``tokens``)."""

    fence: int | None
    tokens: OAuthTokens | None = None


class SharedTokenStore(TokenStore, Protocol):
    """A store shared by processes that also makes refreshes single-flight (Redis).

    A client refreshes only under the lock; a process that finds the lock taken waits and takes
    the pair the holder stores; a holder that dies loses the lock when it times out.
    """

    def lock_refresh(self, member_id: str, held: OAuthTokens) -> RefreshLease:
        """Take the lock, or wait for a pair other than ``held``."""
        ...

    def finish_refresh(
        self, member_id: str, lease: RefreshLease, tokens: OAuthTokens | None
    ) -> OAuthTokens | None:
        """Store ``tokens`` unless a later lease stored a pair; release the lock; the pair kept."""
        ...


def dump_tokens(tokens: OAuthTokens) -> str:
    """One JSON text holding the whole pair, secrets included: store it where secrets belong."""
    return json.dumps(
        {
            "access_token": tokens.access_token.reveal(),
            "refresh_token": tokens.refresh_token.reveal(),
            "expires": tokens.expires,
            "client_endpoint": tokens.client_endpoint,
            "server_endpoint": tokens.server_endpoint,
            "domain": tokens.domain,
            "member_id": tokens.member_id,
            "scope": tokens.scope,
            "user_id": tokens.user_id,
            "application_token": (
                tokens.application_token.reveal() if tokens.application_token else None
            ),
        },
        separators=(",", ":"),
    )


def load_tokens(text: str | bytes) -> OAuthTokens:
    """The pair :func:`dump_tokens` wrote; a damaged record raises ``ValueError`` (no secrets)."""
    try:
        data: Any = json.loads(text)
    except ValueError:
        raise ValueError("the stored token record is not JSON") from None
    if not isinstance(data, dict):
        raise ValueError("the stored token record is not a JSON object")
    access, refresh = data.get("access_token"), data.get("refresh_token")
    if not isinstance(access, str) or not isinstance(refresh, str) or not access or not refresh:
        raise ValueError("the stored token record has no access or refresh token")
    expires, user_id = data.get("expires"), data.get("user_id")
    application_token = data.get("application_token")
    return OAuthTokens(
        access_token=Secret(access),
        refresh_token=Secret(refresh),
        expires=float(expires) if isinstance(expires, int | float) else None,
        client_endpoint=str(data.get("client_endpoint") or ""),
        server_endpoint=str(data.get("server_endpoint") or DEFAULT_OAUTH_SERVER),
        domain=str(data.get("domain") or ""),
        member_id=str(data.get("member_id") or ""),
        scope=str(data.get("scope") or ""),
        user_id=user_id if isinstance(user_id, int) else None,
        application_token=(
            Secret(application_token) if isinstance(application_token, str) else None
        ),
    )


def _check_member(member_id: str) -> str:
    if not isinstance(member_id, str) or not member_id:
        raise ValueError("member_id must be a non-empty string")
    return member_id


class InMemoryTokenStore:
    """Tokens in a dict of this process (tests, single-process apps); thread-safe."""

    def __init__(self) -> None:
        self._tokens: dict[str, OAuthTokens] = {}
        self._lock = threading.Lock()

    def get(self, member_id: str) -> OAuthTokens | None:
        with self._lock:
            return self._tokens.get(_check_member(member_id))

    def save(self, member_id: str, tokens: OAuthTokens) -> None:
        with self._lock:
            self._tokens[_check_member(member_id)] = tokens

    def delete(self, member_id: str) -> None:
        with self._lock:
            self._tokens.pop(_check_member(member_id), None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._tokens)

    def __repr__(self) -> str:
        return f"InMemoryTokenStore(portals={len(self)})"


class SQLiteTokenStore:
    """Tokens in an SQLite file (stdlib :mod:`sqlite3`), shared by threads and processes.

    Every operation opens its own short connection and transaction, so threads and worker
    processes of one application can use the same file; SQLite's locking orders the writes.
    """

    def __init__(self, path: str | Path, *, table: str = "b24typed_tokens") -> None:
        if str(path) in ("", ":memory:") or str(path).startswith("file::memory:"):
            raise ValueError("SQLiteTokenStore needs a file path; use InMemoryTokenStore instead")
        if not table.isidentifier():
            raise ValueError("the table name must be a plain identifier")
        self.path = Path(path)
        self.table = table
        with self._connect() as conn:
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {table} ("
                "member_id TEXT PRIMARY KEY, tokens TEXT NOT NULL, updated REAL NOT NULL)"
            )

    def _connect(self) -> closing[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 30000")
        return closing(conn)

    def get(self, member_id: str) -> OAuthTokens | None:
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT tokens FROM {self.table} WHERE member_id = ?",  # noqa: S608
                (_check_member(member_id),),
            ).fetchone()
        return None if row is None else load_tokens(row[0])

    def save(self, member_id: str, tokens: OAuthTokens) -> None:
        with self._connect() as conn:
            conn.execute(
                f"INSERT INTO {self.table} (member_id, tokens, updated) VALUES (?, ?, ?) "  # noqa: S608
                "ON CONFLICT(member_id) DO UPDATE SET tokens = excluded.tokens, "
                "updated = excluded.updated",
                (_check_member(member_id), dump_tokens(tokens), time.time()),
            )

    def delete(self, member_id: str) -> None:
        with self._connect() as conn:
            conn.execute(
                f"DELETE FROM {self.table} WHERE member_id = ?",  # noqa: S608
                (_check_member(member_id),),
            )

    def __repr__(self) -> str:
        return f"SQLiteTokenStore(path={str(self.path)!r}, table={self.table!r})"
