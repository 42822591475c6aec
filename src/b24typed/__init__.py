"""b24typed: a typed Python SDK for the Bitrix24 REST API (REST v2 and REST 3.0).

``import b24typed`` is cheap: the clients, errors and generated methods load on first use.
"""

from __future__ import annotations

__version__ = "0.1.0"

# Not ``from typing import TYPE_CHECKING``: importing ``typing`` would make ``import b24typed``
# ten times slower. Type checkers take this name as true; the annotation keeps Jedi (IPython,
# Jupyter) from reading the block as dead code.
TYPE_CHECKING: bool = False
if TYPE_CHECKING:
    from typing import Any

    from b24typed.clients import AsyncB24Hook, AsyncB24OAuth, B24Hook, B24OAuth
    from b24typed.core.auth import OAuthTokens
    from b24typed.core.batch import BatchResult
    from b24typed.core.bounds import AttemptLimits
    from b24typed.core.clock import ManualClock, SystemClock
    from b24typed.core.errors import (
        AccessDeniedError,
        AjaxError,
        AuthError,
        B24Error,
        EntityNotFoundError,
        FieldError,
        InsufficientScopeError,
        InvalidTokenError,
        LimitError,
        MethodNotFoundError,
        NetworkError,
        NotFoundError,
        OperationTimeLimitError,
        QueryLimitError,
        RequestTimeoutError,
        RequestValidationError,
        ResponseFormatError,
        ResultValidationError,
        SdkError,
        ServerError,
        StoreError,
        TokenExpiredError,
        TokenRefreshError,
        TransportError,
        UnknownOutcomeError,
    )
    from b24typed.core.limits import LimitConfig
    from b24typed.core.result import AjaxResult, ResponseTime
    from b24typed.core.retry import RetryPolicy
    from b24typed.core.typed import UNSET

_EXPORTS = {
    "AccessDeniedError": "b24typed.core.errors",
    "AjaxError": "b24typed.core.errors",
    "AjaxResult": "b24typed.core.result",
    "AsyncB24Hook": "b24typed.clients",
    "AttemptLimits": "b24typed.core.bounds",
    "BatchResult": "b24typed.core.batch",
    "AsyncB24OAuth": "b24typed.clients",
    "AuthError": "b24typed.core.errors",
    "B24Error": "b24typed.core.errors",
    "B24Hook": "b24typed.clients",
    "B24OAuth": "b24typed.clients",
    "EntityNotFoundError": "b24typed.core.errors",
    "FieldError": "b24typed.core.errors",
    "InsufficientScopeError": "b24typed.core.errors",
    "InvalidTokenError": "b24typed.core.errors",
    "LimitConfig": "b24typed.core.limits",
    "LimitError": "b24typed.core.errors",
    "ManualClock": "b24typed.core.clock",
    "MethodNotFoundError": "b24typed.core.errors",
    "NetworkError": "b24typed.core.errors",
    "NotFoundError": "b24typed.core.errors",
    "OAuthTokens": "b24typed.core.auth",
    "OperationTimeLimitError": "b24typed.core.errors",
    "QueryLimitError": "b24typed.core.errors",
    "RequestTimeoutError": "b24typed.core.errors",
    "RequestValidationError": "b24typed.core.errors",
    "ResponseFormatError": "b24typed.core.errors",
    "ResultValidationError": "b24typed.core.errors",
    "ResponseTime": "b24typed.core.result",
    "RetryPolicy": "b24typed.core.retry",
    "SdkError": "b24typed.core.errors",
    "ServerError": "b24typed.core.errors",
    "StoreError": "b24typed.core.errors",
    "SystemClock": "b24typed.core.clock",
    "TokenExpiredError": "b24typed.core.errors",
    "TokenRefreshError": "b24typed.core.errors",
    "TransportError": "b24typed.core.errors",
    "UnknownOutcomeError": "b24typed.core.errors",
    "UNSET": "b24typed.core.typed",
}

__all__ = [
    "UNSET",
    "AccessDeniedError",
    "AjaxError",
    "AjaxResult",
    "AsyncB24Hook",
    "AsyncB24OAuth",
    "AttemptLimits",
    "AuthError",
    "B24Error",
    "B24Hook",
    "B24OAuth",
    "BatchResult",
    "EntityNotFoundError",
    "FieldError",
    "InsufficientScopeError",
    "InvalidTokenError",
    "LimitConfig",
    "LimitError",
    "ManualClock",
    "MethodNotFoundError",
    "NetworkError",
    "NotFoundError",
    "OAuthTokens",
    "OperationTimeLimitError",
    "QueryLimitError",
    "RequestTimeoutError",
    "RequestValidationError",
    "ResponseFormatError",
    "ResponseTime",
    "ResultValidationError",
    "RetryPolicy",
    "SdkError",
    "ServerError",
    "StoreError",
    "SystemClock",
    "TokenExpiredError",
    "TokenRefreshError",
    "TransportError",
    "UnknownOutcomeError",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'b24typed' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
