"""The generator on hand-made schemas: odd shapes map to safe types and render valid Python."""

from __future__ import annotations

from typing import Any

import pytest

from codegen.generator.emit import render
from codegen.generator.types import ModelsModule


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": ["integer", "string", "null"]}, "LInt"),
        ({"type": ["boolean", "string", "integer", "null"]}, "LBool"),
        ({"type": ["number", "integer", "string", "null"]}, "LFloat"),
        ({"type": "string", "format": "date"}, "LDate"),
        ({"type": ["string", "null"], "format": "date-time"}, "LDateTime"),
        ({"type": ["string", "null"], "enum": ["A", "B"]}, "LStr"),  # results stay open
        ({"type": ["string", "null", "object"]}, "Any"),
        ({"anyOf": [{"type": "integer"}, {"type": "string"}]}, "Any"),
        ({"type": "object"}, "LDict"),
        ({"type": "array"}, "LList[Any]"),
        ({"type": "array", "items": {"type": "integer"}}, "LList[LInt]"),
        ({}, "Any"),
        ({"type": "null"}, "Any"),
        ({"type": "weird"}, "Any"),
        ("not a schema", "Any"),
    ],
)
def test_result_types(schema: Any, expected: str) -> None:
    assert ModelsModule().result_type(schema, "X") == expected


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "integer"}, "int"),
        ({"type": ["integer", "null"]}, "int | None"),
        ({"type": "string", "enum": ["Y", "N"]}, 'Literal["Y", "N"]'),
        ({"type": "integer", "enum": [0, 1]}, "Literal[0, 1]"),
        ({"type": "number", "enum": [0.5]}, "float"),
        ({"type": "string", "format": "date-time"}, "str | datetime"),
        ({"type": "array", "items": {"type": "string"}}, "Sequence[str]"),
        ({"type": "object"}, "Mapping[str, Any]"),
        ({"anyOf": [{"type": "integer"}, {"type": "string"}]}, "int | str"),
        ({"type": ["string", "object"]}, "str | Mapping[str, Any]"),
        ({}, "Any"),
    ],
)
def test_param_types(schema: Any, expected: str) -> None:
    assert ModelsModule().param_type(schema, "X") == expected


def test_nested_objects_become_models_and_identical_shapes_are_shared() -> None:
    models = ModelsModule()
    shape = {"type": "object", "properties": {"ID": {"type": "integer"}}}
    first = models.result_type(shape, "DealItem")
    second = models.result_type(dict(shape), "LeadItem")
    assert first == second == "DealItem"
    typed = models.param_type(
        {"type": "object", "properties": {"TITLE": {"type": "string"}}, "required": ["TITLE"]},
        "Fields",
    )
    assert typed == "Fields"
    assert [type(i).__name__ for i in models.items] == ["ModelClass", "TypedDictDef"]


def _doc(method: str, api: int = 2, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "method": method,
        "api": api,
        "module": method.split(".", maxsplit=1)[0],
        "scopes": ["x"],
        "doc": "api-reference/x/" + method.replace(".", "-") + ".md",
        "deprecated": False,
        "replacement": None,
        "v3_equivalents": [],
        "kind": "action",
        "pagination": "none",
        "list": None,
        "params": {"type": "object", "properties": {}},
        "result": {},
    }
    base.update(extra)
    return base


def test_odd_schemas_render_valid_python() -> None:
    documents = [
        _doc(
            "odd.class.import",
            params={
                "type": "object",
                "properties": {
                    "from": {"type": "integer"},
                    "FROM": {"type": "string"},
                    "1st": {"type": "boolean"},
                    "extra_params": {"type": "string"},
                    "a-b": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                },
                "required": ["from"],
            },
            result={
                "type": "object",
                "properties": {
                    "schema": {"type": "string"},
                    "model_dump": {"type": "integer"},
                    "_id": {"type": "integer"},
                    "ID": {"type": "integer"},
                    "id": {"type": "integer"},
                    "nested": {
                        "type": "object",
                        "properties": {"x": {"type": "array", "items": {"type": "object"}}},
                    },
                },
            },
        ),
        _doc("odd.class", result={"type": "array", "items": {"type": "integer"}}),
        _doc("odd.class.list", kind="list", pagination="start", list={"items_key": None}),
        _doc("odd.iterate", deprecated=True, replacement="odd.class"),
        _doc("batch", result={"type": ["boolean", "string"]}),
        _doc("odd.thing", api=3, params={"type": "array", "items": {}}),  # no wrapper
        _doc("odd.thing.get", api=3, result={"oneOf": [{"type": "integer"}]}),
    ]
    files, counts = render(documents)
    assert counts["methods"] == 6
    for path, text in files.items():
        compile(text, path, "exec")
    v2 = files["methods/v2/odd/class_.py"]
    for flavor in ("class OddClass(SyncNamespace)", "class AsyncOddClass(AsyncNamespace)"):
        assert flavor in v2
    assert "def import_(\n        self,\n        *," in v2
    assert "async def import_(" in v2
    # odd.class is a method and a namespace: the namespace is callable, its spec imported.
    assert "def __call__(" in v2 and "from b24typed.methods.v2.odd import _ODD_CLASS" in v2
    assert "def iterate_list(" in v2  # odd.class.list: items are scalars, so offset paging
    assert 'mode: ListMode = "offset"' in v2
    parent = files["methods/v2/odd/__init__.py"]
    assert "def iterate_(" in parent and "async def iterate_(" in parent
    assert '@deprecated("odd.iterate is deprecated: use b24.odd.class_(...)")' in parent
    root = files["methods/v2/__init__.py"]
    assert "def batch_(" in root
    models = files["models/v2/odd/class_.py"]
    for field in ("schema_: ", "model_dump_: ", "    id: LInt = None", "id_2: ", 'alias="_id"'):
        assert field in models, field
    assert "from_: int" in v2 and "from__2: str | Unset" in v2 and "n1st: bool" in v2
    assert "extra_params_: str" in v2
