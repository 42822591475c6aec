"""Every generated wrapper, called once against the emulator, its answer parsed into its model."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from b24typed import B24Hook, B24OAuth, LimitConfig
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


_CRM_SEEDERS = {"lead": "seed_leads", "deal": "seed_deals", "contact": "seed_contacts"}


def _store_portal(document: dict[str, Any], kwargs: dict[str, Any]) -> FakePortal:
    """A fresh portal holding every record a store-backed call names (up to its id), so the
    call answers with data; users exist for the ids that samples name as people."""
    portal = FakePortal()
    portal.limits.off()
    portal.users.seed(150)
    parts = document["method"].split(".")
    ident = int(kwargs.get("id") or kwargs.get("task_id") or 1)
    if parts[:2] == ["crm", "type"]:
        while max((et.type_id for et in portal.crm.types.values()), default=0) < ident:
            portal.crm.add_smart_process(max(1000, *portal.crm.types) + 1)
    elif parts[:2] == ["crm", "item"]:
        entity_type_id = int(kwargs["entity_type_id"])
        if entity_type_id >= 128:
            portal.crm.add_smart_process(entity_type_id)
        portal.crm.seed_items(entity_type_id, ident)
    elif parts[0] == "crm":
        getattr(portal.crm, _CRM_SEEDERS.get(parts[1], "seed_companies"))(ident)
    elif parts[0] == "tasks":
        portal.tasks.seed(ident)
    return portal


@pytest.mark.parametrize("document", schemas(), ids=schema_ids())
def test_wrapper_calls_emulator_and_parses(
    document: dict[str, Any], b24: B24Hook, portal: FakePortal
) -> None:
    wrapper = wrapper_of(b24, document)
    kwargs = arguments(wrapper, document)
    if _has_handler(portal, document):
        # Store-backed methods answer like a portal: the records they name must exist.
        if "task_id" in inspect.signature(wrapper).parameters and "task_id" not in kwargs:
            kwargs["task_id"] = 1
        store = _store_portal(document, kwargs)
        client: B24Hook | B24OAuth
        if document["method"].startswith("event."):  # a portal refuses them to webhooks
            client = B24OAuth(
                client_id="local.app",
                client_secret="app-secret",
                tokens=store.issue_tokens(store.oauth_app()),
                http_client=store.client(),
                limits=LimitConfig.off(),
            )
        else:
            client = B24Hook.from_webhook_url(
                store.webhook_url, http_client=store.client(), limits=LimitConfig.off()
            )
        wrapper = wrapper_of(client, document)
    call = build(wrapper, kwargs)
    assert (call.api, call.method) == (document["api"], document["method"])
    key = f"v{document['api']}:{document['method']}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            result = wrapper(**kwargs)
    except ValidationError as error:
        if key in KNOWN_SCHEMA_ISSUES:
            pytest.xfail(f"{KNOWN_SCHEMA_ISSUES[key]}: {error.errors()[0]['loc']}")
        raise
    if call.result is not None:
        target = getattr(__import__(call.models, fromlist=["_"]), call.result)
        if isinstance(target, type) and issubclass(target, BaseModel):
            assert isinstance(result, target)
