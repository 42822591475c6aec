"""The generated list table reaches the core's list registry; the core's own entries win."""

from __future__ import annotations

import json
from pathlib import Path

import b24typed.clients  # noqa: F401 - registers the generated tables
from b24typed.core.lists import ListInfo, list_registry

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def test_schema_list_info_is_registered_for_methods_the_core_does_not_know() -> None:
    schema = json.loads((SCHEMAS / "v2" / "sale.order.list.json").read_text())
    assert list_registry.lookup("sale.order.list") == ListInfo(
        schema["list"]["items_key"], schema["list"]["id_key"], schema["list"]["cursor_key"]
    )
    assert list_registry.lookup("humanresources.node.list", api=3) == ListInfo("items", "id", "id")


def test_hand_written_entries_keep_their_details() -> None:
    user_get = list_registry.lookup("user.get")
    assert user_get is not None and user_get.sort_params
    tasks = list_registry.lookup("tasks.task.list", api=3)
    assert tasks is not None and tasks.page_cap == 50
