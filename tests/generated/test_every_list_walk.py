"""Every typed list wrapper's ``iterate_*`` walks all the items the fake portal holds, or is
absent (REST 3.0 lists that cannot be walked by id)."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from b24typed import B24Hook, LimitConfig
from b24typed.core.lists import page_items
from b24typed.testing import FakePortal

from .wrappers import arguments, attribute_path, schemas, wrapper_of

LISTS = [d for d in schemas() if d.get("list") or d.get("kind") == "list"]
SEEDED_DEALS = 120  # more than two pages of 50: crm.deal.list and crm.item.list walk pages


@pytest.fixture(scope="module")
def b24() -> Iterator[B24Hook]:
    portal = FakePortal()
    portal.limits.off()
    client = B24Hook.from_webhook_url(
        portal.webhook_url, http_client=portal.client(), limits=LimitConfig.off()
    )
    with client.batch() as batch:
        for number in range(SEEDED_DEALS):
            batch.crm.item.add(entity_type_id=2, fields={"title": f"Deal {number}"})
    yield client
    client.close()


def _walker(b24: B24Hook, document: dict[str, Any]) -> Any:
    path = attribute_path(document)
    parent: Any = b24
    for name in path[:-1]:
        parent = getattr(parent, name)
    method = getattr(parent, path[-1])
    if inspect.ismethod(method):
        return getattr(parent, f"iterate_{path[-1]}", None)
    return getattr(method, "iterate", None)  # a method that is also a namespace


def test_most_lists_can_be_walked() -> None:
    client = B24Hook(b24_url="https://example.bitrix24.com", user_id=1, secret="s")
    walkers = [d for d in LISTS if _walker(client, d) is not None]
    assert len(LISTS) > 240 and len(walkers) > 200
    absent = [d["method"] for d in LISTS if _walker(client, d) is None and d["api"] == 2]
    assert absent == ["imbot.v2.Bot.list"]


@pytest.mark.parametrize("document", LISTS, ids=[f"v{d['api']}:{d['method']}" for d in LISTS])
def test_iterate_walks_every_item_or_is_absent(document: dict[str, Any], b24: B24Hook) -> None:
    walk = _walker(b24, document)
    if walk is None:
        pytest.skip("no iterate_*: its schema gives no id to walk by, or no items key")
    method = wrapper_of(b24, document)
    kwargs = arguments(method, document)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        first = b24.raw(method, **kwargs)
        if first.error is not None:  # the portal refuses the call (event.offline.list: OAuth only)
            with pytest.raises(type(first.error)):
                list(walk(**kwargs))
            return
        walked = list(walk(**kwargs))
    items_key = (document.get("list") or {}).get("items_key")
    on_first_page = page_items(first.result, items_key)
    expected = first.total if first.total is not None else len(on_first_page)
    assert len(on_first_page) < 50 or first.total is not None  # the whole list is known
    assert len(walked) == expected
    if document["method"] == "crm.deal.list":
        assert expected >= SEEDED_DEALS


def test_a_keyset_walk_keeps_id_0(b24: B24Hook) -> None:
    """crm.category.list's default deal category has id 0: a ``>ID`` walk starts below it."""
    for mode in ("batch", "fast", "offset"):
        ids = [c.id for c in b24.crm.category.iterate_list(entity_type_id=2, mode=mode)]
        assert 0 in ids and len(ids) == len(set(ids)), mode
    rows = b24.call_list_method("crm.category.list", {"entityTypeId": 2}, mode="fast")
    assert rows[0]["id"] == 0
