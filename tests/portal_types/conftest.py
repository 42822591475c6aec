"""A seeded fake portal served over loopback, and the package the command generates from it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from b24typed.portal_types.cli import main
from b24typed.testing import FakePortal

REST3 = ["--rest3", "crm.pipeline.*"]


@dataclass
class Served:
    portal: FakePortal
    url: str
    root: Path  # the folder holding the generated package `my_portal`

    def generate(self, out: Path, *extra: str, rest3: list[str] = REST3) -> int:
        return main(["--out", str(out), "--webhook", self.url, *rest3, *extra])


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    portal = FakePortal()
    portal.seed_variety()
    portal.users.seed(4)
    root = tmp_path_factory.mktemp("generated")
    with portal.serve() as base_url:
        state = Served(portal, portal.serve_webhook_url(base_url), root)
        assert state.generate(root / "my_portal") == 0
        sys.path.insert(0, str(root))
        try:
            yield state
        finally:
            sys.path.remove(str(root))
            for name in [m for m in sys.modules if m.split(".")[0] == "my_portal"]:
                del sys.modules[name]
