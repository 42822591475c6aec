"""``python -m b24typed.testing serve --port 8024 --seed-deals 100000``."""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m b24typed.testing")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run a fake Bitrix24 portal on 127.0.0.1")
    serve.add_argument("--port", type=int, default=8024)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--domain", default="portal.example.bitrix24.com")
    serve.add_argument("--seed", type=int, default=0)
    for name in ("deals", "leads", "contacts", "companies", "users", "tasks"):
        serve.add_argument(f"--seed-{name}", type=int, default=0, metavar="N")
    serve.add_argument("--rate-limit", action="store_true", help="enable the 50/2 leaky bucket")
    serve.add_argument(
        "--latency",
        choices=("loopback", "cloud"),
        default="loopback",
        help="answer as fast as possible, or as a cloud portal would (see LatencyProfile)",
    )
    serve.add_argument("--certfile", help="serve HTTPS with this PEM certificate")
    serve.add_argument("--keyfile", help="the certificate's private key (PEM)")
    args = parser.parse_args(argv)

    from .latency import LatencyProfile
    from .portal import FakePortal

    profile = LatencyProfile.cloud() if args.latency == "cloud" else LatencyProfile.loopback()
    portal = FakePortal(args.domain, seed=args.seed, latency=profile)
    started = time.perf_counter()
    portal.users.seed(args.seed_users)
    portal.crm.seed_deals(args.seed_deals)
    portal.crm.seed_leads(args.seed_leads)
    portal.crm.seed_contacts(args.seed_contacts)
    portal.crm.seed_companies(args.seed_companies)
    portal.tasks.seed(args.seed_tasks)
    if args.rate_limit:
        portal.limits.rate()
    seeded = time.perf_counter() - started
    context = None
    if args.certfile:
        import ssl

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.certfile, args.keyfile)
    with portal.serve(port=args.port, host=args.host, ssl_context=context) as base_url:
        print(f"seeded in {seeded:.2f}s", file=sys.stderr)
        print(portal.serve_webhook_url(base_url), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
