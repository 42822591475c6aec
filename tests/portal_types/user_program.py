# A user program over the generated package: each field's revealed type is checked by the test,
# and each line marked "E: code" must fail with that code.

import my_portal
from typing_extensions import reveal_type

from b24typed import B24Hook

b24 = my_portal.client(B24Hook.from_webhook_url("https://example.bitrix24.com/rest/1/secret/"))
deal = b24.crm.deal.get(id=1)
reveal_type(deal.contract_number)  # R: str | None
reveal_type(deal.seats)  # R: int | None
reveal_type(deal.discount)  # R: float | None
reveal_type(deal.vip)  # R: bool | None
reveal_type(deal.signed_on)  # R: datetime.date | None
reveal_type(deal.uf_crm_next_call)  # R: datetime.datetime | None
reveal_type(deal.delivery)  # R: Literal[1] | Literal[2] | Literal[3] | None
reveal_type(deal.channels)  # R: list[Literal[4] | Literal[5] | Literal[6]] | None
reveal_type(deal.curator)  # R: int | None
reveal_type(deal.reviewers)  # R: list[int] | None
reveal_type(deal.partner)  # R: str | None
reveal_type(deal.contract_scan)  # R: b24typed.portal_types.runtime.FileValue | None
reveal_type(deal.attachments)  # R: list[b24typed.portal_types.runtime.FileValue] | None
reveal_type(deal.budget)  # R: b24typed.portal_types.runtime.Money | None
reveal_type(deal.site)  # R: str | None
reveal_type(deal.links)  # R: list[str] | None
reveal_type(deal.office)  # R: b24typed.portal_types.runtime.Address | None
reveal_type(deal.uf_crm_1721244482250)  # R: str | None
reveal_type(b24.crm.lead.get(id=1).temperature)  # R: Literal[7] | Literal[8] | Literal[9] | None
user = b24.user.get(id=1)
reveal_type(user.shirt_size)  # R: Literal[10] | Literal[11] | Literal[12] | Literal[13] | None
reveal_type(b24.tasks.task.get(id=1).story_points)  # R: float | None
for item in b24.smart.invoice_requests.iterate(filter={">id": 0}):
    reveal_type(item)  # R: my_portal.models.InvoiceRequests
    reveal_type(item.priority)  # R: Literal[14] | Literal[15] | Literal[16] | None
for order in b24.smart.delivery_orders.list():
    reveal_type(order.weight_kg)  # R: float | None
added = b24.smart.delivery_orders.add(fields={"title": "x"})
reveal_type(added)  # R: my_portal.models.DeliveryOrders
reveal_type(b24.crm.deal.update(id=1, fields=deal))  # R: bool
reveal_type(b24.crm.deal.add(fields=deal))  # R: int
reveal_type(deal.title)  # R: str | None
reveal_type(deal.opportunity)  # R: decimal.Decimal | None
reveal_type(deal.user_fields)  # R: dict[str, Any]
summary = b24.v3.crm.pipeline.summary(category_id=0)
reveal_type(summary.stages[0].count)  # R: int
reveal_type(summary.stages[0].amount)  # R: float | None

deal.delivery = 2
deal.delivery = 99  # E: assignment
deal.channels = [4, 7]  # E: list-item
if deal.delivery == 42:  # E: comparison-overlap
    pass
b24.v3.crm.pipeline.stage.count(stage_id=5)  # E: arg-type
