"""From a :class:`~.describe.Description` to the files of a typed package (jinja2 templates).

The package has ``models.py`` (entity models with the portal's user fields, one model per smart
process, REST 3.0 result models), ``api.py`` (typed namespaces: get/list/iterate/add/update per
entity and smart process, REST 3.0 wrappers), ``__init__.py`` (``client(b24)``),
``description.json`` (what it was made from, read by ``--check``) and ``py.typed``. Output
depends only on the description: regenerating an unchanged portal gives the same bytes.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .describe import Description, Field, Option
from .naming import class_name, field_names, pascal, snake

__all__ = ["ENTITY_API", "render"]

TEMPLATES = Path(__file__).parent / "templates"

# user field type -> (annotation, what the docstring calls it); enumerations get a Literal alias
_TYPES: dict[str, str] = {
    "string": "LStr",
    "url": "LStr",
    "crm_status": "LStr",
    "crm": "LStr",
    "integer": "LInt",
    "employee": "LInt",
    "iblock_element": "LInt",
    "iblock_section": "LInt",
    "disk_file": "LInt",
    "double": "LFloat",
    "boolean": "LBool",
    "date": "LDate",
    "datetime": "LDateTime",
    "money": "LMoney",
    "address": "LAddress",
    "file": "LFile",
}


@dataclass(frozen=True)
class EntityApi:
    """How the generated namespace reaches one kind of entity (REST v2 methods)."""

    cls: str
    path: tuple[str, ...]  # namespace path under the portal view
    prefix: str  # method prefix: crm.item, user, tasks.task
    entity_type_id: int | None = None  # crm.item.*: fixed entityTypeId
    get_unwrap: str | int | None = "item"
    list_method: str = "crm.item.list"
    list_unwrap: str | None = "items"
    list_keys: tuple[str, str] = ("id", "id")
    id_param: str = "id"
    add: bool = True
    write_unwrap: str | None = "item"  # add/update answer the entity under this key
    default_select: tuple[str, ...] = ()
    flat: bool = False  # update takes the fields next to the id (user.update)


def _crm(cls: str, name: str) -> EntityApi:
    # crm.deal.* and friends: the wire shape (UPPER_CASE names) of the canonical Deal model
    return EntityApi(cls, ("crm", name), f"crm.{name}", None, None, f"crm.{name}.list", None,
                     ("ID", "ID"), write_unwrap=None, default_select=("*", "UF_*"))  # fmt: skip


ENTITY_API: dict[str, EntityApi] = {
    "deal": _crm("Deal", "deal"),
    "lead": _crm("Lead", "lead"),
    "contact": _crm("Contact", "contact"),
    "company": _crm("Company", "company"),
    "user": EntityApi("User", ("user",), "user", None, 0, "user.get", None, ("ID", "ID"), "ID",
                      add=False, write_unwrap=None, flat=True),
    "task": EntityApi("Task", ("tasks", "task"), "tasks.task", None, "task", "tasks.task.list",
                      "tasks", ("id", "ID"), "taskId", write_unwrap="task",
                      default_select=("*", "UF_*")),
}  # fmt: skip


@dataclass
class ModelField:
    name: str
    annotation: str
    alias: str
    choices: list[str]
    doc: str


@dataclass
class Model:
    name: str
    doc: str
    fields: list[ModelField] = field(default_factory=list)
    base: str = "PortalEntity"
    user_fields: list[tuple[str, str]] = field(default_factory=list)  # (name, write name)


@dataclass
class EnumAlias:
    name: str
    ids: str
    doc: str


@dataclass
class Node:
    """A namespace class of the view: children namespaces and methods."""

    cls: str
    children: dict[str, Node] = field(default_factory=dict)
    methods: list[dict[str, Any]] = field(default_factory=list)
    doc: str = ""


def _doc(text: str, indent: int = 4) -> str:
    """Docstring text wrapped to the line limit, quotes and backslashes escaped."""
    safe = text.replace("\\", "\\\\").replace('"', '\\"')
    pad = " " * indent
    lines = textwrap.wrap(safe, width=93 - indent) or [""]
    return ("\n" + pad).join(lines)


def _option_doc(options: tuple[Option, ...]) -> str:
    return "; ".join(f"{o.id}: {o.label}" for o in options)


class _Builder:
    def __init__(self, description: Description) -> None:
        self.d = description
        self.enums: list[EnumAlias] = []
        self.models: list[Model] = []
        self.rest3_models: list[Model] = []
        self.root = Node("Portal")

    # -- entity models --------------------------------------------------------------------
    def entity_model(
        self, cls: str, base: str, what: str, fields: tuple[Field, ...], *, upper: bool = False
    ) -> Model:
        """A subclass of the canonical model ``base`` (``b24typed.models``) with ``fields``;
        ``upper``: writes name the fields ``UF_*`` (tasks)."""
        doc = f"{what} of {self.d.domain}: b24typed.models.{base} with the portal's user fields."
        model = Model(cls, _doc(doc), base=f"_b.{base}, PortalEntity")
        names = field_names(((f.label, f.upper) for f in fields), _taken(base))
        for name, f in zip(names, fields, strict=True):
            annotation = self.annotation(cls, name, f)
            choices = list(dict.fromkeys(n for n in (f.wire, f.upper, f.camel) if n))
            kind = f"multiple {f.type}" if f.multiple else f.type
            doc = f"{f.label or f.upper} (``{f.upper}``, {kind})"
            if f.options:
                doc += f"; options: {_option_doc(f.options)}"
            model.fields.append(ModelField(name, annotation, f.wire, choices, _doc(doc + ".")))
            model.user_fields.append((name, f.upper if upper else f.wire))
        return model

    def annotation(self, cls: str, name: str, f: Field) -> str:
        if f.type == "enumeration" and f.options:
            alias = EnumAlias(
                cls + pascal(name),
                ", ".join(str(o.id) for o in f.options),
                _doc(f"{f.label or f.upper}: {_option_doc(f.options)}.", 0),
            )
            self.enums.append(alias)
            return f"LList[{alias.name}]" if f.multiple else f"{alias.name} | None"
        scalar = _TYPES.get(f.type)
        if scalar is None:
            return "LList[Any]" if f.multiple else "Any"
        if f.multiple:
            inner = {"LMoney": "Money", "LAddress": "Address", "LFile": "FileValue"}.get(scalar)
            element = {"LDate": "dt.date", "LDateTime": "dt.datetime"}.get(scalar)
            return f"LList[{inner or element or scalar[1:].lower()}]"
        return scalar

    # -- namespaces ------------------------------------------------------------------------
    def node(self, path: tuple[str, ...]) -> Node:
        here = self.root
        for i, part in enumerate(path):
            nxt = here.children.get(part)
            if nxt is None:
                cls = "".join(pascal(p) or p for p in path[: i + 1]) + "Api"
                nxt = here.children[part] = Node(cls)
            here = nxt
        return here

    def entity_methods(self, api: EntityApi, model: str, what: str) -> None:
        node = self.node(api.path)
        node.doc = f"{what}: typed get, list/iterate, add and update."
        node.methods.append({"api": api, "model": model})

    def build(self) -> None:
        for key, fields in sorted(self.d.entities.items()):
            api = ENTITY_API.get(key)
            if api is None:
                continue
            model = self.entity_model(api.cls, api.cls, f"A {key}", fields, upper=key == "task")
            self.models.append(model)
            self.entity_methods(api, api.cls, f"{key.capitalize()}s")
        taken = {m.name for m in self.models} | {"Portal"}
        smart = self.node(("smart",))
        smart.doc = "The portal's smart processes, one namespace each."
        for sp in self.d.smart_processes:
            cls = class_name(sp.title, f"SmartProcess{sp.entity_type_id}", taken)
            taken.add(cls)
            attr = snake(cls)
            self.models.append(
                self.entity_model(cls, "Item", f'An item of the smart process "{sp.title}" '
                                  f"(entityTypeId {sp.entity_type_id})", sp.fields)
            )  # fmt: skip
            api = EntityApi(cls, ("smart", attr), "crm.item", sp.entity_type_id)
            self.entity_methods(api, cls, f'Smart process "{sp.title}"')
        for method in self.d.rest3:
            self.rest3(method)

    # -- REST 3.0 ---------------------------------------------------------------------------
    def rest3(self, method: Any) -> None:
        parts = tuple(snake(p) or p for p in method.name.split("."))
        base = "".join(pascal(p) for p in parts)
        result = self.schema_model(base + "Result", method.result, f"``{method.name}``")
        args = []
        required = set(method.params.get("required") or [])
        for wire, schema in sorted((method.params.get("properties") or {}).items()):
            name = snake(wire) or "param"
            annotation = self.param_type(schema)
            args.append({"name": name, "wire": wire, "annotation": annotation,
                         "required": wire in required})  # fmt: skip
        args.sort(key=lambda a: not a["required"])
        node = self.node(("v3", *parts[:-1]))
        node.doc = node.doc or "REST 3.0 methods of the portal."
        node.methods.append({"rest3": method.name, "attr": parts[-1], "result": result,
                             "args": args, "spec": "_V3_" + "_".join(parts).upper()})  # fmt: skip

    def param_type(self, schema: dict[str, Any]) -> str:
        kind = schema.get("type")
        if kind == "array":
            return f"Sequence[{self.param_type(schema.get('items') or {})}]"
        if kind == "object":
            return "Mapping[str, Any]"
        return {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}.get(
            str(kind), "Any"
        )

    def schema_model(self, name: str, schema: dict[str, Any], what: str) -> str:
        props = schema.get("properties")
        if schema.get("type") not in (None, "object") or not props:
            return "Any"
        model = Model(name, f"Result of {what}." if name.endswith("Result") else what, base="")
        required = set(schema.get("required") or [])
        for wire, sub in sorted(props.items()):
            attr = snake(wire) or "value"
            annotation = self.result_type(name + pascal(attr), sub, what, wire in required)
            model.fields.append(ModelField(attr, annotation, wire, [], ""))
        self.rest3_models.append(model)
        return name

    def result_type(self, name: str, schema: dict[str, Any], what: str, required: bool) -> str:
        kind = schema.get("type")
        scalar = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
        if kind in scalar:
            return scalar[str(kind)] if required else "L" + scalar[str(kind)].capitalize()
        if kind == "array":
            items = schema.get("items") or {}
            inner = self.result_type(name + "Item", items, what, True)
            return f"list[{inner}]" if required else f"LList[{inner}]"
        if kind == "object" and schema.get("properties"):
            inner = self.schema_model(name, schema, f"an object in the result of {what}")
            return inner if required else f"{inner} | None"
        if kind == "object":
            return "dict[str, Any]" if required else "LDict"
        return "Any"


_TYPED_MODELS = ("B24Model", "LBool", "LDate", "LDateTime", "LDict", "LFloat", "LInt", "LList",
                 "LStr")  # fmt: skip
_RUNTIME = ("Address", "EnumId", "FileValue", "LAddress", "LFile", "LMoney", "Money",
            "PortalEntity")  # fmt: skip


def _imports(builder: _Builder) -> str:
    """The import block of models.py: only what the annotations use."""
    used = " ".join(
        [f.annotation for m in builder.models + builder.rest3_models for f in m.fields]
        + [m.base or "B24Model" for m in builder.models + builder.rest3_models]
    ).replace("_b.", "")
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", used))
    if builder.models:
        words.add("ClassVar")
    if builder.enums:
        words |= {"EnumId", "Literal", "TYPE_CHECKING"}
    typing_names = [n for n in ("TYPE_CHECKING", "Any", "ClassVar", "Literal") if n in words]
    lines = []
    if any(w.startswith("dt.") for w in words):
        lines.append("import datetime as dt")
    if typing_names:
        lines.append(f"from typing import {', '.join(typing_names)}")
    lines.append("")
    if builder.models:
        lines.append("import b24typed.models as _b")
    for module, names in (("b24typed.core.typed_models", _TYPED_MODELS),
                          ("b24typed.portal_types.runtime", _RUNTIME)):  # fmt: skip
        found = [n for n in names if n in words]
        if found:
            body = "".join(f"    {n},\n" for n in found)
            lines.append(f"from {module} import (\n{body})")
    pydantic = ["AliasChoices", "Field"] if builder.models else ["Field"]
    lines.append(f"from pydantic import {', '.join(pydantic)}")
    return "\n".join(lines).replace("\n\n\n", "\n\n")


def _taken(base: str) -> set[str]:
    """Attribute names of the canonical model ``base``: user fields never shadow them."""
    import b24typed.models

    model = getattr(b24typed.models, base)
    return set(model.model_fields) | {name for name in dir(model) if not name.startswith("_")}


def _pyrepr(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def render(description: Description, package: str) -> dict[str, str]:
    """The generated files of ``package``, by relative path."""
    import jinja2

    builder = _Builder(description)
    builder.build()
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 - Python source, not HTML
    )
    env.filters["pyrepr"] = _pyrepr
    context = {
        "domain": description.domain,
        "fingerprint": description.fingerprint(),
        "package": package,
        "models": sorted(builder.models, key=lambda m: m.name),
        "enums": builder.enums,
        "rest3_models": builder.rest3_models,
        "nodes": _flatten(builder.root),
        "root": builder.root,
        "imports": _imports(builder),
    }
    return {
        "__init__.py": env.get_template("package_init.py.jinja").render(context),
        "models.py": env.get_template("models.py.jinja").render(context),
        "api.py": env.get_template("api.py.jinja").render(context),
        "description.json": description.to_json(),
        "py.typed": "",
    }


def _flatten(root: Node) -> list[Node]:
    out: list[Node] = []

    def walk(node: Node) -> None:
        out.append(node)
        for _, child in sorted(node.children.items()):
            walk(child)

    walk(root)
    return out
