"""Run worker processes (tests/redis_store/worker.py) together and collect what they report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

WORKER = Path(__file__).with_name("worker.py")


class Workers:
    """Started processes, each told its job and waiting for ``go``."""

    def __init__(self, jobs: list[dict[str, Any]]) -> None:
        self.processes: list[subprocess.Popen[str]] = []
        for job in jobs:
            process = subprocess.Popen(
                [sys.executable, str(WORKER)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            assert process.stdin is not None and process.stdout is not None
            process.stdin.write(json.dumps(job) + "\n")
            process.stdin.flush()
            self.processes.append(process)
        for process in self.processes:
            assert process.stdout is not None
            line = process.stdout.readline().strip()
            if line != "ready":
                self.kill()
                raise AssertionError(f"a worker did not start: {line!r}")

    def go(self) -> None:
        for process in self.processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()

    def results(self, timeout: float) -> list[dict[str, Any]]:
        """Each worker's JSON report (a worker that failed fails the test with its stderr)."""
        reports = []
        for process in self.processes:
            try:
                out, err = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise
            if process.returncode != 0:
                self.kill()
                raise AssertionError(f"a worker failed:\n{err[-3000:]}")
            reports.append(json.loads(out.strip().splitlines()[-1]))
        return reports

    def kill(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()
