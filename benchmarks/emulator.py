"""The benchmark's emulator process: one seeded FakePortal behind loopback HTTP (and HTTPS).

Run by ``run.py`` as its own process, so clients never share a GIL with the server. It prints
one JSON line (the webhook URLs), then answers one command per stdin line with one JSON line:
``stats``, ``cpu`` (process CPU seconds), ``reset``, ``rate BURST PER_SECOND``, ``off``,
``latency loopback|cloud`` (the profile; ``cloud`` also turns on the real bucket and operating
budget, fresh, and ``reset`` refreshes them), ``quit``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import ssl
import sys
import time
from typing import Any

from b24typed.testing import FakePortal, LatencyProfile


def _tls(cert: str | None, key: str | None) -> ssl.SSLContext | None:
    """A server context for the loopback certificate, or None (no HTTPS listener)."""
    if not (cert and key):
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def _stats(portal: FakePortal) -> dict[str, Any]:
    with portal.lock:
        stats = portal.stats
        return {
            "requests": stats.requests,
            "by_method": dict(stats.by_method),
            "calls": dict(stats.calls),
            "by_status": {str(k): v for k, v in stats.by_status.items()},
            "server_time": stats.server_time,
            "in_flight_peak": stats.in_flight_peak,
        }


def _real_limits(portal: FakePortal) -> None:
    """A standard plan's bucket (50, then 2 a second) and operating budget, both fresh."""
    portal.limits.off()
    portal.limits.rate(burst=50, per_second=2)
    portal.limits.operating(budget_seconds=480, window_seconds=600)


def _command(portal: FakePortal, line: str) -> dict[str, Any] | None:
    words = line.split()
    if not words:
        return {}
    verb = words[0]
    if verb == "quit":
        return None
    if verb == "stats":
        return _stats(portal)
    if verb == "cpu":
        return {"cpu": time.process_time()}
    with portal.lock:
        if verb == "reset":
            portal.stats.reset()
            if portal.latency.name == "cloud":
                _real_limits(portal)
        elif verb == "latency":
            cloud = words[1] == "cloud"
            portal.latency = LatencyProfile.cloud() if cloud else LatencyProfile.loopback()
            portal.limits.off()
            if cloud:
                _real_limits(portal)
        elif verb == "rate":
            portal.limits.rate(burst=float(words[1]), per_second=float(words[2]))
        elif verb == "off":
            portal.limits.off()
        else:
            return {"error": f"unknown command {verb!r}"}
    return {"ok": True}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed-deals", type=int, default=0)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    args = parser.parse_args()

    portal = FakePortal()
    portal.crm.seed_deals(args.seed_deals)
    gc.collect()
    gc.freeze()  # the seeded rows live forever: keep the collector from walking them
    tls = _tls(args.tls_cert, args.tls_key)
    with contextlib.ExitStack() as stack:
        base_url = stack.enter_context(portal.serve(port=0))
        hello: dict[str, Any] = {"http": portal.serve_webhook_url(base_url), "https": None}
        if tls is not None:
            tls_url = stack.enter_context(portal.serve(port=0, ssl_context=tls))
            hello["https"] = portal.serve_webhook_url(tls_url)
        print(json.dumps(hello), flush=True)
        for line in sys.stdin:
            answer = _command(portal, line)
            if answer is None:
                break
            print(json.dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
