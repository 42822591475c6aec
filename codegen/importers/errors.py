"""Error codes of a method page: the "Possible Error Codes" tables and REST 3.0 code lines."""

from __future__ import annotations

import re
from typing import Any

from codegen.importers import yfm

_V3_CODE = re.compile(r"Error Code:\s*`([A-Z0-9_]+)`")
_STATUS = re.compile(r"\b([1-5]\d\d)\b")
_CODE = re.compile(r"^[A-Za-z0-9_.\-]+$")


def page_errors(text: str, api: int) -> list[dict[str, Any]]:
    """Return sorted, de-duplicated ``{"code", "status"}`` rows documented on the page."""
    found: set[tuple[str, int]] = set()
    for table in yfm.tables(text):
        found.update(_table_errors(table))
    if api == 3:
        found.update((code, 400) for code in _V3_CODE.findall(yfm.mask_fences(text)))
    return [{"code": code, "status": status} for code, status in sorted(found)]


def _table_errors(table: yfm.Table) -> set[tuple[str, int]]:
    header = [cell.lower() for cell in table.header]
    if len(header) < 2 or "status" not in header[0] or "code" not in header[1]:
        return set()
    rows: set[tuple[str, int]] = set()
    for cells in table.rows:
        if len(cells) < 2:
            continue
        status = _STATUS.search(cells[0])
        codes = yfm.ticked(cells[1].split("\n")[0])
        if status and codes and _CODE.match(codes[0].strip()):
            rows.add((codes[0].strip(), int(status.group(1))))
    return rows
