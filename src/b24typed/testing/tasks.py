"""Tasks: ``tasks.task.*`` in REST v2 (``{"task": ...}``, ``{"tasks": [...]}``, lowercase ``id`` in
answers but ``ID`` in filter and order) and REST 3.0 (``{item}``, ``{items}``, triple filters,
``pagination``, the ``tail`` action)."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .crm import iso
from .errors import ApiError, v3_error, validation_error
from .filters import parse_order_v2, parse_order_v3, parse_v2_filter, parse_v3_filter
from .store import Cond, Group, Node, Table, coerce
from .userfields import LEGACY, UserField

if TYPE_CHECKING:
    from .portal import Answer, Ctx, FakePortal

__all__ = ["TaskStore"]

# storage name -> type (storage names are the REST v2 camelCase answer keys)
V2_FIELDS: dict[str, str] = {
    "id": "integer",
    "parentId": "integer",
    "title": "string",
    "description": "string",
    "mark": "string",
    "priority": "integer",
    "status": "integer",
    "groupId": "integer",
    "stageId": "integer",
    "createdBy": "user",
    "responsibleId": "user",
    "changedBy": "user",
    "closedBy": "user",
    "createdDate": "datetime",
    "changedDate": "datetime",
    "closedDate": "datetime",
    "activityDate": "datetime",
    "deadline": "datetime",
    "startDatePlan": "datetime",
    "endDatePlan": "datetime",
    "timeEstimate": "integer",
    "auditors": "user",
    "accomplices": "user",
    "tags": "string",
    "xmlId": "string",
    "descriptionInBbcode": "char",
    "taskControl": "char",
    "allowChangeDeadline": "char",
    "allowTimeTracking": "char",
    "favorite": "char",
}
UF_ENTITY = "TASKS_TASK"
_V2_MULTI = {"auditors", "accomplices", "tags"}
_V2_DEFAULT_SELECT = [
    "id", "parentId", "title", "description", "mark", "priority", "status", "groupId",
    "stageId", "createdBy", "responsibleId", "changedBy", "closedBy", "createdDate",
    "changedDate", "closedDate", "activityDate", "deadline", "startDatePlan", "endDatePlan",
    "timeEstimate", "xmlId", "descriptionInBbcode", "taskControl", "allowChangeDeadline",
    "allowTimeTracking", "favorite",
]  # fmt: skip

# REST 3.0 name -> (storage name, type)
V3_FIELDS: dict[str, tuple[str, str]] = {
    "id": ("id", "integer"),
    "title": ("title", "string"),
    "description": ("description", "string"),
    "creatorId": ("createdBy", "integer"),
    "responsibleId": ("responsibleId", "integer"),
    "deadline": ("deadline", "datetime"),
    "priority": ("priority", "v3priority"),
    "status": ("status", "v3status"),
    "groupId": ("groupId", "integer"),
    "parentId": ("parentId", "integer"),
    "created": ("createdDate", "datetime"),
    "changed": ("changedDate", "datetime"),
    "closed": ("closedDate", "datetime"),
    "activity": ("activityDate", "datetime"),
    "startPlan": ("startDatePlan", "datetime"),
    "endPlan": ("endDatePlan", "datetime"),
    "estimatedTime": ("timeEstimate", "integer"),
    "mark": ("mark", "string"),
    "xmlId": ("xmlId", "string"),
    "needsControl": ("taskControl", "v3bool"),
    "allowsChangeDeadline": ("allowChangeDeadline", "v3bool"),
    "allowsTimeTracking": ("allowTimeTracking", "v3bool"),
    "auditorIds": ("auditors", "integer"),
    "accompliceIds": ("accomplices", "integer"),
}
V3_FILTERABLE = {"id"}
V3_SORTABLE = {
    "id", "title", "creatorId", "created", "responsibleId", "deadline", "startPlan", "endPlan",
    "groupId", "priority", "status", "estimatedTime", "changed", "closed", "activity", "mark",
    "allowsChangeDeadline", "allowsTimeTracking",
}  # fmt: skip
V3_GET_DEFAULT = [k for k in V3_FIELDS if k not in {"auditorIds", "accompliceIds"}]
V3_LIST_LIMIT = 50

_STATUS_V3 = {
    1: "new",
    2: "pending",
    3: "in_progress",
    4: "supposedly_completed",
    5: "completed",
    6: "deferred",
    7: "declined",
}
_STATUS_V2 = {v: k for k, v in _STATUS_V3.items()}
_PRIORITY_V3 = {0: "low", 1: "average", 2: "high"}
_PRIORITY_V2 = {v: k for k, v in _PRIORITY_V3.items()}
_USER_REFS = {"responsible": "responsibleId", "creator": "createdBy"}
_USER_DTO = {"id", "name", "email", "workPosition"}


def _camel(upper: str) -> str:
    parts = upper.lower().split("_")
    return parts[0] + "".join(p.capitalize() for p in parts[1:])


def _v2_resolve(name: str) -> tuple[str, str] | None:
    key = name if name in V2_FIELDS else _camel(name)
    if key == "realStatus":
        key = "status"
    if key in V2_FIELDS:
        return key, V2_FIELDS[key]
    return None


def _v3_resolve(name: str) -> tuple[str, str] | None:
    return V3_FIELDS.get(name)


def _v3_coerce(value: Any, ftype: str) -> Any:
    if isinstance(value, list):
        return [_v3_coerce(v, ftype) for v in value]
    if ftype == "v3status":
        return _STATUS_V2.get(str(value), value)
    if ftype == "v3priority":
        return _PRIORITY_V2.get(str(value), value)
    if ftype == "v3bool":
        return "Y" if value in {True, "Y"} else "N"
    return coerce(value, "integer" if ftype == "integer" else "string")


def _v2_scalar(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return [_v2_scalar(v) for v in value]
    return value


class TaskStore:
    def __init__(self, portal: FakePortal) -> None:
        self._portal = portal
        self.table = Table()

    def seed(self, n: int) -> list[int]:
        rnd = random.Random(f"{self._portal.seed}:tasks:{len(self.table)}")
        users = max(1, len(self._portal.users.table))
        base = self._portal.clock.now() - 86400 * 90
        stamps = [iso(base + i * 86400 * 90 / 200) for i in range(200)]
        start = self.table.next_id
        for i in range(n):
            num = start + i
            created = stamps[(num * 3) % 200]
            self.table.insert(
                {
                    "title": f"Task #{num}",
                    "description": "",
                    "priority": rnd.choice((0, 1, 1, 2)),
                    "status": rnd.choice((2, 2, 3, 5)),
                    "createdBy": 1,
                    "responsibleId": rnd.randint(1, users),
                    "groupId": 0,
                    "createdDate": created,
                    "changedDate": created,
                    "activityDate": created,
                    "deadline": None,
                    "auditors": [],
                    "accomplices": [],
                }
            )
        return list(range(start, start + n))

    def _new(self, ctx: Ctx, values: dict[str, Any]) -> dict[str, Any]:
        now = iso(self._portal.clock.now())
        row: dict[str, Any] = {
            "title": "",
            "description": "",
            "priority": 1,
            "status": 2,
            "createdBy": ctx.user_id,
            "responsibleId": ctx.user_id,
            "groupId": 0,
            "createdDate": now,
            "changedDate": now,
            "activityDate": now,
            "deadline": None,
            "auditors": [],
            "accomplices": [],
        }
        row.update(values)
        self.table.insert(row)
        return row

    # -- REST v2 --------------------------------------------------------------------------
    def _user_field(self, name: str) -> UserField | None:
        """A declared task user field named ``UF_X_Y`` or ``ufXY``."""
        for uf in self._portal.userfields.declared(UF_ENTITY):
            if name in (uf.field_name, _camel(uf.field_name)):
                return uf
        return None

    def _v2_values(
        self, fields: Mapping[str, Any], current: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in fields.items():
            uf = self._user_field(str(key))
            if uf is not None:
                old = (current or {}).get(uf.field_name)
                out[uf.field_name] = self._portal.userfields.store(uf, value, old)
                continue
            resolved = _v2_resolve(str(key))
            if resolved is None or resolved[0] == "id":
                continue
            name, ftype = resolved
            val = coerce(value, ftype)
            if name in _V2_MULTI and not isinstance(val, list):
                val = [] if val in (None, "") else [val]
            out[name] = val
        return out

    def _v2_view(self, row: Mapping[str, Any], select: list[str] | None) -> dict[str, Any]:
        names = _V2_DEFAULT_SELECT
        if select and "*" not in select:
            names = ["id"]
            for s in select:
                resolved = _v2_resolve(s)
                if resolved and resolved[0] not in names:
                    names.append(resolved[0])
        out = {n: _v2_scalar(row.get(n)) for n in names}
        wanted = set(select or ())
        for uf in self._portal.userfields.declared(UF_ENTITY):
            camel = _camel(uf.field_name)
            if not select or "UF_*" in wanted or wanted & {uf.field_name, camel}:
                out[camel] = self._portal.userfields.render(uf, row.get(uf.field_name), LEGACY)
        if "responsibleId" in names:
            rid = row.get("responsibleId") or 0
            out["responsible"] = {
                "id": str(rid),
                "name": self._portal.users.full_name(rid),
                "link": f"/company/personal/user/{rid}/",
                "icon": "/bitrix/images/tasks/default_avatar.png",
            }
        return out

    def _task_id(self, p: Mapping[str, Any], *keys: str) -> int:
        for key in keys:
            if key in p:
                try:
                    return int(p[key])
                except (TypeError, ValueError):
                    raise ApiError("0", "wrong task id", 400) from None
        raise ApiError(
            "100",
            "CTaskItem All parameters in the constructor must have real class type "
            "(internal error)",
            400,
        )

    def _v2_row(self, task_id: int) -> dict[str, Any]:
        row = self.table.get(task_id)
        if row is None:
            raise ApiError("ERROR_CORE", "Task not found or access denied", 400)
        return row

    def v2_add(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        fields = p.get("fields") or {}
        if not isinstance(fields, Mapping):
            raise ApiError("ERROR_CORE", "Parameter 'fields' must be array", 400)
        values = self._v2_values(fields)
        if not str(values.get("title") or "").strip():
            raise ApiError("ERROR_CORE", "Title is not specified", 400)
        row = self._new(ctx, values)
        return {"task": self._v2_view(row, None)}

    def v2_get(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        row = self._v2_row(self._task_id(p, "taskId", "TASKID", "id"))
        select = p.get("select")
        if select is not None and not isinstance(select, list):
            raise ApiError(
                "100",
                "Invalid value {} to match with parameter {select}. Should be value of type "
                "array. (internal error)",
                400,
            )
        return {"task": self._v2_view(row, select)}

    def v2_update(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        row = self._v2_row(self._task_id(p, "taskId", "TASKID", "id"))
        fields = p.get("fields") or {}
        if not isinstance(fields, Mapping):
            raise ApiError("ERROR_CORE", "Parameter 'fields' must be array", 400)
        row.update(self._v2_values(fields, row))
        row["changedDate"] = iso(self._portal.clock.now())
        self.table.touch()
        return {"task": self._v2_view(row, None)}

    def v2_delete(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        task_id = self._task_id(p, "taskId", "TASKID", "id")
        if not self.table.delete(task_id):
            raise ApiError("1048582", "Action not available", 400)
        return {"task": True}

    def v2_list(self, ctx: Ctx, p: dict[str, Any]) -> Answer:
        from .portal import Answer, page_params

        node = parse_v2_filter(p.get("filter"), _v2_resolve, coerce, strict=False)
        try:
            order = parse_order_v2(p.get("order"), _v2_resolve, strict=True)
        except ApiError:
            raise ApiError("0", "Invalid sorting key (internal error)", 400) from None
        start, with_total = page_params(p)
        rows, total = self.table.query(node, order, start, 50, with_total=with_total)
        select = p.get("select")
        sel = [str(s) for s in select] if isinstance(select, list) else None
        return Answer({"tasks": [self._v2_view(r, sel) for r in rows]}, total=total, start=start)

    def v2_fields(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        fields: dict[str, dict[str, Any]] = {}
        for name, ftype in V2_FIELDS.items():
            upper = re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()
            fields[upper] = {"title": upper, "type": ftype}
        for uf in self._portal.userfields.declared(UF_ENTITY):
            fields[uf.field_name] = {"title": uf.label or None, "type": uf.user_type_id}
        return {"fields": fields}

    # -- REST 3.0 -------------------------------------------------------------------------
    def _v3_view(self, row: Mapping[str, Any], select: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in select:
            if "." in name:
                rel, sub = name.split(".", 1)
                if rel not in _USER_REFS:
                    raise v3_error(
                        "UNKNOWNDTOPROPERTYEXCEPTION", f"Unknown field `{rel}` for entity `TaskDto`"
                    )
                if sub not in _USER_DTO:
                    raise v3_error(
                        "UNKNOWNDTOPROPERTYEXCEPTION", f"Unknown field `{sub}` for entity `UserDto`"
                    )
                uid = row.get(_USER_REFS[rel]) or 0
                user = self._portal.users.table.get(uid) or {}
                value = {
                    "id": uid,
                    "name": f"{user.get('NAME', '')} {user.get('LAST_NAME', '')}".strip(),
                    "email": user.get("EMAIL"),
                    "workPosition": user.get("WORK_POSITION"),
                }[sub]
                out.setdefault(rel, {})[sub] = value
                continue
            spec = V3_FIELDS.get(name)
            if spec is None:
                continue  # unknown own fields are silently omitted
            store_name, ftype = spec
            value = row.get(store_name)
            if ftype == "v3status":
                value = _STATUS_V3.get(value or 2, "pending")
            elif ftype == "v3priority":
                value = _PRIORITY_V3.get(value if value is not None else 1, "average")
            elif ftype == "v3bool":
                value = value == "Y"
            elif ftype == "integer" and store_name in {"groupId", "parentId"} and not value:
                value = None
            out[name] = value
        return out

    @staticmethod
    def _v3_select(p: Mapping[str, Any], default: list[str]) -> list[str]:
        select = p.get("select")
        if select is None:
            return default
        if not isinstance(select, list):
            raise validation_error("select", "Field `select` requires data type `array`")
        names = [str(s) for s in select]
        return names if names else default

    @staticmethod
    def _v3_id(p: Mapping[str, Any]) -> int:
        if "id" not in p:
            raise validation_error("id", "Required field `id` is missing")
        value = p["id"]
        if isinstance(value, bool) or not isinstance(value, int):
            raise validation_error("id", "Field `id` requires data type `int` for this request")
        return value

    def v3_get(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        task_id = self._v3_id(p)
        row = self.table.get(task_id)
        if row is None:
            raise v3_error("ENTITYNOTFOUNDEXCEPTION", f"Record with ID = `{task_id}` not found")
        return {"item": self._v3_view(row, self._v3_select(p, V3_GET_DEFAULT))}

    def _v3_values(self, fields: Any) -> dict[str, Any]:
        if not isinstance(fields, Mapping):
            raise validation_error("fields", "Required field `fields` is missing")
        out: dict[str, Any] = {}
        for key, value in fields.items():
            spec = V3_FIELDS.get(str(key))
            if spec is None or key == "id":
                continue
            store_name, ftype = spec
            if (
                ftype == "integer"
                and value is not None
                and (isinstance(value, bool) or not isinstance(value, int))
            ):
                raise validation_error(
                    str(key), f"Field `{key}` requires data type `int` for this request"
                )
            out[store_name] = _v3_coerce(value, ftype)
        return out

    def v3_add(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        fields = p.get("fields")
        values = self._v3_values(fields)
        assert isinstance(fields, Mapping)
        for required in ("title", "creatorId", "responsibleId"):
            if required not in fields:
                raise validation_error(required, f"Required field `{required}` is missing")
        for ref in ("createdBy", "responsibleId"):
            if not self._portal.users.exists(int(values.get(ref) or 0)):
                raise validation_error(
                    "responsibleId" if ref == "responsibleId" else "creatorId",
                    "User specified in the field not found",
                )
        row = self._new(ctx, values)
        return {"item": self._v3_view(row, V3_GET_DEFAULT)}

    def v3_update(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        task_id = self._v3_id(p)
        row = self.table.get(task_id)
        if row is None:
            raise v3_error("ENTITYNOTFOUNDEXCEPTION", f"Record with ID = `{task_id}` not found")
        row.update(self._v3_values(p.get("fields")))
        row["changedDate"] = iso(self._portal.clock.now())
        self.table.touch()
        return {"result": True}

    def v3_delete(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        task_id = self._v3_id(p)
        if not self.table.delete(task_id):
            raise v3_error("ENTITYNOTFOUNDEXCEPTION", f"Record with ID = `{task_id}` not found")
        return {"result": True}

    @staticmethod
    def _pagination(raw: Any, cap: int) -> tuple[int, int]:
        if raw is None:
            return 0, cap
        if not isinstance(raw, Mapping):
            raise v3_error(
                "INVALIDPAGINATIONEXCEPTION",
                f"Unable to recognize the pagination parameter `{json.dumps(raw)}`",
            )
        values: dict[str, int] = {}
        for key in ("page", "limit", "offset"):
            if key not in raw or raw[key] is None:
                continue
            value = raw[key]
            if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int):
                raise v3_error(
                    "INVALIDPAGINATIONEXCEPTION",
                    f"Unable to recognize the pagination parameter `{json.dumps({key: raw[key]})}`",
                )
            values[key] = value
        limit = values.get("limit", cap)
        if limit == 0:
            raise v3_error(
                "INVALIDPAGINATIONEXCEPTION",
                f"Unable to recognize the pagination parameter `{json.dumps({'limit': 0})}`",
            )
        if limit < 0:  # measured on live portals (b24jssdk#531): a 500, not a 400
            raise v3_error("INTERNAL_INTERNALEXCEPTION", "Internal error", 500)
        limit = min(limit, cap)
        page = values.get("page", 0)
        offset = values.get("offset", 0)
        if page > 1:
            offset += (page - 1) * limit
        return max(0, offset), limit

    def v3_list(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        node = parse_v3_filter(
            p.get("filter"),
            _v3_resolve,
            _v3_coerce,
            filterable=lambda f: f in V3_FILTERABLE,
            entity="TaskDto",
        )
        order = parse_order_v3(p.get("order"), _v3_resolve, lambda f: f in V3_SORTABLE)
        offset, limit = self._pagination(p.get("pagination"), V3_LIST_LIMIT)
        rows, _ = self.table.query(node, order, offset, limit, with_total=False)
        select = self._v3_select(p, ["id"])
        return {"items": [self._v3_view(r, select) for r in rows]}

    def v3_tail(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        cursor = p.get("cursor") or {}
        if not isinstance(cursor, Mapping):
            raise validation_error("cursor", "Field `cursor` requires data type `object`")
        cfield = str(cursor.get("field", "id"))
        direction = str(cursor.get("order", "ASC")).upper()
        if direction not in {"ASC", "DESC"} or cfield not in V3_SORTABLE:
            raise validation_error("cursor", "Unable to recognize the cursor parameter")
        raw_filter = p.get("filter") or []
        if isinstance(raw_filter, list) and any(
            isinstance(c, list) and c and c[0] == cfield for c in raw_filter
        ):
            raise v3_error(
                "INVALIDFILTEREXCEPTION",
                f"The cursor field `{cfield}` must not be used in the filter",
            )
        node = parse_v3_filter(raw_filter, _v3_resolve, _v3_coerce, entity="TaskDto")
        store_name, ftype = V3_FIELDS[cfield]
        value = cursor.get("value", 0)
        try:
            limit = int(cursor.get("limit", 50))
        except (TypeError, ValueError):
            raise v3_error(
                "INVALIDPAGINATIONEXCEPTION", "Unable to recognize the cursor limit"
            ) from None
        if limit <= 0:
            raise v3_error("INVALIDPAGINATIONEXCEPTION", "Unable to recognize the cursor limit")
        cond: Node = Cond(store_name, ">" if direction == "ASC" else "<", _v3_coerce(value, ftype))
        full = Group("and", False, [cond] + ([node] if node is not None else []))
        rows, _ = self.table.query(
            full, [(store_name, direction == "DESC")], 0, min(limit, 1000), with_total=False
        )
        select = self._v3_select(p, ["id"])
        if cfield not in select:
            select = [*select, cfield]
        return {"items": [self._v3_view(r, select) for r in rows]}

    def register(self, portal: FakePortal) -> None:
        reg2 = portal.register_v2
        reg2("tasks.task.add", self.v2_add, "task", write=True)
        reg2("tasks.task.get", self.v2_get, "task")
        reg2("tasks.task.update", self.v2_update, "task", write=True)
        reg2("tasks.task.delete", self.v2_delete, "task", write=True)
        reg2("tasks.task.list", self.v2_list, "task")
        reg2("tasks.task.getFields", self.v2_fields, "task")
        reg2("task.item.userfield.getlist", portal.userfields.list_handler(UF_ENTITY), "task")
        reg3 = portal.register_v3
        reg3("tasks.task.add", self.v3_add, "task", write=True)
        reg3("tasks.task.get", self.v3_get, "task")
        reg3("tasks.task.update", self.v3_update, "task", write=True)
        reg3("tasks.task.delete", self.v3_delete, "task", write=True)
        reg3("tasks.task.list", self.v3_list, "task")
        reg3("tasks.task.tail", self.v3_tail, "task")
