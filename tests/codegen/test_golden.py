"""Golden tests: a fresh import of representative pages must equal the committed expectations.

Set B24TYPED_UPDATE_GOLDEN=1 to rewrite the expected files after a reviewed importer change.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from codegen import schemafile

GOLDEN = Path(__file__).parent / "golden"
CASES = [
    (2, "crm.item.get"),
    (2, "crm.item.list"),
    (2, "crm.deal.list"),
    (2, "user.get"),
    (2, "tasks.task.get"),
    (3, "tasks.task.get"),
    (2, "batch"),
    (3, "batch"),
]


@pytest.mark.parametrize(("api", "method"), CASES, ids=[f"v{a}-{m}" for a, m in CASES])
def test_golden(imported: dict[tuple[int, str], dict[str, Any]], api: int, method: str) -> None:
    expected_path = GOLDEN / f"v{api}" / f"{method}.json"
    actual = schemafile.dumps(imported[(api, method)])
    if os.environ.get("B24TYPED_UPDATE_GOLDEN") == "1":
        expected_path.parent.mkdir(parents=True, exist_ok=True)
        expected_path.write_text(actual, encoding="utf-8")
    assert actual == expected_path.read_text(encoding="utf-8")


def test_committed_schemas_are_a_fresh_import(
    imported: dict[tuple[int, str], dict[str, Any]],
) -> None:
    committed = {
        (document["api"], document["method"]) for _path, document in schemafile.iter_documents()
    }
    assert committed == set(imported)
    for (api, method), document in imported.items():
        path = schemafile.api_dir(schemafile.SCHEMAS, api) / f"{method}.json"
        assert path.read_text(encoding="utf-8") == schemafile.dumps(document), path.name
