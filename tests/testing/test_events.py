"""The fake portal sends events: bind/unbind/get, form-encoded signed POSTs over loopback,
offline queues, install and placement requests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from b24typed import B24OAuth, LimitConfig
from b24typed.events import parse_event, parse_install, parse_placement
from b24typed.events.models import OnCrmDealAdd, OnCrmDealUpdate, OnTaskAdd, OnUserAdd
from b24typed.testing import FakePortal


class Receiver:
    """A loopback HTTP endpoint that records every POST (path, query, body, content type)."""

    def __init__(self, status: int = 200) -> None:
        self.requests: list[tuple[str, bytes, str]] = []
        received = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                received.append(
                    (self.path, self.rfile.read(length), self.headers.get("content-type", ""))
                )
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def portal() -> FakePortal:
    return FakePortal(seed=3)


def app_client(portal: FakePortal, user_id: int = 1) -> B24OAuth:
    app = portal.oauth_app("local.app", "app-secret")
    return B24OAuth(
        client_id=app.client_id,
        client_secret=app.client_secret,
        tokens=portal.issue_tokens(app, user_id=user_id),
        http_client=portal.client(),
        limits=LimitConfig.off(),
    )


def token_of(portal: FakePortal) -> str:
    return portal.events.application_token(portal.oauth_app("local.app", "app-secret"))


def test_bind_get_and_unbind(portal: FakePortal) -> None:
    with app_client(portal) as b24:
        assert (
            b24.call_method("event.bind", {"event": "onCrmDealAdd", "handler": "http://h/1"}).result
            is True
        )
        b24.call_method("event.bind", {"event": "ONCRMDEALADD", "handler": "http://h/2"})
        again = b24.call_method("event.bind", {"event": "ONCRMDEALADD", "handler": "http://h/2"})
        assert again.error is not None and again.error.code == "ERROR_EVENT_HANDLER_ALREADY_EXISTS"
        listed = b24.call_method("event.get").result
        assert [(e["event"], e["handler"], e["offline"]) for e in listed] == [
            ("ONCRMDEALADD", "http://h/1", 0),
            ("ONCRMDEALADD", "http://h/2", 0),
        ]
        gone = b24.call_method("event.unbind", {"event": "ONCRMDEALADD", "handler": "http://h/1"})
        assert gone.result == {"count": 1}
        assert len(b24.call_method("event.get").result) == 1


def test_webhooks_cannot_bind_events(portal: FakePortal) -> None:
    with portal.client() as http:
        answer = http.post(
            portal.webhook_url + "event.bind", json={"event": "ONCRMDEALADD", "handler": "http://h"}
        ).json()
    assert answer["error"] == "WRONG_AUTH_TYPE"


def test_changes_are_posted_form_encoded_and_signed(portal: FakePortal, receiver: Receiver) -> None:
    with app_client(portal) as b24:
        for code in ("ONCRMDEALADD", "ONCRMDEALUPDATE", "ONTASKADD", "ONUSERADD"):
            b24.call_method("event.bind", {"event": code, "handler": f"{receiver.url}/ev"})
        deal_id = b24.call_method("crm.deal.add", {"fields": {"TITLE": "A"}}).result
        b24.call_method("crm.deal.update", {"id": deal_id, "fields": {"TITLE": "B"}})
        b24.call_method("crm.item.add", {"entityTypeId": 2, "fields": {"title": "C"}})
        b24.call_method("crm.contact.add", {"fields": {"NAME": "not bound"}})
        b24.call_method("tasks.task.add", {"fields": {"TITLE": "T", "RESPONSIBLE_ID": 1}})
        b24.call_method("user.add", {"EMAIL": "new@example.com", "NAME": "N"})
    portal.events.flush()
    assert [d.status for d in portal.events.sent] == [200] * 5
    events = []
    for path, body, ctype in receiver.requests:
        assert path == "/ev" and ctype == "application/x-www-form-urlencoded"
        assert b"data%5BFIELDS" in body or b"data%5B" in body
        events.append(
            parse_event(body, application_token=token_of(portal), member_id=portal.member_id)
        )
    by_type = {type(e): e for e in events}
    assert isinstance(events[0], OnCrmDealAdd) and events[0].data.fields.id == deal_id
    assert by_type[OnCrmDealUpdate].data.fields.id == deal_id
    assert [type(e) for e in events].count(OnCrmDealAdd) == 2  # crm.item.add of a deal too
    assert by_type[OnTaskAdd].data.fields_after.id is not None
    assert by_type[OnUserAdd].data.email == "new@example.com"
    assert events[0].auth.client_endpoint == f"https://{portal.domain}/rest/"


def test_event_tokens_open_a_working_client(portal: FakePortal, receiver: Receiver) -> None:
    with app_client(portal) as b24:
        b24.call_method("event.bind", {"event": "ONCRMDEALADD", "handler": receiver.url})
        deal_id = b24.call_method("crm.deal.add", {"fields": {"TITLE": "Typed"}}).result
    portal.events.flush()
    event = parse_event(receiver.requests[0][1], application_token=token_of(portal))
    with event.client(
        client_id="local.app", client_secret="app-secret", http_client=portal.client()
    ) as client:
        assert client.call_method("crm.deal.get", {"id": deal_id}).result["TITLE"] == "Typed"


def test_an_unreachable_handler_is_recorded_not_raised(portal: FakePortal) -> None:
    with app_client(portal) as b24:
        b24.call_method("event.bind", {"event": "ONCRMLEADADD", "handler": "http://127.0.0.1:9/x"})
        assert b24.call_method("crm.lead.add", {"fields": {"TITLE": "L"}}).is_success
    portal.events.flush()
    assert portal.events.sent[0].status is None and portal.events.sent[0].error


def test_offline_events_queue_until_read(portal: FakePortal, receiver: Receiver) -> None:
    with app_client(portal) as b24:
        b24.call_method("event.bind", {"event": "ONCRMCOMPANYADD", "event_type": "offline"})
        ids = [b24.call_method("crm.company.add", {"fields": {"TITLE": t}}).result for t in "ab"]
        portal.events.flush()
        assert receiver.requests == []
        held = b24.call_method("event.offline.get", {"clear": 0}).result
        assert held["process_id"]
        assert [e["EVENT_DATA"]["FIELDS"]["ID"] for e in held["events"]] == ids
        first = held["events"][0]["MESSAGE_ID"]
        b24.call_method(
            "event.offline.error", {"process_id": held["process_id"], "message_id": [first]}
        )
        b24.call_method("event.offline.clear", {"process_id": held["process_id"]})
        assert b24.call_method("event.offline.get").result["events"] == []
        errors = b24.call_method("event.offline.get", {"error": 1}).result["events"]
        assert [e["MESSAGE_ID"] for e in errors] == [first]


def test_offline_events_need_an_administrator(portal: FakePortal) -> None:
    portal.users.seed(3)
    with app_client(portal, user_id=2) as b24:
        answer = b24.call_method("event.bind", {"event": "ONCRMDEALADD", "event_type": "offline"})
    assert answer.error is not None and answer.error.code == "ACCESS_DENIED"


def test_install_posts_the_first_tokens(portal: FakePortal, receiver: Receiver) -> None:
    app = portal.oauth_app("local.app", "app-secret")
    delivery = portal.events.install(app, receiver.url + "/install")
    assert delivery.status == 200
    install = parse_install(receiver.requests[0][1])
    assert install.member_id == portal.member_id
    assert install.application_token is not None
    assert install.application_token.reveal() == portal.events.application_token(app)
    with install.client(
        client_id=app.client_id, client_secret=app.client_secret, http_client=portal.client()
    ) as b24:
        assert b24.call_method("profile").is_success


def test_open_placement_posts_options_and_user_tokens(
    portal: FakePortal, receiver: Receiver
) -> None:
    app = portal.oauth_app("local.app", "app-secret")
    portal.public_url = "http://127.0.0.1:1"
    portal.events.open_placement(app, receiver.url + "/tab", "CRM_DEAL_DETAIL_TAB", {"ID": "5"})
    path, body, _ = receiver.requests[0]
    assert path.startswith("/tab?DOMAIN=127.0.0.1%3A1&PROTOCOL=0")
    placement = parse_placement(
        body,
        query=path.split("?", 1)[1],
        application_token=portal.events.application_token(app),
        member_id=portal.member_id,
    )
    assert placement.placement == "CRM_DEAL_DETAIL_TAB" and placement.options == {"ID": "5"}
    tokens = placement.tokens()
    assert tokens is not None and tokens.client_endpoint == "http://127.0.0.1:1/rest/"


def test_offline_queue_notifies_onofflineevent_handlers_once_per_timeout(
    receiver: Receiver,
) -> None:
    from b24typed.events.models import OnOfflineEvent
    from b24typed.testing.clock import ManualClock

    clock = ManualClock()
    portal = FakePortal(seed=3, clock=clock)
    with app_client(portal) as b24:
        b24.call_method("event.bind", {"event": "ONCRMLEADADD", "event_type": "offline"})
        b24.call_method(
            "event.bind",
            {"event": "ONOFFLINEEVENT", "handler": receiver.url, "options": {"minTimeout": 30}},
        )
        for title in "abc":
            b24.call_method("crm.lead.add", {"fields": {"TITLE": title}})
        clock.advance(31)
        b24.call_method("crm.lead.add", {"fields": {"TITLE": "d"}})
    portal.events.flush()
    notices = [
        parse_event(body, application_token=token_of(portal)) for _, body, _ in receiver.requests
    ]
    assert [type(n) for n in notices] == [OnOfflineEvent, OnOfflineEvent]


def test_changes_inside_a_batch_send_events_too(portal: FakePortal, receiver: Receiver) -> None:
    with app_client(portal) as b24:
        b24.call_method("event.bind", {"event": "ONCRMCONTACTADD", "handler": receiver.url})
        b24.call_method("event.bind", {"event": "ONCRMDYNAMICITEMADD", "handler": receiver.url})
        portal.crm.add_smart_process(1040, "Smart")
        answer = b24.call_batch(
            {
                "a": ("crm.contact.add", {"fields": {"NAME": "A"}}),
                "b": ("crm.item.add", {"entityTypeId": 1040, "fields": {"title": "S"}}),
            }
        )
        assert answer.is_success
    portal.events.flush()
    events = [
        parse_event(body, application_token=token_of(portal)) for _, body, _ in receiver.requests
    ]
    assert sorted(e.event for e in events) == ["ONCRMCONTACTADD", "ONCRMDYNAMICITEMADD"]
    smart = next(e for e in events if e.event == "ONCRMDYNAMICITEMADD")
    assert smart.data.fields.entity_type_id == 1040
