"""One worker process of the many-workers tests (run as a script; reads one JSON job on stdin).

It prints ``ready``, waits for ``go``, does its job through a client whose limits (or tokens)
live in the Redis it is given, and prints one JSON line with what it saw.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
import time
from typing import Any

from b24typed import AsyncB24Hook, AsyncB24OAuth, B24Hook, B24OAuth, LimitConfig
from b24typed.redis import RedisLimitStore


def _digest(items: list[dict[str, Any]]) -> str:
    ids = sorted(int(item["ID"]) for item in items)
    return hashlib.sha256(json.dumps(ids).encode()).hexdigest()


def export_job(job: dict[str, Any]) -> dict[str, Any]:
    """Export every deal with offset paging and add a few leads, under the shared limits."""
    store = RedisLimitStore.from_url(job["redis_url"], prefix=job["prefix"])
    limits = LimitConfig(store=store, **job["limits"])
    writes = job["writes"]
    if job["mode"] == "sync":
        with B24Hook.from_webhook_url(job["webhook_url"], limits=limits) as b24:
            deals = b24.call_list_method("crm.deal.list", {"select": ["ID"]}, mode="offset")
            for n in range(writes):
                b24.call_method("crm.lead.add", {"fields": {"TITLE": f"{job['name']}-{n}"}})
            stats = b24.stats
    else:

        async def run() -> tuple[list[Any], dict[str, float]]:
            async with AsyncB24Hook.from_webhook_url(job["webhook_url"], limits=limits) as b24:
                found = await b24.call_list_method(
                    "crm.deal.list", {"select": ["ID"]}, mode="offset"
                )
                for n in range(writes):
                    await b24.call_method(
                        "crm.lead.add", {"fields": {"TITLE": f"{job['name']}-{n}"}}
                    )
                return found, b24.stats

        deals, stats = asyncio.run(run())
    return {"count": len(deals), "digest": _digest(deals), "stats": stats}


def token_job(job: dict[str, Any]) -> dict[str, Any]:
    """Call the portal with an expired token kept in the shared token store."""
    from b24typed.redis import RedisTokenStore

    store = RedisTokenStore.from_url(
        job["redis_url"], prefix=job["prefix"], lock_timeout=job["lock_timeout"]
    )
    options: dict[str, Any] = {
        "client_id": job["client_id"],
        "client_secret": job["client_secret"],
        "token_store": store,
        "member_id": job["member_id"],
        "limits": LimitConfig.off(),
    }
    if job["mode"] == "sync":
        with B24OAuth(**options) as b24:
            ok = b24.call_method("profile").is_success
            refreshes, access = b24.stats["refreshes"], b24.tokens.access_token.reveal()
    else:

        async def run() -> tuple[bool, float, str]:
            async with AsyncB24OAuth(**options) as b24:
                answered = (await b24.call_method("profile")).is_success
                return answered, b24.stats["refreshes"], b24.tokens.access_token.reveal()

        ok, refreshes, access = asyncio.run(run())
    return {
        "ok": ok,
        "refreshes": refreshes,
        "access": hashlib.sha256(access.encode()).hexdigest(),
    }


def main() -> None:
    job = json.loads(sys.stdin.readline())
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return
    started = time.monotonic()
    result = export_job(job) if job["kind"] == "export" else token_job(job)
    result["seconds"] = time.monotonic() - started
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
