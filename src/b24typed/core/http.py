"""Plain data that crosses the boundary between the pipeline and the network."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class HttpRequest:
    """One POST the pipeline wants sent. ``url`` may contain a webhook secret: never log it."""

    url: str
    content: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout: float | None = None

    def __repr__(self) -> str:
        return f"HttpRequest(<url hidden>, {len(self.content)} bytes)"


@dataclass(frozen=True)
class HttpAnswer:
    """What came back: status, headers (lower-case names) and the raw body."""

    status: int
    content: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


FailureKind = Literal["timeout", "connect", "network", "too_large"]


@dataclass(frozen=True)
class HttpFailure:
    """No usable answer arrived. ``sent`` says whether the request may have reached the server;
    ``status`` is the HTTP status of an answer that was cut off (``too_large``), else 0."""

    kind: FailureKind
    detail: str
    sent: bool
    status: int = 0
