"""A missing record is a NotFoundError on every entity the fake portal keeps, as real portals
word it (``crm.deal.get``: HTTP 400 "Not found" under a generic code)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from b24typed import B24Hook, EntityNotFoundError, LimitConfig, NotFoundError
from b24typed.core.envelope import error_class
from b24typed.testing import FakePortal

MISSING = 987654


@pytest.fixture(scope="module")
def b24() -> Iterator[B24Hook]:
    portal = FakePortal()
    portal.limits.off()
    client = B24Hook.from_webhook_url(
        portal.webhook_url, http_client=portal.client(), limits=LimitConfig.off()
    )
    yield client
    client.close()


CALLS: list[tuple[int, str, dict[str, Any]]] = [
    *[
        (2, f"crm.{entity}.{action}", {"id": MISSING, **extra})
        for entity in ("deal", "contact", "lead", "company")
        for action, extra in (("get", {}), ("update", {"fields": {"TITLE": "x"}}), ("delete", {}))
    ],
    (2, "crm.item.get", {"entityTypeId": 2, "id": MISSING}),
    (2, "tasks.task.get", {"taskId": MISSING}),
    (3, "tasks.task.get", {"id": MISSING}),
]


@pytest.mark.parametrize(("api", "method", "params"), CALLS, ids=[c[1] for c in CALLS])
def test_a_missing_record_is_not_found(
    b24: B24Hook, api: int, method: str, params: dict[str, Any]
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        answer = b24.call(api, method, params)  # type: ignore[arg-type]
    assert isinstance(answer.error, EntityNotFoundError), answer.error


def test_typed_calls_raise_it(b24: B24Hook) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(NotFoundError):
            b24.crm.deal.get(id=MISSING)
    with pytest.raises(NotFoundError):
        b24.crm.item.get(entity_type_id=2, id=MISSING)


def test_only_a_generic_code_is_read_by_its_description() -> None:
    assert error_class("", 400, "Not found") is EntityNotFoundError
    assert error_class("ERROR_CORE", 400, "Task not found or access denied") is EntityNotFoundError
    assert error_class("INVALID_ARG_VALUE", 400, "Field not found").__name__ == (
        "RequestValidationError"
    )
    assert error_class("RESPONSE_ERROR", 400, "Something else").__name__ == "AjaxError"
