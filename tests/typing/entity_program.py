"""A user program over the entity models: the precise types mypy and pyright must infer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from typing_extensions import assert_type

from b24typed import B24Hook
from b24typed.fieldtypes import with_user_fields
from b24typed.models import Deal, DealFields, Item, Task, User


def reads(b24: B24Hook) -> None:
    deal = b24.crm.deal.get(id=1)
    assert_type(deal, Deal)
    assert_type(deal.opportunity, Decimal | None)
    assert_type(deal.date_create, dt.datetime | None)
    assert_type(deal.opened, bool | None)
    assert_type(deal.user_fields, dict[str, Any])
    assert_type(b24.crm.deal.iterate_list(), Iterator[Deal])
    item = b24.crm.item.get(entity_type_id=2, id=1).item
    assert_type(item, Item)
    assert_type(item.category_id, int | None)
    assert_type(item.parent_ids, dict[str, int | None])
    assert_type(b24.crm.item.iterate_list(entity_type_id=2), Iterator[Item])
    users = b24.user.get()
    assert_type(users[0], User)
    assert_type(users, list[User])
    task = b24.tasks.task.get(task_id=1).task
    assert_type(task, Task)
    assert_type(task.responsible_id, int | None)


def writes(b24: B24Hook) -> None:
    fields: DealFields = {"TITLE": "x", "OPPORTUNITY": Decimal("9.99"), "OPENED": True}
    b24.crm.deal.add(fields=with_user_fields(fields, {"UF_CRM_1720019876534": "x"}))
    b24.crm.item.add(entity_type_id=2, fields={"title": "x", "begindate": dt.date(2026, 1, 2)})
