"""PHP query-string semantics for the fake portal: ``parse_str`` and ``http_build_query``.

The decoder lives in :mod:`b24typed.core.phpparse` (inbound event handlers need it too); the
encoder here writes params with bracket notation and numeric indices.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from b24typed.core.phpparse import is_php_int_key, parse_str, php_to_json

__all__ = ["http_build_query", "is_php_int_key", "parse_str", "php_to_json"]


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "1"
    if value is False:
        return "0"
    return str(value)


def _walk(prefix: str, value: Any, out: list[str]) -> None:
    if isinstance(value, Mapping):
        for k, v in value.items():
            _walk(f"{prefix}[{k}]", v, out)
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _walk(f"{prefix}[{i}]", v, out)
    else:
        out.append(quote(prefix, safe="") + "=" + quote(_scalar(value), safe=""))


def http_build_query(params: Mapping[str, Any]) -> str:
    """Encode params with bracket notation and numeric indices (``null`` becomes ``key=``)."""
    out: list[str] = []
    for key, value in params.items():
        _walk(str(key), value, out)
    return "&".join(out)
