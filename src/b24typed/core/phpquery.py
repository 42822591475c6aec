"""Batch command strings: params encoded the way PHP's ``http_build_query`` does.

A REST v2 ``batch`` command is ``"method?query"``, and the portal decodes ``query`` with PHP's
``parse_str``. :func:`http_build_query` writes params so that they decode to exactly what was
given:

* nested mappings and lists use bracket notation with explicit indices:
  ``{"filter": {">ID": 5}, "select": ["ID", "TITLE"]}`` ->
  ``filter%5B%3EID%5D=5&select%5B0%5D=ID&select%5B1%5D=TITLE``;
* keys and values are percent-encoded, brackets included (a space is ``+``), so keys with
  operator prefixes (``>ID``, ``!=STATUS``, ``%TITLE``), unicode, and values containing
  ``& = [ ] % +`` or spaces arrive intact; ``$result[cmd][field]`` references stay literal text
  for the server to resolve;
* scalars become strings, as PHP sends them: ``True`` -> ``1``, ``False`` -> ``0``, numbers in
  decimal; ``None`` is left out, and so is an empty list or mapping (PHP cannot express either
  in a query string, so clear a field with a plain call, not inside a batch);
* dates, decimals, enums, tuples, sets and pydantic models are converted as for JSON bodies.

Names that PHP would rewrite are refused with :class:`SdkError` instead of being silently
changed: a top-level key with a space, a dot or a ``[`` (PHP turns those into ``_``), and a nested
key that is empty or contains ``]``.
"""

from __future__ import annotations

import enum
import functools
import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote_plus

from b24typed.core.errors import SdkError
from b24typed.core.request import _json_default, check_method_name

__all__ = ["command_string", "dropped_value", "http_build_query", "php_view"]

_MAX_DEPTH = 64  # PHP's max_input_nesting_level


def _bad(message: str) -> SdkError:
    return SdkError(message, code="SDK_INVALID_PARAMS")


def _scalar(value: Any) -> str:
    if value is True:
        return "1"
    if value is False:
        return "0"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:  # more digits than Python converts
            raise _bad("an integer too large to send in a batch command") from None
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise _bad(f"{value!r} cannot be sent in a batch command")
        return repr(value)
    raise _bad(f"a value of type {type(value).__name__} cannot be sent in a batch command")


def _top_key(key: Any) -> str:
    name = str(key)
    if not name or any(c in name for c in " .[\x00"):
        raise _bad(
            f"parameter name {name!r} cannot be sent in a batch command: PHP would rename it "
            "(spaces, dots and '[' in a top-level name become '_')"
        )
    return name


def _nested_key(key: Any) -> str:
    name = str(key)
    if not name or "]" in name or "\x00" in name:
        raise _bad(f"nested key {name!r} cannot be sent in a batch command (empty or has ']')")
    return name


@functools.lru_cache(maxsize=4096)
def _pair(prefix: str, value: str) -> str:
    """``name=value``, both percent-encoded; chained list commands repeat most pairs."""
    return f"{quote_plus(prefix, safe='')}={quote_plus(value, safe='')}"


def _walk(prefix: str, value: Any, out: list[str], depth: int) -> None:
    if value is None:
        return
    if depth > _MAX_DEPTH:
        raise _bad(f"params nest deeper than {_MAX_DEPTH} levels")
    if isinstance(value, enum.Enum):
        _walk(prefix, value.value, out, depth)
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            _walk(f"{prefix}[{_nested_key(key)}]", item, out, depth + 1)
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _walk(f"{prefix}[{index}]", item, out, depth + 1)
        return
    if isinstance(value, str | int | float):  # bool is an int
        out.append(_pair(prefix, _scalar(value)))
        return
    try:
        converted = _json_default(value)
    except TypeError as exc:
        raise _bad(str(exc)) from None
    _walk(prefix, converted, out, depth)


def dropped_value(params: Mapping[Any, Any], prefix: str = "", depth: int = 1) -> str | None:
    """The name of the first value in ``params`` that a command string leaves out (``None``, an
    empty list or mapping), or ``None`` when every value travels."""
    for key, raw in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        value = list(raw) if isinstance(raw, tuple | set | frozenset) else raw
        if value is None or (isinstance(value, Mapping | list) and not value):
            return f"{name}={value!r}"
        found = None
        if depth <= _MAX_DEPTH and isinstance(value, Mapping):
            found = dropped_value(value, name, depth + 1)
        elif depth <= _MAX_DEPTH and isinstance(value, list):
            found = dropped_value(dict(enumerate(value)), name, depth + 1)
        if found is not None:
            return found
    return None


def php_view(value: Any, depth: int = 0) -> Any:
    """``value`` as the portal reads it back from a command string: scalars become the strings
    :func:`http_build_query` writes (``True`` -> ``"1"``, ``1.5`` -> ``"1.5"``), containers keep
    their shape. For values :func:`dropped_value` passes."""
    if depth > _MAX_DEPTH:
        raise _bad(f"params nest deeper than {_MAX_DEPTH} levels")
    if isinstance(value, enum.Enum):
        return php_view(value.value, depth)
    if isinstance(value, Mapping):
        return {str(key): php_view(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [php_view(item, depth + 1) for item in value]
    if isinstance(value, str | int | float):
        return _scalar(value)
    if value is None:
        return None
    try:
        converted = _json_default(value)
    except TypeError as exc:
        raise _bad(str(exc)) from None
    return php_view(converted, depth)


def http_build_query(params: Mapping[str, Any] | None) -> str:
    """Encode ``params`` as PHP's ``http_build_query`` would (see the module docstring)."""
    out: list[str] = []
    for key, value in (params or {}).items():
        _walk(_top_key(key), value, out, 1)
    return "&".join(out)


def command_string(method: str, params: Mapping[str, Any] | None = None) -> str:
    """One batch command: ``method`` or ``method?query``."""
    check_method_name(method)
    if params is not None and not isinstance(params, Mapping):
        raise _bad(f"params must be a mapping, not {type(params).__name__}")
    query = http_build_query(params)
    return f"{method}?{query}" if query else method
