"""RedisLimitStore against a real redis-server: the shared bucket, the operating budget, Redis's
clock, sync and async, and what happens when Redis is unreachable or restarts."""

from __future__ import annotations

import asyncio
import logging
import uuid

import httpx
import pytest

from b24typed import B24Hook, LimitConfig, ManualClock, StoreError
from b24typed.core.limits import Drain, Exhaust, Record, Reserve
from b24typed.core.result import ResponseTime
from b24typed.redis import RedisLimitStore
from b24typed.testing import FakePortal
from b24typed.testing.redis_server import RedisServer


def store(url: str, **options: object) -> RedisLimitStore:
    return RedisLimitStore.from_url(url, prefix=f"t-{uuid.uuid4().hex}", **options)  # type: ignore[arg-type]


CONFIG = LimitConfig(burst=5, per_second=1.0, operating_budget=100.0, operating_margin=5.0)


def test_two_stores_on_one_redis_share_the_bucket(redis_url: str) -> None:
    first = store(redis_url)
    second = RedisLimitStore.from_url(redis_url, prefix=first.prefix)
    a = first.bind("p.example", CONFIG, 0.0)
    b = second.bind("p.example", CONFIG, 0.0)
    waits = [limits.apply(Reserve(("user.get",), 0.0)) for limits in (a, b) * 4]
    assert waits[:5] == [0.0] * 5  # the burst of 5, whichever process asks
    # then each reservation owns the next token: 1 s apart at 1 a second (less the real time
    # that passes between the calls)
    assert waits[5:] == pytest.approx([1, 2, 3], abs=0.25)
    other_portal = first.bind("q.example", CONFIG, 0.0)
    assert other_portal.apply(Reserve(("user.get",), 0.0)) == 0.0


def test_the_bucket_follows_redis_clock_not_the_callers(redis_url: str) -> None:
    shared = store(redis_url)
    skewed = [
        shared.bind("p.example", CONFIG, now) for now in (0.0, 1_767_225_600.0, 4_000_000_000.0)
    ]
    waits = [
        limits.apply(Reserve(("user.get",), now))
        for limits, now in zip(skewed * 3, [0.0, 1_767_225_600.0, 4_000_000_000.0] * 3, strict=True)
    ]
    # a caller an hour (or decades) ahead gets no extra tokens, one behind loses none
    assert waits[:5] == [0.0] * 5
    assert waits[5:] == pytest.approx([1, 2, 3, 4], abs=0.25)


def test_a_drain_empties_the_shared_bucket(redis_url: str) -> None:
    shared = store(redis_url)
    a = shared.bind("p.example", CONFIG, 0.0)
    assert a.apply(Reserve(("x",), 0.0)) == 0.0
    a.apply(Drain(0.0))
    assert a.apply(Reserve(("x",), 0.0)) == pytest.approx(1, abs=0.25)


def test_a_method_near_its_budget_waits_in_every_process_until_reset(redis_url: str) -> None:
    first = store(redis_url)
    second = RedisLimitStore.from_url(redis_url, prefix=first.prefix)
    a = first.bind("p.example", CONFIG, 0.0)
    b = second.bind("p.example", CONFIG, 0.0)
    redis_now = first._redis.sync.time()
    now = redis_now[0] + redis_now[1] / 1e6
    a.apply(
        Record((("crm.deal.list", ResponseTime(operating=50.0, operating_reset_at=now + 30)),), 0)
    )
    assert b.apply(Reserve(("crm.deal.list",), 0.0)) == 0.0  # far from the budget: not shared
    a.apply(
        Record((("crm.deal.list", ResponseTime(operating=96.0, operating_reset_at=now + 30)),), 0)
    )
    # a negative answer: wait for the budget (no token taken), then reserve again
    assert b.apply(Reserve(("crm.deal.list",), 0.0)) == pytest.approx(-31.0, abs=0.5)
    assert b.apply(Reserve(("user.get",), 0.0)) == 0.0  # other methods are free
    # a refused method waits until its reset too, in the process that did not see the refusal
    assert a.apply(Exhaust("tasks.task.list", ("tasks.task.list",), 0.0)) == 10.0
    assert b.apply(Reserve(("tasks.task.list",), 0.0)) == -10.0
    # once the reset time has passed the method is free again
    a.apply(Record((("user.get", ResponseTime(operating=99.0, operating_reset_at=now - 1)),), 0))
    assert b.apply(Reserve(("user.get",), 0.0)) == 0.0


def test_async_clients_share_the_bucket_with_sync_ones(redis_url: str) -> None:
    shared = store(redis_url)
    limits = shared.bind("p.example", CONFIG, 0.0)

    async def reserve_three() -> list[float]:
        return [await limits.aapply(Reserve(("x",), 0.0)) for _ in range(3)]

    sync_waits = [limits.apply(Reserve(("x",), 0.0)) for _ in range(3)]
    async_waits = asyncio.run(reserve_three())
    # a second event loop gets its own connection
    more = asyncio.run(reserve_three())
    assert sync_waits + async_waits[:2] == [0.0] * 5
    assert [async_waits[2], *more] == pytest.approx([1, 2, 3, 4], abs=0.25)


def test_a_client_waits_for_the_shared_bucket() -> None:
    portal = FakePortal(clock=ManualClock())
    clock = ManualClock()
    with RedisServer() as server:
        shared = store(server.url)
        config = LimitConfig(burst=3, per_second=1.0, store=shared)
        clients = [
            B24Hook.from_webhook_url(
                portal.webhook_url, http_client=portal.client(), limits=config, clock=clock
            )
            for _ in range(2)
        ]
        for index in range(8):
            assert clients[index % 2].call_method("server.time").is_success
    # two clients, one bucket of 3: the 5 later calls each wait for their own token (the manual
    # clock does not really sleep, so Redis's clock has hardly moved)
    assert clock.slept == pytest.approx([1, 2, 3, 4, 5], abs=0.25)


def test_unreachable_redis_at_start_is_a_clear_error() -> None:
    with RedisServer() as server:
        url = f"redis://user:s3cret-pass@127.0.0.1:{server.port}/0"
    with pytest.raises(StoreError) as raised:
        RedisLimitStore.from_url(url)
    message = str(raised.value)
    assert f"127.0.0.1:{server.port}/0 is unreachable" in message
    assert "s3cret" not in message and "s3cret" not in repr(raised.value)


def test_redis_lost_mid_work_fails_by_default(redis_server: RedisServer) -> None:
    limits = store(redis_server.url, socket_timeout=0.5).bind("p.example", CONFIG, 0.0)
    assert limits.apply(Reserve(("x",), 0.0)) == 0.0
    redis_server.stop()
    with pytest.raises(StoreError, match="unreachable"):
        limits.apply(Reserve(("x",), 0.0))

    async def reserve() -> float:
        return await limits.aapply(Reserve(("x",), 0.0))

    with pytest.raises(StoreError, match="unreachable"):
        asyncio.run(reserve())


def test_redis_lost_mid_work_falls_back_with_a_warning_and_resumes_after_restart(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    shared = store(redis_server.url, on_failure="fallback", retry_after=0.2, socket_timeout=0.5)
    limits = shared.bind("p.example", CONFIG, 0.0)
    assert [limits.apply(Reserve(("x",), 100.0)) for _ in range(4)] == [0.0] * 4
    redis_server.stop()
    caplog.set_level(logging.WARNING, logger="b24typed")
    # the process's own bucket takes over (full: it knew nothing of the shared one)
    fallback = [limits.apply(Reserve(("x",), 100.0)) for _ in range(6)]
    assert fallback == [0, 0, 0, 0, 0, 1]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "falling back to this process" in warnings[0].getMessage()
    redis_server.start()  # a restart: Redis comes back empty
    asyncio.run(asyncio.sleep(0.25))
    back = [limits.apply(Reserve(("x",), 100.0)) for _ in range(6)]
    assert back == pytest.approx([0, 0, 0, 0, 0, 1], abs=0.25)
    assert "answers again" in caplog.records[-1].getMessage()
    assert redis_server.port and shared._redis.sync.exists(
        f"{shared.prefix}:limits:{{p.example}}:bucket"
    )


def test_no_secret_in_the_store_repr(redis_url: str) -> None:
    port = httpx.URL(redis_url).port
    secret_url = f"redis://:hunter2@127.0.0.1:{port}/0"
    shared = RedisLimitStore.from_url(secret_url, check=False)
    assert "hunter2" not in repr(shared)


def test_a_reset_time_is_read_against_the_portals_clock_and_capped(redis_url: str) -> None:
    shared = store(redis_url)
    limits = shared.bind("p.example", CONFIG, 0.0)
    portal_now = 1_000_000_000.0  # the portal's clock is years off Redis's
    skewed = ResponseTime(operating=99.0, operating_reset_at=portal_now + 30, finish=portal_now)
    limits.apply(Record((("crm.deal.list", skewed),), 0.0))
    assert limits.apply(Reserve(("crm.deal.list",), 0.0)) == pytest.approx(-31.0, abs=0.5)
    capped = RedisLimitStore.from_url(redis_url, prefix=shared.prefix).bind(
        "p.example", LimitConfig(burst=5, per_second=1.0, operating_budget=100.0, max_wait=5.0), 0
    )
    assert capped.apply(Reserve(("crm.deal.list",), 0.0)) == -5.0
