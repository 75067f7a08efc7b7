"""``run_tools()`` against the fake backend: turns, tool execution, errors and limits."""

from __future__ import annotations

import dataclasses
import enum
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pydantic
import pytest

from codex_open_client import AsyncClient
from codex_open_client._exceptions import MaxTurnsExceededError, ToolArgumentsError
from codex_open_client._models import (
    CustomTool,
    FunctionCallOutput,
    FunctionTool,
    InputMessage,
    ResponseCustomToolCall,
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseReasoningItem,
)
from codex_open_client._tools import ToolRunResult, parse_arguments, run_tools
from codex_open_client.testing import (
    FakeCodexServer,
    custom_tool_call,
    function_call,
    reasoning,
    reply,
    text_reply,
    tool_call_reply,
)

SETTINGS: dict[str, Any] = {"model": "gpt-5.1-codex-mini", "instructions": "You are helpful."}
ASK_USER = FunctionTool(
    name="ask_user",
    description="Ask the user a question.",
    parameters={
        "type": "object",
        "properties": {"question": {"type": "string"}},
        "required": ["question"],
        "additionalProperties": False,
    },
)


def run_async(server: FakeCodexServer, body: Callable[[AsyncClient], Awaitable[Any]]) -> Any:
    """Run ``body(client)`` on a fresh event loop with a client of the fake server."""

    async def main() -> Any:
        async with AsyncClient(
            access_token=server.access_token,
            account_id=server.account_id,
            base_url=server.url,
            max_retries=0,
        ) as client:
            with anyio.fail_after(10):
                return await body(client)

    return anyio.run(main)


def run(server: FakeCodexServer, **kwargs: Any) -> ToolRunResult:
    """``run_tools(client.responses.create, model=..., instructions=..., **kwargs)``."""

    async def body(client: AsyncClient) -> ToolRunResult:
        return await run_tools(client.responses.create, **{**SETTINGS, **kwargs})

    result: ToolRunResult = run_async(server, body)
    return result


def bodies(server: FakeCodexServer) -> list[dict[str, Any]]:
    """The JSON bodies of the ``POST /responses`` requests, in order."""
    return [r.json for r in server.requests if r.path.endswith("/responses")]


def outputs_sent(body: dict[str, Any]) -> dict[str, Any]:
    """``call_id -> output`` of the function_call_output items of a request body."""
    return {
        item["call_id"]: item["output"]
        for item in body["input"]
        if item["type"] == "function_call_output"
    }


# --------------------------------------------------------------------------- the loop


def test_sync_tool_then_text(server: FakeCodexServer) -> None:
    calls: list[tuple[str, int]] = []

    def get_weather(city: str) -> dict[str, Any]:
        """The current weather in a city."""
        calls.append((city, threading.get_ident()))
        return {"city": city, "celsius": 21}

    server.queue(
        reply(
            reasoning(["Look it up"], encrypted_content="enc-1"),
            function_call("get_weather", {"city": "Paris"}, call_id="call_1"),
        ),
        text_reply("It is 21 degrees in Paris."),
    )
    result = run(server, input="Weather in Paris?", tools=[get_weather], tool_choice="auto")

    assert result.output_text == "It is 21 degrees in Paris."
    assert len(result.responses) == 2
    assert result.response is result.responses[-1]
    assert calls == [("Paris", calls[0][1])]
    assert calls[0][1] != threading.get_ident()  # a worker thread, not the event loop's
    assert [type(item) for item in result.input] == [
        InputMessage,
        ResponseReasoningItem,
        ResponseFunctionToolCall,
        FunctionCallOutput,
        ResponseOutputMessage,
    ]
    assert result.input[0] == InputMessage(role="user", content="Weather in Paris?")
    assert result.input[3] == FunctionCallOutput(
        call_id="call_1", output='{"city": "Paris", "celsius": 21}'
    )

    first, second = bodies(server)
    assert [item["type"] for item in first["input"]] == ["message"]
    for body in (first, second):
        assert body["tool_choice"] == "auto"
        assert body["model"] == SETTINGS["model"]
        (tool,) = body["tools"]
        assert tool["type"] == "function"
        assert tool["name"] == "get_weather"
        assert tool["strict"] is True
        assert tool["description"] == "The current weather in a city."
        assert "city" in tool["parameters"]["properties"]
    kinds = [item["type"] for item in second["input"]]
    assert kinds == ["message", "reasoning", "function_call", "function_call_output"]
    replayed = second["input"][1]
    assert replayed["encrypted_content"] == "enc-1"
    call = second["input"][2]
    assert (call["call_id"], call["name"]) == ("call_1", "get_weather")
    assert json.loads(call["arguments"]) == {"city": "Paris"}
    assert outputs_sent(second) == {"call_1": '{"city": "Paris", "celsius": 21}'}


def test_list_input_is_kept_and_continued(server: FakeCodexServer) -> None:
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    server.queue(tool_call_reply("add", {"a": 2, "b": 3}, call_id="c1"), text_reply("5"))
    history = [
        InputMessage(role="developer", content="Use the tools."),
        InputMessage(role="user", content="2 + 3?"),
    ]
    result = run(server, input=history, tools=[add])
    assert result.input[:2] == history
    assert len(history) == 2  # the caller's list is not modified
    assert result.input[3] == FunctionCallOutput(call_id="c1", output="5")

    # The history continues the conversation as it is.
    server.queue(text_reply("Bye"))
    more = run(
        server,
        input=[*result.input, InputMessage(role="user", content="Thanks")],
        tools=[add],
    )
    assert more.output_text == "Bye"
    kinds = [item["type"] for item in bodies(server)[-1]["input"]]
    assert kinds == ["message"] * 2 + ["function_call", "function_call_output"] + ["message"] * 2


def test_async_tools_run_concurrently(server: FakeCodexServer) -> None:
    started: list[str] = []
    both_started = anyio.Event()

    async def ping(name: str) -> str:
        """Answer pong once every ping has started."""
        started.append(name)
        if len(started) == 2:
            both_started.set()
        await both_started.wait()  # never returns if the calls ran one after the other
        return f"pong {name}"

    server.queue(
        reply(
            function_call("ping", {"name": "a"}, call_id="c1"),
            function_call("ping", {"name": "b"}, call_id="c2"),
        ),
        text_reply("done"),
    )
    result = run(server, input="ping twice", tools=[ping])
    assert sorted(started) == ["a", "b"]
    outputs = [item for item in result.input if isinstance(item, FunctionCallOutput)]
    assert outputs == [
        FunctionCallOutput(call_id="c1", output="pong a"),
        FunctionCallOutput(call_id="c2", output="pong b"),
    ]
    assert list(outputs_sent(bodies(server)[1])) == ["c1", "c2"]


def test_sync_tool_leaves_the_event_loop_free(server: FakeCodexServer) -> None:
    signal = threading.Event()

    def wait_for_signal() -> bool:
        """Wait until the async tool signals."""
        # Blocks the event loop if run on it: the async tool could then never signal.
        return signal.wait(timeout=5)

    async def send_signal() -> str:
        """Signal the sync tool."""
        signal.set()
        return "sent"

    server.queue(
        reply(
            function_call("wait_for_signal", {}, call_id="c1"),
            function_call("send_signal", {}, call_id="c2"),
        ),
        text_reply("done"),
    )
    run(server, input="go", tools=[wait_for_signal, send_signal])
    assert outputs_sent(bodies(server)[1]) == {"c1": "true", "c2": "sent"}


def test_sync_tools_run_one_at_a_time_in_order(server: FakeCodexServer) -> None:
    events: list[str] = []
    lock = threading.Lock()

    def step(name: str) -> str:
        """Record a step."""
        with lock:
            events.append(f"start {name}")
        time.sleep(0.02)
        with lock:
            events.append(f"end {name}")
        return name

    server.queue(
        reply(*(function_call("step", {"name": n}, call_id=n) for n in ("x", "y", "z"))),
        text_reply("done"),
    )
    run(server, input="go", tools=[step])
    assert events == ["start x", "end x", "start y", "end y", "start z", "end z"]
    assert outputs_sent(bodies(server)[1]) == {"x": "x", "y": "y", "z": "z"}


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Card(pydantic.BaseModel):
    title: str
    tags: list[str]


def test_return_values_become_outputs(server: FakeCodexServer) -> None:
    def nothing() -> None:
        """Return nothing."""

    def point() -> Point:
        """Return a dataclass."""
        return Point(x=1, y=2)

    def card() -> Card:
        """Return a pydantic model."""
        return Card(title="t", tags=["a"])

    async def mixed() -> dict[str, Any]:
        """Return values JSON does not know."""
        return {"colour": Colour.RED, "point": Point(x=3, y=4), "n": 1.5}

    def text() -> str:
        """Return text."""
        return "plain text, not JSON"

    names = ["nothing", "point", "card", "mixed", "text"]
    server.queue(
        reply(*(function_call(name, "", call_id=name) for name in names)),
        text_reply("done"),
    )
    run(server, input="go", tools=[nothing, point, card, mixed, text])
    assert outputs_sent(bodies(server)[1]) == {
        "nothing": "",
        "point": '{"x": 1, "y": 2}',
        "card": '{"title":"t","tags":["a"]}',
        "mixed": '{"colour": "red", "point": {"x": 3, "y": 4}, "n": 1.5}',
        "text": "plain text, not JSON",
    }


class Unit(enum.Enum):
    CELSIUS = "celsius"
    FAHRENHEIT = "fahrenheit"


@dataclasses.dataclass
class Place:
    city: str
    country: str


def test_arguments_are_converted_to_the_annotated_types(server: FakeCodexServer) -> None:
    received: list[tuple[Place, Unit]] = []

    def forecast(place: Place, unit: Unit) -> str:
        """The forecast for a place."""
        received.append((place, unit))
        return f"sunny in {place.city}"

    server.queue(
        tool_call_reply(
            "forecast",
            {"place": {"city": "Paris", "country": "FR"}, "unit": "fahrenheit"},
            call_id="c1",
        ),
        text_reply("Sunny."),
    )
    result = run(server, input="Forecast?", tools=[forecast])
    assert received == [(Place(city="Paris", country="FR"), Unit.FAHRENHEIT)]
    assert result.output_text == "Sunny."
    assert outputs_sent(bodies(server)[1]) == {"c1": "sunny in Paris"}
    schema = json.dumps(bodies(server)[0]["tools"][0]["parameters"])
    assert "fahrenheit" in schema and "country" in schema


# --------------------------------------------------------------------------- tool errors


def explode(reason: str) -> str:
    """Always fails."""
    raise ValueError(f"boom: {reason}")


def test_tool_error_is_sent_to_the_model(
    server: FakeCodexServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.queue(
        tool_call_reply("explode", {"reason": "bad"}, call_id="c1"),
        text_reply("Sorry, it failed."),
    )
    with caplog.at_level(logging.DEBUG, logger="codex_open_client"):
        result = run(server, input="go", tools=[explode])
    assert result.output_text == "Sorry, it failed."
    assert outputs_sent(bodies(server)[1]) == {"c1": "Error: ValueError: boom: bad"}
    (record,) = [r for r in caplog.records if "explode" in r.getMessage()]
    assert record.levelno == logging.DEBUG
    assert record.exc_info is not None and isinstance(record.exc_info[1], ValueError)


def test_raise_tool_errors(server: FakeCodexServer) -> None:
    server.queue(tool_call_reply("explode", {"reason": "bad"}), text_reply("unused"))
    with pytest.raises(ValueError, match="boom: bad"):
        run(server, input="go", tools=[explode], raise_tool_errors=True)
    assert len(bodies(server)) == 1


def test_raise_tool_errors_cancels_the_other_calls(server: FakeCodexServer) -> None:
    cancelled: list[str] = []
    waiting = anyio.Event()

    async def wait_forever() -> str:
        """Never returns."""
        try:
            waiting.set()
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            cancelled.append("wait_forever")
            raise
        return "unreachable"

    async def fail_soon() -> str:
        """Fails once the other call is waiting."""
        await waiting.wait()
        raise KeyError("gone")

    server.queue(
        reply(function_call("wait_forever", {}), function_call("fail_soon", {})),
        text_reply("unused"),
    )
    with pytest.raises(KeyError, match="gone"):  # the exception itself, not a group
        run(server, input="go", tools=[wait_forever, fail_soon], raise_tool_errors=True)
    assert cancelled == ["wait_forever"]
    assert len(bodies(server)) == 1


def test_invalid_json_arguments_become_an_error_output(server: FakeCodexServer) -> None:
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    server.queue(
        reply(
            function_call("add", '{"a": 1, "b":', call_id="c1"),
            function_call("add", "[1, 2]", call_id="c2"),
            function_call("add", {"a": 1}, call_id="c3"),
        ),
        text_reply("done"),
    )
    run(server, input="go", tools=[add])
    sent = outputs_sent(bodies(server)[1])
    assert sent["c1"].startswith("Error: ToolArgumentsError: ")
    assert "not valid JSON" in sent["c1"] and "'add'" in sent["c1"] and "c1" in sent["c1"]
    assert sent["c2"].startswith("Error: ToolArgumentsError: ")
    assert "JSON object" in sent["c2"]
    assert sent["c3"].startswith("Error: ")  # a missing argument
    assert "b" in sent["c3"]


def test_deeply_nested_arguments_and_results_become_error_outputs(
    server: FakeCodexServer,
) -> None:
    """100,000 nested levels in the arguments, or in a return value: a clear error output."""

    def echo(value: str) -> str:
        """Return the value."""
        return value

    def deep() -> Any:
        """Return a deeply nested value."""
        value: Any = []
        for _ in range(100_000):
            value = [value]
        return value

    closed = '{"value": ' + "[" * 100_000 + "]" * 100_000 + "}"
    server.queue(
        reply(
            function_call("echo", closed, call_id="c1"),
            function_call("echo", "[" * 100_000, call_id="c2"),
            function_call("deep", "", call_id="c3"),
        ),
        text_reply("done"),
    )
    result = run(server, input="go", tools=[echo, deep])
    assert result.output_text == "done"
    sent = outputs_sent(bodies(server)[1])
    for call_id in ("c1", "c2"):
        assert sent[call_id].startswith("Error: ToolArgumentsError: ")
        assert "nested too deeply" in sent[call_id] and call_id in sent[call_id]
    assert sent["c3"] == (
        "Error: ValueError: the return value is nested too deeply to encode as JSON; "
        "return a flatter value"
    )


def test_unknown_tool_name_gets_an_error_output(server: FakeCodexServer) -> None:
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    server.queue(
        reply(
            function_call("multiply", {"a": 2, "b": 3}, call_id="c1"),
            function_call("add", {"a": 2, "b": 3}, call_id="c2"),
        ),
        text_reply("5"),
    )
    result = run(server, input="go", tools=[add])
    assert result.output_text == "5"
    assert outputs_sent(bodies(server)[1]) == {
        "c1": "Error: no tool named 'multiply'; available: add",
        "c2": "5",
    }


def test_declared_tool_without_function_returns_early(server: FakeCodexServer) -> None:
    ran: list[int] = []

    def add(a: int, b: int) -> int:
        """Add two numbers."""
        ran.append(a + b)
        return a + b

    server.queue(
        reply(
            function_call("add", {"a": 2, "b": 3}, call_id="c1"),
            function_call("ask_user", {"question": "Why?"}, call_id="c2"),
        ),
        text_reply("unused for now"),
    )
    result = run(server, input="go", tools=[add, ASK_USER])
    assert len(bodies(server)) == 1
    assert ran == []  # nothing of that turn is run: the caller answers every call
    assert [(c.name, c.call_id) for c in result.response.tool_calls] == [
        ("add", "c1"),
        ("ask_user", "c2"),
    ]
    assert isinstance(result.input[-1], ResponseFunctionToolCall)
    assert bodies(server)[0]["tools"][1]["name"] == "ask_user"

    # The caller answers and continues from the history.
    answers = [
        FunctionCallOutput(call_id="c1", output="5"),
        FunctionCallOutput(call_id="c2", output="Because."),
    ]
    more = run(server, input=[*result.input, *answers], tools=[add, ASK_USER])
    assert more.output_text == "unused for now"
    assert outputs_sent(bodies(server)[1]) == {"c1": "5", "c2": "Because."}


def test_dict_and_custom_tools_without_function_return_early(server: FakeCodexServer) -> None:
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    lookup = {
        "type": "function",
        "name": "lookup",
        "parameters": {"type": "object", "properties": {}, "additionalProperties": False},
        "strict": True,
    }
    patch_tool = CustomTool(name="apply_patch", description="Apply a patch.")
    server.queue(
        tool_call_reply("lookup", {}, call_id="c1"),
        reply(
            custom_tool_call("apply_patch", "*** Begin Patch", call_id="p1"),
            function_call("add", {"a": 1, "b": 2}),
        ),
    )
    first = run(server, input="go", tools=[add, lookup, patch_tool])
    assert [c.call_id for c in first.response.tool_calls] == ["c1"]
    second = run(server, input="go", tools=[add, lookup, patch_tool])
    assert len(second.responses) == 1
    custom, pending = second.response.output
    assert isinstance(custom, ResponseCustomToolCall) and custom.call_id == "p1"
    assert isinstance(pending, ResponseFunctionToolCall) and pending.name == "add"
    sent_tools = bodies(server)[0]["tools"]
    assert [t["name"] for t in sent_tools] == ["add", "lookup", "apply_patch"]
    assert sent_tools[1] == lookup
    assert sent_tools[2]["type"] == "custom"


# --------------------------------------------------------------------------- limits


def test_max_turns(server: FakeCodexServer) -> None:
    def tick() -> str:
        """Tick."""
        return "tock"

    server.queue(tool_call_reply("tick", {}, call_id="t1"), tool_call_reply("tick", {}))
    with pytest.raises(MaxTurnsExceededError, match="max_turns=2") as caught:
        run(server, input="go", tools=[tick], max_turns=2)
    result = caught.value.result
    assert len(result.responses) == 2
    assert result.response is result.responses[-1]
    assert isinstance(result.input[-1], FunctionCallOutput)
    assert result.input[-1].output == "tock"
    assert len(bodies(server)) == 2

    server.queue(text_reply("Finally."))
    more = run(server, input=result.input, tools=[tick], max_turns=1)
    assert more.output_text == "Finally."
    assert len(outputs_sent(bodies(server)[2])) == 2


def noop() -> str:
    """Do nothing."""
    return ""


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"tools": []}, ValueError, "tools must not be empty"),
        ({"tools": "noop"}, TypeError, "tools must be a list"),
        ({"tools": [noop, 42]}, TypeError, r"tools\[1\]"),
        ({"tools": [noop, noop]}, ValueError, "'noop' is given twice"),
        ({"tools": [noop, FunctionTool(name="noop")]}, ValueError, "given twice"),
        ({"tools": [noop, {"type": "custom", "name": "noop"}]}, ValueError, "given twice"),
        ({"tools": [noop], "max_turns": 0}, ValueError, "max_turns"),
        ({"tools": [noop], "max_turns": 1.5}, TypeError, "max_turns"),
        ({"tools": [noop], "stream": True}, TypeError, "stream"),
        ({"tools": [noop], "input": 42}, TypeError, "input"),
    ],
)
def test_bad_arguments_fail_before_any_request(
    server: FakeCodexServer, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        run(server, **{"input": "go", **kwargs})
    assert server.requests == []


# --------------------------------------------------------------------------- cancellation


def test_cancelling_the_caller_cancels_the_tools(server: FakeCodexServer) -> None:
    started = anyio.Event()
    cancelled: list[bool] = []

    async def slow() -> str:
        """Takes forever."""
        started.set()
        try:
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            cancelled.append(True)
            raise
        return "unreachable"

    server.queue(tool_call_reply("slow", {}), text_reply("unused"))

    async def body(client: AsyncClient) -> None:
        async with anyio.create_task_group() as group:

            async def go() -> None:
                await run_tools(client.responses.create, input="go", tools=[slow], **SETTINGS)

            group.start_soon(go)
            await started.wait()
            group.cancel_scope.cancel()

    run_async(server, body)
    assert cancelled == [True]
    assert len(bodies(server)) == 1


def test_cancelling_the_caller_cancels_the_request(server: FakeCodexServer) -> None:
    gate = threading.Event()
    server.queue(text_reply("held").hold(gate, after=2))

    async def body(client: AsyncClient) -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(
                lambda: run_tools(client.responses.create, input="go", tools=[noop], **SETTINGS)
            )
            await anyio.to_thread.run_sync(server.wait_for_requests)
            group.cancel_scope.cancel()

    try:
        run_async(server, body)
        assert server.wait_for_disconnects(1) == 1
    finally:
        gate.set()


# --------------------------------------------------------------------------- parse_arguments


def call(arguments: str) -> ResponseFunctionToolCall:
    return ResponseFunctionToolCall(call_id="call_9", name="lookup", arguments=arguments)


def test_parse_arguments_valid_and_empty() -> None:
    assert parse_arguments(call('{"q": "x", "n": [1, 2]}')) == {"q": "x", "n": [1, 2]}
    assert parse_arguments(call("")) == {}
    assert parse_arguments(call("  \n")) == {}
    assert parse_arguments(call("{}")) == {}


def test_parse_arguments_invalid_json() -> None:
    text = '{"q": "' + "x" * 500
    with pytest.raises(ToolArgumentsError) as caught:
        parse_arguments(call(text))
    error = caught.value
    assert isinstance(error, ValueError)
    assert (error.name, error.call_id, error.arguments) == ("lookup", "call_9", text)
    assert "'lookup'" in str(error) and "call_9" in str(error)
    assert "not valid JSON" in str(error)
    assert '{"q": "xxx' in str(error)
    assert len(str(error)) < 300  # an excerpt, not the whole text


def test_parse_arguments_nested_too_deeply() -> None:
    """A model (or a hostile server) sending 100,000 nested brackets: ToolArgumentsError."""
    text = "[" * 100_000
    with pytest.raises(ToolArgumentsError, match="nested too deeply") as caught:
        parse_arguments(call(text))
    assert caught.value.arguments == text


@pytest.mark.parametrize("text", ["[1, 2]", '"text"', "42", "null", "true"])
def test_parse_arguments_not_an_object(text: str) -> None:
    with pytest.raises(ToolArgumentsError, match="must be a JSON object") as caught:
        parse_arguments(call(text))
    assert caught.value.arguments == text
    assert "call_9" in str(caught.value)
