"""Schema files on disk: deterministic JSON, the schemas/ layout, overrides and v3 equivalents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = REPO_ROOT / "schemas"
FORMAT_SCHEMA = SCHEMAS / "schema-format.json"
EQUIVALENTS = SCHEMAS / "v3-equivalents.json"
OVERRIDES = SCHEMAS / "overrides"


def dumps(document: Any) -> str:
    """Serialise deterministically: sorted keys, 2-space indent, UTF-8 text, trailing newline."""
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def api_dir(root: Path, api: int) -> Path:
    return root / f"v{api}"


def iter_documents(root: Path = SCHEMAS) -> list[tuple[Path, dict[str, Any]]]:
    """Every committed schema document, v2 then v3, sorted by file name."""
    found: list[tuple[Path, dict[str, Any]]] = []
    for api in (2, 3):
        for path in sorted(api_dir(root, api).glob("*.json")):
            found.append((path, load(path)))
    return found


def write_documents(root: Path, documents: list[dict[str, Any]], prune: bool = True) -> int:
    """Write one file per document, delete stale ones if ``prune``; return the files changed."""
    changed = 0
    wanted: set[Path] = set()
    for document in documents:
        path = api_dir(root, document["api"]) / f"{document['method']}.json"
        wanted.add(path)
        text = dumps(document)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed += 1
    for api in (2, 3) if prune else ():
        for stale in api_dir(root, api).glob("*.json"):
            if stale not in wanted:
                stale.unlink()
                changed += 1
    return changed


ENTITIES = "entities"


def write_folder(folder: Path, documents: list[dict[str, Any]], key: str) -> int:
    """Write ``<document[key]>.json`` for each document into ``folder``, delete the other JSON
    files there; return the number of files changed."""
    folder.mkdir(parents=True, exist_ok=True)
    changed = 0
    wanted = set()
    for document in documents:
        path = folder / f"{document[key]}.json"
        wanted.add(path)
        text = dumps(document)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed += 1
    for stale in folder.glob("*.json"):
        if stale not in wanted:
            stale.unlink()
            changed += 1
    return changed


def write_entities(root: Path, entities: list[dict[str, Any]]) -> int:
    """Write ``entities/<entity>.json`` for each entity, delete stale ones; return the changes."""
    return write_folder(root / ENTITIES, entities, "entity")


def iter_entities(root: Path = SCHEMAS) -> list[dict[str, Any]]:
    """Every committed entity schema, sorted by entity name."""
    return [load(path) for path in sorted((root / ENTITIES).glob("*.json"))]


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply an RFC 7396 JSON merge patch and return the result (the target is not modified)."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def load_overrides(root: Path = OVERRIDES) -> dict[tuple[int, str], dict[str, Any]]:
    """Map (api, method) to its override file content (``reason``, ``patch``, maybe ``create``)."""
    overrides: dict[tuple[int, str], dict[str, Any]] = {}
    for api in (2, 3):
        for path in sorted(api_dir(root, api).glob("*.json")):
            overrides[(api, path.stem)] = load(path)
    return overrides


def load_equivalents(path: Path = EQUIVALENTS) -> dict[str, list[str]]:
    """Map a REST v2 method name to the REST 3.0 methods that replace it."""
    table: dict[str, list[str]] = {}
    for row in load(path)["rows"]:
        table.setdefault(row["v2"], []).extend(row["v3"])
    return {name: sorted(set(v3)) for name, v3 in table.items()}
