"""CRM data: leads, deals, contacts, companies and smart processes over one store.

``crm.item.*`` speaks camelCase with native JSON types; the older ``crm.deal/lead/contact/
company.*`` methods read and write the same rows with UPPER_CASE names and every scalar as a
string, as real portals send them. Field names follow the Bitrix24 REST documentation.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from .errors import ApiError
from .filters import parse_order_v2, parse_v2_filter
from .store import Table, coerce
from .userfields import ITEM, LEGACY, UserField, UserFields

if TYPE_CHECKING:
    from .portal import Answer, Ctx, FakePortal

__all__ = ["CrmStore", "EntityType", "FieldSpec"]

TZ = timezone(timedelta(hours=3))


@dataclass(frozen=True)
class FieldSpec:
    camel: str
    legacy: str  # UPPER name used by crm.deal.* and friends ("" = not in the older API)
    type: str
    read_only: bool = False
    multiple: bool = False
    title: str = ""

    @property
    def upper(self) -> str:
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.camel).upper()


def _specs(table: str) -> list[FieldSpec]:
    out = []
    for line in table.split():
        parts = line.split(":")
        camel, legacy, ftype = parts[0], parts[1], parts[2]
        flags = parts[3] if len(parts) > 3 else ""
        out.append(
            FieldSpec(
                camel,
                legacy,
                ftype,
                read_only="r" in flags,
                multiple="m" in flags,
                title=re.sub(r"(?<!^)(?=[A-Z])", " ", camel).capitalize(),
            )
        )
    return out


_COMMON = """
id:ID:integer:r createdTime:DATE_CREATE:datetime:r updatedTime:DATE_MODIFY:datetime:r
createdBy:CREATED_BY_ID:user:r updatedBy:MODIFY_BY_ID:user:r assignedById:ASSIGNED_BY_ID:user
opened:OPENED:char comments:COMMENTS:string sourceId:SOURCE_ID:crm_status
sourceDescription:SOURCE_DESCRIPTION:string originatorId:ORIGINATOR_ID:string
originId:ORIGIN_ID:string lastActivityTime:LAST_ACTIVITY_TIME:datetime:r
lastActivityBy:LAST_ACTIVITY_BY:user:r utmSource:UTM_SOURCE:string utmMedium:UTM_MEDIUM:string
utmCampaign:UTM_CAMPAIGN:string utmContent:UTM_CONTENT:string utmTerm:UTM_TERM:string
"""

_DEAL = (
    _COMMON
    + """
title:TITLE:string typeId:TYPE_ID:crm_status categoryId:CATEGORY_ID:crm_category
stageId:STAGE_ID:crm_status stageSemanticId:STAGE_SEMANTIC_ID:string:r isNew:IS_NEW:char:r
isRecurring:IS_RECURRING:char isReturnCustomer:IS_RETURN_CUSTOMER:char:r
isRepeatedApproach:IS_REPEATED_APPROACH:char:r probability:PROBABILITY:integer
currencyId:CURRENCY_ID:crm_currency opportunity:OPPORTUNITY:double
isManualOpportunity:IS_MANUAL_OPPORTUNITY:char taxValue:TAX_VALUE:double
companyId:COMPANY_ID:crm_company contactId:CONTACT_ID:crm_contact
contactIds::crm_contact:m quoteId:QUOTE_ID:integer leadId:LEAD_ID:crm_lead
begindate:BEGINDATE:date closedate:CLOSEDATE:date closed:CLOSED:char
additionalInfo:ADDITIONAL_INFO:string locationId:LOCATION_ID:string
movedBy:MOVED_BY_ID:user:r movedTime:MOVED_TIME:datetime:r observers::user:m
"""
)

_LEAD = (
    _COMMON
    + """
title:TITLE:string honorific:HONORIFIC:crm_status name:NAME:string secondName:SECOND_NAME:string
lastName:LAST_NAME:string birthdate:BIRTHDATE:date companyTitle:COMPANY_TITLE:string
post:POST:string address:ADDRESS:string stageId:STATUS_ID:crm_status
statusDescription:STATUS_DESCRIPTION:string stageSemanticId:STATUS_SEMANTIC_ID:string:r
currencyId:CURRENCY_ID:crm_currency opportunity:OPPORTUNITY:double
isManualOpportunity:IS_MANUAL_OPPORTUNITY:char companyId:COMPANY_ID:crm_company
contactId:CONTACT_ID:crm_contact contactIds::crm_contact:m
isReturnCustomer:IS_RETURN_CUSTOMER:char:r dateClosed:DATE_CLOSED:datetime:r
hasPhone:HAS_PHONE:char:r hasEmail:HAS_EMAIL:char:r hasImol:HAS_IMOL:char:r
movedBy:MOVED_BY_ID:user:r movedTime:MOVED_TIME:datetime:r observers::user:m
"""
)

_CONTACT = (
    _COMMON
    + """
honorific:HONORIFIC:crm_status name:NAME:string secondName:SECOND_NAME:string
lastName:LAST_NAME:string photo:PHOTO:file birthdate:BIRTHDATE:date typeId:TYPE_ID:crm_status
post:POST:string export:EXPORT:char companyId:COMPANY_ID:crm_company
companyIds::crm_company:m leadId:LEAD_ID:crm_lead hasPhone:HAS_PHONE:char:r
hasEmail:HAS_EMAIL:char:r hasImol:HAS_IMOL:char:r observers::user:m
"""
)

_COMPANY = (
    _COMMON
    + """
title:TITLE:string companyType:COMPANY_TYPE:crm_status logo:LOGO:file
industry:INDUSTRY:crm_status revenue:REVENUE:double currencyId:CURRENCY_ID:crm_currency
employees:EMPLOYEES:crm_status bankingDetails:BANKING_DETAILS:string
isMyCompany:IS_MY_COMPANY:char contactIds::crm_contact:m leadId:LEAD_ID:crm_lead
hasPhone:HAS_PHONE:char:r hasEmail:HAS_EMAIL:char:r hasImol:HAS_IMOL:char:r observers::user:m
"""
)

_DYNAMIC = """
id::integer:r xmlId::string title::string createdBy::user:r updatedBy::user:r
movedBy::user:r createdTime::datetime:r updatedTime::datetime:r movedTime::datetime:r
categoryId::crm_category opened::char stageId::crm_status previousStageId::crm_status:r
begindate::date closedate::date companyId::crm_company contactId::crm_contact
contactIds::crm_contact:m opportunity::double isManualOpportunity::char taxValue::double
currencyId::crm_currency mycompanyId::crm_company sourceId::crm_status
sourceDescription::string assignedById::user observers::user:m
lastActivityTime::datetime:r lastActivityBy::user:r
"""

# fields that read as null/0/"N" until set (crm.item answers every field)
_DEFAULTS: dict[str, Any] = {
    "opened": "Y",
    "closed": "N",
    "isNew": "N",
    "isRecurring": "N",
    "isReturnCustomer": "N",
    "isRepeatedApproach": "N",
    "isManualOpportunity": "N",
    "hasPhone": "N",
    "hasEmail": "N",
    "hasImol": "N",
    "export": "Y",
    "isMyCompany": "N",
    "categoryId": 0,
    "opportunity": 0.0,
    "taxValue": 0.0,
    "probability": None,
    "companyId": 0,
    "contactId": 0,
    "currencyId": "USD",
    "contactIds": [],
    "companyIds": [],
    "observers": [],
}

FM_TYPES = ("PHONE", "EMAIL", "WEB", "IM")
_LEGACY_NAMES = {1: "lead", 2: "deal", 3: "contact", 4: "company"}
_TITLES = {1: "Lead", 2: "Deal", 3: "Contact", 4: "Company"}

_UF_CAMEL = re.compile(r"ufCrm(\d*)_(\w+)")
_UF_UPPER = re.compile(r"UF_CRM_(\w+)")


def uf_to_camel(upper: str) -> str:
    rest = upper[len("UF_CRM_") :]
    m = re.fullmatch(r"(\d+)_(\w+)", rest)
    if m and len(m.group(1)) < 6:
        return f"ufCrm{m.group(1)}_{m.group(2)}"
    return f"ufCrm_{rest}"


def uf_to_upper(camel: str) -> str | None:
    m = _UF_CAMEL.fullmatch(camel)
    if not m:
        return None
    return f"UF_CRM_{m.group(1)}_{m.group(2)}" if m.group(1) else f"UF_CRM_{m.group(2)}"


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, TZ).isoformat(timespec="seconds")


@dataclass
class EntityType:
    entity_type_id: int
    title: str
    fields: list[FieldSpec]
    userfields: UserFields
    uf_entity: str  # the user field entity id: CRM_DEAL, CRM_3 (smart process type 3), ...
    table: Table = field(default_factory=Table)

    fm_next: int = 0
    type_id: int = 0  # crm.type id of a smart process
    created: str = ""
    type_flags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_camel = {f.camel: f for f in self.fields}
        self.by_legacy = {f.legacy: f for f in self.fields if f.legacy}
        self._defaults = [(f.camel, _DEFAULTS.get(f.camel)) for f in self.fields]
        self._legacy = [
            (f.legacy, f.camel, _DEFAULTS.get(f.camel)) for f in self.fields if f.legacy
        ]

    @property
    def user_fields(self) -> dict[str, UserField]:
        return self.userfields.of(self.uf_entity)

    def _uf_type(self, upper: str) -> str:
        uf = self.user_fields.get(upper)
        return uf.store_type if uf is not None else "string"

    def _store_uf(self, upper: str, value: Any, current: Mapping[str, Any] | None) -> Any:
        uf = self.user_fields.get(upper) or self.userfields.ad_hoc(self.uf_entity, upper)
        return self.userfields.store(uf, value, (current or {}).get(upper))

    def _render_uf(self, uf: UserField, row: Mapping[str, Any], style: str) -> Any:
        return self.userfields.render(uf, row.get(uf.field_name), style)

    # -- name resolution ------------------------------------------------------------------
    def resolve_item(self, name: str) -> tuple[str, str] | None:
        spec = self.by_camel.get(name)
        if spec is not None:
            return spec.camel, spec.type
        upper = uf_to_upper(name) or (name if name.startswith("UF_CRM_") else None)
        if upper is not None:
            return upper, self._uf_type(upper)
        spec = self._by_item_upper().get(name)
        if spec is not None:
            return spec.camel, spec.type
        return None

    def _by_item_upper(self) -> dict[str, FieldSpec]:
        return {f.upper: f for f in self.fields}

    def resolve_legacy(self, name: str) -> tuple[str, str] | None:
        if self.has_fm and name.upper() in FM_TYPES:
            return name.upper(), "string"
        spec = self.by_legacy.get(name.upper())
        if spec is not None:
            return spec.camel, spec.type
        if name.upper().startswith("UF_"):
            return name.upper(), self._uf_type(name.upper())
        return None

    # -- writes ---------------------------------------------------------------------------
    def write_fields(
        self, raw: Mapping[str, Any], *, legacy: bool, current: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Convert incoming fields to storage names; read-only and unknown fields are dropped
        (``current``: the row being updated, for user fields that keep a value by id)."""
        out: dict[str, Any] = {}
        for key, value in raw.items():
            name = str(key)
            if legacy:
                spec = self.by_legacy.get(name.upper())
                if spec is None and name.upper().startswith("UF_CRM_"):
                    out[name.upper()] = self._store_uf(name.upper(), value, current)
                    continue
            else:
                spec = self.by_camel.get(name)
                upper = uf_to_upper(name) or (name if name.startswith("UF_CRM_") else None)
                if spec is None and upper is not None:
                    out[upper] = self._store_uf(upper, value, current)
                    continue
            if spec is None or spec.read_only:
                continue
            val = coerce(value, spec.type)
            if spec.multiple and val is not None and not isinstance(val, list):
                val = [val]
            out[spec.camel] = val
        return out

    # -- multi-fields (phones, e-mails, sites, messengers) -----------------------------------
    @property
    def has_fm(self) -> bool:
        return self.entity_type_id in {1, 3, 4}

    def apply_fm(self, row: dict[str, Any], raw: Mapping[str, Any], *, legacy: bool) -> None:
        """Store ``PHONE``/``EMAIL``/``WEB``/``IM`` (older API) or ``fm`` (crm.item) values."""
        if not self.has_fm:
            return
        current: list[dict[str, Any]] = list(row.get("fm") or [])
        changes: list[tuple[str, Any]] = []
        if legacy:
            for type_id in FM_TYPES:
                if type_id in raw or type_id.lower() in raw:
                    changes.append((type_id, raw.get(type_id, raw.get(type_id.lower()))))
        elif "fm" in raw:
            current = []
            entries = raw["fm"]
            if isinstance(entries, Mapping):
                entries = list(entries.values())
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, Mapping):
                    changes.append((str(entry.get("typeId", "PHONE")).upper(), [entry]))
        if not changes:
            return
        for type_id, values in changes:
            items = list(values.values()) if isinstance(values, Mapping) else values
            for entry in items if isinstance(items, list) else []:
                if not isinstance(entry, Mapping):
                    continue
                value = entry.get("VALUE", entry.get("value"))
                vtype = entry.get("VALUE_TYPE", entry.get("valueType")) or "WORK"
                raw_id = entry.get("ID", entry.get("id"))
                existing = next((f for f in current if str(f["id"]) == str(raw_id)), None)
                if existing is not None:
                    if str(entry.get("DELETE", "N")).upper() == "Y" or value in (None, ""):
                        current.remove(existing)
                    else:
                        existing.update(value=str(value), valueType=str(vtype))
                elif value not in (None, ""):
                    self.fm_next += 1
                    current.append(
                        {"id": self.fm_next, "valueType": str(vtype), "value": str(value),
                         "typeId": type_id}
                    )  # fmt: skip
        row["fm"] = current
        for type_id in FM_TYPES:
            row[type_id] = [f["value"] for f in current if f["typeId"] == type_id]
        row["hasPhone"] = "Y" if row["PHONE"] else "N"
        row["hasEmail"] = "Y" if row["EMAIL"] else "N"
        row["hasImol"] = "Y" if row["IM"] else "N"

    # -- reads ----------------------------------------------------------------------------
    def full_row(self, row: Mapping[str, Any]) -> dict[str, Any]:
        return {name: row.get(name, default) for name, default in self._defaults}

    def item_view(
        self, row: Mapping[str, Any], select: list[str] | None, *, original_uf: bool = False
    ) -> dict[str, Any]:
        if select and "*" not in select:
            out: dict[str, Any] = {"id": row.get("id")}
            for name in select:
                if name == "UF_*":
                    for uf in self.user_fields.values():
                        key = uf.field_name if original_uf else uf_to_camel(uf.field_name)
                        out[key] = self._render_uf(uf, row, ITEM)
                elif name in self.by_camel:
                    out[name] = row.get(name, _DEFAULTS.get(name))
                elif name == "entityTypeId":
                    out[name] = self.entity_type_id
                else:
                    upper = name if name.startswith("UF_CRM_") else uf_to_upper(name)
                    if upper is not None and upper in self.user_fields:
                        out[upper if original_uf else uf_to_camel(upper)] = self._render_uf(
                            self.user_fields[upper], row, ITEM
                        )
            return out
        full = self.full_row(row)
        for uf in self.user_fields.values():
            key = uf.field_name if original_uf else uf_to_camel(uf.field_name)
            full[key] = self._render_uf(uf, row, ITEM)
        full["entityTypeId"] = self.entity_type_id
        if self.has_fm:
            full["fm"] = [dict(f) for f in row.get("fm") or []]
        return full

    def legacy_view(
        self, row: Mapping[str, Any], select: list[str] | None, *, all_uf: bool = False
    ) -> dict[str, Any]:
        names = {s.upper() for s in select} if select else {"*"}
        with_std = "*" in names
        with_uf = all_uf or "UF_*" in names
        out: dict[str, Any] = {}
        get = row.get
        for legacy, camel, default in self._legacy:
            if with_std or legacy in names or legacy == "ID":
                value = get(camel, default)
                out[legacy] = value if value is None or type(value) is str else legacy_scalar(value)
        for uf in self.user_fields.values():
            if with_uf or uf.field_name in names:
                out[uf.field_name] = (
                    self._render_uf(uf, row, LEGACY)
                    if uf.declared
                    else legacy_scalar(row.get(uf.field_name))
                )
        if self.has_fm and row.get("fm"):
            for type_id in FM_TYPES:
                if select is None and not all_uf:
                    break  # lists answer multi-fields only when selected
                if all_uf or type_id in names:
                    values = [f for f in row["fm"] if f["typeId"] == type_id]
                    if values:
                        out[type_id] = [
                            {"ID": str(f["id"]), "VALUE_TYPE": f["valueType"],
                             "VALUE": f["value"], "TYPE_ID": type_id}
                            for f in values
                        ]  # fmt: skip
        return out


def legacy_scalar(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return [legacy_scalar(v) for v in value]
    return value


def _field_info(spec: FieldSpec, *, item: bool) -> dict[str, Any]:
    info: dict[str, Any] = {
        "type": spec.type,
        "isRequired": False,
        "isReadOnly": spec.read_only,
        "isImmutable": False,
        "isMultiple": spec.multiple,
        "isDynamic": False,
        "title": spec.title,
    }
    if item:
        info["upperName"] = spec.upper
    return info


_STAGES = {
    2: ["NEW", "PREPARATION", "PREPAYMENT_INVOICE", "EXECUTING", "FINAL_INVOICE", "WON", "LOSE"],
    1: ["NEW", "IN_PROCESS", "PROCESSED", "CONVERTED", "JUNK"],
}
_FIRST = ["Anna", "Boris", "Clara", "Dmitry", "Elena", "Fedor", "Galina", "Hans", "Irina", "Jan"]
_LAST = ["Ivanova", "Petrov", "Schmidt", "Weber", "Novak", "Smith", "Kowalski", "Meyer"]
_SOURCES = ["CALL", "EMAIL", "WEB", "ADVERTISING", "PARTNER", "TRADE_SHOW", "OTHER"]


class CrmStore:
    """All CRM entity types of one portal, plus the ``portal.crm.seed_*`` helpers."""

    def __init__(self, portal: FakePortal, userfields: UserFields) -> None:
        self._portal = portal
        self._type_seq = 0
        self.userfields = userfields
        self.types: dict[int, EntityType] = {
            etid: EntityType(etid, _TITLES[etid], _specs(table), userfields,
                             f"CRM_{_LEGACY_NAMES[etid].upper()}")
            for etid, table in ((1, _LEAD), (2, _DEAL), (3, _CONTACT), (4, _COMPANY))
        }  # fmt: skip

    def add_smart_process(self, entity_type_id: int, title: str = "") -> EntityType:
        if entity_type_id < 128:
            raise ValueError("smart process entityTypeId starts at 128")
        if entity_type_id not in self.types:
            self._type_seq += 1
            et = EntityType(
                entity_type_id,
                title or f"Smart process {entity_type_id}",
                _specs(_DYNAMIC),
                self.userfields,
                f"CRM_{self._type_seq}",
            )
            et.type_id = self._type_seq
            et.created = iso(self._portal.clock.now())
            self.types[entity_type_id] = et
        return self.types[entity_type_id]

    # -- crm.type.* (smart process types) -------------------------------------------------
    def _type_view(self, et: EntityType) -> dict[str, Any]:
        flags = ("isCategoriesEnabled", "isStagesEnabled", "isBeginCloseDatesEnabled",
                 "isClientEnabled", "isLinkWithProductsEnabled", "isMycompanyEnabled",
                 "isDocumentsEnabled", "isSourceEnabled", "isUseInUserfieldEnabled",
                 "isObserversEnabled", "isRecyclebinEnabled", "isAutomationEnabled",
                 "isBizProcEnabled", "isSetOpenPermissions", "isPaymentsEnabled",
                 "isCountersEnabled")  # fmt: skip
        view: dict[str, Any] = {
            "id": et.type_id, "title": et.title, "code": "", "createdBy": 1,
            "entityTypeId": et.entity_type_id, "customSectionId": None,
            "createdTime": et.created, "updatedTime": et.created, "updatedBy": 1,
        }  # fmt: skip
        view.update({flag: et.type_flags.get(flag, "Y") for flag in flags})
        return view

    def _type_by_id(self, p: Mapping[str, Any]) -> EntityType:
        try:
            wanted = int(p.get("id") or 0)
        except (TypeError, ValueError):
            wanted = 0
        for et in self.types.values():
            if et.entity_type_id >= 128 and et.type_id == wanted:
                return et
        raise ApiError("NOT_FOUND", "Smart process not found", 400)

    def type_add(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        fields = p.get("fields") or {}
        if not isinstance(fields, Mapping) or not str(fields.get("title") or "").strip():
            raise ApiError("CRM_FIELD_ERROR_REQUIRED", "Field title is required", 400)
        try:
            etid = int(fields.get("entityTypeId") or 0)
        except (TypeError, ValueError):
            etid = 0
        if etid and (etid < 128 or etid in self.types):
            raise ApiError("INVALID_ARG_VALUE", "Invalid value for entityTypeId", 400)
        if not etid:
            etid = max([128, *(t + 2 for t in self.types if t >= 128)])
        et = self.add_smart_process(etid, str(fields["title"]))
        et.type_flags.update({k: str(v) for k, v in fields.items() if str(k).startswith("is")})
        return {"type": self._type_view(et)}

    def type_get(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        return {"type": self._type_view(self._type_by_id(p))}

    def type_update(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        et = self._type_by_id(p)
        fields = p.get("fields") or {}
        if isinstance(fields, Mapping):
            if fields.get("title"):
                et.title = str(fields["title"])
            et.type_flags.update({k: str(v) for k, v in fields.items() if str(k).startswith("is")})
        return {"type": self._type_view(et)}

    def type_delete(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        et = self._type_by_id(p)
        if len(et.table):
            raise ApiError("CRM_TYPE_HAS_ITEMS", "Smart process has items", 400)
        del self.types[et.entity_type_id]
        return None

    def type_list(self, ctx: Ctx, p: dict[str, Any]) -> Answer:
        from .portal import Answer, page_params

        table = Table()
        for et in sorted(self.types.values(), key=lambda e: e.type_id):
            if et.entity_type_id >= 128:
                row = self._type_view(et)
                table.rows[row["id"]] = row
                table.ids.append(row["id"])

        def resolve(name: str) -> tuple[str, str] | None:
            return (name, "integer" if name in {"id", "entityTypeId"} else "string")

        node = parse_v2_filter(p.get("filter"), resolve, coerce, strict=False)
        order = parse_order_v2(p.get("order"), resolve, strict=False)
        start, with_total = page_params(p)
        rows, total = table.query(node, order, start, 50, with_total=with_total)
        return Answer({"types": rows}, total=total, start=start)

    def add_user_field(
        self, entity_type_id: int, name: str, type: str = "string", **options: Any
    ) -> UserField:
        """Declare a user field on a CRM entity type (options: see ``UserFields.add``)."""
        et = self.types[entity_type_id]
        return self.userfields.add(et.uf_entity, name, type, **options)

    def table(self, entity_type_id: int) -> Table:
        return self.types[entity_type_id].table

    # -- seeding --------------------------------------------------------------------------
    def _seed(self, entity_type_id: int, n: int) -> list[int]:
        et = self.types[entity_type_id]
        rnd = random.Random(f"{self._portal.seed}:{entity_type_id}:{len(et.table)}")
        base = self._portal.clock.now() - 86400 * 365
        # a few hundred distinct timestamps, shared between rows
        stamps = [iso(base + i * 86400 * 365 / 400) for i in range(400)]
        users = max(1, len(self._portal.users.table)) if hasattr(self._portal, "users") else 1
        stages = _STAGES.get(entity_type_id, ["NEW", "PREPARATION", "CLIENT", "SUCCESS", "FAIL"])
        label = _TITLES.get(entity_type_id, et.title)
        start = et.table.next_id
        rows: list[dict[str, Any]] = []
        choice = rnd.choice
        randint = rnd.randint
        for i in range(n):
            num = start + i
            created = stamps[(num * 7) % 400]
            row: dict[str, Any] = {
                "createdTime": created,
                "updatedTime": created,
                "createdBy": 1,
                "updatedBy": 1,
                "assignedById": randint(1, users),
                "sourceId": choice(_SOURCES),
            }
            if entity_type_id in (1, 3):
                row["name"] = choice(_FIRST)
                row["lastName"] = choice(_LAST)
            if entity_type_id != 3:
                row["title"] = f"{label} #{num}"
            if entity_type_id not in {3, 4}:
                stage = choice(stages)
                row["stageId"] = stage
                row["stageSemanticId"] = (
                    "S"
                    if stage in {"WON", "CONVERTED", "SUCCESS"}
                    else "F"
                    if stage in {"LOSE", "JUNK", "FAIL"}
                    else "P"
                )
                row["opportunity"] = float(randint(1, 2000) * 50)
                row["currencyId"] = "USD"
            if entity_type_id == 4:
                row["revenue"] = float(randint(1, 1000) * 1000)
            rows.append(row)
        et.table.bulk_insert(rows)
        return list(range(start, start + n))

    def seed_leads(self, n: int) -> list[int]:
        return self._seed(1, n)

    def seed_deals(self, n: int) -> list[int]:
        return self._seed(2, n)

    def seed_contacts(self, n: int) -> list[int]:
        return self._seed(3, n)

    def seed_companies(self, n: int) -> list[int]:
        return self._seed(4, n)

    def seed_items(self, entity_type_id: int, n: int) -> list[int]:
        if entity_type_id not in self.types:
            self.add_smart_process(entity_type_id)
        return self._seed(entity_type_id, n)

    # -- shared helpers -------------------------------------------------------------------
    def _entity(self, raw: Any) -> EntityType:
        try:
            etid = int(raw)
        except (TypeError, ValueError):
            raise ApiError("NOT_FOUND", "SPA not found", 400) from None
        et = self.types.get(etid)
        if et is None:
            raise ApiError("NOT_FOUND", "SPA not found", 400)
        return et

    def _stamp(self, ctx: Ctx, row: dict[str, Any], *, created: bool) -> None:
        now = iso(self._portal.clock.now())
        row["updatedTime"] = now
        row["updatedBy"] = ctx.user_id
        if created:
            row["createdTime"] = now
            row["createdBy"] = ctx.user_id
            row.setdefault("assignedById", ctx.user_id)

    # -- crm.item.* -----------------------------------------------------------------------
    def item_add(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        et = self._entity(p.get("entityTypeId"))
        fields = p.get("fields") or {}
        if not isinstance(fields, Mapping):
            raise ApiError("INVALID_ARG_VALUE", "Parameter 'fields' must be array.", 400)
        row = et.write_fields(fields, legacy=False)
        et.apply_fm(row, fields, legacy=False)
        self._stamp(ctx, row, created=True)
        et.table.insert(row)
        return {"item": et.item_view(row, None, original_uf=_original(p))}

    def _item_id(self, p: Mapping[str, Any]) -> int:
        try:
            return int(p.get("id") or 0)
        except (TypeError, ValueError):
            return 0

    def item_get(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        et = self._entity(p.get("entityTypeId"))
        row = et.table.get(self._item_id(p))
        if row is None:
            raise ApiError("NOT_FOUND", "Element not found", 400)
        return {"item": et.item_view(row, None, original_uf=_original(p))}

    def item_update(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        et = self._entity(p.get("entityTypeId"))
        row = et.table.get(self._item_id(p))
        if row is None:
            raise ApiError("NOT_FOUND", "Element not found", 400)
        fields = p.get("fields") or {}
        if not isinstance(fields, Mapping):
            raise ApiError("INVALID_ARG_VALUE", "Parameter 'fields' must be array.", 400)
        row.update(et.write_fields(fields, legacy=False, current=row))
        et.apply_fm(row, fields, legacy=False)
        self._stamp(ctx, row, created=False)
        et.table.touch()
        return {"item": et.item_view(row, None, original_uf=_original(p))}

    def item_delete(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        et = self._entity(p.get("entityTypeId"))
        if not et.table.delete(self._item_id(p)):
            raise ApiError("NOT_FOUND", "Element not found", 400)
        return None

    def item_fields(self, ctx: Ctx, p: dict[str, Any]) -> Any:
        et = self._entity(p.get("entityTypeId"))
        fields = {spec.camel: _field_info(spec, item=True) for spec in et.fields}
        for uf in et.userfields.declared(et.uf_entity):
            fields[uf_to_camel(uf.field_name)] = uf.fields_view(item=True)
        return {"fields": fields}

    def item_list(self, ctx: Ctx, p: dict[str, Any]) -> Answer:
        from .portal import Answer, page_params

        et = self._entity(p.get("entityTypeId"))
        node = parse_v2_filter(p.get("filter"), et.resolve_item, coerce, strict=True)
        order = parse_order_v2(p.get("order"), et.resolve_item, strict=True)
        start, with_total = page_params(p)
        rows, total = et.table.query(node, order, start, 50, with_total=with_total)
        select = _select(p.get("select"))
        original = _original(p)
        items = [et.item_view(r, select, original_uf=original) for r in rows]
        return Answer({"items": items}, total=total, start=start)

    # -- crm.deal.* and friends -----------------------------------------------------------
    def legacy(self, entity_type_id: int, action: str, ctx: Ctx, p: dict[str, Any]) -> Any:
        from .portal import Answer, page_params

        et = self.types[entity_type_id]
        if action == "fields":
            out = {s.legacy: _field_info(s, item=False) for s in et.fields if s.legacy}
            for uf in et.userfields.declared(et.uf_entity):
                out[uf.field_name] = uf.fields_view(item=False)
            return out
        if action == "list":
            node = parse_v2_filter(p.get("filter"), et.resolve_legacy, coerce, strict=False)
            order = parse_order_v2(p.get("order"), et.resolve_legacy, strict=False)
            start, with_total = page_params(p)
            rows, total = et.table.query(node, order, start, 50, with_total=with_total)
            select = _select(p.get("select"))
            return Answer([et.legacy_view(r, select) for r in rows], total=total, start=start)
        if action == "add":
            fields = p.get("fields") or p.get("FIELDS") or {}
            if not isinstance(fields, Mapping):
                raise ApiError("", "Parameter 'fields' must be array.", 400)
            row = et.write_fields(fields, legacy=True)
            et.apply_fm(row, fields, legacy=True)
            self._stamp(ctx, row, created=True)
            return et.table.insert(row)
        raw_id = p.get("id", p.get("ID"))
        try:
            row_id = int(str(raw_id))
        except (TypeError, ValueError):
            row_id = 0
        if row_id <= 0:
            raise ApiError("", "ID is not defined or invalid.", 400)
        found = et.table.get(row_id)
        if found is None:
            raise ApiError("", "Not found", 400)
        row = found
        if action == "get":
            return et.legacy_view(row, None, all_uf=True)
        if action == "update":
            fields = p.get("fields") or p.get("FIELDS") or {}
            if not isinstance(fields, Mapping):
                raise ApiError("", "Parameter 'fields' must be array.", 400)
            row.update(et.write_fields(fields, legacy=True, current=row))
            et.apply_fm(row, fields, legacy=True)
            self._stamp(ctx, row, created=False)
            et.table.touch()
            return True
        if action == "delete":
            et.table.delete(row_id)
            return True
        raise ApiError("ERROR_METHOD_NOT_FOUND", "Method not found!", 404)

    def register(self, portal: FakePortal) -> None:
        reg = portal.register_v2
        reg("crm.item.add", self.item_add, "crm", write=True)
        reg("crm.item.get", self.item_get, "crm")
        reg("crm.item.list", self.item_list, "crm")
        reg("crm.item.update", self.item_update, "crm", write=True)
        reg("crm.item.delete", self.item_delete, "crm", write=True)
        reg("crm.item.fields", self.item_fields, "crm")
        reg("crm.type.add", self.type_add, "crm", write=True)
        reg("crm.type.get", self.type_get, "crm")
        reg("crm.type.update", self.type_update, "crm", write=True)
        reg("crm.type.delete", self.type_delete, "crm", write=True)
        reg("crm.type.list", self.type_list, "crm")
        for etid, name in _LEGACY_NAMES.items():
            entity = self.types[etid].uf_entity
            reg(f"crm.{name}.userfield.list", self.userfields.list_handler(entity), "crm")
            for action in ("add", "get", "list", "update", "delete", "fields"):
                reg(
                    f"crm.{name}.{action}",
                    _legacy_handler(self, etid, action),
                    "crm",
                    write=action in {"add", "update", "delete"},
                )


def _legacy_handler(store: CrmStore, etid: int, action: str) -> Any:
    def handler(ctx: Ctx, p: dict[str, Any]) -> Any:
        return store.legacy(etid, action, ctx, p)

    return handler


def _original(p: Mapping[str, Any]) -> bool:
    return str(p.get("useOriginalUfNames", "N")).upper() in {"Y", "1", "TRUE"}


def _select(raw: Any) -> list[str] | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, Mapping):
        raw = list(raw.values())
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list):
        return [str(x) for x in raw]
    return None
