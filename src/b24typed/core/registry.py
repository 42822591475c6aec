"""Which REST v2 methods REST 3.0 replaces, and the warning logged when they are called.

The core reads the table through :data:`migrations`; generated code registers a loader for it
(read on the first REST v2 call, so ``import b24typed`` stays cheap), and a client can add what
its portal reports (``refresh_v3_methods``).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence

logger = logging.getLogger("b24typed")

MigrationTable = Mapping[str, Sequence[str]]

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake_case(name: str) -> str:
    """``getFields`` -> ``get_fields``; already snake names are kept."""
    return _CAMEL.sub("_", name).lower()


def wrapper_path(method: str, api: int) -> str:
    """Where a method's typed wrapper lives on a client, e.g. ``b24.v3.tasks.task.get``."""
    path = ".".join(snake_case(part) for part in method.split("."))
    return f"b24.v3.{path}" if api == 3 else f"b24.{path}"


class MigrationRegistry:
    """REST v2 method -> the REST 3.0 methods that replace it."""

    def __init__(self) -> None:
        self._table: dict[str, tuple[str, ...]] = {}
        self._loaders: list[Callable[[], MigrationTable]] = []
        self._lock = threading.Lock()

    def add_loader(self, loader: Callable[[], MigrationTable]) -> None:
        """Register a table to be read the first time it is needed."""
        with self._lock:
            self._loaders.append(loader)

    def register(self, table: MigrationTable) -> None:
        with self._lock:
            self._merge(table)

    def _merge(self, table: MigrationTable) -> None:
        for method, targets in table.items():
            known = self._table.get(method, ())
            self._table[method] = known + tuple(t for t in targets if t not in known)

    def lookup(self, method: str) -> tuple[str, ...]:
        if self._loaders:
            with self._lock:
                loaders, self._loaders = self._loaders, []
                for loader in loaders:
                    self._merge(loader())
        return self._table.get(method, ())


migrations = MigrationRegistry()


class MigrationNotifier:
    """Logs one WARNING per method per client when a REST v2 call has a REST 3.0 equivalent."""

    def __init__(self, registry: MigrationRegistry = migrations) -> None:
        self._registry = registry
        self._extra: dict[str, tuple[str, ...]] = {}
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    def add(self, methods: Iterable[str]) -> int:
        """Take REST 3.0 method names a portal reports as same-name equivalents; how many new."""
        added = 0
        with self._lock:
            for method in methods:
                if method not in self._extra:
                    self._extra[method] = (method,)
                    added += 1
        return added

    def equivalents(self, method: str) -> tuple[str, ...]:
        return self._extra.get(method) or self._registry.lookup(method)

    def notify(self, method: str, request_id: str) -> None:
        if method in self._warned:
            return
        targets = self.equivalents(method)
        with self._lock:
            if not targets or method in self._warned:
                return
            self._warned.add(method)
        logger.warning(
            "%s is a REST v2 method; REST 3.0 has %s (%s). Consider migrating.",
            method,
            ", ".join(targets),
            ", ".join(wrapper_path(t, 3) for t in targets),
            extra={"b24_method": method, "b24_request_id": request_id, "b24_v3": list(targets)},
        )
