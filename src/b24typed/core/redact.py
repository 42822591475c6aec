"""Keeping secrets out of logs, reprs and error messages.

:class:`Secret` wraps a credential so that ``repr``/``str`` never show it; :func:`redact` masks
credential-named keys in data before it is logged; :func:`scrub` removes known secret strings and
credential query parameters from free text (an HTML error page, a batch command string).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"

SENSITIVE_KEYS = frozenset(
    {
        "auth",
        "password",
        "token",
        "secret",
        "access_token",
        "refresh_token",
        "client_secret",
        "application_token",
        "sessid",
        "signature",
        "auth_id",
        "refresh_id",
    }
)

# A credential-named query parameter, also as the last part of a bracketed name such as
# ``fields[PASSWORD]`` or its percent-encoded form ``fields%5BPASSWORD%5D``.
_QUERY_SECRET = re.compile(
    r"(?i)([?&]|^)((?:[^&=#\s]*?(?:\[|%5B))?(?:"
    + "|".join(sorted(map(re.escape, SENSITIVE_KEYS)))
    + r")(?:\]|%5D)?)=[^&#;\s]*"
)


class Secret:
    """A credential whose value is only reachable through :meth:`reveal`."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[Any, ...]:
        raise TypeError("Secret values cannot be pickled")


def redact(value: Any, *, depth: int = 6) -> Any:
    """A copy of ``value`` with credential-named keys masked at any depth up to ``depth``."""
    if depth < 0:
        return MASK
    if isinstance(value, Mapping):
        return {
            key: MASK if str(key).lower() in SENSITIVE_KEYS else redact(item, depth=depth - 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(item, depth=depth) for item in value]
    if isinstance(value, str):
        return _QUERY_SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}={MASK}", value)
    if isinstance(value, Secret):
        return MASK
    return value


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every known secret value and credential query parameter masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return _QUERY_SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}={MASK}", text)


def shorten(text: str, limit: int = 300) -> str:
    """``text`` cut to ``limit`` characters for a log line or error message."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
