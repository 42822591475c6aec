"""``import-events``: build schemas/events from the event pages of the Bitrix24 REST docs."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from codegen import schemafile
from codegen.import_docs import DEFAULT_DOCS, docs_commit
from codegen.importers.events import build_event_document, find_event_pages
from codegen.importers.fieldtree import Library

EVENTS = schemafile.SCHEMAS / "events"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--docs", type=Path, default=DEFAULT_DOCS, help="docs checkout")
    parser.add_argument("--out", type=Path, default=EVENTS, help="event schemas folder")


def run(args: argparse.Namespace) -> int:
    documents = import_events(args.docs)
    changed = write_events(args.out, documents)
    print(f"{len(documents)} event schemas; {changed} files changed")
    return 0


def import_events(docs_root: Path) -> list[dict[str, Any]]:
    """One document per event code (the first page that documents a code wins)."""
    library = Library(docs_root)
    commit = docs_commit(docs_root)
    by_code: dict[str, dict[str, Any]] = {}
    for path in find_event_pages(docs_root):
        document = build_event_document(path, docs_root, library, commit)
        if document is not None:
            by_code.setdefault(document["event"], document)
    return [by_code[code] for code in sorted(by_code)]


def write_events(root: Path, documents: list[dict[str, Any]]) -> int:
    """Write ``<EVENT>.json`` files, delete stale ones; return the number of files changed."""
    return schemafile.write_folder(root, documents, "event")


def load_events(root: Path = EVENTS) -> list[dict[str, Any]]:
    """Every committed event schema, sorted by event code."""
    return [schemafile.load(path) for path in sorted(root.glob("*.json"))]
