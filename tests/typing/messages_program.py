# mypy: enable-error-code="deprecated"
# pyright: reportDeprecated=true
"""Four common mistakes; test_messages.py pins the exact text mypy and pyright print for each."""

from __future__ import annotations

from b24typed import AsyncB24Hook, B24Hook


def mistakes(b24: B24Hook) -> None:
    b24.crm.item.get(entity_type_id="2", id=5)  # wrong argument type
    b24.crm.item.get(id=5)  # missing argument
    b24.crm.deal.get(id=5)  # deprecated method
    with b24.batch() as batch:
        batch.crm.item.iterate_list(entity_type_id=2)  # a list walk inside a batch


async def async_mistakes(b24: AsyncB24Hook) -> None:
    await b24.crm.item.get(entity_type_id="2", id=5)  # wrong argument type
    await b24.crm.item.get(id=5)  # missing argument
    await b24.crm.deal.get(id=5)  # deprecated method
    async with b24.batch() as batch:
        batch.crm.item.iterate_list(entity_type_id=2)  # a list walk inside a batch
