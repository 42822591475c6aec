"""Checks on the committed schema files: format, JSON Schema validity, examples, cross-refs."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from codegen import schemafile
from codegen.coverage import example_status, tally
from codegen.import_docs import coverage_counts

DOCUMENTS = schemafile.iter_documents()
FORMAT = Draft202012Validator(schemafile.load(schemafile.FORMAT_SCHEMA))


def test_format_schema_is_valid_2020_12() -> None:
    Draft202012Validator.check_schema(schemafile.load(schemafile.FORMAT_SCHEMA))


def test_every_file_matches_the_format_and_metaschema() -> None:
    problems: list[str] = []
    for path, document in DOCUMENTS:
        problems += [f"{path.name}: {error.message}" for error in FORMAT.iter_errors(document)]
        for key in ("params", "result"):
            problems += [
                f"{path.name} {key}: {error.message}"
                for error in Draft202012Validator(Draft202012Validator.META_SCHEMA).iter_errors(
                    document[key]
                )
            ]
    assert problems == []


def test_file_names_and_bytes_are_canonical() -> None:
    for path, document in DOCUMENTS:
        assert path.stem == document["method"]
        assert path.parent.name == f"v{document['api']}"
        assert path.read_text(encoding="utf-8") == schemafile.dumps(document)


def test_response_examples_validate_against_result_schemas() -> None:
    checked = 0
    failures: list[str] = []
    for path, document in DOCUMENTS:
        present, valid = example_status(document)
        checked += present
        if present and not valid and "response_invalid" not in document["examples"]:
            failures.append(path.name)
    assert checked > 1400
    assert failures == []


def test_live_methods_have_typed_params_and_results() -> None:
    _modules, totals = tally([document for _path, document in DOCUMENTS])
    live = totals["v2 live"]
    assert live.params_typed >= 0.99 * live.methods
    assert live.results_typed >= 0.90 * live.methods


def test_summary_matches_the_files() -> None:
    summary = schemafile.load(schemafile.SCHEMAS / "SOURCE.json")
    assert summary["counts"] == coverage_counts([document for _path, document in DOCUMENTS])


def test_docs_coverage_figures() -> None:
    counts = coverage_counts([document for _path, document in DOCUMENTS])
    assert counts["v2_live"] == 1316
    assert counts["v2_deprecated"] == 239
    assert counts["v3_documented"] == 106


def test_every_cloud_v3_name_has_a_schema() -> None:
    names = schemafile.REPO_ROOT.parent / "shared" / "data" / "v3-methods-cloud-2026-09-18.json"
    if not names.is_file():
        pytest.skip("REST 3.0 name list not found")
    v3 = {document["method"] for _path, document in DOCUMENTS if document["api"] == 3}
    listed = {entry["method"] for entry in schemafile.load(names)["methods"]}
    assert listed <= v3


def test_equivalents_point_to_existing_methods() -> None:
    v2 = {document["method"] for _path, document in DOCUMENTS if document["api"] == 2}
    v3 = {document["method"] for _path, document in DOCUMENTS if document["api"] == 3}
    for row in schemafile.load(schemafile.EQUIVALENTS)["rows"]:
        assert row["v2"] in v2
        assert set(row["v3"]) <= v3
        assert row["reason"]
        assert row["doc"].startswith("api-reference/")


def test_overrides_state_their_reason() -> None:
    for (api, method), override in schemafile.load_overrides().items():
        assert override["reason"].strip(), (api, method)
        assert set(override) <= {"reason", "patch", "create"}, (api, method)
