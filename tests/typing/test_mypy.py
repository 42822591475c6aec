"""mypy --strict on a user program: its inferred types hold, and the marked bad lines fail."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
GOOD = HERE / "user_program.py"
BAD = HERE / "bad_program.py"
_REPORT = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$")
_MARK = re.compile(r"#\s*E:\s*(?P<code>[a-z-]+)")


@pytest.fixture(scope="module")
def report() -> list[tuple[str, int, str]]:
    answer = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-pretty", "--show-error-codes", str(GOOD), str(BAD)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert answer.returncode in (0, 1), answer.stdout + answer.stderr
    found = []
    for line in answer.stdout.splitlines():
        match = _REPORT.match(line)
        if match:
            found.append((Path(match["file"]).name, int(match["line"]), match["code"]))
    return found


def test_the_user_program_type_checks(report: list[tuple[str, int, str]]) -> None:
    assert [r for r in report if r[0] != BAD.name] == []


def test_every_marked_line_fails_with_its_code(report: list[tuple[str, int, str]]) -> None:
    expected = {
        (number, match["code"])
        for number, text in enumerate(BAD.read_text(encoding="utf-8").splitlines(), 1)
        if (match := _MARK.search(text))
    }
    reported = {(line, code) for name, line, code in report if name == BAD.name}
    assert expected, "no marked lines"
    assert reported == expected
