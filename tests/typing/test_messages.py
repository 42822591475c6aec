"""The messages mypy --strict and pyright print for four common mistakes name the method.

The program is small (messages_program.py), so both checkers read only what it uses of the
generated tree: a few seconds each.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PROGRAM = HERE / "messages_program.py"
INTERNALS = ("SyncBound", "__call__", "ParamSpec", "NamedArg(", "P.args", "Method[")

DEPRECATED = "crm.deal.get is deprecated: use b24.crm.item.get(entity_type_id=2, ...)"
MYPY = {
    11: 'Argument "entity_type_id" to "get" of "CrmItem" has incompatible type "str"; '
    'expected "int"  [arg-type]',
    12: 'Missing named argument "entity_type_id" for "get" of "CrmItem"  [call-arg]',
    13: f"function b24typed.methods.v2.crm.deal.CrmDeal.get is deprecated: {DEPRECATED}"
    "  [deprecated]",
    15: '"BatchCrmItem" has no attribute "iterate_list"  [attr-defined]',
    19: 'Argument "entity_type_id" to "get" of "AsyncCrmItem" has incompatible type "str"; '
    'expected "int"  [arg-type]',
    20: 'Missing named argument "entity_type_id" for "get" of "AsyncCrmItem"  [call-arg]',
    21: f"function b24typed.methods.v2.crm.deal.AsyncCrmDeal.get is deprecated: {DEPRECATED}"
    "  [deprecated]",
    23: '"BatchCrmItem" has no attribute "iterate_list"  [attr-defined]',
}
PYRIGHT = {
    11: 'Argument of type "Literal[\'2\']" cannot be assigned to parameter "entity_type_id" of '
    'type "int" in function "get" / "Literal[\'2\']" is not assignable to "int"',
    # pyright's own wording for a missing argument names the parameter, not the function.
    12: 'Argument missing for parameter "entity_type_id"',
    13: f'The method "get" in class "CrmDeal" is deprecated / {DEPRECATED}',
    15: 'Cannot access attribute "iterate_list" for class "BatchCrmItem" / '
    'Attribute "iterate_list" is unknown',
    19: 'Argument of type "Literal[\'2\']" cannot be assigned to parameter "entity_type_id" of '
    'type "int" in function "get" / "Literal[\'2\']" is not assignable to "int"',
    20: 'Argument missing for parameter "entity_type_id"',
    21: f'The method "get" in class "AsyncCrmDeal" is deprecated / {DEPRECATED}',
    23: 'Cannot access attribute "iterate_list" for class "BatchCrmItem" / '
    'Attribute "iterate_list" is unknown',
}


def _mypy() -> dict[int, str]:
    answer = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-pretty", "--show-error-codes", str(PROGRAM)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert answer.returncode == 1, answer.stdout + answer.stderr
    found = {}
    for line in answer.stdout.splitlines():
        match = re.match(r"^[^:]+:(\d+): error: (.*)$", line)
        if match:
            found[int(match[1])] = match[2]
    return found


def _pyright() -> dict[int, str]:
    answer = subprocess.run(
        [sys.executable, "-m", "pyright", "--outputjson", str(PROGRAM)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(answer.stdout)
    found = {}
    for row in report["generalDiagnostics"]:
        text = " / ".join(part.strip().replace("\xa0", "") for part in row["message"].split("\n"))
        found[row["range"]["start"]["line"] + 1] = text
    return found


@pytest.mark.parametrize(("checker", "expected"), [(_mypy, MYPY), (_pyright, PYRIGHT)])
def test_each_mistake_gets_a_message_naming_the_method(checker, expected) -> None:  # type: ignore[no-untyped-def]
    found = checker()
    assert found == expected
    for text in found.values():
        assert not any(word in text for word in INTERNALS), text
