"""The event schemas and models are reproducible: importer and generator agree with the commit."""

from __future__ import annotations

import pytest

from codegen import generate_events
from codegen.import_docs import DEFAULT_DOCS
from codegen.import_events import EVENTS, import_events, load_events


def test_committed_event_models_match_a_fresh_generation() -> None:
    fresh = generate_events.render_events(load_events())
    assert fresh == generate_events.OUTPUT.read_text(encoding="utf-8"), (
        "src/b24typed/events/models.py differs from schemas/events; run `make generate`"
    )


def test_committed_event_schemas_match_a_fresh_import() -> None:
    if not (DEFAULT_DOCS / "api-reference").is_dir():
        pytest.skip(f"docs copy not found at {DEFAULT_DOCS}")
    fresh = import_events(DEFAULT_DOCS)
    assert fresh == load_events(EVENTS), "schemas/events is stale; run `make import-docs`"


def test_class_names_follow_the_event_pages() -> None:
    names = {generate_events.class_name(d) for d in load_events()}
    assert {"OnCrmDealAdd", "OnTaskUpdate", "OnAppInstall", "OnCrmTimelineCommentAdd"} <= names
    assert len(names) == len(load_events())


def test_importer_nests_dotted_rows_and_widens_from_the_example() -> None:
    from codegen.importers.events import _nest_dotted, _php_array, _widen

    nested = _nest_dotted(
        {
            "type": "object",
            "properties": {
                "data": {"type": "object"},
                "data.FIELDS": {"type": "object", "properties": {"ID": {"type": "integer"}}},
            },
        }
    )
    assert nested["properties"]["data"]["properties"]["FIELDS"]["properties"] == {
        "ID": {"type": "integer"}
    }
    widened = _widen(
        {"type": "object", "properties": {"ID": {"type": "integer"}, "X": {"type": "object"}}},
        {"ID": "5", "X": "undefined", "NEW": 3},
    )
    assert widened["properties"]["ID"] == {"type": "integer"}  # never narrowed to a string
    assert widened["properties"]["X"] == {"anyOf": [{"type": "object"}, {"type": "string"}]}
    assert widened["properties"]["NEW"] == {"type": "string"}
    text = "```php\narray('FIELDS' => array('ID' => $id))\n```"
    assert _php_array(text) == {"FIELDS": {"ID": ""}}
