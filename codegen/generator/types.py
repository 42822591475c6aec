"""JSON Schema -> Python type expressions, for result models and for request parameters.

Any valid JSON Schema is accepted; a shape this module does not model becomes ``Any`` (results)
or the loosest fitting type (parameters), never an error.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from b24typed.fieldtypes import python_type
from codegen.generator.entities import entity_module
from codegen.generator.naming import (
    MODEL_RESERVED,
    NameRegistry,
    identifier,
    pascal_case,
)

# Read types of b24typed.fieldtypes that inline result models use (the docs-type mapping).
FIELD_TYPE_NAMES = ("ByKey", "Date", "DateTime", "Flag", "Id", "Money")
_SCALAR_WIRE = frozenset({"string", "integer", "number", "boolean"})

# Names a models module imports: a generated class must not take them.
RESERVED_MODEL_NAMES = frozenset(
    {
        "Any",
        "Literal",
        "TypeAlias",
        "TypedDict",
        "Required",
        "Mapping",
        "Sequence",
        "Field",
        "B24Model",
        "LAny",
        "LBool",
        "LDate",
        "LDateTime",
        "LDict",
        "LFloat",
        "LInt",
        "LList",
        "LStr",
        "Obj",
        "Rows",
        "date",
        "datetime",
        *FIELD_TYPE_NAMES,
    }
)


MAX_NAME = 90


def short_name(hint: str) -> str:
    """Deeply nested objects get long names; cut them, keeping them unique by a short hash."""
    if len(hint) <= MAX_NAME:
        return hint
    digest = hashlib.sha1(hint.encode()).hexdigest()[:6]
    return hint[: MAX_NAME - 6] + digest.upper()


def schema_types(schema: dict[str, Any]) -> list[str]:
    """The ``type`` member as a list without ``null`` (order kept); inferred when absent."""
    raw = schema.get("type")
    types = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, list) else []
    found = [t for t in types if isinstance(t, str) and t != "null"]
    if not found and not types:
        if isinstance(schema.get("properties"), dict) and schema["properties"]:
            found = ["object"]
        elif isinstance(schema.get("items"), dict):
            found = ["array"]
    return found


def nullable(schema: dict[str, Any]) -> bool:
    raw = schema.get("type")
    return raw == "null" or (isinstance(raw, list) and "null" in raw)


@dataclass
class ModelClass:
    name: str
    doc: str
    fields: list[tuple[str, str, str, bool]]  # (attribute, annotation, wire name, required)


@dataclass
class TypedDictDef:
    name: str
    keys: list[tuple[str, str, bool]]  # (wire key, annotation, required)


@dataclass
class Alias:
    name: str
    target: str


@dataclass
class ModelsModule:
    """Everything one ``b24typed.models...`` module defines, in definition order."""

    names: NameRegistry = field(default_factory=lambda: NameRegistry(RESERVED_MODEL_NAMES))
    items: list[ModelClass | TypedDictDef | Alias] = field(default_factory=list)
    _by_body: dict[str, str] = field(default_factory=dict)
    _classes: set[str] = field(default_factory=set)
    typing_names: set[str] = field(default_factory=set)  # core.typed names used
    field_names: set[str] = field(default_factory=set)  # b24typed.fieldtypes names used
    entity_imports: dict[str, tuple[str, str]] = field(default_factory=dict)  # local: (mod, name)
    context: str = ""  # the method being generated, for docstrings

    # --- results ---------------------------------------------------------------------------

    def result_type(self, schema: Any, hint: str) -> str:
        """The annotation of a result field (always optional: portals omit fields)."""
        if not isinstance(schema, dict) or "anyOf" in schema or "oneOf" in schema:
            return "Any"
        if isinstance(schema.get("x-entity"), str) and isinstance(schema.get("x-model"), str):
            return self.entity(schema["x-entity"], schema["x-model"])
        types = schema_types(schema)
        if not types:
            return "Any"
        mapped = self._docs_type(schema, types)
        if mapped is not None:
            return mapped
        primary, rest = types[0], set(types[1:])
        if primary == "object" and not rest:
            props = schema.get("properties")
            if isinstance(props, dict) and props:
                return self.model(schema, hint)
            keyed = self.keyed(schema)
            return f"{keyed} | None" if keyed else self._use("LDict")
        if primary == "array" and not rest:
            item = self.result_type(schema.get("items"), f"{hint}Item")
            return f"{self._use('LList')}[{item}]"
        if primary == "integer" and rest <= {"string"}:
            return self._use("LInt")
        if primary == "number" and rest <= {"integer", "string"}:
            return self._use("LFloat")
        if primary == "boolean" and rest <= {"string", "integer"}:
            return self._use("LBool")
        if primary == "string" and rest <= {"integer", "number"}:
            fmt = schema.get("format")
            if fmt == "date":
                return self._use("LDate")
            if fmt == "date-time":
                return self._use("LDateTime")
            return self._use("LStr")
        return "Any"

    def entity(self, entity: str, model: str) -> str:
        """The local name of an entity model or fields TypedDict (imported into the module)."""
        for local, (_module, name) in self.entity_imports.items():
            if name == model:
                return local
        local = self.names.take(model)
        self.entity_imports[local] = (entity_module(entity), model)
        self._classes.add(local)
        return local

    def keyed(self, schema: dict[str, Any]) -> str | None:
        """``ByKey[Model]`` for an object whose values are all one entity (field descriptors)."""
        extra = schema.get("additionalProperties")
        if not isinstance(extra, dict) or not isinstance(extra.get("x-entity"), str):
            return None
        self.field_names.add("ByKey")
        return f"ByKey[{self.entity(extra['x-entity'], extra['x-model'])}]"

    def _docs_type(self, schema: dict[str, Any], types: list[str]) -> str | None:
        """The mapped type of a scalar field whose docs type is known (``char``, ``double``)."""
        tag = schema.get("x-bitrix-type")
        values = schema.get("x-enum") or schema.get("enum")
        if tag is None and isinstance(values, list) and set(values) == {"Y", "N"}:
            tag = "string"  # a text field documented as Y/N is a flag
        if not isinstance(tag, str) or not set(types) <= _SCALAR_WIRE:
            return None
        found = python_type(tag, values=values if isinstance(values, list) else None)
        if found.read not in FIELD_TYPE_NAMES:
            return None
        if found.kind == "flag" and "boolean" not in types and "string" not in types:
            return None
        self.field_names.add(found.read)
        return found.read

    def model(self, schema: dict[str, Any], hint: str, doc: str = "") -> str:
        """A model class for an object schema with properties (deduplicated by shape)."""
        hint = short_name(hint)
        props: dict[str, Any] = schema["properties"]
        attrs = NameRegistry(MODEL_RESERVED, sep="_")
        fields: list[tuple[str, str, str, bool]] = []
        required = set(schema.get("required") or ())
        # Wire names that are already Python names keep them; the others yield on a collision.
        order = sorted(props, key=lambda w: (identifier(w, reserved=MODEL_RESERVED) != w, w))
        names = {w: attrs.take(identifier(w, reserved=MODEL_RESERVED)) for w in order}
        for wire in sorted(props):
            annotation, must = self._field_type(
                props[wire], hint + pascal_case(wire), wire in required
            )
            fields.append((names[wire], annotation, wire, must))
        body = json.dumps(fields)
        known = self._by_body.get(body)
        if known is not None:
            return known
        name = self.names.take(hint)
        self._by_body[body] = name
        self._classes.add(name)
        if not doc:
            doc = (
                f"An object in the result of ``{self.context}``." if self.context else "An object."
            )
        self.items.append(ModelClass(name, doc, fields))
        return name

    def _field_type(self, schema: Any, hint: str, required: bool) -> tuple[str, bool]:
        """A result field's annotation, and whether it is required: only a required object or
        list is (the entity a result wraps); everything else may be missing or null."""
        if required and isinstance(schema, dict) and schema_types(schema)[:1] == ["array"]:
            item = self.result_type(schema.get("items"), f"{hint}Item")
            return f"{self._use('Rows')}[{item}]", True
        annotation = self.result_type(schema, hint)
        if annotation not in self._classes:
            return annotation, False
        return (annotation, True) if required else (f"{annotation} | None", False)

    def root_result(self, schema: Any, name: str, doc: str) -> str | None:
        """The name of a method's result type, defined in this module; None for ``Any``."""
        if not isinstance(schema, dict):
            return None
        if isinstance(schema.get("x-entity"), str) and isinstance(schema.get("x-model"), str):
            return self.alias(name, self.entity(schema["x-entity"], schema["x-model"]))
        types = schema_types(schema)
        props = schema.get("properties")
        if types == ["object"] and isinstance(props, dict) and props:
            known = set(self.result_names())
            model = self.model(schema, name, doc)
            return model if model not in known else self.alias(name, model)
        if types == ["object"]:
            return self.alias(name, self.keyed(schema) or self._use("Obj"))
        if types == ["array"]:
            item = self.result_type(schema.get("items"), f"{name}Item")
            return self.alias(name, f"{self._use('Rows')}[{item}]")
        annotation = self.result_type(schema, name)
        if annotation == "Any":
            return None
        return self.alias(name, annotation)

    def alias(self, wanted: str, target: str) -> str:
        name = self.names.take(wanted)
        self.items.append(Alias(name, target))
        return name

    def _use(self, name: str) -> str:
        self.typing_names.add(name)
        return name

    # --- parameters ------------------------------------------------------------------------

    def param_type(self, schema: Any, hint: str) -> str:
        """The annotation a caller's argument must satisfy (``None`` allowed when nullable)."""
        text = self._param_type(schema, hint)
        if isinstance(schema, dict) and nullable(schema) and text not in ("Any", "None"):
            text = f"{text} | None"
        return text

    def _param_type(self, schema: Any, hint: str) -> str:
        if not isinstance(schema, dict):
            return "Any"
        if isinstance(schema.get("x-entity"), str) and isinstance(schema.get("x-model"), str):
            return self.entity(schema["x-entity"], schema["x-model"])
        branches = schema.get("anyOf") or schema.get("oneOf")
        if isinstance(branches, list) and branches:
            parts = [self.param_type(b, f"{hint}{i}") for i, b in enumerate(branches, 1)]
            return "Any" if "Any" in parts else " | ".join(dict.fromkeys(parts))
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            values = [v for v in enum if isinstance(v, str | int) and v is not None]
            if values and len(values) == len([v for v in enum if v is not None]):
                return f"Literal[{', '.join(json.dumps(v) for v in dict.fromkeys(values))}]"
        types = schema_types(schema)
        if not types:
            return "Any"
        parts = [self._param_one(t, schema, hint) for t in types]
        return "Any" if "Any" in parts else " | ".join(dict.fromkeys(parts))

    def _param_one(self, kind: str, schema: dict[str, Any], hint: str) -> str:
        if kind == "integer":
            return "int"
        if kind == "number":
            return "float"
        if kind == "boolean":
            return "bool"
        if kind == "string":
            fmt = schema.get("format")
            if fmt == "date":
                return "str | date"
            if fmt == "date-time":
                return "str | datetime"
            return "str"
        if kind == "array":
            return f"Sequence[{self.param_type(schema.get('items'), f'{hint}Item')}]"
        if kind == "object":
            props = schema.get("properties")
            if isinstance(props, dict) and props:
                return self.typed_dict(schema, hint)
            return "Mapping[str, Any]"
        return "Any"

    def typed_dict(self, schema: dict[str, Any], hint: str) -> str:
        hint = short_name(hint)
        props: dict[str, Any] = schema["properties"]
        required = set(schema.get("required") or [])
        keys = [
            (
                wire,
                self.param_type(_open_type_ids(wire, props[wire]), hint + pascal_case(wire)),
                wire in required,
            )
            for wire in sorted(props)
        ]
        body = "td:" + json.dumps(keys)
        known = self._by_body.get(body)
        if known is not None:
            return known
        name = self.names.take(hint)
        self._by_body[body] = name
        self.items.append(TypedDictDef(name, keys))
        return name

    def result_names(self) -> list[str]:
        return [item.name for item in self.items] + list(self.entity_imports)


SMART_PROCESS_IDS = 128  # entity type ids from here on are a portal's own smart processes


def _open_type_ids(wire: str, schema: Any) -> Any:
    """An entity type id whose documented values include a smart process id (``128``, a docs
    example's own) takes any id: a Literal would reject every other portal's smart processes."""
    enum = schema.get("enum") if isinstance(schema, dict) else None
    if wire.lower().replace("_", "") != "entitytypeid" or not isinstance(enum, list):
        return schema
    if any(isinstance(v, int) and v >= SMART_PROCESS_IDS for v in enum):
        return {key: value for key, value in schema.items() if key != "enum"}
    return schema
