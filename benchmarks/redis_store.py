"""What sharing the limits through Redis costs per call: ``python benchmarks/redis_store.py``.

Starts a throwaway redis-server on loopback (or uses ``--redis-url``) and measures, median of
``--runs`` rounds of ``--calls`` calls each:

- a bare Redis round trip (``PING``), for scale;
- one reservation (``Reserve``) in the in-process store and in ``RedisLimitStore``, blocking and
  asyncio (the Redis store's is one Lua script run: one round trip);
- a whole call (``b24.call_method("server.time")``) against the in-process fake portal, with
  the limits in the process and in Redis (the bucket is big enough never to make it wait).

Writes ``benchmarks/results/redis_store.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from b24typed import B24Hook, LimitConfig
from b24typed.core.limits import PROCESS_LIMITS, BoundLimits, Reserve
from b24typed.redis import RedisLimitStore
from b24typed.testing import FakePortal
from b24typed.testing.redis_server import RedisServer

RESULTS = Path(__file__).with_name("results") / "redis_store.json"
BIG = LimitConfig(burst=10**9, per_second=10**6)


def per_call(run: Callable[[int], None], calls: int, runs: int) -> float:
    """Median seconds per call over ``runs`` rounds of ``calls`` calls."""
    run(min(calls, 200))  # warm up (connections, script cache)
    rounds = []
    for _ in range(runs):
        started = time.perf_counter()
        run(calls)
        rounds.append((time.perf_counter() - started) / calls)
    return statistics.median(rounds)


def reservations(limits: BoundLimits) -> Callable[[int], None]:
    def run(calls: int) -> None:
        for _ in range(calls):
            limits.apply(Reserve(("crm.deal.list",), 0.0))

    return run


def async_reservations(limits: BoundLimits) -> Callable[[int], None]:
    def run(calls: int) -> None:
        async def go() -> None:
            for _ in range(calls):
                await limits.aapply(Reserve(("crm.deal.list",), 0.0))

        asyncio.run(go())

    return run


def client_calls(config: LimitConfig) -> Callable[[int], None]:
    portal = FakePortal()
    b24 = B24Hook.from_webhook_url(portal.webhook_url, http_client=portal.client(), limits=config)

    def run(calls: int) -> None:
        for _ in range(calls):
            b24.call_method("server.time")

    return run


def measure(url: str, calls: int, runs: int) -> dict[str, float]:
    store = RedisLimitStore.from_url(url, prefix=f"bench-{uuid.uuid4().hex}")
    local = PROCESS_LIMITS.bind("bench.example", BIG, time.time())
    shared = store.bind("bench.example", BIG, time.time())
    redis_client = store._redis.sync

    def pings(count: int) -> None:
        for _ in range(count):
            redis_client.ping()

    return {
        "Redis PING round trip (us)": per_call(pings, calls, runs) * 1e6,
        "reserve, in-process (us)": per_call(reservations(local), calls, runs) * 1e6,
        "reserve, Redis blocking (us)": per_call(reservations(shared), calls, runs) * 1e6,
        "reserve, Redis asyncio (us)": per_call(async_reservations(shared), calls, runs) * 1e6,
        "call, limits in-process (us)": per_call(client_calls(BIG), calls, runs) * 1e6,
        "call, limits in Redis (us)": per_call(
            client_calls(LimitConfig(burst=BIG.burst, per_second=BIG.per_second, store=store)),
            calls,
            runs,
        )
        * 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", help="an existing Redis (default: start one on loopback)")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if args.redis_url:
        numbers = measure(args.redis_url, args.calls, args.runs)
    else:
        with RedisServer() as server:
            numbers = measure(server.url, args.calls, args.runs)
    numbers["Redis overhead per call (us)"] = (
        numbers["call, limits in Redis (us)"] - numbers["call, limits in-process (us)"]
    )
    for name, value in numbers.items():
        print(f"{name:<32} {value:9.1f}")
    RESULTS.write_text(json.dumps({k: round(v, 1) for k, v in numbers.items()}, indent=2) + "\n")


if __name__ == "__main__":
    main()
