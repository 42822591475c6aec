"""``generate-events``: write src/b24typed/events/models.py from schemas/events."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from b24typed.core.redact import SENSITIVE_KEYS
from codegen import schemafile
from codegen.generator.emit import doc_url, environment, models_imports
from codegen.generator.naming import NameRegistry, pascal_case
from codegen.generator.types import RESERVED_MODEL_NAMES, ModelClass, ModelsModule, schema_types
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


class EventModels(ModelsModule):
    """One models module for every event: an object shape that several events share becomes one
    class named after its members (``FieldsIdPayload``), the others carry their event's name."""

    def __init__(self, shared: dict[str, list[str]]) -> None:
        super().__init__(names=NameRegistry(RESERVED_MODEL_NAMES | {"Event", "EVENT_MODELS"}))
        self.shared = shared
        self.event = ""

    def model(self, schema: dict[str, Any], hint: str, doc: str = "") -> str:
        users = self.shared.get(_shape(schema))
        if users is None:
            doc = doc or f"An object in the payload of ``{self.event}``."
            return super().model(schema, hint, doc)
        members = pascal_case(*sorted(schema["properties"]))[:60]
        codes = ", ".join(users[:3]) + (", ..." if len(users) > 3 else "")
        return super().model(schema, f"{members}Payload", f"An object in {codes} payloads.")


def _shape(schema: Any) -> str:
    return json.dumps(schema, sort_keys=True)


def _object_shapes(schema: Any) -> list[str]:
    """The canonical text of every object schema with properties inside ``schema``."""
    found: list[str] = []
    if isinstance(schema, dict):
        if isinstance(schema.get("properties"), dict) and schema["properties"]:
            found.append(_shape(schema))
        for value in schema.values():
            found += _object_shapes(value)
    elif isinstance(schema, list):
        for value in schema:
            found += _object_shapes(value)
    return found


def render_events(documents: list[dict[str, Any]]) -> str:
    """The formatted text of ``b24typed/events/models.py``."""
    schemas = {d["event"]: _wrappers_required(d["data"]) for d in documents}
    users: dict[str, list[str]] = {}
    for code, schema in schemas.items():
        for shape in dict.fromkeys(_object_shapes(schema)):
            users.setdefault(shape, []).append(code)
    models = EventModels({shape: codes for shape, codes in users.items() if len(codes) > 1})
    for document in documents:
        models.names.take(class_name(document))
    events: list[EventClass] = []
    for document in documents:
        name = class_name(document)
        models.event = document["event"]
        data = models.result_type(schemas[document["event"]], f"{name}Data")
        events.append(
            EventClass(
                code=document["event"],
                name=name,
                data=data,
                is_model=data in models.result_names(),
                scopes=", ".join(document.get("scopes") or []),
                url=doc_url(document["doc"]) or "",
            )
        )
    _hide_secrets(models)
    template = environment().get_template("events_models.py.jinja")
    body = template.render(items=models.items, events=events, imports="")
    text = template.render(items=models.items, events=events, imports=models_imports(body, models))
    return _formatted(text)


def _hide_secrets(models: ModelsModule) -> None:
    """Credentials inside payloads (a chat bot's ``access_token``, ...) read as ``SecretStr``:
    reprs and dumps of an event never show them."""
    for item in models.items:
        if isinstance(item, ModelClass):
            item.fields = [
                (attr, _secret(wire, kind), wire, need) for attr, kind, wire, need in item.fields
            ]


def _secret(wire: str, kind: str) -> str:
    return "SecretStr | None" if kind == "LStr" and wire.lower() in SENSITIVE_KEYS else kind


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
