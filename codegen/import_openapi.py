"""``import-openapi``: merge a portal's ``rest.documentation.openapi`` dump into schemas/v3.

Run it after ``import-docs``: a later ``import-docs`` rebuilds schemas/v3 from the docs alone.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from codegen import schemafile
from codegen.import_docs import undocumented_document
from codegen.importers import openapi
from codegen.importers.lenient import widen


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="JSON output of rest.documentation.openapi")
    parser.add_argument("--out", type=Path, default=schemafile.SCHEMAS, help="schemas folder")


def run(args: argparse.Namespace) -> int:
    merged = import_openapi(schemafile.load(args.file), args.file.name, args.out)
    changed = schemafile.write_documents(args.out, merged, prune=False)
    print(f"{len(merged)} REST 3.0 schemas from {args.file.name}; {changed} files changed")
    return 0


def import_openapi(dump: Any, file_name: str, out: Path) -> list[dict[str, Any]]:
    """Return the REST 3.0 documents of the dump, merged into the ones already in ``out``."""
    merged: list[dict[str, Any]] = []
    for partial in openapi.documents(dump):
        path = schemafile.api_dir(out, 3) / f"{partial['method']}.json"
        existing = schemafile.load(path) if path.is_file() else None
        merged.append(merge_document(existing, partial, file_name))
    return merged


def merge_document(
    existing: dict[str, Any] | None, partial: dict[str, Any], file_name: str
) -> dict[str, Any]:
    """Take params, result and flags from the dump; keep the docs link, examples and errors."""
    base = existing or undocumented_document(partial["method"], None)
    document = {**base, **partial}
    for key in ("params", "result"):
        if not partial[key].get("properties") and not partial[key].get("$defs"):
            document[key] = base[key]
    document["deprecated"] = partial["deprecated"] or base["deprecated"]
    names = {name.lower() for name in partial["params"].get("properties", {})}
    document["pagination"] = "v3" if "pagination" in names else "none"
    response = base["examples"].get("response")
    if isinstance(response, dict) and "result" in response:
        widen(document["result"], response["result"])
    document["source"] = {**base["source"], "openapi": file_name}
    return document
