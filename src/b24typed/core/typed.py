"""The runtime of the generated typed surface: what every generated wrapper and model relies on.

Generated code (``b24typed.methods``, ``b24typed.models``) holds only data: signatures, docstrings,
model fields. Everything that runs lives here:

- :data:`UNSET`, the default of optional parameters (an unset parameter is never sent);
- (lenient field types and :class:`B24Model`, the base of every result model, are in
  :mod:`b24typed.core.typed_models`, so that namespaces load without pydantic);
- :class:`Call`, what a generated request builder returns: method, API version, wire parameters
  and where the result model lives (imported on first parse, so models load lazily);
- :class:`Namespace` and the method descriptors (:class:`Method`, :class:`ListMethod` and their
  deprecated variants) that turn one typed builder into a sync call, an awaitable call or a batch
  command, depending on the client the namespace belongs to.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final, Generic, TypeAlias, TypeVar, overload

from typing_extensions import ParamSpec, deprecated

from b24typed.core.errors import FieldError, ResultValidationError, SdkError

if TYPE_CHECKING:
    from b24typed.core.result import AjaxResult, ApiVersion

__all__ = [
    "UNSET",
    "AsyncMode",
    "BatchHandle",
    "BatchMode",
    "Call",
    "DeprecatedListMethod",
    "DeprecatedMethod",
    "Iterate",
    "ListCall",
    "ListMethod",
    "ListProgress",
    "M",
    "Method",
    "Namespace",
    "SyncMode",
    "Unset",
]

P = ParamSpec("P")
R = TypeVar("R")
I = TypeVar("I")  # noqa: E741 - the item type of a list method
M = TypeVar("M")

ListProgress: TypeAlias = "bool | Callable[[int, int | None], None] | None"
"""``progress`` of a list method's ``.iterate``: ``True`` for a tqdm bar, or ``callback(done,
total_or_None)``; ignored by a direct (one page) call."""


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


# --- calls --------------------------------------------------------------------------------------

_ADAPTERS: dict[tuple[str, str], Callable[[Any], Any]] = {}


def _parser(module: str, name: str) -> Callable[[Any], Any]:
    key = (module, name)
    parse = _ADAPTERS.get(key)
    if parse is None:
        from pydantic import BaseModel, TypeAdapter

        target = getattr(importlib.import_module(module), name)
        if isinstance(target, type) and issubclass(target, BaseModel):
            parse = target.model_validate
        else:
            parse = TypeAdapter(target).validate_python
        _ADAPTERS[key] = parse
    return parse


def _validate(module: str, name: str, raw: Any, method: str) -> Any:
    """``raw`` parsed into the type ``name``; an answer that does not fit raises
    :class:`ResultValidationError` (a :class:`B24Error`), not pydantic's own error."""
    try:
        return _parser(module, name)(raw)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        rows: list[dict[str, Any]] = getattr(exc, "errors", list)()
        field_errors = tuple(
            FieldError(".".join(str(p) for p in row.get("loc", ())) or None, str(row.get("msg")))
            for row in rows[:20]
        )
        summary = "; ".join(f"{f.field or '(root)'}: {f.message}" for f in field_errors[:3])
        raise ResultValidationError(
            "RESULT_VALIDATION",
            f"the answer does not fit {name} ({len(rows)} problem(s)): {summary}; "
            "use .raw(...) for the unparsed answer",
            method=method,
            field_errors=field_errors,
        ) from None


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
        return _validate(self.models, self.result, raw, self.method)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"Call(api={self.api}, method={self.method!r}, params={sorted(self.params)})"


class ListCall(Call[R], Generic[R, I]):
    """A call to a list method: it can also be walked item by item (``.iterate``)."""

    __slots__ = ("cursor_key", "id_key", "item", "items_key", "pagination", "progress")

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
        progress: ListProgress = None,
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
        self.progress = progress

    def parse_item(self, raw: Any) -> I:
        if self.item is None:
            return raw  # type: ignore[no-any-return]
        return _validate(self.models, self.item, raw, self.method)  # type: ignore[no-any-return]


# --- list walking: through the core's list export ---------------------------------------------


def _list_args(call: ListCall[Any, Any]) -> dict[str, Any]:
    args: dict[str, Any] = {
        "method": call.method,
        "params": call.params,
        "items_key": call.items_key,
        "id_key": call.id_key,
        "cursor_key": call.cursor_key,
        "progress": call.progress,
    }
    if call.api == 2 and any(key.lower() == "order" for key in call.params):
        args["mode"] = "offset"  # keyset modes order by id; a caller's order needs offset paging
    return args


def iterate_sync(client: Any, call: ListCall[Any, I]) -> Iterator[I]:
    """Every item of a list method through a sync client's list export, parsed one by one."""
    api = client.actions.v3 if call.api == 3 else client.actions.v2
    for page in api.fetch_list.make(**_list_args(call)):
        for row in page:
            yield call.parse_item(row)


async def iterate_async(client: Any, call: ListCall[Any, I]) -> AsyncIterator[I]:
    """Every item of a list method through an async client's list export, parsed one by one."""
    api = client.actions.v3 if call.api == 3 else client.actions.v2
    async for page in api.fetch_list.make(**_list_args(call)):
        for row in page:
            yield call.parse_item(row)


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
    # No __slots__: the instance carries the builder's __doc__ (help(), IDE runtime inspection).

    def __init__(self, executor: Any, builder: Callable[P, Call[R]]) -> None:
        self._executor = executor
        self._builder = builder
        self.__wrapped__ = builder
        self.__doc__ = builder.__doc__

    def __repr__(self) -> str:
        return f"<typed method {self._builder.__name__} of {self._executor!r}>"


class SyncBound(_Bound[P, R]):
    """A method of a blocking client: calling it returns the typed result."""

    def __call__(self, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return run_sync(self._executor, self._builder(*args, **kwargs))

    def request(self, /, *args: P.args, **kwargs: P.kwargs) -> Call[R]:
        """The call without sending it (method, API version and wire parameters)."""
        return self._builder(*args, **kwargs)

    def raw(self, /, *args: P.args, **kwargs: P.kwargs) -> AjaxResult[Any]:
        """Send the call and return the unparsed :class:`AjaxResult` (errors not raised): the
        escape hatch when a portal answers outside the schema."""
        call = self._builder(*args, **kwargs)
        result: AjaxResult[Any] = self._executor.call(call.api, call.method, call.params)
        return result


class AsyncBound(_Bound[P, R]):
    """A method of an asyncio client: calling it returns an awaitable of the typed result."""

    def __call__(self, /, *args: P.args, **kwargs: P.kwargs) -> Coroutine[Any, Any, R]:
        return run_async(self._executor, self._builder(*args, **kwargs))

    def request(self, /, *args: P.args, **kwargs: P.kwargs) -> Call[R]:
        """The call without sending it (method, API version and wire parameters)."""
        return self._builder(*args, **kwargs)

    async def raw(self, /, *args: P.args, **kwargs: P.kwargs) -> AjaxResult[Any]:
        """Send the call and return the unparsed :class:`AjaxResult` (errors not raised)."""
        call = self._builder(*args, **kwargs)
        result: AjaxResult[Any] = await self._executor.call(call.api, call.method, call.params)
        return result


class BatchBound(_Bound[P, R]):
    """A method inside ``with b24.batch() as batch``: calling it queues the call."""

    def __call__(self, /, *args: P.args, **kwargs: P.kwargs) -> BatchHandle[R]:
        handle: BatchHandle[R] = self._executor._add(self._builder(*args, **kwargs))
        return handle


class SyncListBound(SyncBound[P, R], Generic[P, R, I]):
    """A list method of a blocking client; ``.iterate(...)`` walks every page."""

    def iterate(self, /, *args: P.args, **kwargs: P.kwargs) -> Iterator[I]:
        """Every item, typed, page after page (``start``/``next`` on v2, keyset on REST 3.0)."""
        call: Any = self._builder(*args, **kwargs)
        _warn_deprecated(call)
        return iterate_sync(self._executor, call)


class AsyncListBound(AsyncBound[P, R], Generic[P, R, I]):
    """A list method of an asyncio client; ``async for x in ....iterate(...)`` walks every page."""

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


class DeprecatedMethod(Method[P, R]):
    """A deprecated REST method: type checkers report its use; calling it warns at runtime."""

    __slots__ = ()

    @overload
    @deprecated("this Bitrix24 REST method is deprecated; its docstring names the replacement")
    def __get__(self, obj: Namespace[SyncMode], owner: Any) -> SyncBound[P, R]: ...
    @overload
    @deprecated("this Bitrix24 REST method is deprecated; its docstring names the replacement")
    def __get__(self, obj: Namespace[AsyncMode], owner: Any) -> AsyncBound[P, R]: ...
    @overload
    @deprecated("this Bitrix24 REST method is deprecated; its docstring names the replacement")
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
    @deprecated("this Bitrix24 REST method is deprecated; its docstring names the replacement")
    def __get__(self, obj: Namespace[SyncMode], owner: Any) -> SyncListBound[P, R, I]: ...
    @overload
    @deprecated("this Bitrix24 REST method is deprecated; its docstring names the replacement")
    def __get__(self, obj: Namespace[AsyncMode], owner: Any) -> AsyncListBound[P, R, I]: ...
    @overload
    @deprecated("this Bitrix24 REST method is deprecated; its docstring names the replacement")
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
