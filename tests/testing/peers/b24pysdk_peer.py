"""b24pysdk (the official Python SDK) against the loopback portal over HTTPS; prints JSON."""

import json
import sys
from typing import Any
from urllib.parse import urlsplit

from b24pysdk import BitrixWebhook, Client  # type: ignore[import-not-found]
from b24pysdk.errors import BitrixAPIError  # type: ignore[import-not-found]

url = urlsplit(sys.argv[1])
user, secret = url.path.strip("/").split("/")[1:3]
client = Client(BitrixWebhook(domain=url.netloc, webhook_token=f"{user}/{secret}"))
out: dict[str, Any] = {}
out["as_list_deals"] = len(client.crm.deal.list(select=["ID"]).as_list().result)
fast = client.crm.item.list(entity_type_id=2, select=["id"]).as_list_fast().result
out["as_list_fast_items"] = len(list(fast))
out["item_add"] = client.crm.item.add(entity_type_id=2, fields={"title": "x"}).result["item"]["id"]
batch = client.call_batch(
    {"a": client.crm.deal.get(bitrix_id=1), "b": client.crm.deal.get(bitrix_id=2)}
).result
out["batch_keys"] = sorted(batch.result)
try:
    _ = client.crm.item.get(entity_type_id=2, bitrix_id=99_999_999).result
    out["error"] = None
except BitrixAPIError as exc:
    out["error"] = exc.error
print(json.dumps(out))
