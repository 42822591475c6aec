"""Entity schemas (``schemas/entities/<entity>.json``) from the docs' field tables.

An entity (``crm.deal``, ``crm.item``, ``tasks.task``, ``user``, ...) is read from its field
tables, then from its ``*.fields`` descriptor, then from the tables and response examples of the
methods that return it. Sources, in order of precedence: override, field table, fields
descriptor, method page table, example. An example only adds fields; it never narrows a type.
The methods that return or take the entity then refer to it (``x-entity``) instead of carrying an
example's shape.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from b24typed.fieldtypes import is_money_name, is_portal_field
from codegen import schemafile
from codegen.importers import examples, yfm
from codegen.importers.descriptors import descriptor_fields
from codegen.importers.fieldtree import documented_values
from codegen.importers.lenient import loosen, widen
from codegen.importers.pages import MethodPage
from codegen.importers.types import Schema, json_type, split_tokens, token_schema

TABLE = "table"
DESCRIPTOR = "fields-descriptor"
METHOD_TABLE = "method-table"
EXAMPLE = "example"
OVERRIDE = "override"
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ID_NAME = re.compile(r"(^|_)ID$|^id$|[a-z]Id$")
_YES_NO = re.compile(r"`Y`|\bY/N\b|\bY\b.{0,40}\bN\b")
_MONEY_LIKE = frozenset({"double", "float", "number", "integer", "string"})
_MAIN = "api-reference/crm/main-entities-fields.md"
_ITEM = "api-reference/crm/universal/object-fields.md"


@dataclass(frozen=True)
class EntitySpec:
    """Where one entity's fields are documented and which methods use it."""

    name: str  # crm.deal
    model: str  # Deal
    tables: tuple[str, ...]  # "page.md#Section title" (every table under that heading)
    prefix: str | None  # methods <prefix>.get|list|add|update return or take the entity
    extra_methods: tuple[str, ...] = ()  # other methods that return it
    descriptor: bool = True  # the *.fields answer names the fields as reads do
    writes: bool = True  # add/update take these fields (same names) in ``fields``
    wrapper: str | None = None  # other <prefix>.* methods whose result wraps it in this key
    from_examples: bool = True  # example keys no table lists become fields


SPECS: tuple[EntitySpec, ...] = (
    EntitySpec("crm.deal", "Deal", (f"{_MAIN}#Deals",), "crm.deal"),
    EntitySpec("crm.lead", "Lead", (f"{_MAIN}#Leads",), "crm.lead"),
    EntitySpec("crm.contact", "Contact", (f"{_MAIN}#Contacts",), "crm.contact"),
    EntitySpec("crm.company", "Company", (f"{_MAIN}#Companies",), "crm.company"),
    EntitySpec("crm.requisite", "Requisite", (f"{_MAIN}#General Requisites",), "crm.requisite"),
    EntitySpec(
        "crm.requisite.bankdetail",
        "BankDetail",
        (f"{_MAIN}#Bank Details",),
        "crm.requisite.bankdetail",
    ),
    EntitySpec("crm.address", "Address", (f"{_MAIN}#Addresses of Requisites",), "crm.address"),
    EntitySpec("crm.activity", "Activity", (f"{_MAIN}#Activities",), "crm.activity"),
    EntitySpec("crm.quote", "Quote", (), "crm.quote"),
    EntitySpec(
        "crm.item",
        "Item",
        tuple(
            f"{_ITEM}#{section}"
            for section in (
                "Common Fields",
                "Lead",
                "Deal",
                "Contact",
                "Company",
                "Estimate",
                "Invoice",
                "SPA",
            )
        ),
        "crm.item",
        wrapper="item",
    ),
    # tasks.task.* read camelCase fields; tasks.task.fields and add/update use UPPER_CASE ones
    EntitySpec(
        "tasks.task",
        "Task",
        ("api-reference/tasks/fields.md#Task Fields",),
        "tasks.task",
        descriptor=False,
        writes=False,
        wrapper="task",
    ),
    EntitySpec(
        "user",
        "User",
        ("api-reference/user/user-add.md#Method Parameters",),
        "user",
        ("user.search", "user.current"),
    ),
)


# The field descriptors of every ``*.fields`` / ``*.getFields`` answer: one shared model.
DESCRIPTOR_SPEC = EntitySpec(
    "common.field_descriptor",
    "FieldDescriptor",
    ("api-reference/crm/data-types.md#Description of a Single Field crm_rest_field_description",),
    None,
    descriptor=False,
    writes=False,
    from_examples=False,  # sub-descriptors of some answers are not descriptor keys
)


def _section_rows(docs_root: Path, reference: str) -> list[tuple[yfm.Row, list[str]]]:
    """Rows (with their cells) of every field table directly under one heading of a page."""
    page, _, title = reference.partition("#")
    path = docs_root / page
    text = yfm.inline_includes(path.read_text(encoding="utf-8"), path, docs_root)
    found: list[tuple[yfm.Row, list[str]]] = []
    for section in yfm.sections(text):
        clean = re.sub(r"\s*\{#[^}]*\}\s*$", "", section.title).strip()
        if clean.lower() != title.lower():
            continue
        for table in yfm.tables(section.text):
            if yfm.is_field_table(table):
                found.extend(yfm.field_cells(table))
    return found


def _table_field(row: yfm.Row, cells: list[str], header: list[str]) -> dict[str, Any]:
    tokens = split_tokens(row.types)
    token = tokens[0] if tokens else ""
    multiple = token.endswith("[]")
    token = token[:-2] if multiple else token
    field: dict[str, Any] = {
        "type": token.lower() or "any",
        "multiple": multiple or token.lower() == "crm_multifield",
        "read_only": False,
        "required": row.required,
        "source": TABLE,
    }
    columns = [cell.lower() for cell in header]
    if "**write**" in columns or "write" in " ".join(columns):
        index = next(i for i, cell in enumerate(columns) if "write" in cell)
        if index < len(cells) and cells[index].strip().lower().startswith("no"):
            field["read_only"] = True
    values = documented_values(row.description)
    if len(values) >= 2:
        field["values"] = values
    elif field["type"] in ("char", "boolean") and _YES_NO.search(row.description):
        field["values"] = ["Y", "N"]
    return field


def table_fields(docs_root: Path, spec: EntitySpec) -> dict[str, dict[str, Any]]:
    fields: dict[str, dict[str, Any]] = {}
    for reference in spec.tables:
        header = _header(docs_root, reference)
        for row, cells in _section_rows(docs_root, reference):
            if row.name in fields or is_portal_field(row.name) or "." in row.name:
                continue
            fields[row.name] = _table_field(row, cells, header)
    return fields


def _header(docs_root: Path, reference: str) -> list[str]:
    page, _, title = reference.partition("#")
    path = docs_root / page
    for section in yfm.sections(path.read_text(encoding="utf-8")):
        clean = re.sub(r"\s*\{#[^}]*\}\s*$", "", section.title).strip()
        if clean.lower() == title.lower():
            for table in yfm.tables(section.text):
                return table.header
    return []


def descriptor_index(pages: list[MethodPage]) -> dict[tuple[int, str], dict[str, Any]]:
    """(api, method prefix) -> the raw field descriptor map of its ``*.fields`` page."""
    from codegen.importers.docs import method_kind

    index: dict[tuple[int, str], dict[str, Any]] = {}
    for page in pages:
        if method_kind(page.method) != "fields":
            continue
        response = examples.response_example(yfm.sections(page.text))
        found = descriptor_fields(response.get("result") if isinstance(response, dict) else None)
        if found is not None:
            index.setdefault((page.api, page.method.rsplit(".", 1)[0]), found[1])
    return index


def _descriptor_field(raw: dict[str, Any]) -> dict[str, Any]:
    field: dict[str, Any] = {
        "type": str(raw.get("type") or "any").lower(),
        "multiple": raw.get("isMultiple") is True,
        "read_only": raw.get("isReadOnly") is True,
        "required": raw.get("isRequired") is True,
        "source": DESCRIPTOR,
    }
    items = raw.get("items")
    if isinstance(items, list):
        values = [str(i["ID"]) for i in items if isinstance(i, dict) and "ID" in i]
        if values:
            field["values"] = values
    if isinstance(raw.get("statusType"), str):
        field["status_type"] = raw["statusType"]
    return field


def _merge_descriptor(fields: dict[str, dict[str, Any]], raw: dict[str, Any]) -> None:
    for name, value in raw.items():
        if not isinstance(value, dict) or is_portal_field(name):
            continue
        found = _descriptor_field(value)
        current = fields.get(name)
        if current is None:
            fields[name] = found
            continue
        # The table's type wins; the descriptor says what the table cannot.
        current["multiple"] = current["multiple"] or found["multiple"]
        current["read_only"] = current["read_only"] or found["read_only"]
        current["required"] = current["required"] or found["required"]
        if "status_type" in found:
            current["status_type"] = found["status_type"]
        if current["type"] == "any":
            current["type"] = found["type"]


def _schema_type(schema: Schema) -> str:
    """A docs type name for a property of a method's table (back from JSON Schema)."""
    tag = schema.get("x-bitrix-type")
    if isinstance(tag, str):
        return tag.lower()
    kinds = schema.get("type")
    kinds = [kinds] if isinstance(kinds, str) else list(kinds or [])
    first = next((k for k in kinds if k != "null"), "any")
    if first == "string" and schema.get("format") == "date-time":
        return "datetime"
    if first == "string" and schema.get("format") == "date":
        return "date"
    return {"number": "double", "array": "array", "object": "object"}.get(first, first)


def _example_type(name: str, value: Any) -> str:
    """A docs type name from an example value: never narrower than the value proves."""
    if _ID_NAME.search(name) and json_type(value) in ("integer", "string"):
        text = str(value)
        if text.lstrip("-").isdigit() or text == "":
            return "integer"
    kind = json_type(value)
    if kind == "string":
        if _ISO_DATETIME.match(value):
            return "datetime"
        if _ISO_DATE.match(value):
            return "date"
        return "string"
    return {"integer": "double", "number": "double", "null": "any"}.get(kind, kind)


@dataclass
class Slots:
    """Where a method's documents hold the entity."""

    result: list[Schema]
    params: list[Schema]


def _wrapper_key(result: Schema, example: Any, wanted: str | None = None) -> str | None:
    props = result.get("properties")
    if wanted is not None and isinstance(props, dict) and wanted in props:
        value = example.get(wanted) if isinstance(example, dict) else None
        return wanted if isinstance(value, dict) else None
    if not isinstance(props, dict) or len(props) != 1:
        return None
    ((key, _),) = props.items()
    value = example.get(key) if isinstance(example, dict) else None
    return key if isinstance(value, dict) else None


def entity_samples(document: dict[str, Any], wrapper: str | None = None) -> list[dict[str, Any]]:
    """The entity objects in a method's response example."""
    if document.get("kind") == "fields":
        found = descriptor_slot(copy.deepcopy(document))
        return [v for v in found[1].values() if isinstance(v, dict)] if found else []
    present, value = examples.response_result(document.get("examples", {}).get("response"))
    if not present:
        return []
    listing = document.get("list")
    if listing is not None:
        key = listing.get("items_key")
        items = value.get(key) if key and isinstance(value, dict) else value
        return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
    if not isinstance(value, dict):
        return []
    key = _wrapper_key(document.get("result") or {}, value, wrapper)
    inner = value.get(key) if key else value
    return [inner] if isinstance(inner, dict) else []


def result_slot(document: dict[str, Any], wrapper: str | None = None) -> tuple[Schema, str] | None:
    """(the schema that holds the entity, "one" or "many") in a method's result."""
    result = document.get("result")
    if not isinstance(result, dict):
        return None
    listing = document.get("list")
    kind = document.get("kind")
    if listing is not None:
        key = listing.get("items_key")
        holder = result
        if key:
            holder = result.setdefault("properties", {}).setdefault(key, {})
        elif "array" not in (result.get("type") or []):
            return None  # the docs' example is not a list (a misplaced envelope)
        holder["type"] = ["array", "null"]
        return holder, "many"
    if kind == "list" and "array" in (result.get("type") or []):
        result["type"] = ["array", "null"]
        return result, "many"
    if kind not in ("get", "add", "update", "action"):
        return None
    present, value = examples.response_result(document.get("examples", {}).get("response"))
    key = _wrapper_key(result, value, wrapper) if present else None
    if key is not None:
        return result["properties"][key], "one"
    if kind == "get" and (not present or isinstance(value, dict)):
        return result, "one"
    return None


def build_entity(
    docs_root: Path,
    spec: EntitySpec,
    documents: dict[tuple[int, str], dict[str, Any]],
    descriptors: dict[tuple[int, str], dict[str, Any]],
    commit: str,
) -> dict[str, Any]:
    fields = table_fields(docs_root, spec)
    sources = list(spec.tables)
    bound = bound_documents(spec, documents)
    if spec.descriptor and spec.prefix is not None and (2, spec.prefix) in descriptors:
        known = set(fields) | {n for d in bound for n in _slot_names(d, spec.wrapper)}
        raw = descriptors[(2, spec.prefix)]
        if spec.tables or 2 * len(known & set(raw)) >= len(raw):  # same naming as the reads
            _merge_descriptor(fields, raw)
            sources.append(f"{spec.prefix}.fields")
    for document in bound:  # the methods' own tables first: they outrank any example
        for name, schema in _documented(document, spec):
            if name not in fields and not is_portal_field(name):
                fields[name] = _plain(_schema_type(schema), METHOD_TABLE)
    for document in bound:
        for sample in entity_samples(document, spec.wrapper):
            for name, value in sample.items():
                _flag_evidence(fields.get(name), value)
                if spec.from_examples and name not in fields and not is_portal_field(name):
                    field = _plain(_example_type(name, value), EXAMPLE)
                    field["multiple"] = isinstance(value, list)
                    if field["multiple"]:
                        field["type"] = _example_type(name, value[0]) if value else "any"
                    fields[name] = field
    for name, field in fields.items():
        if is_money_name(name) and field["type"] in _MONEY_LIKE and not field["multiple"]:
            field["docs_type"], field["type"] = field["type"], "money"
    for document in bound:
        for sample in entity_samples(document, spec.wrapper):
            for name, value in sample.items():
                _widen_to_fit(fields.get(name), value)
    return {
        "entity": spec.name,
        "model": spec.model,
        "api": 2,
        "doc": sources[0].split("#")[0] if spec.tables else None,
        "methods": sorted(d["method"] for d in bound),
        "writes": spec.writes,
        "wrapper": spec.wrapper,
        "fields": {name: fields[name] for name in sorted(fields)},
        "source": {"docs_commit": commit, "tables": sources},
    }


def _slot_schema(document: dict[str, Any], wrapper: str | None) -> Schema:
    slot = result_slot(copy.deepcopy(document), wrapper)
    if slot is None:
        return {}
    holder = slot[0].get("items", {}) if slot[1] == "many" else slot[0]
    return holder if isinstance(holder, dict) else {}


def _slot_names(document: dict[str, Any], wrapper: str | None) -> list[str]:
    return list(_slot_schema(document, wrapper).get("properties") or {})


def _documented(document: dict[str, Any], spec: EntitySpec) -> list[tuple[str, Schema]]:
    """Fields a method's own tables type: its result's entity, and the ``fields`` it takes."""
    found = list((_slot_schema(document, spec.wrapper).get("properties") or {}).items())
    if spec.writes and document.get("kind") in ("add", "update"):
        params = document.get("params", {}).get("properties", {})
        taken = params.get("fields") or params.get("FIELDS") or {}
        found += list((taken.get("properties") or {}).items())
    return [
        (name, schema)
        for name, schema in found
        if isinstance(schema, dict) and schema.get("x-source") == TABLE
    ]


def _widen_to_fit(field: dict[str, Any] | None, value: Any) -> None:
    """A field whose read type rejects a value a docs example shows reads anything: the model
    must never reject real data (the docs type stays in ``docs_type``)."""
    if field is None or value is None or field["type"] == "any":
        return
    if not fits(field, value):
        field["docs_type"] = field["type"]
        field["type"] = "any"


_ADAPTERS: dict[str, Any] = {}


def fits(field: dict[str, Any], value: Any) -> bool:
    """Whether the entity model's read type of ``field`` accepts ``value``."""
    from pydantic import TypeAdapter, ValidationError

    from b24typed.fieldtypes import python_type, read_type_namespace

    found = python_type(field["type"], multiple=field["multiple"], values=field.get("values"))
    adapter = _ADAPTERS.get(found.read)
    if adapter is None:
        namespace = read_type_namespace()
        namespace["Literal"] = __import__("typing").Literal
        adapter = TypeAdapter(eval(found.read, namespace))
        _ADAPTERS[found.read] = adapter
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True


def _flag_evidence(field: dict[str, Any] | None, value: Any) -> None:
    """A ``char`` field an example shows as ``"Y"``/``"N"`` is a Y/N flag."""
    if field is not None and field["type"] == "char" and value in ("Y", "N"):
        field.setdefault("values", ["Y", "N"])


def _plain(docs_type: str, source: str) -> dict[str, Any]:
    return {
        "type": docs_type,
        "multiple": False,
        "read_only": False,
        "required": False,
        "source": source,
    }


def bound_documents(
    spec: EntitySpec, documents: dict[tuple[int, str], dict[str, Any]]
) -> list[dict[str, Any]]:
    names = list(spec.extra_methods)
    if spec.prefix is not None:
        names += [f"{spec.prefix}.{verb}" for verb in ("get", "list", "add", "update")]
    if spec is DESCRIPTOR_SPEC:
        return [d for key, d in sorted(documents.items()) if descriptor_slot(d) is not None]
    if spec.wrapper is not None and spec.prefix is not None:
        for (api, name), document in sorted(documents.items()):
            if api == 2 and name.rsplit(".", 1)[0] == spec.prefix and name not in names:
                present, value = examples.response_result(
                    document.get("examples", {}).get("response")
                )
                found = _wrapper_key(document.get("result") or {}, value, spec.wrapper)
                if present and found == spec.wrapper:
                    names.append(name)
    return [documents[(2, name)] for name in names if (2, name) in documents]


def descriptor_slot(document: dict[str, Any]) -> tuple[Schema, dict[str, Any]] | None:
    """(the schema of a fields method's descriptor map, the example map) when it has one."""
    if document.get("kind") != "fields" or document.get("api") != 2:
        return None
    result = document.get("result")
    present, value = examples.response_result(document.get("examples", {}).get("response"))
    found = descriptor_fields(value) if present else None
    if not isinstance(result, dict) or found is None:
        return None
    wrapper, fields = found
    if wrapper is None:
        return result, fields
    holder = result.setdefault("properties", {}).setdefault(wrapper, {})
    return holder, fields


def apply_override(entity: dict[str, Any], override: dict[str, Any] | None) -> dict[str, Any]:
    if override is None:
        return entity
    patched = schemafile.merge_patch(entity, override.get("patch", {}))
    for name, field in (override.get("patch", {}).get("fields") or {}).items():
        if isinstance(field, dict) and name in patched["fields"]:
            patched["fields"][name]["source"] = OVERRIDE
    patched["source"] = {**patched["source"], "override": override["reason"]}
    return patched


# --- entity -> JSON Schema, for the methods that refer to it ----------------------------------


def field_schema(field: dict[str, Any]) -> Schema:
    """The strict JSON Schema of one entity field (docs type kept as ``x-bitrix-type``)."""
    schema = token_schema(field["type"], lambda _token: None)
    schema = {k: v for k, v in schema.items() if k != "anyOf"} if "anyOf" in schema else schema
    schema.setdefault("x-bitrix-type", field["type"])
    if field.get("values") and schema.get("type") == "string":
        schema["enum"] = list(field["values"])
    if field["multiple"]:
        schema = {"type": "array", "items": schema}
    return schema


def result_schema(entity: dict[str, Any]) -> Schema:
    """The permissive schema of the entity as methods return it (every wire form accepted)."""
    properties: dict[str, Schema] = {}
    for name, field in entity["fields"].items():
        prop = loosen(field_schema(field))
        prop["x-source"] = field["source"]
        if field["read_only"]:
            prop["readOnly"] = True
        properties[name] = prop
    schema: Schema = {
        "type": ["object", "null"],
        "properties": properties,
        "additionalProperties": True,
    }
    return {**schema, "x-entity": entity["entity"], "x-model": entity["model"]}


def params_schema(entity: dict[str, Any]) -> Schema:
    """The schema of the ``fields`` argument of add and update: the writable fields."""
    properties = {
        name: {**field_schema(field), "x-source": field["source"]}
        for name, field in entity["fields"].items()
        if not field["read_only"]
    }
    return {
        "type": "object",
        "properties": properties,
        "x-entity": entity["entity"],
        "x-model": f"{entity['model']}Fields",
    }


def bind(entity: dict[str, Any], documents: dict[tuple[int, str], dict[str, Any]]) -> None:
    """Make the methods of an entity refer to it: results and ``fields`` arguments."""
    for name in entity["methods"]:
        document = documents[(2, name)]
        keyed = descriptor_slot(document) if entity["entity"] == DESCRIPTOR_SPEC.name else None
        if keyed is not None:
            keyed[0].clear()
            keyed[0].update(
                {
                    "type": ["object", "null"],
                    "additionalProperties": result_schema(entity),
                }
            )
            continue
        slot = result_slot(document, entity.get("wrapper"))
        if slot is not None:
            holder, count = slot
            target = holder.setdefault("items", {}) if count == "many" else holder
            target.clear()
            target.update(result_schema(entity))
            present, value = examples.response_result(document.get("examples", {}).get("response"))
            if present:
                widen(document["result"], value)
        params = document.get("params", {}).get("properties", {})
        if entity["writes"] and document.get("kind") in ("add", "update"):
            for key in ("fields", "FIELDS"):
                if isinstance(params.get(key), dict):
                    params[key] = params_schema(entity)


# Names of entities found from their methods alone (the rest are named after their prefix).
AUTO_NAMES = {
    "crm.item.productrow": "ProductRow",
    "disk.file": "DiskFile",
    "disk.folder": "DiskFolder",
    "disk.storage": "DiskStorage",
    "calendar.event": "CalendarEvent",
    "department": "Department",
    "sonet_group": "SonetGroup",
    "catalog.product": "Product",
    "sale.order": "Order",
}


def auto_specs(documents: dict[tuple[int, str], dict[str, Any]]) -> list[EntitySpec]:
    """Entities the curated list lacks: every method prefix whose get, list, add or update
    results (two of them at least) hold one object, typed from those methods' own tables."""
    from codegen.generator.naming import pascal_case

    taken = {spec.prefix for spec in SPECS}
    found: dict[str, int] = {}
    for (api, name), document in sorted(documents.items()):
        if api != 2 or document.get("kind") not in ("get", "list", "add", "update"):
            continue
        prefix = name.rsplit(".", 1)[0]
        if prefix in taken or "." not in name:
            continue
        if _slot_schema(document, None).get("properties"):
            found[prefix] = found.get(prefix, 0) + 1
    return [
        EntitySpec(
            prefix,
            AUTO_NAMES.get(prefix) or pascal_case(*prefix.split(".")),
            (),
            prefix,
            writes=False,
        )
        for prefix, count in sorted(found.items())
        if count >= 2
    ]


def import_entities(
    docs_root: Path, pages: list[MethodPage], documents: list[dict[str, Any]], commit: str
) -> list[dict[str, Any]]:
    """Build every entity, bind its methods to it (in place) and return the entities."""
    by_key = {(d["api"], d["method"]): d for d in documents}
    descriptors = descriptor_index(pages)
    overrides = load_entity_overrides()
    entities = []
    for spec in (*SPECS, *auto_specs(by_key), DESCRIPTOR_SPEC):
        entity = build_entity(docs_root, spec, by_key, descriptors, commit)
        entity = apply_override(entity, overrides.get(spec.name))
        bind(entity, by_key)
        entities.append(entity)
    return entities


ENTITY_OVERRIDES = schemafile.OVERRIDES / "entities"


def load_entity_overrides() -> dict[str, dict[str, Any]]:
    if not ENTITY_OVERRIDES.is_dir():
        return {}
    return {path.stem: schemafile.load(path) for path in sorted(ENTITY_OVERRIDES.glob("*.json"))}
