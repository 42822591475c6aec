"""Convert a portal's ``rest.documentation.openapi`` dump (OpenAPI 3.0) into REST 3.0 documents."""

from __future__ import annotations

from typing import Any

from codegen.importers.docs import method_kind
from codegen.importers.lenient import loosen, mark
from codegen.importers.types import Schema

SOURCE = "openapi"
_PROSE = frozenset(
    {"description", "summary", "title", "example", "examples", "externalDocs", "xml"}
)
_TYPE_FIXES = {"float": "number", "double": "number", "int": "integer", "bool": "boolean"}
_UNTYPED = frozenset({"unknown", "mixed", "any"})
_COMPONENT_REF = "#/components/schemas/"


def normalize(node: Any) -> Any:
    """Turn an OpenAPI 3.0 schema into JSON Schema 2020-12, fixing the portal's quirks.

    ``float`` becomes ``number``, ``unknown`` becomes an untyped ``{}``, ``nullable`` becomes a
    ``null`` type, component refs point to ``$defs``, and prose keys are dropped.
    """
    if isinstance(node, list):
        return [normalize(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _PROSE or key == "nullable":
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: normalize(schema) for name, schema in value.items()}
        elif key == "$ref" and isinstance(value, str) and value.startswith(_COMPONENT_REF):
            out[key] = "#/$defs/" + value[len(_COMPONENT_REF) :]
        else:
            out[key] = normalize(value)
    _fix_type(out)
    if node.get("nullable") is True:
        _add_null(out)
    return out


def _fix_type(schema: dict[str, Any]) -> None:
    kind = schema.get("type")
    if isinstance(kind, str):
        if kind in _UNTYPED:
            del schema["type"]
        else:
            schema["type"] = _TYPE_FIXES.get(kind, kind)


def _add_null(schema: dict[str, Any]) -> None:
    if "$ref" in schema:
        schema["anyOf"] = [{"$ref": schema.pop("$ref")}, {"type": "null"}]
    elif isinstance(schema.get("type"), str):
        schema["type"] = [schema["type"], "null"]


def unwrap(dump: Any) -> dict[str, Any]:
    """The OpenAPI object, whether the dump is bare or wrapped in a ``result`` envelope."""
    if isinstance(dump, dict) and "paths" not in dump and isinstance(dump.get("result"), dict):
        return dict(dump["result"])
    if not isinstance(dump, dict) or "paths" not in dump:
        raise ValueError("not an OpenAPI document: no 'paths'")
    return dump


def documents(dump: Any) -> list[dict[str, Any]]:
    """One partial schema document per path: method, module, kind, params, result, $defs."""
    spec = unwrap(dump)
    components = {
        name: normalize(schema)
        for name, schema in spec.get("components", {}).get("schemas", {}).items()
    }
    found: list[dict[str, Any]] = []
    for path, item in sorted(spec["paths"].items()):
        method = path.lstrip("/")
        operation = item.get("post") or item.get("get") or {}
        found.append(_document(method, operation, components))
    return found


def _document(method: str, operation: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    kind = method_kind(method)
    params = _with_defs(_params(operation), components)
    result = _with_defs(mark(loosen(_result(operation, kind)), SOURCE), components, lenient=True)
    tags = operation.get("tags") or [method.partition(".")[0]]
    return {
        "method": method,
        "module": str(tags[0]),
        "kind": kind,
        "deprecated": bool(operation.get("deprecated", False)),
        "params": params,
        "result": result,
    }


def _params(operation: dict[str, Any]) -> Schema:
    content = operation.get("requestBody", {}).get("content", {})
    body = content.get("application/json", {}).get("schema")
    if isinstance(body, dict):
        schema: Schema = normalize(body)
        schema.setdefault("type", "object")
        return schema
    properties: dict[str, Schema] = {}
    required: list[str] = []
    for parameter in operation.get("parameters", []):
        properties[parameter["name"]] = normalize(parameter.get("schema", {}))
        if parameter.get("required"):
            required.append(parameter["name"])
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _result(operation: dict[str, Any], kind: str) -> Schema:
    response = operation.get("responses", {}).get("200", {})
    body = response.get("content", {}).get("application/json", {}).get("schema")
    if not isinstance(body, dict):
        return {}
    schema: Schema = normalize(body)
    result = schema.get("properties", {}).get("result")
    if isinstance(result, dict):
        schema = result
    if kind == "list" and schema.get("type") == "array":
        schema = {"type": "object", "properties": {"items": schema}}
    return schema


def _with_defs(schema: Schema, components: dict[str, Any], lenient: bool = False) -> Schema:
    """Attach the component schemas that ``schema`` references, transitively, as ``$defs``."""
    names: list[str] = []
    pending = _refs(schema)
    while pending:
        name = pending.pop()
        if name in names or name not in components:
            continue
        names.append(name)
        pending.extend(_refs(components[name]))
    if not names:
        return schema
    defs = {name: components[name] for name in sorted(names)}
    if lenient:
        defs = {name: mark(loosen(value), SOURCE) for name, value in defs.items()}
    return {**schema, "$defs": defs}


def _refs(node: Any) -> list[str]:
    if isinstance(node, list):
        return [name for item in node for name in _refs(item)]
    if not isinstance(node, dict):
        return []
    ref = node.get("$ref")
    own = [ref[len("#/$defs/") :]] if isinstance(ref, str) and ref.startswith("#/$defs/") else []
    return own + [name for value in node.values() for name in _refs(value)]
