"""The b24typed demo: a fake Bitrix24 portal with 20,000 deals, and what the SDK does with it.

Run it with ``make demo``. Everything talks real HTTP to a local emulator on 127.0.0.1.
"""

from __future__ import annotations

import importlib
import logging
import sys
import tempfile
import time

from b24typed import B24Hook, EntityNotFoundError
from b24typed.testing import FakePortal

DEALS = 20_000


def step(title: str) -> None:
    print(f"\n== {title}")


def show_portal_types(portal: FakePortal, url: str) -> None:
    """Generate the typed package of the portal (user fields, a smart process) and use it."""
    from b24typed.portal_types.cli import main as portal_types

    portal.seed_variety()
    with tempfile.TemporaryDirectory() as folder:
        portal_types(["--out", f"{folder}/my_portal", "--webhook", url, "--rest3", "crm.*"])
        sys.path.insert(0, folder)
        try:
            my_portal = importlib.import_module("my_portal")
            with B24Hook.from_webhook_url(url) as hook:
                typed = my_portal.client(hook)
                deal = typed.crm.deal.get(id=42)
                deal.contract_number, deal.delivery = "C-42", 2
                typed.crm.deal.update(id=42, fields=deal)
                again = typed.crm.deal.get(id=42)
                print(f"   {type(again).__name__}: contract_number={again.contract_number!r}"
                      f" delivery={again.delivery!r} (a Literal of the option ids)")  # fmt: skip
                request = typed.smart.invoice_requests.add(fields={"title": "Laptops"})
                print(f"   smart process item: {type(request).__name__} id={request['id']}")
        finally:
            sys.path.remove(folder)


def main() -> int:
    logging.basicConfig(
        level=logging.WARNING,
        format="   [log] %(levelname)s %(name)s: %(message)s",
        stream=sys.stdout,
    )
    started = time.perf_counter()
    portal = FakePortal()
    portal.crm.seed_deals(DEALS)
    print(f"Seeded a fake portal with {DEALS:,} deals in {time.perf_counter() - started:.2f}s")

    with (
        portal.serve() as base_url,
        B24Hook.from_webhook_url(portal.serve_webhook_url(base_url)) as b24,
    ):
        print(f"Emulator listening on {base_url} (real HTTP over loopback)")

        step("A typed get: b24.crm.item.get(entity_type_id=2, id=42)")
        deal = b24.crm.item.get(entity_type_id=2, id=42).item
        print(f"   {type(deal).__name__}: id={deal.id} title={deal.title!r}")
        print(f"   opportunity={deal.opportunity!r} created_time={deal.created_time!r}")

        step("A full export with a progress bar: b24.crm.item.iterate_list(...)")
        export_started = time.perf_counter()
        requests_before = portal.stats.requests
        titles = [
            item.title
            for item in b24.crm.item.iterate_list(
                entity_type_id=2, select=["id", "title"], progress=True
            )
        ]
        seconds = time.perf_counter() - export_started
        used = portal.stats.requests - requests_before
        print(f"   {len(titles):,} deals in {seconds:.2f}s using {used} HTTP requests")

        step("A typed batch of 120 gets, sent 50 per request")
        with b24.batch() as batch:
            handles = [batch.crm.item.get(entity_type_id=2, id=n) for n in range(1, 121)]
        print(f"   {len(handles)} results, the last one: {handles[-1].result().item.title!r}")

        step("A REST v2 call whose method REST 3.0 also has (watch the log line)")
        b24.call_method("tasks.task.list", {"select": ["ID", "TITLE"]})
        b24.call_method("tasks.task.list", {"select": ["ID"]})  # logged once per client

        step("A handled error")
        try:
            b24.crm.item.get(entity_type_id=2, id=10**9)
        except EntityNotFoundError as error:
            print(f"   caught {type(error).__name__}: code={error.code} status={error.status}")
            print(f"   request id for the portal's logs: {error.request_id}")

        step("Types of your own portal: b24typed portal-types --out my_portal")
        show_portal_types(portal, portal.serve_webhook_url(base_url))

        stats = b24.stats
    total = time.perf_counter() - started
    print(
        f"\nDone in {total:.1f}s: {stats['requests']} HTTP requests from the client, "
        f"{stats['retries']} retries, {portal.stats.requests} requests seen by the portal."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
