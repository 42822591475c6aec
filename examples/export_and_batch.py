"""Exports and batches with the raw (untyped) calls, as the official SDK names them.

Set ``B24_WEBHOOK_URL`` to run it against your portal; without it, it runs against the emulator.
"""

from __future__ import annotations

import os

import httpx

from b24typed import B24Hook
from b24typed.testing import FakePortal


def main() -> None:
    url = os.environ.get("B24_WEBHOOK_URL")
    http: httpx.Client | None = None
    if url is None:
        portal = FakePortal()
        portal.crm.seed_deals(5000)
        url, http = portal.webhook_url, portal.client()
    with B24Hook.from_webhook_url(url, http_client=http) as b24:
        # every deal, page by page: the first page with the highest id, then id ranges walked
        # at once, each with its pages chained into one HTTP request
        count = 0
        for page in b24.fetch_list_method("crm.deal.list", {"select": ["ID", "TITLE"]}):
            count += len(page)
        print("exported", count, "deals with", b24.stats["requests"], "requests")

        # a named batch whose second command uses the first one's result
        answer = b24.call_batch(
            {
                "first": ("crm.deal.list", {"select": ["ID"], "order": {"ID": "ASC"}}),
                "again": ("crm.deal.get", {"id": "$result[first][0][ID]"}),
            }
        )
        print("batch errors:", answer.errors or "none")
        print("the first deal's title:", answer.results["again"]["TITLE"])


if __name__ == "__main__":
    main()
