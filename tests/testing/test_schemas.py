"""Schema-driven answers for methods without hand-written behaviour, and the OpenAPI document."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from b24typed.testing import FakePortal
from b24typed.testing.schemas import default_schemas_dir, example_from_schema

from .conftest import Env, _env

FIXTURES = Path(__file__).parent / "fixtures" / "schemas"
REPO_SCHEMAS = default_schemas_dir()


@pytest.fixture(params=["inproc", "loopback"])
def demo(request: pytest.FixtureRequest) -> Iterator[Env]:
    yield from _env(FakePortal(schemas_dir=FIXTURES), request.param)


def test_documented_example_is_returned(demo: Env) -> None:
    assert demo.ok("demo.thing.get", {"id": 7})["result"] == {"ID": "7", "NAME": "From the docs"}


def test_list_built_from_schema_with_paging(demo: Env) -> None:
    body = demo.ok("demo.thing.list")
    thing = body["result"]["things"][0]
    assert thing == {"id": 1, "created": "2026-01-01T10:00:00+03:00", "kind": "a",
                     "tags": ["string"], "ref": {"code": "X"}}  # fmt: skip
    assert body["total"] == 1


def test_invalid_example_falls_back_to_the_schema(demo: Env) -> None:
    assert demo.ok("demo.thing.add")["result"] == 1


def test_v3_schema_method_and_scope(demo: Env) -> None:
    assert demo.ok3("demo.item.get", {"id": 1})["result"] == {
        "item": {"id": 1, "flag": True, "score": 1.0}
    }
    url = demo.url_for(demo.portal.add_webhook(1, scopes=["crm"]))
    denied = demo.http.post(url.replace("/rest/", "/rest/api/") + "demo.item.get", json={})
    assert denied.status_code == 403
    assert demo.v3("demo.thing.get").status_code == 404  # a v2 schema is not a v3 method


def test_openapi_is_a_bare_document(demo: Env) -> None:
    for name in ("rest.documentation.openapi", "documentation"):
        doc = demo.http.get(demo.hook.replace("/rest/", "/rest/api/") + name).json()
        assert "result" not in doc
        assert doc["openapi"].startswith("3.0")
        assert "/demo.item.get" in doc["paths"] and "/tasks.task.list" in doc["paths"]
        op = doc["paths"]["/demo.item.get"]["post"]
        assert op["requestBody"]["content"]["application/json"]["schema"]["required"] == ["id"]


def test_generator_handles_combinators() -> None:
    schema = {"anyOf": [{"type": "null"}, {"type": "array", "items": {"type": "integer"},
                                           "minItems": 2}]}  # fmt: skip
    assert example_from_schema(schema) == [1, 1]
    assert example_from_schema({"allOf": [{"properties": {"a": {"const": 1}}},
                                          {"properties": {"b": {"type": "boolean"}}}]}) == {
        "a": 1, "b": True,
    }  # fmt: skip


@pytest.mark.skipif(REPO_SCHEMAS is None, reason="schemas/ not generated yet")
def test_every_repository_schema_method_answers_per_its_schema() -> None:
    assert REPO_SCHEMAS is not None
    portal = FakePortal()
    failures: list[str] = []
    count = 0
    with portal.client() as client:
        for api in (2, 3):
            prefix = (
                portal.webhook_url
                if api == 2
                else portal.webhook_url.replace("/rest/", "/rest/api/")
            )
            for path in sorted((REPO_SCHEMAS / f"v{api}").glob("*.json")):
                raw = json.loads(path.read_text(encoding="utf-8"))
                method = raw["method"]
                if (
                    method.lower() == "batch"
                    or (api == 2 and method.lower() in portal._v2)
                    or (api == 3 and method.lower() in portal._v3)
                ):
                    continue
                count += 1
                resp = client.post(prefix + method, json={})
                if resp.status_code != 200:
                    failures.append(f"{method}: HTTP {resp.status_code}")
                    continue
                validator = jsonschema.Draft202012Validator(raw["result"])
                error = jsonschema.exceptions.best_match(
                    validator.iter_errors(resp.json()["result"])
                )
                if error is not None:
                    failures.append(f"v{api} {method}: {error.message[:80]}")
    assert count > 100
    assert failures == []


_HANDWRITTEN_V2 = [
    ("crm.item.get", {"entityTypeId": 2, "id": 1}),
    ("crm.item.list", {"entityTypeId": 2}),
    ("crm.item.add", {"entityTypeId": 2, "fields": {"title": "x"}}),
    ("crm.item.update", {"entityTypeId": 2, "id": 2, "fields": {"title": "y"}}),
    ("crm.item.fields", {"entityTypeId": 2}),
    ("crm.deal.get", {"id": 1}),
    ("crm.deal.list", {}),
    ("crm.deal.add", {"fields": {"TITLE": "x"}}),
    ("crm.deal.update", {"id": 1, "fields": {"TITLE": "y"}}),
    ("crm.deal.fields", {}),
    ("crm.lead.get", {"id": 1}),
    ("crm.lead.list", {}),
    ("crm.contact.get", {"id": 1}),
    ("crm.contact.list", {}),
    ("crm.company.get", {"id": 1}),
    ("crm.company.list", {}),
    ("user.get", {}),
    ("user.current", {}),
    ("user.fields", {}),
    ("tasks.task.get", {"taskId": 1}),
    ("tasks.task.list", {}),
    ("tasks.task.add", {"fields": {"TITLE": "x"}}),
    ("tasks.task.update", {"taskId": 1, "fields": {"TITLE": "x"}}),
    ("crm.type.add", {"fields": {"title": "Orders"}}),
    ("crm.type.get", {"id": 1}),
    ("crm.type.list", {}),
    ("server.time", {}),
    ("profile", {}),
    ("scope", {}),
    ("methods", {}),
]
_HANDWRITTEN_V3 = [
    ("tasks.task.get", {"id": 1}),
    ("tasks.task.list", {"select": ["id", "title", "status"]}),
    ("tasks.task.add", {"fields": {"title": "x", "creatorId": 1, "responsibleId": 1}}),
    ("tasks.task.update", {"id": 1, "fields": {"title": "x"}}),
    ("tasks.task.delete", {"id": 2}),
]


@pytest.mark.skipif(REPO_SCHEMAS is None, reason="schemas/ not generated yet")
def test_handwritten_answers_match_repository_schemas() -> None:
    assert REPO_SCHEMAS is not None
    portal = FakePortal()
    for seed in (portal.crm.seed_deals, portal.crm.seed_leads, portal.crm.seed_contacts,
                 portal.crm.seed_companies, portal.tasks.seed):  # fmt: skip
        seed(3)
    failures: list[str] = []
    with portal.client() as client:
        for api, calls in ((2, _HANDWRITTEN_V2), (3, _HANDWRITTEN_V3)):
            prefix = (
                portal.webhook_url
                if api == 2
                else portal.webhook_url.replace("/rest/", "/rest/api/")
            )
            for method, params in calls:
                path = REPO_SCHEMAS / f"v{api}" / f"{method}.json"
                if not path.exists():
                    continue
                resp = client.post(prefix + method, json=params)
                assert resp.status_code == 200, (method, resp.text)
                schema = json.loads(path.read_text(encoding="utf-8"))["result"]
                error = jsonschema.exceptions.best_match(
                    jsonschema.Draft202012Validator(schema).iter_errors(resp.json()["result"])
                )
                if error is not None:
                    where = "/".join(str(p) for p in error.absolute_path)
                    failures.append(f"v{api} {method} at {where}: {error.message[:100]}")
    assert failures == []
