"""CRM data: crm.item.* (camelCase) and crm.deal/lead/contact/company.* (UPPER_CASE)."""

from __future__ import annotations

import pytest

from .conftest import Env


@pytest.mark.parametrize("entity_type_id", [1, 2, 3, 4, 128])
def test_item_crud_roundtrip(env: Env, entity_type_id: int) -> None:
    if entity_type_id >= 128:
        env.portal.crm.add_smart_process(entity_type_id, "Orders")
    added = env.ok(
        "crm.item.add",
        {"entityTypeId": entity_type_id, "fields": {"title": "T1", "opportunity": 150.5,
                                                     "assignedById": 1, "name": "Ann"}},
    )["result"]["item"]  # fmt: skip
    assert isinstance(added["id"], int)
    assert added["entityTypeId"] == entity_type_id
    assert added["createdBy"] == 1 and added["createdTime"]
    got = env.ok("crm.item.get", {"entityTypeId": entity_type_id, "id": added["id"]})
    assert got["result"]["item"] == added
    updated = env.ok(
        "crm.item.update",
        {"entityTypeId": entity_type_id, "id": added["id"], "fields": {"title": "T2"}},
    )["result"]["item"]
    if entity_type_id != 3:  # contacts have no title
        assert updated["title"] == "T2"
    deleted = env.ok("crm.item.delete", {"entityTypeId": entity_type_id, "id": added["id"]})
    assert deleted["result"] is None
    gone = env.call("crm.item.get", {"entityTypeId": entity_type_id, "id": added["id"]})
    assert gone.status_code == 400
    assert gone.json() == {"error": "NOT_FOUND", "error_description": "Element not found"}


def test_item_unknown_entity_type(env: Env) -> None:
    resp = env.call("crm.item.list", {"entityTypeId": 999})
    assert (resp.status_code, resp.json()["error"]) == (400, "NOT_FOUND")


def test_item_fields_describe_camel_and_upper_names(env: Env) -> None:
    fields = env.ok("crm.item.fields", {"entityTypeId": 2})["result"]["fields"]
    assert fields["id"]["isReadOnly"] is True
    assert fields["assignedById"]["upperName"] == "ASSIGNED_BY_ID"
    assert fields["opportunity"]["type"] == "double"


def test_legacy_deal_methods_share_the_store(env: Env) -> None:
    new_id = env.ok("crm.deal.add", {"fields": {"TITLE": "Old API", "OPPORTUNITY": "99.90",
                                                "STAGE_ID": "WON"}})["result"]  # fmt: skip
    assert isinstance(new_id, int)
    deal = env.ok("crm.deal.get", {"id": new_id})["result"]
    assert deal["ID"] == str(new_id)
    assert deal["OPPORTUNITY"] == "99.90"
    assert deal["STAGE_ID"] == "WON"
    assert deal["CREATED_BY_ID"] == "1"
    item = env.ok("crm.item.get", {"entityTypeId": 2, "id": new_id})["result"]["item"]
    assert item["title"] == "Old API" and item["opportunity"] == 99.9
    assert (
        env.ok("crm.deal.update", {"id": new_id, "fields": {"TITLE": "Renamed"}})["result"] is True
    )
    assert env.ok("crm.item.get", {"entityTypeId": 2, "id": new_id})["result"]["item"]["title"] == (
        "Renamed"
    )
    assert env.ok("crm.deal.delete", {"id": new_id})["result"] is True
    missing = env.call("crm.deal.get", {"id": new_id})
    assert missing.status_code == 400
    assert missing.json() == {"error": "", "error_description": "Not found"}
    bad = env.call("crm.deal.get", {"id": "x"})
    assert bad.json()["error_description"] == "ID is not defined or invalid."


@pytest.mark.parametrize(("entity", "title_field"), [("lead", "TITLE"), ("contact", "NAME"),
                                                     ("company", "TITLE")])  # fmt: skip
def test_legacy_entities(env: Env, entity: str, title_field: str) -> None:
    new_id = env.ok(f"crm.{entity}.add", {"fields": {title_field: "X"}})["result"]
    assert env.ok(f"crm.{entity}.get", {"id": new_id})["result"][title_field] == "X"
    listed = env.ok(f"crm.{entity}.list", {"filter": {"ID": new_id}})
    assert listed["total"] == 1
    assert "ID" in env.ok(f"crm.{entity}.fields")["result"]


def test_lead_stage_is_status_id_in_old_api(env: Env) -> None:
    env.ok("crm.item.add", {"entityTypeId": 1, "fields": {"title": "L", "stageId": "IN_PROCESS"}})
    lead = env.ok("crm.lead.get", {"id": 1})["result"]
    assert lead["STATUS_ID"] == "IN_PROCESS"


def test_user_fields_in_both_naming_styles(env: Env) -> None:
    deal_id = env.ok("crm.deal.add", {"fields": {"TITLE": "UF", "UF_CRM_1721244482250": "hi"}})[
        "result"
    ]
    item = env.ok("crm.item.get", {"entityTypeId": 2, "id": deal_id})["result"]["item"]
    assert item["ufCrm_1721244482250"] == "hi"
    env.ok("crm.item.update", {"entityTypeId": 2, "id": deal_id,
                               "fields": {"ufCrm_1721244482250": "bye"}})  # fmt: skip
    assert env.ok("crm.deal.get", {"id": deal_id})["result"]["UF_CRM_1721244482250"] == "bye"
    plain = env.ok("crm.deal.list", {"filter": {"ID": deal_id}})["result"][0]
    assert "UF_CRM_1721244482250" not in plain
    with_uf = env.ok("crm.deal.list", {"filter": {"ID": deal_id}, "select": ["*", "UF_*"]})
    assert with_uf["result"][0]["UF_CRM_1721244482250"] == "bye"
    assert "TITLE" in with_uf["result"][0]
    filtered = env.ok(
        "crm.item.list", {"entityTypeId": 2, "filter": {"ufCrm_1721244482250": "bye"}}
    )
    assert [i["id"] for i in filtered["result"]["items"]] == [deal_id]


def test_users(env: Env) -> None:
    env.portal.users.seed(60)
    first = env.ok("user.get")
    assert first["total"] == 61 and first["next"] == 50 and len(first["result"]) == 50
    assert first["result"][0]["ID"] == "1" and first["result"][0]["ACTIVE"] is True
    second = env.ok("user.get", {"start": 50})
    assert len(second["result"]) == 11 and "next" not in second
    one = env.ok("user.get", {"ID": 5})["result"]
    assert [u["ID"] for u in one] == ["5"]
    by_filter = env.ok("user.get", {"FILTER": {">ID": 59}, "sort": "ID", "order": "DESC"})
    assert [u["ID"] for u in by_filter["result"]] == ["61", "60"]
    new_id = env.ok("user.add", {"EMAIL": "new@example.com", "NAME": "New"})["result"]
    assert env.ok("user.get", {"ID": new_id})["result"][0]["NAME"] == "New"
    dup = env.call("user.add", {"EMAIL": "new@example.com"})
    assert dup.status_code == 400 and dup.json()["error"] == "ERROR_ARGUMENT"
    assert env.ok("user.update", {"ID": new_id, "LAST_NAME": "Person"})["result"] is True
    assert env.ok("user.current")["result"]["ID"] == "1"
    assert "EMAIL" in env.ok("user.fields")["result"]


def test_tasks_v2(env: Env) -> None:
    added = env.ok("tasks.task.add", {"fields": {"TITLE": "Do it", "RESPONSIBLE_ID": 1}})
    task = added["result"]["task"]
    assert task["id"] == "1" and task["title"] == "Do it" and task["responsibleId"] == "1"
    env.portal.tasks.seed(60)
    page = env.ok("tasks.task.list", {"filter": {">ID": 10}, "order": {"ID": "ASC"},
                                      "select": ["ID", "TITLE"]})  # fmt: skip
    tasks = page["result"]["tasks"]
    assert tasks[0]["id"] == "11" and set(tasks[0]) == {"id", "title"}
    assert page["total"] == 51 and page["next"] == 50
    got = env.ok("tasks.task.get", {"taskId": 1})["result"]["task"]
    assert got["title"] == "Do it"
    env.ok("tasks.task.update", {"taskId": 1, "fields": {"TITLE": "Done"}})
    assert env.ok("tasks.task.get", {"taskId": 1})["result"]["task"]["title"] == "Done"
    assert env.ok("tasks.task.delete", {"taskId": 1})["result"] == {"task": True}
    missing = env.call("tasks.task.get", {"taskId": 1})
    assert missing.status_code == 400
    bad_order = env.call("tasks.task.list", {"order": {"NOPE": "ASC"}})
    assert bad_order.json()["error"] == "0"


def test_tasks_v3(env: Env) -> None:
    env.portal.users.seed(3)
    item = env.ok3("tasks.task.add", {"fields": {"title": "New", "creatorId": 1,
                                                 "responsibleId": 2}})["result"]["item"]  # fmt: skip
    assert item["id"] == 1 and item["status"] == "pending" and item["priority"] == "average"
    got = env.ok3("tasks.task.get", {"id": 1, "select": ["id", "title", "responsible.name",
                                                         "stageId"]})  # fmt: skip
    assert got["result"]["item"]["title"] == "New"
    assert got["result"]["item"]["responsible"]["name"]
    assert "stageId" not in got["result"]["item"]
    bad_rel = env.v3("tasks.task.get", {"id": 1, "select": ["responsible.stageId"]})
    assert bad_rel.json()["error"]["code"].endswith("UNKNOWNDTOPROPERTYEXCEPTION")
    assert env.ok3("tasks.task.update", {"id": 1, "fields": {"title": "Edited"}})["result"] == {
        "result": True
    }
    assert env.ok3("tasks.task.get", {"id": 1})["result"]["item"]["title"] == "Edited"
    assert env.ok3("tasks.task.delete", {"id": 1})["result"] == {"result": True}
    no_user = env.v3("tasks.task.add", {"fields": {"title": "x", "creatorId": 1,
                                                   "responsibleId": 999}})  # fmt: skip
    assert no_user.status_code == 400
    assert no_user.json()["error"]["validation"][0]["field"] == "responsibleId"


def test_multifields_phone_and_email(env: Env) -> None:
    contact_id = env.ok("crm.contact.add", {"fields": {
        "NAME": "Ann", "PHONE": [{"VALUE": "+100", "VALUE_TYPE": "WORK"}],
        "EMAIL": [{"VALUE": "ann@example.com", "VALUE_TYPE": "HOME"}],
    }})["result"]  # fmt: skip
    got = env.ok("crm.contact.get", {"id": contact_id})["result"]
    assert got["PHONE"] == [{"ID": "1", "VALUE_TYPE": "WORK", "VALUE": "+100", "TYPE_ID": "PHONE"}]
    assert got["EMAIL"][0]["VALUE"] == "ann@example.com" and got["HAS_PHONE"] == "Y"
    env.ok(
        "crm.contact.update",
        {
            "id": contact_id,
            "fields": {
                "PHONE": [{"ID": "1", "VALUE": "+200"}, {"VALUE": "+300", "VALUE_TYPE": "MOBILE"}]
            },
        },
    )
    phones = env.ok("crm.contact.get", {"id": contact_id})["result"]["PHONE"]
    assert [p["VALUE"] for p in phones] == ["+200", "+300"]
    found = env.ok("crm.contact.list", {"filter": {"PHONE": "+300"}, "select": ["ID", "PHONE"]})
    assert [r["ID"] for r in found["result"]] == [str(contact_id)]
    assert len(found["result"][0]["PHONE"]) == 2
    item = env.ok("crm.item.get", {"entityTypeId": 3, "id": contact_id})["result"]["item"]
    assert {f["value"] for f in item["fm"]} == {"+200", "+300", "ann@example.com"}
    assert item["hasEmail"] == "Y"


def test_use_original_uf_names(env: Env) -> None:
    env.ok("crm.deal.add", {"fields": {"TITLE": "x", "UF_CRM_5": "v"}})
    camel = env.ok("crm.item.get", {"entityTypeId": 2, "id": 1})["result"]["item"]
    assert camel["ufCrm_5"] == "v" and "UF_CRM_5" not in camel
    original = env.ok("crm.item.get", {"entityTypeId": 2, "id": 1, "useOriginalUfNames": "Y"})
    assert original["result"]["item"]["UF_CRM_5"] == "v"


def test_smart_process_types(env: Env) -> None:
    added = env.ok("crm.type.add", {"fields": {"title": "Orders", "isStagesEnabled": "N"}})
    spa = added["result"]["type"]
    assert spa["entityTypeId"] == 128 and spa["title"] == "Orders"
    assert spa["isStagesEnabled"] == "N"
    second = env.ok("crm.type.add", {"fields": {"title": "Returns"}})["result"]["type"]
    assert second["entityTypeId"] == 130
    listed = env.ok("crm.type.list")
    assert [t["title"] for t in listed["result"]["types"]] == ["Orders", "Returns"]
    assert listed["total"] == 2
    assert env.ok("crm.type.get", {"id": spa["id"]})["result"]["type"]["entityTypeId"] == 128
    item = env.ok("crm.item.add", {"entityTypeId": 130, "fields": {"title": "R1"}})["result"]
    assert item["item"]["entityTypeId"] == 130
    busy = env.call("crm.type.delete", {"id": second["id"]})
    assert busy.status_code == 400
    assert env.ok("crm.type.delete", {"id": spa["id"]})["result"] is None
    gone = env.call("crm.item.list", {"entityTypeId": 128})
    assert gone.json()["error"] == "NOT_FOUND"
