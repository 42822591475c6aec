"""Users: ``user.get``, ``user.current``, ``user.add``, ``user.update``, ``user.search``,
``user.fields``, plus ``portal.users.seed(n)``."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .crm import iso
from .errors import ApiError
from .filters import parse_v2_filter
from .store import Table, coerce
from .userfields import LEGACY

if TYPE_CHECKING:
    from .portal import Answer, Ctx, FakePortal

__all__ = ["UserStore"]

# name -> type, as user.fields lists them
USER_FIELDS: dict[str, str] = {
    "ID": "integer",
    "XML_ID": "string",
    "ACTIVE": "boolean",
    "NAME": "string",
    "LAST_NAME": "string",
    "SECOND_NAME": "string",
    "TITLE": "string",
    "EMAIL": "string",
    "LAST_LOGIN": "datetime",
    "DATE_REGISTER": "datetime",
    "TIME_ZONE": "string",
    "IS_ONLINE": "char",
    "PERSONAL_GENDER": "string",
    "PERSONAL_PROFESSION": "string",
    "PERSONAL_WWW": "string",
    "PERSONAL_BIRTHDAY": "date",
    "PERSONAL_PHOTO": "string",
    "PERSONAL_MOBILE": "string",
    "PERSONAL_CITY": "string",
    "WORK_PHONE": "string",
    "WORK_POSITION": "string",
    "WORK_COMPANY": "string",
    "UF_DEPARTMENT": "integer",
    "UF_EMPLOYMENT_DATE": "date",
    "UF_PHONE_INNER": "string",
    "USER_TYPE": "string",
}

_FIRST = ["Anna", "Boris", "Clara", "Dmitry", "Elena", "Fedor", "Galina", "Hans", "Irina", "Jan"]
_LAST = ["Ivanova", "Petrov", "Schmidt", "Weber", "Novak", "Smith", "Kowalski", "Meyer"]
_POSITIONS = ["Manager", "Developer", "Accountant", "Tester", "Sales", ""]


def _resolve(name: str) -> tuple[str, str] | None:
    upper = name.upper()
    if upper in USER_FIELDS:
        return upper, USER_FIELDS[upper]
    if upper in {"NAME_SEARCH", "FIND"}:
        return "NAME_SEARCH", "string"
    return None


class UserStore:
    def __init__(self, portal: FakePortal) -> None:
        self._portal = portal
        self.table = Table(id_field="ID")
        self.table.insert(self._make(1, "Admin", "Adminov", "admin@example.com", "Administrator"))

    def _make(self, num: int, name: str, last: str, email: str, position: str) -> dict[str, Any]:
        now = iso(self._portal.clock.now())
        return {
            "XML_ID": "",
            "ACTIVE": True,
            "NAME": name,
            "LAST_NAME": last,
            "SECOND_NAME": "",
            "EMAIL": email,
            "LAST_LOGIN": now,
            "DATE_REGISTER": now,
            "IS_ONLINE": "N",
            "PERSONAL_GENDER": "",
            "PERSONAL_BIRTHDAY": "",
            "WORK_POSITION": position,
            "UF_DEPARTMENT": [1],
            "UF_EMPLOYMENT_DATE": "",
            "USER_TYPE": "employee",
        }

    def seed(self, n: int) -> list[int]:
        rnd = random.Random(f"{self._portal.seed}:users:{len(self.table)}")
        ids = []
        for _ in range(n):
            num = self.table.next_id
            row = self._make(
                num,
                rnd.choice(_FIRST),
                rnd.choice(_LAST),
                f"user{num}@example.com",
                rnd.choice(_POSITIONS),
            )
            ids.append(self.table.insert(row))
        return ids

    def exists(self, user_id: int) -> bool:
        return self.table.get(user_id) is not None

    def full_name(self, user_id: int) -> str:
        row = self.table.get(user_id)
        if row is None:
            return ""
        return f"{row['NAME']} {row['LAST_NAME']}".strip()

    def view(self, row: Mapping[str, Any], select: list[str] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        declared = self._portal.userfields.of("USER")
        for key, value in row.items():
            uf = declared.get(key)
            if uf is not None:
                out[key] = self._portal.userfields.render(uf, value, LEGACY)
            elif key == "ID" or isinstance(value, bool | list):
                out[key] = str(value) if key == "ID" else value
            elif isinstance(value, int):
                out[key] = str(value)
            else:
                out[key] = value
        if select and "*" not in select:
            wanted = {s.upper() for s in select}
            with_uf = "UF_*" in wanted
            out = {
                k: v
                for k, v in out.items()
                if k == "ID" or k in wanted or (with_uf and k.startswith("UF_"))
            }
        return out

    # -- handlers -------------------------------------------------------------------------
    def get(self, ctx: Ctx, p: dict[str, Any]) -> Answer:
        from .portal import Answer, page_params

        filt: dict[str, Any] = {}
        raw_filter = p.get("FILTER", p.get("filter"))
        if isinstance(raw_filter, Mapping):
            filt.update(raw_filter)
        reserved = {"sort", "order", "filter", "admin_mode", "select", "start", "image_resize"}
        for key, value in p.items():
            if key.lower() not in reserved and key != "auth":
                filt[key] = value
        if "ID" in filt or "id" in filt:
            filt["ID"] = filt.pop("ID", filt.pop("id", None))
        search = filt.pop("NAME_SEARCH", None) or filt.pop("FIND", None)
        node = parse_v2_filter(filt, _resolve, coerce, strict=False)
        sort = p.get("sort") or p.get("SORT")
        order = []
        if sort:
            resolved = _resolve(str(sort))
            if resolved:
                order = [
                    (resolved[0], str(p.get("order") or p.get("ORDER") or "ASC").upper() == "DESC")
                ]
        start, with_total = page_params(p)
        if search:
            needle = str(search).lower()
            matched, _ = self.table.query(node, order, 0, len(self.table) + 1)
            matched = [
                r for r in matched if needle in f"{r['NAME']} {r['LAST_NAME']} {r['EMAIL']}".lower()
            ]
            total: int | None = len(matched)
            rows = matched[max(start, 0) : max(start, 0) + 50]
        else:
            rows, total = self.table.query(node, order, start, 50, with_total=with_total)
        select = p.get("select")
        sel = [str(s) for s in select] if isinstance(select, list) else None
        return Answer([self.view(r, sel) for r in rows], total=total, start=start)

    def current(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        row = self.table.get(ctx.user_id)
        if row is None:
            raise ApiError("NOT_FOUND", "User not found", 400)
        return self.view(row)

    def add(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        fields = p.get("fields") if isinstance(p.get("fields"), Mapping) else p
        assert isinstance(fields, Mapping)
        email = str(fields.get("EMAIL") or "")
        if "@" not in email:
            raise ApiError("ERROR_ARGUMENT", "wrong_email", 400)
        if any(r.get("EMAIL") == email for r in self.table.rows.values()):
            raise ApiError("ERROR_ARGUMENT", "A user with this email already exists", 400)
        row = self._make(0, "", "", email, "")
        self._write(row, fields)
        return self.table.insert(row)

    def _write(self, row: dict[str, Any], fields: Mapping[str, Any]) -> None:
        declared = self._portal.userfields.of("USER")
        for key, value in fields.items():
            upper = str(key).upper()
            uf = declared.get(upper)
            if uf is not None:
                row[upper] = self._portal.userfields.store(uf, value, row.get(upper))
            elif upper in USER_FIELDS and upper != "ID":
                row[upper] = (
                    coerce(value, USER_FIELDS[upper]) if upper != "UF_DEPARTMENT" else value
                )

    def update(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        try:
            user_id = int(p.get("ID") or p.get("id") or 0)
        except (TypeError, ValueError):
            user_id = 0
        row = self.table.get(user_id)
        if row is None:
            raise ApiError("ERROR_CORE", "User not found", 400)
        self._write(row, p)
        self.table.touch()
        return True

    def fields(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        return {name: name.replace("_", " ").capitalize() for name in USER_FIELDS}

    def register(self, portal: FakePortal) -> None:
        reg = portal.register_v2
        reg("user.get", self.get, "user")
        reg("user.search", self.get, "user")
        reg("user.current", self.current, "user")
        reg("user.add", self.add, "user", write=True)
        reg("user.update", self.update, "user", write=True)
        reg("user.fields", self.fields, "user")
        reg("user.userfield.list", portal.userfields.list_handler("USER"), "user")
