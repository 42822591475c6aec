"""One benchmark case for one client, run in a fresh process by ``run.py``.

``python cases.py '{"client": "b24typed", "case": "export", "url": "...", ...}'`` prints one JSON
line. The peers run this file from their own venv, so only the chosen client is imported.

Clients: ``b24typed``, ``httpx`` (plain httpx sending what b24typed sends: the lower bound),
``fast_bitrix24``, ``b24pysdk``. Cases: ``export``, ``get``, ``stream``, ``limit_export``.
"""

from __future__ import annotations

import importlib
import json
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, urlsplit

PAGE = 50
CHAIN = 50
# What a usable client imports (``import b24typed`` alone loads almost nothing).
CLIENT_MODULES = {
    "b24typed": ("b24typed.core.client",),
    "b24typed_async": ("b24typed.core.client", "asyncio"),
    "b24typed_typed": ("b24typed.core.client", "b24typed.core.typed", "pydantic"),
    "httpx": ("httpx",),
    "fast_bitrix24": ("fast_bitrix24",),
    "b24pysdk": ("b24pysdk",),
}
LIST = "crm.deal.list"
GET = "crm.deal.get"


def rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    """Resident set size now, in MiB (from /proc)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


# --- b24typed ----------------------------------------------------------------------------------


def _b24typed(spec: dict[str, Any]) -> Any:
    from b24typed import B24Hook, LimitConfig

    rate = spec.get("rate")
    limits = LimitConfig(burst=rate[0], per_second=rate[1]) if rate else LimitConfig.off()
    return B24Hook.from_webhook_url(spec["url"], limits=limits)


def b24typed_export(spec: dict[str, Any]) -> tuple[int, str]:
    b24 = _b24typed(spec)
    items = b24.call_list_method(LIST, _params(spec), mode="batch")
    return unique(items), "call_list_method (parallel chained batches)"


def b24typed_async_export(spec: dict[str, Any]) -> tuple[int, str]:
    import asyncio

    from b24typed import AsyncB24Hook, LimitConfig

    rate = spec.get("rate")
    limits = LimitConfig(burst=rate[0], per_second=rate[1]) if rate else LimitConfig.off()

    async def export() -> list[Any]:
        async with AsyncB24Hook.from_webhook_url(spec["url"], limits=limits) as b24:
            return await b24.call_list_method(LIST, _params(spec), mode="batch")

    return unique(asyncio.run(export())), "await call_list_method (parallel chained batches)"


def b24typed_typed_export(spec: dict[str, Any]) -> tuple[int, str]:
    b24 = _b24typed(spec)
    select = spec.get("select")
    deals = b24.crm.deal.iterate_list(select=select) if select else b24.crm.deal.iterate_list()
    return len({deal.id for deal in deals}), "crm.deal.iterate_list() (typed items)"


def unique(items: list[Any]) -> int:
    """How many different deals ``items`` holds (a duplicate or a gap shows up here)."""
    return len({str(item["ID"]) for item in items})


def b24typed_get(spec: dict[str, Any]) -> tuple[Callable[[int], Any], str]:
    b24 = _b24typed(spec)
    if hasattr(b24, "crm"):
        import warnings

        warnings.simplefilter("ignore", DeprecationWarning)  # crm.deal.get's REST 3.0 hint
        model = type(b24.crm.deal.get(id=spec["ids"][0])).__name__
        return (lambda i: b24.crm.deal.get(id=i)), f"b24.crm.deal.get(id=...) -> {model}"

    def call(i: int) -> Any:
        return b24.call_method(GET, {"id": i}).raise_for_error().result

    return call, "call_method (typed wrappers not generated yet)"


def b24typed_stream(spec: dict[str, Any]) -> Iterator[list[Any]]:
    return _b24typed(spec).fetch_list_method(LIST, mode="batch")


# --- plain httpx: the same requests, no SDK -----------------------------------------------------


def php_query(value: Any, prefix: str = "") -> list[str]:
    """PHP ``http_build_query`` of nested dicts and lists (batch commands are PHP queries)."""
    if isinstance(value, dict | list):
        pairs = value.items() if isinstance(value, dict) else enumerate(value)
        out: list[str] = []
        for key, item in pairs:
            name = f"{prefix}[{key}]" if prefix else str(key)
            out.extend(php_query(item, name))
        return out
    return [f"{quote(prefix, safe='')}={quote(str(value), safe='')}"]


def _params(spec: dict[str, Any]) -> dict[str, Any] | None:
    """The list params every client sends: a ``select`` when the case has one."""
    return {"select": spec["select"]} if spec.get("select") else None


def _page_params(after: Any, select: list[str] | None) -> dict[str, Any]:
    page = {"order": {"ID": "ASC"}, "filter": {">ID": after}, "start": -1}
    return {"select": select, **page} if select else page


class PlainHttpx:
    """The keyset export b24typed runs (one page, then 50 chained pages per batch), by hand."""

    def __init__(
        self, url: str, retry_503: float | None = None, select: list[str] | None = None
    ) -> None:
        import httpx

        self.url = url
        self.select = select
        self.http = httpx.Client(timeout=60)
        self.retry_503 = retry_503
        self.headers = {"Content-Type": "application/json"}

    def post(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        content = json.dumps(body, separators=(",", ":")).encode()
        while True:
            response = self.http.post(self.url + method, content=content, headers=self.headers)
            if response.status_code == 503 and self.retry_503 is not None:
                time.sleep(self.retry_503)
                continue
            response.raise_for_status()
            return response.json()

    def pages(self) -> Iterator[list[Any]]:
        items = self.post(LIST, _page_params(0, self.select))["result"]
        yield items
        if len(items) < PAGE:
            return
        last = int(items[-1]["ID"])
        while True:
            cmd = {}
            for i in range(CHAIN):
                after = last if i == 0 else f"$result[p{i - 1}][{PAGE - 1}][ID]"
                page = _page_params(after, self.select)
                cmd[f"p{i}"] = LIST + "?" + "&".join(php_query(page))
            results = self.post("batch", {"halt": 1, "cmd": cmd})["result"]["result"]
            for i in range(CHAIN):
                items = results.get(f"p{i}") or []
                if items:
                    yield items
                if len(items) < PAGE:
                    return
            last = int(items[-1]["ID"])


def httpx_export(spec: dict[str, Any]) -> tuple[int, str]:
    rate = spec.get("rate")
    client = PlainHttpx(spec["url"], 1 / rate[1] if rate else None, spec.get("select"))
    items = [item for page in client.pages() for item in page]
    return unique(items), "keyset page + chained batches (no limiter)"


def httpx_get(spec: dict[str, Any]) -> tuple[Callable[[int], Any], str]:
    client = PlainHttpx(spec["url"])
    return (lambda i: client.post(GET, {"id": i})["result"]), "POST + response.json()"


# --- fast_bitrix24 --------------------------------------------------------------------------------


def _fast_bitrix24(spec: dict[str, Any]) -> Any:
    from fast_bitrix24 import Bitrix

    rate = spec.get("rate")
    if rate:  # its own leaky bucket, set to the scaled portal limit
        return Bitrix(
            spec["url"], verbose=False, request_pool_size=rate[0], requests_per_second=rate[1]
        )
    # Raw speed: its leaky bucket opened wide, as b24typed runs with LimitConfig.off().
    # (respect_velocity_policy=False fails in 1.8.14 with a KeyError, and the operating-time
    # window it keeps, 480 s per 10 minutes, is never reached here.)
    return Bitrix(spec["url"], verbose=False, request_pool_size=1_000_000, requests_per_second=1e9)


def fast_bitrix24_export(spec: dict[str, Any]) -> tuple[int, str]:
    items = _fast_bitrix24(spec).get_all(LIST, _params(spec))
    return unique(items), "get_all (parallel batches of start= pages)"


def fast_bitrix24_get(spec: dict[str, Any]) -> tuple[Callable[[int], Any], str]:
    bitrix = _fast_bitrix24(spec)
    return (lambda i: bitrix.call(GET, {"ID": i})), "call() (sent as a batch)"


# --- b24pysdk -------------------------------------------------------------------------------------


def _b24pysdk(spec: dict[str, Any]) -> Any:
    from b24pysdk import BitrixWebhook, Client

    url = urlsplit(spec["url"])  # https://127.0.0.1:PORT/rest/USER/SECRET/
    _, user, secret = url.path.strip("/").split("/")
    token = BitrixWebhook(domain=url.netloc, webhook_token=f"{user}/{secret}")
    rate = spec.get("rate")
    if rate:  # its 503 retry delays (1 s, +1 s) follow the time scale
        scale = rate[1] / 2.0
        return Client(token, initial_retry_delay=1 / scale, retry_delay_increment=1 / scale)
    return Client(token)


def b24pysdk_export(spec: dict[str, Any]) -> tuple[int, str]:
    client = _b24pysdk(spec)
    select = spec.get("select")
    request = client.crm.deal.list(select=select) if select else client.crm.deal.list()
    items = list(request.as_list_fast().result)
    return unique(items), "as_list_fast (chained batches)"


def b24pysdk_get(spec: dict[str, Any]) -> tuple[Callable[[int], Any], str]:
    client = _b24pysdk(spec)
    return (lambda i: client.crm.deal.get(bitrix_id=i).result), "crm.deal.get(...).result"


# --- cases ----------------------------------------------------------------------------------------


def case_export(spec: dict[str, Any]) -> dict[str, Any]:
    """Export every deal ``reps`` times; wall time of each."""
    run = globals()[f"{spec['client']}_export"]
    for module in CLIENT_MODULES[spec["client"]]:  # imports stay out of the timed region
        importlib.import_module(module)
    times, cpu, counts, method = [], [], [], ""
    for _ in range(spec.get("reps", 1)):
        started, cpu_started = time.perf_counter(), time.process_time()
        count, method = run(spec)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        counts.append(count)
    return {"times": times, "cpu": cpu, "items": counts, "method": method}


def case_get(spec: dict[str, Any]) -> dict[str, Any]:
    """One get per iteration; per-call times after a short warm-up."""
    call, method = globals()[f"{spec['client']}_get"](spec)
    ids = spec["ids"]
    for i in range(20):
        call(ids[i % len(ids)])
    times = []
    cpu_started = time.process_time()
    for i in range(spec["iterations"]):
        started = time.perf_counter()
        call(ids[i % len(ids)])
        times.append(time.perf_counter() - started)
    cpu = time.process_time() - cpu_started
    return {
        "median": statistics.median(times),
        "cpu_per_call": cpu / len(times),
        "p90": statistics.quantiles(times, n=10)[-1],
        "iterations": len(times),
        "method": method,
    }


def case_async_gets(spec: dict[str, Any]) -> dict[str, Any]:
    """``rounds`` of ``concurrency`` typed gets at once on an async client (``b24typed_async``
    over httpx's own transport, ``b24typed_aiohttp`` over aiohttp); calls per second."""
    import asyncio

    from b24typed import AsyncB24Hook, LimitConfig

    ids, at_once = spec["ids"], spec["concurrency"]

    async def run() -> tuple[float, str]:
        http: Any = None
        label = "httpx.AsyncClient (default)"
        if spec["client"] == "b24typed_aiohttp":
            from b24typed.transports import aiohttp_client

            http, label = aiohttp_client(), "aiohttp_client() (httpx-aiohttp)"
        b24 = AsyncB24Hook.from_webhook_url(spec["url"], http_client=http, limits=LimitConfig.off())
        for i in range(at_once):  # warm-up: connections open, models built
            await b24.crm.deal.get(id=ids[i % len(ids)])
        started = time.perf_counter()
        for r in range(spec["rounds"]):
            batch = [ids[(r * at_once + i) % len(ids)] for i in range(at_once)]
            await asyncio.gather(*(b24.crm.deal.get(id=i) for i in batch))
        seconds = time.perf_counter() - started
        await (http.aclose() if http is not None else b24.aclose())
        return spec["rounds"] * at_once / seconds, label

    calls_per_second, method = asyncio.run(run())
    return {"calls_per_second": calls_per_second, "method": method}


def case_stream(spec: dict[str, Any]) -> dict[str, Any]:
    """Stream up to ``limit`` items page by page, keeping none; peak RSS before and after."""
    import gc

    stream = b24typed_stream(spec)
    gc.collect()
    before = current_rss_mb()
    samples: list[tuple[int, float]] = []
    count = 0
    started = time.perf_counter()
    for page in stream:
        count += len(page)
        if count % 50_000 < len(page):
            samples.append((count, current_rss_mb()))
        if count >= spec["limit"]:
            break
    seconds = time.perf_counter() - started
    return {
        "items": count,
        "seconds": seconds,
        "rss_before": before,
        "peak_rss": rss_mb(),
        "samples": samples,
        "method": "fetch_list_method (one page at a time)",
    }


def case_limit_export(spec: dict[str, Any]) -> dict[str, Any]:
    """The export case, once, with each client's own limiter set to the scaled portal limit."""
    return case_export({**spec, "reps": 1})


def main() -> int:
    spec = json.loads(sys.argv[1])
    result = globals()[f"case_{spec['case']}"](spec)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
