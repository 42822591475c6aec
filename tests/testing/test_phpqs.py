"""PHP parse_str decoding and http_build_query encoding."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from b24typed.testing.phpqs import http_build_query, parse_str, php_to_json


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("a=1&b=2", {"a": "1", "b": "2"}),
        ("a", {"a": ""}),
        ("a=&&b", {"a": "", "b": ""}),
        ("a+b=c+d", {"a_b": "c d"}),
        ("a.b=1", {"a_b": "1"}),
        ("  a=1", {"a": "1"}),
        ("=1&[x]=2", {}),
        ("a[]=1&a[]=2", {"a": {"0": "1", "1": "2"}}),
        ("a[5]=x&a[]=y", {"a": {"5": "x", "6": "y"}}),
        ("a[x]=1&a[]=2", {"a": {"x": "1", "0": "2"}}),
        ("filter[%3EID]=5&select[0]=ID", {"filter": {">ID": "5"}, "select": {"0": "ID"}}),
        ("a[b][c]=1&a[b][d]=2", {"a": {"b": {"c": "1", "d": "2"}}}),
        ("a[b=1", {"a_b": "1"}),
        ("a[b][c=1", {"a": {"b": "1"}}),
        ("a[b]c=1", {"a": {"b": "1"}}),
        ("a.b[c.d]=1", {"a_b": {"c.d": "1"}}),
        ("a=1&a[]=2", {"a": {"0": "2"}}),
        ("a[]=1&a=2", {"a": "2"}),
        ("a[x]=1&a[x][y]=2", {"a": {"x": {"y": "2"}}}),
        ("a[007]=1&a[7]=2", {"a": {"007": "1", "7": "2"}}),
        ("a[-3]=1&a[]=2", {"a": {"-3": "1", "-2": "2"}}),
        ("v=%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82", {"v": "привет"}),
        ("v=100%&w=%zz", {"v": "100%", "w": "%zz"}),
        ("a[ b ]=1", {"a": {" b ": "1"}}),
    ],
)
def test_parse_str_matches_php(query: str, expected: dict[str, Any]) -> None:
    assert parse_str(query) == expected


def test_a_key_nested_past_64_levels_drops_its_variable_as_php_does() -> None:
    sixty_four = "a" + "[x]" * 64
    kept = parse_str(f"a[y]=1&{sixty_four}=2")
    assert kept["a"]["y"] == "1" and "x" in kept["a"]
    assert parse_str(f"a[y]=1&{sixty_four}[x]=2&b=3") == {"b": "3"}
    assert parse_str("b=3&a" + "[]" * 10_000 + "=1&a[z]=4") == {"b": "3", "a": {"z": "4"}}


def test_php_to_json_turns_sequential_maps_into_lists() -> None:
    decoded = parse_str("select[]=ID&select[]=TITLE&filter[0][logic]=OR&order[ID]=ASC")
    assert php_to_json(decoded) == {
        "select": ["ID", "TITLE"],
        "filter": [{"logic": "OR"}],
        "order": {"ID": "ASC"},
    }


def test_build_query_uses_indices_and_encodes_brackets() -> None:
    text = http_build_query({"filter": {">ID": 5}, "select": ["ID", "TITLE"], "x": None})
    assert text == "filter%5B%3EID%5D=5&select%5B0%5D=ID&select%5B1%5D=TITLE&x="


_keys = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=8).filter(
    lambda k: (
        "[" not in k
        and "]" not in k
        and k.strip(" ") == k
        and k == k.replace(".", "_")
        and " " not in k
    )
)
_values = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=10)
_trees = st.recursive(
    _values,
    lambda children: st.dictionaries(_keys, children, min_size=1, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_keys, _trees, max_size=5))
def test_roundtrip_build_then_parse(data: dict[str, Any]) -> None:
    assert parse_str(http_build_query(data)) == data


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_parse_str_never_fails_and_returns_string_leaves(text: str) -> None:
    def leaves(value: Any) -> bool:
        if isinstance(value, dict):
            return all(isinstance(k, str) and leaves(v) for k, v in value.items())
        return isinstance(value, str)

    assert leaves(parse_str(text))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=6), max_size=6))
def test_appends_keep_order(values: list[str]) -> None:
    query = "&".join("a[]=" + http_build_query({"v": v})[2:] for v in values)
    parsed = php_to_json(parse_str(query))
    if values:
        assert parsed == {"a": values}
    else:
        assert parsed == {}
