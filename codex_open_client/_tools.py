"""``run_tools()``: call Python functions for the model, turn after turn, until it answers.

The loop owns no transport: it calls ``create`` (``AsyncClient.responses.create``) once per
turn with the whole item history, so retries, errors and request checks stay in one place.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import functools
import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, cast

import anyio
import anyio.to_thread
import attrs
from attrs import frozen

from ._conversation import TURN_STATE_HEADER, with_turn_state
from ._exceptions import MaxTurnsExceededError
from ._models import (
    FunctionCallOutput,
    FunctionTool,
    InputImage,
    InputItem,
    InputText,
    Response,
    ResponseCustomToolCall,
    ResponseFunctionToolCall,
    Tool,
    parse_arguments,
)
from ._request import TOOL_CLASSES, input_items

__all__ = ["ToolRunResult", "parse_arguments", "run_tools"]

logger = logging.getLogger("codex_open_client")


@frozen(kw_only=True)
class ToolRunResult:
    """What ``run_tools()`` did: every response, and the item history to continue from."""

    response: Response
    """The last response."""
    responses: list[Response]
    """Every response, one per turn, in order."""
    input: list[InputItem]
    """The whole history: your input, each turn's output items and tool outputs.

    Pass it as ``input=`` (with a new user message appended, or your own outputs for pending
    calls) to continue the conversation.
    """

    @property
    def output_text(self) -> str:
        """The text of the last response."""
        return self.response.output_text


@frozen(kw_only=True)
class _Toolbox:
    """The tools as sent, and the Python functions behind some of them."""

    specs: list[Tool]
    functions: dict[str, Callable[..., Any]]
    declared: list[str]  # every named tool, in order


def _toolbox(tools: object) -> _Toolbox:
    if isinstance(tools, (str, bytes, dict)) or not isinstance(tools, Sequence):
        raise TypeError(
            "tools must be a list of Python functions, FunctionTool (or other tool) objects "
            "or tool dicts"
        )
    if not tools:
        raise ValueError("tools must not be empty: give run_tools() at least one tool")
    specs: list[Tool] = []
    functions: dict[str, Callable[..., Any]] = {}
    declared: list[str] = []
    for index, tool in enumerate(tools):
        name: object
        if isinstance(tool, TOOL_CLASSES):
            specs.append(cast(Tool, tool))
            name = getattr(tool, "name", None)  # built-in tools have none
        elif isinstance(tool, dict):
            specs.append(tool)
            name = tool.get("name") if tool.get("type") in ("function", "custom") else None
        elif callable(tool):
            spec = FunctionTool.from_function(tool)
            specs.append(spec)
            fn_name = spec.name
            functions[fn_name] = tool
            name = fn_name
        else:
            raise TypeError(
                f"tools[{index}] must be a function, a FunctionTool (or another tool) or a "
                f"dict, got {type(tool).__name__}"
            )
        if isinstance(name, str):
            if name in declared:
                raise ValueError(f"tools[{index}]: the tool name {name!r} is given twice")
            declared.append(name)
    return _Toolbox(specs=specs, functions=functions, declared=declared)


def _is_async(fn: Callable[..., Any]) -> bool:
    # An instance whose __call__ is async is an async tool too.
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(type(fn).__call__)


def _json_default(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, type):
        return str(value)
    dump = getattr(value, "model_dump", None)
    if callable(dump):  # a pydantic model nested in something else
        return dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if attrs.has(type(value)):
        return attrs.asdict(value)
    return str(value)


def _to_output(value: Any) -> str | list[Any]:
    """A tool's return value as the ``output`` of a ``FunctionCallOutput``."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if (
        isinstance(value, list)
        and value
        and all(isinstance(part, (InputText, InputImage)) for part in value)
    ):
        return value  # content parts (e.g. an image) are sent as they are
    dump_json = getattr(value, "model_dump_json", None)
    if callable(dump_json) and not isinstance(value, type):
        return str(dump_json())
    try:
        # The stdlib, not _json: only it takes a ``default`` hook, and models have long
        # received its ", " / ": " layout.
        return json.dumps(value, default=_json_default, ensure_ascii=False)
    except RecursionError:
        raise ValueError(
            "the return value is nested too deeply to encode as JSON; return a flatter value"
        ) from None


def _error_output(exc: BaseException) -> str:
    return f"Error: {type(exc).__name__}: {exc}"


async def _invoke(
    call: ResponseFunctionToolCall, fn: Callable[..., Any], *, raise_errors: bool
) -> str | list[Any]:
    """Run one call; an ``Exception`` becomes its output unless ``raise_errors``."""
    try:
        from ._functions import bind_arguments

        arguments = bind_arguments(fn, parse_arguments(call))
        if _is_async(fn):
            value = await fn(**arguments)
        else:
            value = await anyio.to_thread.run_sync(functools.partial(fn, **arguments))
            if inspect.isawaitable(value):
                value = await value
        return _to_output(value)
    except Exception as exc:
        if raise_errors:
            raise
        logger.debug(
            "tool %r (call_id %s) failed; its error is sent to the model",
            call.name,
            call.call_id,
            exc_info=True,
        )
        return _error_output(exc)


async def _run_calls(
    calls: list[ResponseFunctionToolCall], toolbox: _Toolbox, *, raise_errors: bool
) -> list[FunctionCallOutput]:
    """Run one turn's calls: async ones concurrently, sync ones in order in a worker thread."""
    outputs: list[str | list[Any]] = [""] * len(calls)
    failures: list[BaseException] = []
    cancelled = anyio.get_cancelled_exc_class()

    async with anyio.create_task_group() as group:

        async def run(index: int, call: ResponseFunctionToolCall, fn: Callable[..., Any]) -> None:
            try:
                outputs[index] = await _invoke(call, fn, raise_errors=raise_errors)
            except cancelled:
                raise
            except BaseException as exc:
                # Raised after the group, unwrapped: a task group would wrap it in a group.
                failures.append(exc)
                group.cancel_scope.cancel()

        sync_calls = []
        for index, call in enumerate(calls):
            fn = toolbox.functions.get(call.name)
            if fn is None:
                available = ", ".join(toolbox.declared)
                outputs[index] = f"Error: no tool named {call.name!r}; available: {available}"
            elif _is_async(fn):
                group.start_soon(run, index, call, fn)
            else:
                sync_calls.append((index, call, fn))
        for index, call, fn in sync_calls:
            await run(index, call, fn)
            if failures:
                break
    if failures:
        raise failures[0]
    return [
        FunctionCallOutput(call_id=call.call_id, output=output)
        for call, output in zip(calls, outputs, strict=True)
    ]


def _needs_caller(response: Response, toolbox: _Toolbox) -> bool:
    """Whether a call in ``response`` is one only the caller can answer."""
    for item in response.output:
        if isinstance(item, ResponseCustomToolCall):
            return True
        if (
            isinstance(item, ResponseFunctionToolCall)
            and item.name in toolbox.declared
            and item.name not in toolbox.functions
        ):
            return True
    return False


_Send = Callable[..., Awaitable[tuple[Response, Mapping[str, str]]]]


def _with_headers(create: Callable[..., Awaitable[Response]]) -> _Send:
    """``create`` giving the answer's headers too: through ``with_raw_response`` when it is
    ``responses.create`` (so ``x-codex-turn-state`` can be echoed), else no headers."""
    owner = getattr(create, "__self__", None)
    raw = getattr(owner, "with_raw_response", None)
    if getattr(create, "__name__", None) == "create" and raw is not None:

        async def send_raw(**params: Any) -> tuple[Response, Mapping[str, str]]:
            answer = await raw.create(**params)
            return answer.parse(), answer.headers

        return send_raw

    async def send(**params: Any) -> tuple[Response, Mapping[str, str]]:
        return await create(**params), {}

    return send


async def run_tools(
    create: Callable[..., Awaitable[Response]],
    *,
    input: str | Sequence[InputItem],
    tools: Sequence[Callable[..., Any] | Tool],
    max_turns: int = 10,
    raise_tool_errors: bool = False,
    **kwargs: Any,
) -> ToolRunResult:
    """Let the model call Python functions until it answers without calling any.

    Each turn sends the whole history to ``create`` (``client.responses.create``) with
    ``tools`` and ``kwargs`` (``model``, ``instructions``, ``reasoning``, ``tool_choice``...),
    then runs the function calls of the response and appends their outputs. Functions become
    strict ``FunctionTool`` objects from their signature and docstring; ``FunctionTool`` and
    dict tools are sent as given.

    Async functions run concurrently; sync ones run one at a time, in order, in a worker
    thread. A return value is sent as is when it is a string or a list of ``InputText`` /
    ``InputImage`` parts, as ``""`` for None, and as JSON otherwise (pydantic models,
    dataclasses and attrs classes included). An exception in a tool (bad arguments included)
    is sent to the model as ``"Error: Type: message"`` so it can recover, unless
    ``raise_tool_errors=True``, which raises it instead and cancels the other calls.

    A call of a name no tool has gets an error output and the loop goes on. A call of a tool
    declared without a Python function (a ``FunctionTool`` or dict tool), or of a custom tool
    (``CustomTool``), ends the loop: none of that turn's calls is run, and the result is
    returned with them pending in ``result.response.tool_calls`` (custom calls in
    ``result.response.output``); answer them with ``FunctionCallOutput`` /
    ``CustomToolCallOutput`` items appended to ``result.input`` and call again to continue.

    Raises ``MaxTurnsExceededError`` (with ``.result``) when the model still calls tools after
    ``max_turns`` responses.

    The loop is one turn: the first ``x-codex-turn-state`` the backend answers with is sent
    back with every follow-up request, as the Codex CLI does.
    """
    if "stream" in kwargs:
        raise TypeError(
            "run_tools() does not stream: remove stream=...; it returns the final responses"
        )
    if isinstance(max_turns, bool) or not isinstance(max_turns, int):
        raise TypeError(f"max_turns must be an int, got {type(max_turns).__name__}")
    if max_turns < 1:
        raise ValueError(f"max_turns must be at least 1, got {max_turns}")
    toolbox = _toolbox(tools)
    history = input_items(input)

    responses: list[Response] = []
    send = _with_headers(create)
    turn_state: str | None = None  # every response of the loop belongs to one turn

    def result() -> ToolRunResult:
        return ToolRunResult(response=responses[-1], responses=list(responses), input=history)

    for _ in range(max_turns):
        params = with_turn_state(kwargs, turn_state)
        response, headers = await send(input=list(history), tools=toolbox.specs, **params)
        if turn_state is None:
            turn_state = headers.get(TURN_STATE_HEADER)
        responses.append(response)
        history.extend(response.output)
        calls = response.tool_calls
        if not calls or _needs_caller(response, toolbox):
            return result()
        history.extend(await _run_calls(calls, toolbox, raise_errors=raise_tool_errors))
        if kwargs.get("tool_choice") not in (None, "auto", "none"):
            # "required" or one named function forces a call on every turn: once the model
            # has called, let it answer, or the loop could only end at max_turns.
            kwargs["tool_choice"] = "auto"
    raise MaxTurnsExceededError(
        f"The model still called tools after max_turns={max_turns} responses. Raise "
        "max_turns, or continue with run_tools(..., input=error.result.input).",
        result=result(),
    )
