"""Exceptions raised by b24typed, catchable by kind.

Every error that comes from talking to a portal is an :class:`AjaxError` carrying the Bitrix24
``code``, a ``description``, the HTTP ``status`` (0 when no answer arrived), the REST ``method`` and
the ``request_id``. None of them holds a URL, a token or the underlying httpx exception, so they are
safe to log and to serialise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class B24Error(Exception):
    """Base class of every exception b24typed raises."""


class SdkError(B24Error):
    """The SDK was used wrongly (bad arguments, too many batch commands, ...); nothing was sent."""

    def __init__(self, message: str, *, code: str = "SDK_ERROR") -> None:
        super().__init__(message)
        self.code = code


class StoreError(B24Error):
    """A shared store of limits or tokens (Redis) could not be used; says where, never how to
    log in."""


@dataclass(frozen=True)
class FieldError:
    """One entry of a REST 3.0 ``validation[]`` list."""

    field: str | None
    message: str


class AjaxError(B24Error):
    """The portal answered with an error, or no usable answer arrived.

    ``completed``: when ``call_batch_by_chunk`` stops on this error, the ``BatchResult`` of the
    chunks that completed before it (their ids are not lost); ``None`` otherwise.
    """

    completed: Any = None

    def __init__(
        self,
        code: str,
        description: str = "",
        *,
        status: int = 0,
        method: str = "",
        request_id: str = "",
        field_errors: tuple[FieldError, ...] = (),
    ) -> None:
        self.code = code
        self.description = description
        self.status = status
        self.method = method
        self.request_id = request_id
        self.field_errors = field_errors
        super().__init__(self._message())

    def _message(self) -> str:
        where = f" on {self.method}" if self.method else ""
        status = f"HTTP {self.status}" if self.status else "no HTTP answer"
        text = f"{self.code} ({status}){where}"
        if self.description:
            text += f": {self.description}"
        if self.request_id:
            text += f" [request {self.request_id}]"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, status={self.status}, "
            f"method={self.method!r}, request_id={self.request_id!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_error, (type(self), self.__dict__.copy()))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description of the error (for structured logs)."""
        return {
            "type": type(self).__name__,
            "code": self.code,
            "description": self.description,
            "status": self.status,
            "method": self.method,
            "request_id": self.request_id,
            "field_errors": [{"field": e.field, "message": e.message} for e in self.field_errors],
        }


def _rebuild_error(cls: type[AjaxError], state: dict[str, Any]) -> AjaxError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, error._message())
    return error


class AuthError(AjaxError):
    """Authentication failed: no auth, wrong webhook credentials, bad or expired token."""


class TokenExpiredError(AuthError):
    """The OAuth access token has expired (``expired_token``)."""


class InvalidTokenError(AuthError):
    """The OAuth access token is not valid (``invalid_token``)."""


class TokenRefreshError(AuthError):
    """Refreshing the OAuth tokens failed."""


class AccessDeniedError(AjaxError):
    """The user or application may not do this."""


class InsufficientScopeError(AccessDeniedError):
    """The webhook or application lacks the scope the method needs."""


class NotFoundError(AjaxError):
    """Something asked for does not exist."""


class MethodNotFoundError(NotFoundError):
    """The portal does not know the REST method (or not in this API version)."""


class EntityNotFoundError(NotFoundError):
    """The record asked for does not exist."""


class LimitError(AjaxError):
    """A portal limit was hit."""


class QueryLimitError(LimitError):
    """Too many requests: the portal's leaky bucket overflowed (``QUERY_LIMIT_EXCEEDED``, 503)."""


class OperationTimeLimitError(LimitError):
    """The method spent its server-time budget (``OPERATION_TIME_LIMIT``, 429)."""


class RequestValidationError(AjaxError):
    """The portal rejected the parameters; REST 3.0 lists them in ``field_errors``."""


class ServerError(AjaxError):
    """The portal failed (HTTP 5xx without a more specific code)."""


class ResponseFormatError(AjaxError):
    """The answer was not a Bitrix24 envelope (an HTML error page, a truncated body, ...)."""


class ResultValidationError(ResponseFormatError):
    """A typed call's answer does not fit its result model; ``field_errors`` say where.

    The portal did answer success: ``status`` and ``request_id`` are the answer's, ``raw`` is its
    unparsed ``result`` (``b24.raw(<method>, ...)`` returns the whole answer).
    """

    raw: Any = None


class TransportError(AjaxError):
    """No answer arrived: the connection failed or timed out."""


class RequestTimeoutError(TransportError):
    """The request timed out."""


class NetworkError(TransportError):
    """The connection could not be made or broke."""


class UnknownOutcomeError(TransportError):
    """A REST v2 write may or may not have been applied; it was not repeated.

    Check the portal (for example by a unique field you set) before sending it again.
    """
