"""Turn a page's field tables into JSON Schema object trees (parameters and returned data)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from codegen.importers import yfm
from codegen.importers.types import Schema, tokens_schema

_TITLE_NOISE = re.compile(
    r"\b(parameters?|params?|objects?|fields?|type|structure|description|of|the|array)\b",
    flags=re.IGNORECASE,
)
_ENUM_LINE = re.compile(r"^\s*[-*]\s*`([^`\n]+)`\s*(?:[—–:-]|\(|$)", flags=re.MULTILINE)
_ENUM_VALUE = re.compile(r"^[\w.:/@-]+$")
_SCALARS = ("string", "integer", "boolean")
_DATA_TYPE_PAGES = (
    "api-reference/data-types.md",
    "api-reference/crm/data-types.md",
    "api-reference/sale/data-types.md",
    "api-reference/catalog/data-types.md",
)


@dataclass
class Group:
    """The field tables directly under one heading."""

    index: int
    key: str
    anchor: str | None
    tables: list[list[yfm.Row]]

    @property
    def rows(self) -> list[yfm.Row]:
        merged: dict[str, yfm.Row] = {}
        for table in self.tables:
            for row in table:
                merged.setdefault(row.name, row)
        return list(merged.values())


def heading_key(title: str) -> str:
    """Reduce a heading like ``Parameter `fields``` or ``Deal Type`` to ``fields`` / ``deal``."""
    bare = re.sub(r"[`*]", "", title)
    bare = _TITLE_NOISE.sub(" ", bare)
    return " ".join(bare.split()).lower()


def page_groups(sections: list[yfm.Section]) -> list[Group]:
    groups: list[Group] = []
    for index, section in enumerate(sections):
        found = [yfm.field_rows(t) for t in yfm.tables(section.text) if yfm.is_field_table(t)]
        found = [rows for rows in found if rows]
        if found:
            groups.append(Group(index, heading_key(section.title), section.anchor, found))
    return groups


class DataTypes:
    """Object tables of the global and module ``data-types.md`` pages, keyed by heading."""

    def __init__(self, docs_root: Path) -> None:
        self.groups: dict[str, Group] = {}
        for relative in _DATA_TYPE_PAGES:
            path = docs_root / relative
            if path.is_file():
                for group in page_groups(yfm.sections(path.read_text(encoding="utf-8"))):
                    for key in (group.anchor, group.key):
                        if key:
                            self.groups.setdefault(key.lower(), group)


class TreeBuilder:
    """Builds object schemas from one page's tables, following ``#anchor`` links and headings."""

    def __init__(self, sections: list[yfm.Section], data_types: DataTypes, api: int) -> None:
        self.sections = sections
        self.groups = page_groups(sections)
        self.data_types = data_types
        self.api = api
        self._active: set[int] = set()
        self._active_types: set[str] = set()

    def span_groups(self, start: int) -> list[Group]:
        """Groups inside the section at ``start`` and its subsections."""
        span = yfm.section_span(self.sections, start)
        last = start + len(span)
        return [group for group in self.groups if start <= group.index < last]

    def resolve(self, token: str) -> Schema | None:
        key = token.lower()
        for group in self.groups:
            if key in (group.key, (group.anchor or "").lower()):
                return self.object_of(group, self.groups)
        group = self.data_types.groups.get(key)
        if group is None or key in self._active_types:
            return None
        self._active_types.add(key)
        try:
            properties, _required = self.properties(group.rows, [])
        finally:
            self._active_types.discard(key)
        return {"type": "object", "properties": properties}

    def object_of(self, group: Group, candidates: list[Group]) -> Schema | None:
        if group.index in self._active:
            return None
        self._active.add(group.index)
        try:
            properties, required = self.properties(group.rows, candidates)
        finally:
            self._active.discard(group.index)
        schema: Schema = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        return schema

    def properties(
        self, rows: list[yfm.Row], candidates: list[Group]
    ) -> tuple[dict[str, Schema], list[str]]:
        """Return (properties, required names) for the rows of one table."""
        properties: dict[str, Schema] = {}
        required: list[str] = []
        for row in rows:
            if not row.name or row.name in properties:
                continue
            properties[row.name] = self.row_schema(row, candidates)
            if row.required:
                required.append(row.name)
        return properties, required

    def row_schema(self, row: yfm.Row, candidates: list[Group]) -> Schema:
        base = tokens_schema(row.types, self.resolve)
        child = self._child_group(row, candidates)
        if child is not None:
            nested = self.object_of(child, candidates)
            if nested is not None:
                base = _attach(base, nested)
        return self._with_enum(base, row)

    def _child_group(self, row: yfm.Row, candidates: list[Group]) -> Group | None:
        links = yfm.links(row.description) + row.type_links
        anchors = {link[1:].lower() for link in links if link.startswith("#")}
        for group in self.groups:
            if group.anchor and group.anchor.lower() in anchors and group.index not in self._active:
                return group
        name = row.name.lower()
        for group in candidates:
            if group.key == name and group.index not in self._active:
                return group
        return None

    def _with_enum(self, schema: Schema, row: yfm.Row) -> Schema:
        kind = schema.get("type")
        if kind not in _SCALARS and kind is not None:
            return schema
        values = [v.strip() for v in _ENUM_LINE.findall(row.description)]
        values = list(dict.fromkeys(v for v in values if _ENUM_VALUE.match(v)))
        if len(values) < 2 or kind is None and not row.types:
            return schema
        return _enum_schema(schema, values, self.api)


def _attach(base: Schema, nested: Schema) -> Schema:
    tag = {k: v for k, v in base.items() if k.startswith("x-")}
    if base.get("type") == "array":
        return {"type": "array", "items": nested, **tag}
    return {**nested, **tag}


def _enum_schema(schema: Schema, values: list[str], api: int) -> Schema:
    kind = schema.get("type")
    if kind == "integer":
        if not all(re.fullmatch(r"-?\d+", v) for v in values):
            return schema
        return {**schema, "enum": [int(v) for v in values]}
    if kind == "boolean":
        if set(values) == {"Y", "N"} and api == 2:
            return {"type": "string", "enum": ["Y", "N"], "x-bitrix-type": "boolean"}
        return schema
    if kind == "string":
        return {**schema, "enum": values}
    return schema
