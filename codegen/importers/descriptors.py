"""Field descriptors of the ``*.fields`` / ``*.getFields`` pages, used to type get/list results."""

from __future__ import annotations

from typing import Any

from codegen.importers.lenient import loosen, mark
from codegen.importers.types import Schema, token_schema

SOURCE = "fields-descriptor"


def descriptor_fields(result: Any) -> tuple[str | None, dict[str, dict[str, Any]]] | None:
    """Find a ``{FIELD: {"type": ...}}`` map in a fields-method result, maybe under one key.

    Returns (wrapper key or None, field map), or None when the result is not a descriptor map.
    """
    if isinstance(result, dict) and len(result) == 1:
        ((key, inner),) = result.items()
        if _is_descriptor_map(inner):  # checked first: a wrapped map may hold a field "type"
            return key, inner
    if _is_descriptor_map(result):
        return None, result
    return None


def _is_descriptor_map(value: Any) -> bool:
    if not isinstance(value, dict) or not value:
        return False
    return all(isinstance(item, dict) and "type" in item for item in value.values())


def descriptor_object(fields: dict[str, dict[str, Any]]) -> Schema:
    """Return a permissive object schema built from a descriptor map."""
    properties = {name: _field_schema(field) for name, field in fields.items()}
    return mark(loosen({"type": "object", "properties": properties}), SOURCE)


def _field_schema(field: dict[str, Any]) -> Schema:
    kind = str(field.get("type") or "")
    schema = token_schema(kind, lambda _token: {}) if kind else {}
    if field.get("isMultiple") is True:
        schema = {"type": "array", "items": schema}
    if field.get("isReadOnly") is True:
        schema["readOnly"] = True
    return schema
