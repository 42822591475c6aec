"""Drift between the description a package was generated from and the portal today."""

from __future__ import annotations

from .describe import Description, Field

__all__ = ["drift"]


def _fields(description: Description) -> dict[str, dict[str, Field]]:
    """``{"deal": {"UF_CRM_X": field}, "smart process 128 (Title)": {...}}``."""
    out = {key: {f.upper: f for f in fields} for key, fields in description.entities.items()}
    for sp in description.smart_processes:
        out[f"smart process {sp.entity_type_id}"] = {f.upper: f for f in sp.fields}
    return out


def _kind(f: Field) -> str:
    return f"multiple {f.type}" if f.multiple else f.type


def drift(old: Description, new: Description) -> list[str]:
    """Readable lines, one per change from ``old`` (generated from) to ``new`` (the portal now):
    ``-`` removed, ``+`` added, ``~`` changed. Empty when nothing the code depends on changed."""
    lines: list[str] = []
    before, after = _fields(old), _fields(new)
    titles_old = {sp.entity_type_id: sp.title for sp in old.smart_processes}
    titles_new = {sp.entity_type_id: sp.title for sp in new.smart_processes}
    for etid in sorted(titles_old.keys() - titles_new.keys()):
        lines.append(f"- smart process {etid} ({titles_old[etid]}) was removed")
    for etid in sorted(titles_new.keys() - titles_old.keys()):
        lines.append(f"+ smart process {etid} ({titles_new[etid]}) was added")
    for etid in sorted(titles_old.keys() & titles_new.keys()):
        if titles_old[etid] != titles_new[etid]:
            lines.append(
                f"~ smart process {etid}: title {titles_old[etid]!r} -> {titles_new[etid]!r}"
            )
    for entity in sorted(before.keys() & after.keys()):
        was, now = before[entity], after[entity]
        for name in sorted(was.keys() - now.keys()):
            lines.append(f"- {entity}.{name} ({_kind(was[name])}) was removed")
        for name in sorted(now.keys() - was.keys()):
            lines.append(f"+ {entity}.{name} ({_kind(now[name])}) was added")
        for name in sorted(was.keys() & now.keys()):
            lines.extend(_changes(f"{entity}.{name}", was[name], now[name]))
    old_rest3 = {m.name: m for m in old.rest3}
    new_rest3 = {m.name: m for m in new.rest3}
    for name in sorted(old_rest3.keys() - new_rest3.keys()):
        lines.append(f"- REST 3.0 method {name} was removed")
    for name in sorted(new_rest3.keys() - old_rest3.keys()):
        lines.append(f"+ REST 3.0 method {name} was added")
    for name in sorted(old_rest3.keys() & new_rest3.keys()):
        if old_rest3[name] != new_rest3[name]:
            lines.append(f"~ REST 3.0 method {name}: its parameter or result schema changed")
    return lines


def _changes(where: str, was: Field, now: Field) -> list[str]:
    lines = []
    if _kind(was) != _kind(now):
        lines.append(f"~ {where}: type {_kind(was)} -> {_kind(now)}")
    if was.label != now.label:
        lines.append(f"~ {where}: label {was.label!r} -> {now.label!r}")
    if was.wire != now.wire:
        lines.append(f"~ {where}: read as {was.wire!r} -> {now.wire!r}")
    old_options = {o.id: o.label for o in was.options}
    new_options = {o.id: o.label for o in now.options}
    for option in sorted(old_options.keys() - new_options.keys()):
        lines.append(f"- {where}: option {option} ({old_options[option]}) was removed")
    for option in sorted(new_options.keys() - old_options.keys()):
        lines.append(f"+ {where}: option {option} ({new_options[option]}) was added")
    for option in sorted(old_options.keys() & new_options.keys()):
        if old_options[option] != new_options[option]:
            lines.append(
                f"~ {where}: option {option} label "
                f"{old_options[option]!r} -> {new_options[option]!r}"
            )
    return lines
