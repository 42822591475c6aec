"""Schema-driven answers for every method in ``schemas/v2`` and ``schemas/v3``.

A method without hand-written behaviour answers deterministically: its documented example
(``examples.response.result``) when present and valid against its ``result`` schema, otherwise a
value built from that JSON Schema. Files are read on the first call of a method that no handler
knows, so creating a portal stays fast.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .portal import Ctx, MethodDef

__all__ = ["SchemaMethod", "SchemaRegistry", "default_schemas_dir", "example_from_schema"]

# parsed schema folders shared by all portals of a process: (folder, mtime) -> methods
_CACHE: dict[tuple[str, int], dict[str, SchemaMethod]] = {}  # also (packed file, api)
_WRITE_KINDS = {"add", "update", "delete", "set"}
_FIXED_DATETIME = "2026-01-01T10:00:00+03:00"


def default_schemas_dir() -> Path | None:
    """The repository's ``schemas/`` (a source checkout), else None: an installed wheel reads
    the packed copy beside this module (:mod:`b24typed.testing.packed`)."""
    candidate = Path(__file__).resolve().parents[3] / "schemas"
    if (candidate / "v2").is_dir() or (candidate / "v3").is_dir():
        return candidate
    return None


def _resolve_ref(ref: str, root: Mapping[str, Any]) -> Any:
    node: Any = root
    for part in ref.lstrip("#/").split("/"):
        if not isinstance(node, Mapping) or part not in node:
            return {}
        node = node[part]
    return node


def example_from_schema(schema: Any, root: Mapping[str, Any] | None = None, depth: int = 0) -> Any:
    """A deterministic value that satisfies a (simple) JSON Schema."""
    if not isinstance(schema, Mapping) or depth > 12:
        return None
    root = root if root is not None else schema
    if "$ref" in schema:
        return example_from_schema(_resolve_ref(str(schema["$ref"]), root), root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if "example" in schema:
        return schema["example"]
    if "examples" in schema and isinstance(schema["examples"], list) and schema["examples"]:
        return schema["examples"][0]
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            non_null = [
                o for o in options if not (isinstance(o, Mapping) and o.get("type") == "null")
            ]
            return example_from_schema((non_null or options)[0], root, depth + 1)
    if isinstance(schema.get("allOf"), list):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = example_from_schema(part, root, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    stype = schema.get("type")
    if isinstance(stype, list):
        stype = next((t for t in stype if t != "null"), "null")
    if stype is None:
        stype = "object" if "properties" in schema else "array" if "items" in schema else None
    if stype == "object":
        props = schema.get("properties") or {}
        return {str(name): example_from_schema(sub, root, depth + 1) for name, sub in props.items()}
    if stype == "array":
        count = max(1, int(schema.get("minItems", 1)))
        item = example_from_schema(schema.get("items", {}), root, depth + 1)
        return [item for _ in range(count)]
    wire = _wire_form(schema, stype)
    if wire is not None:
        return wire
    if stype == "string":
        fmt = schema.get("format")
        if fmt == "date-time":
            return _FIXED_DATETIME
        if fmt == "date":
            return _FIXED_DATETIME[:10]
        return "string"
    if stype == "integer":
        return int(schema.get("minimum", 1))
    if stype == "number":
        return float(schema.get("minimum", 1))
    if stype == "boolean":
        return True
    return None


_FLAG_TYPES = frozenset({"char", "boolean"})
_MONEY_TYPES = frozenset({"double", "money", "float"})


def _wire_form(schema: Mapping[str, Any], stype: Any) -> Any:
    """What a REST v2 portal sends for a field whose docs type is known: ``"Y"`` for a flag,
    ``"1000.00"`` for money, ``"1"`` for an id or number (when the schema admits a string)."""
    types = schema.get("type")
    admits_text = stype == "string" or (isinstance(types, list) and "string" in types)
    tag = schema.get("x-bitrix-type")
    if not admits_text or not isinstance(tag, str) or stype not in _SCALAR_TYPES:
        return None
    if tag in _FLAG_TYPES and schema.get("x-enum") == ["Y", "N"]:
        return "Y"
    if tag in _MONEY_TYPES:
        return "1000.00"
    if tag == "datetime":
        return _FIXED_DATETIME
    if tag == "date":
        return _FIXED_DATETIME[:10]
    if stype == "integer":
        return "1"
    return None


_SCALAR_TYPES = frozenset({"string", "integer", "number", "boolean"})


def conforms(
    value: Any, schema: Any, root: Mapping[str, Any] | None = None, depth: int = 0
) -> bool:
    """A small structural check (types, properties, items, anyOf/oneOf, enum, $ref)."""
    if not isinstance(schema, Mapping) or depth > 20:
        return True
    root = root if root is not None else schema
    if "$ref" in schema:
        return conforms(value, _resolve_ref(str(schema["$ref"]), root), root, depth + 1)
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if (
            isinstance(options, list)
            and options
            and not any(conforms(value, s, root, depth + 1) for s in options)
        ):
            return False
    parts = schema.get("allOf")
    if isinstance(parts, list) and not all(conforms(value, s, root, depth + 1) for s in parts):
        return False
    if "enum" in schema and isinstance(schema["enum"], list) and value not in schema["enum"]:
        return False
    stype = schema.get("type")
    if stype is not None:
        types = stype if isinstance(stype, list) else [stype]
        if not any(_type_ok(value, t) for t in types):
            return False
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for name in schema.get("required") or []:
            if name not in value:
                return False
        for name, sub in props.items():
            if name in value and not conforms(value[name], sub, root, depth + 1):
                return False
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        return all(conforms(v, schema["items"], root, depth + 1) for v in value)
    return True


def _type_ok(value: Any, stype: str) -> bool:
    if stype == "null":
        return value is None
    if stype == "object":
        return isinstance(value, dict)
    if stype == "array":
        return isinstance(value, list)
    if stype == "string":
        return isinstance(value, str)
    if stype == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if stype == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if stype == "boolean":
        return isinstance(value, bool)
    return True


@dataclass
class SchemaMethod:
    method: str
    api: int
    scopes: list[str]
    kind: str
    pagination: str
    raw: dict[str, Any]

    @property
    def write(self) -> bool:
        return self.kind in _WRITE_KINDS

    def answer(self) -> Any:
        result_schema = self.raw.get("result")
        examples = self.raw.get("examples") or {}
        response = examples.get("response") if isinstance(examples, Mapping) else None
        if isinstance(response, Mapping) and "result" in response:
            candidate = response["result"]
            if result_schema is None or conforms(candidate, result_schema):
                return candidate
        if result_schema is None:
            return True
        return example_from_schema(result_schema)

    def handler(self, ctx: Ctx, params: dict[str, Any]) -> Any:
        from .portal import Answer

        result = self.answer()
        if self.pagination not in ("start", "v3") and not self.raw.get("list"):
            return result
        listing = self.raw.get("list") or {}
        key = listing.get("items_key")
        if isinstance(result, Mapping) and not key:
            key = next((k for k, v in result.items() if isinstance(v, list)), None)
        items = result.get(key) if isinstance(result, Mapping) and key else result
        if not isinstance(items, list):
            return result
        cursor = (
            listing.get("cursor_key") or listing.get("id_key") or ("id" if self.api == 3 else "ID")
        )
        items = keyset_view(items, params, str(cursor), self.api)
        result = {**result, key: items} if isinstance(result, Mapping) and key else items
        if self.api == 2 and self.pagination == "start":
            start = params.get("start")
            if start in (-1, "-1"):
                return result
            return Answer(result, total=len(items), start=0)
        return result


def _id_of(item: Any, name: str) -> int | None:
    if not isinstance(item, Mapping):
        return None
    value = next((v for k, v in item.items() if str(k).lower() == name.lower()), None)
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def keyset_view(items: list[Any], params: Mapping[str, Any], cursor: str, api: int) -> list[Any]:
    """The example items as a real list answers the keyset walks: ``>id`` filtered and sorted by
    id when the call asks for it (items without a numeric id are left as they are)."""
    if not items or any(_id_of(item, cursor) is None for item in items):
        return items
    floor: int | None = None
    flt = next((v for k, v in params.items() if str(k).lower() == "filter"), None)
    if api == 2 and isinstance(flt, Mapping):
        raw = next((v for k, v in flt.items() if str(k).lower() == f">{cursor.lower()}"), None)
        floor = _id_of({cursor: raw}, cursor)
    elif api == 3 and isinstance(flt, list):
        rows = [r for r in flt if isinstance(r, list) and len(r) == 3 and r[1] == ">"]
        for row in rows:
            if str(row[0]).lower() == cursor.lower():
                floor = _id_of({cursor: row[2]}, cursor)
    order = next((v for k, v in params.items() if str(k).lower() in ("order", "sort")), None)
    by_id = (isinstance(order, Mapping) and cursor.lower() in {str(k).lower() for k in order}) or (
        isinstance(order, str) and order.lower() == cursor.lower()
    )
    if floor is not None:
        items = [item for item in items if (_id_of(item, cursor) or 0) > floor]
    if floor is not None or by_id:
        items = sorted(items, key=lambda item: _id_of(item, cursor) or 0)
    return items


def _methods(documents: list[Any], api: int) -> dict[str, SchemaMethod]:
    found: dict[str, SchemaMethod] = {}
    for raw in documents:
        if not isinstance(raw, dict) or "method" not in raw:
            continue
        scopes = raw.get("scopes") or []
        found[str(raw["method"]).lower()] = SchemaMethod(
            method=str(raw["method"]),
            api=int(raw.get("api", api)),
            scopes=[str(s) for s in scopes] if isinstance(scopes, list) else [],
            kind=str(raw.get("kind", "action")),
            pagination=str(raw.get("pagination", "none")),
            raw=raw,
        )
    return found


def _packed(api: int) -> dict[str, SchemaMethod]:
    """The methods of the packed schema file an installed wheel carries (empty without one)."""
    from .packed import FILE_NAME, unpack

    path = Path(__file__).resolve().parent / FILE_NAME
    stamp = (str(path), api)
    cached = _CACHE.get(stamp)
    if cached is None:
        documents = unpack(path).get(api, []) if path.is_file() else []
        cached = _CACHE[stamp] = _methods(documents, api)
    return cached


class SchemaRegistry:
    def __init__(self, root: Path | None = None) -> None:
        self.root = root if root is not None else default_schemas_dir()
        self._loaded: dict[int, dict[str, SchemaMethod]] = {}

    def _load(self, api: int) -> dict[str, SchemaMethod]:
        if api in self._loaded:
            return self._loaded[api]
        folder = self.root / f"v{api}" if self.root is not None else None
        if folder is None or not folder.is_dir():
            self._loaded[api] = _packed(api)
            return self._loaded[api]
        stamp = (str(folder), folder.stat().st_mtime_ns)
        cached = _CACHE.get(stamp)
        if cached is None:
            documents = []
            for path in sorted(folder.glob("*.json")):
                try:
                    documents.append(json.loads(path.read_text(encoding="utf-8")))
                except (OSError, ValueError):
                    continue
            cached = _CACHE[stamp] = _methods(documents, api)
        self._loaded[api] = cached
        return cached

    def get(self, api: int, method: str) -> SchemaMethod | None:
        return self._load(api).get(method.lower())

    def methods(self, api: int) -> list[SchemaMethod]:
        return list(self._load(api).values())

    def openapi(self, handlers: Mapping[str, MethodDef]) -> dict[str, Any]:
        """An OpenAPI 3.0 document of the REST 3.0 methods (schemas/v3 plus built-in ones)."""
        paths: dict[str, Any] = {}
        tags: set[str] = set()
        for sm in self.methods(3):
            module = str(sm.raw.get("module") or sm.method.split(".")[0])
            tags.add(module)
            paths[f"/{sm.method}"] = _operation(
                sm.method, module, sm.raw.get("params"), sm.raw.get("result")
            )
        for mdef in handlers.values():
            key = f"/{mdef.name}"
            if key not in paths:
                module = mdef.name.split(".")[0]
                tags.add(module)
                params, result = mdef.openapi or (None, None)
                paths[key] = _operation(mdef.name, module, params, result)
        return {
            "openapi": "3.0.0",
            "info": {"title": "Bitrix24 REST V3 API", "version": "1.0.0"},
            "tags": [{"name": t, "description": f"{t} module methods"} for t in sorted(tags)],
            "paths": dict(sorted(paths.items())),
            "components": {"schemas": {}},
        }


def _operation(method: str, module: str, params: Any, result: Any) -> dict[str, Any]:
    body_schema = params if isinstance(params, Mapping) else {"type": "object"}
    result_schema = result if isinstance(result, Mapping) else {"type": "object"}
    return {
        "post": {
            "tags": [module],
            "operationId": method,
            "requestBody": {"content": {"application/json": {"schema": body_schema}}},
            "responses": {
                "200": {
                    "description": "Successful response",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "result": result_schema,
                                    "time": {"type": "object"},
                                },
                            }
                        }
                    },
                }
            },
        }
    }
