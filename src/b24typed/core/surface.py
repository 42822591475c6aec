"""The clients' REST calls, written once as flow builders.

Each function here takes the client's state and the arguments its public method takes, and
returns a flow; :class:`~b24typed.core.client.SyncClient` runs it to a value and
:class:`~b24typed.core.client.AsyncClient` to an awaitable (see ``client.flow_method``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from typing_extensions import Unpack

from b24typed.core.batch import BatchCalls, BatchResult, batch_by_chunk_flow, batch_flow
from b24typed.core.lists import FastListOptions, ListOptions, v2_call_list, v2_fetch_list
from b24typed.core.pipeline import ClientState, Flow, StreamFlow, call_flow
from b24typed.core.request import make_call
from b24typed.core.result import AjaxResult, ApiVersion


def call(
    state: ClientState,
    api: ApiVersion,
    method: str,
    params: Mapping[str, Any] | None = None,
    *,
    request_id: str | None = None,
    timeout: float | None = None,
) -> Flow[AjaxResult[Any]]:
    """Call ``method`` on REST v2 (``api=2``) or REST 3.0 (``api=3``).

    An answer with an error comes back in the :class:`AjaxResult`; no answer raises.
    """
    return call_flow(state, make_call(api, method, params, request_id=request_id, timeout=timeout))


def call_method(
    state: ClientState,
    method: str,
    params: Mapping[str, Any] | None = None,
    start: int | None = None,
    *,
    request_id: str | None = None,
    timeout: float | None = None,
) -> Flow[AjaxResult[Any]]:
    """Call a REST v2 method; ``start`` pages a list (-1 skips counting the total)."""
    if start is not None:
        params = {**(params or {}), "start": start}
    return call(state, 2, method, params, request_id=request_id, timeout=timeout)


def fetch_list_method(
    state: ClientState,
    method: str,
    params: Mapping[str, Any] | None = None,
    **options: Unpack[ListOptions],
) -> StreamFlow[None]:
    """Every page of a REST v2 list, as it arrives.

    ``mode``: ``"batch"`` (50 chained pages per request, the fewest requests), ``"fast"`` (one
    ``start=-1`` page per request) or ``"offset"`` (``start``/``next``, keeps ``order``).
    ``items_key``/``id_key``/``cursor_key`` override the method's list table; ``progress`` is
    ``True`` for a tqdm bar or a ``callback(done, total_or_None)``.
    """
    return v2_fetch_list(state, method=method, params=params, **options)


def call_list_method(
    state: ClientState,
    method: str,
    params: Mapping[str, Any] | None = None,
    **options: Unpack[ListOptions],
) -> Flow[list[Any]]:
    """Every item of a REST v2 list, in one list (see ``fetch_list_method``)."""
    return v2_call_list(state, method=method, params=params, **options)


def call_fast_list_method(
    state: ClientState,
    method: str,
    params: Mapping[str, Any] | None = None,
    **options: Unpack[FastListOptions],
) -> Flow[list[Any]]:
    """Every item, one ``start=-1`` page per request, ``>ID`` after the last id seen."""
    return v2_call_list(state, method=method, params=params, mode="fast", **options)


def call_batch(
    state: ClientState,
    calls: BatchCalls,
    is_halt_on_error: bool = True,
    return_ajax_result: bool = False,
    *,
    request_id: str | None = None,
) -> Flow[BatchResult[Any]]:
    """Up to 50 REST v2 calls in one request: a list of ``(method, params)`` or a mapping of
    named commands. Per-command failures are in ``.errors``; a failed batch raises."""
    return batch_flow(
        state,
        calls,
        is_halt_on_error=is_halt_on_error,
        return_ajax_result=return_ajax_result,
        request_id=request_id,
    )


def call_batch_by_chunk(
    state: ClientState,
    calls: BatchCalls,
    is_halt_on_error: bool = True,
    return_ajax_result: bool = False,
    *,
    request_id: str | None = None,
) -> Flow[BatchResult[Any]]:
    """Any number of REST v2 calls, in sequential batches of 50; keys as in the input."""
    return batch_by_chunk_flow(
        state,
        calls,
        is_halt_on_error=is_halt_on_error,
        return_ajax_result=return_ajax_result,
        request_id=request_id,
    )
