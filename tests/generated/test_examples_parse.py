"""Every docs response example of a live method parses into its generated result model."""

from __future__ import annotations

from typing import Any

import pytest

from b24typed import B24Hook
from b24typed.testing import FakePortal

from .wrappers import arguments, build, schemas, wrapper_of


def _live_with_example() -> list[dict[str, Any]]:
    found = []
    for document in schemas():
        live = document["api"] == 2 and not document["deprecated"] and not document.get("todo")
        response = (document.get("examples") or {}).get("response")
        if live and isinstance(response, dict) and "result" in response:
            found.append(document)
    return found


DOCUMENTS = _live_with_example()


@pytest.fixture(scope="module")
def b24() -> B24Hook:
    return B24Hook.from_webhook_url(FakePortal().webhook_url)


@pytest.mark.parametrize("document", DOCUMENTS, ids=[f"v2:{d['method']}" for d in DOCUMENTS])
def test_docs_example_parses_into_the_result_model(document: dict[str, Any], b24: B24Hook) -> None:
    wrapper = wrapper_of(b24, document)
    call = build(wrapper, arguments(wrapper, document))
    call.parse(document["examples"]["response"]["result"])


def test_most_live_methods_have_an_example() -> None:
    assert len(DOCUMENTS) > 1200
