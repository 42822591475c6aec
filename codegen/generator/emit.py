"""Render schemas into the ``b24typed.methods`` and ``b24typed.models`` packages.

The output is a dict {relative path: text}; :mod:`codegen.generate` writes it to a staging folder,
formats it with ruff and syncs it into ``src/b24typed``.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass, field, replace
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
CLIENT_EXTRA = frozenset({"batch", "refresh_v3_methods", "v3", "send", "raw", "request"})


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
class MethodSpec:
    """One REST method as the namespaces of its module see it: its ``Spec`` constant, signature,
    result and item types, docstring and deprecation message."""

    const: str
    method: str
    params: list[Param]
    result: str | None
    result_type: str
    item_type: str
    doc: list[str]
    list_args: dict[str, Any] | None
    deprecation: str | None
    walk_doc: list[str] = field(default_factory=list)
    one_of: list[list[str]] = field(default_factory=list)  # Python names: one of each is needed

    @property
    def wire(self) -> dict[str, str]:
        return {p.name: p.wire for p in self.params}


@dataclass
class MethodEntry:
    attr: str  # the Python method name (``__call__`` when the namespace itself is the method)
    iterate: str  # the name of its ``.iterate_*`` twin (list methods)
    spec: MethodSpec


@dataclass
class Child:
    attr: str
    cls: str
    module: str | None  # None: defined in the same module


@dataclass
class NodeClass:
    cls: str
    doc: str
    is_root: bool = False
    methods: list[MethodEntry] = field(default_factory=list)
    children: list[Child] = field(default_factory=list)


@dataclass(frozen=True)
class Flavor:
    """One of the three twins generated for every namespace."""

    prefix: str
    base: str
    returns: str  # the return annotation of a call, ``{}`` standing for the result type
    doc: str
    is_async: bool = False
    is_batch: bool = False
    iterates: str = "Iterator"
    loop: str = ""


FLAVORS = (
    Flavor("", "SyncNamespace", "{}", "", loop="for item in ...:"),
    Flavor(
        "Async",
        "AsyncNamespace",
        "{}",
        "The async twin: await each call.",
        is_async=True,
        iterates="AsyncIterator",
        loop="async for item in ...:",
    ),
    Flavor(
        "Batch",
        "BatchNamespace",
        "BatchHandle[{}]",
        "The batch twin: each call is queued (``b24.batch()``).",
        is_batch=True,
    ),
)


@dataclass
class Group:
    path: NodePath
    methods_module: str
    models_module: str
    specs: list[MethodSpec] = field(default_factory=list)
    nodes: list[NodeClass] = field(default_factory=list)
    models: ModelsModule = field(default_factory=ModelsModule)
    names: NameRegistry = field(default_factory=NameRegistry)
    runtime_imports: set[tuple[str, str]] = field(default_factory=set)  # (module, name)
    type_imports: set[tuple[str, str]] = field(default_factory=set)
    other_models: set[str] = field(default_factory=set)  # imported as ``_pm`` (at most one)


# ``entityTypeId`` of the CRM entities whose own methods ``crm.item.*`` replaces.
ENTITY_TYPE_IDS = {"lead": 1, "deal": 2, "contact": 3, "company": 4, "quote": 7}

SUMMARIES = {
    "get": "Read one ``{object}`` record.",
    "list": "One page of ``{object}`` records.",
    "add": "Create a ``{object}`` record.",
    "update": "Change a ``{object}`` record.",
    "delete": "Delete a ``{object}`` record.",
    "fields": "Describe the fields of ``{object}``.",
}


def summary(doc: dict[str, Any]) -> str:
    """A one-line summary from the method's kind and name (the docs' prose is never copied)."""
    method = str(doc["method"])
    parts = method.split(".")
    target = ".".join(parts[:-1]) or method
    kind = doc.get("kind")
    if isinstance(kind, str) and kind in SUMMARIES and len(parts) > 1:
        return SUMMARIES[kind].format(object=target)
    return f"The ``{parts[-1]}`` action of ``{target}``."


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
        self.specs: dict[NodePath, tuple[Group, MethodSpec]] = {}
        self.class_names = NameRegistry(
            {*TYPED_NAMES, "TYPE_CHECKING", "Any", "Literal", "Mapping", "Sequence"}
            | {"cached_property", "date", "datetime", "deprecated", "Iterator", "AsyncIterator"}
            | ({f"{f.prefix}V3Root" for f in FLAVORS} if api == 2 else set())
        )
        self.node_classes: dict[NodePath, str] = {}
        for node in walk(self.root):
            if node.is_namespace:
                name = class_name(api, node.path)
                while any(f"{f.prefix}{name}" in self.class_names for f in FLAVORS):
                    name += "_"
                for flavor in FLAVORS:
                    self.class_names.take(f"{flavor.prefix}{name}")
                self.node_classes[node.path] = name
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
                {*TYPED_NAMES, "TYPE_CHECKING", "_MODELS", "_m"}
                | {f"{f.prefix}{name}" for name in self.node_classes.values() for f in FLAVORS}
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
            id_key = listing.get("id_key") or default_key
            list_args = {
                "item": item,
                "items_key": items_key,
                "id_key": id_key,
                "cursor_key": listing.get("cursor_key") or id_key,
                "walk": self._walk_mode(doc, item_schema, id_key),
            }
        result = models.root_result(
            result_schema, f"{base}Result", f"Result of ``{method}`` (REST {self._api_name})."
        )
        params: list[Param] = []
        reserved = {"extra_params", "self"}
        if list_args is not None:
            reserved |= {"mode", "items_key", "id_key", "cursor_key", "progress"}
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
        python_name = {p.wire: p.name for p in params}
        one_of = [
            [python_name[w] for w in wires if w in python_name]
            for wires in (schema.get("x-required-one-of") if isinstance(schema, dict) else None)
            or []
        ]
        spec = MethodSpec(
            const=group.names.take("_" + identifier(method.replace(".", "_")).upper()),
            method=method,
            params=params,
            result=result,
            result_type=f"_m.{result}" if result else "Any",
            item_type=f"_m.{item}" if item else "Any",
            doc=self.method_doc(
                doc, result, group, node, walks=bool(list_args and list_args["walk"])
            ),
            list_args=list_args,
            deprecation=self.deprecation(doc) if doc.get("deprecated") else None,
            one_of=[names for names in one_of if len(names) > 1],
        )
        needs = [
            "Needs one of " + ", ".join(f"``{name}``" for name in names) + "."
            for names in spec.one_of
        ]
        if needs:
            spec.doc[1:1] = ["", *wrap_doc(needs, width=84)]
        if list_args is not None and list_args["walk"]:
            spec.walk_doc = self.walk_doc(list_args["walk"])
        group.specs.append(spec)
        self.specs[node.path] = (group, spec)

    def _walk_mode(self, doc: dict[str, Any], item_schema: Any, id_key: str) -> str | None:
        """How ``iterate_*`` walks a list by default, from its schema: keyset paging (``"batch"``)
        needs a ``filter`` parameter, items whose id is an integer, and documented example items
        that carry it; REST v2 lists without them walk by ``start``/``next`` (``"offset"``);
        REST 3.0 lists without them get no ``iterate_*``, nor lists whose answer holds several
        lists and no items key says which."""
        if _ambiguous_items(doc):
            return None  # several lists in the answer and no items key: no walk can pick one
        params = doc.get("params") if isinstance(doc.get("params"), dict) else {}
        names = {str(name).lower() for name in (params or {}).get("properties") or {}}
        props = item_schema.get("properties") if isinstance(item_schema, dict) else None
        id_schema = next(
            (v for k, v in (props or {}).items() if str(k).lower() == id_key.lower()), None
        )
        keyset = (
            "filter" in names
            and isinstance(id_schema, dict)
            and "integer" in schema_types(id_schema)
            and _examples_carry_ids(doc, id_key)
        )
        if self.api == 3:
            return "keyset" if keyset else None
        return "batch" if keyset else "offset"

    def walk_doc(self, walk: str) -> list[str]:
        lines = []
        if self.api == 2:
            lines.append(
                '``mode``: ``"batch"`` (keyset by id, 50 pages a request), ``"fast"`` (keyset,'
                ' a page a request) or ``"offset"`` (``start``/``next``, keeps ``order``);'
                " keyset modes replace ``order`` and log a warning."
            )
            if walk == "offset":
                lines.append(
                    'Default ``"offset"``: the schema gives this list no id filter to page by.'
                )
        lines.append(
            "``items_key``/``id_key``/``cursor_key`` override where the items and their ids"
            " are; ``progress=True`` shows a tqdm bar, or pass ``callback(done, total)``."
        )
        return wrap_doc([doc_text(line) for line in lines], width=84)

    def deprecation(self, doc: dict[str, Any]) -> str:
        """The deprecation message: what type checkers print and the runtime warning says."""
        method = doc["method"]
        replacement = doc.get("replacement")
        if not isinstance(replacement, str) or not replacement:
            return f"{method} is deprecated in Bitrix24, which documents no replacement"
        if "*" in replacement:
            family = ".".join(identifier(p) for p in replacement.split(".") if p != "*")
            return f"{method} is deprecated: use the b24.{family} methods"
        path = ".".join(identifier(p) for p in replacement.split("."))
        parts = method.split(".")
        entity = ENTITY_TYPE_IDS.get(parts[1]) if len(parts) > 2 and parts[0] == "crm" else None
        if entity is not None and replacement.startswith("crm.item."):
            return f"{method} is deprecated: use b24.{path}(entity_type_id={entity}, ...)"
        return f"{method} is deprecated: use b24.{path}(...)"

    @property
    def _api_name(self) -> str:
        return "3.0" if self.api == 3 else "v2"

    def method_doc(
        self, doc: dict[str, Any], result: str | None, group: Group, node: Node, *, walks: bool
    ) -> list[str]:
        method = doc["method"]
        lines = [summary(doc), ""]
        lines.append(f"REST {self._api_name} method ``{method}``.")
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
            lines.append(self.deprecation(doc) + ".")
        for target in doc.get("v3_equivalents") or []:
            lines.append(
                f"REST 3.0 equivalent: ``{target}`` (``{self._v3_path(target)}``);"
                " calling this REST v2 method logs a migration warning."
            )
        if walks:
            parent = self.root
            for segment in node.path[:-1]:
                parent = parent.children[segment]
            walker = "iterate" if node.children else f"iterate_{parent.attrs[node.path[-1]]}"
            lines.append(f"Every page, item by item: ``{walker}(...)``.")
        if result:
            lines.append("Returns:")
            lines.append(f"    :class:`{group.models_module}.{result}`.")
        return wrap_doc([doc_text(line) for line in lines], width=84)

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
        entry = NodeClass(cls=cls, doc=doc, is_root=not node.path)
        attrs = set(node.attrs.values())
        for segment in sorted(node.children):
            child = node.children[segment]
            attr = node.attrs[segment]
            if child.is_namespace:
                child_group = group_of(child.path)
                module = None if child_group == group.path else self.module("methods", child_group)
                entry.children.append(Child(attr, self.node_classes[child.path], module))
                if module is not None:
                    for flavor in FLAVORS:
                        name = f"{flavor.prefix}{self.node_classes[child.path]}"
                        group.type_imports.add((module, name))
            else:
                iterate = f"iterate_{attr}"
                if iterate in attrs:
                    raise ValueError(f"{'.'.join(child.path)}: {iterate} is also a method name")
                entry.methods.append(MethodEntry(attr, iterate, self._spec_in(child, group)))
        if node.schema is not None and node.path:
            entry.methods.insert(0, MethodEntry("__call__", "iterate", self._spec_in(node, group)))
        group.nodes.append(entry)

    def _spec_in(self, node: Node, group: Group) -> MethodSpec:
        """A method's spec as the module of ``group`` names it (a method that is also a namespace
        has its spec and models in its parent's module: imported under another name)."""
        owner, spec = self.specs[node.path]
        if owner is group:
            return spec
        const = group.names.take(spec.const)
        alias = spec.const if const == spec.const else f"{spec.const} as {const}"
        group.runtime_imports.add((owner.methods_module, alias))
        group.other_models.add(owner.models_module)

        def swap(text: str) -> str:
            return re.sub(r"(?<![\w.])_m\.", "_pm.", text)

        return replace(
            spec,
            const=const,
            params=[replace(p, annotation=swap(p.annotation)) for p in spec.params],
            result_type=swap(spec.result_type),
            item_type=swap(spec.item_type),
        )

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
    "AsyncNamespace",
    "BatchHandle",
    "BatchNamespace",
    "ListMode",
    "ListProgress",
    "ListSpec",
    "Spec",
    "SyncNamespace",
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
    code = _DOCSTRING.sub("", text)
    uses_models = re.search(r"(?<![\w.])_m\.", code) is not None
    needs_check = uses_models or bool(group.type_imports or extra or group.other_models)
    abc = ["AsyncIterator", "Iterator", "Mapping", "Sequence"]
    typing_names = _used(text, ["Any", "Literal"]) + (["TYPE_CHECKING"] if needs_check else [])
    lines = [
        _line("collections.abc", _used(text, abc)),
        _line("datetime", [n for n in ("date", "datetime") if re.search(rf"\| {n}\b", text)]),
        _line("functools", _used(text, ["cached_property"])),
        _line("typing", sorted(typing_names)),
        _line("typing_extensions", _used(text, ["deprecated"])),
        _line("b24typed.core.typed", _used(text, TYPED_NAMES)),
    ]
    for module, name in sorted(group.runtime_imports):
        lines.append(f"from {module} import {name}")
    checking = []
    if uses_models:
        checking.append(f"import {group.models_module} as _m")
    for module in sorted(group.other_models):
        checking.append(f"import {module} as _pm")
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


def _ambiguous_items(doc: dict[str, Any]) -> bool:
    """An object answer with several list members and no ``items_key`` naming one."""
    result = doc.get("result")
    if (doc.get("list") or {}).get("items_key") or not isinstance(result, dict):
        return False
    members = (result.get("properties") or {}).values()
    lists = [m for m in members if isinstance(m, dict) and "array" in schema_types(m)]
    return len(lists) > 1


def _examples_carry_ids(doc: dict[str, Any], id_key: str) -> bool:
    """Whether the documented answer's items (if any) each carry a numeric ``id_key``."""
    examples = doc.get("examples") if isinstance(doc.get("examples"), dict) else {}
    response = (examples or {}).get("response")
    result = response.get("result") if isinstance(response, dict) else None
    listing = doc.get("list") or {}
    key = listing.get("items_key")
    items = result.get(key) if isinstance(result, dict) and key else result
    if isinstance(result, dict) and not key:
        items = next((v for v in result.values() if isinstance(v, list)), None)
    if not isinstance(items, list):
        return True
    for item in items:
        value = (
            next((v for k, v in item.items() if str(k).lower() == id_key.lower()), None)
            if isinstance(item, dict)
            else None
        )
        if not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
            return False
    return True


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
                flavors=FLAVORS,
            )
            text = files[generator.file_of("methods", path)]
            extra = (
                {("b24typed.methods.v3", f"{f.prefix}V3Root") for f in FLAVORS}
                if is_root and generator.api == 2
                else set()
            )
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
            counts["methods"] += len(group.specs)
            for item in group.models.items:
                key = {"ModelClass": "models", "TypedDictDef": "typeddicts", "Alias": "aliases"}
                counts[key[type(item).__name__]] += 1
    files["methods/__init__.py"] = env.get_template("methods_init.py.jinja").render()
    exports = [
        (
            module,
            sorted(n for m in models for n in (m.name, f"{m.name}Fields")[: 1 + m.writable]),
        )
        for module, models in sorted(grouped.items())
    ]
    files["models/__init__.py"] = env.get_template("models_init.py.jinja").render(exports=exports)
    files["models/entities/__init__.py"] = env.get_template("entities_init.py.jinja").render()
    for module, models in grouped.items():
        files[f"models/entities/{module}.py"] = env.get_template("entities_module.py.jinja").render(
            module=module, models=models, names=[m.name for m in models]
        )
        counts["models"] += len(models)
        counts["typeddicts"] += sum(m.writable for m in models)
    files["methods/_migrations.py"] = env.get_template("migrations.py.jinja").render(
        table=v2.migration_table()
    )
    files["methods/_lists.py"] = env.get_template("lists.py.jinja").render(
        v2=v2.list_table(), v3=v3.list_table()
    )
    return files, counts
