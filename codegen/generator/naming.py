"""Python names for Bitrix24 names: attributes, parameters, fields, classes; collision-free."""

from __future__ import annotations

import builtins
import keyword
import re

from pydantic import BaseModel

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD = re.compile(r"\W+")

# Attributes of pydantic's BaseModel (and of our B24Model): a field with such a name would shadow
# a method (`schema`, `json`, `copy`, `model_dump`, ...).
MODEL_RESERVED = frozenset(
    name for name in dir(BaseModel) if not name.startswith("__")
) | frozenset({"model_config", "model_fields", "model_extra", "l", "I", "O"})  # l, I, O: E741


def snake_case(name: str) -> str:
    """Same rule as ``b24typed.core.registry.snake_case``: ``getFields`` -> ``get_fields``."""
    return _CAMEL.sub("_", name).lower()


def identifier(name: str, *, reserved: frozenset[str] | set[str] = frozenset()) -> str:
    """A snake_case Python identifier for a wire name; keywords and ``reserved`` get a ``_``."""
    text = _NON_WORD.sub("_", snake_case(name)).strip("_")
    text = re.sub(r"_+", "_", text)
    if not text:
        text = "field"
    if text[0].isdigit():
        text = f"n{text}"
    while keyword.iskeyword(text) or keyword.issoftkeyword(text) or text in reserved:
        text += "_"
    return text


def pascal_case(*parts: str) -> str:
    """``crm``, ``item``, ``getFields`` -> ``CrmItemGetFields``."""
    words: list[str] = []
    for part in parts:
        for word in _NON_WORD.sub("_", snake_case(part)).split("_"):
            if word:
                words.append(word[0].upper() + word[1:])
    text = "".join(words) or "Model"
    if text[0].isdigit():
        text = f"N{text}"
    return text


BUILTIN_NAMES = frozenset(dir(builtins))


class NameRegistry:
    """Hands out unique names in one scope: the second ``Foo`` is ``Foo2``, then ``Foo3``."""

    def __init__(self, taken: set[str] | frozenset[str] = frozenset(), sep: str = "") -> None:
        self._taken = set(taken)
        self._sep = sep

    def take(self, wanted: str) -> str:
        name = wanted
        number = 2
        while name in self._taken:
            name = f"{wanted}{self._sep}{number}"
            number += 1
        self._taken.add(name)
        return name

    def __contains__(self, name: str) -> bool:
        return name in self._taken
