"""Answers that do not fit what the SDK expects become B24Errors, whatever path reads them."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from b24typed import B24Error, B24Hook, LimitConfig, ManualClock, ResultValidationError, RetryPolicy


def client_answering(result: Any, *, whole_body: bool = False) -> B24Hook:
    content = json.dumps(result if whole_body else {"result": result}).encode()
    transport = httpx.MockTransport(lambda r: httpx.Response(200, content=content))
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
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "result",
                    "result_error",
                    "result_time",
                    "result_next",
                    "items",
                    "tasks",
                    "ID",
                    "id",
                    "0",
                    "a",
                    "item",
                    "error",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=15,
)


@settings(max_examples=400, deadline=None)
@given(
    result=json_values,
    path=st.sampled_from(
        [
            "call_batch",
            "call_batch_by_chunk",
            "batch",
            "fast",
            "offset",
            "v3",
            "typed",
            "typed_list",
        ]
    ),
)
def test_any_result_through_any_path_gives_data_or_a_b24_error(result: Any, path: str) -> None:
    b24 = client_answering(result)
    try:
        if path in ("batch", "batch_by_chunk"):
            getattr(b24, f"call_{path}")(
                {"a": ("crm.deal.get", {"id": 1}), "b": ("crm.deal.list", {})}
            )
        elif path in ("batch", "fast", "offset"):
            for number, _ in enumerate(b24.fetch_list_method("crm.deal.list", mode=path)):
                if number > 3:
                    break
        elif path == "v3":
            for number, _ in enumerate(b24.actions.v3.fetch_list.make(method="tasks.task.list")):
                if number > 3:
                    break
        elif path == "typed":
            b24.crm.item.get(entity_type_id=2, id=1)
        else:
            for number, _ in enumerate(b24.crm.item.iterate_list(entity_type_id=2)):
                if number > 200:
                    break
    except B24Error:
        pass
