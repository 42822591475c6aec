"""The public clients: the core clients plus the generated, typed method tree.

``B24Hook``, ``AsyncB24Hook``, ``B24OAuth`` and ``AsyncB24OAuth`` are the core clients (transport,
auth, limits, retries, lists, batches) with the REST v2 tree mixed in (``b24.crm.item.get(...)``)
and REST 3.0 under ``b24.v3``. Namespaces load on first use; importing this module loads only
the root of the tree. It also registers the generated REST v2 -> REST 3.0 migration table with
the core's registry (read on the first REST v2 call), and the generated list table with the
core's list registry (read on the first list walk).
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from typing_extensions import ParamSpec

from b24typed.core import client as _core
from b24typed.core.lists import ListInfo, list_registry
from b24typed.core.registry import migrations
from b24typed.core.result import AjaxResult, ApiVersion
from b24typed.core.typed import Call, request_of, run_async, run_sync
from b24typed.core.typed_batch import AsyncBatchRunner, SyncBatchRunner
from b24typed.methods.v2 import AsyncV2Root, BatchV2Root, V2Root

__all__ = [
    "AsyncB24Hook",
    "AsyncB24OAuth",
    "AsyncBatch",
    "B24Hook",
    "B24OAuth",
    "SyncBatch",
    "openapi_methods",
]

OPENAPI_METHOD = "rest.documentation.openapi"

P = ParamSpec("P")
R = TypeVar("R")


def _migration_table() -> Mapping[str, Sequence[str]]:
    table: Mapping[str, Sequence[str]] = importlib.import_module(
        "b24typed.methods._migrations"
    ).TABLE
    return table


migrations.add_loader(_migration_table)


def _list_table(api: ApiVersion) -> Mapping[str, ListInfo]:
    rows: Mapping[str, tuple[str | None, str, str]] = getattr(
        importlib.import_module("b24typed.methods._lists"), f"V{api}"
    )
    return {method: ListInfo(*row) for method, row in rows.items()}


list_registry.add_loader(lambda: _list_table(2), api=2)
list_registry.add_loader(lambda: _list_table(3), api=3)


def openapi_methods(document: Any) -> list[str]:
    """REST 3.0 method names in an OpenAPI document (``paths`` keys like ``/tasks.task.list``)."""
    paths = document.get("paths") if isinstance(document, Mapping) else None
    if not isinstance(paths, Mapping):
        return []
    names = {str(path).strip("/").split("/")[-1] for path in paths}
    return sorted(name for name in names if name)


class SyncBatch(SyncBatchRunner, BatchV2Root):
    """``with b24.batch() as batch:`` queue typed calls (``h = batch.crm.item.get(...)``); they
    are sent 50 per request when the block ends, and ``h.result()`` gives the typed result."""


class AsyncBatch(AsyncBatchRunner, BatchV2Root):
    """``async with b24.batch() as batch:`` queue typed calls; sent when the block ends."""


class _TypedSync(V2Root):
    @property
    def _b24(self) -> Any:
        return self

    def _typed_call(self, call: Call[R]) -> R:
        return run_sync(self, call)

    def batch(self, *, halt: bool = True) -> SyncBatch:
        """A typed batch: ``with b24.batch() as batch: h = batch.crm.item.get(...)``.

        Like ``call_batch``, it stops at the first failing command (the rest fail as skipped);
        ``halt=False`` runs every command.
        """
        return SyncBatch(self, halt=halt)

    def request(self, method: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> Call[R]:
        """The call a typed method would send, unsent: ``b24.request(b24.crm.item.get, id=5,
        entity_type_id=2)`` gives its method, API version and wire ``params``."""
        call: Call[R] = request_of(method, kwargs, stacklevel=3)
        return call

    def raw(
        self, method: Callable[P, object], /, *args: P.args, **kwargs: P.kwargs
    ) -> AjaxResult[Any]:
        """Send a typed method's call and return the unparsed :class:`AjaxResult` (errors not
        raised): ``b24.raw(b24.crm.item.get, entity_type_id=2, id=5)``, the escape hatch when a
        portal answers outside the schema."""
        call = request_of(method, kwargs, stacklevel=3)
        answer: AjaxResult[Any] = self.call(call.api, call.method, call.params)  # type: ignore[attr-defined]
        return answer

    def refresh_v3_methods(self) -> int:
        """Read the portal's REST 3.0 methods (``rest.documentation.openapi``) so that calling a
        REST v2 method of the same name logs the migration warning; returns how many are new."""
        client: Any = self
        answer = client.call(3, OPENAPI_METHOD).raise_for_error()
        added: int = client._state.migrations.add(openapi_methods(answer.result))
        return added


class _TypedAsync(AsyncV2Root):
    @property
    def _b24(self) -> Any:
        return self

    def _typed_call(self, call: Call[R]) -> Awaitable[R]:
        return run_async(self, call)

    def batch(self, *, halt: bool = True) -> AsyncBatch:
        """A typed batch: ``async with b24.batch() as batch: h = batch.crm.item.get(...)``;
        stops at the first failing command unless ``halt=False``."""
        return AsyncBatch(self, halt=halt)

    def request(
        self, method: Callable[P, Awaitable[R]], /, *args: P.args, **kwargs: P.kwargs
    ) -> Call[R]:
        """The call a typed method would send, unsent (see the sync client's ``request``)."""
        call: Call[R] = request_of(method, kwargs, stacklevel=3)
        return call

    async def raw(
        self, method: Callable[P, object], /, *args: P.args, **kwargs: P.kwargs
    ) -> AjaxResult[Any]:
        """Send a typed method's call; the unparsed :class:`AjaxResult` (errors not raised)."""
        call = request_of(method, kwargs, stacklevel=3)
        answer: AjaxResult[Any] = await self.call(call.api, call.method, call.params)  # type: ignore[attr-defined]
        return answer

    async def refresh_v3_methods(self) -> int:
        """Read the portal's REST 3.0 methods (``rest.documentation.openapi``); see the sync
        client's method. Returns how many are new."""
        client: Any = self
        answer = (await client.call(3, OPENAPI_METHOD)).raise_for_error()
        added: int = client._state.migrations.add(openapi_methods(answer.result))
        return added


class B24Hook(_core.B24Hook, _TypedSync):
    """A blocking client for an inbound webhook, with every REST method typed.

    >>> b24 = B24Hook.from_webhook_url("https://example.bitrix24.com/rest/1/secret/")
    >>> deal = b24.crm.item.get(entity_type_id=2, id=5)  # doctest: +SKIP
    """


class AsyncB24Hook(_core.AsyncB24Hook, _TypedAsync):
    """An asyncio client for an inbound webhook, with every REST method typed (awaitable)."""


class B24OAuth(_core.B24OAuth, _TypedSync):
    """A blocking client for an OAuth application, with every REST method typed."""


class AsyncB24OAuth(_core.AsyncB24OAuth, _TypedAsync):
    """An asyncio client for an OAuth application, with every REST method typed (awaitable)."""
