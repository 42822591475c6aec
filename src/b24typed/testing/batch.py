"""Batches on the fake portal: REST v2 ``batch`` (``cmd`` strings decoded as PHP's ``parse_str``
does, ``$result[...]``/``$error[...]`` references, ``halt``) and the REST 3.0 batch (all or
nothing, ``$ref``/``$refArray`` markers)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .errors import ApiError, method_not_found, v3_error
from .phpqs import parse_str, php_to_json
from .portal import Answer, Ctx, php_json

if TYPE_CHECKING:
    from .portal import FakePortal

_REF = re.compile(r"\$(result|error)\[([^\]]+)\]((?:\[[^\]]*\])*)")


def batch_v2(portal: FakePortal, ctx: Ctx, params: dict[str, Any]) -> Any:
    """Run a REST v2 ``batch``: ``cmd`` strings, ``$result[...]`` references, ``halt``."""
    cmd = params.get("cmd")
    halt = str(params.get("halt", "0")).lower() in {"1", "true", "y"}
    if isinstance(cmd, list):
        commands = {str(i): c for i, c in enumerate(cmd)}
    elif isinstance(cmd, dict):
        commands = {str(k): v for k, v in cmd.items()}
    else:
        commands = {}
    if len(commands) > 50:
        raise ApiError("ERROR_BATCH_LENGTH_EXCEEDED", "Max batch length exceeded", 400)
    results: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    totals: dict[str, Any] = {}
    nexts: dict[str, Any] = {}
    times: dict[str, Any] = {}
    for key, line in commands.items():
        method, _, query = str(line).partition("?")
        method = method.strip()
        perf = time.perf_counter()
        started = portal.clock.now()
        try:
            sub_params = php_to_json(parse_str(query)) if query else {}
            if not isinstance(sub_params, dict):
                sub_params = {}
            sub_params.pop("auth", None)
            sub_params = _substitute(sub_params, results, errors)
            if method.lower() == "batch":
                raise ApiError(
                    "ERROR_BATCH_METHOD_NOT_ALLOWED",
                    "Method is not allowed for batch usage",
                    405,
                )
            mdef = portal._lookup(2, method)
            if mdef is None:
                raise method_not_found(method)
            sub_ctx = Ctx(portal, 2, ctx.user_id, ctx.identity, ctx.scopes, mdef.name, ctx.headers)
            answer, _ = portal._call(sub_ctx, mdef, sub_params)
        except ApiError as err:
            errors[key] = err.v2_body()
            if halt:
                break
            continue
        if isinstance(answer, Answer):
            results[key] = answer.result
            if answer.total is not None:
                totals[key] = answer.total
                if answer.next is not None:
                    nexts[key] = answer.next
        else:
            results[key] = answer
        times[key] = portal._time_block(started, perf, ctx.identity, mdef.name)
    return {
        "result": php_json(results),
        "result_error": php_json(errors),
        "result_total": php_json(totals),
        "result_next": php_json(nexts),
        "result_time": php_json(times),
    }


def _substitute(value: Any, results: dict[str, Any], errors: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, results, errors) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, results, errors) for v in value]
    if not isinstance(value, str) or "$" not in value:
        return value

    def resolve(match: re.Match[str]) -> tuple[bool, Any]:
        source = results if match.group(1) == "result" else errors
        if match.group(2) not in source:
            return False, None
        node: Any = source[match.group(2)]
        for key in re.findall(r"\[([^\]]*)\]", match.group(3) or ""):
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                return False, None
        return True, node

    whole = _REF.fullmatch(value)
    if whole is not None:
        ok, found = resolve(whole)
        return found if ok else value

    def repl(match: re.Match[str]) -> str:
        ok, found = resolve(match)
        if not ok:
            return match.group(0)
        if isinstance(found, dict | list):
            return json.dumps(found)
        if found is True:
            return "1"
        if found is False or found is None:
            return ""
        return str(found)

    return _REF.sub(repl, value)


def batch_v3(portal: FakePortal, ctx: Ctx, params: dict[str, Any]) -> Any:
    """Run a REST 3.0 ``batch``: all or nothing, ``$ref``/``$refArray`` markers."""
    raw = params.get("__list__")
    if raw is None:
        if "cmd" in params:
            raise v3_error("INVALIDSELECTEXCEPTION", "The batch format with `cmd` is not supported")
        keys = [k for k in params if k.isdigit()]
        raw = [params[k] for k in sorted(keys, key=int)]
    if not isinstance(raw, list) or not raw:
        raise v3_error(
            "VALIDATION_REQUESTVALIDATIONEXCEPTION", "Error during request object validation",
            validation=[{"field": "batch", "message": "The batch must not be empty"}],
        )  # fmt: skip
    if len(raw) > 50:
        raise ApiError(
            "ERROR_BATCH_LENGTH_EXCEEDED", "Max batch length exceeded", 400,
            v3_code="VALIDATION_REQUESTVALIDATIONEXCEPTION",
        )  # fmt: skip
    context: dict[str, Any] = {}
    out: list[Any] = []
    for index, command in enumerate(raw):
        if not isinstance(command, Mapping) or "method" not in command:
            raise v3_error(
                "VALIDATION_REQUESTVALIDATIONEXCEPTION",
                "Error during request object validation",
                validation=[{"field": f"{index}.method", "message": "Required field"}],
            )
        name = str(command["method"])
        mdef = portal._lookup(3, name)
        if mdef is None or name.lower() == "batch":
            raise v3_error("METHODNOTFOUNDEXCEPTION", f"Method `{name}` not found", 404)
        query = command.get("query", command.get("params", {})) or {}
        if not isinstance(query, dict):
            query = {}
        query = _substitute_v3(query, context)
        sub_ctx = Ctx(portal, 3, ctx.user_id, ctx.identity, ctx.scopes, mdef.name, ctx.headers)
        answer, _ = portal._call(sub_ctx, mdef, query)
        result = answer.result if isinstance(answer, Answer) else answer
        out.append(result)
        alias = str(command.get("as") or index)
        if isinstance(result, dict) and "item" in result:
            context[alias] = result["item"]
        elif isinstance(result, dict) and "items" in result:
            context[alias] = result["items"]
    return out


def _substitute_v3(value: Any, context: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and ("$ref" in value or "$refArray" in value):
            return _ref_v3(value, context)
        return {k: _substitute_v3(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute_v3(v, context) for v in value]
    return value


def _ref_v3(marker: dict[str, Any], context: dict[str, Any]) -> Any:
    is_array = "$refArray" in marker
    path = str(marker.get("$refArray" if is_array else "$ref"))
    alias, _, rest = path.partition(".")
    bad = v3_error("INVALIDSELECTEXCEPTION", f"Unable to resolve the reference `{path}`")
    if alias not in context or not rest:
        raise bad
    source = context[alias]

    def walk(node: Any, keys: list[str]) -> Any:
        for key in keys:
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                raise bad
        return node

    keys = rest.split(".")
    if is_array:
        items = source if isinstance(source, list) else [source]
        return [walk(item, keys) for item in items]
    return walk(source, keys)
