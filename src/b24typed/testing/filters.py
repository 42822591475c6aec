"""Parse REST v2 filter objects and REST 3.0 filter arrays into :mod:`store` condition trees."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .errors import ApiError, v3_error
from .store import V2_PREFIXES, Cond, Group, Node, OrderKey

__all__ = ["parse_order_v2", "parse_order_v3", "parse_v2_filter", "parse_v3_filter"]

# resolver: wire field name -> (storage field, type) or None when unknown
Resolver = Callable[[str], tuple[str, str] | None]
Coercer = Callable[[Any, str], Any]


def split_prefix(key: str) -> tuple[str, str]:
    for prefix, op in V2_PREFIXES:
        if key.startswith(prefix):
            return op, key[len(prefix) :]
    return "=", key


def parse_v2_filter(
    raw: Any,
    resolve: Resolver,
    coerce: Coercer,
    *,
    strict: bool,
    what: str = "filter",
) -> Node | None:
    """A v2 filter object: ``{"prefixFIELD": value, "0": {"logic": "OR", ...}}``.

    Unknown fields raise ``INVALID_ARG_VALUE`` when ``strict`` (crm.item.*), else are ignored
    (the older ``crm.deal.list`` and friends ignore them).
    """
    if raw is None or raw in ("", []):
        return None
    if isinstance(raw, list):
        raw = {str(i): v for i, v in enumerate(raw)}
    if not isinstance(raw, Mapping):
        raise ApiError("", "Parameter 'filter' must be array.", 400)
    group = Group(logic="and")
    for raw_key, raw_value in raw.items():
        key = str(raw_key)
        value = raw_value
        if key.upper() == "LOGIC":
            group.logic = "or" if str(value).upper() == "OR" else "and"
            continue
        if isinstance(value, Mapping) and (key.isdigit() or key == ""):
            sub = parse_v2_filter(value, resolve, coerce, strict=strict)
            if sub is not None:
                group.children.append(sub)
            continue
        op, name = split_prefix(key)
        resolved = resolve(name)
        if resolved is None:
            if strict:
                raise ApiError(
                    "INVALID_ARG_VALUE",
                    f"Invalid filter: field '{name}' is not allowed in filter",
                    400,
                )
            continue
        fname, ftype = resolved
        if isinstance(value, Mapping):
            value = list(value.values())
        if op in {"like", "notlike", "contains", "notcontains"}:
            target: Any = value
        else:
            target = coerce(value, ftype)
        group.children.append(Cond(fname, op, target))
    return group


def parse_order_v2(raw: Any, resolve: Resolver, *, strict: bool) -> list[OrderKey]:
    if raw is None or raw in ("", []):
        return []
    if not isinstance(raw, Mapping):
        raise ApiError("", "Parameter 'order' must be array.", 400)
    out: list[OrderKey] = []
    for name, direction in raw.items():
        resolved = resolve(str(name))
        dirn = str(direction).upper()
        if dirn not in {"ASC", "DESC"}:
            if strict:
                raise ApiError(
                    "INVALID_ARG_VALUE",
                    "Invalid order: allowed sort directions are ASC, DESC. "
                    f"But got '{direction}' for field '{name}'",
                    400,
                )
            dirn = "ASC"
        if resolved is None:
            if strict:
                raise ApiError(
                    "INVALID_ARG_VALUE",
                    f"Invalid order: field '{name}' is not allowed in order",
                    400,
                )
            continue
        out.append((resolved[0], dirn == "DESC"))
    return out


V3_OPS = {"=", "!=", ">", ">=", "<", "<=", "in", "between"}


def parse_v3_filter(
    raw: Any,
    resolve: Resolver,
    coerce: Coercer,
    *,
    filterable: Callable[[str], bool] = lambda _: True,
    entity: str = "Dto",
) -> Node | None:
    """A REST 3.0 filter: ``[[field, op, value], [field, value], {logic, conditions}]``."""
    if raw is None or raw == []:
        return None
    if isinstance(raw, Mapping) and "conditions" not in raw:
        raw = list(raw.values())
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, list):
        raise v3_error("INVALIDFILTEREXCEPTION", "Unable to recognize the filter parameter")
    return _v3_group({"logic": "and", "conditions": raw}, resolve, coerce, filterable, entity)


def _v3_group(
    raw: Mapping[str, Any],
    resolve: Resolver,
    coerce: Coercer,
    filterable: Callable[[str], bool],
    entity: str,
) -> Group:
    logic = str(raw.get("logic", "and")).lower()
    if logic not in {"and", "or"}:
        raise v3_error("INVALIDFILTEREXCEPTION", f"Unknown filter logic `{logic}`")
    negative = raw.get("negative") in {True, "Y", "true", "1"}
    conditions = raw.get("conditions", [])
    if isinstance(conditions, Mapping):
        conditions = list(conditions.values())
    if not isinstance(conditions, list):
        raise v3_error("INVALIDFILTEREXCEPTION", "Filter conditions must be an array")
    group = Group(logic=logic, negative=negative)
    for raw_item in conditions:
        item = raw_item
        if isinstance(item, Mapping) and "conditions" in item:
            group.children.append(_v3_group(item, resolve, coerce, filterable, entity))
            continue
        if isinstance(item, Mapping):
            item = list(item.values())
        if not isinstance(item, list) or len(item) not in {2, 3}:
            raise v3_error("INVALIDFILTEREXCEPTION", "Unable to recognize the filter condition")
        if len(item) == 2:
            fname, value = item
            op = "in" if isinstance(value, list) else "="
        else:
            fname, op, value = item
        fname = str(fname)
        op = str(op).lower()
        if op not in V3_OPS:
            raise v3_error("UNKNOWNFILTEROPERATOREXCEPTION", f"Unknown filter operator `{op}`", 400)
        resolved = resolve(fname)
        if resolved is None:
            raise v3_error(
                "UNKNOWNDTOPROPERTYEXCEPTION", f"Unknown field `{fname}` for entity `{entity}`"
            )
        if not filterable(fname):
            raise v3_error(
                "VALIDATION_REQUESTVALIDATIONEXCEPTION",
                "Error during request object validation",
                validation=[
                    {
                        "field": fname,
                        "message": f"In DTO `{entity}`, the `{fname}` field requires the "
                        "`Filterable` attribute for such a request",
                    }
                ],
            )
        store_name, ftype = resolved
        if op == "in" and not isinstance(value, list):
            raise v3_error(
                "VALIDATION_REQUESTVALIDATIONEXCEPTION",
                "Error during request object validation",
                validation=[{"field": fname, "message": "Operator `in` requires an array"}],
            )
        if op == "between" and not (isinstance(value, list) and len(value) == 2):
            raise v3_error(
                "VALIDATION_REQUESTVALIDATIONEXCEPTION",
                "Error during request object validation",
                validation=[{"field": fname, "message": "Operator `between` requires two values"}],
            )
        group.children.append(Cond(store_name, op, coerce(value, ftype)))
    return group


def parse_order_v3(raw: Any, resolve: Resolver, sortable: Callable[[str], bool]) -> list[OrderKey]:
    if raw is None or raw in ([], {}):
        return []
    if not isinstance(raw, Mapping):
        raise v3_error("INVALIDORDEREXCEPTION", f"Unable to recognize sorting parameter `{raw}`")
    out: list[OrderKey] = []
    for name, direction in raw.items():
        dirn = str(direction).upper()
        resolved = resolve(str(name))
        if dirn not in {"ASC", "DESC"} or resolved is None or not sortable(str(name)):
            raise v3_error(
                "INVALIDORDEREXCEPTION", f"Unable to recognize sorting parameter `{name}`"
            )
        out.append((resolved[0], dirn == "DESC"))
    return out
