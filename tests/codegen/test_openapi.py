"""The OpenAPI importer on a small fixture written in the shape portals return."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from codegen import schemafile
from codegen.__main__ import main
from codegen.import_openapi import import_openapi
from codegen.importers.openapi import normalize

FIXTURE = Path(__file__).parent / "fixtures" / "openapi-mini.json"
FORMAT = Draft202012Validator(schemafile.load(schemafile.FORMAT_SCHEMA))


def _imported(out: Path) -> dict[str, dict[str, Any]]:
    documents = import_openapi(schemafile.load(FIXTURE), FIXTURE.name, out)
    return {document["method"]: document for document in documents}


def test_normalize_fixes_portal_quirks() -> None:
    assert normalize({"type": "float"}) == {"type": "number"}
    assert normalize({"type": "unknown", "description": "x"}) == {}
    assert normalize({"type": "string", "nullable": True}) == {"type": ["string", "null"]}
    assert normalize({"$ref": "#/components/schemas/A", "nullable": True}) == {
        "anyOf": [{"$ref": "#/$defs/A"}, {"type": "null"}]
    }


def test_documents_are_valid_and_carry_no_prose(tmp_path: Path) -> None:
    documents = _imported(tmp_path)
    assert sorted(documents) == ["main.fixture.ping", "tasks.task.get", "tasks.task.list"]
    for document in documents.values():
        assert list(FORMAT.iter_errors(document)) == []
        Draft202012Validator.check_schema(document["params"])
        Draft202012Validator.check_schema(document["result"])
        assert "prose" not in json.dumps(document)


def test_list_response_given_as_bare_array_gets_items(tmp_path: Path) -> None:
    listed = _imported(tmp_path)["tasks.task.list"]
    assert listed["pagination"] == "v3"
    assert listed["result"]["properties"]["items"]["items"] == {"$ref": "#/$defs/TaskDto"}
    assert set(listed["result"]["$defs"]) == {"TaskDto", "UserDto"}
    validator = Draft202012Validator(listed["result"])
    assert validator.is_valid({"items": [{"id": "5", "title": None, "timeEstimate": 1.5}]})


def test_get_without_body_and_deprecated_flag(tmp_path: Path) -> None:
    ping = _imported(tmp_path)["main.fixture.ping"]
    assert ping["deprecated"] is True
    assert ping["undocumented"] is True
    assert ping["params"] == {"type": "object"}


def test_merge_keeps_docs_link_and_examples(tmp_path: Path) -> None:
    documented = schemafile.SCHEMAS / "v3" / "tasks.task.get.json"
    (tmp_path / "v3").mkdir()
    shutil.copy(documented, tmp_path / "v3" / documented.name)
    merged = _imported(tmp_path)["tasks.task.get"]
    before = schemafile.load(documented)
    assert merged["doc"] == before["doc"]
    assert merged["examples"] == before["examples"]
    assert merged["source"]["openapi"] == FIXTURE.name
    assert merged["params"]["required"] == ["id"]


def test_cli_writes_files(tmp_path: Path) -> None:
    assert main(["import-openapi", str(FIXTURE), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "v3" / "tasks.task.list.json").is_file()
