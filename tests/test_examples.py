"""The runnable examples in examples/ run against the emulator and say what they should."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

EXPECTED = {
    "demo.py": [
        "Seeded a fake portal with 20,000 deals",
        "Item: id=42",
        "20,000 deals in",
        "120 results",
        "tasks.task.list is a REST v2 method; REST 3.0 has tasks.task.list",
        "caught EntityNotFoundError: code=NOT_FOUND",
    ],
    "async_tasks.py": ["created task 31", "5 Task #5"],
    "export_and_batch.py": [
        "exported 5000 deals with 10 requests",
        "batch errors: none",
        "Deal #1",
    ],
    "many_workers.py": [
        "worker-3: exported 1000 deals with 30 requests",
        "40 leads written; 0 requests refused by the portal's limit",
    ],
}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "B24_WEBHOOK_URL"}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=120, env=env, check=False
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs(name: str) -> None:
    done = run(str(EXAMPLES / name))
    assert done.returncode == 0, done.stderr
    for line in EXPECTED[name]:
        assert line in done.stdout


def test_demo_warns_once_per_method() -> None:
    done = run(str(EXAMPLES / "demo.py"))
    assert done.stdout.count("tasks.task.list is a REST v2 method") == 1


def test_example_test_file_passes_with_the_plugin_fixture() -> None:
    done = run("-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLES / "test_my_app.py"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


# Examples that are applications, not scripts, and the test that runs each end to end.
APPLICATIONS = {"deal_events_app.py": "test_deal_events_app.py"}


def test_every_example_is_exercised() -> None:
    scripts = {p.name for p in EXAMPLES.glob("*.py")} - {"test_my_app.py", *APPLICATIONS}
    assert scripts == set(EXPECTED)
    for test in APPLICATIONS.values():
        assert (Path(__file__).parent / test).is_file()
