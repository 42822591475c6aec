"""Drift between the description a package was generated from and the portal today."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from .describe import Description, Field

__all__ = ["drift"]

K = TypeVar("K", int, str)
V = TypeVar("V")


def _fields(description: Description) -> dict[str, dict[str, Field]]:
    """``{"deal": {"UF_CRM_X": field}, "smart process 128 (Title)": {...}}``."""
    out = {key: {f.upper: f for f in fields} for key, fields in description.entities.items()}
    for sp in description.smart_processes:
        out[f"smart process {sp.entity_type_id}"] = {f.upper: f for f in sp.fields}
    return out


def _kind(f: Field) -> str:
    return f"multiple {f.type}" if f.multiple else f.type


def _compare(
    was: Mapping[K, V],
    now: Mapping[K, V],
    name: Callable[[K, V], str],
    changes: Callable[[K, V, V], list[str]],
) -> list[str]:
    """``- ... was removed``, ``+ ... was added`` and the changes of what both have."""
    lines = [f"- {name(k, was[k])} was removed" for k in sorted(was.keys() - now.keys())]
    lines += [f"+ {name(k, now[k])} was added" for k in sorted(now.keys() - was.keys())]
    for key in sorted(was.keys() & now.keys()):
        lines.extend(changes(key, was[key], now[key]))
    return lines


def drift(old: Description, new: Description) -> list[str]:
    """Readable lines, one per change from ``old`` (generated from) to ``new`` (the portal now):
    ``-`` removed, ``+`` added, ``~`` changed. Empty when nothing the code depends on changed."""
    lines = _compare(
        {sp.entity_type_id: sp.title for sp in old.smart_processes},
        {sp.entity_type_id: sp.title for sp in new.smart_processes},
        lambda etid, title: f"smart process {etid} ({title})",
        lambda etid, a, b: [f"~ smart process {etid}: title {a!r} -> {b!r}"] if a != b else [],
    )
    before, after = _fields(old), _fields(new)
    for entity in sorted(before.keys() & after.keys()):
        lines += _field_drift(entity, before[entity], after[entity])
    lines += _compare(
        {m.name: m for m in old.rest3},
        {m.name: m for m in new.rest3},
        lambda name, _: f"REST 3.0 method {name}",
        lambda name, a, b: (
            [f"~ REST 3.0 method {name}: its parameter or result schema changed"] if a != b else []
        ),
    )
    return lines


def _field_drift(entity: str, was: Mapping[str, Field], now: Mapping[str, Field]) -> list[str]:
    return _compare(
        was,
        now,
        lambda upper, f: f"{entity}.{upper} ({_kind(f)})",
        lambda upper, a, b: _changes(f"{entity}.{upper}", a, b),
    )


def _changes(where: str, was: Field, now: Field) -> list[str]:
    lines = []
    if _kind(was) != _kind(now):
        lines.append(f"~ {where}: type {_kind(was)} -> {_kind(now)}")
    if was.label != now.label:
        lines.append(f"~ {where}: label {was.label!r} -> {now.label!r}")
    if was.wire != now.wire:
        lines.append(f"~ {where}: read as {was.wire!r} -> {now.wire!r}")
    lines += _compare(
        {o.id: o.label for o in was.options},
        {o.id: o.label for o in now.options},
        lambda option, label: f"{where}: option {option} ({label})",
        lambda option, a, b: [f"~ {where}: option {option} label {a!r} -> {b!r}"] if a != b else [],
    )
    return lines
