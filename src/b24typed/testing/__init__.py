"""A fake Bitrix24 portal for tests, demos and benchmarks.

``FakePortal`` speaks the real REST protocol (v2 and 3.0), in-process through an httpx
transport (``portal.client()``, ``portal.async_client()``) or over a loopback HTTP server
(``with portal.serve() as base_url: ...``; ``python -m b24typed.testing serve``).

Importing this package is cheap: the portal is loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .clock import ManualClock
    from .portal import FakePortal

__all__ = ["FakePortal", "ManualClock"]


def __getattr__(name: str) -> Any:
    if name == "FakePortal":
        from .portal import FakePortal

        return FakePortal
    if name == "ManualClock":
        from .clock import ManualClock

        return ManualClock
    raise AttributeError(name)
