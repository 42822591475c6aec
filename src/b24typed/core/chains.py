"""Parallel keyset export: one REST v2 list walked as several chains over disjoint id ranges.

The first request asks for the first page and, in the same batch, the highest id. The ids
between them are cut into ranges of about the same number of pages (the first page tells how
dense the ids are), and every round sends one chained batch per range at once
(:class:`~b24typed.core.pipeline.Start`, then :class:`~b24typed.core.pipeline.Join`: threads
in the sync client, tasks in the async one). The next round starts before the caller gets this
round's pages, so the caller's work and the portal's overlap. A range whose last page reaches
its upper bound, or comes back short, is done; when fewer ranges are left than the walk may
run, the largest one is cut in two, so sparse ids do not leave one long chain walking alone.
The last range has no upper bound, so items added at the end of the list during the walk are
read as the sequential walk reads them.

How many ranges run in a round: at most ``max_concurrency``, no more than the bucket has tokens
for right now, and one when the method's operating budget is half spent. Memory holds two
rounds of pages; ``ordered=True`` emits them in id order, holding back at most
:data:`HOLD_PAGES` pages per range until the ranges below it are done.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from b24typed.core import errors as e
from b24typed.core.batch import BatchCommand, send_v2
from b24typed.core.limits import PortalLimits
from b24typed.core.lists import (
    CHAIN,
    PAGE_SIZE,
    ListQuery,
    _chained_batch,
    _check_order,
    _detect_id,
    _full_page,
    _item_id,
    _keyset_base,
    _keyset_pages,
    _page_params,
    _Reporter,
    chained_pages,
    check_chain_error,
    page_items,
)
from b24typed.core.phpquery import dropped_value
from b24typed.core.pipeline import ClientState, Emit, Flow, Join, Running, Start, StreamFlow

HOLD_PAGES = CHAIN  # pages a range may hold back for the ranges below it (ordered=True)
MIN_PAGES = 10  # a range is not cut below this many pages (a request per range has a price)

Base = tuple[dict[str, Any], str, dict[str, Any]]


@dataclass
class _Range:
    """Ids after ``cursor`` up to ``upper`` (``None``: no upper bound)."""

    cursor: int
    upper: int | None
    done: bool = False
    failures: int = 0
    held: list[list[Any]] = field(default_factory=list)

    def pages_left(self, top: int, density: float) -> int:
        """Pages this range still holds, judged by the ids left and the density seen."""
        end = top if self.upper is None else self.upper
        return max(1, math.ceil(max(0, end - self.cursor) * density / PAGE_SIZE))


def parallel_pages(state: ClientState, query: ListQuery, reporter: _Reporter) -> StreamFlow[None]:
    """Emit every page of a keyset list (``mode="batch"``), walking id ranges at once."""
    params, filter_key, flt, cursor = _keyset_base(query)
    if dropped_value(params) is not None or dropped_value(flt, filter_key) is not None:
        # a value batch commands cannot carry: the sequential walk runs it page by page
        yield from _keyset_pages(state, query, reporter)
        return
    base: Base = (params, filter_key, flt)
    first, top = yield from _first_and_top(state, query, base, cursor)
    if first is None:  # the first page failed: the sequential walk reports it its own way
        yield from _keyset_pages(state, replace(query, max_concurrency=1), reporter)
        return
    if not first:
        return
    info = query.info if query.id_known else _detect_id(first, query.info)
    query = replace(query, info=info)
    lowest = _item_id(first[0], info, query.method)
    cursor = _check_order(first, info, query.method, cursor)
    reporter.add(len(first))
    yield Emit(first)
    if len(first) < _full_page(info):
        return
    top_id = _top_id(top, query)
    if top_id is None or top_id < cursor:
        # no highest id, or one below the first page's last: walk on in one chain
        yield from chained_pages(state, query, base, cursor, reporter)
        return
    if top_id == cursor:
        return
    walk = _Walk(state, query, base, top_id, len(first) / max(1, cursor - lowest + 1))
    ranges = _split(cursor, top_id, walk.density, _concurrency(state, query))
    chains = _next_round(state, query, ranges)
    running: Running | None = yield Start(tuple(walk.batch(chain) for chain in chains))
    try:
        while running is not None:
            outcomes = yield Join(running)
            running = None
            for chain, outcome in zip(chains, outcomes, strict=True):
                yield from walk.take(chain, outcome)
            walk.end_round()
            ready = _ready(ranges, query.ordered)
            ranges = _rebalance(ranges, top_id, walk.density, _concurrency(state, query))
            chains = _next_round(state, query, ranges)
            if chains:  # the next round runs while the caller takes this one's pages
                running = yield Start(tuple(walk.batch(chain) for chain in chains))
            for page in ready:
                reporter.add(len(page))
                yield Emit(page)
    finally:
        if running is not None:  # the caller stopped early
            running.cancel()


def _first_and_top(
    state: ClientState, query: ListQuery, base: Base, cursor: int
) -> Flow[tuple[list[Any] | None, Any]]:
    """The first page and the answer of the highest-id probe, in one request.

    The first page is ``None`` when the portal refused it (the caller falls back)."""
    params, filter_key, flt = base
    info = query.info
    probe = dict(_page_params(params, filter_key, flt, info.cursor_key, cursor))
    if info.sort_params:
        probe["order"] = "DESC"
    else:
        probe["order"] = {info.cursor_key: "DESC"}
    select_key = next((k for k in probe if k.lower() == "select"), None)
    if select_key is not None and isinstance(probe[select_key], list):
        probe[select_key] = [info.cursor_key]
    commands = [
        BatchCommand(
            "first", query.method, _page_params(params, filter_key, flt, info.cursor_key, cursor)
        ),
        BatchCommand("top", query.method, probe),
    ]
    answer = yield from send_v2(
        state,
        commands,
        named=True,
        halt=False,
        return_ajax_result=False,
        request_id=query.request_id,
    )
    if "first" in answer.errors or "first" not in answer.results:
        return None, None
    top = None if "top" in answer.errors else answer.results.get("top")
    return page_items(answer.results["first"], info.items_key), top


def _top_id(top: Any, query: ListQuery) -> int | None:
    items = page_items(top, query.info.items_key)
    if not items or not isinstance(items[0], Mapping):
        return None
    try:
        return int(items[0][query.info.id_key])
    except (KeyError, TypeError, ValueError):
        return None


def _concurrency(state: ClientState, query: ListQuery) -> int:
    """Ranges the walk may run at once now: the option, the bucket and the operating budget."""
    limits = state.limits
    if not limits.config.enabled:
        return query.max_concurrency
    if not isinstance(limits, PortalLimits):
        # a shared store (Redis, ...) answers reservations, not its state: stay within a burst
        # (every request still reserves its token, so the bucket is kept either way)
        return max(1, min(query.max_concurrency, limits.config.burst))
    now = state.clock.now()
    if limits.operating.wait_for(query.method, now) > 0:
        return 1
    used = limits.operating.snapshot().get(query.method, 0.0)
    if used > limits.operating.budget / 2:
        return 1
    tokens = int(limits.rate.available(now))
    return max(1, min(query.max_concurrency, tokens))


def _split(cursor: int, top: int, density: float, chains: int) -> list[_Range]:
    """Ranges after ``cursor`` of whole pages each (at the ``density`` seen), the last open."""
    pages = max(1, math.ceil((top - cursor) * density / PAGE_SIZE))
    chains = max(1, min(chains, pages // MIN_PAGES))
    width = max(1, math.ceil(math.ceil(pages / chains) * PAGE_SIZE / density))
    ranges = []
    for _ in range(chains - 1):
        if cursor + width >= top:
            break
        ranges.append(_Range(cursor, cursor + width))
        cursor += width
    ranges.append(_Range(cursor, None))
    return ranges


def _next_round(state: ClientState, query: ListQuery, ranges: list[_Range]) -> list[_Range]:
    """The ranges that send a batch this round."""
    waiting = [r for r in ranges if not r.done]
    if query.ordered and waiting:
        # a range far ahead of the ranges below it waits until they catch up
        waiting = [waiting[0]] + [r for r in waiting[1:] if len(r.held) < HOLD_PAGES]
    return waiting[: _concurrency(state, query)]


@dataclass
class _Walk:
    """What every range's batch shares: the query, the page params, the highest id, and the
    items and ids seen so far (their ratio, the density, sizes the ranges and batches)."""

    state: ClientState
    query: ListQuery
    base: Base
    top: int
    density: float
    items_seen: int = 0
    ids_seen: int = 0

    def end_round(self) -> None:
        """Take the density of the ids this round walked (ids may thin out or bunch up)."""
        if self.ids_seen > 0:
            self.density = max(self.items_seen / self.ids_seen, 1e-9)
        self.items_seen = self.ids_seen = 0

    def batch(self, chain: _Range) -> Flow[tuple[list[list[Any]], bool, e.AjaxError | None]]:
        """One chained batch of ``chain``, as long as its pages left (50 at most)."""
        params, filter_key, flt = self.base
        if chain.upper is not None:
            flt = {**flt, f"<={self.query.info.cursor_key}": chain.upper}
        length = min(CHAIN, chain.pages_left(self.top, self.density))
        return _chained_batch(
            self.state, self.query, (params, filter_key, flt), chain.cursor, length
        )

    def _within(self, chain: _Range, page: list[Any]) -> list[Any]:
        """The items of ``page`` up to the range's upper bound (the next range has the rest)."""
        upper = chain.upper
        if upper is None:
            return page
        info, method = self.query.info, self.query.method
        if _item_id(page[-1], info, method) <= upper:
            return page
        return [item for item in page if _item_id(item, info, method) <= upper]

    def take(
        self, chain: _Range, outcome: tuple[list[list[Any]], bool, e.AjaxError | None]
    ) -> Flow[None]:
        """Book one range's batch: its pages held for emitting, its cursor moved on."""
        pages, finished, error = outcome
        query = self.query
        before = chain.cursor
        for page in pages:
            chain.cursor = _check_order(page, query.info, query.method, chain.cursor)
            items = self._within(chain, page)
            if items:
                chain.held.append(items)
            self.items_seen += len(items)
            if len(items) < len(page):  # the portal ignored the upper bound: the range is done
                finished = True
                break
        if finished or (chain.upper is not None and chain.cursor >= chain.upper):
            chain.done = True
            end = max(self.top, chain.cursor) if chain.upper is None else chain.upper
            self.ids_seen += end - before
            return
        self.ids_seen += chain.cursor - before
        if error is not None:
            chain.failures = 0 if pages else chain.failures + 1
            yield from check_chain_error(
                self.state, query.method, error, chain.failures, chain.cursor
            )


def _ready(ranges: list[_Range], ordered: bool) -> list[list[Any]]:
    """Pages that may be emitted now (in id order if ``ordered``), taken from the ranges."""
    pages: list[list[Any]] = []
    for chain in ranges:
        pages.extend(chain.held)
        chain.held = []
        if ordered and not chain.done:
            break
    return pages


def _rebalance(ranges: list[_Range], top: int, density: float, chains: int) -> list[_Range]:
    """Drop done ranges; while fewer are left than may run, cut the largest in two."""
    ranges = [r for r in ranges if not r.done or r.held]
    while sum(not r.done for r in ranges) < chains:
        open_ranges = [r for r in ranges if not r.done]
        if not open_ranges:
            break
        largest = max(open_ranges, key=lambda r: r.pages_left(top, density))
        if largest.pages_left(top, density) < 2 * MIN_PAGES:
            break
        end = top if largest.upper is None else largest.upper
        middle = largest.cursor + max(1, (end - largest.cursor) // 2)
        if middle >= end:
            break
        upper_half = _Range(middle, largest.upper)
        largest.upper = middle
        ranges.insert(ranges.index(largest) + 1, upper_half)
    return ranges
