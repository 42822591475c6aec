"""Every generated wrapper, called once against the emulator, its answer parsed into its model."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from b24typed import B24Hook, LimitConfig
from b24typed.core.errors import AjaxError, MethodNotFoundError, ResponseFormatError
from b24typed.testing import FakePortal

from .wrappers import arguments, build, schema_ids, schemas, wrapper_of

# Schema problems found by this test, reported to the importer; the test records them as xfail
# (with the pydantic message) instead of passing silently, and passes again once they are fixed.
KNOWN_SCHEMA_ISSUES: dict[str, str] = {}


@pytest.fixture(scope="module")
def portal() -> FakePortal:
    portal = FakePortal()
    portal.limits.off()
    return portal


@pytest.fixture(scope="module")
def b24(portal: FakePortal) -> Iterator[B24Hook]:
    client = B24Hook.from_webhook_url(
        portal.webhook_url, http_client=portal.client(), limits=LimitConfig.off()
    )
    yield client
    client.close()


def _has_handler(portal: FakePortal, document: dict[str, Any]) -> bool:
    """Methods the emulator serves from its stores (CRM, users, tasks) rather than the schema."""
    table = portal._v3 if document["api"] == 3 else portal._v2
    return document["method"].lower() in table


@pytest.mark.parametrize("document", schemas(), ids=schema_ids())
def test_wrapper_calls_emulator_and_parses(
    document: dict[str, Any], b24: B24Hook, portal: FakePortal
) -> None:
    wrapper = wrapper_of(b24, document)
    kwargs = arguments(wrapper, document)
    call = build(wrapper, kwargs)
    assert (call.api, call.method) == (document["api"], document["method"])
    key = f"v{document['api']}:{document['method']}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            result = wrapper(**kwargs)
    except (MethodNotFoundError, ResponseFormatError):
        raise
    except AjaxError as error:
        # Store-backed methods answer like a portal: sample ids may not exist, sample fields may
        # not validate. Schema-driven methods must answer.
        if not _has_handler(portal, document):
            raise
        assert error.method == document["method"]
        return
    except ValidationError as error:
        if key in KNOWN_SCHEMA_ISSUES:
            pytest.xfail(f"{KNOWN_SCHEMA_ISSUES[key]}: {error.errors()[0]['loc']}")
        raise
    if call.result is not None:
        target = getattr(__import__(call.models, fromlist=["_"]), call.result)
        if isinstance(target, type) and issubclass(target, BaseModel):
            assert isinstance(result, target)
