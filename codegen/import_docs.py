"""``import-docs``: build schemas/v2 and schemas/v3 from a copy of the Bitrix24 REST docs."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from codegen import schemafile
from codegen.coverage import has_own_page, is_live
from codegen.importers.docs import Context, build_document, descriptor_index, method_kind
from codegen.importers.entities import import_entities
from codegen.importers.fieldtree import Library
from codegen.importers.pages import MethodPage, find_method_pages

DEFAULT_DOCS = schemafile.REPO_ROOT.parent / "shared" / "restdocs"
DEFAULT_V3_NAMES = (
    schemafile.REPO_ROOT.parent / "shared" / "data" / "v3-methods-cloud-2026-09-18.json"
)
DOCS_REPOSITORY = "bitrix24/b24restdocs"
DOCS_SITE = "https://apidocs.bitrix24.com/"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--docs", type=Path, default=DEFAULT_DOCS, help="docs checkout")
    parser.add_argument("--v3-names", type=Path, default=DEFAULT_V3_NAMES, help="REST 3.0 names")
    parser.add_argument("--out", type=Path, default=schemafile.SCHEMAS, help="schemas folder")


def run(args: argparse.Namespace) -> int:
    documents, entities, summary = import_docs(args.docs, args.v3_names)
    changed = schemafile.write_documents(args.out, documents)
    changed += schemafile.write_entities(args.out, entities)
    (args.out / "SOURCE.json").write_text(schemafile.dumps(summary), encoding="utf-8")
    counts = ", ".join(f"{key} {value}" for key, value in summary["counts"].items())
    print(f"{len(documents)} schemas ({counts}), {len(entities)} entities; {changed} files changed")
    return 0


def docs_commit(docs_root: Path) -> str:
    """Read the pinned commit from the docs copy's SOURCE.md."""
    source = docs_root / "SOURCE.md"
    text = source.read_text(encoding="utf-8") if source.is_file() else ""
    match = re.search(r"commit `([0-9a-f]{7,40})`", text)
    return match.group(1) if match else "unknown"


def build_context(docs_root: Path, pages: list[MethodPage]) -> Context:
    return Context(
        docs_root=docs_root,
        docs_commit=docs_commit(docs_root),
        library=Library(docs_root),
        descriptors=descriptor_index(pages),
    )


def import_docs(
    docs_root: Path, v3_names_path: Path | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    """Return every schema document, every entity and the SOURCE.json summary."""
    pages = find_method_pages(docs_root)
    context = build_context(docs_root, pages)
    documents = [build_document(page, context) for page in pages]
    entities = import_entities(docs_root, pages, documents, context.docs_commit)
    names = _v3_names(v3_names_path)
    documents += _undocumented_v3(documents, names, context.docs_commit)
    documents = _apply_overrides(documents, schemafile.load_overrides(), context.docs_commit)
    _mark_equivalents(documents, schemafile.load_equivalents(), names)
    documents.sort(key=lambda document: (document["api"], document["method"]))
    return documents, entities, _summary(documents, context.docs_commit, v3_names_path)


def _v3_names(path: Path | None) -> list[str]:
    if path is None or not path.is_file():
        return []
    return sorted({entry["method"] for entry in schemafile.load(path)["methods"]})


def _undocumented_v3(
    documents: list[dict[str, Any]], names: list[str], commit: str
) -> list[dict[str, Any]]:
    documented = {document["method"] for document in documents if document["api"] == 3}
    return [undocumented_document(name, commit) for name in names if name not in documented]


def undocumented_document(method: str, commit: str | None) -> dict[str, Any]:
    """An untyped REST 3.0 schema for a name that only the portal's method list gives."""
    kind = method_kind(method)
    listing = {"items_key": "items", "id_key": "id", "cursor_key": "id"} if kind == "list" else None
    return {
        "method": method,
        "api": 3,
        "module": method.partition(".")[0],
        "scopes": [],
        "doc": None,
        "deprecated": False,
        "replacement": None,
        "kind": kind,
        "pagination": "v3" if kind == "list" else "none",
        "list": listing,
        "undocumented": True,
        "params": {"type": "object"},
        "result": {},
        "errors": [],
        "examples": {},
        "source": {"docs_commit": commit, "path": None},
    }


def _mark_equivalents(
    documents: list[dict[str, Any]], table: dict[str, list[str]], names: list[str]
) -> None:
    listed = set(names)
    for document in documents:
        if document["api"] == 2:
            document["v3_equivalents"] = table.get(document["method"], [])
        else:
            document["cloud_listed"] = document["method"] in listed


def _apply_overrides(
    documents: list[dict[str, Any]], overrides: dict[tuple[int, str], dict[str, Any]], commit: str
) -> list[dict[str, Any]]:
    by_key = {(document["api"], document["method"]): document for document in documents}
    for (api, method), override in overrides.items():
        base = by_key.get((api, method))
        if base is None and override.get("create"):
            base = {**undocumented_document(method, commit), "api": api}
        if base is not None:
            patched = schemafile.merge_patch(base, override.get("patch", {}))
            patched["source"] = {**patched["source"], "override": override["reason"]}
            by_key[(api, method)] = patched
    return list(by_key.values())


def _summary(documents: list[dict[str, Any]], commit: str, names: Path | None) -> dict[str, Any]:
    return {
        "docs": {
            "repository": DOCS_REPOSITORY,
            "commit": commit,
            "license": "MIT",
            "site": DOCS_SITE,
        },
        "v3_names": names.name if names is not None and names.is_file() else None,
        "counts": coverage_counts(documents),
        "generator": "python -m codegen import-docs",
    }


def coverage_counts(documents: list[dict[str, Any]]) -> dict[str, int]:
    """Method counts by API and status (live, deprecated, TO-DO, documented or not)."""
    v2 = [document for document in documents if document["api"] == 2]
    v3 = [document for document in documents if document["api"] == 3]
    return {
        "v2_live": sum(1 for document in v2 if is_live(document)),
        "v2_deprecated": sum(1 for document in v2 if document["deprecated"]),
        "v2_todo": sum(1 for document in v2 if document.get("todo")),
        "v2_undocumented": sum(1 for document in v2 if document["undocumented"]),
        "v3_documented": sum(1 for document in v3 if has_own_page(document)),
        "v3_overview_sections": sum(
            1 for document in v3 if document["doc"] and not has_own_page(document)
        ),
        "v3_undocumented": sum(1 for document in v3 if document["undocumented"]),
    }
