"""Required parameters are the documented ones: an "id or code" pair is a group of which one is
needed, never two required parameters (checked over every schema)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from b24typed import B24Hook, SdkError
from codegen.importers.docs import split_alternatives

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
PAIR = re.compile(r"^(?P<stem>.+?)_?(ID|Id|CODE|Code)$")


def _documents() -> list[dict[str, Any]]:
    return [
        json.loads(path.read_text(encoding="utf-8"))
        for api in ("v2", "v3")
        for path in sorted((SCHEMAS / api).glob("*.json"))
    ]


def test_no_schema_requires_both_names_of_an_either_of_pair() -> None:
    for document in _documents():
        params = document.get("params") or {}
        if not isinstance(params, dict):
            continue
        required = params.get("required") or []
        stems: dict[str, list[str]] = {}
        for name in required:
            match = PAIR.match(name)
            if match:
                stems.setdefault(match["stem"].lower(), []).append(name)
        both = [names for names in stems.values() if len(names) > 1]
        assert not both, (document["method"], both)
        properties = params.get("properties") or {}
        for group in params.get("x-required-one-of") or []:
            assert all(name in properties and name not in required for name in group)


def test_the_documented_requirements() -> None:
    by_method = {(d["api"], d["method"]): d for d in _documents()}
    element_get = by_method[(2, "lists.element.get")]["params"]
    assert element_get["required"] == ["IBLOCK_TYPE_ID"]
    assert element_get["x-required-one-of"] == [["IBLOCK_ID", "IBLOCK_CODE"]]
    assert by_method[(2, "tasks.task.get")]["params"]["required"] == ["taskId"]


def test_split_alternatives() -> None:
    assert split_alternatives(["A", "IBLOCK_ID", "IBLOCK_CODE", "ELEMENT_CODE"]) == (
        ["A", "ELEMENT_CODE"],
        [["IBLOCK_ID", "IBLOCK_CODE"]],
    )
    assert split_alternatives(["entityId", "entityCode"]) == ([], [["entityId", "entityCode"]])
    assert split_alternatives(["FIELD_ID"]) == (["FIELD_ID"], [])


def test_a_call_without_either_name_fails_before_sending() -> None:
    b24 = B24Hook(b24_url="https://example.bitrix24.com", user_id=1, secret="s")
    with pytest.raises(SdkError, match=r"lists.element.get needs iblock_id= or iblock_code="):
        b24.lists.element.get(iblock_type_id="lists")
    call = b24.request(b24.lists.element.get, iblock_type_id="lists", iblock_code="clients")
    assert call.params == {"IBLOCK_TYPE_ID": "lists", "IBLOCK_CODE": "clients"}
