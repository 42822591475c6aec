"""Token stores: in-memory and SQLite, and OAuth clients that load from and save to them."""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from b24typed import AsyncB24OAuth, B24OAuth, LimitConfig, OAuthTokens, SdkError
from b24typed.core.redact import Secret
from b24typed.tokens import (
    InMemoryTokenStore,
    SQLiteTokenStore,
    TokenStore,
    dump_tokens,
    load_tokens,
)
from tests.core.test_resilience import oauth_kw, oauth_server

MEMBER = "member-abc"


def pair(n: int, *, expires: float | None = 10_000.0) -> OAuthTokens:
    return OAuthTokens(
        access_token=Secret(f"tok-{n}"),
        refresh_token=Secret(f"ref-{n}"),
        expires=expires,
        client_endpoint="https://o.example.com/rest/",
        domain="o.example.com",
        member_id=MEMBER,
        scope="crm",
        user_id=1,
    )


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> TokenStore:
    if request.param == "memory":
        return InMemoryTokenStore()
    return SQLiteTokenStore(tmp_path / "tokens.db")


def test_a_store_saves_replaces_and_deletes(store: TokenStore) -> None:
    assert store.get(MEMBER) is None
    store.save(MEMBER, pair(1))
    store.save("other", pair(7))
    assert store.get(MEMBER) == pair(1)
    store.save(MEMBER, pair(2))
    assert store.get(MEMBER) == pair(2)
    store.delete(MEMBER)
    store.delete(MEMBER)
    assert store.get(MEMBER) is None
    assert store.get("other") == pair(7)
    with pytest.raises(ValueError, match="member_id"):
        store.save("", pair(1))


def test_store_reprs_hold_no_tokens(store: TokenStore) -> None:
    store.save(MEMBER, pair(1))
    assert "tok-1" not in repr(store) and "ref-1" not in repr(store)


def test_a_record_round_trips_and_a_damaged_one_is_refused_without_secrets() -> None:
    assert load_tokens(dump_tokens(pair(3))) == pair(3)
    assert load_tokens(dump_tokens(pair(3, expires=None))).expires is None
    for damaged in ("{", "[]", '{"access_token": "secretXYZ"}'):
        with pytest.raises(ValueError) as info:
            load_tokens(damaged)
        assert "secretXYZ" not in str(info.value)


def test_sqlite_refuses_an_in_memory_database() -> None:
    with pytest.raises(ValueError, match="file path"):
        SQLiteTokenStore(":memory:")


def test_sqlite_store_is_shared_by_threads(tmp_path: Path) -> None:
    path = tmp_path / "t.db"

    def work(n: int) -> None:
        own = SQLiteTokenStore(path)
        for i in range(20):
            own.save(f"m{n}", pair(i))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store = SQLiteTokenStore(path)
    assert [store.get(f"m{n}") for n in range(6)] == [pair(19)] * 6


def _save_in_child(path: str, member: str) -> None:
    store = SQLiteTokenStore(path)
    for i in range(10):
        store.save(member, pair(i))


def test_sqlite_store_is_shared_by_processes(tmp_path: Path) -> None:
    path = str(tmp_path / "p.db")
    SQLiteTokenStore(path)
    context = multiprocessing.get_context("spawn")
    children = [context.Process(target=_save_in_child, args=(path, f"p{n}")) for n in range(3)]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
        assert child.exitcode == 0
    store = SQLiteTokenStore(path)
    assert [store.get(f"p{n}") for n in range(3)] == [pair(9)] * 3


# ---- OAuth clients with a store ---------------------------------------------------------------


def stale_in_store(store: TokenStore) -> None:
    kw = oauth_kw()
    store.save(MEMBER, OAuthTokens.from_payload(kw["tokens"], now=0))


def oauth_client(mode: str, handler: Any, store: Any, **extra: Any) -> Any:
    kw = {k: v for k, v in oauth_kw().items() if k != "tokens"}
    if mode == "sync":
        http: Any = httpx.Client(transport=httpx.MockTransport(handler))
        cls: Any = B24OAuth
    else:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        cls = AsyncB24OAuth
    return cls(
        http_client=http,
        limits=LimitConfig.off(),
        token_store=store,
        member_id=MEMBER,
        **kw,
        **extra,
    )


def run(mode: str, outcome: Any) -> Any:
    if mode == "sync":
        return outcome

    async def wait() -> Any:
        return await outcome

    return asyncio.run(wait())


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_client_loads_from_the_store_and_saves_each_rotated_pair(
    mode: str, store: TokenStore
) -> None:
    handler, server = oauth_server()
    stale_in_store(store)
    client = oauth_client(mode, handler, store)
    assert run(mode, client.call_method("profile")).is_success
    assert server["refreshes"] == 1
    saved = store.get(MEMBER)
    assert saved is not None
    assert (saved.access_token.reveal(), saved.refresh_token.reveal()) == ("tok-1", "ref-1")
    assert saved.client_endpoint == "https://o.example.com/rest/"


class AsyncStore:
    """An AsyncTokenStore over an in-memory one, as a Redis or database store would be."""

    def __init__(self) -> None:
        self.inner = InMemoryTokenStore()
        self.calls: list[str] = []

    async def get(self, member_id: str) -> OAuthTokens | None:
        self.calls.append("get")
        return self.inner.get(member_id)

    async def save(self, member_id: str, tokens: OAuthTokens) -> None:
        self.calls.append("save")
        self.inner.save(member_id, tokens)

    async def delete(self, member_id: str) -> None:
        self.inner.delete(member_id)


def test_async_client_awaits_an_async_store() -> None:
    handler, server = oauth_server()
    store = AsyncStore()
    assert server["refreshes"] == 0
    tokens = OAuthTokens.from_payload(oauth_kw()["tokens"], now=0)
    client = oauth_client("async", handler, store, tokens=tokens)
    assert run("async", client.call_method("profile")).is_success
    assert store.calls == ["get", "save"]
    assert server["refreshes"] == 1
    saved = store.inner.get(MEMBER)
    assert saved is not None and saved.refresh_token.reveal() == "ref-1"


def test_client_without_tokens_cannot_load_from_an_async_store() -> None:
    with pytest.raises(TypeError, match="asynchronous"):
        oauth_client("async", oauth_server()[0], AsyncStore())


def test_a_blocking_client_refuses_an_async_store() -> None:
    handler, _ = oauth_server()
    tokens = OAuthTokens.from_payload(oauth_kw()["tokens"], now=0)
    client = oauth_client("sync", handler, AsyncStore(), tokens=tokens)
    with pytest.raises(TypeError, match="blocking client"):
        client.call_method("profile")


def test_a_member_missing_from_the_store_is_a_clear_error() -> None:
    with pytest.raises(SdkError, match="no tokens for this member_id"):
        oauth_client("sync", oauth_server()[0], InMemoryTokenStore())


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_pair_another_process_refreshed_is_taken_from_the_store(
    mode: str, store: TokenStore
) -> None:
    """Process A refreshed (rotating the refresh token); process B, still holding the old pair,
    must use the stored one instead of refreshing with a dead refresh token."""
    handler, server = oauth_server()
    stale_in_store(store)
    first = oauth_client(mode, handler, store)
    second = oauth_client(mode, handler, store)
    assert run(mode, first.call_method("profile")).is_success
    assert run(mode, second.call_method("profile")).is_success
    assert server["refreshes"] == 1
    assert second.tokens.access_token.reveal() == "tok-1"
