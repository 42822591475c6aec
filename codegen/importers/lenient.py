"""Response-side schema tools: loosen strict types to what portals send, infer from examples."""

from __future__ import annotations

import re
from typing import Any

from b24typed.fieldtypes import is_money_name
from codegen.importers.types import Schema, json_type

_WIRE_ALTERNATIVES = {
    "integer": ["string"],
    "number": ["integer", "string"],
    "boolean": ["string", "integer"],
}
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ID_KEY = re.compile(r"(^|_)ID$|^id$|[a-z]Id$")
_DIGITS = re.compile(r"^-?\d{1,18}$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_DROPPED = ("required", "maxLength", "minLength", "pattern", "const")
EXAMPLE = "example"


def loosen(schema: Schema) -> Schema:
    """Return a copy of a strict schema that accepts wire forms: strings for numbers, Y/N, null."""
    out: Schema = {k: v for k, v in schema.items() if k not in _DROPPED}
    if "enum" in out:
        out["x-enum"] = out.pop("enum")
    if "type" in out:
        out["type"] = _loose_types(out["type"])
    if "anyOf" in out:
        out["anyOf"] = [loosen(branch) for branch in out["anyOf"]]
    if "properties" in out:
        out["properties"] = {key: loosen(value) for key, value in out["properties"].items()}
    if "items" in out:
        out["items"] = loosen(out["items"])
    if "object" in _types(out):
        extra = out.get("additionalProperties", True)
        out["additionalProperties"] = loosen(extra) if isinstance(extra, dict) else True
    return out


def _types(schema: Schema) -> list[str]:
    raw = schema.get("type", [])
    return [raw] if isinstance(raw, str) else list(raw)


def _loose_types(raw: str | list[str]) -> list[str]:
    types = [raw] if isinstance(raw, str) else list(raw)
    out: list[str] = []
    for name in types:
        for item in [name, *_WIRE_ALTERNATIVES.get(name, [])]:
            if item not in out:
                out.append(item)
    if "null" not in out:
        out.append("null")
    return out


def mark(schema: Schema, source: str) -> Schema:
    """Tag every property of a schema tree that has no ``x-source`` yet with ``source``."""
    for child in _children(schema):
        mark(child, source)
    for prop in schema.get("properties", {}).values():
        prop.setdefault("x-source", source)
    return schema


def _children(schema: Schema) -> list[Schema]:
    kids = list(schema.get("properties", {}).values()) + list(schema.get("anyOf", []))
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            kids.append(schema[key])
    return kids


def infer(value: Any) -> Schema:
    """Infer a permissive schema from one example value; properties are marked as examples."""
    kind = json_type(value)
    if kind == "null":
        return {}
    if kind == "string":
        return _infer_string(value)
    if kind == "array":
        schema: Schema = {"type": ["array", "null"]}
        for item in value:
            schema["items"] = widen(schema["items"], item) if "items" in schema else infer(item)
        return schema
    if kind == "object":
        return _infer_object(value)
    return {"type": _loose_types(kind)}


def _infer_string(value: str) -> Schema:
    schema: Schema = {"type": ["string", "null"]}
    if _ISO_DATETIME.match(value):
        schema["x-bitrix-type"] = "datetime"
    elif _ISO_DATE.match(value):
        schema["x-bitrix-type"] = "date"
    return schema


def _infer_object(value: dict[str, Any]) -> Schema:
    schema: Schema = {"type": ["object", "null"], "additionalProperties": True}
    if value and all(key.lstrip("-").isdigit() for key in value):
        merged: Schema | None = None
        for item in value.values():
            merged = infer(item) if merged is None else widen(merged, item)
        schema["additionalProperties"] = merged
        return schema
    schema["properties"] = {
        key: _as_property(_infer_field(key, item)) for key, item in value.items()
    }
    return schema


def _infer_field(key: str, value: Any) -> Schema:
    """Like ``infer``, with what the field's name says: an id field holding a numeric string
    (``"ID": "410"``) is an integer; an amount (``price``) is money; any other whole number is a
    number (one sample of ``quantity`` being ``1`` does not make it an integer)."""
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(value, str) and _ID_KEY.search(key) and _DIGITS.match(value):
        return {"type": _loose_types("integer")}
    if is_money_name(key) and (numeric or (isinstance(value, str) and _NUMBER.match(value))):
        return {"type": _loose_types("number"), "x-bitrix-type": "money"}
    if isinstance(value, int) and numeric and not _ID_KEY.search(key):
        return {"type": _loose_types("number")}
    return infer(value)


def _as_property(schema: Schema) -> Schema:
    schema.setdefault("x-source", EXAMPLE)
    return schema


def accepts(schema: Schema, value: Any) -> bool:
    """True when the schema's top-level type admits the value's JSON type."""
    if "anyOf" in schema:
        return any(accepts(branch, value) for branch in schema["anyOf"])
    if "type" not in schema:
        return True
    types = _types(schema)
    kind = json_type(value)
    return kind in types or (kind == "integer" and "number" in types)


def widen(schema: Schema, value: Any) -> Schema:
    """Extend a permissive schema in place so that ``value`` validates; return it.

    ``$ref`` nodes are left alone: their target is not known here.
    """
    if "$ref" in schema:
        return schema
    if "anyOf" in schema:
        return _widen_union(schema, value)
    if "type" not in schema:
        if value is None:
            return schema
        kept = {k: v for k, v in schema.items() if k.startswith("x-bitrix")}
        schema.clear()
        schema.update({**infer(value), **kept, "x-source": EXAMPLE})
        return schema
    kind = json_type(value)
    if not accepts(schema, value):
        schema["type"] = [*_types(schema), kind]
        if kind in ("object", "array"):
            for key, item in infer(value).items():
                schema.setdefault(key, item)
    if kind == "object":
        _widen_object(schema, value)
    elif kind == "array":
        _widen_array(schema, value)
    return schema


def _widen_union(schema: Schema, value: Any) -> Schema:
    for branch in schema["anyOf"]:
        if accepts(branch, value):
            widen(branch, value)
            return schema
    schema["anyOf"].append(infer(value))
    return schema


def _widen_object(schema: Schema, value: dict[str, Any]) -> None:
    extra = schema.get("additionalProperties", True)
    if "properties" not in schema and isinstance(extra, dict):
        for item in value.values():
            widen(extra, item)
        return
    if "properties" not in schema and value and all(k.lstrip("-").isdigit() for k in value):
        schema["additionalProperties"] = infer(value)["additionalProperties"]
        return
    properties = schema.setdefault("properties", {})
    for key, item in value.items():
        if key in properties:
            widen(properties[key], item)
        else:
            properties[key] = _as_property(_infer_field(key, item))
    schema["additionalProperties"] = True if not isinstance(extra, dict) else extra


def _widen_array(schema: Schema, value: list[Any]) -> None:
    for item in value:
        if "items" in schema:
            widen(schema["items"], item)
        else:
            schema["items"] = infer(item)


_NUMERIC_TAGS = frozenset({"double", "float", "number", "integer", "int", "string"})


def mark_money(schema: Any) -> None:
    """Tag the numeric properties named like amounts (``price``, ``OPPORTUNITY``) as money."""
    if not isinstance(schema, dict):
        return
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        numeric = {"number", "integer"} & set(_types(prop))
        if is_money_name(name) and numeric and prop.get("x-bitrix-type", "number") in _NUMERIC_TAGS:
            prop["x-bitrix-type"] = "money"
        mark_money(prop)
    for key in ("items", "additionalProperties"):
        mark_money(schema.get(key))
    for branch in schema.get("anyOf") or []:
        mark_money(branch)
