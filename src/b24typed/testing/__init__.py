"""A fake Bitrix24 portal for tests, demos and benchmarks.

``FakePortal`` speaks the real REST protocol (REST v2 and REST 3.0: envelopes, error codes and
statuses, paging, batch, the ``time`` block, limits, OAuth refresh), in-process through an httpx
transport or over a loopback HTTP server::

    from b24typed.testing import FakePortal

    portal = FakePortal(seed=0)                      # clock=ManualClock() to drive time
    portal.latency = LatencyProfile.cloud()          # round trips, server time, 16 workers
    portal.crm.seed_deals(100_000)                   # also seed_leads/contacts/companies/items
    portal.users.seed(20); portal.tasks.seed(500)

    with portal.client() as http:                    # httpx.Client; portal.async_client() too
        http.post(portal.webhook_url + "crm.deal.list", json={"start": -1})

    with portal.serve() as base_url:                 # http://127.0.0.1:PORT; ssl_context=: https
        url = portal.serve_webhook_url(base_url)     # .../rest/1/{secret}/

    portal.add_webhook(user_id=1, scopes=["crm"])    # another webhook URL
    app = portal.oauth_app("local.app", "secret")
    tokens = portal.issue_tokens(app, expires_in=3600)   # refresh at oauth.bitrix.info/oauth/token/
    portal.limits.rate(burst=50, per_second=2)       # 503 QUERY_LIMIT_EXCEEDED (off by default)
    portal.limits.operating(budget_seconds=480)      # 429 OPERATION_TIME_LIMIT (off by default)
    portal.faults.next("crm.item.list", kind="503", times=3)   # see b24typed.testing.faults
    portal.stats.requests, portal.stats["crm.deal.list"]; portal.stats.reset()
    portal.stats.server_time, portal.stats.server_time_by_client, portal.stats.in_flight_peak

Command line: ``python -m b24typed.testing serve --port 8024 --seed-deals 100000``.
pytest: the ``b24_portal``, ``b24_client``, ``async_b24_client``, ``b24_http`` and
``b24_async_http`` fixtures come with the package (entry point ``pytest11``).

Importing this package is cheap: the portal is loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .clock import ManualClock
    from .latency import LatencyProfile
    from .portal import FakePortal

__all__ = ["FakePortal", "LatencyProfile", "ManualClock"]


def __getattr__(name: str) -> Any:
    if name == "FakePortal":
        from .portal import FakePortal

        return FakePortal
    if name == "LatencyProfile":
        from .latency import LatencyProfile

        return LatencyProfile
    if name == "ManualClock":
        from .clock import ManualClock

        return ManualClock
    raise AttributeError(name)
