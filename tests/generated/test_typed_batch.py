"""The typed batch: wrapper calls queued, sent 50 per request, typed results or their errors."""

from __future__ import annotations

import pytest

from b24typed import B24Hook, LimitConfig
from b24typed.clients import AsyncB24Hook
from b24typed.core.errors import NotFoundError, SdkError
from b24typed.models.v2.crm.item import CrmItemGetResult
from b24typed.models.v3.tasks.task import V3TasksTaskGetResult
from b24typed.testing import FakePortal


@pytest.fixture
def portal() -> FakePortal:
    portal = FakePortal()
    portal.limits.off()
    return portal


def _client(portal: FakePortal) -> B24Hook:
    return B24Hook.from_webhook_url(
        portal.webhook_url, http_client=portal.client(), limits=LimitConfig.off()
    )


def test_batch_of_more_than_50_calls(portal: FakePortal) -> None:
    b24 = _client(portal)
    with b24.batch() as batch:
        added = [batch.crm.item.add(entity_type_id=2, fields={"title": f"D{i}"}) for i in range(60)]
    ids = [h.result().item.id for h in added if h.result().item is not None]
    assert len(ids) == 60 and len(set(ids)) == 60
    before = b24.stats["requests"]
    with b24.batch() as batch:
        got = [batch.crm.item.get(entity_type_id=2, id=i) for i in ids]
        got.append(batch.crm.item.get(entity_type_id=2, id=999999))  # fails on its own
        task = batch.v3.tasks.task.add(fields={"title": "T", "creatorId": 1, "responsibleId": 1})
        assert not got[0].done()
        with pytest.raises(SdkError):
            got[0].result()
    assert b24.stats["requests"] - before == 3  # 61 REST v2 calls in 2 batches + 1 REST 3.0
    direct = b24.crm.item.get(entity_type_id=2, id=ids[0])
    first = got[0].result()
    assert isinstance(first, CrmItemGetResult) and type(first) is type(direct)
    assert first.item is not None and direct.item is not None
    assert first.item.title == direct.item.title == "D0"
    assert [h.result().item.title for h in got[:60]] == [f"D{i}" for i in range(60)]  # type: ignore[union-attr]
    with pytest.raises(NotFoundError):
        got[60].result()
    assert task.result().item is not None


def test_batch_handles_results_typed_like_direct_calls(portal: FakePortal) -> None:
    b24 = _client(portal)
    task = b24.v3.tasks.task.add(fields={"title": "T", "creatorId": 1, "responsibleId": 1})
    assert task.item is not None and task.item.id is not None
    with b24.batch() as batch:
        handle = batch.v3.tasks.task.get(id=task.item.id)
    assert isinstance(handle.result(), V3TasksTaskGetResult)


def test_a_batch_is_not_sent_when_the_block_raises(portal: FakePortal) -> None:
    b24 = _client(portal)
    before = b24.stats["requests"]
    with pytest.raises(RuntimeError), b24.batch() as batch:
        handle = batch.crm.item.fields(entity_type_id=2)
        raise RuntimeError("boom")
    assert b24.stats["requests"] == before
    assert handle.done()
    with pytest.raises(SdkError, match="not sent"):
        handle.result()
    with pytest.raises(SdkError):
        batch.crm.item.fields(entity_type_id=2)


@pytest.mark.anyio
async def test_async_batch(portal: FakePortal) -> None:
    async with AsyncB24Hook.from_webhook_url(
        portal.webhook_url, http_client=portal.async_client(), limits=LimitConfig.off()
    ) as b24:
        async with b24.batch() as batch:
            added = [batch.crm.item.add(entity_type_id=2, fields={"title": "A"}) for _ in range(55)]
        assert all(h.result().item is not None for h in added)
        assert b24.stats["requests"] == 2


def test_the_typed_batch_halts_on_the_first_error_like_call_batch(portal: FakePortal) -> None:
    b24 = _client(portal)
    added = b24.crm.item.add(entity_type_id=2, fields={"title": "Kept"}).item.id
    commands = [("crm.item.get", {"entityTypeId": 2, "id": 999999})]
    commands.append(("crm.item.get", {"entityTypeId": 2, "id": added}))
    untyped = b24.call_batch(commands)  # is_halt_on_error=True by default
    with b24.batch() as batch:
        missing = batch.crm.item.get(entity_type_id=2, id=999999)
        after = batch.crm.item.get(entity_type_id=2, id=added or 0)
    with pytest.raises(NotFoundError):
        missing.result()
    with pytest.raises(SdkError, match="was not run"):
        after.result()
    assert list(untyped.skipped) == ["1"]
    with b24.batch(halt=False) as batch:
        missing = batch.crm.item.get(entity_type_id=2, id=999999)
        after = batch.crm.item.get(entity_type_id=2, id=added or 0)
    assert after.result().item.title == "Kept"
