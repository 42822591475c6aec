"""mypy --strict (and pyright) on user programs: inferred types hold, marked bad lines fail."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
GOOD = HERE / "user_program.py"
BAD = HERE / "bad_program.py"
ENTITIES = HERE / "entity_program.py"  # precise entity types (also checked by pyright)
BAD_WRITES = HERE / "bad_writes.py"  # misspelt entity fields
_REPORT = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$")
_MARK = re.compile(r"#\s*E:\s*(?P<code>[a-z-]+)")


@pytest.fixture(scope="module")
def report() -> list[tuple[str, int, str]]:
    answer = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--no-pretty",
            "--show-error-codes",
            *map(str, (GOOD, BAD, ENTITIES, BAD_WRITES)),
        ],
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
    assert [r for r in report if r[0] not in (BAD.name, BAD_WRITES.name)] == []


@pytest.mark.parametrize("bad", [BAD, BAD_WRITES], ids=lambda path: path.name)
def test_every_marked_line_fails_with_its_code(
    report: list[tuple[str, int, str]], bad: Path
) -> None:
    expected = marked_lines(bad)
    reported = {(line, code) for name, line, code in report if name == bad.name}
    assert expected, "no marked lines"
    assert reported == expected


def marked_lines(path: Path) -> set[tuple[int, str]]:
    """(line, mypy error code) of each line marked ``# E: code``."""
    return {
        (number, match["code"])
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if (match := _MARK.search(text))
    }


def _pyright() -> list[str]:
    found = shutil.which("pyright", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("pyright is not installed (it is in the dev extra: pip install -e '.[dev]')")
    return [found]


@pytest.fixture(scope="module")
def diagnostics() -> list[tuple[str, int]]:
    answer = subprocess.run(
        [*_pyright(), "--outputjson", str(ENTITIES), str(BAD_WRITES)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(answer.stdout)
    return [
        (Path(d["file"]).name, d["range"]["start"]["line"] + 1)
        for d in report["generalDiagnostics"]
        if d["severity"] == "error"
    ]


def test_entity_program_type_checks_under_pyright(diagnostics: list[tuple[str, int]]) -> None:
    assert [d for d in diagnostics if d[0] == ENTITIES.name] == []


def test_misspelt_fields_fail_under_pyright(diagnostics: list[tuple[str, int]]) -> None:
    expected = {line for line, _code in marked_lines(BAD_WRITES)}
    assert expected
    assert {line for name, line in diagnostics if name == BAD_WRITES.name} == expected
