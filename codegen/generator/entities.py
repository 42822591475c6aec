"""Render the entity schemas (``schemas/entities``) into ``b24typed.models.entities``.

Each entity becomes one read model (``Deal``), shared by every method that returns it, and one
``TypedDict`` of its writable fields (``DealFields``) for the ``fields=`` argument of add and
update. Types come from :func:`b24typed.fieldtypes.python_type`, the one docs-type mapping.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from b24typed.fieldtypes import is_portal_field, python_type
from codegen.generator.naming import MODEL_RESERVED, NameRegistry, identifier

PACKAGE = "b24typed.models.entities"


def entity_module(entity: str) -> str:
    """The module of an entity's model: ``crm.deal`` -> ``b24typed.models.entities.crm``."""
    return f"{PACKAGE}.{entity.split('.', 1)[0]}"


@dataclass
class EntityModel:
    name: str
    entity: str
    doc: str
    fields: list[tuple[str, str, str]]  # attribute, annotation, wire name
    writes: list[tuple[str, str]]  # wire name, annotation
    writable: bool  # add/update methods take the fields: a ``...Fields`` TypedDict


def entity_model(entity: dict[str, Any]) -> EntityModel:
    attrs = NameRegistry(MODEL_RESERVED | {"user_fields", "parent_ids"}, sep="_")
    names = [n for n in entity["fields"] if not is_portal_field(n)]
    order = sorted(names, key=lambda w: (identifier(w, reserved=MODEL_RESERVED) != w, w))
    attr_of = {w: attrs.take(identifier(w, reserved=MODEL_RESERVED)) for w in order}
    fields: list[tuple[str, str, str]] = []
    writes: list[tuple[str, str]] = []
    for wire in sorted(names):
        spec = entity["fields"][wire]
        types = python_type(spec["type"], multiple=spec["multiple"], values=spec.get("values"))
        fields.append((attr_of[wire], types.read, wire))
        if not spec["read_only"]:
            writes.append((wire, types.write))
    doc = f"A ``{entity['entity']}`` record, as every method that returns one gives it."
    if entity.get("doc"):
        page = entity["doc"][:-3] + ".html" if entity["doc"].endswith(".md") else entity["doc"]
        doc += f" Fields: https://apidocs.bitrix24.com/{page}"
    return EntityModel(
        entity["model"], entity["entity"], doc, fields, writes, bool(entity.get("writes", True))
    )


def group_entities(entities: list[dict[str, Any]]) -> dict[str, list[EntityModel]]:
    """Entity models by module file (``crm``, ``tasks``, ``user``)."""
    grouped: dict[str, list[EntityModel]] = {}
    for entity in sorted(entities, key=lambda e: e["entity"]):
        grouped.setdefault(entity["entity"].split(".")[0], []).append(entity_model(entity))
    return grouped
