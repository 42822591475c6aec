"""The fake portal's schema data as a wheel ships it: one gzip'd JSON file.

A source checkout reads ``schemas/`` itself; a wheel carries ``schemas.json.gz`` instead, written
by the build hook (``hatch_build.py``) with :func:`pack`. Only what the fake portal reads is kept
(method, scopes, kind, paging, the list keys, the params and result schemas, the example result),
which makes 15 MB of schema files about 0.2 MB. Standard library only: the build hook loads this
file on its own.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

FILE_NAME = "schemas.json.gz"
FIELDS = ("method", "api", "module", "scopes", "kind", "pagination", "list", "result")


def _without_provenance(schema: Any) -> Any:
    """A JSON Schema without its ``x-source`` marks (where each type came from)."""
    if isinstance(schema, dict):
        return {k: _without_provenance(v) for k, v in schema.items() if k != "x-source"}
    if isinstance(schema, list):
        return [_without_provenance(v) for v in schema]
    return schema


def slim(document: dict[str, Any]) -> dict[str, Any]:
    """The parts of a schema file the fake portal reads (``params`` only for REST 3.0, whose
    OpenAPI description it serves)."""
    kept = {key: document[key] for key in FIELDS if key in document}
    if document.get("api") == 3 and "params" in document:
        kept["params"] = document["params"]
    for key in ("params", "result"):
        if key in kept:
            kept[key] = _without_provenance(kept[key])
    examples = document.get("examples")
    response = examples.get("response") if isinstance(examples, dict) else None
    if isinstance(response, dict) and "result" in response:
        kept["examples"] = {"response": {"result": response["result"]}}
    return kept


def pack(schemas: Path) -> bytes:
    """Every ``schemas/v2`` and ``schemas/v3`` file, slimmed, as deterministic gzip'd JSON."""
    data: dict[str, list[dict[str, Any]]] = {}
    for api in ("2", "3"):
        paths = sorted((schemas / f"v{api}").glob("*.json"))
        data[api] = [slim(json.loads(p.read_text(encoding="utf-8"))) for p in paths]
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def unpack(path: Path) -> dict[int, list[dict[str, Any]]]:
    """The documents of a packed file, by API version."""
    data = json.loads(gzip.decompress(path.read_bytes()))
    return {int(api): documents for api, documents in data.items()}
