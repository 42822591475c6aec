"""``make bench``: b24typed against fast_bitrix24, b24pysdk and plain httpx on one emulator.

Every client runs in its own process (``cases.py``) against a seeded fake portal that runs in
another (``emulator.py``), over loopback. The peers live in ``benchmarks/.venv-peers``, made
here, never in the package's dependencies. Results: ``benchmarks/results/latest.{json,md,png}``
(``quick.*`` for a ``--quick`` run, not committed).

``python benchmarks/run.py [--quick]`` (``make bench``, ``make bench BENCH_ARGS=--quick``)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PEERS_VENV = HERE / ".venv-peers"
PEERS = ("fast-bitrix24==1.8.14", "b24pysdk==1.3.2", "matplotlib>=3.8")
CASES = str(HERE / "cases.py")

# (label, client, transport). b24pysdk builds https:// URLs only, so it talks to the TLS
# listener; the "(TLS)" rows run b24typed and httpx there too, for a like-for-like reading.
VARIANTS = (
    ("b24typed", "b24typed", "http"),
    ("b24typed async", "b24typed_async", "http"),
    ("b24typed typed", "b24typed_typed", "http"),
    ("httpx", "httpx", "http"),
    ("fast_bitrix24", "fast_bitrix24", "http"),
    ("b24pysdk", "b24pysdk", "https"),
    ("b24typed (TLS)", "b24typed", "https"),
    ("httpx (TLS)", "httpx", "https"),
)
# The cloud profile (``LatencyProfile.cloud``: round trips, server time, 16 workers, the real
# bucket and operating budget): every client over HTTPS, each with its own limiter as users run
# it (b24pysdk has none), plus a plain-httpx script of the sequential chained-batch walk.
CLOUD_VARIANTS = (
    ("b24typed", "b24typed", "https"),
    ("b24typed async", "b24typed_async", "https"),
    ("httpx", "httpx", "https"),
    ("fast_bitrix24", "fast_bitrix24", "https"),
    ("b24pysdk", "b24pysdk", "https"),
)
REAL_BUCKET = [50, 2.0]
GET_CLIENTS = {"b24typed", "httpx", "fast_bitrix24", "b24pysdk"}  # those with a get case
IMPORTS = (
    ("import b24typed", "b24typed", "import b24typed"),
    ("from b24typed import B24Hook", "b24typed", "from b24typed import B24Hook"),
    ("import fast_bitrix24", "fast_bitrix24", "import fast_bitrix24"),
    ("import b24pysdk", "b24pysdk", "import b24pysdk"),
    ("import httpx", "httpx", "import httpx"),
)
PEER_CLIENTS = {"fast_bitrix24", "b24pysdk"}
# The rate-limit run selects a few fields, so the emulator answers faster than the limit allows
# and the limit, not the emulator, sets the pace.
LIMIT_SELECT = ["ID", "TITLE", "STAGE_ID", "OPPORTUNITY"]


def child_env(**extra: str) -> dict[str, str]:
    """The environment of the processes started here: bytecode caches allowed, as on a user's
    machine (a set PYTHONDONTWRITEBYTECODE would make every cold import compile from source)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **extra}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- environment ------------------------------------------------------------------------------


def peers_python() -> str:
    """The peers' venv interpreter, created and filled on first use (or when PEERS change)."""
    python = PEERS_VENV / "bin" / "python"
    stamp = PEERS_VENV / ".installed"
    wanted = "\n".join(PEERS)
    if not python.exists() or not stamp.exists() or stamp.read_text() != wanted:
        log(f"creating {PEERS_VENV.relative_to(HERE.parent)} with {', '.join(PEERS)}")
        subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, *PEERS], check=True)
        stamp.write_text(wanted)
    return str(python)


def versions(peers: str) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json, sys; "
        "print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))"
    )
    ours = subprocess.run(
        [sys.executable, "-c", code, "b24typed", "httpx", "pydantic"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    theirs = subprocess.run(
        [peers, "-c", code, "fast_bitrix24", "b24pysdk"], capture_output=True, text=True, check=True
    )
    return {**json.loads(ours.stdout), **json.loads(theirs.stdout)}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def make_cert(folder: Path) -> tuple[str, str]:
    """A throwaway self-signed certificate for 127.0.0.1 (openssl CLI)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


# --- the emulator process ---------------------------------------------------------------------


class ClientFailed(Exception):
    """A client's case ended with an error (its last line is the message)."""


class Emulator:
    """A seeded portal in its own process; commands over its stdin."""

    def __init__(self, deals: int, cert: tuple[str, str]) -> None:
        log(f"starting the emulator with {deals:,} deals")
        # Its stderr (connection resets when a client gives up, ...) goes to a file, not the run.
        self.log = tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed in close())
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "emulator.py"), "--seed-deals", str(deals),
             "--tls-cert", cert[0], "--tls-key", cert[1]],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True,
            env=child_env(),
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.log.seek(0)
            raise RuntimeError(f"the emulator did not start:\n{self.log.read()[-3000:]}")
        hello = json.loads(line)
        self.urls = {"http": hello["http"], "https": hello["https"]}
        self.deals = deals

    def command(self, line: str) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer: dict[str, Any] = json.loads(self.proc.stdout.readline())
        return answer

    def close(self) -> None:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@contextmanager
def emulator(deals: int, cert: tuple[str, str]) -> Iterator[Emulator]:
    emu = Emulator(deals, cert)
    try:
        yield emu
    finally:
        emu.close()


class Runner:
    """Runs one case of one client in a fresh process, with the right interpreter and trust."""

    def __init__(self, peers: str, cert: str) -> None:
        self.peers = peers
        self.cert = cert

    def case(self, client: str, spec: dict[str, Any], timeout: float = 600) -> dict[str, Any]:
        python = self.peers if client in PEER_CLIENTS else sys.executable
        # Trust the loopback certificate the ordinary way for each HTTP stack.
        env = child_env(SSL_CERT_FILE=self.cert, REQUESTS_CA_BUNDLE=self.cert)
        done = subprocess.run(
            [python, CASES, json.dumps({"client": client, **spec})],
            capture_output=True, text=True, env=env, timeout=timeout, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            lines = done.stderr.strip().splitlines() or ["(no output)"]
            log(f"{client} {spec['case']} failed:\n{done.stderr[-2000:]}")
            raise ClientFailed(lines[-1][:200])
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result


# --- the measurements -------------------------------------------------------------------------


def bench_export(
    emu: Emulator,
    runner: Runner,
    reps: int,
    profile: str = "loopback",
    variants: tuple[tuple[str, str, str], ...] = VARIANTS,
) -> list[dict[str, Any]]:
    """Each client exports every deal ``reps`` times on the latency ``profile``, interleaved
    with the others (so a busy moment of the machine does not fall on one client only);
    medians per client."""
    emu.command(f"latency {profile}")
    extra = {"rate": REAL_BUCKET} if profile == "cloud" else {}
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label, _, _ in variants}
    methods: dict[str, str] = {}
    for _ in range(reps):
        for label, client, transport in variants:
            emu.command("reset")
            server_cpu = emu.command("cpu")["cpu"]
            spec = {"case": "export", "url": emu.urls[transport], **extra}
            try:
                out = runner.case(client, spec)
            except ClientFailed as exc:
                runs[label].append({"failed": str(exc)})
                continue
            stats = emu.command("stats")
            by_status = stats["by_status"]
            runs[label].append({
                "seconds": out["times"][0], "cpu": out["cpu"][0],
                "server_cpu": emu.command("cpu")["cpu"] - server_cpu,
                "requests": stats["requests"], "in_flight": stats["in_flight_peak"],
                "server_time": stats["server_time"],
                "limit_errors": by_status.get("503", 0) + by_status.get("429", 0),
                "unique": out["items"][0], "complete": out["items"][0] == emu.deals,
            })  # fmt: skip
            methods[label] = out["method"]
    emu.command("latency loopback")
    rows = []
    for label, every in runs.items():
        done = [r for r in every if "failed" not in r]
        if not done:
            rows.append({"client": label, "failed": every[0]["failed"]})
            continue
        seconds = statistics.median(r["seconds"] for r in done)
        row = {"client": label, "method": methods[label], "seconds": seconds,
               "items_per_second": emu.deals / seconds,
               "complete": len(done) == len(every) and all(r["complete"] for r in done),
               "runs": every}  # fmt: skip
        for key in ("cpu", "server_cpu", "requests", "in_flight", "server_time"):
            row[key] = statistics.median(r[key] for r in done)
        row["limit_errors"] = max(r["limit_errors"] for r in done)
        row["unique"] = min(r["unique"] for r in done)
        rows.append(row)
        log(
            f"export ({profile}) {label}: {seconds:.2f}s, {row['requests']:g} req, "
            f"{row['in_flight']:g} in flight, {row['server_time']:.1f}s server time"
        )
    return rows


def bench_get(emu: Emulator, runner: Runner, iterations: int, rounds: int) -> list[dict[str, Any]]:
    """``rounds`` runs of ``iterations`` gets per client, interleaved; medians over rounds."""
    ids = random.Random(8).sample(range(1, emu.deals + 1), 200)
    variants = [v for v in VARIANTS if v[1] in GET_CLIENTS]
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label, _, _ in variants}
    for _ in range(rounds):
        for label, client, transport in variants:
            spec = {"case": "get", "url": emu.urls[transport], "ids": ids, "iterations": iterations}
            try:
                runs[label].append(runner.case(client, spec))
            except ClientFailed as exc:
                log(f"get {label} failed: {exc}")
    rows = []
    for label, done in runs.items():
        if not done:
            rows.append({"client": label, "failed": "every round failed"})
            continue
        row = {"client": label, "method": done[0]["method"], "iterations": iterations * rounds}
        for key in ("median", "p90", "cpu_per_call"):
            row[key] = statistics.median(r[key] for r in done)
        rows.append(row)
        log(f"get {label}: {row['median'] * 1e3:.3f} ms median")
    return rows


def bench_async_gets(emu: Emulator, runner: Runner, reps: int) -> list[dict[str, Any]]:
    """50 typed gets at once on an async client, over httpx's transport and over aiohttp;
    ``reps`` runs each, interleaved; medians of calls per second."""
    ids = random.Random(9).sample(range(1, emu.deals + 1), 200)
    clients = (("httpx (default)", "b24typed_async"), ("aiohttp extra", "b24typed_aiohttp"))
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label, _ in clients}
    for _ in range(reps):
        for label, client in clients:
            spec = {"case": "async_gets", "url": emu.urls["http"], "ids": ids,
                    "concurrency": 50, "rounds": 20}  # fmt: skip
            runs[label].append(runner.case(client, spec))
    rows = []
    for label, done in runs.items():
        rate = statistics.median(r["calls_per_second"] for r in done)
        rows.append({"client": label, "method": done[0]["method"], "calls_per_second": rate})
        log(f"50 async gets at once, {label}: {rate:,.0f} calls/s")
    return rows


def bench_imports(peers: str, runs: int) -> list[dict[str, Any]]:
    rows = []
    for label, client, stmt in IMPORTS:
        python = peers if client in PEER_CLIENTS else sys.executable
        times = []
        for i in range(runs + 1):  # the first run only writes bytecode caches
            code = f"import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"
            done = subprocess.run(
                [python, "-c", code], capture_output=True, text=True, check=True, env=child_env()
            )
            if i:
                times.append(float(done.stdout))
        rows.append({"import": label, "median": statistics.median(times), "times": times})
        log(f"{label}: {statistics.median(times) * 1e3:.1f} ms")
    return rows


def bench_stream(runner: Runner, cert: tuple[str, str], sizes: list[int]) -> list[dict[str, Any]]:
    rows = []
    with emulator(max(sizes), cert) as emu:
        for size in sizes:
            emu.command("reset")
            out = runner.case(
                "b24typed", {"case": "stream", "url": emu.urls["http"], "limit": size}, 900
            )
            stats = emu.command("stats")
            rows.append({"n": size, "requests": stats["requests"], **out})
            log(f"stream {size:,}: peak RSS {out['peak_rss']:.1f} MiB in {out['seconds']:.1f}s")
    return rows


def floor(requests: int, burst: int, per_second: float) -> float:
    """The least time ``requests`` take through the portal's bucket, starting empty: ``burst``
    at once, one more as soon as it drains at all, then one every ``1 / per_second``."""
    return max(0, requests - burst - 1) / per_second


def bench_limit(
    runner: Runner, cert: tuple[str, str], deals: int, scale: float
) -> list[dict[str, Any]]:
    burst, per_second = 50, 2.0 * scale
    rows = []
    clients = (
        ("b24typed", "b24typed", "http"),
        ("fast_bitrix24", "fast_bitrix24", "http"),
        ("b24pysdk", "b24pysdk", "https"),
        ("httpx, no limiter", "httpx", "http"),
    )
    with emulator(deals, cert) as emu:
        for label, client, transport in clients:
            emu.command(f"rate {burst} {per_second}")  # a fresh, empty bucket
            emu.command("reset")
            spec = {
                "case": "limit_export", "url": emu.urls[transport], "select": LIMIT_SELECT,
                "rate": [burst, per_second],
            }  # fmt: skip
            started = time.perf_counter()
            try:
                out: dict[str, Any] = runner.case(client, spec, 900)
            except ClientFailed as exc:
                out = {"failed": str(exc), "times": [time.perf_counter() - started]}
            stats = emu.command("stats")
            ok_requests = stats["by_status"].get("200", 0)
            errors = stats["by_status"].get("503", 0)
            items = out.get("items", [0])[0]
            rows.append({
                "client": label, "method": out.get("method", ""), "seconds": out["times"][0],
                "items": items, "complete": items == deals, "failed": out.get("failed"),
                "requests": stats["requests"], "limit_errors": errors,
                "floor": floor(ok_requests, burst, per_second),
            })  # fmt: skip
            log(f"limit {label}: {out['times'][0]:.2f}s, {errors} limit errors")
        emu.command("off")
    fewest = 1 + -(-(deals - 50) // 2500)  # one page, then chained batches of 50 pages
    for row in rows:
        row["best_floor"] = floor(fewest, burst, per_second)
    return rows


# --- verdicts ---------------------------------------------------------------------------------


def targets(res: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, each met or not, with the numbers behind it."""
    export = {r["client"]: r for r in res["export"]}
    get = {r["client"]: r for r in res["get"]}
    imports = {r["import"]: r["median"] for r in res["imports"]}
    ours = export["b24typed"]["seconds"]
    peers = [export[p]["seconds"] for p in PEER_CLIENTS if "failed" not in export[p]]
    fastest_peer = min(peers, default=float("inf"))
    peer_import = min(imports["import fast_bitrix24"], imports["import b24pysdk"])
    stream = res["stream"]
    small, large = stream[0]["peak_rss"], stream[-1]["peak_rss"]
    limit = {r["client"]: r for r in res["limit"]}
    cloud = {r["client"]: r for r in res["cloud"]}
    mine = cloud["b24typed"]

    def cloud_ratio(peer: str) -> float:
        return cloud[peer].get("seconds", float("inf")) / mine["seconds"]

    gets = {r["client"]: r["calls_per_second"] for r in res["async_gets"]}
    aio_ratio = gets["aiohttp extra"] / gets["httpx (default)"]
    typed_share = ours / export["b24typed typed"].get("seconds", float("inf"))
    least_peer_time = min(cloud[p].get("server_time", float("inf")) for p in PEER_CLIENTS)
    out = [
        ("export >= 3x faster than the fastest peer", fastest_peer / ours >= 3,
         f"{fastest_peer / ours:.2f}x"),
        ("export within 1.3x of plain httpx", ours / export["httpx"]["seconds"] <= 1.3,
         f"{ours / export['httpx']['seconds']:.2f}x"),
        ("typed get within 1.15x of plain httpx (median)",
         get["b24typed"]["median"] / get["httpx"]["median"] <= 1.15,
         f"{get['b24typed']['median'] / get['httpx']['median']:.2f}x"),
        ("`import b24typed` < 100 ms", imports["import b24typed"] < 0.1,
         f"{imports['import b24typed'] * 1e3:.1f} ms"),
        ("`import b24typed` < half of each peer's", imports["import b24typed"] < peer_import / 2,
         f"{imports['import b24typed'] / peer_import:.3f} of the fastest peer's"),
        ("`import b24typed` < 10% of `import httpx`",
         imports["import b24typed"] < imports["import httpx"] / 10,
         f"{imports['import b24typed'] / imports['import httpx'] * 100:.1f}%"),
        ("memory flat in N (1M peak within 10% of 100k peak)", large <= small * 1.10,
         f"{small:.0f} -> {large:.0f} MiB"),
        ("zero limit errors with the limiter on", limit["b24typed"]["limit_errors"] == 0,
         f"{limit['b24typed']['limit_errors']} errors"),
        ("typed iterate_list >= 60% of the raw export's items/s (loopback)",
         typed_share >= 0.6, f"{typed_share:.0%}"),
        ("50 async typed gets at once: aiohttp extra >= 2x the default transport",
         aio_ratio >= 2, f"{aio_ratio:.2f}x"),
        ("cloud: export >= 1.5x faster than fast_bitrix24", cloud_ratio("fast_bitrix24") >= 1.5,
         f"{cloud_ratio('fast_bitrix24'):.2f}x"),
        ("cloud: export >= 5x faster than b24pysdk", cloud_ratio("b24pysdk") >= 5,
         f"{cloud_ratio('b24pysdk'):.2f}x"),
        ("cloud: server time no more than either peer's",
         mine["server_time"] <= least_peer_time,
         f"{mine['server_time']:.1f} s vs {least_peer_time:.1f} s"),
        ("cloud: 0 limit errors, every deal exactly once",
         mine["limit_errors"] == 0 and mine["unique"] == res["params"]["export_deals"]
         and mine["complete"],
         f"{mine['limit_errors']} errors, {mine['unique']:,} unique"),
    ]  # fmt: skip
    return [{"target": t, "met": bool(m), "value": v} for t, m, v in out]


# --- report -----------------------------------------------------------------------------------


def markdown(res: dict[str, Any]) -> str:
    env = res["environment"]
    p = res["params"]
    lines = [
        "# b24typed benchmark",
        "",
        f"{env['date']} · Python {env['python']} · {env['cpu']} ({env['cores']} cores) · "
        f"{env['os']} · " + ", ".join(f"{k} {v}" for k, v in env["versions"].items()),
        "",
        f"Run took {env['seconds']:.0f} s; 1-minute load average {env['load'][0]:g} at the start"
        f" and {env['load'][1]:g} at the end (above ~2 on this 2-core machine, other work was"
        " competing with the benchmark and wall times are noisier).",
        "",
        "Same fake portal (`b24typed.testing`, its own process) over loopback for every client;"
        " each client in a fresh process. b24pysdk only builds `https://` URLs, so it talks to"
        " a TLS listener on the same portal (self-signed loopback certificate); the `(TLS)`"
        " rows run b24typed and httpx there too. Client-side limiters off except in the"
        " rate-limit run." + (" **Quick run (smaller sizes).**" if p["quick"] else ""),
        "",
        "## Targets",
        "",
        "| target | result | met |",
        "| --- | --- | --- |",
    ]
    lines += [
        f"| {t['target']} | {t['value']} | {'yes' if t['met'] else '**no**'} |"
        for t in res["targets"]
    ]
    lines += [
        "",
        f"## Export of {p['export_deals']:,} deals (median of {p['reps']})",
        "",
        "Wall time is what a user waits; client CPU is the client's own work (the rest is the"
        " emulator's, and waiting). The machine has 2 cores: one for the client, one for the"
        " emulator.",
        "",
        "| client | method | seconds | items/s | client CPU s | emulator CPU s "
        "| HTTP requests | vs b24typed |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    ours = next(r for r in res["export"] if r["client"] == "b24typed")["seconds"]
    for r in res["export"]:
        if "failed" in r:
            lines.append(f"| {r['client']} | failed: {r['failed']} | | | | | | |")
            continue
        flag = "" if r["complete"] else " (incomplete!)"
        lines.append(
            f"| {r['client']} | {r['method']}{flag} | {r['seconds']:.3f} | "
            f"{r['items_per_second']:,.0f} | {r['cpu']:.3f} | {r['server_cpu']:.3f} | "
            f"{r['requests']:g} | {r['seconds'] / ours:.2f}x |"
        )
    lines += cloud_table(res)
    lines += [
        "",
        f"## One get (`crm.deal.get`), {p['get_rounds']} rounds of {p['get_iterations']:,} calls",
        "",
        "Medians over the rounds (each round a fresh process per client, clients interleaved).",
        "",
        "| client | call | median ms | p90 ms | client CPU ms/call | vs httpx (median) |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    base = {
        "http": next(r for r in res["get"] if r["client"] == "httpx")["median"],
        "https": next(r for r in res["get"] if r["client"] == "httpx (TLS)")["median"],
    }
    transports = {label: transport for label, _, transport in VARIANTS}
    for r in res["get"]:
        if r["client"] not in {label for label, client, _ in VARIANTS if client in GET_CLIENTS}:
            continue  # a variant without a get case
        if "failed" in r:
            lines.append(f"| {r['client']} | failed: {r['failed']} | | | | |")
            continue
        ratio = r["median"] / base[transports[r["client"]]]
        lines.append(
            f"| {r['client']} | {r['method']} | {r['median'] * 1e3:.3f} | {r['p90'] * 1e3:.3f} | "
            f"{r['cpu_per_call'] * 1e3:.3f} | {ratio:.2f}x |"
        )
    lines += [
        "",
        f"## 50 typed gets at once on an async client (median of {p['get_rounds']} runs)",
        "",
        "`await asyncio.gather(*(b24.crm.deal.get(id=i) for i in 50 ids))`, 20 times, over"
        " loopback HTTP: httpx's own transport, and aiohttp under the same client"
        " (`b24typed.transports.aiohttp_client()`, the `aiohttp` extra).",
        "",
        "| transport | client | calls/s |",
        "| --- | --- | ---: |",
    ]
    lines += [
        f"| {r['client']} | {r['method']} | {r['calls_per_second']:,.0f} |"
        for r in res["async_gets"]
    ]
    lines += [
        "",
        f"## Cold import (fresh interpreter, median of {p['import_runs']})",
        "",
        "| statement | median ms |",
        "| --- | ---: |",
    ]
    lines += [f"| `{r['import']}` | {r['median'] * 1e3:.1f} |" for r in res["imports"]]
    lines += [
        "",
        "`import b24typed` loads its names lazily; making a client (`from b24typed import"
        " B24Hook`) loads httpx and the runtime core, so that line is the cost a script pays.",
    ]
    lines += [
        "",
        "## Streaming memory (b24typed `fetch_list_method`, items dropped as they come)",
        "",
        "| items | seconds | items/s | HTTP requests | RSS before MiB | peak RSS MiB |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {r['items']:,} | {r['seconds']:.1f} | {r['items'] / r['seconds']:,.0f} | "
        f"{r['requests']} | {r['rss_before']:.1f} | {r['peak_rss']:.1f} |"
        for r in res["stream"]
    ]
    lines += [
        "",
        f"## Export of {p['limit_deals']:,} deals under the rate limit "
        f"(burst 50, 2/s, time-scaled x{p['scale']:g}: 50 burst, {2 * p['scale']:g}/s)",
        "",
        f"Each client exports `select={LIMIT_SELECT}` (small answers, so the limit and not the"
        " emulator sets the pace) with its own limiter set to the scaled limit; b24pysdk has"
        " none and retries 503s (its retry delays scaled too). `floor`: the least time the"
        " limit allows for the successful requests this client made; `best floor`: the same"
        " for the fewest requests any client needs (chained batches).",
        "",
        "| client | method | seconds | floor s | best floor s | HTTP requests | limit errors |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in res["limit"]:
        flag = "" if r["complete"] else f" (got {r['items']:,} items)"
        if r["failed"]:
            flag = f" **failed after {r['seconds']:.1f} s: {r['failed']}**"
        lines.append(
            f"| {r['client']} | {r['method']}{flag} | {r['seconds']:.2f} | {r['floor']:.2f} | "
            f"{r['best_floor']:.2f} | {r['requests']} | {r['limit_errors']} |"
        )
    return "\n".join(lines) + "\n"


def cloud_table(res: dict[str, Any]) -> list[str]:
    """The export on the cloud profile, as markdown lines."""
    p = res["params"]
    load = res["environment"]["load_cloud"]
    lines = [
        "",
        f"## Export of {p['export_deals']:,} deals on the cloud profile (median of {p['reps']})",
        "",
        "The fake portal as `LatencyProfile.cloud()` makes it: 100 ms round trip, 20 ms of"
        " server time per keyset page, offset pages dearer the deeper they go and counting"
        " `total`, 16 requests served at once, the standard bucket (50, then 2/s) and operating"
        " budget (480 s per 10 minutes) enforced. Every client over HTTPS with its own limiter"
        " on (b24pysdk has none); `httpx` is a plain script of the sequential chained-batch walk."
        f" Load average {load[0]:g} before and {load[1]:g} after.",
        "",
        "| client | method | seconds | HTTP requests | in flight (peak) | server time s "
        "| limit errors | unique items | vs b24typed |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    ours = next(r for r in res["cloud"] if r["client"] == "b24typed")["seconds"]
    for r in res["cloud"]:
        if "failed" in r:
            lines.append(f"| {r['client']} | failed: {r['failed']} | | | | | | | |")
            continue
        lines.append(
            f"| {r['client']} | {r['method']} | {r['seconds']:.2f} | {r['requests']:g} | "
            f"{r['in_flight']:g} | {r['server_time']:.1f} | {r['limit_errors']} | "
            f"{r['unique']:,} | {r['seconds'] / ours:.2f}x |"
        )
    return lines


README = HERE.parent / "README.md"
README_START, README_END = "<!-- bench:start -->", "<!-- bench:end -->"


def readme_block(md: str) -> str:
    """The results as README.md shows them: without the title, headings two levels down."""
    body = md.split("\n", 1)[1].strip().replace("\n## ", "\n#### ")
    return f"{README_START}\n{body}\n{README_END}"


def update_readme(md: str) -> None:
    """Put the latest results into README.md, between its bench markers."""
    text = README.read_text()
    head, rest = text.split(README_START, 1)
    tail = rest.split(README_END, 1)[1]
    README.write_text(head + readme_block(md) + tail)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, a minute or two")
    args = parser.parse_args()
    quick = args.quick
    params = {
        "quick": quick,
        "export_deals": 10_000 if quick else 50_000,
        "reps": 3 if quick else 5,
        "get_iterations": 200 if quick else 1_000,
        "get_rounds": 3,
        "import_runs": 3 if quick else 7,
        "stream_sizes": [20_000, 200_000] if quick else [100_000, 1_000_000],
        "limit_deals": 150_000 if quick else 200_000,
        "scale": 2.5,
    }
    started = time.perf_counter()
    load = os.getloadavg()[0]  # other work on the machine skews wall times: say how busy it was
    peers = peers_python()
    RESULTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="b24bench-") as tmp:
        cert = make_cert(Path(tmp))
        runner = Runner(peers, cert[0])
        res: dict[str, Any] = {"params": params}
        with emulator(params["export_deals"], cert) as emu:
            res["export"] = bench_export(emu, runner, params["reps"])
            load_cloud = os.getloadavg()[0]
            res["cloud"] = bench_export(emu, runner, params["reps"], "cloud", CLOUD_VARIANTS)
            load_cloud_end = os.getloadavg()[0]
            res["get"] = bench_get(emu, runner, params["get_iterations"], params["get_rounds"])
            res["async_gets"] = bench_async_gets(emu, runner, params["get_rounds"])
        res["imports"] = bench_imports(peers, params["import_runs"])
        res["stream"] = bench_stream(runner, cert, params["stream_sizes"])
        res["limit"] = bench_limit(runner, cert, params["limit_deals"], params["scale"])
    res["environment"] = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "os": f"{platform.system()} {platform.release()}",
        "versions": versions(peers),
        "seconds": round(time.perf_counter() - started, 1),
        "load": [round(load, 2), round(os.getloadavg()[0], 2)],
        "load_cloud": [round(load_cloud, 2), round(load_cloud_end, 2)],
    }
    res["targets"] = targets(res)
    name = "quick" if quick else "latest"  # a quick run never replaces the published results
    out = {ext: RESULTS / f"{name}.{ext}" for ext in ("json", "md", "png")}
    out["json"].write_text(json.dumps(res, indent=2) + "\n")
    out["md"].write_text(markdown(res))
    if not quick:
        update_readme(out["md"].read_text())
    subprocess.run([peers, str(HERE / "chart.py"), str(out["json"]), str(out["png"])], check=True)
    log(f"done in {time.perf_counter() - started:.0f}s: {out['md']}")
    print(out["md"].read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
