"""The runtime of the generated typed surface: what every generated namespace relies on.

Generated code (``b24typed.methods``, ``b24typed.models``) holds only data: signatures, docstrings,
model fields. Everything that runs lives here:

- :data:`UNSET`, the default of optional parameters (an unset parameter is never sent);
- (lenient field types and :class:`B24Model`, the base of every result model, are in
  :mod:`b24typed.core.typed_models`, so that namespaces load without pydantic);
- :class:`Spec`, the one request builder of a REST method, shared by the generated sync, async
  and batch namespaces: from a method's arguments it builds a :class:`Call` (method, API
  version, wire parameters and where the result model lives, imported on first parse);
- :class:`SyncNamespace`, :class:`AsyncNamespace` and :class:`BatchNamespace`, the bases of the
  generated namespace classes, which hand a built call to what runs it;
- :func:`iterate_sync` and :func:`iterate_async`, the one typed list walk (over the core's list
  export).
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Generic, Literal, TypeAlias, TypeVar

from b24typed.core.errors import FieldError, ResultValidationError, SdkError

if TYPE_CHECKING:
    from b24typed.core.result import AjaxResult, ApiVersion

__all__ = [
    "UNSET",
    "AsyncNamespace",
    "BatchHandle",
    "BatchNamespace",
    "Call",
    "ListCall",
    "ListMode",
    "ListProgress",
    "ListSpec",
    "Namespace",
    "Spec",
    "SyncNamespace",
    "Unset",
    "request_of",
]

R = TypeVar("R")
I = TypeVar("I")  # noqa: E741 - the item type of a list method

ListMode: TypeAlias = Literal["batch", "fast", "offset"]
"""``mode`` of a REST v2 list walk (see ``B24Hook.fetch_list_method``)."""

ListProgress: TypeAlias = "bool | Callable[[int, int | None], None] | None"
"""``progress`` of a list walk: ``True`` for a tqdm bar, or ``callback(done, total_or_None)``."""


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

_ADAPTERS: dict[tuple[str, str, bool], Callable[[Any], Any]] = {}


def _parser(module: str, name: str, *, page: bool = False) -> Callable[[Any], Any]:
    """The validator of the type ``name`` (of a list of them with ``page``: one call validates
    a whole page, two to three times faster than one call per item)."""
    key = (module, name, page)
    parse = _ADAPTERS.get(key)
    if parse is None:
        from pydantic import BaseModel, TypeAdapter

        target = getattr(importlib.import_module(module), name)
        if page:
            parse = TypeAdapter(list[target]).validate_python  # type: ignore[valid-type]
        elif isinstance(target, type) and issubclass(target, BaseModel):
            parse = target.model_validate
        else:
            parse = TypeAdapter(target).validate_python
        _ADAPTERS[key] = parse
    return parse


def _validate(
    module: str,
    name: str,
    raw: Any,
    method: str,
    answer: AjaxResult[Any] | None = None,
    *,
    page: bool = False,
) -> Any:
    """``raw`` parsed into the type ``name``; an answer that does not fit raises
    :class:`ResultValidationError` (a :class:`B24Error`), not pydantic's own error.

    With the ``answer`` it came in, the error carries its HTTP status, request id and the raw
    result, and says the portal did the call: a write that succeeded is never retried blindly.
    """
    try:
        return _parser(module, name, page=page)(raw)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        rows: list[dict[str, Any]] = getattr(exc, "errors", list)()
        field_errors = tuple(
            FieldError(".".join(str(p) for p in row.get("loc", ())) or None, str(row.get("msg")))
            for row in rows[:20]
        )
        summary = "; ".join(f"{f.field or '(root)'}: {f.message}" for f in field_errors[:3])
        done = " the portal answered success, so the call was done (do not repeat a write);"
        error = ResultValidationError(
            "RESULT_VALIDATION",
            f"the answer does not fit {name} ({len(rows)} problem(s)): {summary};"
            f"{done if answer is not None else ''} .raw holds the unparsed result, and "
            "b24.raw(<method>, ...) returns the whole answer",
            method=method,
            status=answer.status if answer is not None else 0,
            request_id=answer.request_id if answer is not None else "",
            field_errors=field_errors,
        )
        error.raw = raw
        raise error from None


class Call(Generic[R]):
    """One typed REST call, as built by a generated request builder.

    ``result`` names the result type in ``models`` (``None``: the schema gives no shape and the
    raw ``result`` is returned as is).
    """

    __slots__ = ("api", "method", "models", "params", "result")

    def __init__(
        self,
        api: ApiVersion,
        method: str,
        models: str,
        result: str | None,
        params: Mapping[str, Any],
        *,
        extra_params: Mapping[str, Any] | Unset = UNSET,
    ) -> None:
        self.api: ApiVersion = api
        self.method = method
        self.models = models
        self.result = result
        wire = strip_unset(params)
        if not isinstance(extra_params, Unset):
            wire.update(strip_unset(extra_params))
        self.params: dict[str, Any] = wire

    def parse(self, raw: Any, answer: AjaxResult[Any] | None = None) -> R:
        """The typed result from the raw ``result`` member (of ``answer``, when there is one)."""
        if self.result is None:
            return raw  # type: ignore[no-any-return]
        return _validate(self.models, self.result, raw, self.method, answer)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"Call(api={self.api}, method={self.method!r}, params={sorted(self.params)})"


class ListCall(Call[R], Generic[R, I]):
    """A call to a list method: it can also be walked item by item (``.iterate``)."""

    __slots__ = ("cursor_key", "id_key", "item", "items_key", "mode", "progress")

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
        mode: ListMode = "batch",
        progress: ListProgress = None,
    ) -> None:
        super().__init__(api, method, models, result, params, extra_params=extra_params)
        self.item = item
        self.items_key = items_key
        self.id_key = id_key
        self.cursor_key = cursor_key
        self.mode: ListMode = mode
        self.progress = progress

    def parse_item(self, raw: Any) -> I:
        if self.item is None:
            return raw  # type: ignore[no-any-return]
        return _validate(self.models, self.item, raw, self.method)  # type: ignore[no-any-return]

    def parse_page(self, rows: list[Any]) -> list[I]:
        """A page of items, validated in one call."""
        if self.item is None:
            return rows
        return _validate(self.models, self.item, rows, self.method, page=True)  # type: ignore[no-any-return]


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
    if call.api == 2:
        args["mode"] = call.mode
    return args


def iterate_sync(client: Any, call: ListCall[Any, I]) -> Iterator[I]:
    """Every item of a list method through a sync client's list export, parsed page by page."""
    api = client.actions.v3 if call.api == 3 else client.actions.v2
    for page in api.fetch_list.make(**_list_args(call)):
        yield from call.parse_page(page)


async def iterate_async(client: Any, call: ListCall[Any, I]) -> AsyncIterator[I]:
    """Every item of a list method through an async client's list export, parsed page by
    page."""
    api = client.actions.v3 if call.api == 3 else client.actions.v2
    async for page in api.fetch_list.make(**_list_args(call)):
        for item in call.parse_page(page):
            yield item


# --- the shared request builder and the namespaces --------------------------------------------


class Spec(Generic[R]):
    """What a generated method sends: one per REST method, shared by the sync, async and batch
    namespaces. ``wire`` maps each Python parameter name to its wire name; ``one_of`` lists the
    groups of parameters of which the call needs one (``iblock_id`` or ``iblock_code``)."""

    __slots__ = ("api", "method", "models", "one_of", "result", "wire")

    def __init__(
        self,
        api: ApiVersion,
        method: str,
        models: str,
        result: str | None,
        wire: Mapping[str, str],
        *,
        one_of: Sequence[Sequence[str]] = (),
    ) -> None:
        self.api: ApiVersion = api
        self.method = method
        self.models = models
        self.result = result
        self.wire = wire
        self.one_of = one_of

    def _params(self, args: Mapping[str, Any]) -> dict[str, Any]:
        for group in self.one_of:
            if all(args.get(name, UNSET) is UNSET for name in group):
                names = " or ".join(f"{name}=" for name in group)
                raise SdkError(f"{self.method} needs {names}", code="SDK_INVALID_PARAMS")
        return {wire: args[name] for name, wire in self.wire.items()}

    def build(self, args: Mapping[str, Any]) -> Call[R]:
        """The call for the arguments of a generated method (its ``locals()``)."""
        return Call(
            self.api,
            self.method,
            self.models,
            self.result,
            self._params(args),
            extra_params=args.get("extra_params", UNSET),
        )

    def __repr__(self) -> str:
        return f"<Spec {self.method} (REST {'3.0' if self.api == 3 else 'v2'})>"


class ListSpec(Spec[R], Generic[R, I]):
    """A list method's :class:`Spec`: also knows its item type and where the items and ids are."""

    __slots__ = ("cursor_key", "id_key", "item", "items_key")

    def __init__(
        self,
        api: ApiVersion,
        method: str,
        models: str,
        result: str | None,
        wire: Mapping[str, str],
        *,
        item: str | None,
        items_key: str | None,
        id_key: str,
        cursor_key: str,
        one_of: Sequence[Sequence[str]] = (),
    ) -> None:
        super().__init__(api, method, models, result, wire, one_of=one_of)
        self.item = item
        self.items_key = items_key
        self.id_key = id_key
        self.cursor_key = cursor_key

    def build(self, args: Mapping[str, Any]) -> ListCall[R, I]:
        """The call for the arguments of a generated method; ``.iterate_*`` arguments (``mode``,
        ``items_key``, ``id_key``, ``cursor_key``, ``progress``) set how it is walked."""
        return ListCall(
            self.api,
            self.method,
            self.models,
            self.result,
            self._params(args),
            extra_params=args.get("extra_params", UNSET),
            item=self.item,
            items_key=args.get("items_key") or self.items_key,
            id_key=args.get("id_key") or self.id_key,
            cursor_key=args.get("cursor_key") or args.get("id_key") or self.cursor_key,
            mode=args.get("mode", "batch"),
            progress=args.get("progress"),
        )


class Namespace:
    """A node of the generated method tree (``b24.crm``, ``b24.crm.item``, ...).

    Generated namespaces come in three twins with the same methods: sync (calls return
    results), async (coroutines) and batch (queued :class:`BatchHandle`). Their method bodies
    only hand their arguments to ``_call``/``_iterate`` with the method's :class:`Spec`; what
    runs the call (``_b24``: a client, a batch) is given at construction.
    """

    __slots__ = ("__dict__", "_executor")

    def __init__(self, executor: Any) -> None:
        self._executor = executor

    @property
    def _b24(self) -> Any:
        """What runs the calls: a client or a batch."""
        return self._executor

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._b24!r}>"


class SyncNamespace(Namespace):
    """A namespace of a blocking client."""

    __slots__ = ()

    def _call(self, spec: Spec[R], args: Mapping[str, Any]) -> R:
        run: Callable[[Call[R]], R] = self._b24._typed_call
        return run(spec.build(args))

    def _walk(self, spec: ListSpec[Any, I], args: Mapping[str, Any]) -> Iterator[I]:
        return iterate_sync(self._b24, spec.build(args))


class AsyncNamespace(Namespace):
    """A namespace of an asyncio client."""

    __slots__ = ()

    def _call(self, spec: Spec[R], args: Mapping[str, Any]) -> Awaitable[R]:
        run: Callable[[Call[R]], Awaitable[R]] = self._b24._typed_call
        return run(spec.build(args))

    def _walk(self, spec: ListSpec[Any, I], args: Mapping[str, Any]) -> AsyncIterator[I]:
        return iterate_async(self._b24, spec.build(args))


class BatchNamespace(Namespace):
    """A namespace of a typed batch (``with b24.batch() as batch``)."""

    __slots__ = ()

    def _call(self, spec: Spec[R], args: Mapping[str, Any]) -> BatchHandle[R]:
        add: Callable[[Call[R]], BatchHandle[R]] = self._b24._add
        return add(spec.build(args))


def run_sync(client: Any, call: Call[R]) -> R:
    """Send a typed call through a sync client; raise its :class:`AjaxError` on failure."""
    result: AjaxResult[Any] = client.call(call.api, call.method, call.params)
    return call.parse(result.raise_for_error().result, result)


async def run_async(client: Any, call: Call[R]) -> R:
    """Send a typed call through an async client; raise its :class:`AjaxError` on failure."""
    result: AjaxResult[Any] = await client.call(call.api, call.method, call.params)
    return call.parse(result.raise_for_error().result, result)


class _Capture:
    """The executor of :func:`request_of` for sync namespaces: a call is built, never sent."""

    def _typed_call(self, call: Call[R]) -> Call[R]:
        return call


class _AsyncCapture:
    """The executor of :func:`request_of` for async namespaces."""

    async def _typed_call(self, call: Call[R]) -> Call[R]:
        return call


def request_of(
    method: Callable[..., Any], kwargs: Mapping[str, Any], *, stacklevel: int = 2
) -> Call[Any]:
    """The :class:`Call` a bound generated method (sync or async) would send for ``kwargs``.

    A deprecated method's warning is given again at ``stacklevel`` (1 is this function), so that
    it names the user's line rather than this function.
    """
    if isinstance(method, Namespace):  # a method that is also a namespace (``b24.lists.get``)
        method = method.__call__
    namespace = getattr(method, "__self__", None)
    if not isinstance(namespace, Namespace) or isinstance(namespace, BatchNamespace):
        raise SdkError(
            f"{method!r} is not a method of a client's typed namespace (b24.crm.item.get)",
            code="SDK_INVALID_PARAMS",
        )
    is_async = isinstance(namespace, AsyncNamespace)
    capture = _AsyncCapture() if is_async else _Capture()
    # The generated class that defines the method (a client mixes the root namespace in).
    owner = next(c for c in type(namespace).__mro__ if method.__name__ in vars(c))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DeprecationWarning)
        answer: Any = getattr(owner(capture), method.__name__)(**kwargs)
    for warning in caught:
        warnings.warn(warning.message, warning.category, stacklevel=stacklevel)
    if is_async:
        try:  # the async twin awaits the capture, which finishes at once
            answer.send(None)
        except StopIteration as done:
            answer = done.value
    if not isinstance(answer, Call):
        raise SdkError(
            f"{method.__name__} does not make one call (an .iterate_* walks many)",
            code="SDK_INVALID_PARAMS",
        )
    return answer


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
