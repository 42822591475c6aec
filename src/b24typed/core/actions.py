"""``client.actions.v2`` / ``client.actions.v3``: the official SDK's call surface, in Python."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from b24typed.core.result import AjaxResult, ApiVersion

if TYPE_CHECKING:
    from b24typed.core.client import AsyncClient, SyncClient


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


class ApiActions:
    """The actions of one API version on a sync client."""

    def __init__(self, client: SyncClient, api: ApiVersion) -> None:
        self.call = CallAction(client, api)


class AsyncApiActions:
    """The actions of one API version on an async client."""

    def __init__(self, client: AsyncClient, api: ApiVersion) -> None:
        self.call = AsyncCallAction(client, api)


class Actions:
    """``client.actions``: ``v2`` and ``v3``."""

    def __init__(self, client: SyncClient) -> None:
        self.v2 = ApiActions(client, 2)
        self.v3 = ApiActions(client, 3)


class AsyncActions:
    """``client.actions`` of an async client."""

    def __init__(self, client: AsyncClient) -> None:
        self.v2 = AsyncApiActions(client, 2)
        self.v3 = AsyncApiActions(client, 3)
