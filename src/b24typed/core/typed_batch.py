"""The typed batch: ``with b24.batch() as batch: h = batch.crm.item.get(...)``.

Calls made on the batch's namespaces are queued as :class:`~b24typed.core.typed.BatchHandle`;
leaving the ``with`` block sends them with the core's ``batch_by_chunk_flow`` (50 commands per
request; REST v2 and REST 3.0 calls in separate batches) and fills every handle with the same
typed result the direct call returns, or with its error.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from b24typed.core.batch import batch_by_chunk_flow
from b24typed.core.errors import AjaxError, SdkError
from b24typed.core.typed import BatchHandle, Call, R

if TYPE_CHECKING:
    from b24typed.core.batch import BatchResult
    from b24typed.core.result import ApiVersion

__all__ = ["AsyncBatchRunner", "SyncBatchRunner"]

# Named TypeVars rather than ``Self``: Jedi infers them (``with b24.batch() as batch``).
SyncBatchT = TypeVar("SyncBatchT", bound="SyncBatchRunner")
AsyncBatchT = TypeVar("AsyncBatchT", bound="AsyncBatchRunner")


class _BatchRunner:
    """What sync and async typed batches share: the queue and how answers reach the handles."""

    _b24_mode = 2

    def __init__(self, client: Any, *, halt: bool = False) -> None:
        self._client = client
        self._halt = halt
        self._queue: list[BatchHandle[Any]] = []
        self._sent = False

    @property
    def _b24(self) -> Any:
        return self

    def _add(self, call: Call[R]) -> BatchHandle[R]:
        if self._sent:
            raise SdkError("this batch was already sent; open a new one", code="SDK_BATCH_SENT")
        handle: BatchHandle[R] = BatchHandle(call)
        self._queue.append(handle)
        return handle

    def __len__(self) -> int:
        return len(self._queue)

    def _by_api(self) -> list[tuple[ApiVersion, list[BatchHandle[Any]]]]:
        self._sent = True
        groups: dict[int, list[BatchHandle[Any]]] = {}
        for handle in self._queue:
            groups.setdefault(handle.call.api, []).append(handle)
        return [(api, handles) for api, handles in sorted(groups.items())]  # type: ignore[misc]

    @staticmethod
    def _commands(handles: list[BatchHandle[Any]]) -> Mapping[str, Any]:
        return {str(i): (h.call.method, h.call.params) for i, h in enumerate(handles)}

    @staticmethod
    def _apply(handles: list[BatchHandle[Any]], answer: BatchResult[Any]) -> None:
        skipped = set(answer.skipped)
        for i, handle in enumerate(handles):
            key = str(i)
            if key in answer.errors:
                handle._fail(answer.errors[key])
            elif key in answer.results:
                handle._set(answer.results[key])
            elif key in skipped:
                handle._fail(
                    SdkError(
                        f"{handle.call.method} was not run: an earlier command failed",
                        code="SDK_BATCH_SKIPPED",
                    )
                )
            else:
                handle._set(None)

    @staticmethod
    def _fail_all(handles: list[BatchHandle[Any]], error: BaseException) -> None:
        for handle in handles:
            if not handle.done():
                handle._fail(error)

    def _abandon(self) -> None:
        """The block raised: nothing is sent; pending handles fail, the batch takes no more."""
        self._sent = True
        error = SdkError("the batch was not sent: its block raised", code="SDK_BATCH_ABANDONED")
        self._fail_all(self._queue, error)

    def _flow(self, api: ApiVersion, handles: list[BatchHandle[Any]]) -> Any:
        return batch_by_chunk_flow(
            self._client._state,
            self._commands(handles),
            is_halt_on_error=self._halt,
            api=api,
        )


class SyncBatchRunner(_BatchRunner):
    """The sync typed batch; sent when the ``with`` block ends without an exception."""

    def send(self) -> None:
        """Send every queued call now (the ``with`` block does it on exit)."""
        for api, handles in self._by_api():
            try:
                answer = self._client._run(self._flow(api, handles))
            except AjaxError as error:
                self._fail_all(handles, error)
                raise
            self._apply(handles, answer)

    def __enter__(self: SyncBatchT) -> SyncBatchT:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None and not self._sent:
            self.send()
        else:
            self._abandon()


class AsyncBatchRunner(_BatchRunner):
    """The async typed batch; sent when the ``async with`` block ends without an exception."""

    async def send(self) -> None:
        """Send every queued call now (the ``async with`` block does it on exit)."""
        for api, handles in self._by_api():
            try:
                answer = await self._client._run(self._flow(api, handles))
            except AjaxError as error:
                self._fail_all(handles, error)
                raise
            self._apply(handles, answer)

    async def __aenter__(self: AsyncBatchT) -> AsyncBatchT:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None and not self._sent:
            await self.send()
        else:
            self._abandon()
