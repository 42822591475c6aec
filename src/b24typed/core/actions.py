"""``client.actions.v2`` / ``client.actions.v3``: the official SDK's call surface, in Python."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Generator, Mapping
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar

from b24typed.core import batch, lists
from b24typed.core.pipeline import ClientState, Flow, StreamFlow
from b24typed.core.result import AjaxResult, ApiVersion

if TYPE_CHECKING:
    from b24typed.core.client import AsyncClient, SyncClient

P = ParamSpec("P")
T = TypeVar("T")


class CallAction:
    """``actions.vN.call``: one REST call."""

    def __init__(self, client: SyncClient, api: ApiVersion) -> None:
        self._client = client
        self._api: ApiVersion = api

    def make(
        self,
        *,
        method: str,
        params: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> AjaxResult[Any]:
        return self._client.call(self._api, method, params, request_id=request_id, timeout=timeout)


class AsyncCallAction:
    """``actions.vN.call`` of an async client."""

    def __init__(self, client: AsyncClient, api: ApiVersion) -> None:
        self._client = client
        self._api: ApiVersion = api

    async def make(
        self,
        *,
        method: str,
        params: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> AjaxResult[Any]:
        return await self._client.call(
            self._api, method, params, request_id=request_id, timeout=timeout
        )


class RunAction(Generic[P, T]):
    """An action that runs one flow to its result (``.make(**kw)``)."""

    def __init__(
        self, client: SyncClient, build: Callable[Concatenate[ClientState, P], Flow[T]]
    ) -> None:
        self._client = client
        self._build = build

    def make(self, *args: P.args, **kwargs: P.kwargs) -> T:
        return self._client._run(self._build(self._client._state, *args, **kwargs))


class AsyncRunAction(Generic[P, T]):
    """An action of an async client that runs one flow to its result."""

    def __init__(
        self, client: AsyncClient, build: Callable[Concatenate[ClientState, P], Flow[T]]
    ) -> None:
        self._client = client
        self._build = build

    async def make(self, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._client._run(self._build(self._client._state, *args, **kwargs))


class IterAction(Generic[P]):
    """An action that yields pages as they arrive (``for page in ....make(**kw)``)."""

    def __init__(
        self, client: SyncClient, build: Callable[Concatenate[ClientState, P], StreamFlow[None]]
    ) -> None:
        self._client = client
        self._build = build

    def make(self, *args: P.args, **kwargs: P.kwargs) -> Generator[list[Any], None, None]:
        return self._client._iterate(self._build(self._client._state, *args, **kwargs))


class AsyncIterAction(Generic[P]):
    """An action that yields pages as they arrive (``async for page in ....make(**kw)``)."""

    def __init__(
        self, client: AsyncClient, build: Callable[Concatenate[ClientState, P], StreamFlow[None]]
    ) -> None:
        self._client = client
        self._build = build

    def make(self, *args: P.args, **kwargs: P.kwargs) -> AsyncGenerator[list[Any], None]:
        return self._client._aiterate(self._build(self._client._state, *args, **kwargs))


class ApiActions:
    """The actions of one API version on a sync client."""

    def __init__(self, client: SyncClient, api: ApiVersion) -> None:
        self.call = CallAction(client, api)


class AsyncApiActions:
    """The actions of one API version on an async client."""

    def __init__(self, client: AsyncClient, api: ApiVersion) -> None:
        self.call = AsyncCallAction(client, api)


class V2Actions(ApiActions):
    """``actions.v2``: ``call``, ``call_list``, ``fetch_list``, ``batch``, ``batch_by_chunk``."""

    def __init__(self, client: SyncClient) -> None:
        super().__init__(client, 2)
        self.call_list = RunAction(client, lists.v2_call_list)
        self.fetch_list = IterAction(client, lists.v2_fetch_list)
        self.batch = RunAction(client, batch.batch_flow)
        self.batch_by_chunk = RunAction(client, batch.batch_by_chunk_flow)


class AsyncV2Actions(AsyncApiActions):
    """``actions.v2`` of an async client."""

    def __init__(self, client: AsyncClient) -> None:
        super().__init__(client, 2)
        self.call_list = AsyncRunAction(client, lists.v2_call_list)
        self.fetch_list = AsyncIterAction(client, lists.v2_fetch_list)
        self.batch = AsyncRunAction(client, batch.batch_flow)
        self.batch_by_chunk = AsyncRunAction(client, batch.batch_by_chunk_flow)


class V3Actions(ApiActions):
    """``actions.v3``: ``call``, ``call_list``, ``fetch_list``, ``call_tail``, ``fetch_tail``,
    ``batch``, ``batch_by_chunk``."""

    def __init__(self, client: SyncClient) -> None:
        super().__init__(client, 3)
        self.call_list = RunAction(client, lists.v3_call_list)
        self.fetch_list = IterAction(client, lists.v3_fetch_list)
        self.call_tail = RunAction(client, lists.v3_call_tail)
        self.fetch_tail = IterAction(client, lists.v3_fetch_tail)
        self.batch = RunAction(client, batch.batch_v3_flow)
        self.batch_by_chunk = RunAction(client, batch.v3_batch_by_chunk_flow)


class AsyncV3Actions(AsyncApiActions):
    """``actions.v3`` of an async client."""

    def __init__(self, client: AsyncClient) -> None:
        super().__init__(client, 3)
        self.call_list = AsyncRunAction(client, lists.v3_call_list)
        self.fetch_list = AsyncIterAction(client, lists.v3_fetch_list)
        self.call_tail = AsyncRunAction(client, lists.v3_call_tail)
        self.fetch_tail = AsyncIterAction(client, lists.v3_fetch_tail)
        self.batch = AsyncRunAction(client, batch.batch_v3_flow)
        self.batch_by_chunk = AsyncRunAction(client, batch.v3_batch_by_chunk_flow)


class Actions:
    """``client.actions``: ``v2`` and ``v3``."""

    def __init__(self, client: SyncClient) -> None:
        self.v2 = V2Actions(client)
        self.v3 = V3Actions(client)


class AsyncActions:
    """``client.actions`` of an async client."""

    def __init__(self, client: AsyncClient) -> None:
        self.v2 = AsyncV2Actions(client)
        self.v3 = AsyncV3Actions(client)
