"""REST v2 batch (cmd strings, references, halt, PHP-shaped maps) and REST 3.0 batch."""

from __future__ import annotations

from b24typed.testing.phpqs import http_build_query

from .conftest import Env


def test_v2_batch_list_cmd(env: Env) -> None:
    env.portal.crm.seed_deals(70)
    env.portal.stats.reset()
    body = env.ok("batch", {"halt": 0, "cmd": [
        "crm.deal.list?" + http_build_query({"filter": {">ID": 0}, "select": ["ID"]}),
        "crm.deal.get?id=3",
        "server.time",
    ]})  # fmt: skip
    res = body["result"]
    assert set(res) == {"result", "result_error", "result_total", "result_next", "result_time"}
    assert isinstance(res["result"], list) and len(res["result"]) == 3
    assert res["result"][0][0] == {"ID": "1"}
    assert res["result"][1]["ID"] == "3"
    assert res["result_error"] == []
    assert res["result_total"] == [70]  # key 0 only: a JSON list, as PHP encodes it
    assert res["result_next"] == [50]
    assert set(res["result_time"][2]) >= {"start", "operating"}
    assert env.portal.stats.requests == 1
    assert env.portal.stats.calls["crm.deal.list"] == 1


def test_v2_batch_named_with_references(env: Env) -> None:
    body = env.ok("batch", {"halt": 0, "cmd": {
        "deal": "crm.item.add?entityTypeId=2&fields[title]=Ref",
        "same": "crm.item.get?entityTypeId=2&id=$result[deal][item][id]",
        "title": "crm.deal.list?filter[TITLE]=$result[same][item][title]&select[]=TITLE",
        "ids": "crm.deal.list?filter[ID]=$result[title][0][ID]",
    }})["result"]  # fmt: skip
    assert body["result"]["same"]["item"]["title"] == "Ref"
    assert body["result"]["title"] == [{"ID": "1", "TITLE": "Ref"}]
    assert body["result"]["ids"][0]["ID"] == "1"
    assert body["result_error"] == []


def test_v2_batch_halt_omits_later_commands(env: Env) -> None:
    cmd = {"a": "server.time", "b": "crm.deal.get?id=404", "c": "server.time"}
    halted = env.ok("batch", {"halt": 1, "cmd": cmd})["result"]
    assert list(halted["result"]) == ["a"]
    assert halted["result_error"] == {"b": {"error": "", "error_description": "Not found"}}
    assert list(halted["result_time"]) == ["a"]
    assert halted["result_total"] == []
    going = env.ok("batch", {"halt": 0, "cmd": cmd})["result"]
    assert list(going["result"]) == ["a", "c"]
    arr = env.ok("batch", {"halt": 0, "cmd": ["server.time", "nope.method", "server.time"]})
    # positional keys with a hole are a JSON object, as PHP's json_encode writes them
    assert list(arr["result"]["result"]) == ["0", "2"]
    assert arr["result"]["result_error"]["1"]["error"] == "ERROR_METHOD_NOT_FOUND"


def test_v2_batch_keeps_null_results_and_form_encoding(env: Env) -> None:
    env.portal.crm.seed_deals(1)
    resp = env.http.post(env.hook + "batch", data={
        "halt": "0", "cmd[del]": "crm.item.delete?entityTypeId=2&id=1", "cmd[t]": "server.time",
    })  # fmt: skip
    res = resp.json()["result"]
    assert "del" in res["result"] and res["result"]["del"] is None


def test_v2_batch_limits(env: Env) -> None:
    too_many = env.call("batch", {"cmd": ["server.time"] * 51})
    assert (too_many.status_code, too_many.json()["error"]) == (400, "ERROR_BATCH_LENGTH_EXCEEDED")
    nested = env.ok("batch", {"cmd": {"x": "batch?cmd[0]=server.time"}})["result"]
    assert nested["result_error"]["x"]["error"] == "ERROR_BATCH_METHOD_NOT_ALLOWED"


def test_v2_batch_scope_is_checked_per_command(env: Env) -> None:
    url = env.url_for(env.portal.add_webhook(1, scopes=["crm"]))
    body = env.http.post(url + "batch", json={"cmd": {"u": "user.current", "d": "crm.deal.list"}})
    res = body.json()["result"]
    assert res["result_error"]["u"]["error"] == "insufficient_scope"
    assert res["result"]["d"] == []


def test_v3_batch_refs(env: Env) -> None:
    env.portal.tasks.seed(5)
    body = env.ok3("batch", [
        {"method": "tasks.task.list", "as": "tasks", "query": {"filter": [["id", "<=", 3]]}},
        {"method": "tasks.task.list", "query": {"filter": [
            ["id", "in", {"$refArray": "tasks.id"}]], "select": ["id", "title"]}},
        {"method": "tasks.task.get", "as": "one", "query": {"id": 4}},
        {"method": "tasks.task.get", "query": {"id": {"$ref": "one.id"}, "select": ["title"]}},
    ])  # fmt: skip
    res = body["result"]
    assert [t["id"] for t in res[0]["items"]] == [1, 2, 3]
    assert res[1]["items"][2] == {"id": 3, "title": "Task #3"}
    assert res[3] == {"item": {"title": "Task #4"}}
    assert "time" in body


def test_v3_batch_is_all_or_nothing(env: Env) -> None:
    env.portal.tasks.seed(1)
    failed = env.v3("batch", [
        {"method": "tasks.task.get", "query": {"id": 1}},
        {"method": "tasks.task.get", "query": {"id": 77}},
    ])  # fmt: skip
    assert failed.status_code == 400
    assert "result" not in failed.json()
    assert failed.json()["error"]["code"].endswith("ENTITYNOTFOUNDEXCEPTION")
    bad_ref = env.v3("batch", [{"method": "tasks.task.get", "query": {"id": {"$ref": "x.id"}}}])
    assert bad_ref.json()["error"]["code"].endswith("INVALIDSELECTEXCEPTION")
    old_format = env.v3("batch", {"cmd": {"a": "tasks.task.get?id=1"}})
    assert old_format.json()["error"]["code"].endswith("INVALIDSELECTEXCEPTION")
    # the JS SDK sends the array spread into an object with "0", "1", ... keys
    spread = env.ok3("batch", {"0": {"method": "tasks.task.get", "query": {"id": 1}}})
    assert spread["result"][0]["item"]["id"] == 1
