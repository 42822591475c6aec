"""How precise the generated types are, over live documented methods (``report`` prints it).

Every figure is measured on what the generator emits: each result field's annotation comes from
the generator's own type function (:class:`codegen.generator.types.ModelsModule`).
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from b24typed.fieldtypes import is_money_name
from codegen.coverage import is_live
from codegen.generator.types import ModelsModule, schema_types
from codegen.importers.entities import result_slot
from codegen.importers.types import Schema

AUTHORITATIVE = frozenset({"table", "fields-descriptor", "override", "openapi", "method-table"})
_BOOL = frozenset({"Flag", "LBool"})
_DATETIME = frozenset({"DateTime", "LDateTime"})
_MONEY_TAGS = frozenset({"double", "money"})
# Attributes and literal values named after one portal's own fields, in generated code.
PORTAL_NAMES = re.compile(
    r"\b(uf_crm_\d\w*|uf_crm_?\d\w*|parent_id_?\d{2,}\w*)\s*:"  # attributes
    r"|\"(UF_CRM_\d[^\"]*|ufCrm_?\d[^\"]*|parentId\d+|UF_CRM_\.\.\.|PARENT_ID_\.\.\.)\""  # keys
)


@dataclass
class TypeFigures:
    methods: int = 0
    fields: int = 0
    authoritative: int = 0
    flags: int = 0
    flags_bool: int = 0
    char_not_flags: int = 0
    datetimes: int = 0
    datetimes_typed: int = 0
    money: int = 0
    money_decimal: int = 0
    money_misses: list[str] = field(default_factory=list)
    any_results: list[tuple[str, str]] = field(default_factory=list)
    differing: list[str] = field(default_factory=list)
    portal_names: list[str] = field(default_factory=list)
    sources: Counter[str] = field(default_factory=Counter)


def _properties(schema: Any) -> Iterator[tuple[str, Schema]]:
    """Every (name, schema) property of a result schema tree."""
    if not isinstance(schema, dict):
        return
    for name, prop in (schema.get("properties") or {}).items():
        if isinstance(prop, dict):
            yield name, prop
            yield from _properties(prop)
    for key in ("items", "additionalProperties"):
        yield from _properties(schema.get(key))
    for branch in schema.get("anyOf") or []:
        yield from _properties(branch)


def _values(schema: Schema) -> list[Any]:
    found = schema.get("x-enum") or schema.get("enum") or []
    return list(found) if isinstance(found, list) else []


def measure(documents: list[dict[str, Any]], generated: Path | None) -> TypeFigures:
    figures = TypeFigures()
    models = ModelsModule()
    live = [d for d in documents if is_live(d)]
    figures.methods = len(live)
    for document in live:
        for name, prop in _properties(document.get("result")):
            _count_field(figures, models, document["method"], name, prop)
        reason = any_reason(models, document)
        if reason is not None:
            figures.any_results.append((document["method"], reason))
    figures.differing = differing_fields(live, models)
    if generated is not None:
        figures.portal_names = portal_names(generated)
    return figures


def _count_field(
    figures: TypeFigures, models: ModelsModule, method: str, name: str, prop: Schema
) -> None:
    figures.fields += 1
    source = prop.get("x-source", "unmarked")
    figures.sources[source] += 1
    figures.authoritative += int(source in AUTHORITATIVE)
    tag = prop.get("x-bitrix-type")
    scalar = not ({"object", "array"} & set(schema_types(prop)))
    if not scalar:
        return
    annotation = models.result_type(prop, "Measured")
    values = [v for v in _values(prop) if isinstance(v, str)]
    if tag in ("char", "boolean") or (values and set(values) == {"Y", "N"}):
        if tag == "char" and not (values and set(values) <= {"Y", "N"}):
            figures.char_not_flags += 1
        else:
            figures.flags += 1
            figures.flags_bool += int(annotation in _BOOL)
    if tag == "datetime":
        figures.datetimes += 1
        figures.datetimes_typed += int(annotation in _DATETIME)
    numeric = {"number", "integer"} & set(schema_types(prop))
    if tag in _MONEY_TAGS or (numeric and is_money_name(name)):
        figures.money += 1
        if annotation == "Money":
            figures.money_decimal += 1
        else:
            figures.money_misses.append(f"{method} {name}: {annotation}")


def any_reason(models: ModelsModule, document: dict[str, Any]) -> str | None:
    """Why a method's result is ``Any`` (None when it is typed)."""
    result = document.get("result")
    if models.root_result(result, "Measured", "") is not None:
        return None
    if not result:
        return "the page documents no result"
    if "anyOf" in result or "oneOf" in result:
        return "the docs allow several shapes"
    types = schema_types(result)
    if not types:
        return "the result has no type in the docs"
    return f"the docs type it {' or '.join(types)}"


def differing_fields(documents: list[dict[str, Any]], models: ModelsModule) -> list[str]:
    """Entity fields (get, list, add and update results of one prefix) typed differently.

    Results bound to an entity model share it; the others are compared field by field."""
    by_prefix: dict[str, dict[str, set[str]]] = {}
    for document in documents:
        if document.get("kind") not in ("get", "list", "add", "update"):
            continue
        found = result_slot(copy.deepcopy(document))
        if found is None:
            continue
        holder, count = found
        entity = holder.get("items") if count == "many" else holder
        if not isinstance(entity, dict):
            continue
        if isinstance(entity.get("x-entity"), str):  # one shared model: one type per field
            continue
        prefix = document["method"].rsplit(".", 1)[0]
        fields = by_prefix.setdefault(prefix, {})
        for name, prop in (entity.get("properties") or {}).items():
            if isinstance(prop, dict) and not ({"object", "array"} & set(schema_types(prop))):
                fields.setdefault(name, set()).add(models.result_type(prop, "Measured"))
    return sorted(
        f"{prefix} {name}: {' / '.join(sorted(kinds))}"
        for prefix, fields in by_prefix.items()
        for name, kinds in fields.items()
        if len(kinds) > 1
    )


def portal_names(generated: Path) -> list[str]:
    """Attributes and dictionary keys of generated code named after one portal's fields."""
    found: list[str] = []
    for package in ("models", "methods"):
        for path in sorted((generated / package).rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if PORTAL_NAMES.search(line):
                    found.append(f"{path.relative_to(generated)}:{number}: {line.strip()}")
    return found


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.1f}%)" if whole else "0/0 (n/a)"


def lines(figures: TypeFigures, *, details: bool) -> list[str]:
    """The report's text."""
    sources = _share(figures.authoritative, figures.fields)
    out = [
        f"Types of live REST v2 methods ({figures.methods} methods,"
        f" {figures.fields} result fields):",
        f"  fields typed from an authoritative source: {sources}"
        f"  [{', '.join(f'{k} {v}' for k, v in sorted(figures.sources.items()))}]",
        f"  Y/N flags that are bool: {_share(figures.flags_bool, figures.flags)}"
        f"  (char fields without Y/N evidence, kept str: {figures.char_not_flags})",
        f"  documented datetimes that are datetime: "
        f"{_share(figures.datetimes_typed, figures.datetimes)}",
        f"  money fields that are Decimal: {_share(figures.money_decimal, figures.money)}",
        f"  generated names of one portal's fields: {len(figures.portal_names)}",
        f"  entity fields typed differently across get/list/add/update: {len(figures.differing)}",
        f"  methods whose result is Any: {len(figures.any_results)}",
    ]
    reasons = Counter(reason for _method, reason in figures.any_results)
    out += [f"    {count:4} {reason}" for reason, count in reasons.most_common()]
    if details:
        out.append("Any results:")
        out += [f"  {method}: {reason}" for method, reason in figures.any_results]
        out.append("Money fields not Decimal:")
        out += [f"  {line}" for line in figures.money_misses]
        out.append("Fields typed differently across methods of one entity:")
        out += [f"  {line}" for line in figures.differing]
        out.append("Generated names of one portal's fields:")
        out += [f"  {line}" for line in figures.portal_names]
    return out
