"""Faults that lose nothing: exports, writes and token expiry against the fake portal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from b24typed import B24Hook, B24OAuth, LimitConfig, ManualClock, UnknownOutcomeError
from b24typed.testing import FakePortal

FAULTS = ("503", "500", "reset", "timeout", "html502", "truncated")


def hook(portal: FakePortal, http: httpx.Client | None = None, **kw: Any) -> B24Hook:
    return B24Hook.from_webhook_url(
        portal.webhook_url,
        http_client=http or portal.client(),
        limits=LimitConfig.off(),
        clock=ManualClock(),
        **kw,
    )


@pytest.fixture(scope="module")
def portal() -> Iterator[FakePortal]:
    shared = FakePortal(seed=3)
    shared.crm.seed_deals(12345)
    yield shared


@pytest.mark.parametrize(
    ("mode", "rate", "seed"),
    # the chained-batch export needs only ~6 requests, so it gets a higher rate to meet faults
    [("batch", 0.4, 3), ("fast", 0.1, 11), ("offset", 0.1, 11)],
)
def test_export_under_faults_returns_every_item_once(
    portal: FakePortal, mode: str, rate: float, seed: int
) -> None:
    portal.faults.random(rate=rate, kinds=FAULTS, seed=seed)
    portal.faults.injected.clear()
    try:
        deals = hook(portal).call_list_method("crm.deal.list", {"select": ["ID"]}, mode=mode)
    finally:
        portal.faults.clear()
    ids = [int(d["ID"]) for d in deals]
    assert len(ids) == 12345
    assert len(set(ids)) == 12345
    kinds = {kind for _, kind in portal.faults.injected}
    if mode == "batch":
        assert len(portal.faults.injected) >= 2
    else:
        assert kinds == set(FAULTS)


def test_token_expiring_mid_export_is_refreshed_once() -> None:
    portal = FakePortal(seed=5)
    portal.crm.seed_deals(3000)
    app = portal.oauth_app("app.export", "app-secret")
    tokens = portal.issue_tokens(app)
    saved: list[Any] = []
    b24 = B24OAuth(
        client_id="app.export",
        client_secret="app-secret",
        tokens=tokens,
        on_token_refresh=saved.append,
        http_client=portal.client(),
        limits=LimitConfig.off(),
    )
    seen: list[int] = []
    pages = b24.fetch_list_method("crm.deal.list", {"select": ["ID"]}, mode="fast")
    for number, page in enumerate(pages, start=1):
        seen += [int(d["ID"]) for d in page]
        if number == 10:
            portal.expire_token(b24.tokens.access_token.reveal())
    assert sorted(seen) == list(range(1, 3001))
    assert b24.stats["refreshes"] == 1 and len(saved) == 1
    assert portal.stats.oauth_requests == 1


def test_rest3_add_that_times_out_after_commit_creates_one_record() -> None:
    portal = FakePortal()
    portal.faults.next("tasks.task.add", kind="timeout", after=True)
    b24 = hook(portal)
    created = b24.call(
        3,
        "tasks.task.add",
        {"fields": {"title": "exactly once", "responsibleId": 1, "creatorId": 1}},
    )
    assert created.is_success
    assert portal.stats["tasks.task.add"] == 2  # the first attempt and its retry
    found = b24.call(3, "tasks.task.list", {"select": ["id", "title"]}).result["items"]
    assert [t["title"] for t in found].count("exactly once") == 1


def test_rest_v2_add_that_times_out_after_commit_is_not_sent_twice() -> None:
    portal = FakePortal()
    portal.faults.next("crm.deal.add", kind="timeout", after=True)
    b24 = hook(portal)
    with pytest.raises(UnknownOutcomeError) as info:
        b24.call_method("crm.deal.add", {"fields": {"TITLE": "maybe once"}})
    assert portal.stats["crm.deal.add"] == 1
    assert info.value.request_id
    found = b24.call_method("crm.deal.list", {"filter": {"TITLE": "maybe once"}})
    assert len(found.result) == 1


def test_loopback_server_faults_are_survived_too() -> None:
    portal = FakePortal(seed=9)
    portal.crm.seed_deals(600)
    portal.faults.timeout_seconds = 0.3
    portal.faults.random(
        rate=0.15, kinds=("503", "reset", "timeout", "html502", "truncated"), seed=2
    )
    with portal.serve() as base_url:
        b24 = B24Hook.from_webhook_url(
            portal.serve_webhook_url(base_url),
            limits=LimitConfig.off(),
            clock=ManualClock(),
            timeout=0.2,
        )
        with b24:
            deals = b24.call_list_method("crm.deal.list", {"select": ["ID"]}, mode="fast")
    assert sorted(int(d["ID"]) for d in deals) == list(range(1, 601))
    assert portal.faults.injected
