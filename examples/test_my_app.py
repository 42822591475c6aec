"""Testing your own code with the fake portal: the ``b24_portal`` and ``b24_client`` fixtures
come with b24typed's pytest plugin, which a test suite turns on (it is not registered in every
environment that has pytest): ``pytest_plugins`` below, ``-p b24typed.testing.pytest_plugin`` on
the command line, or ``addopts`` in the pytest configuration.

Run it with ``pytest examples/test_my_app.py``.
"""

from __future__ import annotations

from b24typed import B24Hook
from b24typed.testing import FakePortal

pytest_plugins = ["b24typed.testing.pytest_plugin"]


def close_won_deals(b24: B24Hook, stage: str = "WON") -> int:
    """The application code under test: move every deal of a stage to closed."""
    closed = 0
    for deal in b24.call_list_method(
        "crm.deal.list", {"filter": {"STAGE_ID": stage}, "select": ["ID"]}
    ):
        b24.call_method(
            "crm.deal.update", {"id": deal["ID"], "fields": {"CLOSED": "Y"}}
        ).raise_for_error()
        closed += 1
    return closed


def test_close_won_deals(b24_portal: FakePortal, b24_client: B24Hook) -> None:
    b24_portal.crm.seed_deals(200)
    b24 = b24_client  # a B24Hook on the portal's webhook, talking to it in-process
    won = b24.call_list_method("crm.deal.list", {"filter": {"STAGE_ID": "WON"}, "select": ["ID"]})

    assert close_won_deals(b24) == len(won) > 0
    still_open = b24.call_list_method(
        "crm.deal.list", {"filter": {"STAGE_ID": "WON", "CLOSED": "N"}}
    )
    assert still_open == []
