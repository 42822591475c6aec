"""Jedi (IPython, Jupyter, VS Code's Jedi mode) completes and explains the generated surface."""

from __future__ import annotations

from pathlib import Path

import jedi
import pytest

ROOT = Path(__file__).resolve().parents[2]
USER_FILE = ROOT / "user_program.py"  # never written: Jedi only needs a path inside the project

HEADERS = {
    "sync": (
        "from b24typed import B24Hook\n"
        'b24 = B24Hook.from_webhook_url("https://example.bitrix24.com/rest/1/secret/")\n'
    ),
    "async": (
        "from b24typed import AsyncB24Hook\n"
        "async def main() -> None:\n"
        '    async with AsyncB24Hook.from_webhook_url("https://x.bitrix24.com/rest/1/s/") as b24:\n'
        "        "
    ),
}


def _script(flavor: str, tail: str) -> tuple[jedi.Script, int, int]:
    source = HEADERS[flavor] + tail
    lines = source.splitlines()
    return jedi.Script(source, path=USER_FILE), len(lines), len(lines[-1])


def _completions(flavor: str, tail: str) -> set[str]:
    script, line, column = _script(flavor, tail)
    return {c.name for c in script.complete(line, column)}


@pytest.mark.parametrize("flavor", ["sync", "async"])
def test_completions_reach_every_level(flavor: str) -> None:
    assert {"crm", "user", "tasks", "batch", "v3"} <= _completions(flavor, "b24.")
    assert {"item", "deal"} <= _completions(flavor, "b24.crm.")
    assert {"get", "list", "iterate_list", "add"} <= _completions(flavor, "b24.crm.item.")


@pytest.mark.parametrize("flavor", ["sync", "async"])
def test_signature_help_lists_the_method_parameters(flavor: str) -> None:
    script, line, column = _script(flavor, "b24.crm.item.get(")
    signatures = script.get_signatures(line, column)
    assert [s.name for s in signatures] == ["get"]
    params = [p.name for p in signatures[0].params]
    assert params[:2] == ["entity_type_id", "id"]
    assert "crm.item.get" in signatures[0].docstring()
    walk, line, column = _script(flavor, "b24.crm.item.iterate_list(")
    names = [p.name for p in walk.get_signatures(line, column)[0].params]
    assert {"entity_type_id", "filter", "mode", "id_key", "items_key", "progress"} <= set(names)


def test_the_result_is_inferred_as_its_model() -> None:
    script, line, column = _script("sync", "b24.crm.item.get(entity_type_id=2, id=1)")
    inferred = script.infer(line, column)
    assert len(inferred) == 1 and inferred[0].type == "instance"
    assert inferred[0].module_name.startswith("b24typed.models.v2.crm")
    assert "item" in _completions("sync", "b24.crm.item.get(entity_type_id=2, id=1).")


def test_the_typed_batch_completes_too() -> None:
    tail = "with b24.batch() as batch:\n    batch.crm.item."
    completions = _completions("sync", tail)
    assert {"get", "list"} <= completions
    assert "iterate_list" not in completions  # a batch cannot walk a list
