"""Names never collide: every schema reaches its own wrapper; models build without shadowing."""

from __future__ import annotations

import ast
import importlib
import inspect
import keyword
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from b24typed import B24Hook
from b24typed.core.typed import Namespace
from codegen.generator.naming import MODEL_RESERVED, NameRegistry, identifier, pascal_case
from codegen.generator.tree import build_tree, walk

from .wrappers import attribute_path, build, schemas, trees, wrapper_of

SRC = Path(__file__).resolve().parents[2] / "src" / "b24typed"


@pytest.fixture(scope="module")
def b24() -> B24Hook:
    return B24Hook(b24_url="https://example.bitrix24.com", user_id=1, secret="s")


def test_every_schema_reaches_its_own_wrapper(b24: B24Hook) -> None:
    seen: dict[tuple[str, ...], str] = {}
    for document in schemas():
        path = tuple(attribute_path(document))
        assert path not in seen, f"{document['method']} and {seen[path]} share {path}"
        seen[path] = document["method"]
        for name in path:
            assert name.isidentifier() and not keyword.iskeyword(name), (document, name)
        wrapper = wrapper_of(b24, document)
        built = build(wrapper, _marks(wrapper))
        assert (built.api, built.method) == (document["api"], document["method"])


def test_client_attributes_are_not_shadowed(b24: B24Hook) -> None:
    for name in ("call", "call_method", "batch", "close", "actions", "refresh_v3_methods", "v3"):
        assert not isinstance(getattr(b24, name), Namespace | type(None)) or name == "v3"
    assert callable(b24.batch)
    # REST v2 has a top-level `batch` method: it is reachable without hiding b24.batch().
    batch_schema = next(d for d in schemas() if d["api"] == 2 and d["method"] == "batch")
    assert attribute_path(batch_schema) == ["batch_"]


def test_methods_that_are_also_namespaces() -> None:
    both = [
        node
        for api in (2, 3)
        for node in walk(trees()[api])
        if node.schema is not None and node.children
    ]
    assert both, "expected some a.b next to a.b.c in the schemas"
    b24 = B24Hook(b24_url="https://example.bitrix24.com", user_id=1, secret="s")
    for node in both:
        wrapper = wrapper_of(b24, node.schema)
        assert build(wrapper, _marks(wrapper)).method == node.schema["method"]


def _marks(wrapper: Any) -> dict[str, Any]:
    names = inspect.signature(wrapper).parameters
    return {n: 1 for n in names if n != "extra_params"}


def test_naming_rules() -> None:
    assert identifier("import") == "import_"
    assert identifier("class") == "class_"
    assert identifier("getFields") == "get_fields"
    assert identifier("UF_CRM_1") == "uf_crm_1"
    assert identifier("1c") == "n1c"
    assert identifier("schema", reserved=MODEL_RESERVED) == "schema_"
    assert identifier("model_dump", reserved=MODEL_RESERVED) == "model_dump_"
    assert pascal_case("crm", "item", "getFields") == "CrmItemGetFields"
    names = NameRegistry()
    assert [names.take("A"), names.take("A"), names.take("A")] == ["A", "A2", "A3"]
    root = build_tree(
        [
            {"method": "a.b", "api": 2},
            {"method": "a.b.c", "api": 2},
            {"method": "a.userField", "api": 2},
            {"method": "a.userfield", "api": 2},
            {"method": "a.iterate", "api": 2},
            {"method": "batch", "api": 2},
        ],
        frozenset({"batch"}),
    )
    attrs = root.children["a"].attrs
    assert attrs["userField"] != attrs["userfield"]
    assert {attrs["userField"], attrs["userfield"]} == {"user_field", "userfield"}
    assert attrs["iterate"] == "iterate_"
    assert root.attrs["batch"] == "batch_"


def test_generated_models_fields_and_classes_are_unique() -> None:
    for path in sorted((SRC / "models").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = Counter(
            node.name if isinstance(node, ast.ClassDef) else node.target.id  # type: ignore[union-attr]
            for node in tree.body
            if isinstance(node, ast.ClassDef)
            or (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name))
        )
        assert [n for n, c in top.items() if c > 1] == [], path
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                fields = [
                    s.target.id
                    for s in node.body
                    if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
                ]
                assert len(fields) == len(set(fields)), (path, node.name)
                assert not set(fields) & MODEL_RESERVED, (path, node.name)


def test_every_model_builds_without_warnings() -> None:
    """Import every models module and build every model (pydantic warns on shadowed names)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for path in sorted((SRC / "models").rglob("*.py")):
            parts = path.relative_to(SRC.parent).with_suffix("").parts
            module = importlib.import_module(".".join(p for p in parts if p != "__init__"))
            for value in vars(module).values():
                if (
                    isinstance(value, type)
                    and issubclass(value, BaseModel)
                    and value.__module__ == module.__name__
                ):
                    value.model_rebuild()
                    assert value.__pydantic_complete__, value
