"""The emulator driven through b24typed's own client (the core), sync and async."""

from __future__ import annotations

import math

import pytest

from b24typed import AsyncB24Hook, B24Hook, B24OAuth
from b24typed.core.lists import MAX_CONCURRENCY
from b24typed.testing import FakePortal


@pytest.mark.parametrize("mode", ["inproc", "loopback"])
def test_export_uses_few_requests(mode: str) -> None:
    portal = FakePortal()
    n = 6000
    portal.crm.seed_deals(n)
    if mode == "inproc":
        hook = B24Hook.from_webhook_url(portal.webhook_url, http_client=portal.client())
        items = hook.call_list_method("crm.item.list", {"entityTypeId": 2, "select": ["id"]})
    else:
        with portal.serve() as base:
            url = portal.serve_webhook_url(base).replace("http://", "https://")
            import httpx

            # the client forces https; route it to the loopback server's plain http port
            class _ToHttp(httpx.HTTPTransport):
                def handle_request(self, request: httpx.Request) -> httpx.Response:
                    request.url = request.url.copy_with(scheme="http")
                    return super().handle_request(request)

            with httpx.Client(transport=_ToHttp()) as http:
                hook = B24Hook.from_webhook_url(url, http_client=http)
                portal.stats.reset()
                items = hook.call_list_method(
                    "crm.item.list", {"entityTypeId": 2, "select": ["id"]}
                )
    assert sorted(i["id"] for i in items) == list(range(1, n + 1))
    # the first page with the highest id, then one batch per id range
    assert portal.stats.requests <= math.ceil(n / 2500) + 1 + MAX_CONCURRENCY


def test_errors_and_batch_through_the_client() -> None:
    from b24typed import EntityNotFoundError

    portal = FakePortal()
    portal.crm.seed_deals(2)
    hook = B24Hook.from_webhook_url(portal.webhook_url, http_client=portal.client())
    with pytest.raises(EntityNotFoundError):
        hook.call(2, "crm.item.get", {"entityTypeId": 2, "id": 99}).raise_for_error()
    batch = hook.call_batch(
        {"a": ("crm.deal.get", {"id": 1}), "b": ("crm.deal.get", {"id": 99})},
        is_halt_on_error=False,
    )
    assert batch.results["a"]["ID"] == "1"
    assert "b" in batch.errors


def test_oauth_refresh_through_the_client() -> None:
    portal = FakePortal()
    app = portal.oauth_app("local.x", "sec")
    tokens = portal.issue_tokens(app)
    seen: list[object] = []
    client = B24OAuth(
        client_id="local.x", client_secret="sec", tokens=tokens,
        on_token_refresh=seen.append, http_client=portal.client(),
    )  # fmt: skip
    portal.expire_token(tokens["access_token"])
    result = client.call(2, "profile")
    assert result.is_success
    assert seen and portal.stats.oauth_requests == 1


@pytest.mark.anyio
async def test_async_client_against_the_transport() -> None:
    portal = FakePortal()
    portal.tasks.seed(3)
    hook = AsyncB24Hook.from_webhook_url(portal.webhook_url, http_client=portal.async_client())
    got = await hook.call(3, "tasks.task.get", {"id": 2})
    assert got.is_success
    tasks = await hook.call_list_method("tasks.task.list", {})
    assert len(tasks) == 3


def test_shared_manual_clock_with_rate_limit() -> None:
    from b24typed.core.clock import ManualClock

    clock = ManualClock()
    portal = FakePortal(clock=clock)
    portal.limits.rate(burst=10, per_second=2)
    hook = B24Hook.from_webhook_url(portal.webhook_url, http_client=portal.client(), clock=clock)
    started = clock.now()
    for _ in range(40):
        assert hook.call(2, "server.time").is_success
    # 30 requests beyond the burst drain at 2 per second of simulated time
    assert clock.now() - started >= 15
    assert portal.stats.by_status[200] == 40
    assert portal.stats.by_status[503] <= 3
