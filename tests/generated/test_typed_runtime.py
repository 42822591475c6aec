"""The typed runtime: UNSET, wire names, lenient models, iterate, deprecation, lazy imports."""

from __future__ import annotations

import datetime as dt
import inspect
import json
import pydoc
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from b24typed import UNSET, B24Hook, LimitConfig
from b24typed.clients import AsyncB24Hook
from b24typed.core.typed_models import B24Model, LBool, LDate, LDateTime, LFloat, LInt, LList, Rows
from b24typed.testing import FakePortal


@pytest.fixture
def portal() -> FakePortal:
    portal = FakePortal()
    portal.limits.off()
    return portal


def _client(portal: FakePortal) -> B24Hook:
    return B24Hook.from_webhook_url(
        portal.webhook_url, http_client=portal.client(), limits=LimitConfig.off()
    )


def test_unset_parameters_are_never_sent_and_wire_names_are_kept() -> None:
    b24 = B24Hook(b24_url="https://example.bitrix24.com", user_id=1, secret="s")
    call = b24.request(b24.crm.item.list, entity_type_id=2, select=["id"], filter={">id": 5})
    assert (call.api, call.method) == (2, "crm.item.list")
    assert call.params == {"entityTypeId": 2, "select": ["id"], "filter": {">id": 5}}
    assert not UNSET and repr(UNSET) == "UNSET"
    call = b24.request(b24.crm.item.get, entity_type_id=2, id=1, extra_params={"undocumented": "Y"})
    assert call.params == {"entityTypeId": 2, "id": 1, "undocumented": "Y"}


def test_wrappers_carry_docstrings_with_docs_link_and_no_prose() -> None:
    b24 = B24Hook(b24_url="https://example.bitrix24.com", user_id=1, secret="s")
    doc = b24.crm.item.get.__doc__ or ""
    assert doc.startswith("Read one ``crm.item`` record.")
    assert "REST v2 method ``crm.item.get``" in doc
    assert "https://apidocs.bitrix24.com/api-reference/crm/universal/crm-item-get.html" in doc
    assert "Scopes: crm." in doc
    v2_task = b24.tasks.task.get.__doc__ or ""
    assert "REST 3.0 equivalent: ``tasks.task.get`` (``b24.v3.tasks.task.get``)" in v2_task


def test_lenient_fields() -> None:
    class Deal(B24Model):
        id: LInt = None
        opened: LBool = None
        amount: LFloat = None
        begins: LDate = None
        created: LDateTime = None
        tags: LList[LInt] = None

    deal = Deal.model_validate(
        {
            "ID": "12",
            "id": "12",
            "opened": "Y",
            "amount": "99.50",
            "begins": "2024-07-22T03:00:00+03:00",
            "created": "",
            "tags": {"0": "1", "1": 2},
            "UF_CRM_1": "custom",
        }
    )
    assert deal.id == 12 and deal.opened is True and deal.amount == 99.5
    assert deal.begins == dt.date(2024, 7, 22) and deal.created is None
    assert deal.tags == [1, 2]
    assert deal.model_extra == {"ID": "12", "UF_CRM_1": "custom"}
    assert deal["UF_CRM_1"] == "custom" and deal["opened"] is True
    assert Deal.model_validate([]).id is None  # PHP's empty object
    assert TypeAdapter(LBool).validate_python("N") is False
    assert TypeAdapter(LBool).validate_python(0) is False
    assert TypeAdapter(LDateTime).validate_python("05.12.2024 13:48:41") == dt.datetime(
        2024, 12, 5, 13, 48, 41
    )
    assert TypeAdapter(Rows[LInt]).validate_python(None) == []


def test_models_use_snake_case_attributes_and_wire_aliases(portal: FakePortal) -> None:
    b24 = _client(portal)
    added = b24.crm.item.add(entity_type_id=2, fields={"title": "Deal"})
    assert added.item is not None
    got = b24.crm.item.get(entity_type_id=2, id=added.item.id or 0)
    assert got.item is not None and got.item.entity_type_id == 2
    dumped = got.model_dump(by_alias=True, exclude_unset=True)
    assert dumped["item"]["entityTypeId"] == 2


def test_raw_keeps_the_unparsed_answer(portal: FakePortal) -> None:
    b24 = _client(portal)
    answer = b24.raw(b24.crm.item.get, entity_type_id=2, id=424242)
    assert not answer.is_success and answer.error is not None
    added = b24.raw(b24.crm.item.add, entity_type_id=2, fields={"title": "Raw"})
    assert added.result["item"]["title"] == "Raw"


def test_iterate_walks_every_page_with_typed_items(portal: FakePortal) -> None:
    b24 = _client(portal)
    with b24.batch() as batch:
        for i in range(130):
            batch.crm.item.add(entity_type_id=2, fields={"title": f"D{i}"})
    items = list(b24.crm.item.iterate_list(entity_type_id=2))
    assert len(items) == 130
    assert {type(i).__name__ for i in items} == {"Item"}
    assert sorted(i.title or "" for i in items) == sorted(f"D{i}" for i in range(130))


@pytest.mark.anyio
async def test_async_wrappers_and_iterate(portal: FakePortal) -> None:
    async with AsyncB24Hook.from_webhook_url(
        portal.webhook_url, http_client=portal.async_client(), limits=LimitConfig.off()
    ) as b24:
        added = await b24.crm.item.add(entity_type_id=2, fields={"title": "A"})
        assert added.item is not None
        seen = [item.id async for item in b24.crm.item.iterate_list(entity_type_id=2)]
        assert seen == [added.item.id]


def test_deprecated_methods_warn_at_runtime(portal: FakePortal) -> None:
    b24 = _client(portal)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        b24.crm.product.fields()
    assert any(
        issubclass(w.category, DeprecationWarning) and "crm.product.fields" in str(w.message)
        for w in caught
    )


_PROBE = """
import json, sys
import b24typed
loaded = lambda: sorted(m for m in sys.modules if m.startswith(("b24typed.methods", "b24typed.models")))
out = {"import": loaded(), "pydantic": "pydantic" in sys.modules}
b24 = b24typed.B24Hook(b24_url="https://example.bitrix24.com", user_id=1, secret="s")
out["client"] = loaded()
b24.crm.item.get
out["namespace"] = loaded()
out["namespace_pydantic"] = "pydantic" in sys.modules
print(json.dumps(out))
"""


def test_import_loads_no_generated_module_and_namespaces_load_lazily() -> None:
    answer = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True
    )
    out = json.loads(answer.stdout)
    assert out["import"] == []
    assert out["client"] == ["b24typed.methods", "b24typed.methods.v2"]
    assert out["namespace"] == [
        "b24typed.methods",
        "b24typed.methods.v2",
        "b24typed.methods.v2.crm",
        "b24typed.methods.v2.crm.item",
    ]


def test_help_and_signature_show_the_method_itself() -> None:
    b24 = B24Hook(b24_url="https://example.bitrix24.com", user_id=1, secret="s")
    signature = inspect.signature(b24.crm.item.get)
    assert list(signature.parameters)[:2] == ["entity_type_id", "id"]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in signature.parameters.values())
    walk = inspect.signature(b24.crm.item.iterate_list).parameters
    assert {
        "entity_type_id",
        "filter",
        "mode",
        "items_key",
        "id_key",
        "cursor_key",
        "progress",
    } <= set(walk)
    assert walk["mode"].default == "batch"
    text = pydoc.render_doc(b24.crm.item.get, renderer=pydoc.plaintext)
    assert "get(*, entity_type_id: 'int', id: 'int'" in text
    assert "Read one ``crm.item`` record." in text and "Bound" not in text
    deprecated = inspect.signature(b24.crm.deal.get)  # the @deprecated wrapper keeps it
    assert next(iter(deprecated.parameters)) == "id"
    assert "use b24.crm.item.get(entity_type_id=2, ...)" in (b24.crm.deal.get.__doc__ or "")


def test_deprecation_warnings_point_at_the_callers_line(portal: FakePortal) -> None:
    b24 = _client(portal)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = sys._getframe().f_lineno + 1
        walk = b24.crm.deal.iterate_list()
    list(walk)
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert [(Path(w.filename).name, w.lineno) for w in deprecations] == [
        (Path(__file__).name, line)
    ]
    assert "crm.deal.list is deprecated: use b24.crm.item.list(entity_type_id=2, ...)" in str(
        deprecations[0].message
    )


def test_a_keyset_walk_that_replaces_order_warns(
    portal: FakePortal, caplog: pytest.LogCaptureFixture
) -> None:
    b24 = _client(portal)
    b24.crm.item.add(entity_type_id=2, fields={"title": "Ordered"})
    with caplog.at_level("WARNING", logger="b24typed"):
        items = list(b24.crm.item.iterate_list(entity_type_id=2, order={"title": "DESC"}))
    assert items
    assert any(
        "order" in r.getMessage() and "crm.item.list" in r.getMessage() for r in caplog.records
    )
    caplog.clear()
    with caplog.at_level("WARNING", logger="b24typed"):
        list(b24.crm.item.iterate_list(entity_type_id=2, order={"title": "DESC"}, mode="offset"))
    assert not [r for r in caplog.records if "order" in r.getMessage()]


def test_request_of_a_deprecated_method_warns_at_the_callers_line() -> None:
    b24 = B24Hook(b24_url="https://example.bitrix24.com", user_id=1, secret="s")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = sys._getframe().f_lineno + 1
        call = b24.request(b24.crm.deal.get, id=5)
    assert call.method == "crm.deal.get"
    assert [(Path(w.filename).name, w.lineno) for w in caught] == [(Path(__file__).name, line)]
