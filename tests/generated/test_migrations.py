"""Migration warnings: one per REST v2 method per client, and the refresh from the portal."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from b24typed import B24Hook, LimitConfig
from b24typed.clients import AsyncB24Hook, openapi_methods
from b24typed.methods._migrations import TABLE
from b24typed.testing import FakePortal


def _client(portal: FakePortal) -> B24Hook:
    return B24Hook.from_webhook_url(
        portal.webhook_url, http_client=portal.client(), limits=LimitConfig.off()
    )


def _warnings(caplog: pytest.LogCaptureFixture, method: str) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "b24typed"
        and r.levelno == logging.WARNING
        and getattr(r, "b24_method", None) == method
    ]


def test_the_generated_table_comes_from_the_schemas() -> None:
    assert TABLE["tasks.task.get"] == ("tasks.task.get",)
    assert all(isinstance(v, tuple) and v for v in TABLE.values())


def test_one_warning_per_method_per_client(caplog: pytest.LogCaptureFixture) -> None:
    portal = FakePortal()
    task = _client(portal).v3.tasks.task.add(
        fields={"title": "T", "creatorId": 1, "responsibleId": 1}
    )
    task_id = task.item.id if task.item is not None else None
    assert task_id is not None
    caplog.set_level(logging.WARNING, logger="b24typed")
    b24 = _client(portal)
    b24.tasks.task.get(task_id=task_id)  # the typed wrapper ...
    b24.tasks.task.get(task_id=task_id)
    b24.call_method("tasks.task.get", {"taskId": task_id})  # ... and the raw call: one warning
    records = _warnings(caplog, "tasks.task.get")
    assert len(records) == 1
    message = records[0].getMessage()
    assert "tasks.task.get" in message and "b24.v3.tasks.task.get" in message
    _client(portal).call_method("tasks.task.get", {"taskId": task_id})  # another client warns
    assert len(_warnings(caplog, "tasks.task.get")) == 2
    b24.v3.tasks.task.get(id=task_id)  # REST 3.0 calls never warn
    b24.crm.item.fields(entity_type_id=2)  # nor REST v2 methods without an equivalent
    assert len(_warnings(caplog, "crm.item.fields")) == 0


def test_refresh_v3_methods_reads_the_portal_openapi(caplog: pytest.LogCaptureFixture) -> None:
    portal = FakePortal()
    # The portal gains a REST 3.0 crm.item.fields that the committed schemas do not know yet.
    portal.register_v3("crm.item.fields", lambda ctx, params: {"fields": {}}, "crm")
    caplog.set_level(logging.WARNING, logger="b24typed")
    b24 = _client(portal)
    b24.crm.item.fields(entity_type_id=2)
    assert _warnings(caplog, "crm.item.fields") == []
    added = b24.refresh_v3_methods()
    assert added > 0
    assert b24.refresh_v3_methods() == 0  # nothing new the second time
    b24.crm.item.fields(entity_type_id=2)
    b24.crm.item.fields(entity_type_id=2)
    records = _warnings(caplog, "crm.item.fields")
    assert len(records) == 1
    assert "b24.v3.crm.item.fields" in records[0].getMessage()
    # Another client has not refreshed: it does not know it.
    _client(portal).crm.item.fields(entity_type_id=2)
    assert len(_warnings(caplog, "crm.item.fields")) == 1


def test_openapi_methods() -> None:
    doc: dict[str, Any] = {"paths": {"/tasks.task.list": {}, "/crm.item.get": {}, "/": {}}}
    assert openapi_methods(doc) == ["crm.item.get", "tasks.task.list"]
    assert openapi_methods({"openapi": "3.0.0"}) == []
    assert openapi_methods(["not", "a", "document"]) == []


@pytest.mark.anyio
async def test_async_refresh_and_warning(caplog: pytest.LogCaptureFixture) -> None:
    portal = FakePortal()
    portal.register_v3("crm.item.fields", lambda ctx, params: {"fields": {}}, "crm")
    caplog.set_level(logging.WARNING, logger="b24typed")
    async with AsyncB24Hook.from_webhook_url(
        portal.webhook_url, http_client=portal.async_client(), limits=LimitConfig.off()
    ) as b24:
        assert await b24.refresh_v3_methods() > 0
        await b24.crm.item.fields(entity_type_id=2)
        await b24.tasks.task.list()
        await b24.tasks.task.list()
        await b24.crm.item.fields(entity_type_id=2)
    assert len(_warnings(caplog, "crm.item.fields")) == 1
    assert len(_warnings(caplog, "tasks.task.list")) == 1
