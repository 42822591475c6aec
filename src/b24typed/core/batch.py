"""Batches: up to 50 calls in one HTTP request, on REST v2 and REST 3.0.

Calls are given as a list (``[("crm.deal.get", {"id": 1}), ...]``, keyed ``"0"``, ``"1"``, ... by
position) or a mapping of named commands (``{"deal": ("crm.deal.get", {"id": 1}), ...}``). A
command may also be a mapping ``{"method": ..., "params": ...}`` or, on REST v2, a ready
``"method?query"`` string. REST v2 commands are encoded by :mod:`b24typed.core.phpquery`; a later
command can use an earlier one's answer through ``$result[name][field]`` in a value, which the
portal resolves (REST 3.0 uses ``{"$ref": "name.field"}`` markers instead).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeAlias, TypeVar

from b24typed.core import errors as e
from b24typed.core.envelope import make_error, read_error
from b24typed.core.phpquery import command_string
from b24typed.core.pipeline import ClientState, Flow, call_flow
from b24typed.core.request import (
    CallSpec,
    check_method_name,
    encode_json,
    is_read_method,
    make_call,
    v2_flags,
)
from b24typed.core.result import AjaxResult, ApiVersion, ResponseTime

logger = logging.getLogger("b24typed")

MAX_BATCH = 50

R = TypeVar("R")

CommandLike: TypeAlias = str | tuple[str] | tuple[str, Mapping[str, Any] | None] | Mapping[str, Any]
BatchCalls: TypeAlias = Sequence[CommandLike] | Mapping[str, CommandLike]


@dataclass(frozen=True)
class BatchCommand:
    """One command of a batch: its key in the results, method and params."""

    key: str
    method: str
    params: Mapping[str, Any] = field(default_factory=dict)
    raw: str | None = None  # a ready REST v2 command string

    def to_v2(self) -> str:
        if self.raw is not None:
            return self.raw
        return command_string(self.method, v2_flags(self.params))


def _command(key: str, call: CommandLike) -> BatchCommand:
    method: Any
    params: Any
    if isinstance(call, str):
        return BatchCommand(key, check_method_name(call.split("?", 1)[0]), raw=call)
    if isinstance(call, Mapping):
        method, params = call.get("method"), call.get("params")
    elif isinstance(call, tuple) and len(call) in (1, 2):
        method, params = call[0], call[1] if len(call) == 2 else None
    else:
        raise e.SdkError(
            f"batch command {key!r} is not (method, params), a mapping or a string: {call!r}",
            code="SDK_BATCH_BAD_COMMAND",
        )
    if params is not None and not isinstance(params, Mapping):
        raise e.SdkError(
            f"params of batch command {key!r} must be a mapping", code="SDK_BATCH_BAD_COMMAND"
        )
    return BatchCommand(key, check_method_name(str(method)), dict(params or {}))


def normalize_calls(calls: BatchCalls) -> tuple[list[BatchCommand], bool]:
    """The commands of ``calls`` and whether they are named."""
    if isinstance(calls, Mapping):
        commands = []
        for name, call in calls.items():
            if not isinstance(name, str) or not name or "[" in name or "]" in name:
                raise e.SdkError(
                    f"batch command names must be non-empty strings without brackets: {name!r}",
                    code="SDK_BATCH_BAD_COMMAND",
                )
            commands.append(_command(name, call))
        return commands, True
    if isinstance(calls, str | bytes) or not isinstance(calls, Iterable):
        raise e.SdkError(
            "batch calls must be a list of commands or a mapping of named commands",
            code="SDK_BATCH_BAD_COMMAND",
        )
    return [_command(str(i), call) for i, call in enumerate(calls)], False


def check_size(commands: Sequence[BatchCommand]) -> None:
    if not commands:
        raise e.SdkError("a batch needs at least one command", code="SDK_BATCH_EMPTY")
    if len(commands) > MAX_BATCH:
        raise e.SdkError(
            f"a batch takes at most {MAX_BATCH} commands, got {len(commands)}; "
            "use call_batch_by_chunk for more",
            code="SDK_BATCH_TOO_LARGE",
        )


@dataclass
class BatchResult(Generic[R]):
    """What a batch answered, keyed like its input (position strings or command names).

    ``results`` holds the commands that succeeded (a ``null`` result stays ``None``); with
    ``return_ajax_result=True`` it holds an :class:`AjaxResult` for every command that ran.
    ``errors`` holds the commands that failed, ``skipped`` the ones a halt kept from running.
    ``batch[key]`` is the result of one command, raising its error if it failed.
    """

    keys: tuple[str, ...] = ()
    results: dict[str, R] = field(default_factory=dict)
    errors: dict[str, e.AjaxError] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    nexts: dict[str, int] = field(default_factory=dict)
    times: dict[str, ResponseTime] = field(default_factory=dict)
    ajax_results: dict[str, AjaxResult[Any]] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()
    requests: int = 0

    @property
    def is_success(self) -> bool:
        """Every command ran and none failed."""
        return not self.errors and not self.skipped

    def __getitem__(self, key: str | int) -> R:
        name = str(key)
        if name in self.errors:
            raise self.errors[name]
        if name in self.results:
            return self.results[name]
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys)

    def __len__(self) -> int:
        return len(self.keys)

    def get_error_messages(self) -> list[str]:
        return [f"{key}: {err.description or err.code}" for key, err in self.errors.items()]

    def raise_for_error(self) -> BatchResult[R]:
        """Raise the first command's error if any failed; ``self`` otherwise."""
        for err in self.errors.values():
            raise err
        return self

    def merge(self, other: BatchResult[R]) -> None:
        """Add another chunk's answer (keys must not overlap)."""
        self.keys += other.keys
        self.results.update(other.results)
        self.errors.update(other.errors)
        self.totals.update(other.totals)
        self.nexts.update(other.nexts)
        self.times.update(other.times)
        self.ajax_results.update(other.ajax_results)
        self.skipped += other.skipped
        self.requests += other.requests


@dataclass(frozen=True)
class BatchSpec(CallSpec):
    """A batch call; it only counts as a write when one of its commands writes."""

    commands_write: bool = True

    @property
    def is_write(self) -> bool:
        return self.commands_write


def _batch_spec(
    api: ApiVersion, params: Mapping[str, Any], commands: Sequence[BatchCommand], rid: str | None
) -> CallSpec:
    base = make_call(api, "batch", params, request_id=rid)
    return BatchSpec(
        api=base.api,
        method=base.method,
        params=base.params,
        request_id=base.request_id,
        idempotency_key=base.idempotency_key,
        commands_write=any(not is_read_method(c.method) for c in commands),
    )


def _as_map(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    return {}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _command_error(raw: Any, command: BatchCommand, envelope: AjaxResult[Any]) -> e.AjaxError:
    if isinstance(raw, Mapping):
        found = read_error(
            raw, status=envelope.status, method=command.method, request_id=envelope.request_id
        )
        if found is not None:
            return found
    code = str(raw) if isinstance(raw, str) and raw else "BATCH_COMMAND_ERROR"
    return make_error(
        code, "", status=envelope.status, method=command.method, request_id=envelope.request_id
    )


def read_v2_batch(
    envelope: AjaxResult[Any],
    commands: Sequence[BatchCommand],
    *,
    halt: bool,
    return_ajax_result: bool,
) -> BatchResult[Any]:
    """Split a REST v2 batch answer into per-command results, errors, totals, next and times."""
    body = envelope.result if isinstance(envelope.result, Mapping) else {}
    results = _as_map(body.get("result"))
    errors = _as_map(body.get("result_error"))
    totals = _as_map(body.get("result_total"))
    nexts = _as_map(body.get("result_next"))
    times = _as_map(body.get("result_time"))
    out: BatchResult[Any] = BatchResult(keys=tuple(c.key for c in commands), requests=1)
    skipped: list[str] = []
    for command in commands:
        wire = command.key
        has_result, has_error = wire in results, wire in errors
        if not has_result and not has_error:
            if halt:
                skipped.append(command.key)
                continue
            errors[wire] = "BATCH_COMMAND_NO_ANSWER"
            has_error = True
        error = _command_error(errors[wire], command, envelope) if has_error else None
        payload: dict[str, Any] = {"result": results.get(wire), "time": times.get(wire)}
        total, nxt = _int(totals.get(wire)), _int(nexts.get(wire))
        if total is not None:
            payload["total"] = out.totals[command.key] = total
        if nxt is not None:
            payload["next"] = out.nexts[command.key] = nxt
        time = ResponseTime.from_payload(times.get(wire))
        if time is not None:
            out.times[command.key] = time
        ajax: AjaxResult[Any] = AjaxResult(
            method=command.method,
            request_id=envelope.request_id,
            api=2,
            status=envelope.status,
            payload=payload,
            result=None if error else results.get(wire),
            error=error,
        )
        out.ajax_results[command.key] = ajax
        if error is not None:
            out.errors[command.key] = error
        if return_ajax_result:
            out.results[command.key] = ajax
        elif error is None:
            out.results[command.key] = ajax.result
    out.skipped = tuple(skipped)
    return out


class Sender(Protocol):
    """Sends one checked batch: :func:`send_v2` or :func:`_send_v3`."""

    def __call__(
        self,
        state: ClientState,
        commands: Sequence[BatchCommand],
        *,
        named: bool,
        halt: bool,
        return_ajax_result: bool,
        request_id: str | None,
    ) -> Flow[BatchResult[Any]]: ...


def _single_batch(
    send: Sender,
    state: ClientState,
    calls: BatchCalls,
    *,
    halt: bool,
    return_ajax_result: bool,
    request_id: str | None,
) -> Flow[BatchResult[Any]]:
    """Check and send one batch of at most 50 commands with ``send`` (REST v2 or 3.0)."""
    commands, named = normalize_calls(calls)
    check_size(commands)
    return (
        yield from send(
            state,
            commands,
            named=named,
            halt=halt,
            return_ajax_result=return_ajax_result,
            request_id=request_id,
        )
    )


def batch_flow(
    state: ClientState,
    calls: BatchCalls,
    *,
    is_halt_on_error: bool = True,
    return_ajax_result: bool = False,
    request_id: str | None = None,
) -> Flow[BatchResult[Any]]:
    """One REST v2 batch (at most 50 commands). Raises the error if the whole batch failed."""
    return _single_batch(
        send_v2,
        state,
        calls,
        halt=is_halt_on_error,
        return_ajax_result=return_ajax_result,
        request_id=request_id,
    )


def send_v2(
    state: ClientState,
    commands: Sequence[BatchCommand],
    *,
    named: bool,
    halt: bool,
    return_ajax_result: bool,
    request_id: str | None,
) -> Flow[BatchResult[Any]]:
    cmd: Any = {c.key: c.to_v2() for c in commands} if named else [c.to_v2() for c in commands]
    spec = _batch_spec(2, {"halt": 1 if halt else 0, "cmd": cmd}, commands, request_id)
    envelope = yield from call_flow(state, spec)
    envelope.raise_for_error()
    if named:
        return read_v2_batch(envelope, commands, halt=halt, return_ajax_result=return_ajax_result)
    # Positional commands are keyed by position on the wire: re-key a chunk's answer.
    wire = [BatchCommand(str(i), c.method, c.params, c.raw) for i, c in enumerate(commands)]
    answer = read_v2_batch(envelope, wire, halt=halt, return_ajax_result=return_ajax_result)
    return _rekey(answer, {w.key: c.key for w, c in zip(wire, commands, strict=True)})


def _rekey(answer: BatchResult[R], names: Mapping[str, str]) -> BatchResult[R]:
    if all(k == v for k, v in names.items()):
        return answer
    return BatchResult(
        keys=tuple(names[k] for k in answer.keys),
        results={names[k]: v for k, v in answer.results.items()},
        errors={names[k]: v for k, v in answer.errors.items()},
        totals={names[k]: v for k, v in answer.totals.items()},
        nexts={names[k]: v for k, v in answer.nexts.items()},
        times={names[k]: v for k, v in answer.times.items()},
        ajax_results={names[k]: v for k, v in answer.ajax_results.items()},
        skipped=tuple(names[k] for k in answer.skipped),
        requests=answer.requests,
    )


def batch_by_chunk_flow(
    state: ClientState,
    calls: BatchCalls,
    *,
    is_halt_on_error: bool = True,
    return_ajax_result: bool = False,
    request_id: str | None = None,
    api: ApiVersion = 2,
) -> Flow[BatchResult[Any]]:
    """Any number of commands, sent in sequential batches of 50; keys as in the input.

    ``$result[...]`` references only reach commands of the same chunk (50 in a row). With
    ``is_halt_on_error`` the first failing chunk stops the run; the rest are ``skipped``. Params
    are checked before the first chunk goes out; an error that stops the run (a chunk that got
    no answer, an unknown outcome) carries the chunks that completed in ``error.completed``.
    """
    commands, named = normalize_calls(calls)
    if not commands:
        raise e.SdkError("a batch needs at least one command", code="SDK_BATCH_EMPTY")
    for command in commands:  # bad params fail before the first chunk goes out
        _encodable(command, api)
    out: BatchResult[Any] = BatchResult()
    for start in range(0, len(commands), MAX_BATCH):
        chunk = commands[start : start + MAX_BATCH]
        if is_halt_on_error and out.errors:
            out.keys += tuple(c.key for c in chunk)
            out.skipped += tuple(c.key for c in chunk)
            continue
        send = _send_v3 if api == 3 else send_v2
        try:
            answer = yield from send(
                state,
                chunk,
                named=named,
                halt=is_halt_on_error,
                return_ajax_result=return_ajax_result,
                request_id=request_id,
            )
        except e.AjaxError as error:
            error.completed = out
            raise
        out.merge(answer)
    return out


def _encodable(command: BatchCommand, api: ApiVersion) -> None:
    """Raise the :class:`SdkError` that sending ``command`` would raise."""
    if api == 2:
        command.to_v2()
    elif command.raw is not None:
        raise e.SdkError(
            "REST 3.0 batches take (method, params), not command strings",
            code="SDK_BATCH_BAD_COMMAND",
        )
    else:
        encode_json(command.params)


def v3_batch_by_chunk_flow(
    state: ClientState,
    calls: BatchCalls,
    *,
    is_halt_on_error: bool = True,
    return_ajax_result: bool = False,
    request_id: str | None = None,
) -> Flow[BatchResult[Any]]:
    """REST 3.0 commands in sequential batches of 50; each batch is all or nothing."""
    return batch_by_chunk_flow(
        state,
        calls,
        is_halt_on_error=is_halt_on_error,
        return_ajax_result=return_ajax_result,
        request_id=request_id,
        api=3,
    )


def batch_v3_flow(
    state: ClientState,
    calls: BatchCalls,
    *,
    is_halt_on_error: bool = True,
    return_ajax_result: bool = False,
    request_id: str | None = None,
) -> Flow[BatchResult[Any]]:
    """One REST 3.0 batch: all or nothing, so a failure raises the batch's error."""
    return _single_batch(
        _send_v3,
        state,
        calls,
        halt=is_halt_on_error,
        return_ajax_result=return_ajax_result,
        request_id=request_id,
    )


def _send_v3(
    state: ClientState,
    commands: Sequence[BatchCommand],
    *,
    named: bool,
    halt: bool,
    return_ajax_result: bool,
    request_id: str | None,
) -> Flow[BatchResult[Any]]:
    rows: dict[str, Any] = {}
    for i, command in enumerate(commands):
        _encodable(command, 3)
        row: dict[str, Any] = {
            "method": command.method,
            "query": dict(command.params),
            "parallel": not halt,
        }
        if named:
            row["as"] = command.key
        # A JSON object keyed "0".."n-1" is what PHP reads as the documented root array, and it
        # leaves room for the OAuth ``auth`` key.
        rows[str(i)] = row
    envelope = yield from call_flow(state, _batch_spec(3, rows, commands, request_id))
    envelope.raise_for_error()
    answers = _as_map(envelope.result)
    out: BatchResult[Any] = BatchResult(keys=tuple(c.key for c in commands), requests=1)
    for i, command in enumerate(commands):
        if str(i) not in answers and command.key not in answers:
            raise e.SdkError(
                f"the REST 3.0 batch answer has no entry for command {command.key!r}",
                code="SDK_BATCH_NO_ANSWER",
            )
        result = answers.get(str(i), answers.get(command.key))
        if envelope.time is not None:
            out.times[command.key] = envelope.time
        ajax: AjaxResult[Any] = AjaxResult(
            method=command.method,
            request_id=envelope.request_id,
            api=3,
            status=envelope.status,
            payload={"result": result, "time": envelope.get_data()["time"]},
            result=result,
        )
        out.ajax_results[command.key] = ajax
        out.results[command.key] = ajax if return_ajax_result else result
    return out
