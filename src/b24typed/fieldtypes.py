"""Bitrix24 field types in Python: the one mapping from the docs' type names to Python types.

The generator (``codegen``) uses :func:`python_type` to type entity models and ``fields=``
dictionaries; a program that reads a live portal's ``*.fields`` answers can use the same mapping at
run time. The read types accept every form real portals send:

- ``Id``: ``12`` or ``"12"`` (``""`` and ``0``-less blanks are ``None``);
- ``Money``: ``"1000.00"``, ``1000``, ``1000.5`` as :class:`~decimal.Decimal`;
- ``Flag``: ``"Y"``/``"N"``, ``"1"``/``"0"``, ``1``/``0``, ``true``/``false``;
- ``DateTime``: ISO 8601 (with its UTC offset, so the value is timezone-aware), and the portal
  locale forms ``dd.mm.yyyy hh:mm:ss`` and ``mm/dd/yyyy hh:mm:ss pm`` (no offset on the wire:
  the value stays naive); ``""`` is ``None``;
- ``Date``: ISO dates, ISO date-times (date part) and the locale forms;
- objects: PHP's ``false``, ``[]`` and ``""`` for an empty object are ``None``.

Docs: https://apidocs.bitrix24.com/api-reference/data-types.html and
https://apidocs.bitrix24.com/api-reference/crm/data-types.html
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Optional, TypeVar, cast

from pydantic import BeforeValidator, Field

from b24typed.core.typed_models import B24Model, LStr, _to_bool, _to_int
from b24typed.core.typed_models import _to_date as _local_date
from b24typed.core.typed_models import _to_datetime as _local_datetime

__all__ = [
    "ByKey",
    "Date",
    "DateTime",
    "Entity",
    "FileRef",
    "Flag",
    "Id",
    "LangMap",
    "Money",
    "MultiField",
    "Number",
    "PyType",
    "Text",
    "is_money_name",
    "is_portal_field",
    "python_type",
    "with_user_fields",
]


# Names of fields that exist on one portal only: user fields (``UF_CRM_1720019876534``,
# ``ufCrm2_1639669411830``, the docs' placeholder ``UF_CRM_...``) and links to a portal's own smart
# processes (``parentId1222``). They never become attributes; models give them through
# ``user_fields`` and ``parent_ids``.
_PORTAL_FIELD = re.compile(r"^(UF_|uf_|ufCrm|parentId\d|PARENT_ID_)|\.\.\.")
_PARENT_LINK = re.compile(r"^(parentId|PARENT_ID_)\d+$")


_MONEY_NAME = re.compile(
    r"(opportunity|amount|price|sum|cost|tax_?value|balance)$", flags=re.IGNORECASE
)


def is_money_name(name: str) -> bool:
    """True for a field named like an amount of money (``OPPORTUNITY``, ``discountSum``,
    ``priceBrutto`` excepted): its numbers are read as :class:`~decimal.Decimal`."""
    return _MONEY_NAME.search(name) is not None and not name.lower().startswith("is")


def is_portal_field(name: str) -> bool:
    """True for a field that one portal defines (a user field or a link to its smart process)."""
    return _PORTAL_FIELD.search(name) is not None


def _blank(value: Any) -> bool:
    return value is None or value is False or value in ([], {}, "")


def _to_id(value: Any) -> Any:
    return None if value is False else _to_int(value)


def _to_decimal(value: Any) -> Any:
    if _blank(value) or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return decimal.Decimal(value)
    if isinstance(value, float):
        return decimal.Decimal(repr(value)) if math.isfinite(value) else value
    if isinstance(value, str):
        try:
            return decimal.Decimal(value.strip().replace(",", "."))
        except decimal.InvalidOperation:
            return value
    return value


def _to_flag(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None  # "" is an unset flag, not "N"
    return _to_bool(value)


def _to_datetime(value: Any) -> Any:
    return None if value is False else _local_datetime(value)


def _to_date(value: Any) -> Any:
    return None if value is False else _local_date(value)


def _to_object(value: Any) -> Any:
    return None if _blank(value) else value


def _to_keyed(value: Any) -> Any:
    return {} if _blank(value) else value


def _to_list(value: Any) -> Any:
    if value is None or value is False or value == "":
        return None
    if isinstance(value, Mapping):  # a PHP array with keys: {"0": ..., "1": ...}
        return list(value.values())
    if not isinstance(value, list):
        return [value]  # a multiple field that holds one value
    return value


T = TypeVar("T")

if TYPE_CHECKING:
    Id = Optional[int]  # noqa: UP045 - type aliases read by type checkers
    Money = Optional[decimal.Decimal]  # noqa: UP045
    Number = Optional[decimal.Decimal]  # noqa: UP045
    Flag = Optional[bool]  # noqa: UP045
    DateTime = Optional[dt.datetime]  # noqa: UP045
    Date = Optional[dt.date]  # noqa: UP045
    Text = Optional[str]  # noqa: UP045
    LangMap = Optional[dict[str, str]]  # noqa: UP045
    Object = Optional[dict[str, Any]]  # noqa: UP045
    Many = Optional[list[T]]  # noqa: UP045
    ByKey = dict[str, T]
else:
    Id = Annotated[Optional[int], BeforeValidator(_to_id)]  # noqa: UP045
    Money = Annotated[Optional[decimal.Decimal], BeforeValidator(_to_decimal)]  # noqa: UP045
    Number = Money
    Flag = Annotated[Optional[bool], BeforeValidator(_to_flag)]  # noqa: UP045
    DateTime = Annotated[Optional[dt.datetime], BeforeValidator(_to_datetime)]  # noqa: UP045
    Date = Annotated[Optional[dt.date], BeforeValidator(_to_date)]  # noqa: UP045
    Text = LStr
    LangMap = Annotated[Optional[dict[str, str]], BeforeValidator(_to_object)]  # noqa: UP045
    Object = Annotated[Optional[dict[str, Any]], BeforeValidator(_to_object)]  # noqa: UP045
    Many = Annotated[Optional[list[T]], BeforeValidator(_to_list)]  # noqa: UP045
    ByKey = Annotated[dict[str, T], BeforeValidator(_to_keyed)]


class Entity(B24Model):
    """Base of the entity models (``Deal``, ``Item``, ``Task``, ...).

    Fields one portal defines are kept apart from the documented ones: :attr:`user_fields` gives
    the user fields by wire name (``UF_CRM_1720019876534``, ``ufCrm2_1639669411830``) and
    :attr:`parent_ids` the links to the portal's smart processes (``parentId1222``).
    """

    @property
    def user_fields(self) -> dict[str, Any]:
        """The portal's own user fields, by wire name."""
        extra = self.model_extra or {}
        return {k: v for k, v in extra.items() if is_portal_field(k) and not _PARENT_LINK.match(k)}

    @property
    def parent_ids(self) -> dict[str, int | None]:
        """Links to the portal's smart process items, by wire name (``parentId1222``)."""
        extra = self.model_extra or {}
        return {k: _to_id(v) for k, v in extra.items() if _PARENT_LINK.match(k)}


class MultiField(B24Model):
    """One value of a phone, e-mail, web or messenger field (docs type ``crm_multifield``)."""

    id: Id = Field(None, alias="ID")
    type_id: Text = Field(None, alias="TYPE_ID")
    value: Text = Field(None, alias="VALUE")
    value_type: Text = Field(None, alias="VALUE_TYPE")


class FileRef(B24Model):
    """A file a field holds (docs type ``file``): its id and links."""

    id: Id = None
    url: Text = None
    show_url: Text = Field(None, alias="showUrl")
    download_url: Text = Field(None, alias="downloadUrl")


F = TypeVar("F", bound=Mapping[str, object])


def with_user_fields(fields: F, user_fields: Mapping[str, Any]) -> F:
    """``fields`` plus the portal's own user fields, for ``add`` and ``update`` methods.

    The documented fields stay checked by their ``TypedDict`` (a misspelt one is a type error);
    the user fields must be named as user fields (``UF_...``, ``ufCrm...``, ``parentId...``).
    """
    wrong = sorted(name for name in user_fields if not is_portal_field(name))
    if wrong:
        raise ValueError(f"not user field names (UF_..., ufCrm..., parentId...): {wrong}")
    return cast(F, {**fields, **user_fields})


@dataclass(frozen=True)
class PyType:
    """The Python types of one docs field type.

    ``read``: the annotation in a read model (names of this module, ``list[...]`` for multiple
    fields); ``write``: the annotation of the value in a ``fields=`` dictionary.
    """

    read: str
    write: str
    kind: str  # id, money, flag, datetime, date, text, object, file, multifield, any


_ID_TYPES = frozenset(
    {
        "integer",
        "int",
        "user",
        "group",
        "crm_lead",
        "crm_deal",
        "crm_contact",
        "crm_company",
        "crm_quote",
        "crm_category",
        "crm_entity",
        "crm_smart_invoice",
        "location",
        "iblock_section",
        "disk_file",
        "disk_folder",
        "timestamp",
    }
)
_MONEY_TYPES = frozenset({"double", "float", "number", "money", "decimal"})
_FLAG_TYPES = frozenset({"char", "boolean", "bool", "y/n"})
_TEXT_TYPES = frozenset(
    {"string", "text", "enum", "crm_status", "crm_currency", "lang", "url", "email", "phone"}
)
_KINDS: dict[str, PyType] = {
    "id": PyType("Id", "int", "id"),
    "money": PyType("Money", "decimal.Decimal | int | str", "money"),
    "flag": PyType("Flag", "bool", "flag"),
    "datetime": PyType("DateTime", "dt.datetime | str", "datetime"),
    "date": PyType("Date", "dt.date | str", "date"),
    "text": PyType("Text", "str", "text"),
    "lang_map": PyType("LangMap", "Mapping[str, str]", "object"),
    "object": PyType("Object", "Mapping[str, Any]", "object"),
    "file": PyType("FileRef | None", "Mapping[str, Any] | int", "file"),
    "multifield": PyType("MultiField", "Mapping[str, Any]", "multifield"),
    "any": PyType("Any", "Any", "any"),
}


def _literal(values: list[str]) -> str:
    return "Literal[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "]"


def _kind(name: str) -> str:
    """The kind of a docs type name (lower case, without ``[]``)."""
    if name in _ID_TYPES or name.startswith("crm_enum_"):
        return "id"
    if name in _MONEY_TYPES:
        return "money"
    if name in _FLAG_TYPES:
        return "flag"
    if name in ("datetime", "date", "lang_map", "file"):
        return name
    if name.endswith("multifield"):
        return "multifield"
    if name in _TEXT_TYPES or name.endswith(("_status", "_currency", "_code")):
        return "text"
    if name in ("object", "map"):
        return "object"
    return "any"  # a type the mapping does not know (``catalog_document``): no guess


def python_type(
    docs_type: str, *, multiple: bool = False, values: list[Any] | None = None
) -> PyType:
    """The Python types of a field of docs type ``docs_type`` (``double``, ``crm_status``, ...).

    ``values``: the documented values; string values become a ``Literal`` hint next to ``str``
    (a value a newer portal adds is still read and may still be sent). ``char`` is a flag
    (``bool``) when its values are ``Y``/``N``, and text otherwise (``statusId`` is ``char(2)``).
    """
    name = docs_type.strip().lower()
    if name.endswith("[]"):
        name, multiple = name[:-2], True
    if name == "array":  # a list of values the docs do not type
        name, multiple = "any", True
    texts = [v for v in values or [] if isinstance(v, str)]
    kind = _kind(name)
    if kind == "flag" and name == "char" and not (texts and set(texts) <= {"Y", "N"}):
        kind = "text"  # ``char`` is a database type: a flag only where Y/N is documented or seen
    elif kind == "flag" and texts and not set(texts) <= {"Y", "N"}:
        kind = "text"
    elif kind == "text" and texts and set(texts) == {"Y", "N"}:
        kind = "flag"  # a string documented as Y/N
    base = _KINDS[kind]
    if kind == "text" and texts and len(texts) == len(values or []):
        hint = _literal(list(dict.fromkeys(texts)))
        base = PyType(f"{hint} | Text", f"{hint} | str", "text")
    if not multiple:
        return base
    item = base.read.replace(" | None", "")
    item = {"Id": "int", "Money": "decimal.Decimal", "Flag": "bool", "Text": "str"}.get(item, item)
    item = item.replace(" | Text", " | str").replace("DateTime", "dt.datetime")
    item = {"Date": "dt.date", "LangMap": "dict[str, str]", "Object": "dict[str, Any]"}.get(
        item, item
    )
    return PyType(f"Many[{item}]", f"Sequence[{base.write}]", base.kind)


def read_type_namespace() -> dict[str, Any]:
    """Names a read annotation of :func:`python_type` uses, for evaluating it at run time."""
    return {
        name: globals()[name]
        for name in (
            "Id",
            "Money",
            "Number",
            "Flag",
            "DateTime",
            "Date",
            "Text",
            "LangMap",
            "Object",
            "Many",
            "ByKey",
            "FileRef",
            "MultiField",
        )
    } | {"Any": Any, "dt": dt, "decimal": decimal}
