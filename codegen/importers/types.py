"""Map the docs' type tokens (``integer``, ``crm_status``, ``deal[]``, ...) to JSON Schema."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Schema = dict[str, Any]
Resolver = Callable[[str], Schema | None]

_BASE: dict[str, Schema] = {
    "integer": {"type": "integer"},
    "int": {"type": "integer"},
    "timestamp": {"type": "integer"},
    "double": {"type": "number"},
    "money": {"type": "number"},
    "float": {"type": "number"},
    "number": {"type": "number"},
    "string": {"type": "string"},
    "text": {"type": "string"},
    "char": {"type": "string"},
    "enum": {"type": "string"},
    "y/n": {"type": "string", "enum": ["Y", "N"]},
    "boolean": {"type": "boolean"},
    "bool": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "object": {"type": "object"},
    "array": {"type": "array"},
    "null": {"type": "null"},
    "any": {},
    "mixed": {},
    "undefined": {},
    "const": {},
}
_STRING_CODES = (
    "crm_status",
    "crm_currency",
    "userfieldentityid",
    "crm",
    "lang",
    "textwithtranslation",
)
_INTEGER_REFS = (
    "user",
    "crm_lead",
    "crm_deal",
    "crm_contact",
    "crm_company",
    "crm_quote",
    "crm_category",
    "crm_entity",
    "location",
    "crm_enum_activitytype",
    "crm_enum_activitystatus",
    "crm_enum_activitypriority",
    "crm_enum_activitynotifytype",
    "crm_enum_activitydirection",
    "crm_enum_contenttype",
    "crm_enum_ownertype",
)
_FILE: Schema = {
    "anyOf": [
        {"type": "integer"},
        {"type": "string"},
        {"type": "array"},
        {"type": "object"},
    ]
}
_NAMED_OBJECTS: dict[str, Schema] = {
    "lang_map": {"type": "object", "additionalProperties": {"type": "string"}},
    "crm_multifield": {
        "type": "object",
        "properties": {
            "ID": {"type": "integer"},
            "TYPE_ID": {"type": "string"},
            "VALUE": {"type": "string"},
            "VALUE_TYPE": {"type": "string"},
        },
    },
    "uf_enum_element": {
        "type": "object",
        "properties": {
            "ID": {"type": "integer"},
            "VALUE": {"type": "string"},
            "DEF": {"type": "string"},
            "SORT": {"type": "integer"},
            "XML_ID": {"type": "string"},
            "DEL": {"type": "string"},
        },
    },
}
_KEEP_NAME = frozenset({"datetime", "date", "timestamp", "char", "text", "enum", "double", "money"})


def split_tokens(tokens: list[str]) -> list[str]:
    """Split ``a | b`` style tokens and drop blanks and duplicates, keeping order."""
    parts: list[str] = []
    for token in tokens:
        for raw in token.split("|"):
            part = raw.strip()
            if part and part not in parts:
                parts.append(part)
    return parts


def token_schema(token: str, resolve: Resolver) -> Schema:
    """Return the strict (request side) JSON Schema of one type token."""
    token = token.strip()
    generic = re.fullmatch(r"array<(.+)>", token, flags=re.IGNORECASE)
    if generic:
        return {"type": "array", "items": token_schema(generic.group(1), resolve)}
    if token.endswith("[]"):
        return {"type": "array", "items": token_schema(token[:-2], resolve)}
    key = token.lower()
    if key in _BASE:
        schema = dict(_BASE[key])
        if key in _KEEP_NAME:
            schema["x-bitrix-type"] = key
        return schema
    if key == "file":
        return {**_FILE, "x-bitrix-type": "file"}
    return _named_schema(token, key, resolve)


def _named_schema(token: str, key: str, resolve: Resolver) -> Schema:
    tag = {"x-bitrix-type": token}
    if key in _NAMED_OBJECTS:
        return {**_NAMED_OBJECTS[key], **tag}
    if key in _INTEGER_REFS or key.endswith((".id", "_id")) or key == "user.id":
        return {"type": "integer", **tag}
    if key in _STRING_CODES or re.search(r"\.(code|lid|symbol|currency|action_file)$", key):
        return {"type": "string", **tag}
    if key in ("crm_userfield", "function", "callable"):
        return {**tag}
    resolved = resolve(token)
    if resolved is not None:
        return {**resolved, **tag}
    return {"type": "object", **tag}


def tokens_schema(tokens: list[str], resolve: Resolver) -> Schema:
    """Return the schema of a cell's type tokens: one schema, or ``anyOf`` for several."""
    parts = split_tokens(tokens)
    if not parts:
        return {}
    schemas = [token_schema(part, resolve) for part in parts]
    if len(schemas) == 1:
        return schemas[0]
    return {"anyOf": schemas}


def json_type(value: Any) -> str:
    """Return the JSON Schema type name of a decoded JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
