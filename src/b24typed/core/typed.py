"""The runtime of the generated typed surface: what every generated wrapper and model relies on.

Generated code (``b24typed.methods``, ``b24typed.models``) holds only data: signatures, docstrings,
model fields. Everything that runs lives here:

- :data:`UNSET`, the default of optional parameters (an unset parameter is never sent);
- lenient field types (:data:`LInt`, :data:`LBool`, ...) and :class:`B24Model`, the base of every
  result model: extra fields kept (portals add ``UF_*`` fields), numbers sent as strings,
  ``"Y"``/``"N"`` booleans, empty strings for missing dates and ``[]`` for empty objects accepted;
- :class:`Call`, what a generated request builder returns: method, API version, wire parameters
  and where the result model lives (imported on first parse, so models load lazily);
- :class:`Namespace` and the method descriptors (:class:`Method`, :class:`ListMethod` and their
  deprecated variants) that turn one typed builder into a sync call, an awaitable call or a batch
  command, depending on the client the namespace belongs to.
"""

from __future__ import annotations

import datetime as dt
import importlib
import math
import re
import warnings
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping
from typing import TYPE_CHECKING, Annotated, Any, Final, Generic, Optional, TypeVar, overload

from pydantic import BaseModel, BeforeValidator, ConfigDict, TypeAdapter, model_validator
from typing_extensions import ParamSpec, deprecated

from b24typed.core.errors import SdkError

if TYPE_CHECKING:
    from b24typed.core.result import AjaxResult, ApiVersion

__all__ = [
    "UNSET",
    "AsyncMode",
    "B24Model",
    "BatchMode",
    "Call",
    "DeprecatedListMethod",
    "DeprecatedMethod",
    "Iterate",
    "LAny",
    "LBool",
    "LDate",
    "LDateTime",
    "LDict",
    "LFloat",
    "LInt",
    "LList",
    "LStr",
    "ListCall",
    "ListMethod",
    "M",
    "Method",
    "Namespace",
    "Obj",
    "Rows",
    "SyncMode",
    "Unset",
]

P = ParamSpec("P")
R = TypeVar("R")
I = TypeVar("I")  # noqa: E741 - the item type of a list method
T = TypeVar("T")
M = TypeVar("M")


# --- the UNSET sentinel -------------------------------------------------------------------------


class Unset:
    """The type of :data:`UNSET`: "this parameter was not given, do not send it"."""

    _instance: Unset | None = None

    def __new__(cls) -> Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "UNSET"

    def __reduce__(self) -> str:
        return "UNSET"


UNSET: Final = Unset()


def strip_unset(value: Any) -> Any:
    """``value`` without :data:`UNSET` members, recursively (mappings, lists, tuples)."""
    if isinstance(value, Mapping):
        return {k: strip_unset(v) for k, v in value.items() if v is not UNSET}
    if isinstance(value, list | tuple):
        return [strip_unset(v) for v in value if v is not UNSET]
    return value


# --- lenient field types ------------------------------------------------------------------------

_TRUE = frozenset({"y", "yes", "true", "1", "on", "t"})
_FALSE = frozenset({"n", "no", "false", "0", "off", "f", ""})
_INT_TEXT = re.compile(r"\s*[-+]?\d+(\.0*)?\s*")
_RU_DATE = re.compile(r"(\d{2})\.(\d{2})\.(\d{4})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _to_int(value: Any) -> Any:
    if _blank(value):
        return None
    if isinstance(value, str) and _INT_TEXT.fullmatch(value):
        return int(float(value))
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


def _to_float(value: Any) -> Any:
    if _blank(value):
        return None
    if isinstance(value, str):
        try:
            return float(value.strip().replace(",", "."))
        except ValueError:
            return value
    return value


def _to_bool(value: Any) -> Any:
    if value is None or value == []:
        return None
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value != 0
    return value


def _to_str(value: Any) -> Any:
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, int | float):
        return str(value)
    return value


def _ru_datetime(value: str) -> dt.datetime | None:
    match = _RU_DATE.match(value.strip())
    if match is None:
        return None
    day, month, year, hour, minute, second = match.groups()
    return dt.datetime(
        int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
    )


def _to_date(value: Any) -> Any:
    if _blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 10 and text[4:5] == "-" and text[10:11] in "T ":
            return text[:10]
        parsed = _ru_datetime(text)
        if parsed is not None:
            return parsed.date()
    return value


def _to_datetime(value: Any) -> Any:
    if _blank(value):
        return None
    if isinstance(value, str):
        parsed = _ru_datetime(value)
        if parsed is not None:
            return parsed
    return value


def _to_dict(value: Any) -> Any:
    if _blank(value):
        return None
    return value


def _to_list(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, Mapping):  # a PHP array with keys: {"0": {...}, "1": {...}}
        return list(value.values())
    return value


LInt = Annotated[Optional[int], BeforeValidator(_to_int)]  # noqa: UP045 - runtime alias
"""An integer that portals may send as ``"12"`` or ``""``."""
LFloat = Annotated[Optional[float], BeforeValidator(_to_float)]  # noqa: UP045
"""A number that portals may send as ``"12.50"`` or ``""``."""
LBool = Annotated[Optional[bool], BeforeValidator(_to_bool)]  # noqa: UP045
"""A boolean that portals send as ``true``, ``"Y"``/``"N"``, ``1``/``0`` or ``"1"``/``"0"``."""
LStr = Annotated[Optional[str], BeforeValidator(_to_str)]  # noqa: UP045
"""A string that portals may send as a number."""
LDate = Annotated[Optional[dt.date], BeforeValidator(_to_date)]  # noqa: UP045
"""A date: ISO, ISO date-time (the date part is kept), ``dd.mm.yyyy``; ``""`` is ``None``."""
LDateTime = Annotated[Optional[dt.datetime], BeforeValidator(_to_datetime)]  # noqa: UP045
"""A date-time: ISO or ``dd.mm.yyyy hh:mm:ss``; ``""`` is ``None``."""
LDict = Annotated[Optional[dict[str, Any]], BeforeValidator(_to_dict)]  # noqa: UP045
"""An object without a documented shape; PHP's empty ``[]`` is ``None``."""
LList = Annotated[Optional[list[T]], BeforeValidator(_to_list)]  # noqa: UP045
"""A list; PHP arrays with keys (``{"0": ..., "1": ...}``) become lists."""
LAny = Any
"""A value whose shape the schema does not give."""


def _to_obj(value: Any) -> Any:
    return {} if _blank(value) or value is False else value


def _to_rows(value: Any) -> Any:
    if _blank(value) or value is False:
        return []
    if isinstance(value, Mapping):
        return list(value.values())
    return value


Obj = Annotated[dict[str, Any], BeforeValidator(_to_obj)]
"""A method result that is an object without a documented shape (``[]`` and ``null`` are ``{}``)."""
Rows = Annotated[list[T], BeforeValidator(_to_rows)]
"""A method result that is a list (``null`` is ``[]``; PHP arrays with keys become lists)."""


class B24Model(BaseModel):
    """Base of every generated result model.

    Attributes are snake_case with the wire names as aliases (``model.assigned_by_id`` reads
    ``ASSIGNED_BY_ID``); fields the schema does not know (``UF_CRM_*``) are kept in
    ``model_extra``; ``model_fields_set`` tells a missing field from one sent as ``null``.
    """

    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        defer_build=True,
        protected_namespaces=(),
        arbitrary_types_allowed=False,
    )

    @model_validator(mode="before")
    @classmethod
    def _php_empty_object(cls, data: Any) -> Any:
        # PHP encodes an empty associative array as [] and some portals send "" or false.
        if data is None or data is False or data in ([], ""):
            return {}
        return data

    def __getitem__(self, key: str) -> Any:
        """Read a field by its wire name, including extra fields: ``deal["UF_CRM_1"]``."""
        extra = self.model_extra or {}
        if key in extra:
            return extra[key]
        for name, info in type(self).model_fields.items():
            if key in (info.alias, name):
                return getattr(self, name)
        raise KeyError(key)


# --- calls --------------------------------------------------------------------------------------

_ADAPTERS: dict[tuple[str, str], Callable[[Any], Any]] = {}


def _parser(module: str, name: str) -> Callable[[Any], Any]:
    key = (module, name)
    parse = _ADAPTERS.get(key)
    if parse is None:
        target = getattr(importlib.import_module(module), name)
        if isinstance(target, type) and issubclass(target, BaseModel):
            parse = target.model_validate
        else:
            parse = TypeAdapter(target).validate_python
        _ADAPTERS[key] = parse
    return parse


class Call(Generic[R]):
    """One typed REST call, as built by a generated request builder.

    ``result`` names the result type in ``models`` (``None``: the schema gives no shape and the
    raw ``result`` is returned as is).
    """

    __slots__ = ("api", "deprecation", "method", "models", "params", "result")

    def __init__(
        self,
        api: ApiVersion,
        method: str,
        models: str,
        result: str | None,
        params: Mapping[str, Any],
        *,
        extra_params: Mapping[str, Any] | Unset = UNSET,
        deprecation: str | None = None,
    ) -> None:
        self.api: ApiVersion = api
        self.method = method
        self.models = models
        self.result = result
        wire = strip_unset(params)
        if not isinstance(extra_params, Unset):
            wire.update(strip_unset(extra_params))
        self.params: dict[str, Any] = wire
        self.deprecation = deprecation

    def parse(self, raw: Any) -> R:
        """The typed result from the raw ``result`` member."""
        if self.result is None:
            return raw  # type: ignore[no-any-return]
        return _parser(self.models, self.result)(raw)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"Call(api={self.api}, method={self.method!r}, params={sorted(self.params)})"


class ListCall(Call[R], Generic[R, I]):
    """A call to a list method: it can also be walked item by item (``.iterate``)."""

    __slots__ = ("cursor_key", "id_key", "item", "items_key", "pagination")

    def __init__(
        self,
        api: ApiVersion,
        method: str,
        models: str,
        result: str | None,
        params: Mapping[str, Any],
        *,
        extra_params: Mapping[str, Any] | Unset = UNSET,
        item: str | None,
        items_key: str | None,
        id_key: str = "ID",
        cursor_key: str = "ID",
        pagination: str = "start",
        deprecation: str | None = None,
    ) -> None:
        super().__init__(
            api, method, models, result, params, extra_params=extra_params, deprecation=deprecation
        )
        self.item = item
        self.items_key = items_key
        self.id_key = id_key
        self.cursor_key = cursor_key
        self.pagination = pagination

    def raw_items(self, raw: Any) -> list[Any]:
        """The rows of one page's raw ``result``."""
        if self.items_key is not None and isinstance(raw, Mapping):
            raw = raw.get(self.items_key, [])
        if isinstance(raw, Mapping):
            raw = list(raw.values())
        return list(raw) if isinstance(raw, list) else []

    def parse_item(self, raw: Any) -> I:
        if self.item is None:
            return raw  # type: ignore[no-any-return]
        return _parser(self.models, self.item)(raw)  # type: ignore[no-any-return]


# --- list walking (shared by sync and async) ----------------------------------------------------

PAGE_SIZE = 50


def _cursor(row: Any, key: str) -> int | None:
    value = row.get(key) if isinstance(row, Mapping) else None
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number


def _walk(call: ListCall[Any, Any]) -> Any:
    """A generator of requests for a list walk; send it each page's raw result and ``next``.

    Yields ``params`` dicts; receives ``(raw_result, next_start)``; yields rows via StopIteration
    of each step: the caller gets ``(params_for_next_request | None, rows)``.
    """
    params = dict(call.params)
    if call.api == 3:
        user_filter = params.pop("filter", None)
        base_filter = list(user_filter) if isinstance(user_filter, list | tuple) else []
        params["order"] = {call.cursor_key: "ASC"}
        cursor = 0
        while True:
            page = {
                **params,
                "filter": [*base_filter, [call.cursor_key, ">", cursor]],
                "pagination": {"page": 0, "limit": PAGE_SIZE},
            }
            raw, _next = yield page
            rows = call.raw_items(raw)
            yield rows
            if not rows:
                return
            last = _cursor(rows[-1], call.id_key)
            if last is None or last <= cursor:
                return
            cursor = last
    else:
        start: int | None = 0
        while start is not None:
            raw, next_start = yield {**params, "start": start}
            rows = call.raw_items(raw)
            yield rows
            if not rows or next_start is None or next_start == start:
                return
            start = next_start


def iterate_sync(client: Any, call: ListCall[Any, I]) -> Iterator[I]:
    """Every item of a list method, page after page, through a sync client."""
    walk = _walk(call)
    params = next(walk)
    while True:
        result: AjaxResult[Any] = client.call(call.api, call.method, params).raise_for_error()
        rows = walk.send((result.result, result.next))
        for row in rows:
            yield call.parse_item(row)
        try:
            params = next(walk)
        except StopIteration:
            return


async def iterate_async(client: Any, call: ListCall[Any, I]) -> AsyncIterator[I]:
    """Every item of a list method, page after page, through an async client."""
    walk = _walk(call)
    params = next(walk)
    while True:
        result: AjaxResult[Any] = (
            await client.call(call.api, call.method, params)
        ).raise_for_error()
        rows = walk.send((result.result, result.next))
        for row in rows:
            yield call.parse_item(row)
        try:
            params = next(walk)
        except StopIteration:
            return


# --- modes, namespaces and bound methods --------------------------------------------------------


class SyncMode:
    """Type marker: namespaces of a blocking client (calls return results)."""


class AsyncMode:
    """Type marker: namespaces of an asyncio client (calls return awaitables)."""


class BatchMode:
    """Type marker: namespaces of a batch (calls return :class:`BatchHandle`)."""


class Namespace(Generic[M]):
    """A node of the generated method tree (``b24.crm``, ``b24.crm.item``, ...).

    ``M`` says what calls return: results (:class:`SyncMode`), awaitables (:class:`AsyncMode`)
    or batch handles (:class:`BatchMode`).
    """

    def __init__(self, executor: Any) -> None:
        self.__executor = executor

    @property
    def _b24(self) -> Any:
        """What runs the calls: a client or a batch."""
        return self.__executor

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._b24!r}>"


def _warn_deprecated(call: Call[Any]) -> None:
    if call.deprecation is not None:
        warnings.warn(call.deprecation, DeprecationWarning, stacklevel=4)


def run_sync(client: Any, call: Call[R]) -> R:
    """Send a typed call through a sync client; raise its :class:`AjaxError` on failure."""
    _warn_deprecated(call)
    result: AjaxResult[Any] = client.call(call.api, call.method, call.params)
    return call.parse(result.raise_for_error().result)


async def run_async(client: Any, call: Call[R]) -> R:
    """Send a typed call through an async client; raise its :class:`AjaxError` on failure."""
    _warn_deprecated(call)
    result: AjaxResult[Any] = await client.call(call.api, call.method, call.params)
    return call.parse(result.raise_for_error().result)


class _Bound(Generic[P, R]):
    __slots__ = ("__doc__", "__wrapped__", "_builder", "_executor")

    def __init__(self, executor: Any, builder: Callable[P, Call[R]]) -> None:
        self._executor = executor
        self._builder = builder
        self.__wrapped__ = builder
        self.__doc__ = builder.__doc__

    def __repr__(self) -> str:
        return f"<typed method {self._builder.__name__} of {self._executor!r}>"


class SyncBound(_Bound[P, R]):
    """A method of a blocking client: calling it returns the typed result."""

    __slots__ = ()

    def __call__(self, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return run_sync(self._executor, self._builder(*args, **kwargs))

    def request(self, /, *args: P.args, **kwargs: P.kwargs) -> Call[R]:
        """The call without sending it (method, API version and wire parameters)."""
        return self._builder(*args, **kwargs)


class AsyncBound(_Bound[P, R]):
    """A method of an asyncio client: calling it returns an awaitable of the typed result."""

    __slots__ = ()

    def __call__(self, /, *args: P.args, **kwargs: P.kwargs) -> Coroutine[Any, Any, R]:
        return run_async(self._executor, self._builder(*args, **kwargs))

    def request(self, /, *args: P.args, **kwargs: P.kwargs) -> Call[R]:
        """The call without sending it (method, API version and wire parameters)."""
        return self._builder(*args, **kwargs)


class BatchBound(_Bound[P, R]):
    """A method inside ``with b24.batch() as batch``: calling it queues the call."""

    __slots__ = ()

    def __call__(self, /, *args: P.args, **kwargs: P.kwargs) -> BatchHandle[R]:
        handle: BatchHandle[R] = self._executor.add(self._builder(*args, **kwargs))
        return handle


class SyncListBound(SyncBound[P, R], Generic[P, R, I]):
    """A list method of a blocking client; ``.iterate(...)`` walks every page."""

    __slots__ = ()

    def iterate(self, /, *args: P.args, **kwargs: P.kwargs) -> Iterator[I]:
        """Every item, typed, page after page (``start``/``next`` on v2, keyset on REST 3.0)."""
        call: Any = self._builder(*args, **kwargs)
        _warn_deprecated(call)
        return iterate_sync(self._executor, call)


class AsyncListBound(AsyncBound[P, R], Generic[P, R, I]):
    """A list method of an asyncio client; ``async for x in ....iterate(...)`` walks every page."""

    __slots__ = ()

    def iterate(self, /, *args: P.args, **kwargs: P.kwargs) -> AsyncIterator[I]:
        """Every item, typed, page after page (``start``/``next`` on v2, keyset on REST 3.0)."""
        call: Any = self._builder(*args, **kwargs)
        _warn_deprecated(call)
        return iterate_async(self._executor, call)


def _bind(obj: Any, builder: Any, kinds: tuple[type, type, type]) -> Any:
    mode = obj._b24._b24_mode
    return kinds[mode](obj._b24, builder)


class Method(Generic[P, R]):
    """Class attribute of a namespace: one REST method, typed by its request builder."""

    __slots__ = ("builder", "name")
    _kinds: tuple[type, type, type] = (SyncBound, AsyncBound, BatchBound)

    def __init__(self, builder: Callable[P, Call[R]]) -> None:
        self.builder = builder
        self.name = builder.__name__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: Namespace[SyncMode], owner: Any) -> SyncBound[P, R]: ...
    @overload
    def __get__(self, obj: Namespace[AsyncMode], owner: Any) -> AsyncBound[P, R]: ...
    @overload
    def __get__(self, obj: Namespace[BatchMode], owner: Any) -> BatchBound[P, R]: ...
    @overload
    def __get__(self, obj: None, owner: Any) -> Method[P, R]: ...
    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return self
        return _bind(obj, self.builder, self._kinds)


class ListMethod(Generic[P, R, I]):
    """Class attribute of a namespace: a REST list method (callable and ``.iterate``-able)."""

    __slots__ = ("builder", "name")
    _kinds: tuple[type, type, type] = (SyncListBound, AsyncListBound, BatchBound)

    def __init__(self, builder: Callable[P, ListCall[R, I]]) -> None:
        self.builder = builder
        self.name = builder.__name__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: Namespace[SyncMode], owner: Any) -> SyncListBound[P, R, I]: ...
    @overload
    def __get__(self, obj: Namespace[AsyncMode], owner: Any) -> AsyncListBound[P, R, I]: ...
    @overload
    def __get__(self, obj: Namespace[BatchMode], owner: Any) -> BatchBound[P, R]: ...
    @overload
    def __get__(self, obj: None, owner: Any) -> ListMethod[P, R, I]: ...
    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return self
        return _bind(obj, self.builder, self._kinds)


_DEPRECATED = "this Bitrix24 REST method is deprecated; its docstring names the replacement"


class DeprecatedMethod(Method[P, R]):
    """A deprecated REST method: type checkers report its use; calling it warns at runtime."""

    __slots__ = ()

    @overload
    @deprecated(_DEPRECATED)
    def __get__(self, obj: Namespace[SyncMode], owner: Any) -> SyncBound[P, R]: ...
    @overload
    @deprecated(_DEPRECATED)
    def __get__(self, obj: Namespace[AsyncMode], owner: Any) -> AsyncBound[P, R]: ...
    @overload
    @deprecated(_DEPRECATED)
    def __get__(self, obj: Namespace[BatchMode], owner: Any) -> BatchBound[P, R]: ...
    @overload
    def __get__(self, obj: None, owner: Any) -> DeprecatedMethod[P, R]: ...
    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return self
        return _bind(obj, self.builder, self._kinds)


class DeprecatedListMethod(ListMethod[P, R, I]):
    """A deprecated REST list method: type checkers report its use; calls warn at runtime."""

    __slots__ = ()

    @overload
    @deprecated(_DEPRECATED)
    def __get__(self, obj: Namespace[SyncMode], owner: Any) -> SyncListBound[P, R, I]: ...
    @overload
    @deprecated(_DEPRECATED)
    def __get__(self, obj: Namespace[AsyncMode], owner: Any) -> AsyncListBound[P, R, I]: ...
    @overload
    @deprecated(_DEPRECATED)
    def __get__(self, obj: Namespace[BatchMode], owner: Any) -> BatchBound[P, R]: ...
    @overload
    def __get__(self, obj: None, owner: Any) -> DeprecatedListMethod[P, R, I]: ...
    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return self
        return _bind(obj, self.builder, self._kinds)


class Iterate(Generic[P, I]):
    """``iterate`` of a namespace that is also a list method (``a.b`` next to ``a.b.c``)."""

    __slots__ = ("builder",)

    def __init__(self, builder: Callable[P, ListCall[Any, I]]) -> None:
        self.builder = builder

    @overload
    def __get__(self, obj: Namespace[SyncMode], owner: Any) -> Callable[P, Iterator[I]]: ...
    @overload
    def __get__(self, obj: Namespace[AsyncMode], owner: Any) -> Callable[P, AsyncIterator[I]]: ...
    @overload
    def __get__(self, obj: None, owner: Any) -> Iterate[P, I]: ...
    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return self
        kinds = (SyncListBound, AsyncListBound, SyncListBound)
        return _bind(obj, self.builder, kinds).iterate


# The batch handle lives here because BatchBound names it; the collector is in typed_batch.


class BatchHandle(Generic[R]):
    """The future result of one call queued in a typed batch."""

    __slots__ = ("_call", "_done", "_error", "_value")

    def __init__(self, call: Call[R]) -> None:
        self._call = call
        self._done = False
        self._value: Any = None
        self._error: BaseException | None = None

    @property
    def call(self) -> Call[R]:
        return self._call

    def _set(self, raw: Any) -> None:
        try:
            self._value = self._call.parse(raw)
        except Exception as exc:  # a parse failure is this command's error, not the batch's
            self._error = exc
        self._done = True

    def _fail(self, error: BaseException) -> None:
        self._error = error
        self._done = True

    def done(self) -> bool:
        return self._done

    def result(self) -> R:
        """The typed result, the same model the direct call returns; raises the call's error."""
        if not self._done:
            raise SdkError(
                "the batch has not been sent yet; read results after the `with` block",
                code="SDK_BATCH_PENDING",
            )
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        state = "pending" if not self._done else ("error" if self._error else "ok")
        return f"<BatchHandle {self._call.method} {state}>"
