"""A portal's own description: its user fields, smart processes and REST 3.0 schemas.

:func:`read_portal` asks a live portal (``crm.*.userfield.list``, ``crm.item.fields``,
``crm.type.list``, ``user.userfield.list``, ``task.item.userfield.getlist``,
``rest.documentation.openapi``) and returns a :class:`Description`: plain data, sorted, with no
clock time, so that the same portal always gives the same JSON and the same
:meth:`Description.fingerprint`. The generator reads only this description.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["CRM_ENTITIES", "Description", "Field", "Option", "Rest3Method", "SmartProcess"]

FORMAT = 1

# key -> (REST v2 prefix, entityTypeId)
CRM_ENTITIES: dict[str, tuple[str, int]] = {
    "deal": ("crm.deal", 2),
    "lead": ("crm.lead", 1),
    "contact": ("crm.contact", 3),
    "company": ("crm.company", 4),
}


@dataclass(frozen=True)
class Option:
    """An enumeration item: its id and label."""

    id: int
    label: str


@dataclass(frozen=True)
class Field:
    """One user field: ``wire`` is the name the entity's get/list answers use, ``upper`` its
    ``UF_*`` name, ``camel`` the ``crm.item.*`` name of a deal, lead, contact or company field."""

    wire: str
    upper: str
    type: str
    label: str
    multiple: bool = False
    options: tuple[Option, ...] = ()
    camel: str = ""


@dataclass(frozen=True)
class SmartProcess:
    entity_type_id: int
    title: str
    fields: tuple[Field, ...] = ()


@dataclass(frozen=True)
class Rest3Method:
    name: str
    params: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Description:
    """Everything the generator needs about one portal."""

    domain: str
    entities: dict[str, tuple[Field, ...]]
    smart_processes: tuple[SmartProcess, ...] = ()
    rest3: tuple[Rest3Method, ...] = ()

    def data(self) -> dict[str, Any]:
        """Plain JSON data (lists, dicts, strings, numbers), keys in a fixed order."""
        return {
            "format": FORMAT,
            "domain": self.domain,
            "entities": {k: [asdict(f) for f in v] for k, v in sorted(self.entities.items())},
            "smart_processes": [asdict(s) for s in self.smart_processes],
            "rest3": [asdict(m) for m in self.rest3],
        }

    def to_json(self) -> str:
        return json.dumps(self.data(), indent=1, sort_keys=True, ensure_ascii=False) + "\n"

    def fingerprint(self) -> str:
        """A digest of the descriptions (not of the domain): equal for an unchanged portal."""
        data = self.data()
        del data["domain"]
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:32]

    @classmethod
    def from_json(cls, text: str) -> Description:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("not a portal description of format 1")

        def fields(rows: Sequence[Mapping[str, Any]]) -> tuple[Field, ...]:
            return tuple(
                Field(**{**row, "options": tuple(Option(**o) for o in row["options"])})
                for row in rows
            )

        return cls(
            domain=str(data["domain"]),
            entities={k: fields(v) for k, v in data["entities"].items()},
            smart_processes=tuple(
                SmartProcess(s["entity_type_id"], s["title"], fields(s["fields"]))
                for s in data["smart_processes"]
            ),
            rest3=tuple(Rest3Method(**m) for m in data["rest3"]),
        )


# --- reading a live portal ----------------------------------------------------------------------


def _label(row: Mapping[str, Any], lang: str) -> str:
    for key in ("EDIT_FORM_LABEL", "LIST_COLUMN_LABEL", "LIST_FILTER_LABEL"):
        value = row.get(key)
        if isinstance(value, Mapping):  # without a LANG filter: {"en": "...", "de": "..."}
            value = value.get(lang) or next(iter(value.values()), "")
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _options(items: Any) -> tuple[Option, ...]:
    if isinstance(items, Mapping):
        items = list(items.values())
    out = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping) and str(item.get("ID", "")).strip().isdigit():
            out.append(Option(int(item["ID"]), str(item.get("VALUE") or "")))
    return tuple(out)


def _yes(value: Any) -> bool:
    return str(value).upper() in {"Y", "1", "TRUE"}


def userfield_rows(rows: Any, lang: str, wire: Any = None) -> tuple[Field, ...]:
    """Fields from a ``*.userfield.list`` answer; ``wire(upper)`` names the read form."""
    out = []
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, Mapping) or not str(row.get("FIELD_NAME", "")).startswith("UF_"):
            continue
        upper = str(row["FIELD_NAME"])
        out.append(
            Field(
                wire=wire(upper) if wire is not None else upper,
                upper=upper,
                type=str(row.get("USER_TYPE_ID") or "string"),
                label=_label(row, lang),
                multiple=_yes(row.get("MULTIPLE")),
                options=_options(row.get("LIST")),
            )
        )
    return tuple(sorted(out, key=lambda f: f.upper))


def item_fields(answer: Any) -> tuple[Field, ...]:
    """The user fields (``isDynamic``) of a ``crm.item.fields`` answer, by their camel names."""
    fields = answer.get("fields") if isinstance(answer, Mapping) else None
    out = []
    for key, info in (fields or {}).items():
        if not isinstance(info, Mapping) or not info.get("isDynamic"):
            continue
        label = info.get("formLabel") or info.get("listLabel") or info.get("title") or ""
        out.append(
            Field(
                wire=str(key),
                upper=str(info.get("upperName") or key),
                type=str(info.get("type") or "string"),
                label=str(label).strip(),
                multiple=bool(info.get("isMultiple")),
                options=_options(info.get("items")),
            )
        )
    return tuple(sorted(out, key=lambda f: f.upper))


def task_camel(upper: str) -> str:
    """``UF_TASK_STORY_POINTS`` -> ``ufTaskStoryPoints`` (tasks.task.* answers)."""
    parts = upper.lower().split("_")
    return parts[0] + "".join(p.capitalize() for p in parts[1:])


def openapi_methods(document: Any, patterns: Sequence[str]) -> tuple[Rest3Method, ...]:
    """REST 3.0 methods of an OpenAPI document that match ``patterns`` (globs) and give a
    parameter or result schema with properties."""
    paths = document.get("paths") if isinstance(document, Mapping) else None
    out = []
    for path, item in sorted((paths or {}).items()):
        name = str(path).strip("/").split("/")[-1]
        if not name or not any(fnmatch.fnmatchcase(name, p) for p in patterns):
            continue
        operation = item.get("post") or item.get("get") if isinstance(item, Mapping) else None
        if not isinstance(operation, Mapping):
            continue
        body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
        params = _resolve(body.get("schema") or {}, document)
        response = operation.get("responses", {}).get("200", {}).get("content", {})
        envelope = _resolve(response.get("application/json", {}).get("schema") or {}, document)
        result = _resolve(envelope.get("properties", {}).get("result") or {}, document)
        if params.get("properties") or result.get("properties"):
            out.append(Rest3Method(name, params, result))
    return tuple(out)


def _resolve(schema: Any, document: Any, depth: int = 0) -> dict[str, Any]:
    """``schema`` with ``$ref`` to ``#/components/...`` replaced by their targets."""
    if not isinstance(schema, Mapping) or depth > 16:
        return {}
    if "$ref" in schema:
        node: Any = document
        for part in str(schema["$ref"]).lstrip("#/").split("/"):
            node = node.get(part, {}) if isinstance(node, Mapping) else {}
        return _resolve(node, document, depth + 1)
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "properties" and isinstance(value, Mapping):
            out[key] = {str(k): _resolve(v, document, depth + 1) for k, v in value.items()}
        elif key == "items":
            out[key] = _resolve(value, document, depth + 1)
        elif key in {"type", "required", "enum", "description", "format", "nullable"}:
            out[key] = value
    return out


def read_portal(b24: Any, *, lang: str = "en", rest3: Sequence[str] = ("*",)) -> Description:
    """Read a portal's descriptions through a sync client (``B24Hook`` or ``B24OAuth``)."""

    def result(method: str, params: Mapping[str, Any] | None = None, api: int = 2) -> Any:
        return b24.call(api, method, params or {}).raise_for_error().result

    lang_filter = {"filter": {"LANG": lang}}
    entities: dict[str, tuple[Field, ...]] = {}
    for key, (prefix, entity_type_id) in CRM_ENTITIES.items():
        camel = {
            f.upper: f.wire
            for f in item_fields(result("crm.item.fields", {"entityTypeId": entity_type_id}))
        }
        rows = result(f"{prefix}.userfield.list", lang_filter)
        fields = userfield_rows(rows, lang)
        entities[key] = tuple(
            Field(f.wire, f.upper, f.type, f.label, f.multiple, f.options, camel.get(f.upper, ""))
            for f in fields
        )
    entities["user"] = userfield_rows(result("user.userfield.list", lang_filter), lang)
    entities["task"] = userfield_rows(
        result("task.item.userfield.getlist", {"FILTER": {"LANG": lang}}), lang, task_camel
    )
    types = b24.call_list_method("crm.type.list", {}, items_key="types", id_key="id")
    processes = []
    for row in sorted(types, key=lambda r: int(r.get("entityTypeId") or 0)):
        entity_type_id = int(row["entityTypeId"])
        fields = item_fields(result("crm.item.fields", {"entityTypeId": entity_type_id}))
        processes.append(SmartProcess(entity_type_id, str(row.get("title") or ""), fields))
    methods: tuple[Rest3Method, ...] = ()
    if rest3:
        answer = b24.call(3, "rest.documentation.openapi").raise_for_error()
        methods = openapi_methods(answer.result, rest3)
    return Description(b24.domain, entities, tuple(processes), methods)
