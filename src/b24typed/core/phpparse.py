"""PHP's ``parse_str``: how a Bitrix24 portal (written in PHP) reads a form-encoded body.

Inbound event POSTs (``data[FIELDS][ID]=6641&auth[member_id]=...``), form-encoded REST calls and
every command string of a REST v2 ``batch`` are decoded this way. Written from PHP's documented
behaviour, not copied:

* pairs are split on ``&``; a pair without ``=`` has the value ``""``; empty pairs are skipped;
* keys and values are URL-decoded (``+`` is a space, ``%XX`` a byte, a bad ``%`` stays literal);
* leading spaces of a key are dropped; in the base name (before the first ``[``) spaces and dots
  become ``_``; a key whose base name is empty is skipped;
* ``name[a][b]`` nests; ``name[]`` appends at the next integer index (largest int key + 1);
* a ``[`` without a closing ``]`` in the base name turns into ``_`` and the rest is literal
  (``a[b=1`` sets ``a_b``); an unterminated later bracket ends the path (``a[b][c=1`` sets
  ``a[b]``); characters after a ``]`` that are not a ``[`` are ignored (``a[b]c=1`` sets
  ``a[b]``);
* a later assignment replaces an earlier one; assigning below a scalar replaces it by an array;
* a key nested deeper than 64 brackets (PHP's default ``max_input_nesting_level``) removes its
  whole base variable, also what earlier pairs put there.

PHP arrays are returned as ``dict[str, Any]`` (integer keys in their decimal form). Use
:func:`php_to_json` to turn arrays whose keys are exactly ``0..n-1`` in order into lists, as
``json_encode`` would.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_plus

__all__ = ["is_php_int_key", "parse_str", "php_to_json"]

_INT_KEY = re.compile(r"-?[1-9][0-9]*|0")
_PHP_INT_MAX = 2**63 - 1
MAX_NESTING = 64


def is_php_int_key(key: str) -> bool:
    """True when PHP would store ``key`` as an integer array key."""
    if not _INT_KEY.fullmatch(key):
        return False
    return -_PHP_INT_MAX - 1 <= int(key) <= _PHP_INT_MAX


def _next_index(arr: dict[str, Any]) -> str:
    ints = [int(k) for k in arr if is_php_int_key(k)]
    return str(max(ints) + 1) if ints else "0"


def _decode(text: str) -> str:
    return unquote_plus(text, encoding="utf-8", errors="replace")


def _split_key(raw_key: str) -> tuple[str, list[str | None]] | None:
    """Split a decoded key into its base name and bracket path (None = append)."""
    key = raw_key.lstrip(" ")
    bracket = key.find("[")
    base_part = key if bracket < 0 else key[:bracket]
    base = base_part.replace(" ", "_").replace(".", "_")
    if bracket < 0:
        return (base, []) if base else None
    if not base:
        return None
    path: list[str | None] = []
    pos = bracket
    while True:
        close = key.find("]", pos + 1)
        if close < 0:
            if not path:
                # unterminated first bracket: '[' becomes '_' and the rest is literal
                return base + "_" + key[bracket + 1 :], []
            return base, path
        segment = key[pos + 1 : close]
        path.append(segment if segment != "" else None)
        nxt = close + 1
        if nxt < len(key) and key[nxt] == "[":
            pos = nxt
            continue
        return base, path


def _assign(target: dict[str, Any], base: str, path: list[str | None], value: str) -> None:
    if not path:
        target[base] = value
        return
    current = target.get(base)
    if not isinstance(current, dict):
        current = {}
        target[base] = current
    node: dict[str, Any] = current
    for i, segment in enumerate(path):
        key = _next_index(node) if segment is None else segment
        if is_php_int_key(key):
            key = str(int(key))
        if i == len(path) - 1:
            node[key] = value
            return
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child


def parse_str(query: str | bytes) -> dict[str, Any]:
    """Decode a query string exactly as PHP's ``parse_str`` does (see the module docstring)."""
    if isinstance(query, bytes):
        query = query.decode("utf-8", errors="replace")
    out: dict[str, Any] = {}
    for pair in query.split("&"):
        if not pair:
            continue
        raw_key, sep, raw_value = pair.partition("=")
        split = _split_key(_decode(raw_key))
        if split is None:
            continue
        base, path = split
        if len(path) > MAX_NESTING:
            out.pop(base, None)
            continue
        _assign(out, base, path, _decode(raw_value) if sep else "")
    return out


def php_to_json(value: Any) -> Any:
    """Turn decoded PHP arrays into JSON-like data: ``{"0":a,"1":b}`` becomes ``[a, b]``."""
    if isinstance(value, dict):
        converted = {k: php_to_json(v) for k, v in value.items()}
        if converted and list(converted) == [str(i) for i in range(len(converted))]:
            return list(converted.values())
        return converted
    if isinstance(value, list):
        return [php_to_json(v) for v in value]
    return value
