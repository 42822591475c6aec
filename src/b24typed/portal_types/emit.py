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

from b24typed.core.typed_models import B24Model

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
    optional: bool = True  # REST 3.0 result fields: False when the schema requires a value


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
        self.v3_count = 1
        self.rest3_base = ""
        self.rest3_nested = 0
        self.model_names: set[str] = set()

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
        self.rest3_base = base
        result = self.schema_model(base + "Result", method.result, f"``{method.name}``")
        args = []
        required = set(method.params.get("required") or [])
        for wire, schema in sorted((method.params.get("properties") or {}).items()):
            name = snake(wire) or "param"
            annotation = self.param_type(schema)
            args.append({"name": name, "wire": wire, "pair": (name, wire), "annotation": annotation,
                         "required": wire in required})  # fmt: skip
        args.sort(key=lambda a: not a["required"])
        node = self.node(("v3", *parts[:-1]))
        node.doc = node.doc or "REST 3.0 methods of the portal."
        node.methods.append({"rest3": method.name, "attr": parts[-1], "result": result,
                             "args": args, "spec": f"_V3_{self.v3_count}"})  # fmt: skip
        self.v3_count += 1

    def param_type(self, schema: dict[str, Any]) -> str:
        kinds, _ = _kinds(schema)
        if len(kinds) > 1:
            return " | ".join(self.param_type({**schema, "type": k}) for k in kinds)
        kind = kinds[0] if kinds else None
        if kind == "array":
            return f"Sequence[{self.param_type(schema.get('items') or {})}]"
        if kind == "object":
            return "Mapping[str, Any]"
        return {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}.get(
            str(kind), "Any"
        )

    def schema_model(self, name: str, schema: dict[str, Any], what: str) -> str:
        """The model of an object schema (``Any`` without properties); ``what``: the method."""
        props = schema.get("properties")
        kinds, _ = _kinds(schema)
        if kinds not in ([], ["object"]) or not props:
            return "Any"
        unique, number = name, 1
        while unique in self.model_names:
            number += 1
            unique = f"{name}{number}"
        self.model_names.add(unique)
        doc = f"An object in the result of {what}." if self.rest3_nested else f"Result of {what}."
        model = Model(unique, doc, base="")
        required = set(schema.get("required") or [])
        used = set(_MODEL_ATTRIBUTES)
        self.rest3_nested += 1
        for wire, sub in sorted(props.items()):
            attr = snake(wire) or "value"
            while attr in used:
                attr += "_"
            used.add(attr)
            annotation = self.result_type(
                self.rest3_base + pascal(attr), sub, what, wire in required
            )
            optional = (
                annotation == "Any"
                or annotation.endswith("| None")
                or (annotation.startswith(("LStr", "LInt", "LFloat", "LBool", "LList[", "LDict")))
            )
            model.fields.append(ModelField(attr, annotation, wire, [], "", optional))
        self.rest3_nested -= 1
        self.rest3_models.append(model)
        return unique

    def result_type(self, name: str, schema: dict[str, Any], what: str, required: bool) -> str:
        kinds, nullable = _kinds(schema)
        required = required and not nullable
        scalar = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
        if len(kinds) > 1:
            if not all(k in scalar for k in kinds):
                return "Any"
            union = " | ".join(scalar[k] for k in kinds)
            return union if required else union + " | None"
        kind = kinds[0] if kinds else None
        if kind in scalar:
            return scalar[str(kind)] if required else "L" + scalar[str(kind)].capitalize()
        if kind == "array":
            items = schema.get("items") or {}
            inner = self.result_type(name + "Item", items, what, True)
            return f"list[{inner}]" if required else f"LList[{inner}]"
        if kind == "object" and schema.get("properties"):
            inner = self.schema_model(name, schema, what)
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


_MODEL_ATTRIBUTES = frozenset(name for name in dir(B24Model) if not name.startswith("_"))


def _kinds(schema: dict[str, Any]) -> tuple[list[str], bool]:
    """A JSON Schema's types without ``"null"`` (``"type": ["integer", "null"]``), and whether
    null is allowed."""
    raw = schema.get("type")
    kinds = [str(k) for k in (raw if isinstance(raw, list) else [raw] if raw else [])]
    if not kinds and schema.get("properties"):
        kinds = ["object"]
    nullable = "null" in kinds or bool(schema.get("nullable"))
    return [k for k in kinds if k != "null"], nullable


def _pyrepr(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


LINE = 100


def _bracketed(
    items: list[str], indent: int, opening: str, closing: str, *, tail: str = ",", start: int = 0
) -> str:
    """``items`` in brackets as ruff format lays them out on a line indented by ``indent`` whose
    bracket opens at column ``start`` (default: ``indent``): on one line when it fits (``tail``
    after it), else the items on one line of their own, else one per line with a trailing
    comma."""
    flat = opening + ", ".join(items) + closing
    if max(start, indent) + len(flat) + len(tail) <= LINE:
        return flat + tail
    pad = " " * (indent + 4)
    middle = ", ".join(items)
    if indent + 4 + len(middle) <= LINE:
        return f"{opening}\n{pad}{middle}\n{' ' * indent}{closing}{tail}"
    body = "".join(f"{pad}{item},\n" for item in items)
    return f"{opening}\n{body}{' ' * indent}{closing}{tail}"


def _wire_map(pairs: list[tuple[str, str]], indent: int = 4) -> str:
    """A Spec's ``{"python_name": "wireName"}`` argument line."""
    return _bracketed([f"{_pyrepr(a)}: {_pyrepr(b)}" for a, b in pairs], indent, "{", "}")


def _field(name: str, annotation: str, alias: str, optional: bool) -> str:
    """A REST 3.0 result model's field line(s), laid out as ruff format would."""
    head = f"    {name}: {annotation} = Field"
    args = (["None"] if optional else []) + [f"alias={_pyrepr(alias)}"]
    return head + _bracketed(args, 4, "(", ")", tail="", start=len(head))


def _tuple(items: list[str]) -> str:
    texts = [_pyrepr(i) for i in items]
    return f"({texts[0]},)" if len(texts) == 1 else "(" + ", ".join(texts) + ")"


def _signature(head: str, params: str, returns: str, indent: int = 4) -> str:
    """``def name(params) -> returns:`` on one line, or with the parameters on their own line,
    as ruff format would put it."""
    flat = f"{head}({params}) -> {returns}:"
    if indent + len(flat) <= LINE:
        return flat
    return f"{head}(\n{' ' * (indent + 4)}{params}\n{' ' * indent}) -> {returns}:"


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
    env.filters["wire_map"] = _wire_map
    env.filters["pytuple"] = _tuple
    env.globals["signature"] = _signature
    env.globals["field"] = _field
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
