"""Eight worker processes, sync and async, share one fake portal's limits through one Redis."""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid

from b24typed.testing import FakePortal
from b24typed.testing.faults import Fault
from b24typed.testing.portal import Request, Response

from .multiprocess import Workers

BURST, PER_SECOND = 10, 10.0
# The workers keep 2 of the portal's tokens in reserve: a request reaches the portal a moment
# after its reservation, and on a busy machine that moment varies (2 tokens = 0.2 s here).
JITTER_TOKENS = 2
BUDGET, WINDOW, COST = 10.0, 4.0, 0.4  # seconds of operating time per call of crm.deal.list
DEALS, WRITES, WORKERS = 600, 3, 8


def test_eight_workers_share_the_bucket_and_the_budget(redis_url: str) -> None:
    portal = FakePortal(seed=17)
    deal_ids = portal.crm.seed_deals(DEALS)
    expected = hashlib.sha256(json.dumps(sorted(deal_ids)).encode()).hexdigest()
    portal.limits.rate(burst=BURST, per_second=PER_SECOND)
    portal.limits.operating(
        budget_seconds=BUDGET,
        window_seconds=WINDOW,
        cost=lambda method, _params: COST if method == "crm.deal.list" else 0.0,
    )
    arrivals: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    handle = portal.handle

    def counting(req: Request) -> Response | Fault:
        arrived = time.monotonic()
        out = handle(req)
        with lock:
            arrivals.append(arrived)
            statuses.append(out.status if isinstance(out, Response) else 0)
        return out

    portal.handle = counting  # type: ignore[method-assign]
    prefix = f"t-{uuid.uuid4().hex}"
    with portal.serve() as base_url:
        webhook_url = portal.serve_webhook_url(base_url)
        jobs = [
            {
                "kind": "export",
                "name": f"w{n}",
                "mode": "sync" if n % 2 else "async",
                "redis_url": redis_url,
                "prefix": prefix,
                "webhook_url": webhook_url,
                "writes": WRITES,
                "limits": {
                    "burst": BURST - JITTER_TOKENS,
                    "per_second": PER_SECOND,
                    "operating_budget": BUDGET,
                    # 8 calls in flight when the threshold is seen cost 3.2 s more
                    "operating_margin": 4.0,
                },
            }
            for n in range(WORKERS)
        ]
        workers = Workers(jobs)
        workers.go()
        reports = workers.results(timeout=120)
    # every export is exact and every write landed
    assert [r["count"] for r in reports] == [DEALS] * WORKERS
    assert all(r["digest"] == expected for r in reports)
    titles = sorted(lead["title"] for lead in portal.crm.types[1].table.rows.values())
    assert titles == sorted(f"w{n}-{i}" for n in range(WORKERS) for i in range(WRITES))
    # no limit error reached any worker, nor was sent by the portal
    assert 503 not in statuses and 429 not in statuses, (
        statuses.count(503),
        statuses.count(429),
    )
    assert sum(r["stats"]["retries"] for r in reports) == 0
    # the request rate stayed within the bucket's allowance: burst + rate x elapsed
    arrivals.sort()
    elapsed = arrivals[-1] - arrivals[0]
    allowance = BURST + PER_SECOND * elapsed
    ratio = len(arrivals) / allowance
    # and in every stretch of the run (the busiest one sets the figure)
    peak = max(
        (j - i + 1) / (BURST + PER_SECOND * (arrivals[j] - arrivals[i]))
        for i in range(len(arrivals))
        for j in range(i, len(arrivals))
    )
    print(
        f"\n{len(arrivals)} requests in {elapsed:.2f}s; allowance {allowance:.0f}; "
        f"whole-run ratio {ratio:.3f}; busiest stretch {peak:.3f}; "
        f"worst worker {max(r['seconds'] for r in reports):.2f}s"
    )
    assert ratio <= 1.05 and peak <= 1.05
    # the operating budget was really in play: the workers paused for it
    assert len(arrivals) > (BUDGET / COST) * 1.5
    assert sum(r["stats"]["wait_seconds"] for r in reports) > WINDOW
