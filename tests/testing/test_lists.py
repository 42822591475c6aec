"""List paging, filters, order and select (REST v2) and pagination, filters, tail (REST 3.0)."""

from __future__ import annotations

import math
import time

import pytest

from b24typed.testing import FakePortal

from .conftest import Env


def test_pages_of_50_with_next_and_total(env: Env) -> None:
    env.portal.crm.seed_deals(120)
    first = env.ok("crm.item.list", {"entityTypeId": 2})
    assert len(first["result"]["items"]) == 50
    assert (first["total"], first["next"]) == (120, 50)
    third = env.ok("crm.item.list", {"entityTypeId": 2, "start": 100})
    assert len(third["result"]["items"]) == 20
    assert third["total"] == 120 and "next" not in third
    assert third["result"]["items"][0]["id"] == 101
    legacy = env.ok("crm.deal.list", {"start": 50})
    assert (legacy["total"], legacy["next"], legacy["result"][0]["ID"]) == (120, 100, "51")


def test_start_minus_one_has_no_total_or_next(env: Env) -> None:
    env.portal.crm.seed_deals(60)
    fast = env.ok("crm.deal.list", {"start": -1, "order": {"ID": "ASC"}, "filter": {">ID": 0}})
    assert "total" not in fast and "next" not in fast
    assert len(fast["result"]) == 50


def test_keyset_export_request_count(env: Env) -> None:
    n = 1234
    env.portal.crm.seed_deals(n)
    env.portal.stats.reset()
    seen: list[int] = []
    cursor = 0
    while True:
        page = env.ok("crm.item.list", {"entityTypeId": 2, "start": -1, "order": {"id": "ASC"},
                                        "filter": {">id": cursor}, "select": ["id"]})  # fmt: skip
        items = page["result"]["items"]
        seen += [i["id"] for i in items]
        if len(items) < 50:
            break
        cursor = items[-1]["id"]
    assert seen == list(range(1, n + 1))
    assert env.portal.stats["crm.item.list"] == math.ceil(n / 50)


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({">ID": 5, "<=ID": 8}, ["6", "7", "8"]),
        ({">=ID": 9}, ["9", "10"]),
        ({"<ID": 3}, ["1", "2"]),
        ({"=ID": 4}, ["4"]),
        ({"ID": [2, 4]}, ["2", "4"]),
        ({"@ID": [3, 5]}, ["3", "5"]),
        ({"!@ID": [1, 2, 3, 4, 5, 6, 7, 8]}, ["9", "10"]),
        ({"!ID": 1, "<ID": 4}, ["2", "3"]),
        ({"!=ID": 1, "<ID": 3}, ["2"]),
        ({"%TITLE": "#1"}, ["1", "10"]),
        ({"=%TITLE": "%#1"}, ["1"]),
        ({"!%TITLE": "#1", "<ID": 3}, ["2"]),
        ({"STAGE_ID": "NOPE"}, []),
        ({"0": {"LOGIC": "OR", "0": {"ID": 1}, "1": {"ID": 10}}}, ["1", "10"]),
        ({"UNKNOWN_FIELD": 5, "ID": 3}, ["3"]),
    ],
)
def test_v2_filter_operators(env: Env, flt: dict[str, object], expected: list[str]) -> None:
    env.portal.crm.seed_deals(10)
    got = env.ok("crm.deal.list", {"filter": flt, "select": ["ID"]})
    assert [r["ID"] for r in got["result"]] == expected
    assert got["total"] == len(expected)


def test_item_list_rejects_unknown_filter_and_order_fields(env: Env) -> None:
    bad = env.call("crm.item.list", {"entityTypeId": 2, "filter": {"nope": 1}})
    assert bad.status_code == 400
    assert bad.json() == {
        "error": "INVALID_ARG_VALUE",
        "error_description": "Invalid filter: field 'nope' is not allowed in filter",
    }
    bad_dir = env.call("crm.item.list", {"entityTypeId": 2, "order": {"id": "UP"}})
    assert bad_dir.json()["error"] == "INVALID_ARG_VALUE"


def test_order_and_select(env: Env) -> None:
    env.portal.crm.seed_deals(30)
    rows = env.ok("crm.deal.list", {"order": {"OPPORTUNITY": "DESC", "ID": "ASC"},
                                    "select": ["ID", "OPPORTUNITY"]})["result"]  # fmt: skip
    amounts = [float(r["OPPORTUNITY"]) for r in rows]
    assert amounts == sorted(amounts, reverse=True)
    assert set(rows[0]) == {"ID", "OPPORTUNITY"}
    desc = env.ok("crm.item.list", {"entityTypeId": 2, "order": {"id": "DESC"},
                                    "select": ["id", "title"]})["result"]["items"]  # fmt: skip
    assert desc[0] == {"id": 30, "title": "Deal #30"}
    star = env.ok("crm.item.list", {"entityTypeId": 2, "select": ["*"]})["result"]["items"][0]
    assert {"id", "title", "stageId", "opportunity", "createdTime"} <= set(star)
    legacy_star = env.ok("crm.deal.list", {"select": ["*"]})["result"][0]
    assert {"ID", "TITLE", "STAGE_ID", "OPPORTUNITY"} <= set(legacy_star)


def test_v3_pagination_filters_and_limits(env: Env) -> None:
    env.portal.tasks.seed(130)
    first = env.ok3("tasks.task.list", {"pagination": {"page": 1, "limit": 20}})
    assert [t["id"] for t in first["result"]["items"]] == list(range(1, 21))
    assert set(first["result"]) == {"items"}
    page3 = env.ok3("tasks.task.list", {"pagination": {"page": 3, "limit": 20},
                                        "select": ["id", "title"]})["result"]["items"]  # fmt: skip
    assert page3[0] == {"id": 41, "title": "Task #41"}
    capped = env.ok3("tasks.task.list", {"pagination": {"limit": 1000}})["result"]["items"]
    assert len(capped) == 50
    trip = env.ok3("tasks.task.list", {"filter": [["id", ">", 100], ["id", "<=", 103]]})
    assert [t["id"] for t in trip["result"]["items"]] == [101, 102, 103]
    group = env.ok3("tasks.task.list", {"filter": [{"logic": "or", "conditions": [
        ["id", [1, 2]], ["id", "between", [7, 8]]]}]})["result"]["items"]  # fmt: skip
    assert [t["id"] for t in group] == [1, 2, 7, 8]
    negative = env.ok3("tasks.task.list", {"filter": [{"logic": "and", "negative": True,
        "conditions": [["id", ">", 2]]}]})["result"]["items"]  # fmt: skip
    assert [t["id"] for t in negative] == [1, 2]
    desc = env.ok3("tasks.task.list", {"order": {"id": "DESC"}, "pagination": {"limit": 2}})
    assert [t["id"] for t in desc["result"]["items"]] == [130, 129]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"pagination": {"limit": 0}}, "INVALIDPAGINATIONEXCEPTION"),
        ({"pagination": {"limit": "abc"}}, "INVALIDPAGINATIONEXCEPTION"),
        ({"filter": [["id", "like", 1]]}, "UNKNOWNFILTEROPERATOREXCEPTION"),
        ({"filter": [["nope", "=", 1]]}, "UNKNOWNDTOPROPERTYEXCEPTION"),
        ({"filter": [["title", "=", "x"]]}, "VALIDATION_REQUESTVALIDATIONEXCEPTION"),
        ({"order": {"id": "UP"}}, "INVALIDORDEREXCEPTION"),
    ],
)
def test_v3_list_errors(env: Env, params: dict[str, object], code: str) -> None:
    resp = env.v3("tasks.task.list", params)
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "BITRIX_REST_V3_EXCEPTION_" + code


def test_v3_negative_limit_is_a_500(env: Env) -> None:
    resp = env.v3("tasks.task.list", {"pagination": {"limit": -1}})
    assert resp.status_code == 500
    assert resp.json()["error"]["code"] == "BITRIX_REST_V3_EXCEPTION_INTERNAL_INTERNALEXCEPTION"


def test_v3_tail_cursor(env: Env) -> None:
    env.portal.tasks.seed(120)
    got: list[int] = []
    value: object = 0
    while True:
        page = env.ok3("tasks.task.tail", {"cursor": {"field": "id", "value": value,
                                                      "order": "ASC", "limit": 50}})  # fmt: skip
        items = page["result"]["items"]
        got += [i["id"] for i in items]
        if not items:
            break
        value = items[-1]["id"]
    assert got == list(range(1, 121))
    desc = env.ok3("tasks.task.tail", {"cursor": {"field": "id", "value": 5, "order": "DESC"}})
    assert [i["id"] for i in desc["result"]["items"]] == [4, 3, 2, 1]
    bad = env.v3("tasks.task.tail", {"cursor": {"field": "id"}, "filter": [["id", ">", 3]]})
    assert bad.json()["error"]["code"].endswith("INVALIDFILTEREXCEPTION")


def test_seed_100k_and_page_latency() -> None:
    portal = FakePortal(seed=1)
    started = time.perf_counter()
    portal.crm.seed_deals(100_000)
    seeded = time.perf_counter() - started
    assert seeded < 5
    with portal.client() as client:
        url = portal.webhook_url + "crm.item.list"
        params = {"entityTypeId": 2, "start": -1, "order": {"id": "ASC"}, "select": ["id"]}
        client.post(url, json={**params, "filter": {">id": 0}})
        started = time.perf_counter()
        for i in range(50):
            resp = client.post(url, json={**params, "filter": {">id": 90_000 + i * 50}})
        per_page = (time.perf_counter() - started) / 50
    assert resp.json()["result"]["items"][0]["id"] == 90_000 + 49 * 50 + 1
    assert per_page < 0.02  # about a millisecond on a laptop; generous for shared CI


def test_date_filters_compare_instants_across_offsets(clocked: Env) -> None:
    clocked.ok("crm.deal.add", {"fields": {"TITLE": "early"}})
    clocked.portal.clock.advance(7200)
    clocked.ok("crm.deal.add", {"fields": {"TITLE": "late"}})
    early = clocked.ok("crm.deal.get", {"id": 1})["result"]["DATE_CREATE"]
    assert early.endswith("+03:00")
    # the same instant, written in UTC, one hour after the first deal
    from datetime import datetime, timedelta, timezone

    cut = (datetime.fromisoformat(early) + timedelta(hours=1)).astimezone(timezone.utc)
    later = clocked.ok("crm.deal.list", {"filter": {">DATE_CREATE": cut.isoformat()},
                                         "select": ["TITLE"]})  # fmt: skip
    assert [r["TITLE"] for r in later["result"]] == ["late"]
    items = clocked.ok("crm.item.list", {"entityTypeId": 2, "filter": {"<createdTime": cut.isoformat()},
                                         "select": ["title", "UF_*"]})  # fmt: skip
    assert [i["title"] for i in items["result"]["items"]] == ["early"]


_V2_LISTS = [
    ("crm.item.list", {"entityTypeId": 2}),
    ("crm.deal.list", {}),
    ("crm.lead.list", {}),
    ("crm.contact.list", {}),
    ("crm.company.list", {}),
    ("user.get", {}),
    ("tasks.task.list", {}),
]


@pytest.mark.parametrize(("method", "base"), _V2_LISTS)
def test_keyset_walk_follows_the_schema_list_table(method: str, base: dict[str, object]) -> None:
    """A generic client pages every list by the schema's items_key/id_key/cursor_key."""
    from b24typed.testing.schemas import default_schemas_dir

    root = default_schemas_dir()
    if root is None or not (root / "v2" / f"{method}.json").exists():
        pytest.skip("no schema for this method")
    import json as _json

    table = _json.loads((root / "v2" / f"{method}.json").read_text())["list"]
    portal = FakePortal()
    for seed in (portal.crm.seed_deals, portal.crm.seed_leads, portal.crm.seed_contacts,
                 portal.crm.seed_companies, portal.users.seed, portal.tasks.seed):  # fmt: skip
        seed(120)
    expected = 121 if method == "user.get" else 120
    seen: list[int] = []
    cursor = 0
    with portal.client() as http:
        while True:
            body = {**base, "start": -1, "order": {table["cursor_key"]: "ASC"},
                    "filter": {">" + table["cursor_key"]: cursor}}  # fmt: skip
            result = http.post(portal.webhook_url + method, json=body).json()["result"]
            rows = result[table["items_key"]] if table["items_key"] else result
            seen += [int(r[table["id_key"]]) for r in rows]
            if len(rows) < 50:
                break
            cursor = int(rows[-1][table["id_key"]])
    assert seen == list(range(1, expected + 1))
