"""Batch command strings decode, with PHP's parse_str, to exactly the params given."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from b24typed import SdkError
from b24typed.core.phpquery import command_string, http_build_query
from b24typed.testing.phpqs import parse_str


def php_view(params: dict[str, Any]) -> dict[str, Any]:
    """What PHP should hold after decoding: strings everywhere, lists as index maps, None and
    empty containers gone."""

    def scalar(value: Any) -> Any:
        if value is True:
            return "1"
        if value is False:
            return "0"
        return str(value)

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            pairs = ((str(k), walk(v)) for k, v in value.items())
        elif isinstance(value, list):
            pairs = ((str(i), walk(v)) for i, v in enumerate(value))
        else:
            return None if value is None else scalar(value)
        kept = {k: v for k, v in pairs if v is not None}
        return kept or None

    out = walk(params)
    return out or {}


def test_nested_filter_select_and_operators() -> None:
    query = http_build_query(
        {
            "filter": {">ID": 5, "!=STATUS": "WON", "%TITLE": "a&b=c"},
            "select": ["ID", "TITLE"],
            "order": {"ID": "ASC"},
            "start": -1,
        }
    )
    assert query == (
        "filter%5B%3EID%5D=5&filter%5B%21%3DSTATUS%5D=WON&filter%5B%25TITLE%5D=a%26b%3Dc"
        "&select%5B0%5D=ID&select%5B1%5D=TITLE&order%5BID%5D=ASC&start=-1"
    )
    assert parse_str(query) == {
        "filter": {">ID": "5", "!=STATUS": "WON", "%TITLE": "a&b=c"},
        "select": {"0": "ID", "1": "TITLE"},
        "order": {"ID": "ASC"},
        "start": "-1",
    }


def test_booleans_none_and_empty_follow_php() -> None:
    query = http_build_query({"a": True, "b": False, "c": None, "d": [], "e": {"x": None}, "f": 0})
    assert query == "a=1&b=0&f=0"


def test_special_characters_unicode_and_references() -> None:
    params = {
        "fields": {"TITLE": "Сделка № 1 & [x] = 100% + tax", "COMMENTS": " lead  space "},
        "id": "$result[deal][ID]",
    }
    query = http_build_query(params)
    assert " " not in query and "&fields" in query
    assert parse_str(query) == params


def test_other_types_are_converted_as_for_json() -> None:
    class Stage(enum.Enum):
        WON = "WON"

    query = http_build_query(
        {
            "when": dt.date(2026, 1, 2),
            "amount": decimal.Decimal("10.50"),
            "stage": Stage.WON,
            "ids": (1, 2),
            "ratio": 0.25,
        }
    )
    assert parse_str(query) == {
        "when": "2026-01-02",
        "amount": "10.50",
        "stage": "WON",
        "ids": {"0": "1", "1": "2"},
        "ratio": "0.25",
    }


@pytest.mark.parametrize(
    "params",
    [
        {"a.b": 1},
        {"a b": 1},
        {"a[b": 1},
        {"": 1},
        {"filter": {"a]b": 1}},
        {"filter": {"": 1}},
        {"x": object()},
        {"x": float("nan")},
    ],
)
def test_params_php_would_change_are_refused(params: dict[str, Any]) -> None:
    with pytest.raises(SdkError):
        http_build_query(params)


def test_command_string() -> None:
    assert command_string("server.time") == "server.time"
    assert command_string("crm.deal.get", {"id": 3}) == "crm.deal.get?id=3"
    with pytest.raises(SdkError):
        command_string("crm.deal.get?id=1", {})


top_keys = st.one_of(
    st.sampled_from(["filter", "select", "order", "fields", "id", "entityTypeId", "FILTER"]),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True),
)
nested_keys = st.one_of(
    st.sampled_from([">ID", "!=STATUS", "%TITLE", ">=DATE_CREATE", "=%NAME", "!ID", "0", "7"]),
    st.text(min_size=1, max_size=8).filter(lambda k: "]" not in k and "\x00" not in k),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.text(max_size=12),
    st.sampled_from(["a&b", "x=y", "[0]", "100%", "1+1", " two  spaces ", "$result[a][ID]"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(nested_keys, inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(top_keys, values, max_size=5))
def test_query_decodes_back_to_the_params(params: dict[str, Any]) -> None:
    assert parse_str(http_build_query(params)) == php_view(params)
