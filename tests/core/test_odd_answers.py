"""Answers that do not fit what the SDK expects become B24Errors, whatever path reads them."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from b24typed import B24Error, B24Hook, LimitConfig, ManualClock, ResultValidationError, RetryPolicy

# A full, well-formed first page: walks go on to their later requests (chained batches, the next
# cursor), where the odd answer then arrives.
FULL_PAGE = {"result": {"items": [{"ID": n, "id": n} for n in range(1, 51)]}}
# The first answer of a parallel walk: its first page and the highest id, in one batch; the
# ids up to 5,000 then go to 9 ranges at once.
FIRST_AND_TOP = {
    "result": {
        "result": {"first": FULL_PAGE["result"], "top": {"items": [{"ID": 5000, "id": 5000}]}}
    }
}
PARALLEL = {"list batch", "typed list"}


def primer(path: str) -> Any:
    return FIRST_AND_TOP if path in PARALLEL else FULL_PAGE


def client_answering(
    result: Any,
    *,
    whole_body: bool = False,
    first: Any = None,
    sent: list[httpx.Request] | None = None,
) -> B24Hook:
    """A client of a portal that answers ``result`` (after ``first``, if given) to everything."""
    content = json.dumps(result if whole_body else {"result": result}).encode()
    answers = [json.dumps(first).encode()] if first is not None else []

    def handler(request: httpx.Request) -> httpx.Response:
        if sent is not None:
            sent.append(request)
        return httpx.Response(200, content=answers.pop(0) if answers else content)

    transport = httpx.MockTransport(handler)
    return B24Hook.from_webhook_url(
        "https://odd.example.com/rest/1/x/",
        http_client=httpx.Client(transport=transport),
        limits=LimitConfig.off(),
        retry=RetryPolicy.never(),
        clock=ManualClock(),
    )


def test_a_typed_answer_that_does_not_fit_its_model_raises_a_b24_error() -> None:
    b24 = client_answering({"item": "not an object"})
    with pytest.raises(ResultValidationError) as info:
        b24.crm.item.get(entity_type_id=2, id=1)
    error = info.value
    assert error.method == "crm.item.get" and error.code == "RESULT_VALIDATION"
    assert error.field_errors and error.field_errors[0].field == "item"
    assert "b24.raw(" in error.description
    raw = b24.raw(b24.crm.item.get, entity_type_id=2, id=1)
    assert raw.result == {"item": "not an object"}


def test_a_write_whose_answer_does_not_fit_says_it_happened() -> None:
    b24 = client_answering({"item": "not an object"})
    with pytest.raises(ResultValidationError) as info:
        b24.crm.item.add(entity_type_id=2, fields={"title": "x"})
    error = info.value
    assert error.status == 200
    assert error.request_id
    assert error.raw == {"item": "not an object"}
    assert "no HTTP answer" not in str(error)
    assert "HTTP 200" in str(error)
    assert "the call was done (do not repeat a write)" in error.description


def test_offset_paging_tolerates_ids_that_are_not_scalars() -> None:
    b24 = client_answering([{"ID": []}, {"ID": {"x": 1}}, {"ID": "3"}])
    pages = list(b24.fetch_list_method("crm.deal.list", mode="offset"))
    assert pages == [[{"ID": []}, {"ID": {"x": 1}}, {"ID": "3"}]]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities included: Python's json reads them
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "result",
                    "result_error",
                    "result_time",
                    "result_next",
                    "result_total",
                    "items",
                    "tasks",
                    "ID",
                    "id",
                    "0",
                    "p0",
                    "a",
                    "item",
                    "error",
                    "next",
                    "total",
                    "time",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=15,
)


def _pages(pages: Any, most: int = 3) -> None:
    for number, _ in enumerate(pages):
        if number >= most:
            break


READ_PATHS: dict[str, Callable[[B24Hook], Any]] = {
    "call_batch": lambda b24: b24.call_batch(
        {"a": ("crm.deal.get", {"id": 1}), "b": ("crm.deal.list", {})}
    ),
    "call_batch_by_chunk": lambda b24: b24.call_batch_by_chunk(
        [("crm.deal.get", {"id": n}) for n in range(60)]
    ),
    "list batch": lambda b24: _pages(b24.fetch_list_method("crm.deal.list", mode="batch")),
    "list sequential": lambda b24: _pages(
        b24.fetch_list_method("crm.deal.list", mode="batch", max_concurrency=1)
    ),
    "list fast": lambda b24: _pages(b24.fetch_list_method("crm.deal.list", mode="fast")),
    "list offset": lambda b24: _pages(b24.fetch_list_method("crm.deal.list", mode="offset")),
    "v3 list": lambda b24: _pages(b24.actions.v3.fetch_list.make(method="tasks.task.list")),
    "v3 tail": lambda b24: _pages(b24.actions.v3.fetch_tail.make(method="tasks.task.tail")),
    "v3 batch": lambda b24: b24.actions.v3.batch.make(calls=[("tasks.task.get", {"id": 1})]),
    "typed": lambda b24: b24.crm.item.get(entity_type_id=2, id=1),
    "typed list": lambda b24: _pages(b24.crm.item.iterate_list(entity_type_id=2), 200),
}


INF = float("inf")


@settings(max_examples=400, deadline=None)
# Shapes found by earlier runs, always tried whatever the seed.
@example(result={"items": [{"id": INF}]}, path="v3 list", whole=False, primed=False)
@example(result={"items": [{"id": INF}]}, path="v3 tail", whole=False, primed=False)
@example(result=[{"ID": INF}], path="list fast", whole=False, primed=False)
@example(result={"result": [], "total": INF}, path="list offset", whole=True, primed=False)
@example(
    result={"result": {"p0": [{"ID": 1e308 * 10}]}}, path="list sequential", whole=True, primed=True
)
@example(result={"result_total": {"a": INF}}, path="call_batch", whole=False, primed=False)
@given(
    result=json_values,
    path=st.sampled_from(sorted(READ_PATHS)),
    whole=st.booleans(),
    primed=st.booleans(),
)
def test_any_result_through_any_path_gives_data_or_a_b24_error(
    result: Any, path: str, whole: bool, primed: bool
) -> None:
    b24 = client_answering(
        result,
        whole_body=whole and isinstance(result, dict),
        first=primer(path) if primed else None,
    )
    with contextlib.suppress(B24Error):
        READ_PATHS[path](b24)


@pytest.mark.parametrize("path", sorted(READ_PATHS))
def test_every_read_path_is_reached(path: str) -> None:
    # Each path sends what its name says; the list walks get past their first page.
    sent: list[httpx.Request] = []
    b24 = client_answering(None, first=primer(path), sent=sent)
    with contextlib.suppress(B24Error):
        READ_PATHS[path](b24)
    methods = [request.url.path.rsplit("/", 1)[-1] for request in sent]
    expected = {
        "call_batch": ["batch"],
        "call_batch_by_chunk": ["batch", "batch"],
        "list batch": ["batch"] * (1 + 9),
        "list sequential": ["crm.deal.list", "batch"],
        "list fast": ["crm.deal.list", "crm.deal.list"],
        "list offset": ["crm.deal.list"],
        "v3 list": ["tasks.task.list", "tasks.task.list"],
        "v3 tail": ["tasks.task.tail", "tasks.task.tail"],
        "v3 batch": ["batch"],
        "typed": ["crm.item.get"],
        "typed list": ["batch"] * (1 + 9),
    }
    assert methods == expected[path]
