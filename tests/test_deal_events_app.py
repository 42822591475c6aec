"""examples/deal_events_app.py end to end: a real uvicorn server and the fake portal's loopback
server; install, bind ONCRMDEALADD, add a deal, receive the typed event, read the deal back."""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from b24typed import B24Hook
from b24typed.testing import FakePortal
from b24typed.tokens import SQLiteTokenStore

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "deal_events_app.py"


def load_example() -> Any:
    spec = importlib.util.spec_from_file_location("deal_events_app", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while defining
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[Any, Any, FakePortal]]:
    example = load_example()
    portal = FakePortal(seed=5)
    settings = example.Settings(
        client_id="local.deals",
        client_secret="deals-secret",
        public_url="",
        store=SQLiteTokenStore(tmp_path / "tokens.db"),
    )
    app = example.create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    settings.public_url = f"http://127.0.0.1:{port}"
    with portal.serve() as base:
        portal.public_url = base
        yield settings, app, portal
    server.should_exit = True
    thread.join(timeout=10)


def test_install_bind_add_a_deal_and_read_it_back(running: tuple[Any, Any, FakePortal]) -> None:
    settings, app, portal = running
    oauth_app = portal.oauth_app(settings.client_id, settings.client_secret)

    installed = portal.events.install(oauth_app, settings.public_url + "/install")
    assert installed.status == 200
    stored = settings.store.get(portal.member_id)
    assert stored is not None and stored.application_token is not None
    assert [(b.event, b.handler) for b in portal.events.bindings] == [
        ("ONCRMDEALADD", settings.public_url + "/events")
    ]

    with B24Hook.from_webhook_url(portal.serve_webhook_url(portal.public_url)) as b24:
        item = b24.crm.item.add(entity_type_id=2, fields={"title": "Loopback deal"}).item
    portal.events.flush()

    assert [d.status for d in portal.events.sent if d.event == "ONCRMDEALADD"] == [200]
    assert [(s.member_id, s.deal_id, s.title) for s in app.state.seen] == [
        (portal.member_id, item.id, "Loopback deal")
    ]


def test_a_forged_event_never_reaches_the_application(
    running: tuple[Any, Any, FakePortal],
) -> None:
    settings, app, portal = running
    portal.events.install(portal.oauth_app(settings.client_id, settings.client_secret),
                          settings.public_url + "/install")  # fmt: skip
    forged = (
        f"event=ONCRMDEALADD&data[FIELDS][ID]=1&auth[member_id]={portal.member_id}"
        "&auth[application_token]=guessed"
    )
    answer = httpx.post(
        settings.public_url + "/events",
        content=forged,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 403
    assert app.state.seen == []
