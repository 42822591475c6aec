"""Latency profiles: server time per command, round trips, workers, and where the delay is spent."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from b24typed.testing import FakePortal, LatencyProfile
from b24typed.testing.clock import ManualClock
from b24typed.testing.latency import Schedule

from .conftest import Env


def test_schedule_queues_requests_when_every_worker_is_busy() -> None:
    schedule = Schedule(LatencyProfile(round_trip=0.2, workers=2))
    delays = [schedule.delay(100.0, 1.0) for _ in range(3)]
    assert delays == pytest.approx([1.2, 1.2, 2.2])
    # a request arriving after the workers are free again does not queue
    assert schedule.delay(110.0, 1.0) == pytest.approx(1.2)


def test_schedule_without_a_worker_limit_never_queues() -> None:
    schedule = Schedule(LatencyProfile(round_trip=0.1, per_command=0.02))
    assert [schedule.delay(5.0, 0.5) for _ in range(40)] == [pytest.approx(0.6)] * 40


def test_profiles_reject_nonsense() -> None:
    with pytest.raises(ValueError, match="negative"):
        LatencyProfile(round_trip=-1)
    with pytest.raises(ValueError, match="workers"):
        LatencyProfile(workers=0)


def test_cloud_costs_offset_pages_more_the_deeper_they_go() -> None:
    cloud = LatencyProfile.cloud()
    keyset = cloud.command_time()
    shallow = cloud.command_time(start=0, counted=10_000)
    deep = cloud.command_time(start=9_950, counted=10_000)
    assert keyset == pytest.approx(0.020)
    assert keyset < shallow < deep
    assert deep - shallow == pytest.approx(9_950 * cloud.per_offset_row)


def test_loopback_adds_nothing(env: Env) -> None:
    env.portal.crm.seed_deals(120)
    env.ok("crm.deal.list", {"start": 50})
    assert env.portal.stats.server_time == 0


def _portal(profile: LatencyProfile) -> FakePortal:
    portal = FakePortal(seed=0, clock=ManualClock(), latency=profile)
    portal.crm.seed_deals(300)
    return portal


def test_server_time_per_client_follows_the_pages_asked_for(clocked: Env) -> None:
    portal = clocked.portal
    portal.latency = LatencyProfile(per_command=0.01, per_offset_row=0.001, per_counted_row=0.0001)
    portal.crm.seed_deals(300)
    clocked.ok("crm.deal.list", {"start": -1, "filter": {">ID": 200}})
    assert portal.stats.server_time == pytest.approx(0.01)
    clocked.ok("crm.deal.list", {"start": 200})
    assert portal.stats.server_time == pytest.approx(0.01 + 0.01 + 0.2 + 0.03)
    batch = {"cmd": {"a": "crm.deal.list?start=-1", "b": "crm.deal.list?start=-1"}}
    clocked.ok("batch", batch)
    assert portal.stats.server_time == pytest.approx(0.27)
    ((client, spent),) = portal.stats.server_time_by_client.items()
    assert spent == pytest.approx(0.27)
    assert client.startswith("webhook:") and portal.webhook_url.split("/")[-2] not in client


def test_server_time_feeds_the_operating_budget(clocked: Env) -> None:
    portal = clocked.portal
    portal.latency = LatencyProfile(per_command=2.0)
    portal.limits.operating(budget_seconds=3)
    assert clocked.ok("crm.deal.list", {"start": -1})["time"]["operating"] == pytest.approx(2.0)
    clocked.ok("crm.deal.list", {"start": -1})
    assert clocked.call("crm.deal.list", {"start": -1}).json()["error"] == "OPERATION_TIME_LIMIT"


def test_sync_transport_waits_on_the_portal_clock() -> None:
    portal = _portal(LatencyProfile(round_trip=0.1, per_command=0.02))
    before = portal.clock.now()
    with portal.client() as http:
        http.post(portal.webhook_url + "crm.deal.list", json={"start": -1})
    assert portal.clock.now() - before == pytest.approx(0.12)


def test_async_transport_awaits_instead_of_blocking(monkeypatch: pytest.MonkeyPatch) -> None:
    # long delays, never really waited for (asyncio.sleep is replaced below)
    portal = FakePortal(seed=0, latency=LatencyProfile(round_trip=5.0, per_command=1.0))
    portal.crm.seed_deals(60)
    slept: list[float] = []
    real_sleep = asyncio.sleep

    async def recording_sleep(seconds: float) -> None:
        slept.append(seconds)
        await real_sleep(0)

    def no_blocking(seconds: float) -> None:
        raise AssertionError("the async transport must not block the loop")

    monkeypatch.setattr(asyncio, "sleep", recording_sleep)
    monkeypatch.setattr(time, "sleep", no_blocking)

    async def run() -> None:
        async with portal.async_client() as http:
            url = portal.webhook_url + "crm.deal.list"
            await asyncio.gather(*(http.post(url, json={"start": -1}) for _ in range(4)))

    asyncio.run(run())
    # one await per request, of the delay less the time the answer took to compute
    delays = [s for s in slept if s > 0]
    assert len(delays) == 4
    assert all(5.0 < s <= 6.0 for s in delays)
    assert portal.stats.in_flight_peak == 4
    assert portal.stats.in_flight == 0


def test_loopback_server_serves_the_profile() -> None:
    portal = _portal(LatencyProfile.cloud())
    before = portal.clock.now()
    with portal.serve() as base, httpx.Client() as http:
        url = portal.serve_webhook_url(base) + "crm.deal.list"
        assert http.post(url, json={"start": 0}).json()["total"] == 300
    cloud = LatencyProfile.cloud()
    expected = cloud.round_trip + cloud.command_time(start=0, counted=300)
    assert portal.clock.now() - before == pytest.approx(expected)
    assert portal.stats.server_time == pytest.approx(expected - cloud.round_trip)
