"""Limit waits come from the server's own clock, are capped (with a warning naming the method)
and are never charged to the retry deadline."""

from __future__ import annotations

import itertools
import logging
from typing import Any

import httpx
import pytest

from b24typed import LimitConfig, ManualClock, RetryPolicy
from b24typed.core.limits import OperatingBudget
from b24typed.core.result import ResponseTime

from .harness import Harness, envelope

YEAR = 365 * 86400.0
_portals = itertools.count()


START = ManualClock().now()


def answers(*bodies: Any) -> Any:
    """A handler giving ``bodies`` in order (the last one for ever): a JSON body, a response,
    or an int for a bare server error with that status."""
    queue = list(bodies)

    def handler(request: httpx.Request) -> httpx.Response:
        body = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(body, int):
            return httpx.Response(body, json={"error": "INTERNAL_SERVER_ERROR"})
        if isinstance(body, httpx.Response):
            return httpx.Response(body.status_code, headers=body.headers, content=body.content)
        return httpx.Response(200, json=body)

    return handler


def spent(server_now: float, reset_in: float) -> dict[str, Any]:
    """An answer that reports the method's budget as spent, on the server's clock."""
    time = {"start": server_now - 1, "finish": server_now, "operating": 480.0}
    return {"result": [], "time": {**time, "operating_reset_at": server_now + reset_in}}


def harness(handler: Any, **kw: Any) -> Harness:
    url = f"https://limits-{next(_portals)}.example.com/rest/1/secret/"
    return Harness("sync", handler, url=url, limits=LimitConfig(), clock=ManualClock(), **kw)


@pytest.mark.parametrize("skew", [-YEAR, -3600.0, 0.0, 3600.0, YEAR])
def test_the_wait_is_read_against_the_servers_clock(skew: float) -> None:
    h = harness(answers(spent(START + skew, 300), envelope([])))
    h.call(2, "crm.deal.list")
    h.call(2, "crm.deal.list")
    assert h.clock.slept == [pytest.approx(301.0)]


@pytest.mark.parametrize("reset_in", [YEAR, 9e18])
def test_a_far_reset_is_capped_with_a_warning_naming_the_method(
    reset_in: float, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness(answers(spent(START, reset_in), envelope([])))
    h.call(2, "crm.deal.list")
    with caplog.at_level(logging.WARNING, logger="b24typed"):
        assert h.call(2, "crm.deal.list").is_success
    assert h.clock.slept == [pytest.approx(660.0)]
    assert any(
        "crm.deal.list" in r.getMessage() and "660" in r.getMessage() for r in caplog.records
    )
    h.clock.slept.clear()
    assert h.call(2, "crm.deal.list").is_success  # once waited, the method runs again
    assert h.clock.slept == []


def test_a_retry_after_header_beyond_the_cap_is_capped() -> None:
    blocked = httpx.Response(
        429, headers={"Retry-After": "1e12"}, json={"error": "OPERATION_TIME_LIMIT"}
    )
    h = harness(answers(blocked, envelope([])))
    assert h.call(2, "crm.deal.get", {"id": 1}).is_success
    assert h.clock.slept[0] == pytest.approx(660.0) and sum(h.clock.slept) <= 700
    # a rate-limit backoff stays within the retry deadline: past it, the call gives up at once
    flooded = httpx.Response(
        503, headers={"Retry-After": "1e12"}, json={"error": "QUERY_LIMIT_EXCEEDED"}
    )
    h = harness(answers(flooded, envelope([])))
    assert h.call(2, "crm.deal.get", {"id": 1}).error is not None
    assert h.clock.slept == []


def test_limit_waits_are_not_charged_to_the_retry_deadline() -> None:
    # The budget is spent (a ~601 s wait), then one transient 500: the call still retries.
    bodies = answers(spent(START, 600), 500, envelope([5]))
    h = harness(bodies, retry=RetryPolicy(max_attempts=8, backoff_base=0.5))
    h.call(2, "crm.deal.get", {"id": 1})
    result = h.call(2, "crm.deal.get", {"id": 1})
    assert result.is_success and result.result == [5]
    assert h.clock.slept[0] == pytest.approx(601.0) and len(h.clock.slept) == 2


def test_the_budget_boundary_holds_back_at_budget_minus_margin() -> None:
    budget = OperatingBudget(480.0, 5.0)
    at_the_line = ResponseTime(operating=475.0, operating_reset_at=1100.0, finish=1000.0)
    budget.record("crm.deal.list", at_the_line, now=1000.0)
    assert budget.wait_for("crm.deal.list", 1000.0) == pytest.approx(101.0)
    below = ResponseTime(operating=474.9, operating_reset_at=1100.0, finish=1000.0)
    budget.record("crm.deal.list", below, now=1000.0)
    assert budget.wait_for("crm.deal.list", 1000.0) == 0.0
