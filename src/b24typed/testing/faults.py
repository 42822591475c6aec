"""Fault injection: scripted (``portal.faults.next``) and random (``portal.faults.random``).

Kinds (what the client sees):

``"503"``        HTTP 503 ``{"error": "QUERY_LIMIT_EXCEEDED", ...}``
``"429"``        HTTP 429 ``{"error": "OPERATION_TIME_LIMIT", ...}``
``"500"``        HTTP 500 ``{"error": "INTERNAL_SERVER_ERROR", ...}``
``"html502"``    HTTP 502 with an HTML page (a proxy in front of an overloaded portal)
``"truncated"``  HTTP 200 whose JSON body is cut in half (the method did run)
``"reset"``      the connection drops without an answer: ``httpx.RemoteProtocolError`` in-process;
                 the loopback server closes the socket
``"connect"``    ``httpx.ConnectError`` in-process (the loopback server closes the socket)
``"timeout"``    ``httpx.ReadTimeout`` in-process; the loopback server waits
                 ``faults.timeout_seconds`` and then closes the socket

With ``after=True`` the portal first executes the call (a write is committed) and only then
fails: this is the "timeout after commit" case that makes blind retries of writes create
duplicates. ``"truncated"`` always runs the call.
"""

from __future__ import annotations

import random as _random
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["FAULT_KINDS", "Faults"]

FAULT_KINDS = ("503", "429", "500", "html502", "truncated", "reset", "connect", "timeout")


@dataclass
class _Rule:
    method: str | None
    kind: str
    times: int
    after: bool


@dataclass(frozen=True)
class Fault:
    kind: str
    after: bool


class Faults:
    def __init__(self) -> None:
        self._rules: list[_Rule] = []
        self._rate = 0.0
        self._kinds: tuple[str, ...] = ()
        self._methods: frozenset[str] | None = None
        self._rng = _random.Random(0)
        self._random_after = False
        self.timeout_seconds = 2.0
        self.injected: list[tuple[str, str]] = []  # (method, kind) log

    @staticmethod
    def _check(kind: str) -> str:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")
        return kind

    def next(
        self, method: str | None = None, *, kind: str = "503", times: int = 1, after: bool = False
    ) -> Faults:
        """The next ``times`` HTTP calls of ``method`` (any method when None) fail with ``kind``."""
        self._rules.append(_Rule(method, self._check(kind), times, after))
        return self

    def random(
        self,
        rate: float = 0.1,
        kinds: Iterable[str] = ("503", "500", "reset", "timeout", "html502", "truncated"),
        seed: int = 1,
        methods: Iterable[str] | None = None,
        *,
        after: bool = False,
    ) -> Faults:
        """Fail a seeded fraction ``rate`` of HTTP calls (of ``methods``, or all)."""
        self._kinds = tuple(self._check(k) for k in kinds)
        self._rate = float(rate)
        self._rng = _random.Random(seed)
        self._methods = frozenset(methods) if methods is not None else None
        self._random_after = after
        return self

    def clear(self) -> None:
        self._rules.clear()
        self._rate = 0.0
        self._kinds = ()

    @property
    def pending(self) -> int:
        return sum(r.times for r in self._rules)

    def pick(self, method: str) -> Fault | None:
        for rule in self._rules:
            if rule.method is None or rule.method == method:
                rule.times -= 1
                if rule.times <= 0:
                    self._rules.remove(rule)
                self.injected.append((method, rule.kind))
                return Fault(rule.kind, rule.after)
        eligible = self._rate > 0 and bool(self._kinds)
        if eligible and (self._methods is None or method in self._methods):
            roll = self._rng.random()
            if roll < self._rate:
                kind = self._rng.choice(self._kinds)
                self.injected.append((method, kind))
                return Fault(kind, self._random_after)
        return None
