"""Where b24typed's client time goes, for the get and the export of ``run.py``.

``python benchmarks/where_time_goes.py [--deals 50000] [--calls 2000]``

Prints client CPU per get for plain httpx, b24typed's request (built by its core: URL, headers,
body) sent by plain httpx, ``call_method`` and the typed get; then the
b24typed functions with the most cProfile time for each. The emulator runs in its own process.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from b24typed import B24Hook, LimitConfig
from b24typed.core.request import build_request, make_call

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cases import PlainHttpx
from run import Emulator, make_cert


def cpu_per_call(calls: dict[str, Callable[[int], Any]], n: int, rounds: int = 5) -> None:
    """Median client CPU microseconds per call, rounds interleaved across the variants."""
    for call in calls.values():
        for i in range(50):
            call(i + 1)
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            started = time.process_time()
            for i in range(n // rounds):
                call(i + 1)
            samples[name].append((time.process_time() - started) / (n // rounds) * 1e6)
    base = statistics.median(samples["plain httpx"])
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"  {name:<34} {median:7.1f} us CPU/call  {median / base:5.2f}x")


def top(run: Callable[[], Any], title: str, limit: int = 18) -> None:
    profile = cProfile.Profile()
    profile.enable()
    run()
    profile.disable()
    print(f"\n== {title}: b24typed functions by own time ==")
    pstats.Stats(profile).sort_stats("tottime").print_stats(r"b24typed|pydantic", limit)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deals", type=int, default=50_000)
    parser.add_argument("--calls", type=int, default=2_000)
    args = parser.parse_args()
    warnings.simplefilter("ignore", DeprecationWarning)
    with tempfile.TemporaryDirectory() as tmp:
        emu = Emulator(args.deals, make_cert(Path(tmp)))
    try:
        url = emu.urls["http"]
        b24 = B24Hook.from_webhook_url(url, limits=LimitConfig.off())
        http = httpx.Client(timeout=30)
        plain_headers = {"Content-Type": "application/json"}

        def plain(i: int) -> Any:
            body = json.dumps({"id": i}).encode()
            return http.post(url + "crm.deal.get", content=body, headers=plain_headers).json()

        auth = b24._state.auth  # diagnostics only: the request exactly as the client builds it

        def shaped(i: int) -> Any:
            spec = make_call(2, "crm.deal.get", {"id": i})
            req = build_request(auth, spec, default_timeout=30)
            answer = http.post(req.url, content=req.content, headers=req.headers)
            return json.loads(answer.content)

        calls = {
            "plain httpx": plain,
            "b24typed's request, sent by httpx": shaped,
            "b24.call_method": lambda i: b24.call_method("crm.deal.get", {"id": i}).result,
        }
        if hasattr(b24, "crm"):
            calls["b24.crm.deal.get (typed)"] = lambda i: b24.crm.deal.get(id=i)
        print(f"get, {args.calls} calls per variant:")
        cpu_per_call(calls, args.calls)
        typed = calls.get("b24.crm.deal.get (typed)", calls["b24.call_method"])
        top(lambda: [typed(i + 1) for i in range(args.calls)], "get")

        plain_export = PlainHttpx(url)
        for name, export in (
            ("b24typed", lambda: b24.call_list_method("crm.deal.list")),
            ("plain httpx", lambda: list(plain_export.pages())),
        ):
            spent = []
            for _ in range(3):
                started = time.process_time()
                export()
                spent.append(time.process_time() - started)
            print(f"export of {args.deals:,}, {name}: {statistics.median(spent):.3f} s CPU")
        top(lambda: b24.call_list_method("crm.deal.list"), "export")
    finally:
        emu.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
