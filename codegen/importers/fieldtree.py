"""Turn a page's field tables into JSON Schema object trees (parameters and returned data)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from codegen.importers import yfm
from codegen.importers.types import Schema, tokens_schema

_TITLE_NOISE = frozenset(
    {
        "parameter",
        "parameters",
        "param",
        "params",
        "object",
        "objects",
        "field",
        "fields",
        "type",
        "structure",
        "description",
        "of",
        "the",
        "array",
    }
)
_ENUM_LINE = re.compile(r"^\s*[-*]\s*`([^`\n]+)`\s*(?:[\u2013\u2014:-]|\(|$)", flags=re.MULTILINE)
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
    """Reduce a heading like ``Parameter fields`` or ``Deal Type`` to ``fields`` / ``deal``."""
    words = re.sub(r"[`*]", "", title).lower().split()
    while len(words) > 1 and words[0] in _TITLE_NOISE:
        words.pop(0)
    while len(words) > 1 and words[-1] in _TITLE_NOISE:
        words.pop()
    return " ".join(words)


def page_groups(sections: list[yfm.Section]) -> list[Group]:
    groups: list[Group] = []
    for index, section in enumerate(sections):
        found = [yfm.field_rows(t) for t in yfm.tables(section.text) if yfm.is_field_table(t)]
        found = [rows for rows in found if rows]
        if found:
            groups.append(Group(index, heading_key(section.title), section.anchor, found))
    return groups


class Library:
    """Shared lookups across pages: ``data-types.md`` object tables and other pages' tables."""

    def __init__(self, docs_root: Path) -> None:
        self.docs_root = docs_root.resolve()
        self.data_types: dict[str, Group] = {}
        self._builders: dict[tuple[Path, int], TreeBuilder] = {}
        self.depth = 0
        for relative in _DATA_TYPE_PAGES:
            path = docs_root / relative
            if path.is_file():
                for group in page_groups(yfm.sections(path.read_text(encoding="utf-8"))):
                    for key in (group.anchor, group.key):
                        if key:
                            self.data_types.setdefault(key.lower(), group)

    def builder(self, path: Path, api: int) -> TreeBuilder | None:
        """The (cached) tree builder of another docs page, or None outside the docs."""
        path = path.resolve()
        if not path.is_file() or self.docs_root not in path.parents:
            return None
        key = (path, api)
        if key not in self._builders:
            sections = yfm.sections(path.read_text(encoding="utf-8"))
            self._builders[key] = TreeBuilder(sections, self, api, path)
        return self._builders[key]


class TreeBuilder:
    """Builds object schemas from one page's tables, following ``#anchor`` links and headings."""

    def __init__(self, sections: list[yfm.Section], library: Library, api: int, path: Path) -> None:
        self.sections = sections
        self.groups = page_groups(sections)
        self.library = library
        self.api = api
        self.path = path
        self._active: set[int] = set()
        self._active_types: set[str] = set()

    def span_groups(self, start: int) -> list[Group]:
        """Groups inside the section at ``start`` and its subsections."""
        span = yfm.section_span(self.sections, start)
        last = start + len(span)
        return [group for group in self.groups if start <= group.index < last]

    def resolve(self, token: str) -> Schema | None:
        """Object schema for a page-local or data-types name such as ``deal`` or ``sale_order``."""
        key = token.lower()
        for group in self.groups:
            if key in (group.key, (group.anchor or "").lower()):
                return self.object_of(group, self.groups)
        shared = self.library.data_types.get(key)
        if shared is None or key in self._active_types:
            return None
        self._active_types.add(key)
        try:
            properties, _required = self.properties(shared.rows, [])
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
        """Return (properties, required names) for the rows of one table.

        A row named ``x[]`` describes the items of the array ``x``.
        """
        properties: dict[str, Schema] = {}
        required: list[str] = []
        for row in rows:
            if not row.name or row.name in properties:
                continue
            schema = self.row_schema(row, candidates)
            base = row.name[:-2]
            if row.name.endswith("[]") and base in properties:
                properties[base] = {**properties[base], "type": "array", "items": schema}
                continue
            properties[row.name] = schema
            if row.required:
                required.append(row.name)
        return properties, required

    def row_schema(self, row: yfm.Row, candidates: list[Group]) -> Schema:
        base = tokens_schema(row.types, self.resolve)
        nested = self._linked_object(row, candidates)
        if nested is not None:
            base = _attach(base, nested)
        return self._with_enum(base, row)

    def _linked_object(self, row: yfm.Row, candidates: list[Group]) -> Schema | None:
        links = yfm.links(row.description) + row.type_links
        anchors = {link[1:].lower() for link in links if link.startswith("#")}
        for group in self.groups:
            if group.anchor and group.anchor.lower() in anchors and group.index not in self._active:
                return self.object_of(group, candidates)
        name = row.name.lower()
        for group in candidates:
            if group.key == name and group.index not in self._active:
                return self.object_of(group, candidates)
        for link in links:
            if ".md#" in link and not link.startswith(("http", "/")):
                found = self._other_page_object(link)
                if found is not None:
                    return found
        return None

    def _other_page_object(self, link: str) -> Schema | None:
        target, anchor = link.split("#", 1)
        other = self.library.builder(self.path.parent / target, self.api)
        if other is None or other is self or self.library.depth > 2:
            return None
        for group in other.groups:
            if group.anchor and group.anchor.lower() == anchor.lower():
                self.library.depth += 1
                try:
                    return other.object_of(group, [])
                finally:
                    self.library.depth -= 1
        return None

    def _with_enum(self, schema: Schema, row: yfm.Row) -> Schema:
        kind = schema.get("type")
        if kind not in _SCALARS and kind is not None:
            return schema
        values = documented_values(row.description)
        if len(values) < 2 or (kind is None and not row.types):
            return schema
        return _enum_schema(schema, values, self.api)


def documented_values(description: str) -> list[str]:
    """The backticked values a row's description lists after "values" (``- `Y` — yes``)."""
    start = description.lower().find("value")
    if start < 0:
        return []
    values = [v.strip() for v in _ENUM_LINE.findall(description[start:])]
    return list(dict.fromkeys(v for v in values if _ENUM_VALUE.match(v)))


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
