"""Read the JSON examples of a page: the response block and the curl request body."""

from __future__ import annotations

import json
import re
from typing import Any

from codegen.importers import yfm
from codegen.importers.types import Schema, json_type

_ELLIPSIS_LINE = re.compile(r"^\s*(?:\.\.\.|…)\s*,?\s*$", flags=re.MULTILINE)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")
_SHELL_SUBST = re.compile(r"'\"(\$\([^)]*\))\"'")
_CURL_BODY = re.compile(r"-d\s+'(.*?)'\s*(?:\\|$)", flags=re.DOTALL | re.MULTILINE)
_RESPONSE_TITLES = re.compile(r"response|returned|result", flags=re.IGNORECASE)
_MISSING = object()


def parse_lenient(text: str) -> Any:
    """Parse JSON, retrying without ``//`` comments, ``...`` lines and trailing commas.

    Returns ``_MISSING`` (see ``is_missing``) when the text is not JSON even after clean-up.
    """
    try:
        return json.loads(text)
    except ValueError:
        pass
    cleaned = _strip_comments(text)
    cleaned = _ELLIPSIS_LINE.sub("", cleaned)
    cleaned = _TRAILING_COMMA.sub(r"\1", cleaned)
    try:
        return json.loads(cleaned)
    except ValueError:
        return _MISSING


def is_missing(value: Any) -> bool:
    return value is _MISSING


def _strip_comments(text: str) -> str:
    out: list[str] = []
    in_string = False
    index = 0
    while index < len(text):
        char = text[index]
        if in_string:
            out.append(char)
            if char == "\\" and index + 1 < len(text):
                out.append(text[index + 1])
                index += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
            out.append(char)
        elif text.startswith("//", index):
            while index < len(text) and text[index] != "\n":
                index += 1
            continue
        else:
            out.append(char)
        index += 1
    return "".join(out)


def response_example(sections: list[yfm.Section]) -> Any:
    """Return the first JSON block of the response section, or None (absent or not JSON).

    A page cut down to one section (no level-2 heading) is searched as a whole.
    """
    for index, section in enumerate(sections):
        if section.level == 2 and _RESPONSE_TITLES.search(section.title):
            return _first_json(yfm.section_span(sections, index))
    if not any(section.level == 2 for section in sections):
        return _first_json(sections)
    return None


def _first_json(span: list[yfm.Section]) -> Any:
    for lang, body in yfm.code_blocks("\n".join(section.text for section in span)):
        if lang in ("json", "js", "javascript", "") and body.lstrip().startswith(("{", "[")):
            value = parse_lenient(body)
            return None if is_missing(value) else value
    return None


def response_result(response: Any) -> tuple[bool, Any]:
    """(present, value) of a response example's ``result``; error examples are not present.

    An example that is not an envelope is taken as the result itself.
    """
    if response is None:
        return False, None
    if isinstance(response, dict) and "result" in response:
        return True, response["result"]
    if isinstance(response, dict) and "error" in response:
        return False, None
    return True, response


def request_example(text: str) -> Any:
    """Return the JSON body of the first curl example (an object loses its ``auth`` key)."""
    for lang, body in yfm.code_blocks(text):
        if lang not in ("bash", "sh", "shell", "curl") or "curl" not in body:
            continue
        match = _CURL_BODY.search(_SHELL_SUBST.sub(r"\1", body))
        if not match:
            continue
        value = parse_lenient(match.group(1))
        if isinstance(value, dict):
            return {key: item for key, item in value.items() if key != "auth"}
        if isinstance(value, list):
            return value
    return None


def request_schema(value: Any) -> Schema:
    """Infer a strict request-side schema (no wire leniency) from an example value."""
    kind = json_type(value)
    if kind == "null":
        return {}
    if kind == "object":
        properties = {key: request_schema(item) for key, item in value.items()}
        return {"type": "object", "properties": properties}
    if kind == "array":
        return {"type": "array", "items": request_schema(value[0])} if value else {"type": "array"}
    return {"type": kind}
