"""Both error envelopes, errors with HTTP 200, bodies that are not JSON, and error classes."""

from __future__ import annotations

import pickle

import httpx
import pytest

from b24typed import (
    AccessDeniedError,
    AjaxError,
    AuthError,
    EntityNotFoundError,
    InsufficientScopeError,
    InvalidTokenError,
    MethodNotFoundError,
    NetworkError,
    OperationTimeLimitError,
    QueryLimitError,
    RequestTimeoutError,
    RequestValidationError,
    ResponseFormatError,
    RetryPolicy,
    ServerError,
    TokenExpiredError,
)

from .harness import Harness

MODES = ["sync", "async"]
NO_RETRY = RetryPolicy.never()


def answer(status: int, body: object) -> httpx.Response:
    if isinstance(body, bytes):
        return httpx.Response(status, content=body)
    return httpx.Response(status, json=body)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("status", "body", "cls", "code"),
    [
        (
            401,
            {"error": "expired_token", "error_description": "x"},
            TokenExpiredError,
            "expired_token",
        ),
        (401, {"error": "invalid_token"}, InvalidTokenError, "invalid_token"),
        (
            401,
            {"error": "NO_AUTH_FOUND", "error_description": "Wrong authorization data"},
            AuthError,
            "NO_AUTH_FOUND",
        ),
        (401, {"error": "INVALID_CREDENTIALS"}, AuthError, "INVALID_CREDENTIALS"),
        (403, {"error": "insufficient_scope"}, InsufficientScopeError, "insufficient_scope"),
        (403, {"error": "ACCESS_DENIED"}, AccessDeniedError, "ACCESS_DENIED"),
        (
            404,
            {"error": "ERROR_METHOD_NOT_FOUND", "error_description": "Method not found!"},
            MethodNotFoundError,
            "ERROR_METHOD_NOT_FOUND",
        ),
        (
            400,
            {"error": "NOT_FOUND", "error_description": "Element not found"},
            EntityNotFoundError,
            "NOT_FOUND",
        ),
        (
            400,
            {"error": "1048582", "error_description": "Action not available"},
            AjaxError,
            "1048582",
        ),
        (
            503,
            {"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"},
            QueryLimitError,
            "QUERY_LIMIT_EXCEEDED",
        ),
        (429, {"error": "OPERATION_TIME_LIMIT"}, OperationTimeLimitError, "OPERATION_TIME_LIMIT"),
        (500, {"error": "INTERNAL_SERVER_ERROR"}, ServerError, "INTERNAL_SERVER_ERROR"),
        (200, {"error": "ACCESS_ERROR", "error_description": "denied"}, AjaxError, "ACCESS_ERROR"),
        (200, {"error": "0", "error_description": "odd"}, AjaxError, "RESPONSE_ERROR"),
        # crm.deal.get of a missing id: a generic code whose description says "Not found"
        (
            400,
            {"error": "", "error_description": "Not found"},
            EntityNotFoundError,
            "RESPONSE_ERROR",
        ),
    ],
)
def test_rest_v2_error_envelopes(
    mode: str, status: int, body: dict[str, str], cls: type, code: str
) -> None:
    h = Harness(mode, lambda r: answer(status, body), retry=NO_RETRY)
    result = h.call(2, "crm.deal.get", {"id": 1})
    assert not result.is_success
    assert result.result is None
    error = result.error
    assert type(error) is cls
    assert error is not None
    assert (error.code, error.status, error.method) == (code, status, "crm.deal.get")
    assert error.request_id == result.request_id
    assert result.get_error_messages() == [body.get("error_description") or code]
    with pytest.raises(cls) as info:
        result.raise_for_error()
    assert code in str(info.value) and result.request_id in str(info.value)


@pytest.mark.parametrize("mode", MODES)
def test_rest3_error_envelope_with_validation_rows(mode: str) -> None:
    body = {
        "error": {
            "code": "BITRIX_REST_V3_EXCEPTION_VALIDATION_REQUESTVALIDATIONEXCEPTION",
            "message": "Validation error",
            "validation": [
                {"field": "title", "message": "Required field"},
                {"message": "Wrong combination"},
            ],
        }
    }
    h = Harness(mode, lambda r: answer(400, body), retry=NO_RETRY)
    error = h.call(3, "tasks.task.add", {"fields": {}}).error
    assert isinstance(error, RequestValidationError)
    assert [(f.field, f.message) for f in error.field_errors] == [
        ("title", "Required field"),
        (None, "Wrong combination"),
    ]
    assert error.description == "Validation error. title: Required field; Wrong combination"


@pytest.mark.parametrize(
    ("code", "status", "cls"),
    [
        ("BITRIX_REST_V3_EXCEPTION_ENTITYNOTFOUNDEXCEPTION", 404, EntityNotFoundError),
        ("BITRIX_REST_V3_EXCEPTION_METHODNOTFOUNDEXCEPTION", 404, MethodNotFoundError),
        ("BITRIX_REST_V3_EXCEPTION_ACCESSDENIEDEXCEPTION", 403, AccessDeniedError),
        ("BITRIX_REST_V3_EXCEPTION_INVALIDFILTEREXCEPTION", 400, RequestValidationError),
        ("BITRIX_REST_V3_EXCEPTION_UNKNOWNDTOPROPERTYEXCEPTION", 400, RequestValidationError),
    ],
)
def test_rest3_error_codes_map_to_classes(code: str, status: int, cls: type) -> None:
    h = Harness("sync", lambda r: answer(status, {"error": {"code": code, "message": "m"}}))
    error = h.call(3, "tasks.task.get", {"id": 1}).error
    assert type(error) is cls
    assert error is not None and error.code == code


def test_rest3_error_with_http_200_is_an_error() -> None:
    body = {"error": {"code": "BITRIX_REST_V3_EXCEPTION_ENTITYNOTFOUNDEXCEPTION", "message": "no"}}
    h = Harness("sync", lambda r: answer(200, body))
    result = h.call(3, "tasks.task.get", {"id": 9})
    assert isinstance(result.error, EntityNotFoundError)
    assert result.status == 200


def test_authorize_error_is_forced_to_403() -> None:
    h = Harness("sync", lambda r: answer(401, {"error": "AUTHORIZE_ERROR"}))
    error = h.call(2, "profile").error
    assert isinstance(error, AuthError) and error.status == 403


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("status", "body", "fragment"),
    [
        (
            502,
            b"<html><head><title>502 Bad Gateway</title></head><body><h1>502</h1></body></html>",
            "502 Bad Gateway",
        ),
        (200, b'{"result": [{"ID": "1"}, {"ID"', "not JSON"),
        (200, b"", "empty body"),
        (500, b"Internal error", "Internal error"),
        (200, b"[1, 2]", "not an object"),
    ],
)
def test_bodies_that_are_not_envelopes_become_clear_errors(
    mode: str, status: int, body: bytes, fragment: str
) -> None:
    h = Harness(mode, lambda r: answer(status, body), retry=NO_RETRY)
    error = h.call(2, "crm.deal.list").error
    assert isinstance(error, ResponseFormatError)
    assert error.status == status
    assert fragment in error.description
    assert f"HTTP {status}" in str(error)


def test_http_error_without_bitrix_error_keeps_the_status() -> None:
    h = Harness("sync", lambda r: answer(302, {"moved": True}), retry=NO_RETRY)
    error = h.call(2, "crm.deal.list").error
    assert error is not None and error.code == "HTTP_ERROR" and error.status == 302


def test_bare_document_without_result_is_the_result() -> None:
    doc = {"openapi": "3.0.0", "paths": {"/tasks.task.get": {}}}
    h = Harness("sync", lambda r: answer(200, doc))
    result = h.call(3, "rest.documentation.openapi")
    assert result.is_success and result.result == doc


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("exc", "cls", "code"),
    [
        (httpx.ReadTimeout("timed out"), RequestTimeoutError, "REQUEST_TIMEOUT"),
        (httpx.ConnectTimeout("timed out"), RequestTimeoutError, "REQUEST_TIMEOUT"),
        (httpx.ConnectError("[Errno 111] Connection refused"), NetworkError, "NETWORK_ERROR"),
        (httpx.RemoteProtocolError("peer closed connection"), NetworkError, "NETWORK_ERROR"),
        (httpx.ReadError("connection reset by peer"), NetworkError, "NETWORK_ERROR"),
    ],
)
def test_transport_failures_raise_without_httpx_inside(
    mode: str, exc: Exception, cls: type, code: str
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    h = Harness(mode, handler, retry=NO_RETRY)
    with pytest.raises(cls) as info:
        h.call(2, "crm.deal.get", {"id": 1})
    error = info.value
    assert error.code == code and error.status == 0
    assert error.__cause__ is None and error.__context__ is None
    assert not any(isinstance(v, httpx.HTTPError | httpx.Request) for v in vars(error).values())


def test_errors_pickle_and_describe_themselves() -> None:
    error = MethodNotFoundError(
        "ERROR_METHOD_NOT_FOUND", "nope", status=404, method="a.b", request_id="r1"
    )
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is MethodNotFoundError and str(copy) == str(error)
    assert error.to_dict()["code"] == "ERROR_METHOD_NOT_FOUND"
    expected = "code='ERROR_METHOD_NOT_FOUND', status=404, method='a.b', request_id='r1'"
    assert repr(error) == f"MethodNotFoundError({expected})"


@pytest.mark.parametrize(
    "body",
    [
        b'{"result": [], "total": Infinity, "next": NaN}',
        b'{"result": [], "total": "1e999", "next": -Infinity}',
        b'{"result": [], "total": 1e400, "time": {"operating": Infinity, "start": NaN}}',
        b'{"result": [], "total": 99999999999999999999999999999999999999999}',
    ],
)
def test_numbers_that_are_not_finite_are_read_as_absent(body: bytes) -> None:
    h = Harness("sync", lambda r: answer(200, body))
    result = h.call(2, "crm.deal.list")
    assert result.is_success
    assert result.next is None and not result.is_more()
    assert result.get_total() in (0, 99999999999999999999999999999999999999999)
    assert result.time is None or (result.time.operating is None and result.time.start is None)
