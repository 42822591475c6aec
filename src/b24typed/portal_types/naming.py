"""Python names for a portal's fields, smart processes and REST 3.0 methods."""

from __future__ import annotations

import keyword
import re
from collections import Counter
from collections.abc import Iterable

__all__ = ["class_name", "field_names", "pascal", "snake"]

_WORD = re.compile(r"[A-Za-z0-9]+")


def snake(text: str) -> str:
    """``"Contract number"`` -> ``contract_number``; ``"ufCrm5_X"`` -> ``uf_crm5_x``; ``""`` when
    the text has no ASCII letters to build a name from."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)
    words = _WORD.findall(spaced)
    name = "_".join(w.lower() for w in words)
    if not name or not re.search(r"[a-z]", name):
        return ""
    if name[0].isdigit():
        name = "n_" + name
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        name += "_"
    return name


def pascal(text: str) -> str:
    """``"Invoice requests"`` -> ``InvoiceRequests`` (``""`` without ASCII letters)."""
    name = "".join(w[:1].upper() + w[1:] for w in _WORD.findall(snake(text).replace("_", " ")))
    return name if name and not name[0].isdigit() else ""


def field_names(labels: Iterable[tuple[str, str]], taken: set[str]) -> list[str]:
    """A Python name per ``(label, upper)`` field: from the label when it gives a valid name that
    no other field of the entity shares and ``taken`` lacks, else from the ``UF_*`` name."""
    pairs = list(labels)
    wanted = [snake(label) for label, _ in pairs]
    counts = Counter(wanted)
    out = []
    for (_, upper), name in zip(pairs, wanted, strict=True):
        usable = name and counts[name] == 1 and name not in taken and not name.startswith("model_")
        out.append(name if usable else snake(upper))
    return out


def class_name(title: str, fallback: str, taken: set[str]) -> str:
    """A class name from a title, ``fallback`` when it gives none or one already taken."""
    name = pascal(title)
    return name if name and name not in taken else fallback
