"""Draw ``latest.png`` from ``latest.json`` (run with the peers' venv, which has matplotlib).

``python chart.py results/latest.json results/latest.png``
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

OURS = "#2b6cb0"
OTHERS = "#a0aec0"
LOWER_BOUND = "#68d391"


def colour(label: str) -> str:
    if label.startswith("b24typed") or "b24typed" in label:
        return OURS
    if label.startswith("httpx"):
        return LOWER_BOUND
    return OTHERS


def bars(ax: Any, labels: list[str], values: list[float], title: str, unit: str) -> None:
    ax.barh(labels, values, color=[colour(label) for label in labels])
    ax.invert_yaxis()
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(unit, fontsize=8)
    ax.tick_params(labelsize=8)
    top = max(values) if values else 1
    for y, value in enumerate(values):
        text = f"{value:,.0f}" if value >= 100 or float(value).is_integer() else f"{value:.2f}"
        ax.text(value + top * 0.01, y, text, va="center", fontsize=7)
    ax.set_xlim(0, top * 1.22)


def main() -> int:
    res = json.loads(Path(sys.argv[1]).read_text())
    p = res["params"]
    fig, axes = plt.subplots(2, 3, figsize=(15, 8))
    export = [r for r in res["export"] if "failed" not in r]
    bars(
        axes[0][0], [r["client"] for r in export], [r["items_per_second"] for r in export],
        f"Export of {p['export_deals']:,} deals, loopback (higher is better)", "items / second",
    )  # fmt: skip
    cloud = [r for r in res["cloud"] if "failed" not in r]
    bars(
        axes[0][1], [r["client"] for r in cloud], [r["seconds"] for r in cloud],
        f"Export of {p['export_deals']:,} deals, cloud profile (lower is better)", "seconds",
    )  # fmt: skip
    get = [r for r in res["get"] if "failed" not in r]
    bars(
        axes[0][2], [r["client"] for r in get], [r["median"] * 1e3 for r in get],
        "One crm.deal.get, median (lower is better)", "milliseconds",
    )  # fmt: skip
    imports = res["imports"]
    bars(
        axes[1][0], [r["import"] for r in imports], [r["median"] * 1e3 for r in imports],
        "Cold import (lower is better)", "milliseconds",
    )  # fmt: skip
    stream = res["stream"]
    ax = axes[1][1]
    for r in stream:
        xs = [0] + [n for n, _ in r["samples"]]
        ys = [r["rss_before"]] + [mb for _, mb in r["samples"]]
        ax.plot(xs, ys, marker=".", label=f"{r['items']:,} items: peak {r['peak_rss']:.0f} MiB")
    ax.set_ylim(0, max(r["peak_rss"] for r in stream) * 1.5)
    ax.set_title("b24typed streaming: RSS while iterating", fontsize=10)
    ax.set_xlabel("items streamed", fontsize=8)
    ax.set_ylabel("MiB", fontsize=8)
    ax.tick_params(labelsize=8)
    ax.legend(fontsize=7)
    limit = res["limit"]
    ax = axes[1][2]
    labels = [r["client"] for r in limit]
    ax.barh(labels, [r["seconds"] for r in limit], color=[colour(x) for x in labels])
    ax.scatter([r["best_floor"] for r in limit], labels, marker="|", s=300, color="black")
    ax.invert_yaxis()
    for y, r in enumerate(limit):
        note = f"  {r['limit_errors']} limit errors" + ("; gave up" if r.get("failed") else "")
        ax.text(r["seconds"], y, note, va="center", fontsize=7)
    ax.set_xlim(0, max(r["seconds"] for r in limit) * 1.6)
    ax.set_title(
        f"Export of {p['limit_deals']:,} deals under the limit (x{p['scale']:g} time)",
        fontsize=10,
    )
    ax.set_xlabel("seconds (black mark: the least time the limit allows)", fontsize=8)
    ax.tick_params(labelsize=8)
    env = res["environment"]
    fig.suptitle(
        f"b24typed benchmark · {env['date']} · Python {env['python']} · {env['cores']} cores",
        fontsize=12,
    )
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=100)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
