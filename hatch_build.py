"""Wheel build hook: packs ``schemas/`` into ``b24typed/testing/schemas.json.gz`` for the fake
portal (see ``src/b24typed/testing/packed.py``)."""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

ROOT = Path(__file__).resolve().parent


class SchemaPackHook(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        spec = importlib.util.spec_from_file_location(
            "_b24typed_packed", ROOT / "src" / "b24typed" / "testing" / "packed.py"
        )
        assert spec is not None and spec.loader is not None
        packed = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(packed)
        target = Path(tempfile.mkdtemp(prefix="b24typed-schemas-")) / packed.FILE_NAME
        target.write_bytes(packed.pack(ROOT / "schemas"))
        build_data["force_include"][str(target)] = f"b24typed/testing/{packed.FILE_NAME}"
