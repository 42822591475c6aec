"""Writes a type checker must reject: a misspelt standard field of an entity's ``fields=``."""

from __future__ import annotations

from b24typed import B24Hook
from b24typed.models import DealFields


def misspelt(b24: B24Hook) -> None:
    b24.crm.deal.add(fields={"titel": "x"})  # E: typeddict-unknown-key
    b24.crm.item.add(entity_type_id=2, fields={"titel": "x"})  # E: typeddict-unknown-key
    fields: DealFields = {"OPENED": "maybe"}  # E: typeddict-item
    print(fields)
