"""Read the docs' event pages (``api-reference/**/events/on-*.md``) into event schema documents.

A document holds the event code (``ONCRMDEALADD``), its scopes, the JSON Schema of the payload's
``data`` object (from the page's field tables, widened by the page's example where the tables
say nothing) and the page's example payload, which tests parse into the generated model.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from codegen.importers import yfm
from codegen.importers.examples import is_missing, parse_lenient
from codegen.importers.fieldtree import Library, TreeBuilder
from codegen.importers.types import Schema, json_type

_EVENT_CODE = re.compile(r"^ON[A-Z0-9_]+$")
_TITLE_CODE = re.compile(r"\b(on[A-Z][A-Za-z0-9]+)\s*$")


def find_event_pages(docs_root: Path) -> list[Path]:
    """Every event page, sorted by path."""
    reference = docs_root / "api-reference"
    found = [p for p in reference.rglob("on-*.md") if "events" in p.parent.as_posix()]
    return sorted(found)


def build_event_document(path: Path, docs_root: Path, library: Library, commit: str) -> Any:
    """The schema document of one event page, or None when the page names no event code."""
    text = yfm.inline_includes(path.read_text(encoding="utf-8"), path, docs_root)
    example = _example(text)
    code = _event_code(text, path, example)
    if code is None:
        return None
    sections = yfm.sections(text)
    builder = TreeBuilder(sections, library, 2, path)
    data = _data_schema(builder)
    example_data = example.get("data") if isinstance(example, dict) else _php_array(text)
    if example_data is not None:
        data = _widen(data, example_data)
    relative = path.relative_to(docs_root).as_posix()
    return {
        "event": code,
        "scopes": _scopes(text),
        "doc": relative,
        "data": data,
        "example": example,
        "source": {"docs_commit": commit, "path": relative},
    }


def _scopes(text: str) -> list[str]:
    for line in text.split("\n"):
        if line.lstrip("> ").lower().startswith("scope"):
            return sorted({t for t in yfm.ticked(line) if re.fullmatch(r"[\w.]+", t)})
    return []


def _example(text: str) -> Any:
    """The first JSON block that looks like an event payload (has ``event`` or ``data``)."""
    for lang, body in yfm.code_blocks(text):
        if lang not in ("json", "js", "javascript", "") or not body.lstrip().startswith("{"):
            continue
        value = parse_lenient(body)
        if is_missing(value) or not isinstance(value, dict):
            continue
        if "event" in value or "data" in value:
            return value
    return None


def _event_code(text: str, path: Path, example: Any) -> str | None:
    if isinstance(example, dict):
        code = str(example.get("event") or "").upper()
        if _EVENT_CODE.match(code):
            return code
    title = text.split("\n", 1)[0]
    match = _TITLE_CODE.search(title)
    if match:
        return match.group(1).upper()
    slug = path.stem.replace("-", "").upper()
    return slug if _EVENT_CODE.match(slug) else None


def _data_schema(builder: TreeBuilder) -> Schema:
    """The ``data`` member of the first table that lists the payload's top-level keys."""
    for group in builder.groups:
        names = {row.name for row in group.rows}
        if "data" in names and names & {"event", "ts", "auth"}:
            payload = _nest_dotted(builder.object_of(group, builder.groups) or {})
            data = payload.get("properties", {}).get("data")
            if isinstance(data, dict):
                return _collapse_self_named(_without_required(data))
    if builder.groups:  # older pages list the members of ``data`` in their only table
        data = builder.object_of(builder.groups[0], builder.groups) or {"type": "object"}
        return _collapse_self_named(_without_required(data))
    return {"type": "object"}


def _php_array(text: str) -> Any:
    """The ``data`` shape older pages show as PHP (``array('FIELDS' => array('ID' => $id))``),
    with each ``$variable`` read as an empty string."""
    for lang, body in yfm.code_blocks(text):
        if lang != "php" or not body.lstrip().startswith("array("):
            continue
        as_json = re.sub(r"\$\w+", '""', body.strip().rstrip(";"))
        as_json = as_json.replace("array(", "{").replace(")", "}").replace("=>", ":")
        value = parse_lenient(as_json.replace("'", '"'))
        if isinstance(value, dict):
            return value
    return None


def _nest_dotted(schema: Schema) -> Schema:
    """Rows named ``data.FIELDS`` describe the member ``FIELDS`` of ``data``: move them there."""
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not any("." in name for name in properties):
        return schema
    nested: dict[str, Schema] = {}
    for name, child in properties.items():
        head, dot, rest = name.partition(".")
        if not dot:
            nested[name] = {**nested.get(name, {}), **child}
            continue
        parent = nested.setdefault(head, {"type": "object"})
        if parent.get("type") != "object":
            parent = nested[head] = {"type": "object"}
        members = dict(parent.get("properties") or {})
        members[rest] = {**members.get(rest, {}), **child}
        nested[head] = _nest_dotted({**parent, "properties": members})
    return {**schema, "properties": nested}


def _collapse_self_named(schema: Any) -> Any:
    """A field described by a heading that repeats its own name (``IS_ACCESSIBLE_BEFORE`` under
    "Field IS_ACCESSIBLE_BEFORE") comes out as an object holding itself: unwrap it."""
    if not isinstance(schema, dict):
        return schema
    properties = schema.get("properties")
    if isinstance(properties, dict):
        fixed = {}
        for name, member in properties.items():
            child = _collapse_self_named(member)
            inner = child.get("properties") if isinstance(child, dict) else None
            fixed[name] = (
                inner[name] if isinstance(inner, dict) and list(inner) == [name] else child
            )
        schema = {**schema, "properties": fixed}
    if isinstance(schema.get("items"), dict):
        schema = {**schema, "items": _collapse_self_named(schema["items"])}
    return schema


def _without_required(schema: Any) -> Any:
    """Read models never require a field (a portal may leave any out); drop the marks.

    A bare ``array`` (the docs' word for any PHP array, often one with keys) becomes untyped.
    """
    if isinstance(schema, dict):
        if schema.get("type") == "array" and "items" not in schema:
            return {k: v for k, v in schema.items() if k != "type"}
        return {k: _without_required(v) for k, v in schema.items() if k != "required"}
    if isinstance(schema, list):
        return [_without_required(v) for v in schema]
    return schema


def _widen(schema: Schema, value: Any) -> Schema:
    """Add what the example shows and the tables lack: unknown keys, an untyped field's type.

    A documented type is kept: an example may widen a type, never narrow it. A scalar only the
    example shows is read as a string (any scalar a portal sends fits one).
    """
    kind = json_type(value)
    if kind == "null":
        return schema
    declared = schema.get("type")
    if declared in ("object", "array") and kind not in ("object", "array"):
        return {"anyOf": [schema, {"type": kind}]}  # a real payload sent a scalar here
    if declared == "array" and kind == "object":  # a PHP array with keys is a JSON object
        schema = {key: item for key, item in schema.items() if key != "items"}
        declared = schema["type"] = "object"
    if not declared and not schema.get("anyOf") and not schema.get("properties"):
        schema = {**schema, "type": kind if kind in ("object", "array") else "string"}
        declared = schema["type"]
    if kind == "object" and declared == "object":
        properties = dict(schema.get("properties") or {})
        for key, item in value.items():
            properties[key] = _widen(properties.get(key, {}), item)
        return {**schema, "properties": properties}
    if kind == "array" and declared == "array" and value:
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        for item in value:
            items = _widen(items, item)
        return {**schema, "items": items}
    return schema
