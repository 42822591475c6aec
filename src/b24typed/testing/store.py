"""In-memory tables with an id index, filter trees, ordering and paging.

Rows are plain dicts keyed by storage names. Ids are kept in a sorted list, so a page of a
100,000-row table selected by an id range (``>ID`` keyset paging) is found with ``bisect`` and
scanned from there, without touching the other rows.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = [
    "Cond",
    "Group",
    "Node",
    "OrderKey",
    "Table",
    "coerce",
]

# v2 prefixes, longest first so that "!=%" wins over "!=" and "!"
V2_PREFIXES: tuple[tuple[str, str], ...] = (
    ("!=%", "notlike"),
    ("!%=", "notlike"),
    (">=", ">="),
    ("<=", "<="),
    ("=%", "like"),
    ("%=", "like"),
    ("!%", "notcontains"),
    ("!@", "notin"),
    ("!=", "!="),
    (">", ">"),
    ("<", "<"),
    ("@", "in"),
    ("%", "contains"),
    ("=", "="),
    ("!", "!="),
)


@dataclass
class Cond:
    """One condition: ``field op value`` (ops: = != > >= < <= in notin between contains ...)."""

    field: str
    op: str
    value: Any


@dataclass
class Group:
    """A group of conditions joined by ``logic`` ("and"/"or"), optionally negated."""

    logic: str = "and"
    negative: bool = False
    children: list[Node] = field(default_factory=list)


Node = Cond | Group
OrderKey = tuple[str, bool]  # (field, descending)


def coerce(value: Any, ftype: str) -> Any:
    """Convert a wire value (often a string) to the storage type of a field."""
    if value is None:
        return None
    if isinstance(value, list):
        return [coerce(v, ftype) for v in value]
    if ftype in {"integer", "user", "crm_company", "crm_contact", "crm_lead", "crm_category"}:
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        text = str(value).strip()
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        if text == "":
            return None
        return text
    if ftype in {"double", "float", "money"}:
        if isinstance(value, bool):
            return float(value)
        if isinstance(value, int | float):
            return float(value)
        try:
            return float(str(value).strip())
        except ValueError:
            return str(value)
    if ftype == "char":
        if value is True:
            return "Y"
        if value is False:
            return "N"
        text = str(value)
        if text in {"1", "true"}:
            return "Y"
        if text in {"0", "false"}:
            return "N"
        return text
    if ftype == "boolean":
        if isinstance(value, bool):
            return value
        return str(value) in {"Y", "1", "true", "True"}
    if isinstance(value, dict):
        return value
    return str(value) if not isinstance(value, str) else value


_DATE_LIKE = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?([+-]\d{2}:?\d{2}|Z)?")
_PORTAL_TZ = timezone(timedelta(hours=3))


@functools.lru_cache(maxsize=65536)
def _timestamp(text: str) -> float | None:
    """Unix time of an ISO date or date-time (no offset: the portal's time zone)."""
    if not _DATE_LIKE.fullmatch(text):
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_PORTAL_TZ)
    return parsed.timestamp()


def _cmp_pair(a: Any, b: Any) -> tuple[Any, Any] | None:
    if a is None or b is None:
        return None
    if isinstance(a, str) and isinstance(b, str) and a[:1].isdigit() and b[:1].isdigit():
        ta, tb = _timestamp(a), _timestamp(b)
        if ta is not None and tb is not None:
            return ta, tb
    if isinstance(a, bool) or isinstance(b, bool):
        return str(a), str(b)
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a, b
    if isinstance(a, int | float) and isinstance(b, str):
        try:
            return a, float(b)
        except ValueError:
            return str(a), b
    if isinstance(a, str) and isinstance(b, int | float):
        try:
            return float(a), b
        except ValueError:
            return a, str(b)
    return str(a), str(b)


def _eq(a: Any, b: Any) -> bool:
    if isinstance(a, list):
        return any(_eq(x, b) for x in a)
    if b is None or b == "":
        return a is None or a == ""
    pair = _cmp_pair(a, b)
    if pair is None:
        return False
    return bool(pair[0] == pair[1])


def _like(pattern: str, value: Any) -> bool:
    if value is None:
        return False
    regex = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, str(value), flags=re.IGNORECASE | re.DOTALL) is not None


def _match_cond(cond: Cond, row: dict[str, Any]) -> bool:
    v = row.get(cond.field)
    op = cond.op
    target = cond.value
    if op == "=":
        if isinstance(target, list):
            return any(_eq(v, t) for t in target)
        return _eq(v, target)
    if op == "!=":
        if isinstance(target, list):
            return not any(_eq(v, t) for t in target)
        return not _eq(v, target)
    if op == "in":
        items = target if isinstance(target, list) else [target]
        return any(_eq(v, t) for t in items)
    if op == "notin":
        items = target if isinstance(target, list) else [target]
        return not any(_eq(v, t) for t in items)
    if op == "between":
        lo, hi = target
        return _cmp(v, lo, ">=") and _cmp(v, hi, "<=")
    if op in {">", ">=", "<", "<="}:
        if isinstance(target, list):
            return any(_cmp(v, t, op) for t in target)
        return _cmp(v, target, op)
    if op == "contains":
        return v is not None and str(target).lower() in str(v).lower()
    if op == "notcontains":
        return v is None or str(target).lower() not in str(v).lower()
    if op == "like":
        return _like(str(target), v)
    if op == "notlike":
        return not _like(str(target), v)
    raise ValueError(f"unknown operator {op}")


def _cmp(v: Any, target: Any, op: str) -> bool:
    pair = _cmp_pair(v, target)
    if pair is None:
        return False
    a, b = pair
    if op == ">":
        return bool(a > b)
    if op == ">=":
        return bool(a >= b)
    if op == "<":
        return bool(a < b)
    return bool(a <= b)


def matches(node: Node, row: dict[str, Any]) -> bool:
    if isinstance(node, Cond):
        return _match_cond(node, row)
    if node.logic == "or":
        result = any(matches(c, row) for c in node.children) if node.children else True
    else:
        result = all(matches(c, row) for c in node.children)
    return not result if node.negative else result


def _id_bounds(node: Node | None, id_field: str) -> tuple[float, float, bool]:
    """Bounds (lo, hi) on ids implied by top-level AND conditions; flag: only id conditions."""
    lo, hi = float("-inf"), float("inf")
    if node is None:
        return lo, hi, True
    if isinstance(node, Cond):
        children: list[Node] = [node]
    elif node.logic == "and" and not node.negative:
        children = node.children
    else:
        return lo, hi, False
    only_id = True
    for child in children:
        if not (isinstance(child, Cond) and child.field == id_field):
            only_id = False
            continue
        value = child.value
        if child.op == "between" and isinstance(value, list | tuple) and len(value) == 2:
            try:
                lo = max(lo, float(value[0]))
                hi = min(hi, float(value[1]))
            except (TypeError, ValueError):
                only_id = False
            continue
        if isinstance(value, list):
            only_id = False
            if child.op in {"=", "in"} and value:
                try:
                    nums = [float(x) for x in value]
                except (TypeError, ValueError):
                    continue
                lo, hi = max(lo, min(nums)), min(hi, max(nums))
            continue
        try:
            num = float(value)
        except (TypeError, ValueError):
            only_id = False
            continue
        if child.op == ">":
            lo = max(lo, num + 1e-9)
        elif child.op == ">=":
            lo = max(lo, num)
        elif child.op == "<":
            hi = min(hi, num - 1e-9)
        elif child.op == "<=":
            hi = min(hi, num)
        elif child.op in {"=", "in"}:
            lo, hi = max(lo, num), min(hi, num)
        else:
            only_id = False
    return lo, hi, only_id


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int | float):
        return (1, value)
    return (2, str(value).lower())


def _row_key(fname: str) -> Callable[[dict[str, Any]], tuple[int, Any]]:
    def key(row: dict[str, Any]) -> tuple[int, Any]:
        return _sort_key(row.get(fname))

    return key


class Table:
    """Rows by integer id, with a sorted id list for range scans."""

    def __init__(self, id_field: str = "id") -> None:
        self.id_field = id_field
        self.rows: dict[int, dict[str, Any]] = {}
        self.ids: list[int] = []
        self.next_id = 1
        self.version = 0
        self._cache: dict[tuple[str, tuple[OrderKey, ...]], tuple[int, list[int]]] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def insert(self, row: dict[str, Any]) -> int:
        new_id = self.next_id
        self.next_id += 1
        row[self.id_field] = new_id
        self.rows[new_id] = row
        self.ids.append(new_id)
        self.version += 1
        return new_id

    def bulk_insert(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self.insert(row)

    def get(self, row_id: int) -> dict[str, Any] | None:
        return self.rows.get(row_id)

    def delete(self, row_id: int) -> bool:
        if row_id not in self.rows:
            return False
        del self.rows[row_id]
        self.version += 1
        pos = bisect.bisect_left(self.ids, row_id)
        if pos < len(self.ids) and self.ids[pos] == row_id:
            del self.ids[pos]
        return True

    def _scan(self, node: Node | None, descending: bool) -> Iterator[dict[str, Any]]:
        lo, hi, _ = _id_bounds(node, self.id_field)
        ids = self.ids
        start = 0 if lo == float("-inf") else bisect.bisect_left(ids, lo)
        stop = len(ids) if hi == float("inf") else bisect.bisect_right(ids, hi)
        rng = range(stop - 1, start - 1, -1) if descending else range(start, stop)
        rows = self.rows
        if node is None:
            for i in rng:
                yield rows[ids[i]]
            return
        for i in rng:
            row = rows[ids[i]]
            if matches(node, row):
                yield row

    def count(self, node: Node | None) -> int:
        lo, hi, only_id = _id_bounds(node, self.id_field)
        if only_id:
            start = 0 if lo == float("-inf") else bisect.bisect_left(self.ids, lo)
            stop = len(self.ids) if hi == float("inf") else bisect.bisect_right(self.ids, hi)
            return max(0, stop - start)
        return sum(1 for _ in self._scan(node, False))

    def touch(self) -> None:
        """Mark the rows as changed (call after updating a row in place)."""
        self.version += 1

    def _range(self, node: Node | None) -> tuple[int, int, bool]:
        lo, hi, only_id = _id_bounds(node, self.id_field)
        start = 0 if lo == float("-inf") else bisect.bisect_left(self.ids, lo)
        stop = len(self.ids) if hi == float("inf") else bisect.bisect_right(self.ids, hi)
        return start, max(start, stop), only_id

    def _matching_ids(self, node: Node | None, order: list[OrderKey]) -> list[int]:
        """All matching ids in order; cached until the table changes (offset paging)."""
        key = (repr(node), tuple(order))
        hit = self._cache.get(key)
        if hit is not None and hit[0] == self.version:
            return hit[1]
        matched = list(self._scan(node, False))
        for fname, desc in reversed(order):
            matched.sort(key=_row_key(fname), reverse=desc)
        ids = [row[self.id_field] for row in matched]
        if len(self._cache) >= 16:
            self._cache.pop(next(iter(self._cache)))
        self._cache[key] = (self.version, ids)
        return ids

    def query(
        self,
        node: Node | None,
        order: list[OrderKey],
        offset: int,
        limit: int,
        *,
        with_total: bool = True,
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Rows ``offset..offset+limit`` in ``order`` and, when asked, the total match count.

        An id-range filter ordered by id is served by index arithmetic; other id-ordered pages
        without a total are scanned from the id range's start; everything else (custom order,
        totals of filtered lists, offset paging) uses a cached list of matching ids.
        """
        offset = max(0, offset)
        rows = self.rows
        id_order = not order or (len(order) == 1 and order[0][0] == self.id_field)
        descending = bool(order and order[0][1])
        start, stop, only_id = self._range(node)
        if id_order and only_id:
            ids = self.ids
            if descending:
                idx = range(stop - 1 - offset, max(start, stop - offset - limit) - 1, -1)
            else:
                idx = range(start + offset, min(stop, start + offset + limit))
            return [rows[ids[i]] for i in idx], (stop - start) if with_total else None
        if id_order and not with_total and offset <= 500:
            page: list[dict[str, Any]] = []
            skipped = 0
            for row in self._scan(node, descending):
                if skipped < offset:
                    skipped += 1
                    continue
                page.append(row)
                if len(page) >= limit:
                    break
            return page, None
        matched = self._matching_ids(node, order)
        page = [rows[i] for i in matched[offset : offset + limit] if i in rows]
        return page, len(matched) if with_total else None


FieldResolver = Callable[[str], str | None]
