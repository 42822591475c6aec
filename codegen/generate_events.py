"""``generate-events``: write src/b24typed/events/models.py from schemas/events."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codegen import schemafile
from codegen.generator.emit import doc_url, environment, models_imports
from codegen.generator.naming import NameRegistry, pascal_case
from codegen.generator.types import (
    RESERVED_MODEL_NAMES,
    Alias,
    ModelClass,
    ModelsModule,
    TypedDictDef,
    schema_types,
)
from codegen.import_events import EVENTS, load_events

OUTPUT = schemafile.REPO_ROOT / "src" / "b24typed" / "events" / "models.py"
PYPROJECT = schemafile.REPO_ROOT / "pyproject.toml"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--schemas", type=Path, default=EVENTS, help="event schemas folder")
    parser.add_argument("--out", type=Path, default=OUTPUT, help="the module to write")
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if the output would change"
    )


def run(args: argparse.Namespace) -> int:
    documents = load_events(args.schemas)
    text = render_events(documents)
    old = args.out.read_text(encoding="utf-8") if args.out.is_file() else None
    if args.check:
        if old != text:
            print(f"would change: {args.out}")
        return 0 if old == text else 1
    args.out.write_text(text, encoding="utf-8")
    print(f"generated {len(documents)} event models; {'unchanged' if old == text else 'changed'}")
    return 0


@dataclass
class EventClass:
    code: str
    name: str
    data: str
    is_model: bool
    scopes: str
    url: str


def class_name(document: dict[str, Any]) -> str:
    """``api-reference/.../on-crm-deal-add.md`` -> ``OnCrmDealAdd``."""
    slug = str(document["doc"]).rsplit("/", 1)[-1].removesuffix(".md").lower()
    return pascal_case(slug)


def _wrappers_required(schema: Any) -> Any:
    """Objects and lists inside a payload default to empty ones rather than ``None``, so
    ``event.data.fields.id`` reads without checks; scalars stay optional."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    properties = schema.get("properties")
    if isinstance(properties, dict):
        out["properties"] = {k: _wrappers_required(v) for k, v in properties.items()}
        out["required"] = sorted(
            key
            for key, value in properties.items()
            if isinstance(value, dict)
            and "anyOf" not in value
            and schema_types(value) in (["object"], ["array"])
            and (schema_types(value) == ["array"] or value.get("properties"))
        )
    if isinstance(schema.get("items"), dict):
        out["items"] = _wrappers_required(schema["items"])
    return out


def render_events(documents: list[dict[str, Any]]) -> str:
    """The formatted text of ``b24typed/events/models.py``."""
    names = NameRegistry(RESERVED_MODEL_NAMES | {"Event", "EVENT_MODELS"})
    for name in (class_name(d) for d in documents):
        names.take(name)
    items: list[ModelClass | TypedDictDef | Alias] = []
    events: list[EventClass] = []
    for document in documents:
        # One module per event: each event's models carry its name, even when shapes repeat.
        models = ModelsModule(names=names)
        name = class_name(document)
        data = models.result_type(_wrappers_required(document["data"]), f"{name}Data")
        for item in models.items:
            if isinstance(item, ModelClass):
                item.doc = f"An object in the payload of ``{document['event']}``."
        items.extend(models.items)
        scopes = ", ".join(document.get("scopes") or [])
        events.append(
            EventClass(
                code=document["event"],
                name=name,
                data=data,
                is_model=data in models.result_names(),
                scopes=scopes,
                url=doc_url(document["doc"]) or "",
            )
        )
    template = environment().get_template("events_models.py.jinja")
    body = template.render(items=items, events=events, imports="")
    text = template.render(items=items, events=events, imports=models_imports(body))
    return _formatted(text)


def _formatted(text: str) -> str:
    with tempfile.TemporaryDirectory(prefix="b24typed-events-") as tmp:
        path = Path(tmp) / "models.py"
        path.write_text(text, encoding="utf-8")
        ruff = [sys.executable, "-m", "ruff"]
        config = ["--config", str(PYPROJECT), "--quiet"]
        subprocess.run(
            [*ruff, "check", *config, "--fix-only", "--exit-zero", str(path)], check=True
        )
        subprocess.run([*ruff, "format", *config, str(path)], check=True)
        return path.read_text(encoding="utf-8")
