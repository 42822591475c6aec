# mypy: enable-error-code="deprecated"
"""Lines a type checker must reject: each is marked with the mypy error code it must report."""

from __future__ import annotations

from b24typed import AsyncB24Hook, B24Hook


def wrong(b24: B24Hook) -> None:
    b24.crm.item.get(entity_type_id="2", id=5)  # E: arg-type
    b24.crm.item.get(id=5)  # E: call-arg
    b24.crm.item.get(entity_type_id=2, id=5, no_such_parameter=1)  # E: call-arg
    b24.crm.item.gett(entity_type_id=2, id=5)  # E: attr-defined
    b24.crm.item.get(entity_type_id=2, id=5, use_original_uf_names="maybe")  # E: arg-type
    b24.crm.item.get(2, 5)  # E: call-arg
    got = b24.crm.item.get(entity_type_id=2, id=5)
    print(got.no_such_field)  # E: attr-defined
    title: int = got.item.title if got.item else 0  # E: assignment
    print(title)
    b24.crm.product.fields()  # E: deprecated
    b24.lists.get(iblock_type_id="crm")  # E: arg-type
    for _ in b24.crm.item.get.iterate(entity_type_id=2, id=5):  # E: attr-defined
        pass
    b24.call_list_method("crm.deal.list", modee="fast")  # E: call-arg
    b24.call_list_method("crm.deal.list", mode="fastest")  # E: arg-type
    b24.call_method(2, "crm.deal.get")  # E: arg-type
    b24.call_batch([("crm.deal.get", {"id": 1})], request_id=7)  # E: arg-type


async def wrong_async(b24: AsyncB24Hook) -> None:
    got = b24.crm.item.get(entity_type_id=2, id=5)
    print(got.item)  # E: attr-defined
    await b24.crm.item.get(entity_type_id=2)  # E: call-arg
    answer = await b24.call_method("crm.deal.get")
    print(answer.no_such_attribute)  # E: attr-defined
    for _ in b24.fetch_list_method("crm.deal.list"):  # E: attr-defined
        pass
    with b24.batch():  # E: attr-defined
        pass
