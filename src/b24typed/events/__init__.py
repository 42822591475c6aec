"""Inbound requests of a Bitrix24 application: events, the install and placements, typed.

>>> event = parse_event(body, application_token=token)  # doctest: +SKIP
>>> if isinstance(event, OnCrmDealAdd):  # doctest: +SKIP
...     deal_id = event.data.fields.id

Every documented event has a generated model in :mod:`b24typed.events.models` (``OnCrmDealAdd``,
``OnTaskUpdate``, ...), found by code in ``EVENT_MODELS``; other events parse into
:class:`UnknownEvent`. Framework helpers: ``b24typed.events.asgi`` (a bare ASGI endpoint),
``b24typed.events.fastapi`` (FastAPI and Starlette dependencies), ``b24typed.events.flask`` and
``b24typed.events.django``.
"""

from __future__ import annotations

from b24typed.events.base import (
    Event,
    EventAuth,
    EventPayloadError,
    EventVerificationError,
    Placement,
    UnknownEvent,
)
from b24typed.events.parse import (
    ApplicationToken,
    Body,
    Install,
    decode_body,
    event_model,
    parse_event,
    parse_install,
    parse_placement,
)

__all__ = [
    "ApplicationToken",
    "Body",
    "Event",
    "EventAuth",
    "EventPayloadError",
    "EventVerificationError",
    "Install",
    "Placement",
    "UnknownEvent",
    "decode_body",
    "event_model",
    "parse_event",
    "parse_install",
    "parse_placement",
]
