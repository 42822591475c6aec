"""Render schemas into the ``b24typed.methods`` and ``b24typed.models`` packages.

The output is a dict {relative path: text}; :mod:`codegen.generate` writes it to a staging folder,
formats it with ruff and syncs it into ``src/b24typed``.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from codegen.generator.entities import group_entities
from codegen.generator.naming import NameRegistry, identifier, pascal_case
from codegen.generator.tree import Node, build_tree, class_name, group_of, module_parts, walk
from codegen.generator.tree import Path as NodePath
from codegen.generator.types import ModelsModule, nullable, schema_types

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
DOCS_BASE = "https://apidocs.bitrix24.com/"

# Names the client classes (and the typed batch) use: a top-level REST v2 namespace must not
# take them (the v2 root namespace is mixed into the clients).
CLIENT_EXTRA = frozenset({"batch", "refresh_v3_methods", "v3", "send"})


def client_reserved() -> frozenset[str]:
    from b24typed.core import client

    names: set[str] = set(CLIENT_EXTRA)
    for cls in (client.B24Hook, client.AsyncB24Hook, client.B24OAuth, client.AsyncB24OAuth):
        names.update(n for n in dir(cls) if not n.startswith("__"))
    return frozenset(names)


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    env.filters["pyrepr"] = lambda value: json.dumps(value, ensure_ascii=False)
    env.filters["pystr"] = long_string
    env.filters["docwrap"] = lambda text: (
        "\n    ".join(textwrap.wrap(text, 88, break_long_words=False, break_on_hyphens=False))
        + ("\n    " if len(text) > 88 else "")
    )
    return env


def long_string(value: str, width: int = 70) -> str:
    """A string literal; long ones as implicit concatenation in parentheses (fits 100 columns)."""
    if len(value) <= width:
        return json.dumps(value, ensure_ascii=False)
    chunks = textwrap.wrap(value, width, drop_whitespace=False, break_long_words=True)
    return "(" + " ".join(json.dumps(c, ensure_ascii=False) for c in chunks) + ")"


def wrap_doc(lines: list[str], width: int = 92) -> list[str]:
    """Docstring lines wrapped to ``width``; words longer than a line stay whole."""
    out: list[str] = []
    for line in lines:
        if len(line) <= width:
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        out.extend(
            textwrap.wrap(
                line,
                width,
                subsequent_indent=indent + "    ",
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
    return out


def doc_text(text: str) -> str:
    """Text safe inside a triple-quoted docstring."""
    return text.replace("\\", "/").replace('"""', "'''")


def doc_url(doc: Any) -> str | None:
    if not isinstance(doc, str) or not doc:
        return None
    path = doc[:-3] + ".html" if doc.endswith(".md") else doc
    return DOCS_BASE + path.lstrip("/")


@dataclass
class Param:
    name: str
    wire: str
    annotation: str
    required: bool


@dataclass
class Builder:
    name: str
    method: str
    params: list[Param]
    returns: str
    ctor: str
    result: str | None
    doc: list[str]
    list_args: dict[str, Any] | None
    deprecation: str | None


@dataclass
class Child:
    attr: str
    cls: str
    module: str | None  # None: defined in the same module


@dataclass
class NodeClass:
    cls: str
    doc: str
    methods: list[tuple[str, str, str]] = field(default_factory=list)  # attr, descriptor, builder
    children: list[Child] = field(default_factory=list)
    call: tuple[str, str] | None = None  # (descriptor, builder) when the node is also a method
    iterate: tuple[str, str] | None = None


@dataclass
class Group:
    path: NodePath
    methods_module: str
    models_module: str
    builders: list[Builder] = field(default_factory=list)
    nodes: list[NodeClass] = field(default_factory=list)
    models: ModelsModule = field(default_factory=ModelsModule)
    names: NameRegistry = field(default_factory=NameRegistry)
    runtime_imports: set[tuple[str, str]] = field(default_factory=set)  # (module, name)
    type_imports: set[tuple[str, str]] = field(default_factory=set)


def has_wrapper(document: dict[str, Any]) -> bool:
    """Whether a schema gets a typed wrapper: its params must be an object (a JSON body that is a
    list, as REST 3.0 ``batch`` takes, cannot be sent as keyword arguments; ``b24.batch()`` is the
    typed way to batch)."""
    params = document.get("params")
    return not isinstance(params, dict) or schema_types(params) in (["object"], [])


class ApiGenerator:
    """Everything generated for one API version."""

    def __init__(
        self,
        api: int,
        documents: list[dict[str, Any]],
        reserved: frozenset[str],
        v2_root: Node | None = None,
    ) -> None:
        self.api = api
        self.documents = sorted((d for d in documents if has_wrapper(d)), key=lambda d: d["method"])
        self.root = build_tree(self.documents, reserved)
        self.v2_root = v2_root
        self.groups: dict[NodePath, Group] = {}
        self.builders: dict[NodePath, tuple[Group, Builder]] = {}
        self.class_names = NameRegistry(
            {*TYPED_NAMES, "TYPE_CHECKING", "Any", "Literal", "Mapping", "Sequence"}
            | {"cached_property", "date", "datetime"}
            | ({"V3Root"} if api == 2 else set())
        )
        self.node_classes: dict[NodePath, str] = {}
        for node in walk(self.root):
            if node.is_namespace:
                self.node_classes[node.path] = self.class_names.take(class_name(api, node.path))
        for node in walk(self.root):
            if node.is_namespace:
                self.group(group_of(node.path))

    # --- modules ---------------------------------------------------------------------------

    def module(self, package: str, path: NodePath) -> str:
        parts = module_parts(self.root, path)
        return ".".join([f"b24typed.{package}.v{self.api}", *parts])

    def is_package(self, path: NodePath) -> bool:
        return len(path) < 2

    def file_of(self, package: str, path: NodePath) -> str:
        parts = module_parts(self.root, path)
        base = "/".join([package, f"v{self.api}", *parts])
        return f"{base}/__init__.py" if self.is_package(path) else f"{base}.py"

    def group(self, path: NodePath) -> Group:
        found = self.groups.get(path)
        if found is None:
            found = Group(path, self.module("methods", path), self.module("models", path))
            found.names = NameRegistry(
                {"M", "UNSET", "Unset", "Call", "ListCall", "Namespace", "TYPE_CHECKING"}
                | set(self.node_classes.values())
                | self._submodules(path)
            )
            self.groups[path] = found
        return found

    def _submodules(self, path: NodePath) -> set[str]:
        node = self.root
        for segment in path:
            node = node.children[segment]
        return set(node.attrs.values()) if self.is_package(path) else set()

    # --- generation ------------------------------------------------------------------------

    def run(self) -> None:
        for node in walk(self.root):
            if node.schema is not None:
                self.add_method(node)
        for node in walk(self.root):
            if node.is_namespace:
                self.add_node(node)

    def add_method(self, node: Node) -> None:
        doc = node.schema
        assert doc is not None
        method: str = doc["method"]
        group = self.group(group_of(node.path[:-1]))
        models = group.models
        models.context = method
        base = ("V3" if self.api == 3 else "") + pascal_case(*node.path)
        result_schema = doc.get("result")
        list_args: dict[str, Any] | None = None
        item: str | None = None
        listing = doc.get("list") or {}
        is_list = bool(doc.get("list")) or (
            doc.get("kind") == "list" and doc.get("pagination") in ("start", "v3")
        )
        if is_list:
            items_key = listing.get("items_key")
            item_schema = _items_schema(result_schema, items_key)
            if item_schema is not None:
                item_type = models.result_type(item_schema, f"{base}Item")
                if item_type in models.result_names():
                    item = item_type
                elif item_type != "Any":
                    item = models.alias(f"{base}Item", item_type)
            default_key = "id" if self.api == 3 else "ID"
            list_args = {
                "item": item,
                "items_key": items_key,
                "id_key": listing.get("id_key") or default_key,
                "cursor_key": listing.get("cursor_key") or listing.get("id_key") or default_key,
                "pagination": "v3" if self.api == 3 else "start",
            }
        result = models.root_result(
            result_schema, f"{base}Result", f"Result of ``{method}`` (REST {self._api_name})."
        )
        params: list[Param] = []
        reserved = {"extra_params", "progress"} if list_args is not None else {"extra_params"}
        kwargs = NameRegistry(reserved, sep="_")
        schema = doc.get("params")
        if isinstance(schema, dict) and schema_types(schema) in (["object"], []):
            props = schema.get("properties") or {}
            required = set(schema.get("required") or [])
            order = sorted(props, key=lambda w: (w not in required, w))
            for wire in order:
                name = kwargs.take(identifier(wire, reserved=reserved))
                annotation = _convention(wire, props[wire]) or _open_fields(
                    wire,
                    _qualify(models.param_type(props[wire], base + pascal_case(wire)), models),
                    models,
                )
                params.append(Param(name, wire, annotation, wire in required))
        deprecation = None
        if doc.get("deprecated"):
            deprecation = f"{method} is deprecated in Bitrix24"
            if doc.get("replacement"):
                deprecation += f"; use {doc['replacement']}"
        returns_model = f"_m.{result}" if result else "Any"
        if list_args is not None:
            item_type = f"_m.{item}" if item else "Any"
            returns = f"ListCall[{returns_model}, {item_type}]"
        else:
            returns = f"Call[{returns_model}]"
        builder = Builder(
            name=group.names.take(identifier(method.replace(".", "_"))),
            method=method,
            params=params,
            returns=returns,
            ctor="ListCall" if list_args is not None else "Call",
            result=result,
            doc=self.method_doc(doc, result, group),
            list_args=list_args,
            deprecation=deprecation,
        )
        group.builders.append(builder)
        self.builders[node.path] = (group, builder)

    @property
    def _api_name(self) -> str:
        return "3.0" if self.api == 3 else "v2"

    def method_doc(self, doc: dict[str, Any], result: str | None, group: Group) -> list[str]:
        method = doc["method"]
        lines = [f"Call ``{method}`` (REST {self._api_name})."]
        lines.append("")
        scopes = [s for s in doc.get("scopes") or [] if isinstance(s, str)]
        if scopes:
            lines.append(f"Scopes: {', '.join(scopes)}.")
        url = doc_url(doc.get("doc"))
        if url:
            lines.append("Docs:")
            lines.append(f"    {url}")
        if doc.get("undocumented"):
            lines.append("Not in the public docs: typed from the portal's OpenAPI description.")
        if doc.get("deprecated"):
            replacement = doc.get("replacement")
            text = "Deprecated in Bitrix24."
            if replacement:
                text += f" Use ``{replacement}``."
            lines.append(text)
        for target in doc.get("v3_equivalents") or []:
            lines.append(
                f"REST 3.0 equivalent: ``{target}`` (``{self._v3_path(target)}``);"
                " calling this REST v2 method logs a migration warning."
            )
        if doc.get("kind") == "list" or doc.get("list"):
            lines.append(
                "``.iterate(...)`` walks every page (``progress=True`` shows a bar there)."
            )
        if result:
            lines.append("Returns:")
            lines.append(f"    :class:`{group.models_module}.{result}`.")
        return wrap_doc([doc_text(line) for line in lines])

    def _v3_path(self, target: str) -> str:
        parts = ".".join(identifier(p) for p in target.split("."))
        return f"b24.v3.{parts}"

    def add_node(self, node: Node) -> None:
        group = self.group(group_of(node.path))
        cls = self.node_classes[node.path]
        label = ".".join(node.path) if node.path else f"REST {self._api_name}"
        doc = (
            f"REST {self._api_name} methods under ``{label}.``."
            if node.path
            else f"The REST {self._api_name} method tree."
        )
        entry = NodeClass(cls=cls, doc=doc)
        for segment in sorted(node.children):
            child = node.children[segment]
            attr = node.attrs[segment]
            if child.is_namespace:
                child_group = group_of(child.path)
                module = None if child_group == group.path else self.module("methods", child_group)
                entry.children.append(Child(attr, self.node_classes[child.path], module))
                if module is not None:
                    group.type_imports.add((module, self.node_classes[child.path]))
            else:
                descriptor, builder = self._descriptor(child, group)
                entry.methods.append((attr, descriptor, builder))
        if node.schema is not None and node.path:
            descriptor, builder = self._descriptor(node, group)
            entry.call = (descriptor.replace("ListMethod", "Method"), builder)
            if "ListMethod" in descriptor:
                entry.iterate = ("Iterate", builder)
        group.nodes.append(entry)

    def _descriptor(self, node: Node, group: Group) -> tuple[str, str]:
        owner, builder = self.builders[node.path]
        kind = "ListMethod" if builder.list_args is not None else "Method"
        if builder.deprecation:
            kind = f"Deprecated{kind}"
        name = builder.name
        if owner is not group:
            name = group.names.take(f"_{builder.name}")
            group.runtime_imports.add((owner.methods_module, f"{builder.name} as {name}"))
        return kind, name

    def list_table(self) -> dict[str, tuple[str | None, str, str]]:
        """List method -> (items key, id key, cursor key), for the core's list registry."""
        default_key = "id" if self.api == 3 else "ID"
        table: dict[str, tuple[str | None, str, str]] = {}
        for doc in self.documents:
            listing = doc.get("list") or {}
            if not listing and not (
                doc.get("kind") == "list" and doc.get("pagination") in ("start", "v3")
            ):
                continue
            id_key = listing.get("id_key") or default_key
            table[doc["method"]] = (
                listing.get("items_key"),
                id_key,
                listing.get("cursor_key") or id_key,
            )
        return table

    def migration_table(self) -> dict[str, list[str]]:
        table: dict[str, list[str]] = {}
        for doc in self.documents:
            targets = [t for t in doc.get("v3_equivalents") or [] if isinstance(t, str)]
            if targets and self.api == 2:
                table[doc["method"]] = targets
        return table


def _convention(wire: str, schema: Any) -> str | None:
    """Bitrix conventions that beat the schema's shape for list parameters.

    The docs often describe ``filter``/``order``/``select`` with the entity's field table; a closed
    TypedDict would then reject operator-prefixed keys (``">ID"``, ``"%TITLE"``) and field names
    in ``select``. Object ``filter``/``order`` stay open mappings; ``select`` is a list of names.
    """
    if not isinstance(schema, dict):
        return None
    name = wire.lower()
    types = schema_types(schema)
    suffix = " | None" if nullable(schema) else ""
    if name in ("filter", "order") and types[:1] == ["object"]:
        return "Mapping[str, Any]" + suffix
    if name == "select" and types[:1] == ["array"]:
        return "Sequence[str]" + suffix
    return None


def _open_fields(wire: str, annotation: str, models: ModelsModule) -> str:
    """``fields`` of a method without an entity takes its documented fields and the portal's own
    ``UF_*`` ones: the TypedDict (completion, value types) or any mapping (user fields). An
    entity's ``...Fields`` stays closed: user fields go through ``with_user_fields``."""
    if annotation[3:] in models.entity_imports:
        return annotation
    if wire.lower() == "fields" and annotation.startswith("_m.") and " " not in annotation:
        return f"{annotation} | Mapping[str, Any]"
    return annotation


def _qualify(annotation: str, models: ModelsModule) -> str:
    """Prefix the names defined in the models module with ``_m.`` (a methods-module annotation)."""
    names = set(models.result_names())

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        return f"_m.{word}" if word in names else word

    return re.sub(r"(?<![\w.\"])[A-Z]\w*", swap, annotation)


IMPORTS = "# @@IMPORTS@@"
_DOCSTRING = re.compile(r'"""(?:.|\n)*?"""')


_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')


def _used(text: str, names: list[str]) -> list[str]:
    code = _STRING.sub('""', _DOCSTRING.sub("", text))
    return sorted(n for n in names if re.search(rf"(?<![\w.]){re.escape(n)}\b", code))


def _line(module: str, names: list[str]) -> str:
    return f"from {module} import {', '.join(names)}" if names else ""


TYPED_NAMES = [
    "UNSET",
    "Call",
    "DeprecatedListMethod",
    "DeprecatedMethod",
    "Iterate",
    "ListCall",
    "ListMethod",
    "ListProgress",
    "M",
    "Method",
    "Namespace",
    "Unset",
]
MODEL_NAMES = [
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
]


def _stdlib(text: str, typing_extra: list[str]) -> list[str]:
    return [
        _line("collections.abc", _used(text, ["Mapping", "Sequence"])),
        _line("datetime", [n for n in ("date", "datetime") if re.search(rf"\| {n}\b", text)]),
        _line("functools", _used(text, ["cached_property"])),
        _line("typing", _used(text, ["Any", "Literal", *typing_extra])),
    ]


def methods_imports(text: str, group: Group, extra: set[tuple[str, str]]) -> str:
    uses_models = re.search(r"(?<![\w.])_m\.", _DOCSTRING.sub("", text)) is not None
    needs_check = uses_models or bool(group.type_imports or extra)
    lines = _stdlib(text, [])
    typing_names = _used(text, ["Any", "Literal"]) + (["TYPE_CHECKING"] if needs_check else [])
    lines[-1] = _line("typing", sorted(typing_names))
    lines.append(_line("b24typed.core.typed", _used(text, TYPED_NAMES)))
    for module, name in sorted(group.runtime_imports):
        lines.append(f"from {module} import {name}")
    checking = []
    if uses_models:
        checking.append(f"import {group.models_module} as _m")
    for module, name in sorted(group.type_imports | extra):
        checking.append(f"from {module} import {name}")
    block = "\n".join(line for line in lines if line)
    if checking:
        block += "\n\nif TYPE_CHECKING:\n" + "\n".join(f"    {c}" for c in checking)
    return block


def models_imports(text: str, models: ModelsModule) -> str:
    lines = _stdlib(text, ["TypeAlias", "TypedDict"])
    lines.append(_line("pydantic", _used(text, ["Field"])))
    lines.append(_line("typing_extensions", _used(text, ["Required"])))
    lines.append(_line("b24typed.core.typed_models", _used(text, MODEL_NAMES)))
    lines.append(_line("b24typed.fieldtypes", sorted(models.field_names)))
    by_module: dict[str, list[str]] = {}
    for local, (module, name) in sorted(models.entity_imports.items()):
        by_module.setdefault(module, []).append(f"{name} as {local}")
    lines.extend(_line(module, names) for module, names in sorted(by_module.items()))
    return "\n".join(line for line in lines if line)


def _items_schema(result: Any, items_key: str | None) -> Any:
    if not isinstance(result, dict):
        return None
    if items_key:
        props = result.get("properties")
        if isinstance(props, dict) and isinstance(props.get(items_key), dict):
            return props[items_key].get("items")
        return None
    if "array" in schema_types(result):
        return result.get("items")
    return None


def render(
    documents: list[dict[str, Any]], entities: list[dict[str, Any]] | None = None
) -> tuple[dict[str, str], dict[str, int]]:
    """Every generated file {path relative to src/b24typed: text}, and counts."""
    env = environment()
    grouped = group_entities(entities or [])
    by_api: dict[int, list[dict[str, Any]]] = {2: [], 3: []}
    for document in documents:
        by_api.setdefault(int(document["api"]), []).append(document)
    files: dict[str, str] = {}
    v2 = ApiGenerator(2, by_api[2], client_reserved())
    v2.run()
    v3 = ApiGenerator(3, by_api[3], frozenset())
    v3.run()
    counts = {"methods": 0, "models": 0, "typeddicts": 0, "aliases": 0}
    for generator in (v2, v3):
        for path, group in sorted(generator.groups.items()):
            is_root = not path
            files[generator.file_of("methods", path)] = env.get_template(
                "methods_module.py.jinja"
            ).render(
                api=generator.api,
                api_name=generator._api_name,
                group=group,
                label=".".join(path) if path else "",
                is_root=is_root,
                v3_root=is_root and generator.api == 2,
                imports=IMPORTS,
            )
            text = files[generator.file_of("methods", path)]
            extra = {("b24typed.methods.v3", "V3Root")} if is_root and generator.api == 2 else set()
            files[generator.file_of("methods", path)] = text.replace(
                IMPORTS, methods_imports(text, group, extra)
            )
            files[generator.file_of("models", path)] = env.get_template(
                "models_module.py.jinja"
            ).render(
                api=generator.api,
                api_name=generator._api_name,
                group=group,
                label=".".join(path) if path else "",
                models=group.models,
                imports=IMPORTS,
            )
            text = files[generator.file_of("models", path)]
            files[generator.file_of("models", path)] = text.replace(
                IMPORTS, models_imports(text, group.models)
            )
            counts["methods"] += len(group.builders)
            for item in group.models.items:
                key = {"ModelClass": "models", "TypedDictDef": "typeddicts", "Alias": "aliases"}
                counts[key[type(item).__name__]] += 1
    files["methods/__init__.py"] = env.get_template("methods_init.py.jinja").render()
    exports = [
        (module, sorted(n for m in models for n in (m.name, f"{m.name}Fields")))
        for module, models in sorted(grouped.items())
    ]
    files["models/__init__.py"] = env.get_template("models_init.py.jinja").render(exports=exports)
    files["models/entities/__init__.py"] = env.get_template("entities_init.py.jinja").render()
    for module, models in grouped.items():
        files[f"models/entities/{module}.py"] = env.get_template("entities_module.py.jinja").render(
            module=module, models=models, names=[m.name for m in models]
        )
        counts["models"] += len(models)
        counts["typeddicts"] += len(models)
    files["methods/_migrations.py"] = env.get_template("migrations.py.jinja").render(
        table=v2.migration_table()
    )
    files["methods/_lists.py"] = env.get_template("lists.py.jinja").render(
        v2=v2.list_table(), v3=v3.list_table()
    )
    return files, counts
