"""User fields (``UF_*``) of the fake portal: descriptions, wire forms and ``*.userfield.*``.

Every entity that carries user fields (deals, leads, contacts, companies, smart processes,
users, tasks) keeps them in one :class:`UserFields` registry under its user field entity id
(``CRM_DEAL``, ``CRM_3`` for a smart process whose ``crm.type`` id is 3, ``USER``,
``TASKS_TASK``). A value is stored in one canonical form and written out the way each API family
sends it: ``crm.item.*`` with native JSON types, ``crm.deal.*``/``user.*``/``tasks.*`` with
numbers as strings and booleans as ``"1"``/``"0"``. Incoming values are accepted in every form
a real portal accepts (``"Y"``/``"N"``, ``1``/``0``, numbers as strings, ``{"id": N}`` to keep a
file, ``["name", "base64"]`` to upload one).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from .errors import ApiError
from .store import coerce

if TYPE_CHECKING:
    from .portal import Ctx, FakePortal

__all__ = ["ITEM", "LEGACY", "UserField", "UserFields"]

ITEM = "item"  # crm.item.*: native JSON types
LEGACY = "legacy"  # crm.deal.*, user.*, tasks.task.*: scalars as strings

_DEFAULT_SETTINGS: dict[str, dict[str, Any]] = {
    "string": {"SIZE": 20, "ROWS": 1, "REGEXP": "", "MIN_LENGTH": 0, "MAX_LENGTH": 0,
               "DEFAULT_VALUE": ""},
    "integer": {"SIZE": 20, "MIN_VALUE": 0, "MAX_VALUE": 0, "DEFAULT_VALUE": None},
    "double": {"PRECISION": 2, "SIZE": 20, "MIN_VALUE": 0, "MAX_VALUE": 0,
               "DEFAULT_VALUE": None},
    "boolean": {"DEFAULT_VALUE": 0, "DISPLAY": "CHECKBOX", "LABEL": ["", ""]},
    "date": {"DEFAULT_VALUE": {"TYPE": "NONE", "VALUE": ""}},
    "datetime": {"DEFAULT_VALUE": {"TYPE": "NONE", "VALUE": ""}, "USE_SECOND": "Y",
                 "USE_TIMEZONE": "N"},
    "enumeration": {"DISPLAY": "LIST", "LIST_HEIGHT": 1, "CAPTION_NO_VALUE": "",
                    "SHOW_NO_VALUE": "Y"},
    "employee": {},
    "crm": {"LEAD": "N", "CONTACT": "Y", "COMPANY": "Y", "DEAL": "Y"},
    "file": {"SIZE": 20, "LIST_WIDTH": 0, "LIST_HEIGHT": 0, "MAX_SHOW_SIZE": 0,
             "MAX_ALLOWED_SIZE": 0, "EXTENSIONS": [], "TARGET_BLANK": "Y"},
    "money": {"DEFAULT_VALUE": ""},
    "url": {"POPUP": "Y", "SIZE": 20, "MIN_LENGTH": 0, "MAX_LENGTH": 0, "DEFAULT_VALUE": "",
            "ROWS": 1},
    "address": {"SHOW_MAP": "Y"},
}  # fmt: skip

_STORE_TYPES = {"integer": "integer", "employee": "integer", "enumeration": "integer",
                "double": "double", "boolean": "boolean"}  # fmt: skip
_MONEY = re.compile(r"-?\d+(\.\d+)?\|[A-Z]{3}")
_CRM_LINK = re.compile(r"(?:[A-Z]{1,3}\d*_)?\d+")
_RU_DATE = re.compile(r"(\d{2})\.(\d{2})\.(\d{4})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?")


@dataclass
class UserField:
    """One user field as ``*.userfield.list`` describes it."""

    id: int
    entity_id: str
    field_name: str
    user_type_id: str
    label: str = ""
    multiple: bool = False
    mandatory: bool = False
    sort: int = 100
    items: list[dict[str, Any]] = field(default_factory=list)  # enumeration options
    settings: dict[str, Any] = field(default_factory=dict)
    declared: bool = True  # False: created by writing an unknown UF_ name (kept as sent)

    @property
    def store_type(self) -> str:
        """The filter/ordering type of the stored value (see ``store.coerce``)."""
        return _STORE_TYPES.get(self.user_type_id, "string")

    def option_ids(self) -> set[int]:
        return {int(item["ID"]) for item in self.items}

    # -- descriptions -------------------------------------------------------------------
    def userfield_view(self, lang: str | None) -> dict[str, Any]:
        """The ``crm.*.userfield.list`` / ``user.userfield.list`` form (labels only with a
        ``LANG`` filter, as a real portal answers)."""
        view: dict[str, Any] = {
            "ID": str(self.id),
            "ENTITY_ID": self.entity_id,
            "FIELD_NAME": self.field_name,
            "USER_TYPE_ID": self.user_type_id,
            "XML_ID": None,
            "SORT": str(self.sort),
            "MULTIPLE": "Y" if self.multiple else "N",
            "MANDATORY": "Y" if self.mandatory else "N",
            "SHOW_FILTER": "E",
            "SHOW_IN_LIST": "Y",
            "EDIT_IN_LIST": "Y",
            "IS_SEARCHABLE": "N",
            "SETTINGS": dict(self.settings),
        }
        if lang is not None:
            for key in ("EDIT_FORM_LABEL", "LIST_COLUMN_LABEL", "LIST_FILTER_LABEL"):
                view[key] = self.label
            view["ERROR_MESSAGE"] = None
            view["HELP_MESSAGE"] = None
        if self.user_type_id == "enumeration":
            view["LIST"] = [
                {"ID": str(i["ID"]), "SORT": str(i["SORT"]), "VALUE": i["VALUE"],
                 "DEF": i["DEF"], "XML_ID": i["XML_ID"]}
                for i in self.items
            ]  # fmt: skip
        return view

    def fields_view(self, *, item: bool) -> dict[str, Any]:
        """The ``crm.item.fields`` (``item=True``) or ``crm.deal.fields`` form."""
        view: dict[str, Any] = {
            "type": self.user_type_id,
            "isRequired": self.mandatory,
            "isReadOnly": False,
            "isImmutable": False,
            "isMultiple": self.multiple,
            "isDynamic": True,
            "title": self.label or self.field_name if item else self.field_name,
            "listLabel": self.label,
            "formLabel": self.label,
            "filterLabel": self.label,
            "settings": dict(self.settings),
        }
        if self.user_type_id == "enumeration":
            view["items"] = [{"ID": str(i["ID"]), "VALUE": i["VALUE"]} for i in self.items]
        if item:
            view["upperName"] = self.field_name
        return view


class UserFields:
    """Every user field of a portal, by entity id; the stored values live in the entities."""

    def __init__(self, portal: FakePortal) -> None:
        self._portal = portal
        self.by_entity: dict[str, dict[str, UserField]] = {}
        self._next_id = 100
        self._next_option = 1
        self._next_file = 1
        self.files: dict[int, str] = {}  # file id -> name

    # -- declaring fields -----------------------------------------------------------------
    def add(
        self,
        entity_id: str,
        field_name: str,
        user_type_id: str,
        *,
        label: str = "",
        multiple: bool = False,
        mandatory: bool = False,
        options: Iterable[str] = (),
        settings: Mapping[str, Any] | None = None,
    ) -> UserField:
        """Declare a user field (``options``: the labels of an enumeration's items)."""
        name = field_name.upper()
        if not name.startswith("UF_"):
            raise ValueError("a user field name starts with UF_")
        self._next_id += 1
        uf = UserField(
            self._next_id, entity_id, name, user_type_id, label, multiple, mandatory,
            settings=dict(settings if settings is not None
                          else _DEFAULT_SETTINGS.get(user_type_id, {})),
        )  # fmt: skip
        for position, text in enumerate(options, start=1):
            uf.items.append(self._option(text, position))
        self.by_entity.setdefault(entity_id, {})[name] = uf
        return uf

    def _option(self, text: str, position: int) -> dict[str, Any]:
        option_id = self._next_option
        self._next_option += 1
        return {"ID": option_id, "SORT": position * 10, "VALUE": text, "DEF": "N",
                "XML_ID": f"opt{option_id}"}  # fmt: skip

    def add_option(self, uf: UserField, text: str) -> int:
        """Add an item to an enumeration; returns its id."""
        item = self._option(text, len(uf.items) + 1)
        uf.items.append(item)
        return int(item["ID"])

    def remove(self, entity_id: str, field_name: str) -> None:
        self.by_entity.get(entity_id, {}).pop(field_name.upper(), None)

    def of(self, entity_id: str) -> dict[str, UserField]:
        return self.by_entity.setdefault(entity_id, {})

    def ad_hoc(self, entity_id: str, field_name: str) -> UserField:
        """The field a write names without declaring it: kept as a string, stored as sent."""
        fields = self.of(entity_id)
        uf = fields.get(field_name)
        if uf is None:
            uf = UserField(0, entity_id, field_name, "string", declared=False)
            fields[field_name] = uf
        return uf

    # -- values ---------------------------------------------------------------------------
    def store(self, uf: UserField, value: Any, current: Any = None) -> Any:
        """The canonical stored form of an incoming value (every accepted wire form)."""
        if not uf.declared:
            return value
        if uf.multiple:
            if value in (None, "", False):
                return []
            if isinstance(value, Mapping) and not _is_file_ref(value):
                value = list(value.values())
            if uf.user_type_id == "file" and _is_upload(value):
                value = [value]
            values = value if isinstance(value, list) else [value]
            olds = current if isinstance(current, list) else []
            stored = [self._one(uf, v, olds) for v in values]
            return [v for v in stored if v is not None]
        olds = [current] if current is not None else []
        return self._one(uf, value, olds)

    def _one(self, uf: UserField, value: Any, olds: list[Any]) -> Any:
        kind = uf.user_type_id
        if value is None or (isinstance(value, str) and not value.strip() and kind != "string"):
            return None
        if kind in {"integer", "employee"}:
            return _int(value)
        if kind == "enumeration":
            option = _int(value)
            return option if option in uf.option_ids() else None
        if kind == "double":
            try:
                return float(str(value).replace(",", "."))
            except ValueError:
                return None
        if kind == "boolean":
            return str(value).strip().lower() in {"1", "y", "true", "yes"}
        if kind == "date":
            parsed = _date(value)
            return parsed.isoformat() if parsed is not None else None
        if kind == "datetime":
            return _datetime(value)
        if kind == "file":
            return self._file(value, olds)
        if kind == "money":
            text = str(value).strip()
            return text if _MONEY.fullmatch(text) else None
        if kind == "crm":
            text = str(value).strip()
            return text if _CRM_LINK.fullmatch(text) else None
        if isinstance(value, bool | int | float):
            return str(value)
        return value if isinstance(value, str) else str(value)

    def _file(self, value: Any, olds: list[Any]) -> Any:
        if isinstance(value, Mapping) and "fileData" in value:
            value = value["fileData"]
        if _is_upload(value):
            name, content = str(value[0]), str(value[1])
            try:
                base64.b64decode(content, validate=True)
            except (binascii.Error, ValueError):
                raise ApiError(
                    "INVALID_ARG_VALUE", "File content is not valid base64", 400
                ) from None
            file_id = self._next_file
            self._next_file += 1
            self.files[file_id] = name
            return {"id": file_id}
        if isinstance(value, Mapping):
            wanted = _int(value.get("id", value.get("ID")))
            for old in olds:
                if isinstance(old, Mapping) and old.get("id") == wanted:
                    return dict(old)
            return None  # another id than the current one resets the field
        return None

    def render(self, uf: UserField, stored: Any, style: str) -> Any:
        """A stored value as ``style`` (:data:`ITEM` or :data:`LEGACY`) sends it."""
        if not uf.declared:
            return stored
        if uf.multiple:
            return [self._render_one(uf, v, style) for v in stored or []]
        if stored is None:
            return None if style == ITEM or uf.user_type_id != "boolean" else "0"
        return self._render_one(uf, stored, style)

    def _render_one(self, uf: UserField, value: Any, style: str) -> Any:
        kind = uf.user_type_id
        if kind == "boolean":
            if style == ITEM:
                return "Y" if value else "N"
            return "1" if value else "0"
        if kind == "date":
            return f"{value}T00:00:00+03:00"
        if kind == "file":
            file_id = value["id"]
            if style == ITEM:
                base = f"https://{self._portal.domain}"
                return {
                    "id": file_id,
                    "url": f"{base}/bitrix/components/bitrix/crm.controller.file/show/"
                    f"?fileId={file_id}",
                    "urlMachine": f"{base}/rest/crm.controller.item.getFile?fileId={file_id}",
                }
            return {
                "id": file_id,
                "showUrl": f"/bitrix/components/bitrix/main.file/show/?f={file_id}",
                "downloadUrl": f"/bitrix/components/bitrix/main.file/dl/?f={file_id}",
            }
        if style == LEGACY and isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return value

    # -- REST handlers ----------------------------------------------------------------------
    def list_handler(self, entity_id: str) -> Any:
        """``crm.deal.userfield.list`` and friends: filter by FIELD_NAME/USER_TYPE_ID/LANG."""

        def handler(ctx: Ctx, p: dict[str, Any]) -> Any:
            filt = p.get("filter") or p.get("FILTER") or {}
            if not isinstance(filt, Mapping):
                filt = {}
            lang = filt.get("LANG", filt.get("lang"))
            rows = []
            for uf in sorted(self.of(entity_id).values(), key=lambda u: (u.sort, u.id)):
                if not uf.declared:
                    continue
                if "FIELD_NAME" in filt and str(filt["FIELD_NAME"]).upper() != uf.field_name:
                    continue
                if "USER_TYPE_ID" in filt and str(filt["USER_TYPE_ID"]) != uf.user_type_id:
                    continue
                rows.append(uf.userfield_view(str(lang) if lang else None))
            return rows

        return handler

    def declared(self, entity_id: str) -> list[UserField]:
        return [uf for uf in self.of(entity_id).values() if uf.declared]


def _is_upload(value: Any) -> bool:
    return (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, str) for v in value)
        and "." in str(value[0])
    )


def _is_file_ref(value: Mapping[str, Any]) -> bool:
    return "id" in value or "ID" in value or "fileData" in value


def _int(value: Any) -> int | None:
    number = coerce(value, "integer")
    return number if isinstance(number, int) else None


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    match = _RU_DATE.fullmatch(text)
    if match is not None:
        day, month, year = match.group(1, 2, 3)
        text = f"{year}-{month}-{day}"
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _datetime(value: Any) -> str | None:
    from .crm import TZ

    text = str(value).strip()
    match = _RU_DATE.fullmatch(text)
    if match is not None:
        day, month, year, hour, minute, second = match.groups()
        text = f"{year}-{month}-{day}T{hour or '00'}:{minute or '00'}:{second or '00'}"
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=TZ)
    return parsed.astimezone(TZ).isoformat(timespec="seconds")
