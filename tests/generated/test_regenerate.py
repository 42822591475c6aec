"""Regeneration is deterministic: a fresh run into a temporary folder equals what is committed."""

from __future__ import annotations

from pathlib import Path

from codegen import generate, schemafile


def test_committed_code_matches_a_fresh_generation(tmp_path: Path) -> None:
    generate.generate_into(schemafile.SCHEMAS, tmp_path)
    changed = generate.diff_trees(tmp_path, generate.SRC)
    assert changed == [], (
        "generated code differs from schemas/; run `make generate` and commit. Differences: "
        + ", ".join(changed[:20])
    )
