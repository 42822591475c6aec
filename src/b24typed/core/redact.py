"""Keeping secrets out of logs, reprs and error messages.

:class:`Secret` wraps a credential so that ``repr``/``str`` never show it; :func:`redact` masks
credential-named keys in data before it is logged; :func:`scrub` removes known secret strings and
credential query parameters from free text (an HTML error page, a batch command string).

Other libraries log too: httpx logs every request's URL at INFO, and with HTTP/2 hpack logs the
``:path`` header at DEBUG, both holding a webhook secret. :func:`guard_library_logs` (called by
every client) puts a :class:`LibraryLogFilter` on their loggers that masks the
``/rest/[api/]<user>/<secret>/`` path and the secrets of every live client, whatever handlers and
levels the application set.
"""

from __future__ import annotations

import logging
import re
import threading
import weakref
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

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


# The secret segment of a webhook path: /rest/<user>/<secret>/ or /rest/api/<user>/<secret>/.
_WEBHOOK_PATH = re.compile(r"(/rest/(?:api/)?\d+/)[^/\s?#'\"\\]+")

# Loggers of the libraries under httpx that may log a request's URL or headers. A filter only
# sees records logged to its own logger, so children are listed one by one.
LIBRARY_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    "hpack",
    "hpack.hpack",
    "hpack.table",
    "h2",
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
    """``text`` with the given and every live client's secrets, webhook path secrets and
    credential query parameters masked."""
    for secret in (*secrets, *live_secrets()):
        if secret:
            text = text.replace(secret, MASK)
    text = _WEBHOOK_PATH.sub(lambda m: f"{m.group(1)}{MASK}", text)
    return _QUERY_SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}={MASK}", text)


class HasSecrets(Protocol):
    def secrets(self) -> tuple[str, ...]: ...


_live: weakref.WeakSet[Any] = weakref.WeakSet()
_live_lock = threading.Lock()
_MIN_MASKED = 4  # shorter "secrets" (test values such as "x") would mask every such letter


def live_secrets() -> tuple[str, ...]:
    """The secrets of every credential registered with :func:`guard_library_logs` and alive."""
    with _live_lock:
        sources = list(_live)
    return tuple(s for source in sources for s in source.secrets() if len(s) >= _MIN_MASKED)


class LibraryLogFilter(logging.Filter):
    """Masks secrets in a record's message; the record itself is always kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the logging module's to report
            return True
        clean = scrub(message, ())
        if clean != message:
            record.msg, record.args = clean, None
        return True


_guard = LibraryLogFilter()


def guard_library_logs(source: HasSecrets) -> None:
    """Mask ``source``'s secrets (and webhook paths) in the logs of httpx, httpcore and hpack."""
    with _live_lock:
        _live.add(source)
        for name in LIBRARY_LOGGERS:
            logging.getLogger(name).addFilter(_guard)  # a no-op once it is there


def shorten(text: str, limit: int = 300) -> str:
    """``text`` cut to ``limit`` characters for a log line or error message."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
