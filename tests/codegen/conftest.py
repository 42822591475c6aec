"""Shared fixtures for the schema importer tests."""

from __future__ import annotations

from typing import Any

import pytest

from codegen.import_docs import DEFAULT_DOCS, DEFAULT_V3_NAMES, import_docs


@pytest.fixture(scope="session")
def imported() -> dict[tuple[int, str], dict[str, Any]]:
    """Every schema document of a fresh import of the docs copy, keyed by (api, method)."""
    if not (DEFAULT_DOCS / "api-reference").is_dir():
        pytest.skip(f"docs copy not found at {DEFAULT_DOCS}")
    documents, _entities, _summary = import_docs(DEFAULT_DOCS, DEFAULT_V3_NAMES)
    return {(document["api"], document["method"]): document for document in documents}
