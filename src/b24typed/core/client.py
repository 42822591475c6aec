"""The clients: webhook and OAuth, sync and async, over one pipeline.

The sync and async classes differ only in how a flow's effects are carried out: sending with
``httpx.Client`` or ``httpx.AsyncClient``, and sleeping with ``time.sleep`` or ``asyncio.sleep``.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncGenerator, Callable, Coroutine, Generator, Mapping
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from types import TracebackType
from typing import (
    TYPE_CHECKING,
    Any,
    Concatenate,
    Generic,
    ParamSpec,
    Protocol,
    TypeVar,
    overload,
)

import httpx

from b24typed.core import surface
from b24typed.core.actions import Actions, AsyncActions
from b24typed.core.auth import (
    Auth,
    OAuthAuth,
    OAuthTokens,
    TokenCallback,
    WebhookAuth,
    check_webhook_secret,
    normalize_portal_url,
    parse_webhook_url,
)
from b24typed.core.bounds import (
    AttemptLimits,
    BodyReader,
    OutOfBounds,
    attempt_deadline,
    bound_client,
    bounded_transport,
    too_slow,
)
from b24typed.core.clock import Clock, SystemClock
from b24typed.core.errors import SdkError
from b24typed.core.http import HttpAnswer, HttpFailure, HttpRequest
from b24typed.core.limits import LimitConfig, shared_limits
from b24typed.core.pipeline import (
    ClientState,
    Effect,
    Emit,
    Flow,
    Join,
    Limit,
    Refresh,
    Send,
    Sleep,
    Start,
    StoreEffect,
    StreamFlow,
    refresh_flow,
)
from b24typed.core.redact import Secret, guard_library_logs, scrub
from b24typed.core.request import STATIC_HEADERS
from b24typed.core.retry import RetryPolicy

if TYPE_CHECKING:
    from b24typed.tokens import AsyncTokenStore, TokenStore

logger = logging.getLogger("b24typed")

T = TypeVar("T")
HttpT = TypeVar("HttpT")
P = ParamSpec("P")
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])
# Named TypeVars rather than ``Self``: Jedi (IPython, Jupyter) infers them, ``Self`` it does not.
WebhookT = TypeVar("WebhookT", bound="_Webhook[Any]")
SyncT = TypeVar("SyncT", bound="SyncClient")
AsyncT = TypeVar("AsyncT", bound="AsyncClient")

DEFAULT_TIMEOUT = 30.0


# What httpx raises for a request that got no usable answer: transport failures, a body that
# does not decode, a redirect loop on a caller's redirect-following client, a bad URL.
HTTPX_FAILURES = (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError)


def _failure(exc: Exception, secrets: tuple[str, ...]) -> HttpFailure:
    """An httpx exception as plain data, without the request (its URL may hold a secret)."""
    detail = scrub(f"{type(exc).__name__}: {exc}".rstrip(": "), secrets)
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return HttpFailure("timeout", detail, sent=False)
    if isinstance(exc, httpx.TimeoutException):
        return HttpFailure("timeout", detail, sent=True)
    if isinstance(exc, httpx.ConnectError):
        return HttpFailure("connect", detail, sent=False)
    return HttpFailure("network", detail, sent=True)


def _answer(response: httpx.Response, reader: BodyReader) -> HttpAnswer:
    return HttpAnswer(
        status=response.status_code, content=reader.content(), headers=response.headers
    )


class _Threads:
    """Flows running in threads of their own (the sync driver's :class:`Start`)."""

    def __init__(self, run: Callable[[Flow[Any]], Any], flows: tuple[Flow[Any], ...]) -> None:
        self._pool = ThreadPoolExecutor(max(1, len(flows)), thread_name_prefix="b24typed")
        self._futures = [self._pool.submit(run, flow) for flow in flows]
        self._pool.shutdown(wait=False)

    def join(self) -> list[Any]:
        """Their results in order, once all are done, or the first error one raised."""
        futures.wait(self._futures)
        return _results([(f.exception(), f) for f in self._futures])

    def cancel(self) -> None:
        """Drop the flows not started yet (a running one ends with its request)."""
        for future in self._futures:
            future.cancel()


class _Tasks:
    """Flows running as tasks (the async driver's :class:`Start`)."""

    def __init__(self, tasks: list[asyncio.Task[Any]]) -> None:
        self._tasks = tasks

    async def join(self) -> list[Any]:
        """Their results in order, once all are done, or the first error one raised."""
        try:
            await asyncio.wait(self._tasks)
        except BaseException:
            self.cancel()
            raise
        return _results([(t.exception(), t) for t in self._tasks])

    def cancel(self) -> None:
        for task in self._tasks:
            task.cancel()


class _Done(Protocol):
    def result(self) -> Any: ...


def _results(done: list[tuple[BaseException | None, _Done]]) -> list[Any]:
    """The results of finished futures or tasks, or the first error any of them raised."""
    for error, _ in done:
        if error is not None:
            raise error
    return [future.result() for _, future in done]


def _timeout(request: HttpRequest) -> Any:
    return httpx.USE_CLIENT_DEFAULT if request.timeout is None else request.timeout


class FlowMethod(Generic[P, R]):
    """A client method written once, as a flow builder in :mod:`b24typed.core.surface`: a sync
    client runs the flow to its value, an async client returns a coroutine of it."""

    def __init__(self, build: Callable[Concatenate[ClientState, P], Flow[R]]) -> None:
        self._build = build
        self.__doc__ = build.__doc__
        self._signature = _without_state(build)

    @overload
    def __get__(self, client: None, owner: type[Any]) -> FlowMethod[P, R]: ...

    @overload
    def __get__(self, client: SyncClient, owner: type[Any]) -> Callable[P, R]: ...

    @overload
    def __get__(
        self, client: AsyncClient, owner: type[Any]
    ) -> Callable[P, Coroutine[Any, Any, R]]: ...

    def __get__(self, client: Any, owner: type[Any]) -> Any:
        if client is None:
            return self
        build = self._build
        if isinstance(client, AsyncClient):

            async def run_async(*args: P.args, **kwargs: P.kwargs) -> R:
                return await client._run(build(client._state, *args, **kwargs))

            return _described(run_async, build, self._signature)

        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            result: R = client._run(build(client._state, *args, **kwargs))
            return result

        return _described(run, build, self._signature)


class StreamMethod(Generic[P]):
    """A client method that yields pages, written once as a flow builder: a generator on a sync
    client, an async generator on an async one."""

    def __init__(self, build: Callable[Concatenate[ClientState, P], StreamFlow[None]]) -> None:
        self._build = build
        self.__doc__ = build.__doc__
        self._signature = _without_state(build, returns="Iterator[list[Any]]")

    @overload
    def __get__(self, client: None, owner: type[Any]) -> StreamMethod[P]: ...

    @overload
    def __get__(
        self, client: SyncClient, owner: type[Any]
    ) -> Callable[P, Generator[list[Any], None, None]]: ...

    @overload
    def __get__(
        self, client: AsyncClient, owner: type[Any]
    ) -> Callable[P, AsyncGenerator[list[Any], None]]: ...

    def __get__(self, client: Any, owner: type[Any]) -> Any:
        if client is None:
            return self
        build = self._build
        drive = client._aiterate if isinstance(client, AsyncClient) else client._iterate

        def pages(*args: P.args, **kwargs: P.kwargs) -> Any:
            return drive(build(client._state, *args, **kwargs))

        return _described(pages, build, self._signature)


def _without_state(build: Callable[..., Any], returns: str | None = None) -> inspect.Signature:
    """The signature of the bound method: ``state`` left out, the flow's value returned."""
    signature = inspect.signature(build)
    flow = str(signature.return_annotation)
    return signature.replace(
        parameters=list(signature.parameters.values())[1:],
        return_annotation=returns or flow.removeprefix("Flow[").removesuffix("]"),
    )


def _described(function: F, build: Callable[..., Any], signature: inspect.Signature) -> F:
    """``function`` with the name, docstring and signature (``state`` left out) of ``build``."""
    function.__name__ = function.__qualname__ = build.__name__
    function.__doc__ = build.__doc__
    function.__signature__ = signature  # type: ignore[attr-defined]
    return function


class BaseClient(Generic[HttpT]):
    """What sync and async clients share: auth, limits, retry policy, stats."""

    def __init__(
        self,
        auth: Auth,
        *,
        http_client: HttpT | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        limits: LimitConfig | None = None,
        clock: Clock | None = None,
    ) -> None:
        guard_library_logs(auth)
        clock = clock or SystemClock()
        config = limits or LimitConfig.standard()
        self._state = ClientState(
            auth=auth,
            clock=clock,
            limits=shared_limits(auth.domain, config, clock.now()),
            retry=retry or RetryPolicy(),
            timeout=timeout if http_client is None else None,
        )
        self._attempt_limits = AttemptLimits()
        self._owns_http = http_client is None
        if isinstance(http_client, httpx.Client):
            bound_client(http_client)
        self._http: HttpT = http_client if http_client is not None else self._new_http(timeout)
        self._urls: dict[str, httpx.URL] = {}

    def _post(self, request: HttpRequest) -> dict[str, Any]:
        """The arguments of ``httpx``'s ``stream(...)`` for ``request``."""
        return {
            "method": "POST",
            "url": self._url(request.url),
            "content": request.content,
            "headers": self._headers(request),
            "timeout": _timeout(request),
        }

    def _headers(self, request: HttpRequest) -> Mapping[str, str]:
        """A request's headers; a caller's own httpx client also gets the static ones."""
        return request.headers if self._owns_http else {**STATIC_HEADERS, **request.headers}

    def _url(self, text: str) -> httpx.URL:
        """The parsed URL, kept per method: httpx parses a string URL on every request."""
        url = self._urls.get(text)
        if url is None:
            if len(self._urls) >= 4096:
                self._urls.clear()
            url = self._urls[text] = httpx.URL(text)
        return url

    def _new_http(self, timeout: float | None) -> HttpT:
        raise NotImplementedError

    call = FlowMethod(surface.call)
    call_method = FlowMethod(surface.call_method)
    fetch_list_method = StreamMethod(surface.fetch_list_method)
    call_list_method = FlowMethod(surface.call_list_method)
    call_fast_list_method = FlowMethod(surface.call_fast_list_method)
    call_batch = FlowMethod(surface.call_batch)
    call_batch_by_chunk = FlowMethod(surface.call_batch_by_chunk)

    @property
    def domain(self) -> str:
        """The portal's host name."""
        return self._state.auth.domain

    @property
    def stats(self) -> dict[str, float]:
        """Requests sent, retries, waits (count and seconds) and token refreshes so far."""
        return self._state.stats.snapshot()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(domain={self.domain!r})"


class _Webhook(BaseClient[HttpT]):
    def __init__(
        self,
        *,
        b24_url: str,
        user_id: int,
        secret: str,
        http_client: HttpT | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        limits: LimitConfig | None = None,
        clock: Clock | None = None,
        attempt_limits: AttemptLimits | None = None,
    ) -> None:
        check_webhook_secret(secret)
        if isinstance(user_id, bool) or not str(user_id).isdigit():
            raise ValueError("the webhook user id must be a whole number")
        auth = WebhookAuth(normalize_portal_url(b24_url), int(user_id), Secret(secret))
        super().__init__(
            auth, http_client=http_client, timeout=timeout, retry=retry, limits=limits, clock=clock
        )
        self._attempt_limits = attempt_limits or self._attempt_limits

    @classmethod
    def from_webhook_url(
        cls: type[WebhookT],
        url: str,
        *,
        http_client: HttpT | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        limits: LimitConfig | None = None,
        clock: Clock | None = None,
        attempt_limits: AttemptLimits | None = None,
    ) -> WebhookT:
        """A client for an inbound webhook URL such as ``https://x.bitrix24.com/rest/1/abc/``."""
        auth = parse_webhook_url(url)
        return cls(
            b24_url=auth.b24_url,
            user_id=auth.user_id,
            secret=auth.secret.reveal(),
            http_client=http_client,
            timeout=timeout,
            retry=retry,
            limits=limits,
            clock=clock,
            attempt_limits=attempt_limits,
        )


class _OAuth(BaseClient[HttpT]):
    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        tokens: OAuthTokens | Mapping[str, Any] | None = None,
        on_token_refresh: TokenCallback | None = None,
        token_store: TokenStore | AsyncTokenStore | None = None,
        member_id: str | None = None,
        http_client: HttpT | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        limits: LimitConfig | None = None,
        clock: Clock | None = None,
        attempt_limits: AttemptLimits | None = None,
    ) -> None:
        now = (clock or SystemClock()).now()
        if tokens is None:
            tokens = _stored_tokens(token_store, member_id)
        elif not isinstance(tokens, OAuthTokens):
            tokens = OAuthTokens.from_payload(tokens, now=now)
        auth = OAuthAuth(
            tokens,
            client_id=client_id,
            client_secret=client_secret,
            on_token_refresh=on_token_refresh,
            token_store=token_store,
            member_id=member_id or tokens.member_id,
        )
        super().__init__(
            auth, http_client=http_client, timeout=timeout, retry=retry, limits=limits, clock=clock
        )
        self._attempt_limits = attempt_limits or self._attempt_limits

    @property
    def tokens(self) -> OAuthTokens:
        """The current token pair (it changes when the client refreshes it)."""
        auth = self._state.auth
        assert isinstance(auth, OAuthAuth)
        return auth.tokens


def _stored_tokens(
    store: TokenStore | AsyncTokenStore | None, member_id: str | None
) -> OAuthTokens:
    """The pair a blocking store keeps for ``member_id``, for a client given no tokens."""
    if store is None or not member_id:
        raise SdkError(
            "an OAuth client needs tokens, or a token_store and a member_id", code="SDK_BAD_AUTH"
        )
    found = store.get(member_id)
    if inspect.isawaitable(found):
        _discard(found)
        raise TypeError(
            "this token store is asynchronous; load the tokens first: "
            "tokens=await store.get(member_id)"
        )
    if found is None:
        raise SdkError("the token store has no tokens for this member_id", code="SDK_NO_TOKENS")
    return found


def _discard(awaitable: Any) -> None:
    if inspect.iscoroutine(awaitable):
        awaitable.close()


class SyncClient(BaseClient[httpx.Client]):
    """Blocking client; see :class:`B24Hook` and :class:`B24OAuth`."""

    def _new_http(self, timeout: float | None) -> httpx.Client:
        return httpx.Client(timeout=timeout, headers=STATIC_HEADERS, transport=bounded_transport())

    def _run(self, flow: Flow[T]) -> T:
        value: Any = None
        while True:
            try:
                effect = flow.send(value)
            except StopIteration as stop:
                result: T = stop.value
                return result
            value = self._perform(effect)

    def _iterate(self, flow: StreamFlow[Any]) -> Generator[Any, None, None]:
        """Drive a flow that emits values (pages), yielding each as it arrives."""
        value: Any = None
        try:
            while True:
                try:
                    effect = flow.send(value)
                except StopIteration:
                    return
                if isinstance(effect, Emit):
                    value = None
                    yield effect.value
                else:
                    value = self._perform(effect)
        finally:
            flow.close()

    def _perform(self, effect: Effect) -> Any:
        if isinstance(effect, Send):
            return self._send(effect.request)
        if isinstance(effect, Limit):
            return self._state.limits.apply(effect.op)
        if isinstance(effect, Sleep):
            self._state.clock.sleep(effect.seconds)
            return None
        if isinstance(effect, Start):
            return _Threads(self._run, effect.flows)
        if isinstance(effect, Join):
            assert isinstance(effect.running, _Threads)
            return effect.running.join()
        if isinstance(effect, Refresh):
            self._refresh(effect)
            return None
        outcome = effect.run()
        if inspect.isawaitable(outcome):
            _discard(outcome)
            raise TypeError("a blocking client needs a TokenStore, not an AsyncTokenStore")
        return outcome

    def _send(self, request: HttpRequest) -> HttpAnswer | HttpFailure:
        reader = BodyReader(self._attempt_limits)
        bound = attempt_deadline.set(reader.deadline)
        try:
            with self._http.stream(**self._post(request)) as response:
                reader.check_headers(response.headers, response.status_code)
                for chunk in response.iter_bytes():
                    reader.add(chunk, response.status_code)
        except HTTPX_FAILURES as exc:
            return _failure(exc, self._state.secrets())
        except OutOfBounds as exc:
            return exc.failure
        finally:
            attempt_deadline.reset(bound)
        return _answer(response, reader)

    def _refresh(self, effect: Refresh) -> None:
        auth = self._state.auth
        assert isinstance(auth, OAuthAuth)
        with auth.thread_lock:
            if auth.generation != effect.generation:
                return
            tokens = self._run(refresh_flow(self._state, auth, effect.request_id))
        if auth.on_token_refresh is not None:
            outcome = auth.on_token_refresh(tokens)
            if inspect.isawaitable(outcome):
                raise TypeError("on_token_refresh of a sync client must not be a coroutine")

    @cached_property
    def actions(self) -> Actions:
        """The official SDK's surface: ``actions.v2.call.make(method=..., params=...)``, ..."""
        return Actions(self)

    def close(self) -> None:
        """Close the HTTP client if this client created it."""
        if self._owns_http:
            self._http.close()

    def __enter__(self: SyncT) -> SyncT:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncClient(BaseClient[httpx.AsyncClient]):
    """Asyncio client; see :class:`AsyncB24Hook` and :class:`AsyncB24OAuth`."""

    _refresh_lock: asyncio.Lock | None = None

    def _new_http(self, timeout: float | None) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=timeout, headers=STATIC_HEADERS)

    async def _run(self, flow: Flow[T]) -> T:
        value: Any = None
        while True:
            try:
                effect = flow.send(value)
            except StopIteration as stop:
                result: T = stop.value
                return result
            value = await self._perform(effect)

    async def _aiterate(self, flow: StreamFlow[Any]) -> AsyncGenerator[Any, None]:
        """Drive a flow that emits values (pages), yielding each as it arrives."""
        value: Any = None
        try:
            while True:
                try:
                    effect = flow.send(value)
                except StopIteration:
                    return
                if isinstance(effect, Emit):
                    value = None
                    yield effect.value
                else:
                    value = await self._perform(effect)
        finally:
            flow.close()

    async def _perform(self, effect: Effect) -> Any:
        if isinstance(effect, Send):
            return await self._send(effect.request)
        if isinstance(effect, Limit):
            return await self._state.limits.aapply(effect.op)
        if isinstance(effect, Sleep):
            await self._state.clock.asleep(effect.seconds)
            return None
        if isinstance(effect, Start):
            return _Tasks([asyncio.ensure_future(self._run(flow)) for flow in effect.flows])
        if isinstance(effect, Join):
            assert isinstance(effect.running, _Tasks)
            return await effect.running.join()
        if isinstance(effect, Refresh):
            await self._refresh(effect)
            return None
        return await _run_store_effect(effect)

    async def _send(self, request: HttpRequest) -> HttpAnswer | HttpFailure:
        reader = BodyReader(self._attempt_limits)
        limit = self._attempt_limits.max_seconds
        try:
            return await asyncio.wait_for(self._exchange(request, reader), limit)
        except HTTPX_FAILURES as exc:
            return _failure(exc, self._state.secrets())
        except OutOfBounds as exc:
            return exc.failure
        except asyncio.TimeoutError:
            return too_slow(self._attempt_limits)

    async def _exchange(self, request: HttpRequest, reader: BodyReader) -> HttpAnswer:
        async with self._http.stream(**self._post(request)) as response:
            reader.check_headers(response.headers, response.status_code)
            async for chunk in response.aiter_bytes():
                reader.add(chunk, response.status_code)
        return _answer(response, reader)

    async def _refresh(self, effect: Refresh) -> None:
        auth = self._state.auth
        assert isinstance(auth, OAuthAuth)
        if self._refresh_lock is None:
            self._refresh_lock = asyncio.Lock()
        async with self._refresh_lock:
            if auth.generation != effect.generation:
                return
            tokens = await self._run(refresh_flow(self._state, auth, effect.request_id))
        if auth.on_token_refresh is not None:
            outcome = auth.on_token_refresh(tokens)
            if inspect.isawaitable(outcome):
                await outcome

    @cached_property
    def actions(self) -> AsyncActions:
        """The official SDK's surface: ``await actions.v3.call.make(method=..., ...)``, ..."""
        return AsyncActions(self)

    async def aclose(self) -> None:
        """Close the HTTP client if this client created it."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self: AsyncT) -> AsyncT:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


async def _run_store_effect(effect: StoreEffect) -> Any:
    """An async store is awaited; a blocking one runs in a worker thread, off the event loop."""
    method = getattr(effect.store, effect.action)
    if inspect.iscoroutinefunction(method):
        return await effect.run()
    return await asyncio.to_thread(effect.run)


class B24Hook(_Webhook[httpx.Client], SyncClient):
    """A blocking client for an inbound webhook.

    >>> b24 = B24Hook.from_webhook_url("https://example.bitrix24.com/rest/1/secret/")
    """


class AsyncB24Hook(_Webhook[httpx.AsyncClient], AsyncClient):
    """An asyncio client for an inbound webhook."""


class B24OAuth(_OAuth[httpx.Client], SyncClient):
    """A blocking client for an OAuth application; refreshes its tokens when they expire."""


class AsyncB24OAuth(_OAuth[httpx.AsyncClient], AsyncClient):
    """An asyncio client for an OAuth application; refreshes its tokens when they expire."""
