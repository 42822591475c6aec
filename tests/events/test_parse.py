"""Inbound events, installs and placements: every docs example parses into its model, form and
JSON bodies agree, and forged requests are refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, SecretStr

from b24typed import SdkError
from b24typed.events import (
    EventPayloadError,
    EventVerificationError,
    Placement,
    UnknownEvent,
    decode_body,
    parse_event,
    parse_install,
    parse_placement,
)
from b24typed.events.models import EVENT_MODELS, OnCrmDealAdd, OnTaskUpdate
from b24typed.testing.phpqs import http_build_query

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas" / "events"
DOCUMENTS = {path.stem: json.loads(path.read_text()) for path in sorted(SCHEMAS.glob("*.json"))}
WITH_EXAMPLE = sorted(code for code, doc in DOCUMENTS.items() if doc["example"])
WITHOUT_EXAMPLE = sorted(code for code, doc in DOCUMENTS.items() if not doc["example"])
APP_TOKEN = "appTok3nSECRET"
MEMBER = "member-1"


def example(code: str) -> dict[str, Any]:
    """The docs' example payload, signed with our application token and member."""
    payload = json.loads(json.dumps(DOCUMENTS[code]["example"]))
    auth = payload.setdefault("auth", {})
    auth["application_token"] = APP_TOKEN
    auth["member_id"] = MEMBER
    return payload


def view(value: Any, typed: bool = True) -> Any:
    """A model as comparable data: typed fields exactly; untyped ones (``Any``, raw dicts) as
    PHP would send their scalars in a form (strings). An empty list or object is ``None``: a
    form cannot carry either, so PHP leaves them out."""
    if isinstance(value, BaseModel):
        out = {
            name: view(getattr(value, name), typed and info.annotation is not Any)
            for name, info in type(value).model_fields.items()
        }
        for key, extra in (value.model_extra or {}).items():
            out[f"extra:{key}"] = view(extra, False)
        return out
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, dict):
        return {str(k): view(v, False) for k, v in value.items()} or None
    if isinstance(value, list):
        return [view(v, typed) for v in value] or None
    if typed:
        return value
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def test_the_importer_found_every_event_page() -> None:
    assert len(DOCUMENTS) == 171
    assert len(EVENT_MODELS) == 171
    assert len(WITH_EXAMPLE) >= 140


@pytest.mark.parametrize("code", WITH_EXAMPLE)
def test_every_docs_example_parses_into_its_model_from_json_and_form(code: str) -> None:
    payload = example(code)
    from_json = parse_event(json.dumps(payload), application_token=APP_TOKEN, member_id=MEMBER)
    from_form = parse_event(
        http_build_query(payload).encode(),
        application_token=APP_TOKEN,
        member_id=MEMBER,
        content_type="application/x-www-form-urlencoded",
    )
    assert type(from_json) is EVENT_MODELS[code]
    assert type(from_form) is EVENT_MODELS[code]
    assert view(from_json) == view(from_form)
    assert from_json.event == code


def sample(schema: Any) -> Any:
    """A value of the shape a schema describes, as strings (how a form carries it)."""
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if properties:
        return {key: sample(member) for key, member in properties.items()}
    kinds = schema.get("type") if isinstance(schema, dict) else None
    return "5" if kinds in ("integer", "number") else "Y" if kinds == "boolean" else "x"


@pytest.mark.parametrize("code", WITHOUT_EXAMPLE)
def test_events_without_a_docs_example_parse_a_form_of_their_documented_shape(code: str) -> None:
    data = sample(DOCUMENTS[code]["data"])
    payload = {"event": code, "data": data, "auth": {"application_token": APP_TOKEN}}
    event = parse_event(http_build_query(payload), application_token=APP_TOKEN)
    assert type(event) is EVENT_MODELS[code]
    parsed = event.data
    if isinstance(parsed, BaseModel):
        parsed = parsed.model_dump(by_alias=True, exclude_none=True)
    assert view(parsed, False) == view(data, False)


def test_a_deal_event_reads_typed() -> None:
    body = (
        "event=ONCRMDEALADD&event_handler_id=7&data%5BFIELDS%5D%5BID%5D=6641&ts=1735374081"
        f"&auth%5Bapplication_token%5D={APP_TOKEN}&auth%5Bmember_id%5D={MEMBER}"
        "&auth%5Baccess_token%5D=acc&auth%5Brefresh_token%5D=ref&auth%5Bexpires_in%5D=3600"
        "&auth%5Bclient_endpoint%5D=https%3A%2F%2Fp.example.com%2Frest%2F"
    )
    event = parse_event(body, application_token=APP_TOKEN, member_id=MEMBER)
    assert isinstance(event, OnCrmDealAdd)
    assert event.data.fields.id == 6641
    assert event.event_handler_id == 7 and event.ts == 1735374081
    tokens = event.tokens()
    assert tokens is not None and tokens.access_token.reveal() == "acc"
    assert tokens.client_endpoint == "https://p.example.com/rest/"
    assert tokens.application_token is not None and tokens.application_token.reveal() == APP_TOKEN


def test_task_events_keep_before_and_after_apart() -> None:
    body = (
        "event=ONTASKUPDATE&data[FIELDS_BEFORE][ID]=1&data[FIELDS_AFTER][ID]=2"
        f"&auth[application_token]={APP_TOKEN}"
    )
    event = parse_event(body, application_token=APP_TOKEN)
    assert isinstance(event, OnTaskUpdate)
    assert (event.data.fields_before.id, event.data.fields_after.id) == (1, 2)


def test_an_unknown_event_parses_into_the_generic_model() -> None:
    body = f"event=onSomethingNew&data[A][0]=x&data[A][1]=y&auth[application_token]={APP_TOKEN}"
    event = parse_event(body, application_token=APP_TOKEN)
    assert type(event) is UnknownEvent
    assert event.event == "ONSOMETHINGNEW"
    assert event.data == {"A": ["x", "y"]}


@pytest.mark.parametrize(
    ("token", "member", "error_code"),
    [
        ("forged", None, "EVENT_NOT_VERIFIED"),
        ("", None, "EVENT_NOT_VERIFIED"),
        (APP_TOKEN, "member-2", "EVENT_NOT_VERIFIED"),
    ],
)
def test_forged_tokens_and_members_are_refused(
    token: str, member: str | None, error_code: str
) -> None:
    payload = example("ONCRMDEALADD")
    payload["auth"]["application_token"] = token
    with pytest.raises(EventVerificationError) as info:
        parse_event(json.dumps(payload), application_token=APP_TOKEN, member_id=member or MEMBER)
    assert info.value.code == error_code
    assert APP_TOKEN not in str(info.value) and "forged" not in str(info.value)


def test_a_missing_application_token_is_refused() -> None:
    payload = example("ONCRMDEALADD")
    del payload["auth"]["application_token"]
    with pytest.raises(EventVerificationError):
        parse_event(json.dumps(payload), application_token=APP_TOKEN)


def test_application_tokens_are_looked_up_per_portal() -> None:
    known = {MEMBER: APP_TOKEN}
    payload = example("ONCRMDEALADD")
    assert parse_event(json.dumps(payload), application_token=known.get).event == "ONCRMDEALADD"
    payload["auth"]["member_id"] = "stranger"
    with pytest.raises(EventVerificationError) as info:
        parse_event(json.dumps(payload), application_token=known.get)
    assert info.value.code == "EVENT_UNKNOWN_PORTAL"


@pytest.mark.parametrize(
    "body", [b"", b"{not json", b"[1, 2]", b"data[FIELDS][ID]=1", "event=&data=1"]
)
def test_bodies_that_are_not_events_are_payload_errors(body: bytes | str) -> None:
    with pytest.raises(EventPayloadError):
        parse_event(body, application_token=APP_TOKEN)


SIGNED = f"event=ONCRMDEALADD&data[FIELDS][ID]=7&auth[application_token]={APP_TOKEN}"


def test_json_nested_too_deep_is_a_payload_error() -> None:
    body = '{"event": "ONCRMDEALADD", "data": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(EventPayloadError):
        parse_event(body, application_token=APP_TOKEN)


@pytest.mark.parametrize("levels", ["[a]" * 65, "[]" * 5000, "[a]" * 5000])
def test_a_form_key_nested_past_phps_limit_is_dropped_as_php_drops_it(levels: str) -> None:
    event = parse_event(f"{SIGNED}&extra{levels}=1", application_token=APP_TOKEN)
    assert isinstance(event, OnCrmDealAdd)
    assert event.data.fields.id == 7
    assert "extra" not in (event.model_extra or {})


def test_decode_body_follows_php_and_json() -> None:
    assert decode_body("a[b][]=1&a[b][]=2&c=x") == {"a": {"b": ["1", "2"]}, "c": "x"}
    assert decode_body(b'{"a": 1}') == {"a": 1}
    assert decode_body({"data[FIELDS][ID]": "3", "event": "E"}) == {
        "data": {"FIELDS": {"ID": "3"}},
        "event": "E",
    }
    assert decode_body({"data[FIELDS][ID]": ["1", "4"]}) == {"data": {"FIELDS": {"ID": "4"}}}
    with pytest.raises(EventPayloadError):
        decode_body("x=1", "application/json; charset=utf-8")


# ---- install ----------------------------------------------------------------------------------


def test_an_install_event_gives_the_first_tokens_and_the_application_token() -> None:
    payload = example("ONAPPINSTALL")
    install = parse_install(http_build_query(payload))
    assert install.member_id == MEMBER
    assert install.domain == "some-domain.bitrix24.com"
    assert install.application_token is not None
    assert install.application_token.reveal() == APP_TOKEN
    assert install.tokens.access_token.reveal() == payload["auth"]["access_token"]
    assert install.event is not None and install.event.data.version == "1.0.0"


def test_an_install_page_request_gives_the_tokens() -> None:
    body = (
        "AUTH_ID=acc1&AUTH_EXPIRES=3600&REFRESH_ID=ref1&member_id=m9&status=L"
        "&PLACEMENT=DEFAULT&PLACEMENT_OPTIONS=%7B%7D&APPLICATION_TOKEN=t9"
    )
    install = parse_install(body, query="DOMAIN=p9.example.com&PROTOCOL=1&LANG=en&APP_SID=s")
    assert install.member_id == "m9"
    assert install.tokens.client_endpoint == "https://p9.example.com/rest/"
    assert install.tokens.refresh_token.reveal() == "ref1"
    assert install.placement is not None and install.placement.placement == "DEFAULT"


def test_a_reinstall_from_another_installation_is_refused() -> None:
    payload = example("ONAPPINSTALL")
    with pytest.raises(EventVerificationError):
        parse_install(json.dumps(payload), application_token="other-token")
    with pytest.raises(EventVerificationError):
        parse_install(json.dumps(payload), member_id="other-member")


def test_an_install_without_tokens_or_of_another_event_is_refused() -> None:
    payload = example("ONAPPINSTALL")
    del payload["auth"]["access_token"]
    with pytest.raises(EventPayloadError):
        parse_install(json.dumps(payload))
    with pytest.raises(EventPayloadError):
        parse_install(json.dumps(example("ONCRMDEALADD")))


# ---- placement --------------------------------------------------------------------------------


PLACEMENT_BODY = (
    "AUTH_ID=userAcc3ss&AUTH_EXPIRES=3600&REFRESH_ID=userRefr3sh"
    "&SERVER_ENDPOINT=https%3A%2F%2Foauth.bitrix.info%2Frest%2F&APPLICATION_TOKEN=" + APP_TOKEN + ""
    "&APPLICATION_SCOPE=crm&member_id=" + MEMBER + "&status=L&PLACEMENT=CRM_DEAL_DETAIL_TAB"
    "&PLACEMENT_OPTIONS=%7B%22ID%22%3A%2242%22%7D"
)
PLACEMENT_QUERY = "DOMAIN=p.example.com&PROTOCOL=1&LANG=en&APP_SID=abc"


def test_a_placement_request_is_decoded() -> None:
    placement = parse_placement(
        PLACEMENT_BODY, query=PLACEMENT_QUERY, application_token=APP_TOKEN, member_id=MEMBER
    )
    assert isinstance(placement, Placement)
    assert placement.placement == "CRM_DEAL_DETAIL_TAB"
    assert placement.options == {"ID": "42"}
    assert placement.domain == "p.example.com" and placement.lang == "en"
    tokens = placement.tokens()
    assert tokens is not None and tokens.access_token.reveal() == "userAcc3ss"
    assert tokens.client_endpoint == "https://p.example.com/rest/"


def test_a_placement_with_a_wrong_token_or_bad_options_is_refused() -> None:
    with pytest.raises(EventVerificationError):
        parse_placement(PLACEMENT_BODY, query=PLACEMENT_QUERY, application_token="other")
    bad = PLACEMENT_BODY.replace("%7B%22ID%22%3A%2242%22%7D", "%7Bnot")
    with pytest.raises(EventPayloadError):
        parse_placement(bad, query=PLACEMENT_QUERY)


@pytest.mark.parametrize("empty", ["[]", "null", "%7B%7D"])
def test_placement_options_php_encodes_as_empty_are_no_options(empty: str) -> None:
    body = PLACEMENT_BODY.replace("%7B%22ID%22%3A%2242%22%7D", empty)
    assert parse_placement(body, query=PLACEMENT_QUERY).options == {}


def test_placement_options_nested_too_deep_are_a_payload_error() -> None:
    deep = "%7B%22a%22%3A" * 5000 + "1" + "%7D" * 5000
    body = PLACEMENT_BODY.replace("%7B%22ID%22%3A%2242%22%7D", deep)
    with pytest.raises(EventPayloadError):
        parse_placement(body, query=PLACEMENT_QUERY)


def test_a_placement_client_targets_the_portal_with_the_users_tokens() -> None:
    placement = parse_placement(PLACEMENT_BODY, query=PLACEMENT_QUERY)
    with placement.client(client_id="app", client_secret="s") as client:
        assert client.domain == "p.example.com"
        assert client.tokens.access_token.reveal() == "userAcc3ss"


def secret_values(value: Any) -> list[str]:
    """Every string under a credential-named key, at any depth."""
    from b24typed.core.redact import SENSITIVE_KEYS

    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if str(key).lower() in SENSITIVE_KEYS and isinstance(item, str) and len(item) > 3:
                found.append(item)
            found += secret_values(item)
    elif isinstance(value, list):
        for item in value:
            found += secret_values(item)
    return found


@pytest.mark.parametrize("code", WITH_EXAMPLE)
def test_no_docs_example_shows_its_tokens_in_reprs_or_dumps(code: str) -> None:
    payload = example(code)
    secrets = secret_values(payload)
    assert APP_TOKEN in secrets
    event = parse_event(json.dumps(payload), application_token=APP_TOKEN)
    shown = "\n".join([repr(event), str(event), event.model_dump_json(), str(event.model_dump())])
    assert [s for s in secrets if s in shown] == []


def test_async_clients_come_from_the_request_or_from_a_store() -> None:
    import asyncio

    from b24typed.tokens import InMemoryTokenStore
    from tests.core.test_token_store import AsyncStore

    payload = example("ONCRMDEALADD")
    payload["auth"].update(
        access_token="acc", refresh_token="ref", client_endpoint="https://p.example.com/rest/"
    )
    carried = parse_event(json.dumps(payload), application_token=APP_TOKEN)
    for key in ("access_token", "refresh_token"):
        del payload["auth"][key]
    bare = parse_event(json.dumps(payload), application_token=APP_TOKEN)
    install = parse_install(json.dumps(example("ONAPPINSTALL")))
    installed_refresh = install.tokens.refresh_token.reveal()

    async def main() -> list[str]:
        seen = []
        async with await carried.async_client(client_id="a", client_secret="s") as b24:
            seen.append(b24.tokens.access_token.reveal())
        for store in (InMemoryTokenStore(), AsyncStore()):
            await install.asave(store)
            async with await bare.async_client(
                client_id="a", client_secret="s", token_store=store
            ) as b24:
                seen.append(b24.tokens.refresh_token.reveal())
        return seen

    assert asyncio.run(main()) == ["acc", installed_refresh, installed_refresh]
    with pytest.raises(SdkError, match="no OAuth tokens"):
        bare.client(client_id="a", client_secret="s")


def test_a_requests_own_tokens_never_go_to_the_store() -> None:
    from b24typed.core.auth import OAuthAuth
    from b24typed.tokens import InMemoryTokenStore

    payload = example("ONCRMDEALADD")
    store = InMemoryTokenStore()
    event = parse_event(json.dumps(payload), application_token=APP_TOKEN)
    with event.client(client_id="a", client_secret="s", token_store=store) as b24:
        auth = b24._state.auth
        assert isinstance(auth, OAuthAuth) and auth.token_store is None
    del payload["auth"]["access_token"]
    store.save(MEMBER, parse_install(json.dumps(example("ONAPPINSTALL"))).tokens)
    bare = parse_event(json.dumps(payload), application_token=APP_TOKEN)
    with bare.client(client_id="a", client_secret="s", token_store=store) as b24:
        auth = b24._state.auth
        assert isinstance(auth, OAuthAuth) and auth.token_store is store
        assert auth.member_id == MEMBER


EVIL = "https://collector.example.net/rest/"
INSTALL_EVENT = (
    "event=ONAPPINSTALL&auth[access_token]=acc&auth[refresh_token]=ref&auth[expires]=1"
    f"&auth[domain]=p.example.com&auth[server_endpoint]={EVIL}&auth[member_id]=m1"
    "&auth[application_token]=forged"
)
INSTALL_PAGE = (
    "AUTH_ID=acc&AUTH_EXPIRES=-1&REFRESH_ID=ref&member_id=m1"
    f"&SERVER_ENDPOINT={EVIL}&DOMAIN=p.example.com&PROTOCOL=1"
)


@pytest.mark.parametrize("body", [INSTALL_EVENT, INSTALL_PAGE], ids=["event", "install page"])
def test_an_unverified_install_cannot_send_the_client_secret_to_a_server_it_names(
    body: str,
) -> None:
    """Anyone may POST an install: the OAuth server it names must not get the client secret."""
    import httpx

    sent_to: list[str] = []

    def portal_and_oauth(request: httpx.Request) -> httpx.Response:
        sent_to.append(request.url.host)
        if request.url.path == "/oauth/token/":
            return httpx.Response(
                200, json={"access_token": "acc2", "refresh_token": "ref2", "expires_in": 3600}
            )
        return httpx.Response(200, json={"result": {"ID": 1}})

    install = parse_install(body)
    http = httpx.Client(transport=httpx.MockTransport(portal_and_oauth))
    with install.client(client_id="app", client_secret="client-secret", http_client=http) as b24:
        b24.call_method("profile")
    assert sent_to == ["oauth.bitrix.info", "p.example.com"]
