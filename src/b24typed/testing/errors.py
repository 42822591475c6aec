"""Errors raised by handlers; the dispatcher turns them into REST v2 or REST 3.0 envelopes."""

from __future__ import annotations

from typing import Any

__all__ = ["V3_PREFIX", "ApiError", "method_not_found", "v3_error", "validation_error"]

V3_PREFIX = "BITRIX_REST_V3_EXCEPTION_"


class ApiError(Exception):
    """An error answer.

    ``code``/``description``/``status`` form the REST v2 envelope ``{error, error_description}``.
    For REST 3.0 the dispatcher uses ``v3_code`` (without the ``BITRIX_REST_V3_EXCEPTION_``
    prefix), ``description`` as the message and ``validation`` rows.
    """

    def __init__(
        self,
        code: str,
        description: str,
        status: int = 400,
        *,
        v3_code: str | None = None,
        validation: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.status = status
        self.v3_code = v3_code
        self.validation = validation

    def v2_body(self) -> dict[str, Any]:
        return {"error": self.code, "error_description": self.description}

    def v3_body(self) -> dict[str, Any]:
        code = V3_PREFIX + self.v3_code if self.v3_code is not None else self.code
        err: dict[str, Any] = {"code": code, "message": self.description}
        if self.validation:
            err["validation"] = self.validation
        return {"error": err}


def v3_error(
    code: str,
    message: str,
    status: int = 400,
    validation: list[dict[str, Any]] | None = None,
) -> ApiError:
    """A REST 3.0 error; ``code`` without the prefix, e.g. ``ENTITYNOTFOUNDEXCEPTION``."""
    return ApiError(V3_PREFIX + code, message, status, v3_code=code, validation=validation)


def method_not_found(method: str) -> ApiError:
    return ApiError(
        "ERROR_METHOD_NOT_FOUND",
        "Method not found!",
        404,
        v3_code="METHODNOTFOUNDEXCEPTION",
    )


def validation_error(field: str, message: str) -> ApiError:
    return v3_error(
        "VALIDATION_REQUESTVALIDATIONEXCEPTION",
        "Error during request object validation",
        400,
        validation=[{"field": field, "message": message}],
    )
