"""Turning an HTTP answer into an :class:`AjaxResult` or a typed :class:`AjaxError`.

Both REST v2 (``{error, error_description}``) and REST 3.0 (``{error: {code, message,
validation}}``) error envelopes are read, whatever the HTTP status they arrive with.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from b24typed.core import errors as e
from b24typed.core.http import HttpAnswer, HttpFailure
from b24typed.core.redact import scrub, shorten
from b24typed.core.result import AjaxResult, ApiVersion

V3_PREFIX = "BITRIX_REST_V3_EXCEPTION_"

_BY_CODE: dict[str, type[e.AjaxError]] = {
    "expired_token": e.TokenExpiredError,
    "invalid_token": e.InvalidTokenError,
    "NO_AUTH_FOUND": e.AuthError,
    "INVALID_CREDENTIALS": e.AuthError,
    "WRONG_AUTH_TYPE": e.AuthError,
    "AUTHORIZE_ERROR": e.AuthError,
    "invalid_grant": e.TokenRefreshError,
    "invalid_client": e.TokenRefreshError,
    "insufficient_scope": e.InsufficientScopeError,
    "ACCESS_DENIED": e.AccessDeniedError,
    "user_access_error": e.AccessDeniedError,
    "allowed_only_intranet_user": e.AccessDeniedError,
    "PORTAL_DELETED": e.AccessDeniedError,
    "ERROR_METHOD_NOT_FOUND": e.MethodNotFoundError,
    "NOT_FOUND": e.EntityNotFoundError,
    "ERROR_ENTITY_NOT_FOUND": e.EntityNotFoundError,
    "ERROR_NOT_FOUND": e.EntityNotFoundError,
    "QUERY_LIMIT_EXCEEDED": e.QueryLimitError,
    "OPERATION_TIME_LIMIT": e.OperationTimeLimitError,
    "INVALID_ARG_VALUE": e.RequestValidationError,
    "INVALID_REQUEST": e.RequestValidationError,
    "INTERNAL_SERVER_ERROR": e.ServerError,
    V3_PREFIX + "ACCESSDENIEDEXCEPTION": e.AccessDeniedError,
    V3_PREFIX + "METHODNOTFOUNDEXCEPTION": e.MethodNotFoundError,
    V3_PREFIX + "ENTITYNOTFOUNDEXCEPTION": e.EntityNotFoundError,
}

_BY_STATUS: dict[int, type[e.AjaxError]] = {
    401: e.AuthError,
    403: e.AccessDeniedError,
    404: e.NotFoundError,
    429: e.OperationTimeLimitError,
    503: e.QueryLimitError,
}

# Generic codes whose description says what happened: ``crm.deal.get`` of a missing id answers
# HTTP 400 ``{"error": "", "error_description": "Not found"}`` (``RESPONSE_ERROR`` on some
# portals), ``tasks.task.get`` ``ERROR_CORE`` "Task not found or access denied".
_GENERIC_CODES = frozenset({"", "RESPONSE_ERROR", "ERROR_CORE"})
_NOT_FOUND = re.compile(r"\bnot found\b", re.IGNORECASE)

# Codes that always mean "forbidden", whatever status the portal sent with them.
_FORCED_STATUS = {"AUTHORIZE_ERROR": 403, "WRONG_AUTH_TYPE": 403}


def error_class(code: str, status: int, description: str = "") -> type[e.AjaxError]:
    """The exception class for a Bitrix24 error code, HTTP status and description."""
    if code in _BY_CODE:
        return _BY_CODE[code]
    if code in _GENERIC_CODES and _NOT_FOUND.search(description):
        return e.EntityNotFoundError
    if code.startswith(V3_PREFIX):
        return e.RequestValidationError if status == 400 or "VALIDATION" in code else e.AjaxError
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return e.ServerError
    return e.AjaxError


def make_error(
    code: str,
    description: str,
    *,
    status: int,
    method: str,
    request_id: str,
    field_errors: tuple[e.FieldError, ...] = (),
) -> e.AjaxError:
    """Build the right :class:`AjaxError` subclass."""
    status = _FORCED_STATUS.get(code, status)
    return error_class(code, status, description)(
        code,
        description,
        status=status,
        method=method,
        request_id=request_id,
        field_errors=field_errors,
    )


def _field_errors(rows: Any) -> tuple[e.FieldError, ...]:
    if not isinstance(rows, list):
        return ()
    found = []
    for row in rows:
        if isinstance(row, Mapping):
            field = row.get("field")
            message = row.get("message")
            found.append(
                e.FieldError(
                    field=str(field) if field is not None else None,
                    message=str(message)
                    if message is not None
                    else json.dumps(row, ensure_ascii=False),
                )
            )
        else:
            found.append(e.FieldError(field=None, message=str(row)))
    return tuple(found)


def read_error(
    payload: Mapping[str, Any], *, status: int, method: str, request_id: str
) -> e.AjaxError | None:
    """The error a payload carries, in either envelope, or ``None``."""
    raw = payload.get("error")
    if raw is None or raw is False:
        return None
    if isinstance(raw, Mapping):
        code = str(raw.get("code") or "RESPONSE_ERROR")
        message = scrub(str(raw.get("message") or ""), ()).rstrip()
        field_errors = _field_errors(raw.get("validation"))
        if field_errors:
            details = "; ".join(
                f"{f.field}: {f.message}" if f.field else f.message for f in field_errors
            )
            message = f"{message.rstrip('.')}. {details}" if message else details
        return make_error(
            code,
            message,
            status=status,
            method=method,
            request_id=request_id,
            field_errors=field_errors,
        )
    code = str(raw)
    if code in ("", "0"):
        code = "RESPONSE_ERROR"
    description = payload.get("error_description")
    return make_error(
        code,
        scrub(str(description), ()) if description is not None else "",
        status=status,
        method=method,
        request_id=request_id,
    )


_TAGS = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"\s+")


def excerpt(content: bytes, secrets: Iterable[str] = (), limit: int = 120) -> str:
    """A short, secret-free, single-line excerpt of a body for an error message."""
    text = content[: limit * 8].decode("utf-8", errors="replace")
    text = _SPACES.sub(" ", _TAGS.sub(" ", text)).strip()
    return shorten(scrub(text, secrets), limit)


def loads(content: bytes | str) -> Any:
    """``json.loads``, with nesting too deep for the parser a ``ValueError`` like any other bad
    body (non-finite numbers are read, and treated as absent where a count is expected)."""
    try:
        return json.loads(content)
    except RecursionError:
        raise ValueError("JSON nested too deep") from None


def parse_answer(
    answer: HttpAnswer,
    *,
    method: str,
    request_id: str,
    api: ApiVersion,
    secrets: Iterable[str] = (),
) -> AjaxResult[Any]:
    """Read an HTTP answer into an :class:`AjaxResult`; never raises."""
    payload, error = _decode(answer, method=method, request_id=request_id, secrets=secrets)
    return AjaxResult(
        method=method,
        request_id=request_id,
        api=api,
        status=answer.status,
        payload=payload,
        result=None if error is not None else payload.get("result", payload),
        error=error,
    )


def _decode(
    answer: HttpAnswer, *, method: str, request_id: str, secrets: Iterable[str]
) -> tuple[dict[str, Any], e.AjaxError | None]:
    """The JSON object of an answer and the error it means, if any."""

    def unreadable(what: str) -> e.AjaxError:
        return e.ResponseFormatError(
            "INVALID_RESPONSE",
            f"the portal answered HTTP {answer.status} with {what}: "
            f"{excerpt(answer.content, secrets)!r}",
            status=answer.status,
            method=method,
            request_id=request_id,
        )

    try:
        payload = loads(answer.content)
    except (ValueError, UnicodeDecodeError):
        empty = not answer.content.strip()
        return {}, unreadable("an empty body" if empty else "a body that is not JSON")
    if not isinstance(payload, dict):
        return {}, unreadable("JSON that is not an object")
    error = read_error(payload, status=answer.status, method=method, request_id=request_id)
    if error is None and answer.status >= 300:
        error = make_error(
            "HTTP_ERROR",
            f"HTTP {answer.status} without a Bitrix24 error: {excerpt(answer.content, secrets)!r}",
            status=answer.status,
            method=method,
            request_id=request_id,
        )
    return payload, error


def transport_error(failure: HttpFailure, *, method: str, request_id: str) -> e.AjaxError:
    """The error for a request that got no usable answer."""
    if failure.kind == "too_large":
        return e.ResponseFormatError(
            "ANSWER_TOO_LARGE",
            failure.detail,
            status=failure.status,
            method=method,
            request_id=request_id,
        )
    if failure.kind == "timeout":
        return e.RequestTimeoutError(
            "REQUEST_TIMEOUT",
            f"no answer in time ({failure.detail})",
            status=0,
            method=method,
            request_id=request_id,
        )
    return e.NetworkError(
        "NETWORK_ERROR", failure.detail, status=0, method=method, request_id=request_id
    )
