"""The framework helpers against the real frameworks' test clients: FastAPI, Flask, Django."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from b24typed.events import Event, Install, Placement
from b24typed.events.fastapi import event_dependency, install_dependency, placement_dependency
from b24typed.events.models import OnCrmDealAdd
from b24typed.testing.phpqs import http_build_query

TOKEN = "appTok3nABC"
FORM = {"content-type": "application/x-www-form-urlencoded"}


def event_body(token: str = TOKEN, member: str = "m1") -> str:
    return http_build_query(
        {
            "event": "ONCRMDEALADD",
            "data": {"FIELDS": {"ID": "42"}},
            "auth": {"application_token": token, "member_id": member, "domain": "p.example.com"},
        }
    )


INSTALL = http_build_query(
    {
        "event": "ONAPPINSTALL",
        "data": {"VERSION": "1"},
        "auth": {
            "access_token": "a1",
            "refresh_token": "r1",
            "application_token": TOKEN,
            "member_id": "m1",
            "domain": "p.example.com",
        },
    }
)
PLACEMENT = "AUTH_ID=a2&REFRESH_ID=r2&member_id=m1&PLACEMENT=CRM_DEAL_DETAIL_TAB&PLACEMENT_OPTIONS=%7B%22ID%22%3A%227%22%7D"

CASES = [
    ("/events", event_body(), 200, "deal 42"),
    ("/events", event_body("forged"), 403, "EVENT_NOT_VERIFIED"),
    ("/events", event_body(member="m2"), 403, "EVENT_NOT_VERIFIED"),
    ("/events", "not an event", 400, "EVENT_BAD_PAYLOAD"),
    ("/install", INSTALL, 200, "installed m1"),
    ("/placement?DOMAIN=p.example.com&PROTOCOL=1", PLACEMENT, 200, "CRM_DEAL_DETAIL_TAB 7"),
]


def describe(parsed: Event[Any] | Install | Placement) -> str:
    if isinstance(parsed, OnCrmDealAdd):
        return f"deal {parsed.data.fields.id}"
    if isinstance(parsed, Install):
        return f"installed {parsed.member_id}"
    if isinstance(parsed, Placement):
        return f"{parsed.placement} {parsed.options['ID']}"
    return "unexpected"


# ---- FastAPI ----------------------------------------------------------------------------------

fastapi_app = FastAPI()


@fastapi_app.post("/events")
async def fastapi_event(
    event: Annotated[
        Event[Any], Depends(event_dependency(application_token=TOKEN, member_id="m1"))
    ],
) -> str:
    return describe(event)


@fastapi_app.post("/install")
async def fastapi_install(install: Annotated[Install, Depends(install_dependency())]) -> str:
    return describe(install)


@fastapi_app.post("/placement")
async def fastapi_placement(
    placement: Annotated[Placement, Depends(placement_dependency())],
) -> str:
    return describe(placement)


@pytest.mark.parametrize(("path", "body", "status", "text"), CASES)
def test_fastapi(path: str, body: str, status: int, text: str) -> None:
    with TestClient(fastapi_app) as client:
        answer = client.post(path, content=body, headers=FORM)
    assert answer.status_code == status
    assert text in answer.text


# ---- Flask ------------------------------------------------------------------------------------


def flask_app() -> Any:
    from flask import Flask

    from b24typed.events.flask import b24_view

    app = Flask(__name__)

    @app.post("/events")
    @b24_view("event", application_token=TOKEN, member_id="m1")
    def on_event(event: Event[Any]) -> str:
        return describe(event)

    @app.post("/install")
    @b24_view("install")
    def on_install(install: Install) -> str:
        return describe(install)

    @app.post("/placement")
    @b24_view("placement")
    def on_placement(placement: Placement) -> str:
        return describe(placement)

    @app.post("/quiet")
    @b24_view("event", application_token=TOKEN)
    def quiet(event: Event[Any]) -> None:
        return None

    return app


@pytest.mark.parametrize(("path", "body", "status", "text"), CASES)
def test_flask(path: str, body: str, status: int, text: str) -> None:
    answer = flask_app().test_client().post(path, data=body, headers=FORM)
    assert answer.status_code == status
    assert text in answer.get_data(as_text=True)


def test_flask_view_returning_none_answers_200() -> None:
    answer = flask_app().test_client().post("/quiet", data=event_body(), headers=FORM)
    assert (answer.status_code, answer.get_data()) == (200, b"")


# ---- Django -----------------------------------------------------------------------------------


def django_urls() -> list[Any]:
    from django.http import HttpResponse
    from django.urls import path

    from b24typed.events.django import b24_view

    @b24_view("event", application_token=TOKEN, member_id="m1")
    def on_event(request: Any, event: Event[Any]) -> Any:
        return HttpResponse(describe(event))

    @b24_view("install")
    def on_install(request: Any, install: Install) -> Any:
        return HttpResponse(describe(install))

    @b24_view("placement")
    def on_placement(request: Any, placement: Placement) -> Any:
        return HttpResponse(describe(placement))

    return [
        path("events", on_event),
        path("install", on_install),
        path("placement", on_placement),
    ]


urlpatterns: list[Any] = []


@pytest.fixture(scope="module")
def django_client() -> Any:
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            ROOT_URLCONF=__name__,
            ALLOWED_HOSTS=["testserver"],
            MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],
            SECRET_KEY="tests-only",
        )
        django.setup()
    urlpatterns[:] = django_urls()
    from django.test import Client

    return Client(enforce_csrf_checks=True)


@pytest.mark.parametrize(("path", "body", "status", "text"), CASES)
def test_django(django_client: Any, path: str, body: str, status: int, text: str) -> None:
    answer = django_client.post(path, data=body, content_type=FORM["content-type"])
    assert answer.status_code == status
    assert text in answer.content.decode()


# ---- bare ASGI ---------------------------------------------------------------------------------


def test_the_bare_asgi_endpoint_verifies_parses_and_calls_the_handler() -> None:
    import asyncio

    import httpx

    from b24typed.events.asgi import B24Endpoint

    seen: list[str] = []

    async def on_event(event: Event[Any]) -> None:
        seen.append(describe(event))

    endpoint = B24Endpoint("event", on_event, application_token=TOKEN, member_id="m1")

    async def main() -> list[int]:
        transport = httpx.ASGITransport(app=endpoint)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            statuses = [
                (await client.post("/", content=body, headers=FORM)).status_code
                for body in (event_body(), event_body("forged"), "not an event")
            ]
            statuses.append((await client.get("/")).status_code)
            return statuses

    assert asyncio.run(main()) == [200, 403, 400, 405]
    assert seen == ["deal 42"]


def test_the_bare_asgi_endpoint_mounts_in_fastapi_and_takes_sync_handlers() -> None:
    from b24typed.events.asgi import B24Endpoint

    seen: list[str] = []
    app = FastAPI()
    app.mount("/placement", B24Endpoint("placement", lambda p: seen.append(describe(p))))
    with TestClient(app) as client:
        answer = client.post("/placement/?DOMAIN=p.example.com", content=PLACEMENT, headers=FORM)
    assert answer.status_code == 200
    assert seen == ["CRM_DEAL_DETAIL_TAB 7"]


def test_the_bare_asgi_endpoint_refuses_a_flood(monkeypatch: pytest.MonkeyPatch) -> None:
    from b24typed.events import asgi

    monkeypatch.setattr(asgi, "MAX_BODY", 100)
    app = FastAPI()
    app.mount("/events", asgi.B24Endpoint("event", lambda e: None, application_token=TOKEN))
    with TestClient(app) as client:
        answer = client.post("/events/", content="x" * 101, headers=FORM)
    assert answer.status_code == 413


def test_the_fastapi_dependency_refuses_a_flood(monkeypatch: pytest.MonkeyPatch) -> None:
    from b24typed.events import asgi

    monkeypatch.setattr(asgi, "MAX_BODY", len(event_body()))
    with TestClient(fastapi_app) as client:
        flood = client.post("/events", content=event_body() + "&x=y", headers=FORM)
        at_the_limit = client.post("/events", content=event_body(), headers=FORM)
    assert flood.status_code == 413
    assert (at_the_limit.status_code, at_the_limit.text) == (200, '"deal 42"')
