"""A user program: what mypy --strict must accept, with the types it must infer."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Coroutine, Generator, Iterator
from decimal import Decimal
from typing import Any

from typing_extensions import assert_type

from b24typed import UNSET, AjaxResult, AsyncB24Hook, B24Hook, BatchResult
from b24typed.core.typed import BatchHandle, Call
from b24typed.fieldtypes import with_user_fields
from b24typed.models import Item, ItemFields
from b24typed.models.v2.crm.item import (
    CrmItemAddResult,
    CrmItemGetResult,
    CrmItemListResult,
)
from b24typed.models.v2.lists import ListsGetItem, ListsGetResult
from b24typed.models.v2.lists.get import ListsGetIblockTypeIdResult
from b24typed.models.v3.tasks.task import V3TasksTaskGetResult


def sync_program(b24: B24Hook) -> None:
    got = b24.crm.item.get(entity_type_id=2, id=5)
    assert_type(got, CrmItemGetResult)
    assert_type(got.item.id, int | None)  # the wrapped entity itself is never None
    assert_type(got.item.title, str | None)
    standard: ItemFields = {"title": "Deal", "opportunity": Decimal("10.50"), "opened": True}
    added = b24.crm.item.add(entity_type_id=2, fields=with_user_fields(standard, {"ufCrm_1": "x"}))
    assert_type(added, CrmItemAddResult)
    page = b24.crm.item.list(entity_type_id=2, select=["id", "title"], filter={">id": 0})
    assert_type(page, CrmItemListResult)
    items = b24.crm.item.iterate_list(entity_type_id=2)
    assert_type(items, Iterator[Item])
    for item in items:
        assert_type(item.id, int | None)
    assert_type(b24.request(b24.crm.item.list, entity_type_id=2), Call[CrmItemListResult])
    assert_type(b24.v3.tasks.task.get(id=51), V3TasksTaskGetResult)
    b24.crm.item.get(entity_type_id=2, id=5, extra_params={"useOriginalUfNames": "Y"})
    b24.crm.item.get(entity_type_id=2, id=5, use_original_uf_names="N")
    b24.crm.item.get(entity_type_id=2, id=5, use_original_uf_names=UNSET)
    with b24.batch() as batch:
        handle = batch.crm.item.get(entity_type_id=2, id=5)
        assert_type(handle, BatchHandle[CrmItemGetResult])
    assert_type(handle.result(), CrmItemGetResult)
    assert_type(b24.refresh_v3_methods(), int)
    # lists.get is a method and a namespace (lists.get.iblock.type.id): both stay reachable.
    assert_type(b24.lists.get(iblock_type_id="lists"), ListsGetResult)
    assert_type(b24.lists.get.iterate(iblock_type_id="lists"), Iterator[ListsGetItem])
    assert_type(
        b24.lists.get.iblock.type.id(iblock_code="x", iblock_id=1), ListsGetIblockTypeIdResult
    )
    assert_type(b24.raw(b24.crm.item.get, entity_type_id=2, id=5), AjaxResult[Any])
    raw = b24.call_method("crm.item.get", {"entityTypeId": 2, "id": 5})  # generic calls stay
    assert_type(raw, AjaxResult[Any])
    assert_type(raw.result, Any)
    assert_type(b24.call(3, "tasks.task.get", {"id": 1}), AjaxResult[Any])
    assert_type(b24.call_list_method("crm.deal.list", mode="fast"), list[Any])
    assert_type(b24.call_fast_list_method("crm.deal.list", progress=True), list[Any])
    assert_type(b24.fetch_list_method("crm.deal.list"), Generator[list[Any], None, None])
    assert_type(b24.call_batch([("crm.deal.get", {"id": 1})]), BatchResult[Any])
    assert_type(b24.call_batch_by_chunk({"a": ("crm.deal.get", {"id": 1})}), BatchResult[Any])


async def async_program(b24: AsyncB24Hook) -> None:
    pending = assert_type(
        b24.crm.item.get(entity_type_id=2, id=5), Coroutine[Any, Any, CrmItemGetResult]
    )
    assert_type(await pending, CrmItemGetResult)
    items = b24.crm.item.iterate_list(entity_type_id=2)
    assert_type(items, AsyncIterator[Item])
    async for item in items:
        assert_type(item, Item)
    assert_type(await b24.v3.tasks.task.get(id=51), V3TasksTaskGetResult)
    async with b24.batch() as batch:
        handle = batch.v3.tasks.task.get(id=51)
    assert_type(handle.result(), V3TasksTaskGetResult)
    assert_type(await b24.refresh_v3_methods(), int)
    answer = assert_type(
        b24.call_method("crm.deal.get", {"id": 1}), Coroutine[Any, Any, AjaxResult[Any]]
    )
    assert_type(await answer, AjaxResult[Any])
    assert_type(await b24.call_list_method("crm.deal.list"), list[Any])
    assert_type(b24.fetch_list_method("crm.deal.list"), AsyncGenerator[list[Any], None])
    assert_type(await b24.call_batch([("crm.deal.get", {"id": 1})]), BatchResult[Any])
