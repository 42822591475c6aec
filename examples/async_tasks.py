"""Async client, REST 3.0 tasks and concurrent calls.

Set ``B24_WEBHOOK_URL`` to run it against your portal; without it, it runs against the emulator.
"""

from __future__ import annotations

import asyncio
import os

import httpx

from b24typed import AsyncB24Hook
from b24typed.testing import FakePortal


async def main() -> None:
    url = os.environ.get("B24_WEBHOOK_URL")
    http: httpx.AsyncClient | None = None
    if url is None:
        portal = FakePortal()
        portal.tasks.seed(30)
        url, http = portal.webhook_url, portal.async_client()
    async with AsyncB24Hook.from_webhook_url(url, http_client=http) as b24:
        created = await b24.v3.tasks.task.add(
            fields={"title": "Call the customer", "creatorId": 1, "responsibleId": 1}
        )
        print("created task", created.item.id)
        tasks = await asyncio.gather(*(b24.v3.tasks.task.get(id=n) for n in range(1, 6)))
        for answer in tasks:
            print(answer.item.id, answer.item.title)
    if http is not None:
        await http.aclose()


if __name__ == "__main__":
    asyncio.run(main())
