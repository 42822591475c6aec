"""Endpoints, auth, envelopes, error codes and the time block, over both transports."""

from __future__ import annotations

import httpx
import pytest

from .conftest import Env

TIME_KEYS = {
    "start", "finish", "duration", "processing", "date_start", "date_finish",
    "operating", "operating_reset_at",
}  # fmt: skip


def test_v2_success_envelope_and_time_block(env: Env) -> None:
    body = env.ok("server.time")
    assert set(body) == {"result", "time"}
    assert isinstance(body["result"], str) and body["result"][:2] == "20"
    assert set(body["time"]) == TIME_KEYS
    assert body["time"]["operating"] >= 0
    assert body["time"]["operating_reset_at"] > body["time"]["start"]
    assert body["time"]["finish"] >= body["time"]["start"]


def test_method_with_json_suffix_get_and_form_body(env: Env) -> None:
    env.portal.crm.seed_deals(3)
    by_get = env.http.get(env.hook + "crm.deal.get.json", params={"id": 2})
    assert by_get.status_code == 200
    assert by_get.json()["result"]["ID"] == "2"
    by_form = env.http.post(env.hook + "crm.deal.list", data={"filter[>ID]": "1", "select[]": "ID"})
    assert [r["ID"] for r in by_form.json()["result"]] == ["2", "3"]
    by_query = env.http.post(env.hook + "crm.deal.list?filter[ID]=3&select[0]=TITLE")
    assert by_query.json()["result"] == [{"ID": "3", "TITLE": "Deal #3"}]


def test_unknown_method_is_404(env: Env) -> None:
    resp = env.call("crm.nothing.here")
    assert resp.status_code == 404
    assert resp.json() == {
        "error": "ERROR_METHOD_NOT_FOUND",
        "error_description": "Method not found!",
    }


def test_bad_webhook_secret_is_invalid_credentials(env: Env) -> None:
    resp = env.http.post(env.base + "/rest/1/wrongsecret/server.time", json={})
    assert resp.status_code == 401
    assert resp.json()["error"] == "INVALID_CREDENTIALS"
    wrong_user = env.hook.replace("/rest/1/", "/rest/2/")
    assert env.http.post(wrong_user + "server.time").status_code == 401
    v3 = env.http.post(env.base + "/rest/api/1/wrongsecret/tasks.task.list", json={})
    assert v3.status_code == 401
    assert v3.json()["error"]["code"] == "BITRIX_REST_V3_EXCEPTION_ACCESSDENIEDEXCEPTION"
    no_auth = env.http.post(env.base + "/rest/api/tasks.task.list", json={})
    assert no_auth.status_code == 401
    assert no_auth.json()["error"]["code"] == "BITRIX_REST_V3_EXCEPTION_ACCESSDENIEDEXCEPTION"


def test_require_https_for_webhooks(env: Env) -> None:
    env.portal.require_https = True
    resp = env.call("server.time")
    if env.mode == "inproc":  # https://portal... URLs
        assert resp.status_code == 200
    else:
        assert resp.status_code == 401
        assert resp.json() == {"error": "INVALID_REQUEST", "error_description": "Https required."}
        assert (
            env.v3("tasks.task.list", {}).json()["error"]["code"].endswith("ACCESSDENIEDEXCEPTION")
        )


def test_oauth_token_in_body_or_query_and_errors(env: Env) -> None:
    app = env.portal.oauth_app("local.abc", "s3cret")
    tokens = env.portal.issue_tokens(app, user_id=1, scopes=["crm", "user"])
    assert tokens["client_endpoint"] == f"https://{env.portal.domain}/rest/"
    assert tokens["server_endpoint"] == "https://oauth.bitrix.info/rest/"
    assert tokens["member_id"] and tokens["expires_in"] == 3600
    rest = env.base + "/rest/"
    ok = env.http.post(rest + "user.current", json={"auth": tokens["access_token"]})
    assert ok.status_code == 200 and ok.json()["result"]["ID"] == "1"
    by_query = env.http.get(rest + "profile.json", params={"auth": tokens["access_token"]})
    assert by_query.json()["result"]["ADMIN"] is True
    none = env.http.post(rest + "user.current", json={})
    assert (none.status_code, none.json()["error"]) == (401, "NO_AUTH_FOUND")
    bad = env.http.post(rest + "user.current", json={"auth": "nope"})
    assert (bad.status_code, bad.json()["error"]) == (401, "invalid_token")
    scope = env.http.post(rest + "tasks.task.list", json={"auth": tokens["access_token"]})
    assert (scope.status_code, scope.json()["error"]) == (403, "insufficient_scope")
    env.portal.expire_token(tokens["access_token"])
    expired = env.http.post(rest + "user.current", json={"auth": tokens["access_token"]})
    assert (expired.status_code, expired.json()["error"]) == (401, "expired_token")


def test_refresh_rotates_tokens_and_reuse_fails(env: Env) -> None:
    app = env.portal.oauth_app("local.abc", "s3cret")
    tokens = env.portal.issue_tokens(app, expires_in=60)
    oauth = (
        "https://oauth.bitrix.info/oauth/token/"
        if env.mode == "inproc"
        else env.base + "/oauth/token/"
    )
    form = {
        "grant_type": "refresh_token", "client_id": "local.abc", "client_secret": "s3cret",
        "refresh_token": tokens["refresh_token"],
    }  # fmt: skip
    fresh = env.http.post(oauth, data=form)
    assert fresh.status_code == 200
    new = fresh.json()
    assert new["access_token"] != tokens["access_token"]
    assert new["refresh_token"] != tokens["refresh_token"]
    assert new["expires_in"] == 60
    again = env.http.post(oauth, data=form)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")
    wrong = env.http.post(oauth, data={**form, "refresh_token": new["refresh_token"],
                                       "client_secret": "x"})  # fmt: skip
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    rest = env.base + "/rest/"
    old = env.http.post(rest + "profile", json={"auth": tokens["access_token"]})
    assert old.status_code == 401
    use = env.http.post(rest + "profile", json={"auth": new["access_token"]})
    assert use.status_code == 200


def test_webhook_scopes(env: Env) -> None:
    url = env.url_for(env.portal.add_webhook(1, scopes=["crm"]))
    assert env.http.post(url + "crm.deal.list").status_code == 200
    denied = env.http.post(url + "user.get")
    assert denied.status_code == 403
    assert denied.json()["error"] == "insufficient_scope"
    v3 = env.http.post(url.replace("/rest/", "/rest/api/") + "tasks.task.list", json={})
    assert v3.status_code == 403
    assert v3.json()["error"]["code"] == "BITRIX_REST_V3_EXCEPTION_INSUFFICIENTSCOPEEXCEPTION"
    assert env.http.post(url + "scope").json()["result"] == ["crm"]


def test_scope_methods_and_profile(env: Env) -> None:
    assert "crm" in env.ok("scope")["result"]
    methods = env.ok("methods")["result"]
    assert {"crm.item.list", "crm.deal.add", "user.get", "tasks.task.list", "batch"} <= set(methods)
    assert env.ok("method.get", {"name": "crm.item.add"})["result"] == {
        "isExisting": True, "isAvailable": True,
    }  # fmt: skip
    assert env.ok("profile")["result"]["ID"] == "1"


def test_v3_error_envelope_and_unknown_method(env: Env) -> None:
    resp = env.v3("nothing.here", {})
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "BITRIX_REST_V3_EXCEPTION_METHODNOTFOUNDEXCEPTION"
    missing = env.v3("tasks.task.get", {"id": 999})
    assert missing.status_code == 400
    assert missing.json() == {
        "error": {
            "code": "BITRIX_REST_V3_EXCEPTION_ENTITYNOTFOUNDEXCEPTION",
            "message": "Record with ID = `999` not found",
        }
    }
    invalid = env.v3("tasks.task.get", {})
    err = invalid.json()["error"]
    assert err["code"] == "BITRIX_REST_V3_EXCEPTION_VALIDATION_REQUESTVALIDATIONEXCEPTION"
    assert err["validation"][0]["field"] == "id"
    form = env.http.post(
        env.hook.replace("/rest/", "/rest/api/") + "tasks.task.get", data={"id": "1"}
    )
    assert form.json()["error"]["code"] == "BITRIX_REST_V3_EXCEPTION_INVALIDJSONEXCEPTION"
    # v2-only methods are not on the REST 3.0 endpoint
    assert env.v3("crm.deal.list", {}).status_code == 404


def test_v3_oauth_auth_in_body(env: Env) -> None:
    app = env.portal.oauth_app()
    token = env.portal.issue_tokens(app)["access_token"]
    env.portal.tasks.seed(2)
    resp = env.http.post(env.base + "/rest/api/tasks.task.get", json={"id": 1, "auth": token})
    assert resp.status_code == 200
    assert resp.json()["result"]["item"]["id"] == 1


def test_stats_count_requests(env: Env) -> None:
    env.portal.stats.reset()
    env.ok("server.time")
    env.ok("server.time")
    env.call("crm.deal.list")
    assert env.portal.stats.requests == 3
    assert env.portal.stats["server.time"] == 2
    env.portal.stats.reset()
    assert env.portal.stats.requests == 0


def test_transport_is_sync_and_async() -> None:
    from b24typed.testing import FakePortal

    portal = FakePortal()
    transport = portal.transport()
    assert isinstance(transport, httpx.BaseTransport)
    assert isinstance(transport, httpx.AsyncBaseTransport)


def test_rest_unavailable_on_a_free_plan(env: Env) -> None:
    env.portal.rest_available = False
    resp = env.call("server.time")
    assert (resp.status_code, resp.json()["error"]) == (403, "ACCESS_DENIED")


def test_concurrent_writes_over_the_loopback_server() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from b24typed.testing import FakePortal

    portal = FakePortal()
    with portal.serve() as base, httpx.Client(limits=httpx.Limits(max_connections=8)) as http:
        url = portal.serve_webhook_url(base) + "crm.item.add"

        def add(i: int) -> int:
            body = {"entityTypeId": 2, "fields": {"title": f"t{i}"}}
            return int(http.post(url, json=body).json()["result"]["item"]["id"])

        with ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(add, range(120)))
    assert sorted(ids) == list(range(1, 121))
    assert portal.stats["crm.item.add"] == 120


@pytest.mark.anyio
async def test_async_client_concurrency_and_faults() -> None:
    import anyio

    from b24typed.testing import FakePortal

    portal = FakePortal()
    portal.faults.next("server.time", kind="503", times=2)
    statuses: list[int] = []
    async with portal.async_client() as http:

        async def one() -> None:
            statuses.append((await http.post(portal.webhook_url + "server.time")).status_code)

        async with anyio.create_task_group() as group:
            for _ in range(20):
                group.start_soon(one)
    assert sorted(statuses) == [200] * 18 + [503] * 2


def test_methods_lists_schema_methods_too(env: Env) -> None:
    methods = env.ok("methods", {"full": True})["result"]
    assert "crm.item.list" in methods
    if env.portal.schemas.methods(2):
        assert len(methods) > 100
