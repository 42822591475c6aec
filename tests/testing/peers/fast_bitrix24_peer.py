"""fast_bitrix24 against the loopback portal; prints one JSON object (run by check_peers.py)."""

import json
import sys
from typing import Any

from fast_bitrix24 import Bitrix  # type: ignore[import-not-found]

b = Bitrix(sys.argv[1], verbose=False)
out: dict[str, Any] = {}
out["get_all_deals"] = len({d["ID"] for d in b.get_all("crm.deal.list", {"select": ["ID"]})})
out["get_all_items"] = len(b.get_all("crm.item.list", {"entityTypeId": 2, "select": ["id"]}))
out["get_by_id"] = len(b.get_by_ID("crm.deal.get", [1, 2, 3]))
out["add_120"] = len(b.call("crm.deal.add", [{"fields": {"TITLE": f"f{i}"}} for i in range(120)]))
batch = b.call_batch(
    {"halt": 0, "cmd": {"a": "crm.deal.get?id=1", "b": "crm.deal.list?filter[ID]=$result[a][ID]"}}
)
out["batch_ref"] = batch["b"][0]["ID"] if isinstance(batch, dict) else None
try:
    b.call("crm.item.get", {"entityTypeId": 2, "id": 99_999_999})
    out["error"] = None
except Exception as exc:
    out["error"] = type(exc).__name__
print(json.dumps(out))
