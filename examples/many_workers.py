"""Several worker processes export and write to one portal, sharing its limits through Redis.

Set ``REDIS_URL`` to use your Redis; without it, a throwaway ``redis-server`` is started on
loopback (it must be installed). The portal is the fake one, served on loopback with a small,
fast bucket (20 requests, refilled at 20 a second) so the run takes seconds; every worker gets
the same limits and, through Redis, the same bucket.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Iterator

from b24typed import B24Hook, LimitConfig
from b24typed.redis import RedisLimitStore
from b24typed.testing import FakePortal
from b24typed.testing.redis_server import RedisServer

WORKERS, DEALS, LEADS_EACH = 4, 1000, 10


def worker(name: str, webhook_url: str, redis_url: str) -> tuple[str, int, int]:
    """Export every deal and add a few leads; (name, deals seen, requests sent)."""
    store = RedisLimitStore.from_url(redis_url, prefix="example")
    limits = LimitConfig(burst=20, per_second=20.0, store=store)
    with B24Hook.from_webhook_url(webhook_url, limits=limits) as b24:
        deals = b24.call_list_method("crm.deal.list", {"select": ["ID"]}, mode="offset")
        for n in range(LEADS_EACH):
            b24.call_method("crm.lead.add", {"fields": {"TITLE": f"{name} lead {n}"}})
        return name, len(deals), int(b24.stats["requests"])


@contextlib.contextmanager
def redis_url() -> Iterator[str]:
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    with RedisServer() as server:
        yield server.url


def main() -> None:
    portal = FakePortal()
    portal.crm.seed_deals(DEALS)
    portal.limits.rate(burst=20, per_second=20)  # the portal answers 503 past its bucket
    with portal.serve() as base_url, redis_url() as url:
        webhook_url = portal.serve_webhook_url(base_url)
        with multiprocessing.get_context("spawn").Pool(WORKERS) as pool:
            jobs = [(f"worker-{n}", webhook_url, url) for n in range(WORKERS)]
            results = pool.starmap(worker, jobs)
    for name, deals, requests in results:
        print(f"{name}: exported {deals} deals with {requests} requests")
    leads = len(portal.crm.types[1].table.rows)
    refused = portal.stats.by_status[503]
    print(f"{leads} leads written; {refused} requests refused by the portal's limit")


if __name__ == "__main__":
    main()
