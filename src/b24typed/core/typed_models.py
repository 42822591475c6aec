"""Base class and lenient field types of the generated result models (``b24typed.models``).

Bitrix24 portals send what PHP gives them: numbers as strings (``"12"``), booleans as ``"Y"``/
``"N"`` or ``1``/``0``, ``""`` for a missing date, ``[]`` for an empty object, lists as objects
keyed ``"0"``, ``"1"``, ... The aliases here accept all of it, and :class:`B24Model` keeps fields
the schema does not know (``UF_CRM_*`` user fields). Imported by model modules only, so
``import b24typed`` and namespace access do not import pydantic.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any, Optional, TypeVar, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

__all__ = [
    "B24Model",
    "LAny",
    "LBool",
    "LDate",
    "LDateTime",
    "LDict",
    "LFloat",
    "LInt",
    "LList",
    "LStr",
    "Obj",
    "Rows",
]

T = TypeVar("T")


_TRUE = frozenset({"y", "yes", "true", "1", "on", "t"})
_FALSE = frozenset({"n", "no", "false", "0", "off", "f", ""})
_INT_TEXT = re.compile(r"\s*[-+]?\d+(\.0*)?\s*")
_RU_DATE = re.compile(r"(\d{2})\.(\d{2})\.(\d{4})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$")
_US_DATE = re.compile(
    r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*([aApP][mM])?)?$"
)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _to_int(value: Any) -> Any:
    if _blank(value):
        return None
    if isinstance(value, str) and _INT_TEXT.fullmatch(value):
        try:
            return int(value.strip().split(".", 1)[0])
        except ValueError:  # more digits than Python converts: the model rejects it
            return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


def _to_float(value: Any) -> Any:
    if _blank(value):
        return None
    if isinstance(value, str):
        try:
            return float(value.strip().replace(",", "."))
        except ValueError:
            return value
    return value


def _to_bool(value: Any) -> Any:
    if value is None or value == []:
        return None
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value != 0
    return value


def _to_str(value: Any) -> Any:
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, int | float):
        return str(value)
    return value


def _ru_datetime(value: str) -> dt.datetime | None:
    """Portal-locale formats: ``dd.mm.yyyy[ hh:mm[:ss]]`` and ``mm/dd/yyyy[ hh:mm[:ss] am]``."""
    text = value.strip()
    match = _RU_DATE.match(text)
    if match is not None:
        day, month, year, hour, minute, second = match.groups()
        ampm = None
    else:
        match = _US_DATE.match(text)
        if match is None:
            return None
        month, day, year, hour, minute, second, ampm = match.groups()
    hours = int(hour or 0)
    if ampm is not None:
        hours = hours % 12 + (12 if ampm.lower() == "pm" else 0)
    try:
        return dt.datetime(
            int(year), int(month), int(day), hours, int(minute or 0), int(second or 0)
        )
    except ValueError:
        return None


def _to_date(value: Any) -> Any:
    if _blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 10 and text[4:5] == "-" and text[10:11] in "T ":
            return text[:10]
        parsed = _ru_datetime(text)
        if parsed is not None:
            return parsed.date()
    return value


def _to_datetime(value: Any) -> Any:
    if _blank(value):
        return None
    if isinstance(value, str):
        parsed = _ru_datetime(value)
        if parsed is not None:
            return parsed
    return value


def _to_dict(value: Any) -> Any:
    if _blank(value):
        return None
    return value


def _to_list(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, Mapping):  # a PHP array with keys: {"0": {...}, "1": {...}}
        return list(value.values())
    return value


def _lax_first(target: Any, fix: Callable[[Any], Any]) -> Any:
    """``target`` or ``None`` as pydantic validates them (lax mode), else ``fix(value)`` validated
    again: a well-formed value or a null costs no Python call."""
    fallback = Annotated[Optional[target], BeforeValidator(fix)]  # noqa: UP045 - runtime alias
    return Annotated[Union[target, None, fallback], Field(union_mode="left_to_right")]  # noqa: RUF036, UP007


if TYPE_CHECKING:
    LInt = Optional[int]  # noqa: UP045 - type aliases read by mypy
    LFloat = Optional[float]  # noqa: UP045
    LBool = Optional[bool]  # noqa: UP045
    LStr = Optional[str]  # noqa: UP045
    LDate = Optional[dt.date]  # noqa: UP045
    LDateTime = Optional[dt.datetime]  # noqa: UP045
    LDict = Optional[dict[str, Any]]  # noqa: UP045
    LList = Optional[list[T]]  # noqa: UP045
else:
    LInt = _lax_first(int, _to_int)
    LFloat = _lax_first(float, _to_float)
    LBool = _lax_first(bool, _to_bool)
    LStr = _lax_first(str, _to_str)
    LDate = _lax_first(dt.date, _to_date)
    LDateTime = _lax_first(dt.datetime, _to_datetime)
    LDict = _lax_first(dict[str, Any], _to_dict)
    LList = _lax_first(list[T], _to_list)
# LInt: an integer that portals may send as "12" or ""; LFloat: "12.50" or ""; LBool: true,
# "Y"/"N", 1/0 or "1"/"0"; LStr: a string sent as a number; LDate: ISO, an ISO date-time (the
# date part is kept) or dd.mm.yyyy; LDateTime: ISO or dd.mm.yyyy hh:mm:ss; LDict: an object
# without a documented shape (PHP's empty [] is None); LList: a list (PHP arrays with keys,
# {"0": ..., "1": ...}, become lists). "" is None for all but LStr and LBool.
LAny = Any
"""A value whose shape the schema does not give."""


def _to_obj(value: Any) -> Any:
    return {} if _blank(value) or value is False else value


def _to_rows(value: Any) -> Any:
    if _blank(value) or value is False:
        return []
    if isinstance(value, Mapping):
        return list(value.values())
    return value


Obj = Annotated[dict[str, Any], BeforeValidator(_to_obj)]
"""A method result that is an object without a documented shape (``[]`` and ``null`` are ``{}``)."""
Rows = Annotated[list[T], BeforeValidator(_to_rows)]
"""A method result that is a list (``null`` is ``[]``; PHP arrays with keys become lists)."""


class B24Model(BaseModel):
    """Base of every generated result model.

    Attributes are snake_case with the wire names as aliases (``model.assigned_by_id`` reads
    ``ASSIGNED_BY_ID``); fields the schema does not know (``UF_CRM_*``) are kept in
    ``model_extra``; ``model_fields_set`` tells a missing field from one sent as ``null``.
    """

    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        defer_build=True,
        protected_namespaces=(),
        arbitrary_types_allowed=False,
    )

    @model_validator(mode="before")
    @classmethod
    def _php_empty_object(cls, data: Any) -> Any:
        # PHP encodes an empty associative array as [] and some portals send "" or false.
        if data is None or data is False or data in ([], ""):
            return {}
        return data

    def __getitem__(self, key: str) -> Any:
        """Read a field by its wire name, including extra fields: ``deal["UF_CRM_1"]``."""
        extra = self.model_extra or {}
        if key in extra:
            return extra[key]
        for name, info in type(self).model_fields.items():
            if key in (info.alias, name):
                return getattr(self, name)
        raise KeyError(key)
