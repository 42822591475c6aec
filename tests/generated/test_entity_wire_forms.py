"""Each entity model reads every wire form real portals send for a field and gets one value.

For every field of every entity schema, hypothesis draws a Python value of the field's type and
one of the forms a portal may send it in (numbers as strings, ``"Y"``/``"N"``, ``"1"``/``"0"``,
``""`` or PHP ``false``/``[]`` for nothing, a PHP keyed array for a list); the model must give the
same Python value for every form.
"""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from b24typed.fieldtypes import python_type
from codegen import schemafile
from codegen.generator.entities import entity_model, entity_module

ENTITIES = schemafile.iter_entities()
BLANKS = st.sampled_from(["", None, False, []])


def _flag() -> st.SearchStrategy[tuple[Any, Any]]:
    return st.booleans().flatmap(
        lambda b: st.sampled_from(["Y" if b else "N", "1" if b else "0", int(b), b]).map(
            lambda wire: (wire, b)
        )
    )


def _id() -> st.SearchStrategy[tuple[Any, Any]]:
    return st.integers(0, 2**40).flatmap(
        lambda n: st.sampled_from([n, str(n), float(n)]).map(lambda wire: (wire, n))
    )


def _money() -> st.SearchStrategy[tuple[Any, Any]]:
    cents = st.integers(-(10**12), 10**12)
    return cents.flatmap(
        lambda c: st.sampled_from(
            [f"{Decimal(c) / 100:.2f}", float(f"{Decimal(c) / 100:.2f}"), f"{Decimal(c) / 100}"]
        ).map(lambda wire: (wire, Decimal(c) / 100))
    )


def _datetime() -> st.SearchStrategy[tuple[Any, Any]]:
    zones = st.sampled_from([dt.timezone.utc, dt.timezone(dt.timedelta(hours=3))])
    moments = st.datetimes(
        min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=zones
    ).map(lambda value: value.replace(microsecond=0))
    return moments.flatmap(
        lambda m: st.sampled_from([m.isoformat(), m.isoformat(sep=" ")]).map(lambda w: (w, m))
    )


def _date() -> st.SearchStrategy[tuple[Any, Any]]:
    days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1))
    return days.flatmap(
        lambda d: st.sampled_from(
            [d.isoformat(), d.strftime("%d.%m.%Y"), f"{d.isoformat()}T10:00:00+03:00"]
        ).map(lambda w: (w, d))
    )


SCALARS = {"flag": _flag, "id": _id, "money": _money, "datetime": _datetime, "date": _date}


def _wire_and_value(kind: str, multiple: bool) -> st.SearchStrategy[tuple[Any, Any]]:
    if kind not in SCALARS:
        return st.just((None, None))
    one = SCALARS[kind]()
    blanks = st.sampled_from(["", None, []]) if kind == "flag" else BLANKS  # false is False
    blank = blanks.map(lambda wire: (wire, [] if multiple and wire == [] else None))
    if not multiple:
        return st.one_of(one, blank)
    rows = st.lists(one, max_size=3)
    as_list = rows.map(lambda pairs: ([w for w, _ in pairs], [v for _, v in pairs]))
    keyed = rows.map(
        lambda pairs: ({str(i): w for i, (w, _) in enumerate(pairs)}, [v for _, v in pairs])
    )
    return st.one_of(as_list, keyed)


@pytest.mark.parametrize("entity", ENTITIES, ids=[e["entity"] for e in ENTITIES])
def test_every_wire_form_reads_as_the_same_value(entity: dict[str, Any]) -> None:
    model = getattr(importlib.import_module(entity_module(entity["entity"])), entity["model"])
    attrs = {wire: attr for attr, _annotation, wire in entity_model(entity).fields}
    kinds = {
        wire: (
            python_type(spec["type"], multiple=spec["multiple"], values=spec.get("values")).kind,
            spec["multiple"],
        )
        for wire, spec in entity["fields"].items()
        if wire in attrs
    }
    typed = {wire: kind for wire, kind in kinds.items() if kind[0] in SCALARS}
    if not typed:
        pytest.skip("no field of a scalar docs type")
    record = st.fixed_dictionaries({wire: _wire_and_value(*kind) for wire, kind in typed.items()})

    @settings(max_examples=60, deadline=None)
    @given(record)
    def check(pairs: dict[str, tuple[Any, Any]]) -> None:
        parsed = model.model_validate({wire: wire_value for wire, (wire_value, _) in pairs.items()})
        for wire, (wire_value, expected) in pairs.items():
            got = getattr(parsed, attrs[wire])
            if kinds[wire][1] and wire_value in ("", None, False):
                assert got in (None, []), (wire, wire_value, got)
                continue
            assert got == expected, (wire, wire_value, got, expected)
            if isinstance(expected, dt.datetime):
                assert got.tzinfo is not None

    check()


@pytest.mark.parametrize("empty", [[], False, "", None])
def test_an_empty_php_object_reads_as_an_empty_model(empty: Any) -> None:
    from b24typed.models import Deal

    deal = Deal.model_validate(empty)
    assert deal.id is None and deal.user_fields == {} and deal.parent_ids == {}


def test_user_fields_and_parent_links_are_kept_apart() -> None:
    from b24typed.models import Item

    item = Item.model_validate(
        {"id": "7", "ufCrm2_1639669411830": "x", "parentId1222": "15", "title": "T"}
    )
    assert item.id == 7 and item.title == "T"
    assert item.user_fields == {"ufCrm2_1639669411830": "x"}
    assert item.parent_ids == {"parentId1222": 15}
