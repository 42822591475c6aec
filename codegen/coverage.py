"""Coverage figures of schema documents: typed parameters, typed results, valid examples."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator

from codegen.importers.examples import response_result
from codegen.importers.types import Schema

_CONTAINERS = ("null", "object", "array")


@dataclass
class Tally:
    """Counters for one group of methods."""

    methods: int = 0
    live: int = 0
    deprecated: int = 0
    undocumented: int = 0
    params_typed: int = 0
    results_typed: int = 0
    examples: int = 0
    examples_valid: int = 0
    sources: Counter[str] = field(default_factory=Counter)

    def add(self, document: dict[str, Any]) -> None:
        self.methods += 1
        self.live += int(is_live(document))
        self.deprecated += int(document["deprecated"])
        self.undocumented += int(document["undocumented"])
        self.params_typed += int(params_typed(document))
        self.results_typed += int(result_typed(document["result"]))
        present, valid = example_status(document)
        self.examples += int(present)
        self.examples_valid += int(valid)
        self.sources.update(property_sources(document["result"]))


def is_live(document: dict[str, Any]) -> bool:
    """A documented, current REST v2 method (not deprecated, not a TO-DO page)."""
    return (
        document["api"] == 2
        and not document["undocumented"]
        and not document["deprecated"]
        and not document.get("todo")
    )


def has_own_page(document: dict[str, Any]) -> bool:
    """Documented on a method page of its own (not in a section of an overview page)."""
    return bool(document["doc"]) and "#" not in document["doc"]


def params_typed(document: dict[str, Any]) -> bool:
    """Documented, and every top-level parameter has a type."""
    if document["undocumented"] and "source" in document and "override" not in document["source"]:
        return False
    properties = document["params"].get("properties", {})
    return all(_has_type(schema) for schema in properties.values())


def _has_type(schema: Schema) -> bool:
    return "type" in schema or "anyOf" in schema or "enum" in schema


def result_typed(schema: Schema) -> bool:
    """The result is a typed scalar, or a container with typed fields somewhere inside."""
    if not schema:
        return False
    if "anyOf" in schema:
        return any(result_typed(branch) for branch in schema["anyOf"])
    if schema.get("properties"):
        return True
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        return result_typed(extra)
    if "items" in schema:
        return result_typed(schema["items"])
    raw = schema.get("type", [])
    types = [raw] if isinstance(raw, str) else raw
    return any(kind not in _CONTAINERS for kind in types) and "object" not in types


def property_sources(schema: Schema) -> Counter[str]:
    """Count the ``x-source`` marks of every property in a schema tree."""
    found: Counter[str] = Counter()
    for prop in schema.get("properties", {}).values():
        found[prop.get("x-source", "unmarked")] += 1
        found.update(property_sources(prop))
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            found.update(property_sources(schema[key]))
    for branch in schema.get("anyOf", []):
        found.update(property_sources(branch))
    return found


def example_status(document: dict[str, Any]) -> tuple[bool, bool]:
    """(has an example, the example validates against the result schema)."""
    present, value = response_result(document["examples"].get("response"))
    if not present:
        return False, False
    return True, Draft202012Validator(document["result"]).is_valid(value)


def tally(documents: list[dict[str, Any]]) -> tuple[dict[tuple[str, int], Tally], dict[str, Tally]]:
    """Tallies per (module, api), and totals per method group (v2 live, ..., all)."""
    modules: dict[tuple[str, int], Tally] = {}
    totals = {
        name: Tally() for name in ("v2 live", "v2 deprecated", "v3 own page", "v3 all", "all")
    }
    for document in documents:
        modules.setdefault((document["module"], document["api"]), Tally()).add(document)
        totals["all"].add(document)
        if is_live(document):
            totals["v2 live"].add(document)
        if document["api"] == 2 and document["deprecated"]:
            totals["v2 deprecated"].add(document)
        if document["api"] == 3:
            totals["v3 all"].add(document)
            if has_own_page(document):
                totals["v3 own page"].add(document)
    return modules, totals
