"""Building the HTTP request for one REST call (shared by sync and async clients)."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
import os
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

from b24typed.core.auth import Auth
from b24typed.core.errors import SdkError
from b24typed.core.http import HttpRequest
from b24typed.core.result import ApiVersion

SDK_VERSION = "0.1.0"
USER_AGENT = f"b24typed/{SDK_VERSION}"
# Sent with every REST call: set once on the httpx client b24typed creates, per request otherwise.
STATIC_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json",
    "User-Agent": USER_AGENT,
}

_REQUEST_ID = re.compile(r"^[\x21-\x7e]{1,128}\Z")
_METHOD_NAME = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$")
_READ_ACTIONS = frozenset(
    {"get", "list", "fields", "tail", "aggregate", "count", "current", "time", "search", "openapi"}
)


def new_request_id() -> str:
    """A time-ordered UUID version 7, as the official SDK uses for request ids."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= (rand >> 68) << 64  # 12 bits rand_a
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


def is_read_method(method: str) -> bool:
    """Whether a method only reads, so that repeating it cannot change data.

    Decided by its last name segment (``*.get``, ``*.list``, ``*.fields``, ``*.getFields``, ...);
    anything else counts as a write.
    """
    action = method.rsplit(".", 1)[-1].lower()
    return action in _READ_ACTIONS or action.startswith(("get", "list"))


def check_method_name(method: str) -> str:
    if not isinstance(method, str) or not _METHOD_NAME.match(method):
        raise SdkError(
            f"not a REST method name: {method!r} (expected dotted words such as 'crm.item.get')",
            code="SDK_BAD_METHOD",
        )
    return method


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json", by_alias=True, exclude_unset=True)
    raise TypeError(f"a value of type {type(value).__name__} cannot be sent as JSON")


_FIELDS_KEYS = ("fields", "FIELDS")


def v2_flags(params: Mapping[str, Any]) -> Mapping[str, Any]:
    """REST v2 params with the booleans of ``fields`` sent as ``"Y"``/``"N"``, the form every
    Y/N field of REST v2 takes (a JSON ``true`` is not read as ``Y`` by every method)."""
    if not any(isinstance(params.get(key), Mapping) for key in _FIELDS_KEYS):
        return params
    out = dict(params)
    for key in _FIELDS_KEYS:
        fields = out.get(key)
        if isinstance(fields, Mapping):
            out[key] = {
                name: ("Y" if value else "N") if isinstance(value, bool) else value
                for name, value in fields.items()
            }
    return out


def encode_json(body: Mapping[str, Any]) -> bytes:
    """The JSON body of a call; :class:`SdkError` when a value cannot be encoded (NaN and
    infinities included: they are not JSON)."""
    try:
        text = json.dumps(
            body,
            ensure_ascii=False,
            separators=(",", ":"),
            default=_json_default,
            allow_nan=False,
        )
    except (TypeError, ValueError) as exc:
        raise SdkError(
            f"params cannot be encoded as JSON: {exc}", code="SDK_INVALID_PARAMS"
        ) from None
    except RecursionError:
        raise SdkError("params nest too deep to be sent", code="SDK_INVALID_PARAMS") from None
    return text.encode("utf-8")


@dataclass(frozen=True)
class CallSpec:
    """One logical REST call: what to call, with what, and how to identify it."""

    api: ApiVersion
    method: str
    params: Mapping[str, Any] = field(default_factory=dict)
    request_id: str = field(default_factory=new_request_id)
    idempotency_key: str | None = None
    timeout: float | None = None

    @property
    def is_write(self) -> bool:
        return not is_read_method(self.method)


def make_call(
    api: ApiVersion,
    method: str,
    params: Mapping[str, Any] | None = None,
    *,
    request_id: str | None = None,
    timeout: float | None = None,
) -> CallSpec:
    """Validate a call and give it a request id (and an idempotency key for REST 3.0 writes)."""
    check_method_name(method)
    if params is not None and not isinstance(params, Mapping):
        raise SdkError(
            f"params must be a mapping, not {type(params).__name__}", code="SDK_INVALID_PARAMS"
        )
    if request_id and not _REQUEST_ID.match(request_id):
        raise SdkError(
            "a request id is 1 to 128 printable ASCII characters without spaces "
            f"(it travels in the X-Request-ID header): {request_id[:40]!r}",
            code="SDK_BAD_REQUEST_ID",
        )
    spec = CallSpec(
        api=api,
        method=method,
        params=dict(params or {}),
        request_id=request_id or new_request_id(),
        timeout=timeout,
    )
    return replace(spec, idempotency_key=str(uuid.uuid4())) if api == 3 and spec.is_write else spec


def build_request(auth: Auth, spec: CallSpec, *, default_timeout: float | None) -> HttpRequest:
    """The POST for ``spec``: URL, JSON body (with ``auth`` for OAuth) and the headers of this call
    (request id in ``X-Request-ID``, an ``Idempotency-Key`` on REST 3.0 writes) to send on top of
    :data:`STATIC_HEADERS`."""
    body: dict[str, Any] = dict(v2_flags(spec.params) if spec.api == 2 else spec.params)
    token = auth.body_auth()
    if token is not None:
        body["auth"] = token
    # No query string: the request id travels in a header, and legacy positional methods
    # (task.commentitem.*, ...) break on extra query parameters.
    url = f"{auth.base_url(spec.api)}/{quote(spec.method, safe='.')}"
    headers = {"X-Request-ID": spec.request_id}
    if spec.idempotency_key:
        headers["Idempotency-Key"] = spec.idempotency_key
    return HttpRequest(
        url=url,
        content=encode_json(body),
        headers=headers,
        timeout=spec.timeout if spec.timeout is not None else default_timeout,
    )
