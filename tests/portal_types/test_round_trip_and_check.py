"""Read, change, update, read back through the generated types; ``--check``; regeneration."""

from __future__ import annotations

import datetime as dt
import filecmp
import importlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from b24typed import B24Hook
from b24typed.portal_types.cli import main
from b24typed.portal_types.runtime import Address, FileValue, Money

from .conftest import Served

# attribute -> (first value, changed value); every deal user field type
DEAL_VALUES: dict[str, tuple[Any, Any]] = {
    "contract_number": ("C-1", "C-2 «new»"),
    "seats": (3, 12),
    "discount": (2.5, 7.25),
    "vip": (True, False),
    "signed_on": (dt.date(2024, 7, 18), dt.date(2025, 1, 31)),
    "uf_crm_next_call": (
        dt.datetime(2024, 7, 18, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=3))),
        dt.datetime(2025, 2, 1, 9, 0, 5, tzinfo=dt.timezone(dt.timedelta(hours=3))),
    ),
    "delivery": (1, 3),
    "channels": ([4, 5], [6]),
    "curator": (1, 2),
    "reviewers": ([1, 2], [3]),
    "partner": ("C_5", "CO_7"),
    "contract_scan": (FileValue.upload("scan.pdf", b"%PDF-1"), None),
    "attachments": ([FileValue.upload("a.txt", b"a"), FileValue.upload("b.txt", b"b")], None),
    "budget": (Money(Decimal("300.50"), "EUR"), Money(Decimal("1200"), "USD")),
    "site": ("https://example.com", "https://example.org/a?b=c"),
    "links": (["https://a.example"], ["https://b.example", "https://c.example"]),
    "office": (Address("350 5th Avenue", "40.748441", "-73.985664", "8842193"),
               Address("1 Main St")),
    "uf_crm_1721244482250": ("Привет", "Пока"),
}  # fmt: skip


@pytest.fixture
def my_portal(served: Served) -> Any:
    return importlib.import_module("my_portal")


def _client(served: Served, my_portal: Any) -> Any:
    return my_portal.client(B24Hook.from_webhook_url(served.url))


def test_deal_round_trip_keeps_every_value_of_every_type(served: Served, my_portal: Any) -> None:
    b24 = _client(served, my_portal)
    new = my_portal.Deal.model_validate({})
    for name, (first, _) in DEAL_VALUES.items():
        setattr(new, name, first)
    deal_id = b24.crm.deal.add(fields=new)
    read = b24.crm.deal.get(id=deal_id)
    files = {"contract_scan", "attachments"}
    for name, (first, _) in DEAL_VALUES.items():
        if name not in files:
            assert getattr(read, name) == first, name
    assert isinstance(read.contract_scan, FileValue) and read.contract_scan.id > 0
    assert read.attachments is not None and len(read.attachments) == 2
    kept_scan, kept_files = read.contract_scan, read.attachments
    for name, (_, second) in DEAL_VALUES.items():
        if name not in files:
            setattr(read, name, second)  # files stay as read: written back by id, kept
    assert b24.crm.deal.update(id=deal_id, fields=read) is True
    again = b24.crm.deal.get(id=deal_id)
    assert again.id == deal_id  # a canonical field of b24typed.models.Deal
    for name, (_, second) in DEAL_VALUES.items():
        if name not in files:
            assert getattr(again, name) == second, name
    assert again.contract_scan == kept_scan
    assert again.attachments == kept_files
    # the same record through crm.item.* (camel names) reads into the same model
    item = served.portal.crm.types[2]
    assert item.user_fields["UF_CRM_BUDGET"].user_type_id == "money"


def test_smart_process_user_and_task_round_trips(served: Served, my_portal: Any) -> None:
    b24 = _client(served, my_portal)
    request = my_portal.InvoiceRequests.model_validate({"title": "Laptops"})
    request.amount = Money(Decimal("999.99"), "EUR")
    request.due_date = dt.date(2025, 3, 1)
    request.priority = 16
    request.approver = 1
    created = b24.smart.invoice_requests.add(fields=request)
    assert created.amount == request.amount and created.priority == 16
    created.priority = 14
    created.due_date = dt.date(2025, 4, 2)
    b24.smart.invoice_requests.update(id=created["id"], fields=created)
    listed = list(b24.smart.invoice_requests.iterate())
    assert [(r.priority, r.due_date, r.amount) for r in listed] == [
        (14, dt.date(2025, 4, 2), Money(Decimal("999.99"), "EUR"))
    ]
    order = my_portal.DeliveryOrders.model_validate({})
    order.fragile = True
    order.weight_kg = 12.5
    order.delivery_address = Address("Main St 1", "1.5", "2.5", "77")
    order_id = b24.smart.delivery_orders.add(fields=order)["id"]
    got = b24.smart.delivery_orders.get(id=order_id)
    assert (got.fragile, got.weight_kg, got.delivery_address) == (
        True, 12.5, Address("Main St 1", "1.5", "2.5", "77")
    )  # fmt: skip

    user = b24.user.get(id=2)
    user.shirt_size = 12
    user.hired_on = dt.date(2020, 5, 17)
    user.mentor = 1
    assert b24.user.update(id=2, fields=user) is True
    again = b24.user.get(id=2)
    assert (again.shirt_size, again.hired_on, again.mentor) == (12, dt.date(2020, 5, 17), 1)

    task = b24.tasks.task.add(fields={"TITLE": "Ship it", "UF_TASK_STORY_POINTS": 3})
    assert task.story_points == 3.0
    task.story_points = 5.5
    task.customer = "D_1"
    task.labels = ["urgent", "backend"]
    b24.tasks.task.update(id=task["id"], fields=task)
    read = b24.tasks.task.get(id=task["id"])
    assert (read.story_points, read.customer, read.labels) == (5.5, "D_1", ["urgent", "backend"])


def test_rest3_wrapper_from_the_portals_openapi(served: Served, my_portal: Any) -> None:
    b24 = _client(served, my_portal)
    summary = b24.v3.crm.pipeline.summary(category_id=0)
    assert summary.total == sum(stage.count for stage in summary.stages)
    assert b24.v3.crm.pipeline.stage.count(stage_id="NEW").count >= 0


def test_regenerating_an_unchanged_portal_is_byte_identical(served: Served, tmp_path: Path) -> None:
    again = tmp_path / "my_portal"
    assert served.generate(again) == 0
    first = served.root / "my_portal"
    names = sorted(p.name for p in first.iterdir() if p.is_file())
    match, mismatch, errors = filecmp.cmpfiles(first, again, names, shallow=False)
    assert (mismatch, errors) == ([], []) and len(match) == 5
    assert served.generate(served.root / "my_portal", "--check") == 0


def _check(served: Served, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = served.generate(served.root / "my_portal", "--check")
    return code, capsys.readouterr().out


def test_check_reports_each_kind_of_drift(
    served: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    fields = served.portal.userfields
    deal = fields.of("CRM_DEAL")
    assert _check(served, capsys)[0] == 0

    removed = deal.pop("UF_CRM_SITE")
    code, out = _check(served, capsys)
    deal["UF_CRM_SITE"] = removed
    assert code == 1 and "- deal.UF_CRM_SITE (url) was removed" in out

    deal["UF_CRM_1720019876534"].user_type_id = "double"
    code, out = _check(served, capsys)
    deal["UF_CRM_1720019876534"].user_type_id = "integer"
    assert code == 1 and "~ deal.UF_CRM_1720019876534: type integer -> double" in out

    option = fields.add_option(deal["UF_CRM_DELIVERY"], "Drone")
    code, out = _check(served, capsys)
    deal["UF_CRM_DELIVERY"].items.pop()
    assert code == 1 and f"+ deal.UF_CRM_DELIVERY: option {option} (Drone) was added" in out

    fields.add("CRM_CONTACT", "UF_CRM_NICKNAME", "string", label="Nickname")
    code, out = _check(served, capsys)
    fields.remove("CRM_CONTACT", "UF_CRM_NICKNAME")
    assert code == 1 and "+ contact.UF_CRM_NICKNAME (string) was added" in out

    served.portal.crm.add_smart_process(140, "Returns")
    code, out = _check(served, capsys)
    del served.portal.crm.types[140]
    assert code == 1 and "+ smart process 140 (Returns) was added" in out
    assert "regenerate: b24typed portal-types --out" in out

    assert _check(served, capsys)[0] == 0


def test_async_client_gets_the_async_view(served: Served, my_portal: Any) -> None:
    import asyncio

    from b24typed import AsyncB24Hook

    async def run() -> tuple[Any, list[Any]]:
        async with AsyncB24Hook.from_webhook_url(served.url) as hook:
            b24 = my_portal.client(hook)
            assert type(b24).__name__ == "AsyncPortal"
            added = await b24.crm.deal.add(fields={"TITLE": "Async", "UF_CRM_VIP": "Y"})
            deal = await b24.crm.deal.get(id=added)
            assert deal.vip is True and deal.title == "Async"
            rows = [row async for row in b24.crm.deal.iterate(filter={"=ID": added})]
            return deal, rows

    deal, rows = asyncio.run(run())
    assert rows == [deal] and isinstance(deal, my_portal.Deal)


def test_oauth_credentials_from_the_environment_give_the_same_package(
    served: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = served.portal.oauth_app("local.types", "types-secret")
    tokens = served.portal.issue_tokens(app)
    endpoint = served.url.split("/rest/")[0] + "/rest/"
    for name, value in {
        "B24_DOMAIN": endpoint.split("//")[1].split("/")[0],
        "B24_CLIENT_ENDPOINT": endpoint,
        "B24_CLIENT_ID": app.client_id,
        "B24_CLIENT_SECRET": app.client_secret,
        "B24_ACCESS_TOKEN": tokens["access_token"],
        "B24_REFRESH_TOKEN": tokens["refresh_token"],
    }.items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "my_portal"
    assert main(["--out", str(out), "--oauth", "--rest3", "crm.pipeline.*"]) == 0
    first = served.root / "my_portal"
    assert (out / "description.json").read_bytes() == (first / "description.json").read_bytes()
    assert (out / "models.py").read_bytes() == (first / "models.py").read_bytes()
    text = "".join(p.read_text(encoding="utf-8") for p in out.iterdir())
    assert tokens["access_token"] not in text and tokens["refresh_token"] not in text


def test_read_models_accept_every_wire_form_and_unknown_options(my_portal: Any) -> None:
    # crm.deal.* strings and "1"/"0", crm.item.* native types and "Y"/"N", an option id the
    # portal added after generation: all read, none rejected
    legacy = my_portal.Deal.model_validate(
        {"UF_CRM_1720019876534": "12", "UF_CRM_VIP": "1", "UF_CRM_DELIVERY": "99",
         "UF_CRM_SCAN": {"id": 7, "showUrl": "/s", "downloadUrl": "/d"}, "UF_CRM_BUDGET": "",
         "UF_CRM_CHANNELS": {"0": "4", "1": "6"}, "UF_CRM_SIGNED_ON": "18.07.2024"}
    )  # fmt: skip
    item = my_portal.Deal.model_validate(
        {"ufCrm_1720019876534": 12, "ufCrm_VIP": "Y", "ufCrm_DELIVERY": 99,
         "ufCrm_SCAN": {"id": 7, "url": "/s", "urlMachine": "/d"}, "ufCrm_BUDGET": None,
         "ufCrm_CHANNELS": [4, 6], "ufCrm_SIGNED_ON": "2024-07-18T00:00:00+03:00"}
    )  # fmt: skip
    for deal in (legacy, item):
        assert (deal.seats, deal.vip, deal.delivery, deal.budget) == (12, True, 99, None)
        assert deal.contract_scan == FileValue(7, "/s", "/d")
        assert (deal.channels, deal.signed_on) == ([4, 6], dt.date(2024, 7, 18))
    assert legacy["UF_CRM_1720019876534"] == 12
