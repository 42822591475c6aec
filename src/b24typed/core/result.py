"""The answer to one REST call: :class:`AjaxResult` and the ``time`` block."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, Literal, TypeVar

from b24typed.core.errors import AjaxError

T = TypeVar("T")
ApiVersion = Literal[2, 3]


def _float(value: Any) -> float | None:
    """A finite number from a number or numeric string; ``None`` for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    number = _float(value)
    return None if number is None else int(number)


@dataclass(frozen=True)
class ResponseTime:
    """The ``time`` block of a Bitrix24 answer. Seconds; timestamps are unix seconds.

    ``operating`` is the server time the method has used in the current window and
    ``operating_reset_at`` when that window ends. Self-hosted portals may omit both.
    """

    start: float | None = None
    finish: float | None = None
    duration: float | None = None
    processing: float | None = None
    date_start: str | None = None
    date_finish: str | None = None
    operating: float | None = None
    operating_reset_at: float | None = None

    @classmethod
    def from_payload(cls, value: Any) -> ResponseTime | None:
        """Read a ``time`` block leniently; ``None`` when there is none."""
        if not isinstance(value, Mapping):
            return None
        return cls(
            start=_float(value.get("start")),
            finish=_float(value.get("finish")),
            duration=_float(value.get("duration")),
            processing=_float(value.get("processing")),
            date_start=value.get("date_start")
            if isinstance(value.get("date_start"), str)
            else None,
            date_finish=value.get("date_finish")
            if isinstance(value.get("date_finish"), str)
            else None,
            operating=_float(value.get("operating")),
            operating_reset_at=_float(value.get("operating_reset_at")),
        )


class AjaxResult(Generic[T]):
    """What the portal answered to one call: a payload or an error, never both.

    ``result`` is the envelope's ``result`` member (the whole body for the few methods that answer
    without an envelope, such as ``rest.documentation.openapi``).
    """

    def __init__(
        self,
        *,
        method: str,
        request_id: str,
        api: ApiVersion,
        status: int,
        payload: Mapping[str, Any] | None,
        result: T,
        error: AjaxError | None = None,
    ) -> None:
        self.method = method
        self.request_id = request_id
        self.api: ApiVersion = api
        self.status = status
        self._payload: Mapping[str, Any] = payload or {}
        self.result = result
        self.error = error

    @cached_property
    def time(self) -> ResponseTime | None:
        """The answer's ``time`` block (``None`` when it has none), read on first use."""
        return ResponseTime.from_payload(self._payload.get("time"))

    @property
    def is_success(self) -> bool:
        return self.error is None

    def get_data(self) -> dict[str, Any]:
        """The whole payload: ``result`` and ``time``, and ``total``/``next`` where present."""
        data: dict[str, Any] = {"result": self.result, "time": self._payload.get("time")}
        for key in ("total", "next"):
            if key in self._payload:
                data[key] = self._payload[key]
        return data

    def get_error_messages(self) -> list[str]:
        if self.error is None:
            return []
        return [self.error.description or self.error.code]

    @property
    def total(self) -> int | None:
        """``total`` of a REST v2 list answer (absent with ``start=-1``)."""
        return _int(self._payload.get("total"))

    @property
    def next(self) -> int | None:
        """``next`` of a REST v2 list answer: the ``start`` of the following page."""
        return _int(self._payload.get("next"))

    def is_more(self) -> bool:
        """Whether a REST v2 list has another page."""
        return self.next is not None

    def get_total(self) -> int:
        """``total`` as an int, 0 when absent."""
        return self.total or 0

    def raise_for_error(self) -> AjaxResult[T]:
        """Raise the error if the call failed; return ``self`` otherwise, for chaining."""
        if self.error is not None:
            raise self.error
        return self

    def __repr__(self) -> str:
        state = "ok" if self.error is None else f"error={self.error.code!r}"
        return (
            f"AjaxResult(method={self.method!r}, api={self.api}, status={self.status}, "
            f"{state}, request_id={self.request_id!r})"
        )
