"""The plugin's client fixtures are not slowed by the process-wide client-side rate limit."""

from __future__ import annotations

from typing import Any

from b24typed.testing import FakePortal


def test_many_calls_through_the_fixture_never_wait(b24_client: Any, b24_portal: FakePortal) -> None:
    b24_portal.crm.seed_deals(5)
    for _ in range(120):  # more than the standard burst of 50
        assert b24_client.call_method("crm.deal.get", {"id": 1}).is_success
    assert b24_client.stats["waits"] == 0
