"""Import cost of b24typed with every method generated: ``python benchmarks/import_time.py``.

Each stage runs in fresh interpreters (warm ``.pyc``), median of ``--runs``:

- ``import pydantic, httpx``: the baseline every pydantic/httpx SDK pays;
- ``import httpx`` alone: ``import b24typed`` must stay under 10% of it;
- ``import b24typed``: must load no generated module (nor ``typing``);
- ``b24typed.B24Hook``: the client class (core, httpx, the root of the REST v2 tree);
- first use of a namespace: ``b24.crm.item.get`` (loads ``crm`` and ``crm.item`` only);
- first typed call: ``b24.crm.item.get(...)`` against the in-process emulator, which imports
  pydantic, the ``crm.item`` models and builds the result model.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

SAVED = Path(__file__).resolve().parent / "results" / "import_time.json"

PROBE = r"""
import json, sys, time
stage = sys.argv[1]
t0 = time.perf_counter()
if stage == "baseline":
    import pydantic, httpx
    out = {"total": time.perf_counter() - t0}
elif stage == "httpx":
    import httpx
    out = {"import httpx": time.perf_counter() - t0}
else:
    import b24typed
    t1 = time.perf_counter()
    out = {"import b24typed": t1 - t0}
    prefixes = ("b24typed.methods", "b24typed.models")
    generated = lambda: sum(m.startswith(prefixes) for m in sys.modules)
    out["generated modules after import"] = generated()
    if stage != "import":
        from b24typed.testing import FakePortal
        from b24typed import LimitConfig
        portal = FakePortal()
        t2 = time.perf_counter()
        client_class = b24typed.B24Hook
        t3 = time.perf_counter()
        out["b24typed.B24Hook (class)"] = t3 - t2
        http = portal.client()
        out["httpx.Client() (not b24typed)"] = time.perf_counter() - t3
        t3 = time.perf_counter()
        b24 = client_class.from_webhook_url(
            portal.webhook_url, http_client=http, limits=LimitConfig.off()
        )
        t3 = time.perf_counter()
        b24.crm.item.get
        t4 = time.perf_counter()
        out["first namespace use"] = t4 - t3
        out["generated modules after namespace"] = generated()
        b24.crm.item.add(entity_type_id=2, fields={"title": "x"})
        t5 = time.perf_counter()
        out["first typed call"] = t5 - t4
        b24.crm.item.get(entity_type_id=2, id=1)
        out["second typed call"] = time.perf_counter() - t5
out["modules"] = len(sys.modules)
print(json.dumps(out))
"""


def run(stage: str, runs: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        answer = subprocess.run(
            [sys.executable, "-c", PROBE, stage], capture_output=True, text=True, check=True
        )
        for key, value in json.loads(answer.stdout).items():
            samples.setdefault(key, []).append(value)
    return {key: statistics.median(values) for key, values in samples.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--save", action="store_true", help=f"also write {SAVED.name}")
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {
        "baseline (import pydantic, httpx)": run("baseline", args.runs),
        "import httpx": run("httpx", args.runs),
        "import b24typed": run("import", args.runs),
        "client and first use": run("use", args.runs),
    }
    ours = results["import b24typed"]["import b24typed"]
    results["ratio"] = {
        "import b24typed / import httpx": ours / results["import httpx"]["import httpx"]
    }
    if args.save:
        SAVED.write_text(json.dumps({"runs": args.runs, **results}, indent=2) + "\n")
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"median of {args.runs} fresh interpreters, Python {sys.version.split()[0]}")
    for stage, values in results.items():
        print(f"\n{stage}")
        for key, value in values.items():
            if key.startswith("import b24typed /"):
                shown = f"{value * 100:8.1f} %"
            elif isinstance(value, float):
                shown = f"{value * 1000:8.1f} ms"
            else:
                shown = f"{value:8d}"
            print(f"  {key:<36}{shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
