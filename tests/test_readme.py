"""README.md shows the latest benchmark run, and its set-up commands exist."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bench_run_module() -> object:
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_benchmark_figures_are_the_latest_run() -> None:
    run = _bench_run_module()
    latest = (ROOT / "benchmarks" / "results" / "latest.md").read_text()
    assert run.readme_block(latest) in (ROOT / "README.md").read_text()  # type: ignore[attr-defined]


def test_readme_make_targets_exist() -> None:
    readme = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^make ([a-z-]+)", readme, flags=re.MULTILINE))
    assert {"demo", "test"} <= targets
    for target in targets:
        assert re.search(rf"^{target}:", makefile, flags=re.MULTILINE), target
