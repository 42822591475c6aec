"""Reading whole lists: every item once, in as few requests as the API allows.

REST v2 (pages of 50), by ``mode``:

* ``"batch"`` (the default): keyset paging with ``start=-1``, ordered by id, where one HTTP request
  chains 50 list commands, each filtering ``>ID`` on the last id of the one before through a
  ``$result[...]`` reference. N items cost at most ``ceil(N / 2500) + 1`` requests.
* ``"fast"``: the same keyset paging, one page per request (``N / 50 + 1`` requests).
* ``"offset"``: classic ``start``/``next`` paging; keeps the caller's ``order``, for methods that
  cannot filter by id. Items added or removed during the walk can be skipped or seen twice.

The keyset modes replace the caller's ``order`` (with a warning), add the id to ``select`` when a
select list lacks it, and stop at the first page shorter than a full one (50, or the method's
``page_cap``). They see every item that exists for the whole walk exactly once, whatever is added
or removed meanwhile. Every page must send the same filter: a walk whose params hold a value a
batch command string cannot carry (``None``, ``[]``, ``{}``) runs in ``"fast"`` mode instead.

A walk checks what it relies on and stops with :class:`SdkError` rather than lose or repeat items:
keyset pages must be strictly ascending by id and start above the cursor, a chained command with
neither a result nor an error is a bad answer (asked again, then raised), and offset and tail
cursors must advance.

REST 3.0: keyset paging with ``pagination`` and a ``[id, ">", last]`` filter (stopping at the first
page shorter than the longest seen, as some methods cap pages below ``limit``), and the native
``tail`` action with a ``cursor``.

Where the items are and what the id is called come from :data:`list_registry` (a default table
for common methods, filled further by generated code from ``schemas/``) or from ``items_key``,
``id_key`` and ``cursor_key``: ``tasks.task.list`` answers ``{"tasks": [...]}`` with ``id`` but
filters and sorts on ``ID``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, TypedDict

from typing_extensions import Unpack

from b24typed.core import errors as e
from b24typed.core.batch import BatchCommand, send_v2
from b24typed.core.phpquery import dropped_value, php_view
from b24typed.core.pipeline import ClientState, Emit, Flow, StreamFlow, call_flow, mark_limit
from b24typed.core.request import make_call
from b24typed.core.result import AjaxResult, ApiVersion

logger = logging.getLogger("b24typed")

ListMode = Literal["batch", "fast", "offset"]
ProgressCallback = Callable[[int, "int | None"], None]
Progress = bool | ProgressCallback | None


class FastListOptions(TypedDict, total=False):
    """Keyword options of the REST v2 list calls, ``mode`` aside (see ``fetch_list_method``)."""

    items_key: str | None
    id_key: str | None
    cursor_key: str | None
    progress: Progress
    request_id: str | None


class ListOptions(FastListOptions, total=False):
    """Keyword options of ``fetch_list_method`` and ``call_list_method``."""

    mode: ListMode
    max_concurrency: int
    ordered: bool


class TailOptions(TypedDict, total=False):
    """Keyword options of the REST 3.0 tail walks (see ``v3_fetch_tail``)."""

    field: str
    order: Literal["ASC", "DESC"]
    initial_value: Any
    limit: int
    items_key: str
    progress: Progress
    request_id: str | None


class V3ListOptions(FastListOptions, total=False):
    """Keyword options of the REST 3.0 list calls: ``limit`` is the page size asked for."""

    limit: int


PAGE_SIZE = 50
CHAIN = 50  # list commands per chained batch
MAX_CONCURRENCY = 16  # id ranges walked at once by default (mode="batch")


@dataclass(frozen=True)
class ListInfo:
    """Where a list method keeps its items and how its id is called.

    ``items_key``: the key of the item list inside ``result`` (``None``: ``result`` is the list).
    ``id_key``: the id as items carry it; ``cursor_key``: the id as ``filter``/``order`` name it.
    ``sort_params``: the method orders by top-level ``sort``/``order`` (``user.get``).
    ``page_cap``: the most items a REST 3.0 page holds whatever ``limit`` asks for, if known.
    """

    items_key: str | None = None
    id_key: str = "ID"
    cursor_key: str = "ID"
    sort_params: bool = False
    page_cap: int | None = None

    @classmethod
    def of(cls, items_key: str | None, id_key: str, cursor_key: str | None = None) -> ListInfo:
        return cls(items_key, id_key, cursor_key or id_key)


def _v2(items_key: str | None, id_key: str, cursor_key: str | None = None) -> ListInfo:
    return ListInfo.of(items_key, id_key, cursor_key)


_DEFAULT_V2: dict[str, ListInfo] = {
    **{
        f"crm.{entity}.list": _v2(None, "ID")
        for entity in (
            "deal",
            "lead",
            "contact",
            "company",
            "quote",
            "invoice",
            "activity",
            "requisite",
            "productrow",
            "status",
            "currency",
            "timeline.comment",
        )
    },
    "crm.item.list": _v2("items", "id"),
    "crm.item.productrow.list": _v2("productRows", "id"),
    "crm.type.list": _v2("types", "id"),
    "crm.category.list": _v2("categories", "id"),
    "crm.automatedsolution.list": _v2("automatedSolutions", "id"),
    "tasks.task.list": _v2("tasks", "id", "ID"),
    "tasks.task.history.list": _v2("list", "id", "ID"),
    "socialnetwork.api.workgroup.list": _v2("workgroups", "id", "ID"),
    "user.get": replace(_v2(None, "ID"), sort_params=True),
    "department.get": replace(_v2(None, "ID"), sort_params=True),
    "catalog.product.list": _v2("products", "id"),
    "catalog.document.list": _v2("documents", "id"),
    "catalog.section.list": _v2("sections", "id"),
    "catalog.store.list": _v2("stores", "id"),
    "lists.element.get": _v2(None, "ID"),
}


_DEFAULT_V3: dict[str, ListInfo] = {
    "tasks.task.list": ListInfo("items", "id", "id", page_cap=50),
}


class ListRegistry:
    """List method -> :class:`ListInfo`, per API version; generated code adds to it."""

    def __init__(self) -> None:
        self._tables: dict[int, dict[str, ListInfo]] = {2: dict(_DEFAULT_V2), 3: dict(_DEFAULT_V3)}
        self._loaders: list[tuple[int, Callable[[], Mapping[str, ListInfo]]]] = []
        self._lock = threading.Lock()

    def register(self, table: Mapping[str, ListInfo], api: ApiVersion = 2) -> None:
        with self._lock:
            self._tables[api].update(table)

    def add_loader(self, loader: Callable[[], Mapping[str, ListInfo]], api: ApiVersion = 2) -> None:
        """Register a table to be read the first time a list is walked."""
        with self._lock:
            self._loaders.append((api, loader))

    def lookup(self, method: str, api: ApiVersion = 2) -> ListInfo | None:
        if self._loaders:
            with self._lock:
                loaders, self._loaders = self._loaders, []
                for version, loader in loaders:
                    for name, info in loader().items():
                        self._tables[version].setdefault(name, info)
        return self._tables[api].get(method)


list_registry = ListRegistry()


def resolve_info(
    method: str,
    api: ApiVersion,
    items_key: str | None = None,
    id_key: str | None = None,
    cursor_key: str | None = None,
) -> tuple[ListInfo, bool]:
    """The list info for a call, and whether the id name is known (else read from the items)."""
    known = list_registry.lookup(method, api)
    base = known or (ListInfo("items", "id", "id") if api == 3 else ListInfo())
    id_known = id_key is not None or known is not None
    ident = id_key or base.id_key
    info = ListInfo(
        items_key=items_key if items_key is not None else base.items_key,
        id_key=ident,
        cursor_key=cursor_key or (base.cursor_key if id_key is None else ident),
        sort_params=base.sort_params,
        page_cap=base.page_cap,
    )
    return info, id_known


def page_items(result: Any, items_key: str | None) -> list[Any]:
    """The items of one list answer: ``result`` itself, ``result[items_key]``, or the one list
    inside ``result``; ``[]`` when there is none (a wrong key never crashes)."""
    if isinstance(result, list):
        return result
    if not isinstance(result, Mapping):
        return []
    if items_key is not None:
        found = result.get(items_key)
        return found if isinstance(found, list) else []
    lists = [value for value in result.values() if isinstance(value, list)]
    if len(lists) == 1:
        return lists[0]
    if result and all(isinstance(value, Mapping) for value in result.values()):
        return list(result.values())  # an answer keyed by id
    return []


def _detect_id(items: Sequence[Any], info: ListInfo) -> ListInfo:
    first = items[0] if items else None
    if isinstance(first, Mapping) and info.id_key not in first:
        for name in ("ID", "id", "Id"):
            if name in first:
                return replace(info, id_key=name)
    return info


def _item_id(item: Any, info: ListInfo, method: str) -> int:
    value = item.get(info.id_key) if isinstance(item, Mapping) else None
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise e.SdkError(
            f"{method}: an item has no numeric {info.id_key!r}, so keyset paging cannot go on; "
            "pass id_key= (the id as items carry it) and cursor_key= (as filters name it), "
            "or use mode='offset'",
            code="SDK_LIST_NO_ID",
        ) from None


def _find_key(params: Mapping[str, Any], name: str) -> str | None:
    for key in params:
        if key.lower() == name:
            return key
    return None


class _Reporter:
    """Progress as a tqdm bar (``True``) or a ``callback(done, total_or_None)``."""

    def __init__(self, progress: Progress, method: str) -> None:
        self.done = 0
        self.total: int | None = None
        self._callback: ProgressCallback | None = None
        self._bar: Any = None
        if callable(progress):
            self._callback = progress
        elif progress:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                logger.warning("progress=True needs tqdm: pip install 'b24typed[progress]'")
            else:
                self._bar = tqdm(desc=method, unit=" items")

    def add(self, count: int, total: int | None = None) -> None:
        self.done += count
        if total is not None:
            self.total = total
        if self._bar is not None:
            if total is not None and self._bar.total != total:
                self._bar.total = total
            self._bar.update(count)
        if self._callback is not None:
            self._callback(self.done, self.total)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


@dataclass(frozen=True)
class ListQuery:
    """One list walk: the method, the caller's params and how to page."""

    method: str
    params: Mapping[str, Any]
    info: ListInfo
    id_known: bool
    api: ApiVersion = 2
    mode: ListMode = "batch"
    limit: int = PAGE_SIZE
    progress: Progress = None
    request_id: str | None = None
    max_concurrency: int = MAX_CONCURRENCY
    ordered: bool = False


def list_query(
    method: str,
    params: Mapping[str, Any] | None = None,
    *,
    api: ApiVersion = 2,
    mode: ListMode = "batch",
    items_key: str | None = None,
    id_key: str | None = None,
    cursor_key: str | None = None,
    limit: int = PAGE_SIZE,
    progress: Progress = None,
    request_id: str | None = None,
    max_concurrency: int = MAX_CONCURRENCY,
    ordered: bool = False,
) -> ListQuery:
    if mode not in ("batch", "fast", "offset"):
        raise e.SdkError(f"unknown list mode {mode!r}", code="SDK_INVALID_PARAMS")
    if isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int):
        raise e.SdkError("max_concurrency must be an int", code="SDK_INVALID_PARAMS")
    if max_concurrency < 1:
        raise e.SdkError("max_concurrency must be at least 1", code="SDK_INVALID_PARAMS")
    if params is not None and not isinstance(params, Mapping):
        raise e.SdkError("params must be a mapping", code="SDK_INVALID_PARAMS")
    if limit < 1:
        raise e.SdkError("limit must be at least 1", code="SDK_INVALID_PARAMS")
    info, known = resolve_info(method, api, items_key, id_key, cursor_key)
    return ListQuery(
        method,
        dict(params or {}),
        info,
        known,
        api,
        mode,
        limit,
        progress,
        request_id,
        max_concurrency,
        ordered,
    )


# --- REST v2 -------------------------------------------------------------------------------


def _keyset_base(query: ListQuery) -> tuple[dict[str, Any], str, dict[str, Any], int]:
    """The params of every page without the cursor: (params, filter key, filter, first cursor)."""
    info = query.info
    params = dict(query.params)
    params.pop(_find_key(params, "start") or "start", None)
    if info.sort_params:
        for name in ("sort", "order"):
            key = _find_key(params, name)
            if key is not None and str(params.pop(key)).upper() not in (info.cursor_key, "ASC"):
                logger.warning("%s: the caller's %s is replaced by ID order", query.method, key)
        params["sort"], params["order"] = info.cursor_key, "ASC"
    else:
        order_key = _find_key(params, "order")
        if order_key is not None:
            order = params.pop(order_key)
            if order and dict(order) != {info.cursor_key: "ASC"}:
                logger.warning(
                    "%s: the caller's order %r is ignored; keyset paging orders by %s",
                    query.method,
                    order,
                    info.cursor_key,
                )
        params["order"] = {info.cursor_key: "ASC"}
    select_key = _find_key(params, "select")
    if select_key is not None and isinstance(params[select_key], list | tuple):
        select = list(params[select_key])
        names = {str(s).lower() for s in select}
        if select and "*" not in names and info.cursor_key.lower() not in names:
            params[select_key] = [*select, info.cursor_key]
    filter_key = _find_key(params, "filter") or "filter"
    user_filter = params.pop(filter_key, None) or {}
    if not isinstance(user_filter, Mapping):
        raise e.SdkError(
            f"{query.method}: a REST v2 filter must be a mapping", code="SDK_INVALID_PARAMS"
        )
    flt = dict(user_filter)
    cursor = -1  # ids may start at 0 (the default deal category): ">ID": -1 keeps it
    start_key = f">{info.cursor_key}"
    if start_key in flt:
        try:
            cursor = int(flt.pop(start_key))
        except (TypeError, ValueError, OverflowError):
            raise e.SdkError(
                f"{query.method}: filter {start_key!r} must be a number", code="SDK_INVALID_PARAMS"
            ) from None
    return params, filter_key, flt, cursor


def _page_call(
    state: ClientState, api: ApiVersion, method: str, params: Mapping[str, Any], rid: str | None
) -> Flow[AjaxResult[Any]]:
    """One page; a limit error past the call's own retries waits and asks again.

    A walk can take longer than one call's retry deadline, so it does not give up on a limit.
    """
    failures = 0
    while True:
        answer = yield from call_flow(state, make_call(api, method, params, request_id=rid))
        if answer.error is None:
            return answer
        failures += 1
        if not isinstance(answer.error, e.LimitError) or failures >= state.retry.max_attempts:
            raise answer.error
        logger.debug("%s: a page hit %s; waiting, then asking again", method, answer.error.code)
        yield from mark_limit(state, answer.error, method, (method,))


def _page_params(
    base: Mapping[str, Any], filter_key: str, flt: Mapping[str, Any], cursor_key: str, cursor: Any
) -> dict[str, Any]:
    return {**base, filter_key: {**flt, f">{cursor_key}": cursor}, "start": -1}


def _check_order(items: Sequence[Any], info: ListInfo, method: str, cursor: int) -> int:
    """The last id of a page, after checking the page starts past the cursor and ascends."""
    previous = cursor
    for item in items:
        ident = _item_id(item, info, method)
        if ident <= previous:
            where = "started at or below the cursor" if previous == cursor else "is not ascending"
            raise e.SdkError(
                f"{method}: a page {where} (id {ident} after {previous}), so the portal ignored "
                f"the '>{info.cursor_key}' filter or the id order; pass cursor_key= or use "
                "mode='offset'",
                code="SDK_LIST_CURSOR_IGNORED",
            )
        previous = ident
    return previous


def _fast_page(
    state: ClientState,
    query: ListQuery,
    base: tuple[dict[str, Any], str, dict[str, Any]],
    cursor: int,
) -> Flow[list[Any]]:
    params, filter_key, flt = base
    page = _page_params(params, filter_key, flt, query.info.cursor_key, cursor)
    answer = yield from _page_call(state, 2, query.method, page, query.request_id)
    return page_items(answer.result, query.info.items_key)


def v2_list_flow(state: ClientState, query: ListQuery) -> StreamFlow[None]:
    """Emit every page of a REST v2 list (see the module docstring for the modes)."""
    reporter = _Reporter(query.progress, query.method)
    try:
        if query.mode == "offset":
            yield from _offset_pages(state, query, reporter)
        elif query.mode == "batch" and query.max_concurrency > 1:
            from b24typed.core.chains import parallel_pages

            yield from parallel_pages(state, query, reporter)
        else:
            yield from _keyset_pages(state, query, reporter)
    finally:
        reporter.close()


def _offset_pages(state: ClientState, query: ListQuery, reporter: _Reporter) -> StreamFlow[None]:
    start = 0
    info = query.info
    seen: set[Any] = set()  # items that moved to a later page are not given twice
    while True:
        params = {**query.params, "start": start}
        answer = yield from _page_call(state, 2, query.method, params, query.request_id)
        items = page_items(answer.result, info.items_key)
        if start == 0 and not query.id_known:
            info = _detect_id(items, info)
        fresh = []
        for item in items:
            ident = item.get(info.id_key) if isinstance(item, Mapping) else None
            if not isinstance(ident, str | int):  # only a scalar id can tell items apart
                ident = None
            if ident is None or ident not in seen:
                fresh.append(item)
                if ident is not None:
                    seen.add(ident)
        if items and not fresh:
            raise _stuck(query.method, f"the page at start={start} brought no new item")
        if fresh:
            reporter.add(len(fresh), answer.total)
            yield Emit(fresh)
        following = answer.next
        if following is None or not items:
            return
        if following <= start:
            raise _stuck(query.method, f"next={following} does not move past start={start}")
        start = following


def _stuck(method: str, why: str) -> e.SdkError:
    return e.SdkError(
        f"{method}: the walk stopped because {why}; the portal may ignore the paging params",
        code="SDK_LIST_CURSOR_STUCK",
    )


def _keyset_pages(state: ClientState, query: ListQuery, reporter: _Reporter) -> StreamFlow[None]:
    params, filter_key, flt, cursor = _keyset_base(query)
    info = query.info
    full = _full_page(info)
    if query.mode == "batch":
        dropped = dropped_value(params) or dropped_value(flt, filter_key)
        if dropped is not None:
            # Page 1 travels as JSON and keeps the value; the command strings of later pages
            # would drop it and so change the filter mid-walk.
            logger.info(
                "%s: %s cannot travel in a batch command, so the walk runs in mode='fast'",
                query.method,
                dropped,
            )
            query = replace(query, mode="fast")
        else:
            # Page 1 (JSON) sends the values as later pages' command strings deliver them.
            params, flt = php_view(params), php_view(flt)
    base = (params, filter_key, flt)
    # The first page alone: small lists cost one request, and unknown id names are learnt.
    items = yield from _fast_page(state, query, base, cursor)
    if not items:
        return
    if not query.id_known:
        info = _detect_id(items, info)
        query = replace(query, info=info)
    cursor = _check_order(items, info, query.method, cursor)
    reporter.add(len(items))
    yield Emit(items)
    if len(items) < full:
        return
    if query.mode == "fast":
        while True:
            items = yield from _fast_page(state, query, base, cursor)
            if not items:
                return
            cursor = _check_order(items, info, query.method, cursor)
            reporter.add(len(items))
            yield Emit(items)
            if len(items) < full:
                return
    yield from chained_pages(state, query, base, cursor, reporter)


def chained_pages(
    state: ClientState,
    query: ListQuery,
    base: tuple[dict[str, Any], str, dict[str, Any]],
    cursor: int,
    reporter: _Reporter,
) -> StreamFlow[None]:
    """Emit every page after ``cursor``, one chained batch after the other."""
    failures = 0
    while True:
        pages, finished, error = yield from _chained_batch(state, query, base, cursor)
        for items in pages:
            cursor = _check_order(items, query.info, query.method, cursor)
            reporter.add(len(items))
            yield Emit(items)
        if finished:
            return
        if error is not None:
            failures = 0 if pages else failures + 1
            yield from check_chain_error(state, query.method, error, failures, cursor)


def check_chain_error(
    state: ClientState, method: str, error: e.AjaxError, failures: int, cursor: int
) -> Flow[None]:
    """Raise a chain's ``error`` unless it is worth asking again: a limit error (then mark the
    limit, so the chain's next send waits) or a command left without an answer."""
    retryable = isinstance(error, e.LimitError) or error.code == NO_ANSWER
    if not retryable or failures >= state.retry.max_attempts:
        raise error
    if isinstance(error, e.LimitError):
        yield from mark_limit(state, error, method, (method,))
    logger.debug("%s: a chained page failed (%s); resuming after id %s", method, error.code, cursor)


NO_ANSWER = "BATCH_COMMAND_NO_ANSWER"


def _full_page(info: ListInfo) -> int:
    """How many items a full REST v2 page holds: 50, or less for a method that caps its pages."""
    return min(PAGE_SIZE, info.page_cap) if info.page_cap else PAGE_SIZE


def _chained_batch(
    state: ClientState,
    query: ListQuery,
    base: tuple[dict[str, Any], str, dict[str, Any]],
    cursor: int,
    length: int = CHAIN,
) -> Flow[tuple[list[list[Any]], bool, e.AjaxError | None]]:
    """One request of up to ``length`` pages, each after the last id of the one before.

    Returns the pages up to the first short one, whether the list ended, and the error that
    stopped the chain early (the pages before it are good): a command's own error, or
    ``BATCH_COMMAND_NO_ANSWER`` when the answer holds neither its result nor its error.
    """
    params, filter_key, flt = base
    info = query.info
    full = _full_page(info)
    path = f"[{info.items_key}]" if info.items_key else ""
    commands = []
    for i in range(length):
        after: Any = cursor if i == 0 else f"$result[p{i - 1}]{path}[{full - 1}][{info.id_key}]"
        page = _page_params(params, filter_key, flt, info.cursor_key, after)
        commands.append(BatchCommand(f"p{i}", query.method, page))
    answer = yield from send_v2(
        state,
        commands,
        named=True,
        halt=True,
        return_ajax_result=False,
        request_id=query.request_id,
    )
    pages: list[list[Any]] = []
    for command in commands:
        if command.key in answer.errors:
            return pages, False, answer.errors[command.key]
        if command.key not in answer.results:
            missing = e.ResponseFormatError(
                NO_ANSWER,
                f"the batch answer holds neither a result nor an error for page {command.key}",
                status=200,
                method=query.method,
                request_id=query.request_id or "",
            )
            return pages, False, missing
        items = page_items(answer.results[command.key], info.items_key)
        if items:
            pages.append(items)
        if len(items) < full:
            # Later commands referred to an item this page does not have: ignore them.
            return pages, True, None
    return pages, False, None


# --- REST 3.0 ------------------------------------------------------------------------------


def _v3_filter(query: ListQuery, params: dict[str, Any]) -> list[Any]:
    raw = params.pop("filter", None) or []
    if not isinstance(raw, list | tuple):
        raise e.SdkError(
            f"{query.method}: a REST 3.0 filter is a list of [field, operator, value] conditions",
            code="SDK_INVALID_PARAMS",
        )
    return list(raw)


def _strip(query: ListQuery, params: dict[str, Any], *names: str) -> None:
    for name in names:
        if params.pop(name, None) is not None:
            logger.warning("%s: the caller's %r is ignored by keyset paging", query.method, name)


def v3_list_flow(state: ClientState, query: ListQuery) -> StreamFlow[None]:
    """Emit every page of a REST 3.0 list: ``pagination`` plus a ``[id, ">", last]`` filter."""
    params = dict(query.params)
    _strip(query, params, "order", "pagination")
    flt = _v3_filter(query, params)
    info = query.info
    cursor = -1  # ids may start at 0
    # A page shorter than a full one ends the walk. Some methods cap pages below ``limit``: when
    # the cap is unknown, "full" is the longest page seen, which costs one more request.
    longest = min(query.limit, info.page_cap) if info.page_cap else 0
    reporter = _Reporter(query.progress, query.method)
    try:
        while True:
            page = {
                **params,
                "filter": [*flt, [info.cursor_key, ">", cursor]],
                "order": {info.cursor_key: "ASC"},
                "pagination": {"page": 1, "limit": query.limit},
            }
            answer = yield from _page_call(state, 3, query.method, page, query.request_id)
            items = page_items(answer.result, info.items_key)
            if not items:
                return
            cursor = _check_order(items, info, query.method, cursor)
            reporter.add(len(items))
            yield Emit(items)
            longest = max(longest, len(items))
            if len(items) < longest:
                return
    finally:
        reporter.close()


@dataclass(frozen=True)
class TailQuery:
    """A walk over a REST 3.0 ``*.tail`` method."""

    method: str
    params: Mapping[str, Any]
    field: str = "id"
    order: Literal["ASC", "DESC"] = "ASC"
    initial_value: Any = None
    limit: int = PAGE_SIZE
    items_key: str = "items"
    progress: Progress = None
    request_id: str | None = None


def _beyond(value: Any, cursor: Any, *, descending: bool) -> bool:
    """Whether a tail value lies past the cursor in the walk's direction (values that do not
    compare, such as a number and a string, only need to differ)."""
    try:
        return bool(value < cursor if descending else value > cursor)
    except TypeError:
        return bool(value != cursor)


def v3_tail_flow(state: ClientState, query: TailQuery) -> StreamFlow[None]:
    """Emit every page of a ``tail`` action: ``cursor {field, value, order, limit}``."""
    order = str(query.order).upper()
    if order not in ("ASC", "DESC"):
        raise e.SdkError("tail order is 'ASC' or 'DESC'", code="SDK_INVALID_PARAMS")
    if order == "DESC" and query.initial_value is None:
        raise e.SdkError(
            "a DESC tail needs initial_value (the value to read below)",
            code="SDK_TAIL_DESC_NEEDS_INITIAL_VALUE",
        )
    params = dict(query.params)
    for name in ("pagination", "order", "cursor"):
        if params.pop(name, None) is not None:
            logger.warning("%s: the caller's %r is ignored by tail paging", query.method, name)
    flt = params.get("filter")
    if isinstance(flt, list) and any(
        isinstance(c, list | tuple) and c and c[0] == query.field for c in flt
    ):
        logger.warning(
            "%s: the cursor field %r is also in the filter; the portal rejects that",
            query.method,
            query.field,
        )
    select = params.get("select")
    if isinstance(select, list | tuple) and select and query.field not in select:
        params["select"] = [*select, query.field]
    value = 0 if query.initial_value is None else query.initial_value
    longest = 0
    reporter = _Reporter(query.progress, query.method)
    try:
        while True:
            page = {
                **params,
                "cursor": {
                    "field": query.field,
                    "value": value,
                    "order": order,
                    "limit": query.limit,
                },
            }
            answer = yield from _page_call(state, 3, query.method, page, query.request_id)
            items = page_items(answer.result, query.items_key)
            if not items:
                return
            first = items[0].get(query.field) if isinstance(items[0], Mapping) else None
            if first is not None and not _beyond(first, value, descending=order == "DESC"):
                raise _stuck(
                    query.method,
                    f"a page started at {query.field}={first!r}, not past the cursor {value!r}",
                )
            reporter.add(len(items))
            yield Emit(items)
            longest = max(longest, len(items))
            last = items[-1]
            if len(items) < longest:
                return
            if not isinstance(last, Mapping) or last.get(query.field) is None:
                raise e.SdkError(
                    f"{query.method}: the last item has no {query.field!r} to continue from",
                    code="SDK_LIST_NO_ID",
                )
            following = last[query.field]
            if not _beyond(following, value, descending=order == "DESC"):
                raise _stuck(
                    query.method, f"the cursor {query.field}={following!r} did not advance"
                )
            value = following
    finally:
        reporter.close()


def collect(flow: StreamFlow[Any]) -> Flow[list[Any]]:
    """A flow that runs ``flow`` and returns every item it emits, in one list."""
    items: list[Any] = []
    value: Any = None
    while True:
        try:
            effect = flow.send(value)
        except StopIteration:
            return items
        if isinstance(effect, Emit):
            items.extend(effect.value)
            value = None
        else:
            value = yield effect


# --- flow builders for the clients and ``actions`` -------------------------------------------


def v2_fetch_list(
    state: ClientState,
    *,
    method: str,
    params: Mapping[str, Any] | None = None,
    **options: Unpack[ListOptions],
) -> StreamFlow[None]:
    """Pages of a REST v2 list (``actions.v2.fetch_list``)."""
    return v2_list_flow(state, list_query(method, params, **options))


def v2_call_list(
    state: ClientState,
    *,
    method: str,
    params: Mapping[str, Any] | None = None,
    **options: Unpack[ListOptions],
) -> Flow[list[Any]]:
    """Every item of a REST v2 list (``actions.v2.call_list``)."""
    return collect(v2_fetch_list(state, method=method, params=params, **options))


def v3_fetch_list(
    state: ClientState,
    *,
    method: str,
    params: Mapping[str, Any] | None = None,
    **options: Unpack[V3ListOptions],
) -> StreamFlow[None]:
    """Pages of a REST 3.0 list (``actions.v3.fetch_list``)."""
    return v3_list_flow(state, list_query(method, params, api=3, **options))


def v3_call_list(
    state: ClientState,
    *,
    method: str,
    params: Mapping[str, Any] | None = None,
    **options: Unpack[V3ListOptions],
) -> Flow[list[Any]]:
    """Every item of a REST 3.0 list (``actions.v3.call_list``)."""
    return collect(v3_fetch_list(state, method=method, params=params, **options))


def v3_fetch_tail(
    state: ClientState,
    *,
    method: str,
    params: Mapping[str, Any] | None = None,
    field: str = "id",
    order: Literal["ASC", "DESC"] = "ASC",
    initial_value: Any = None,
    limit: int = PAGE_SIZE,
    items_key: str = "items",
    progress: Progress = None,
    request_id: str | None = None,
) -> StreamFlow[None]:
    """Pages of a REST 3.0 ``*.tail`` method (``actions.v3.fetch_tail``)."""
    query = TailQuery(
        method,
        dict(params or {}),
        field,
        order,
        initial_value,
        limit,
        items_key,
        progress,
        request_id,
    )
    return v3_tail_flow(state, query)


def v3_call_tail(
    state: ClientState,
    *,
    method: str,
    params: Mapping[str, Any] | None = None,
    **options: Unpack[TailOptions],
) -> Flow[list[Any]]:
    """Every item of a REST 3.0 ``*.tail`` method (``actions.v3.call_tail``)."""
    return collect(v3_fetch_tail(state, method=method, params=params, **options))
