"""Helpers of the generated-code tests: every schema, its wrapper on a client, sample arguments."""

from __future__ import annotations

import inspect
import json
from functools import cache
from pathlib import Path
from typing import Any

from b24typed.core.typed import Call, request_of

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"


@cache
def schemas() -> list[dict[str, Any]]:
    """Every schema that has a typed wrapper (see ``codegen.generator.emit.has_wrapper``)."""
    from codegen.generator.emit import has_wrapper

    found = []
    for api in (2, 3):
        for path in sorted((SCHEMAS / f"v{api}").glob("*.json")):
            document = json.loads(path.read_text(encoding="utf-8"))
            if has_wrapper(document):
                found.append(document)
    return found


def schema_ids() -> list[str]:
    return [f"v{d['api']}:{d['method']}" for d in schemas()]


@cache
def trees() -> dict[int, Any]:
    """The generator's method trees (attribute names per node), v2 and v3."""
    from codegen.generator.emit import client_reserved
    from codegen.generator.tree import build_tree

    by_api: dict[int, list[dict[str, Any]]] = {2: [], 3: []}
    for document in schemas():
        by_api[document["api"]].append(document)
    return {2: build_tree(by_api[2], client_reserved()), 3: build_tree(by_api[3], frozenset())}


def attribute_path(document: dict[str, Any]) -> list[str]:
    """``crm.item.get`` -> ``["crm", "item", "get"]`` (``["v3", ...]`` for REST 3.0)."""
    node = trees()[document["api"]]
    path = ["v3"] if document["api"] == 3 else []
    for segment in document["method"].split("."):
        path.append(node.attrs[segment])
        node = node.children[segment]
    return path


def wrapper_of(client: Any, document: dict[str, Any]) -> Any:
    """The bound method of a schema's method on ``client`` (``__call__`` of a namespace node)."""
    node: Any = client
    for attribute in attribute_path(document):
        node = getattr(node, attribute)
    if not inspect.ismethod(node):
        node = node.__call__
    return node


def build(bound: Any, kwargs: dict[str, Any]) -> Call[Any]:
    """The call a bound generated method would send for ``kwargs``, unsent."""
    return request_of(bound, kwargs)


def sample(schema: Any, depth: int = 0) -> Any:
    """A value that satisfies a parameter schema (first enum value, 1, "x", [], {...})."""
    if not isinstance(schema, dict) or depth > 4:
        return "x"
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            return sample(schema[key][0], depth + 1)
    kind = schema.get("type")
    kinds = [kind] if isinstance(kind, str) else list(kind or [])
    kinds = [k for k in kinds if k != "null"] or (["object"] if schema.get("properties") else [])
    first = kinds[0] if kinds else "string"
    if first == "integer":
        return 1
    if first == "number":
        return 1.5
    if first == "boolean":
        return True
    if first == "array":
        return []
    if first == "object":
        props = schema.get("properties") or {}
        required = schema.get("required") or []
        return {key: sample(props.get(key), depth + 1) for key in required if key in props}
    if schema.get("format") == "date":
        return "2024-01-02"
    if schema.get("format") == "date-time":
        return "2024-01-02T03:04:05+00:00"
    return "x"


def arguments(bound: Any, document: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for a wrapper: every required parameter and the first of each "one of"
    group, from the example if any."""
    params = document.get("params") or {}
    props = params.get("properties") or {}
    example = (document.get("examples") or {}).get("request")
    example = example if isinstance(example, dict) else {}
    wire_of = _wire_names(bound)
    first_of_group = {group[0] for group in params.get("x-required-one-of") or []}
    kwargs: dict[str, Any] = {}
    for name, parameter in inspect.signature(bound).parameters.items():
        wire = wire_of.get(name)
        if name == "extra_params" or (
            parameter.default is not inspect.Parameter.empty and wire not in first_of_group
        ):
            continue
        assert wire is not None
        schema = props.get(wire)
        if isinstance(schema, dict) and "x-entity" in schema:
            # an entity's fields: the docs' request examples hold JS expressions for dates
            fields = schema.get("properties") or {}
            kwargs[name] = {key: sample(value, 1) for key, value in fields.items()}
        else:
            kwargs[name] = example.get(wire, sample(schema))
    return kwargs


def _wire_names(bound: Any) -> dict[str, str]:
    """Python parameter -> wire name, read back from a call with every parameter marked."""
    names = inspect.signature(bound).parameters
    marks: dict[str, Any] = {name: f"@{name}" for name in names if name != "extra_params"}
    call = build(bound, marks)
    return {value[1:]: wire for wire, value in call.params.items() if isinstance(value, str)}
