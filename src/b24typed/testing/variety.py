"""A portal's variety: user fields of every documented type, smart processes, REST 3.0 methods.

``portal.seed_variety()`` gives the fake portal what a real, lived-in portal has, so that tools
reading a portal's own descriptions (``b24typed portal-types``) can be tested end to end:

- deals: one user field of each type (string, integer, double, boolean, date, datetime,
  enumeration, employee, crm, file, money, url, address), multiple variants, a label that is not
  an identifier and two fields sharing a label (both keep their UF_ names);
- leads, contacts, companies, users and tasks: a few fields each;
- two smart processes (``entityTypeId`` 128 "Invoice requests" and 130 "Delivery orders") with
  fields of their own;
- two REST 3.0 methods that the public docs do not describe, published with their schemas by
  ``rest.documentation.openapi``.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from .errors import v3_error

if TYPE_CHECKING:
    from .portal import Ctx, FakePortal

__all__ = ["DEAL_FIELDS", "SMART_PROCESSES", "seed_variety"]

# (field name, type, label, multiple, enumeration options)
Spec = tuple[str, str, str, bool, tuple[str, ...]]

DEAL_FIELDS: tuple[Spec, ...] = (
    ("UF_CRM_CONTRACT_NUMBER", "string", "Contract number", False, ()),
    ("UF_CRM_1720019876534", "integer", "Seats", False, ()),
    ("UF_CRM_DISCOUNT", "double", "Discount, %", False, ()),
    ("UF_CRM_VIP", "boolean", "VIP", False, ()),
    ("UF_CRM_SIGNED_ON", "date", "Signed on", False, ()),
    ("UF_CRM_NEXT_CALL", "datetime", "Next call", False, ()),
    ("UF_CRM_DELIVERY", "enumeration", "Delivery", False, ("Courier", "Pickup", "Post")),
    ("UF_CRM_CHANNELS", "enumeration", "Channels", True, ("E-mail", "Phone", "Chat")),
    ("UF_CRM_CURATOR", "employee", "Curator", False, ()),
    ("UF_CRM_REVIEWERS", "employee", "Reviewers", True, ()),
    ("UF_CRM_PARTNER", "crm", "Partner", False, ()),
    ("UF_CRM_SCAN", "file", "Contract scan", False, ()),
    ("UF_CRM_ATTACHMENTS", "file", "Attachments", True, ()),
    ("UF_CRM_BUDGET", "money", "Budget", False, ()),
    ("UF_CRM_SITE", "url", "Site", False, ()),
    ("UF_CRM_LINKS", "url", "Links", True, ()),
    ("UF_CRM_OFFICE", "address", "Office", False, ()),
    ("UF_CRM_1721244482250", "string", "Комментарий менеджера", False, ()),
    ("UF_CRM_1721244499999", "string", "Next call", False, ()),
)

OTHER_FIELDS: dict[str, tuple[Spec, ...]] = {
    "CRM_LEAD": (
        ("UF_CRM_LEAD_SCORE", "integer", "Score", False, ()),
        ("UF_CRM_LEAD_TEMPERATURE", "enumeration", "Temperature", False, ("Cold", "Warm", "Hot")),
    ),
    "CRM_CONTACT": (
        ("UF_CRM_BIRTH_CITY", "string", "Birth city", False, ()),
        ("UF_CRM_NEWSLETTER", "boolean", "Newsletter", False, ()),
    ),
    "CRM_COMPANY": (
        ("UF_CRM_TAX_ID", "string", "Tax id", False, ()),
        ("UF_CRM_FOUNDED", "date", "Founded", False, ()),
    ),
    "USER": (
        ("UF_USR_SHIRT_SIZE", "enumeration", "Shirt size", False, ("S", "M", "L", "XL")),
        ("UF_USR_HIRED_ON", "date", "Hired on", False, ()),
        ("UF_USR_MENTOR", "employee", "Mentor", False, ()),
    ),
    "TASKS_TASK": (
        ("UF_TASK_STORY_POINTS", "double", "Story points", False, ()),
        ("UF_TASK_CUSTOMER", "crm", "Customer", False, ()),
        ("UF_TASK_LABELS", "string", "Labels", True, ()),
    ),
}

# entityTypeId, title, fields (names get the process's crm.type id: UF_CRM_{id}_...)
SMART_PROCESSES: tuple[tuple[int, str, tuple[Spec, ...]], ...] = (
    (128, "Invoice requests", (
        ("1721812915476", "money", "Amount", False, ()),
        ("1721812853419", "date", "Due date", False, ()),
        ("1721812814433", "enumeration", "Priority", False, ("Low", "Normal", "Urgent")),
        ("1721812760630", "employee", "Approver", False, ()),
    )),
    (130, "Delivery orders", (
        ("1721900000001", "address", "Delivery address", False, ()),
        ("1721900000002", "double", "Weight, kg", False, ()),
        ("1721900000003", "boolean", "Fragile", False, ()),
        ("1721900000004", "file", "Documents", True, ()),
    )),
)  # fmt: skip


def _declare(portal: FakePortal, entity_id: str, specs: tuple[Spec, ...], prefix: str = "") -> None:
    for name, kind, label, multiple, options in specs:
        portal.userfields.add(
            entity_id, prefix + name, kind, label=label, multiple=multiple, options=options
        )


def seed_variety(portal: FakePortal) -> None:
    """Declare the variety described in the module docstring (once per portal)."""
    if portal.userfields.of("CRM_DEAL"):
        raise ValueError("this portal already has deal user fields; seed_variety runs once")
    _declare(portal, "CRM_DEAL", DEAL_FIELDS)
    for entity_id, specs in OTHER_FIELDS.items():
        _declare(portal, entity_id, specs)
    for entity_type_id, title, specs in SMART_PROCESSES:
        et = portal.crm.add_smart_process(entity_type_id, title)
        _declare(portal, et.uf_entity, specs, prefix=f"UF_CRM_{et.type_id}_")
    portal.register_v3(
        "crm.pipeline.summary",
        _pipeline_summary,
        "crm",
        openapi=(_SUMMARY_PARAMS, _SUMMARY_RESULT),
    )
    portal.register_v3(
        "crm.pipeline.stage.count",
        _stage_count,
        "crm",
        openapi=(_COUNT_PARAMS, _COUNT_RESULT),
    )


_SUMMARY_PARAMS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "categoryId": {"type": "integer", "description": "Deal pipeline (0: the default one)"},
        "currency": {"type": "string"},
    },
}
_SUMMARY_RESULT: dict[str, Any] = {
    "type": "object",
    "required": ["stages", "total"],
    "properties": {
        "categoryId": {"type": "integer"},
        "total": {"type": "integer"},
        "stages": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["stageId", "count"],
                "properties": {
                    "stageId": {"type": "string"},
                    "count": {"type": "integer"},
                    "amount": {"type": "number"},
                },
            },
        },
    },
}
_COUNT_PARAMS: dict[str, Any] = {
    "type": "object",
    "required": ["stageId"],
    "properties": {"stageId": {"type": "string"}, "withClosed": {"type": "boolean"}},
}
_COUNT_RESULT: dict[str, Any] = {
    "type": "object",
    "properties": {"count": {"type": "integer"}},
}


def _deals(ctx: Ctx, category: Any) -> list[dict[str, Any]]:
    try:
        wanted = int(category or 0)
    except (TypeError, ValueError):
        raise v3_error("VALIDATIONEXCEPTION", "categoryId must be an integer", 400) from None
    table = ctx.portal.crm.table(2)
    return [row for row in table.rows.values() if int(row.get("categoryId") or 0) == wanted]


def _pipeline_summary(ctx: Ctx, p: dict[str, Any]) -> Any:
    deals = _deals(ctx, p.get("categoryId"))
    counts: Counter[str] = Counter(str(row.get("stageId") or "NEW") for row in deals)
    amounts: dict[str, float] = {}
    for row in deals:
        stage = str(row.get("stageId") or "NEW")
        amounts[stage] = amounts.get(stage, 0.0) + float(row.get("opportunity") or 0)
    stages = [
        {"stageId": stage, "count": counts[stage], "amount": amounts[stage]}
        for stage in sorted(counts)
    ]
    return {"categoryId": int(p.get("categoryId") or 0), "total": len(deals), "stages": stages}


def _stage_count(ctx: Ctx, p: dict[str, Any]) -> Any:
    stage = p.get("stageId")
    if not isinstance(stage, str) or not stage:
        raise v3_error("VALIDATIONEXCEPTION", "stageId is required", 400)
    table = ctx.portal.crm.table(2)
    return {"count": sum(1 for row in table.rows.values() if row.get("stageId") == stage)}
