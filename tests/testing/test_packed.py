"""The packed schema data a wheel carries answers exactly as the schema files do, in little room."""

from __future__ import annotations

from pathlib import Path

from b24typed.testing import packed
from b24typed.testing.schemas import SchemaRegistry, _methods, default_schemas_dir

ROOT = Path(__file__).resolve().parents[2]


def test_packed_schemas_answer_like_the_files(tmp_path: Path) -> None:
    schemas = default_schemas_dir()
    assert schemas is not None
    data = packed.pack(schemas)
    assert len(data) < 2_000_000  # the fake portal's data in an installed wheel (10.7 MB before)
    assert packed.pack(schemas) == data  # deterministic: the same wheel from the same schemas
    path = tmp_path / packed.FILE_NAME
    path.write_bytes(data)
    documents = packed.unpack(path)
    files = SchemaRegistry(schemas)
    for api in (2, 3):
        from_pack = _methods(documents[api], api)
        from_files = {m.method.lower(): m for m in files.methods(api)}
        assert from_pack.keys() == from_files.keys()
        for name, method in from_files.items():
            twin = from_pack[name]
            assert (twin.scopes, twin.kind, twin.pagination) == (
                method.scopes,
                method.kind,
                method.pagination,
            )
            assert twin.answer() == method.answer(), name


def test_the_wheel_packs_schemas_and_registers_no_pytest_plugin() -> None:
    project = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '[tool.hatch.build.targets.wheel.hooks.custom]\npath = "hatch_build.py"' in project
    assert "force-include" not in project  # no schema folders copied as they are
    assert "[project.entry-points.pytest11]" not in project
