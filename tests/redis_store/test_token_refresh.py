"""RedisTokenStore: 16 processes hit an expired token at once, and a refresher killed mid-refresh."""

from __future__ import annotations

import dataclasses
import hashlib
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from b24typed import B24OAuth, LimitConfig, OAuthTokens, StoreError
from b24typed.redis import RedisTokenStore
from b24typed.testing import FakePortal
from b24typed.testing.faults import Fault
from b24typed.testing.portal import Request, Response

from .multiprocess import Workers

APP_ID, APP_SECRET = "local.many", "many-secret"


@contextmanager
def served_portal(oauth_delay: float) -> Iterator[tuple[FakePortal, str, list[str]]]:
    """A portal on loopback whose OAuth server answers after ``oauth_delay`` seconds; yields
    it, its base URL and the refresh tokens the OAuth server was sent."""
    portal = FakePortal(seed=16)
    sent: list[str] = []
    handle = portal.handle

    def slow_oauth(req: Request) -> Response | Fault:
        if req.path.rstrip("/") == "/oauth/token":
            sent.append(req.body.decode())
            time.sleep(oauth_delay)
        return handle(req)

    portal.handle = slow_oauth  # type: ignore[method-assign]
    with portal.serve() as base_url:
        yield portal, base_url, sent


def expired_pair(portal: FakePortal, base_url: str) -> OAuthTokens:
    app = portal.oauth_app(APP_ID, APP_SECRET)
    answer = portal.issue_tokens(app)
    portal.expire_token(answer["access_token"])
    tokens = OAuthTokens.from_payload(answer, now=time.time())
    return dataclasses.replace(
        tokens,
        expires=time.time() - 1,
        client_endpoint=f"{base_url}/rest/",
        server_endpoint=f"{base_url}/rest/",
    )


def jobs(redis_url: str, prefix: str, member_id: str, count: int) -> list[dict[str, Any]]:
    return [
        {
            "kind": "tokens",
            "mode": "sync" if n % 2 else "async",
            "redis_url": redis_url,
            "prefix": prefix,
            "member_id": member_id,
            "client_id": APP_ID,
            "client_secret": APP_SECRET,
            "lock_timeout": 2.0,
        }
        for n in range(count)
    ]


def digest(tokens: OAuthTokens) -> str:
    return hashlib.sha256(tokens.access_token.reveal().encode()).hexdigest()


def assert_stored_pair_is_the_newest(portal: FakePortal, stored: OAuthTokens) -> None:
    # the OAuth server accepts only the refresh token it issued last
    assert list(portal._refresh) == [stored.refresh_token.reveal()]
    assert stored.access_token.reveal() in portal._tokens


def test_sixteen_processes_refresh_an_expired_token_once(redis_url: str) -> None:
    prefix = f"t-{uuid.uuid4().hex}"
    store = RedisTokenStore.from_url(redis_url, prefix=prefix)
    with served_portal(oauth_delay=0.5) as (portal, base_url, sent):
        store.save(portal.member_id, expired_pair(portal, base_url))
        workers = Workers(jobs(redis_url, prefix, portal.member_id, 16))
        workers.go()
        reports = workers.results(timeout=60)
    assert len(sent) == 1 and portal.stats.oauth_requests == 1  # one refresh reached the server
    assert [r["ok"] for r in reports] == [True] * 16  # every process went on and was answered
    assert sum(r["refreshes"] for r in reports) == 1
    stored = store.get(portal.member_id)
    assert stored is not None
    assert {r["access"] for r in reports} == {digest(stored)}  # all use the new pair
    assert_stored_pair_is_the_newest(portal, stored)


def test_a_refresher_killed_mid_refresh_does_not_lose_the_portal(redis_url: str) -> None:
    prefix = f"t-{uuid.uuid4().hex}"
    store = RedisTokenStore.from_url(redis_url, prefix=prefix)
    with served_portal(oauth_delay=0.0) as (portal, base_url, sent):
        # the first refresh request never reaches the OAuth server: it hangs until its sender
        # is killed (as when a process dies before its request is out)
        arrived, killed = threading.Event(), threading.Event()
        handle = portal.handle

        def hang_first(req: Request) -> Response | Fault:
            if req.path.rstrip("/") == "/oauth/token" and not arrived.is_set():
                arrived.set()
                killed.wait(30)
                return Fault("reset", after=False)
            return handle(req)

        portal.handle = hang_first  # type: ignore[method-assign]
        store.save(portal.member_id, expired_pair(portal, base_url))
        others = Workers(jobs(redis_url, prefix, portal.member_id, 15))
        first = Workers(jobs(redis_url, prefix, portal.member_id, 1))
        first.go()
        assert arrived.wait(30)
        first.kill()  # SIGKILL while it holds the lock and waits for the OAuth answer
        killed.set()
        started = time.monotonic()
        others.go()  # they find the lock taken, wait, and one takes it once it expires
        reports = others.results(timeout=60)
        waited = time.monotonic() - started
    assert [r["ok"] for r in reports] == [True] * 15
    assert sum(r["refreshes"] for r in reports) == 1
    # the killed process's request never got through; one refresh of the others did
    assert len(sent) == 1 and portal.stats.oauth_requests == 1
    stored = store.get(portal.member_id)
    assert stored is not None and {r["access"] for r in reports} == {digest(stored)}
    assert_stored_pair_is_the_newest(portal, stored)
    assert 1.0 < waited < 2.0 + 10  # the dead refresher's lock expired after its 2 s timeout


def test_a_late_refresher_does_not_overwrite_a_newer_pair(redis_url: str) -> None:
    store = RedisTokenStore.from_url(redis_url, prefix=f"t-{uuid.uuid4().hex}", lock_timeout=0.2)
    portal = FakePortal()
    app = portal.oauth_app(APP_ID, APP_SECRET)
    old, late, newer = (OAuthTokens.from_payload(portal.issue_tokens(app), now=0) for _ in "abc")
    store.save("m1", old)
    slow = store.lock_refresh("m1", old)
    time.sleep(0.3)  # its lock expires
    fast = store.lock_refresh("m1", old)
    assert fast.fence is not None and slow.fence is not None and fast.fence > slow.fence
    assert store.finish_refresh("m1", fast, newer) == newer
    assert store.finish_refresh("m1", slow, late) == newer  # fenced out
    waiter = store.lock_refresh("m1", old)
    assert waiter == dataclasses.replace(waiter, fence=None, tokens=newer)


def test_encrypted_records_reveal_no_token_and_need_the_key(redis_url: str) -> None:
    key = bytes(range(32))
    prefix = f"t-{uuid.uuid4().hex}"
    store = RedisTokenStore.from_url(redis_url, prefix=prefix, encryption_key=key)
    portal = FakePortal()
    tokens = OAuthTokens.from_payload(portal.issue_tokens(portal.oauth_app()), now=0)
    store.save("m1", tokens)
    assert store.get("m1") == tokens
    raw = b"".join(store._redis.sync.dump(k) or b"" for k in store._redis.sync.keys(f"{prefix}*"))
    for secret in (tokens.access_token.reveal(), tokens.refresh_token.reveal()):
        assert secret.encode() not in raw
    with pytest.raises(StoreError, match="does not open with this key"):
        RedisTokenStore.from_url(redis_url, prefix=prefix, encryption_key=bytes(32)).get("m1")
    # a record moved under another portal's member id does not open either
    store._redis.sync.copy(store._key("m1", "pair"), store._key("m2", "pair"))
    with pytest.raises(StoreError, match="does not open"):
        store.get("m2")
    with pytest.raises(StoreError, match="not encrypted"):
        RedisTokenStore.from_url(redis_url, prefix=prefix).save("m3", tokens) or store.get("m3")
    assert "encrypted" in repr(store) and key.hex() not in repr(store)


def test_an_oauth_client_reads_and_saves_through_the_store(redis_url: str) -> None:
    store = RedisTokenStore.from_url(redis_url, prefix=f"t-{uuid.uuid4().hex}")
    portal = FakePortal()
    app = portal.oauth_app(APP_ID, APP_SECRET)
    answer = portal.issue_tokens(app)
    portal.expire_token(answer["access_token"])
    store.save(portal.member_id, OAuthTokens.from_payload(answer, now=0))
    with B24OAuth(
        client_id=APP_ID,
        client_secret=APP_SECRET,
        token_store=store,
        member_id=portal.member_id,
        http_client=portal.client(),
        limits=LimitConfig.off(),
    ) as b24:
        assert b24.call_method("profile").is_success
        assert b24.stats["refreshes"] == 1
        assert store.get(portal.member_id) == b24.tokens
    assert_stored_pair_is_the_newest(portal, b24.tokens)


def test_token_store_unreachable_is_a_clear_error(redis_server: Any) -> None:
    store = RedisTokenStore.from_url(redis_server.url, socket_timeout=0.5)
    redis_server.stop()
    with pytest.raises(StoreError, match=r"unreachable .* while reading tokens"):
        store.get("m1")
    with pytest.raises(StoreError, match="is unreachable"):
        RedisTokenStore.from_url(redis_server.url)
