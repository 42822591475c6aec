"""Build one schema document (see schemas/README.md) from one method page of the docs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codegen.importers import errors, examples, yfm
from codegen.importers.descriptors import SOURCE, descriptor_fields, descriptor_object
from codegen.importers.fieldtree import Group, Library, TreeBuilder
from codegen.importers.lenient import EXAMPLE, loosen, mark, mark_money, widen
from codegen.importers.pages import MethodPage
from codegen.importers.types import Schema

_PARAMS_TITLE = re.compile(r"^(method )?parameters\b", flags=re.IGNORECASE)
_RETURNED_TITLE = re.compile(r"^returned (data|fields|values)", flags=re.IGNORECASE)
_ENVELOPE = frozenset({"result", "total", "next", "time", "error", "error_description"})
_KINDS = {
    "get": "get",
    "list": "list",
    "getlist": "list",
    "add": "add",
    "update": "update",
    "edit": "update",
    "delete": "delete",
    "fields": "fields",
    "getfields": "fields",
}
TABLE = "table"


@dataclass
class Context:
    """What building a page needs besides the page: docs location, commit, shared lookups."""

    docs_root: Path
    docs_commit: str
    library: Library
    descriptors: dict[tuple[int, str], tuple[str | None, Schema]] = field(default_factory=dict)


def method_kind(method: str) -> str:
    """Classify a method by its name: get, list, add, update, delete, fields or action."""
    if method.lower().endswith((".field.list", ".field.get")):
        return "fields"
    return _KINDS.get(method.rsplit(".", 1)[-1].lower(), "action")


def build_document(page: MethodPage, context: Context) -> dict[str, Any]:
    """Return the schema document of one method page."""
    text = yfm.inline_includes(page.text, context.docs_root / page.path, context.docs_root)
    sections = yfm.sections(text)
    builder = TreeBuilder(sections, context.library, page.api, context.docs_root / page.path)
    response = examples.response_example(sections)
    request = examples.request_example(text)
    kind = method_kind(page.method)
    params = _params_schema(builder, request)
    result = _result_schema(builder)
    listing = _list_info(page, kind, params, response, request)
    if kind == "get" and listing is not None and _result_is_array(response):
        kind = "list"
    _apply_descriptor(
        result, context.descriptors.get((page.api, _prefix(page.method))), kind, listing, response
    )
    present, value = examples.response_result(response)
    if present:
        widen(result, value)
        _require_wrapper(result, value)
        if isinstance(value, list) and value:
            _array_result(result)
        elif kind != "fields" and isinstance(value, dict) and value:
            _object_result(result)
    mark_money(result)
    return {
        "method": page.method,
        "api": page.api,
        "module": page.module,
        "scopes": page.scopes,
        "doc": page.doc,
        "deprecated": page.deprecated,
        "replacement": page.replacement,
        "kind": kind,
        "pagination": _pagination(page.api, kind, params, listing),
        "list": listing,
        "undocumented": False,
        "params": params,
        "result": result,
        "errors": errors.page_errors(text, page.api),
        "examples": _examples(response, request),
        "source": {"docs_commit": context.docs_commit, "path": page.doc},
        **({"todo": True} if page.todo else {}),
    }


def _array_result(result: Schema) -> None:
    """A result the docs call an object but the example shows as a list (``user.get``) is a
    list: the object's documented fields describe its items."""
    kinds = result.get("type")
    if not isinstance(kinds, list) or "object" not in kinds or "array" not in kinds:
        return
    items = result.setdefault("items", {"type": ["object", "null"]})
    properties = result.pop("properties", None) or {}
    if isinstance(items, dict) and properties and "object" in (items.get("type") or []):
        mine = items.setdefault("properties", {})
        for name, schema in properties.items():
            if name not in mine or mine[name].get("x-source") == EXAMPLE:
                mine[name] = schema
    result.pop("additionalProperties", None)
    result.pop("required", None)
    result["type"] = ["array", "null"]


def _object_result(result: Schema) -> None:
    """A result documented with fields and also typed as an array, whose example is one object
    (``disk.file.get``), is that object."""
    kinds = result.get("type")
    if not isinstance(kinds, list) or "object" not in kinds or "array" not in kinds:
        return
    if result.get("properties"):
        result.pop("items", None)
        result["type"] = ["object", "null"]


def _array_result(result: Schema) -> None:
    """A result the docs call an object without fields, whose example is a list (``user.get``,
    ``event.get``), is a list."""
    kinds = result.get("type")
    if not isinstance(kinds, list) or "object" not in kinds or "array" not in kinds:
        return
    if not result.get("properties") and isinstance(result.get("items"), dict):
        result.pop("additionalProperties", None)
        result["type"] = ["array", "null"]


def _require_wrapper(result: Schema, example: Any) -> None:
    """A result object whose only member holds the entity or the list (``{"item": {...}}``,
    ``{"tasks": [...]}``) always has that member: mark it required, so typed results need no
    ``None`` check."""
    properties = result.get("properties")
    if not isinstance(properties, dict) or len(properties) != 1 or not isinstance(example, dict):
        return
    ((key, member),) = properties.items()
    kinds = member.get("type")
    kinds = [kinds] if isinstance(kinds, str) else kinds if isinstance(kinds, list) else []
    if isinstance(example.get(key), dict | list) and {"object", "array"} & set(kinds):
        result["required"] = [key]


def _prefix(method: str) -> str:
    return method.rsplit(".", 1)[0]


def _section_groups(builder: TreeBuilder, title: re.Pattern[str]) -> list[Group]:
    for index, section in enumerate(builder.sections):
        if section.level >= 2 and title.search(section.title):
            groups = builder.span_groups(index)
            if groups:
                return groups
    return []


_ALTERNATIVE = re.compile(r"^(?P<stem>.+?)(?P<sep>_?)(?P<kind>ID|Id|CODE|Code)$")


def split_alternatives(required: list[str]) -> tuple[list[str], list[list[str]]]:
    """The docs mark both names of an "id or code" pair required (``IBLOCK_ID`` and
    ``IBLOCK_CODE``), while the method takes one of them: such pairs leave ``required`` and
    become groups of which one name must be given."""
    found: dict[tuple[str, str], dict[str, str]] = {}
    for name in required:
        match = _ALTERNATIVE.match(name)
        if match:
            key = (match["stem"], match["sep"])
            found.setdefault(key, {})[match["kind"].lower()] = name
    groups = [[pair["id"], pair["code"]] for pair in found.values() if len(pair) == 2]
    paired = {name for group in groups for name in group}
    return [name for name in required if name not in paired], groups


def _params_schema(builder: TreeBuilder, request: Any) -> Schema:
    if isinstance(request, list):
        return examples.request_schema(request)
    schema: Schema = {"type": "object", "properties": {}}
    groups = _section_groups(builder, _PARAMS_TITLE)
    if groups:
        properties, required = builder.properties(groups[0].rows, groups[1:])
        schema["properties"] = properties
        required, alternatives = split_alternatives(required)
        if required:
            schema["required"] = required
        if alternatives:
            schema["x-required-one-of"] = alternatives
        mark(schema, TABLE)
    known = {name.lower() for name in schema["properties"]}
    for key, value in (request or {}).items():
        if key.lower() not in known:
            schema["properties"][key] = {**examples.request_schema(value), "x-source": EXAMPLE}
    return schema


def _result_schema(builder: TreeBuilder) -> Schema:
    groups = _section_groups(builder, _RETURNED_TITLE)
    if not groups:
        return {}
    top, rest = groups[0], groups[1:]
    rows = {row.name.lower(): row for row in top.rows}
    children = [row for row in top.rows if row.name.lower() not in _ENVELOPE]
    result = builder.row_schema(rows["result"], rest) if "result" in rows else {}
    if children:
        properties, _required = builder.properties(children, rest)
        result = _with_children(result, properties)
    return mark(loosen(result), TABLE) if result else {}


def _with_children(result: Schema, properties: dict[str, Schema]) -> Schema:
    """Put the rows listed after ``result`` into it (into its items when it is an array)."""
    tag = {k: v for k, v in result.items() if k.startswith("x-")}
    holder = (result.get("items") or {}) if result.get("type") == "array" else result
    merged = {"type": "object", "properties": {**properties, **holder.get("properties", {})}}
    if result.get("type") == "array":
        return {"type": "array", "items": {**holder, **merged}, **tag}
    return {**merged, **tag}


def _list_info(
    page: MethodPage,
    kind: str,
    params: Schema,
    response: Any,
    request: Any,
) -> dict[str, Any] | None:
    names = {name.lower() for name in params.get("properties", {})}
    if kind != "list" and "start" not in names and "pagination" not in names:
        return None
    present, result = examples.response_result(response)
    result = result if present else None
    items_key = _items_key(result)
    items = result if items_key is None else (result or {}).get(items_key)
    first = items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}
    default_id = "ID" if page.api == 2 else "id"
    id_key = "ID" if "ID" in first else "id" if "id" in first else default_id
    return {"items_key": items_key, "id_key": id_key, "cursor_key": _cursor_key(request, id_key)}


def _result_is_array(response: Any) -> bool:
    return isinstance(response, dict) and isinstance(response.get("result"), list)


def _items_key(result: Any) -> str | None:
    if not isinstance(result, dict):
        return None
    lists = [key for key, value in result.items() if isinstance(value, list)]
    if "items" in lists:
        return "items"
    return lists[0] if len(lists) == 1 else None


def _cursor_key(request: Any, id_key: str) -> str:
    if not isinstance(request, dict):
        return id_key
    for name in ("filter", "FILTER", "order", "ORDER"):
        value = request.get(name)
        keys = [key.lstrip("<>=!@%") for key in value] if isinstance(value, dict) else []
        letters = [key for key in keys if any(ch.isalpha() for ch in key)]
        if letters:
            return "ID" if all(key == key.upper() for key in letters) else id_key
    return id_key


def _pagination(api: int, kind: str, params: Schema, listing: dict[str, Any] | None) -> str:
    names = {name.lower() for name in params.get("properties", {})}
    if listing is None:
        return "none"
    if api == 3:
        return "v3" if "pagination" in names else "none"
    return "start" if kind == "list" or "start" in names else "none"


def _apply_descriptor(
    result: Schema,
    found: tuple[str | None, Schema] | None,
    kind: str,
    listing: dict[str, Any] | None,
    response: Any,
) -> None:
    """Type the entity of a get/list result from its fields method, when the names match."""
    if found is None or kind not in ("get", "list"):
        return
    wrapper, descriptor = found
    example = response.get("result") if isinstance(response, dict) else None
    if kind == "list":
        items_key = listing["items_key"] if listing else None
        items = (
            example
            if items_key is None or not isinstance(example, dict)
            else example.get(items_key)
        )
        sample = items[0] if isinstance(items, list) and items else None
        if _names_match(sample, descriptor):
            overlay(_item_slot(result, items_key), descriptor)
        return
    key = _entity_key(example, wrapper)
    sample = example.get(key) if key is not None and isinstance(example, dict) else example
    if _names_match(sample, descriptor):
        slot = _ensure_object(result)
        if key is not None:
            slot = _ensure_object(slot["properties"].setdefault(key, {"x-source": SOURCE}))
        overlay(slot, descriptor)


def _entity_key(example: Any, wrapper: str | None) -> str | None:
    """The key under which a get result holds its entity (``{"task": {...}}``), if any."""
    if not isinstance(example, dict):
        return None
    if wrapper is not None and wrapper in example:
        return wrapper
    if len(example) == 1:
        ((key, value),) = example.items()
        return str(key) if isinstance(value, dict) else None
    return None


def _names_match(sample: Any, descriptor: Schema) -> bool:
    """True without a sample, or when most of the sample's keys are descriptor fields."""
    if not isinstance(sample, dict) or not sample:
        return sample is None
    known = descriptor.get("properties", {})
    return sum(1 for key in sample if key in known) * 2 >= len(sample)


def _ensure_object(schema: Schema) -> Schema:
    if "type" not in schema:
        schema.update({"type": ["object", "null"], "additionalProperties": True})
    schema.setdefault("properties", {})
    return schema


def _item_slot(result: Schema, items_key: str | None) -> Schema:
    holder = result
    if items_key is not None:
        holder = _ensure_object(result)["properties"].setdefault(items_key, {"x-source": SOURCE})
    if "type" not in holder:
        holder.update({"type": ["array", "null"]})
    return _ensure_object(holder.setdefault("items", {}))


def overlay(target: Schema, extra: Schema) -> None:
    """Add the properties of ``extra`` that ``target`` lacks or leaves untyped."""
    properties = target.setdefault("properties", {})
    for name, schema in extra.get("properties", {}).items():
        current = properties.get(name)
        if current is None or not any(key in current for key in ("type", "anyOf")):
            properties[name] = dict(schema)


def _examples(response: Any, request: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if response is not None:
        found["response"] = response
    if request:
        found["request"] = request
    return found


def descriptor_index(pages: list[MethodPage]) -> dict[tuple[int, str], tuple[str | None, Schema]]:
    """Map (api, entity prefix) to the descriptor object of that entity's fields method."""
    index: dict[tuple[int, str], tuple[str | None, Schema]] = {}
    for page in pages:
        if method_kind(page.method) != "fields":
            continue
        sections = yfm.sections(page.text)
        response = examples.response_example(sections)
        result = response.get("result") if isinstance(response, dict) else None
        found = descriptor_fields(result)
        if found is not None:
            wrapper, fields = found
            index.setdefault((page.api, _prefix(page.method)), (wrapper, descriptor_object(fields)))
    return index
