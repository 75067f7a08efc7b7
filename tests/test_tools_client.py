"""Tools through both clients: ``responses.run_tools``, tool types, tool_choice, arguments."""

from __future__ import annotations

import enum
import json
import threading
from typing import Any, Literal

import anyio
import pytest

import codex_open_client as c
from codex_open_client.testing import (
    FakeCodexServer,
    custom_tool_call,
    function_call,
    reasoning,
    reply,
    text_reply,
    web_search_call,
)

from .conftest import BASE, Api


class Unit(enum.Enum):
    CELSIUS = "celsius"
    FAHRENHEIT = "fahrenheit"


def get_weather(city: str, unit: Unit) -> str:
    """The current weather in a city.

    Args:
        city: The city name.
        unit: The temperature unit.
    """
    return f"21 degrees {unit.value} in {city}"


def bodies(server: FakeCodexServer) -> list[dict[str, Any]]:
    return [r.json for r in server.requests if r.path.endswith("/responses")]


def outputs(body: dict[str, Any]) -> dict[str, Any]:
    return {i["call_id"]: i["output"] for i in body["input"] if i["type"] == "function_call_output"}


def test_run_tools_with_sync_and_async_tools_in_parallel(api: Api, server: FakeCodexServer) -> None:
    """Both clients: a sync and two async tools asked at once; async ones overlap."""
    started = 0
    both_running = anyio.Event()
    loop_threads: set[int] = set()

    async def lookup(key: str) -> str:
        """Look up a key."""
        nonlocal started
        loop_threads.add(threading.get_ident())
        started += 1
        if started == 2:
            both_running.set()
        with anyio.fail_after(5):  # deadlocks if the two calls ran one after the other
            await both_running.wait()
        return f"value of {key}"

    server.queue(
        reply(
            reasoning(["Need three calls"], encrypted_content="enc-tools"),
            function_call("lookup", {"key": "a"}, call_id="c1"),
            function_call("lookup", {"key": "b"}, call_id="c2"),
            function_call("get_weather", {"city": "Oslo", "unit": "celsius"}, call_id="c3"),
        ),
        text_reply("All done."),
    )
    result = api.call(
        "responses.run_tools",
        **{**BASE, "input": "Go"},
        tools=[lookup, get_weather],
        parallel_tool_calls=True,
    )
    assert isinstance(result, c.ToolRunResult)
    assert result.output_text == "All done."
    assert len(result.responses) == 2
    assert len(loop_threads) == 1
    second = bodies(server)[-1]
    assert outputs(second) == {
        "c1": "value of a",
        "c2": "value of b",
        "c3": "21 degrees celsius in Oslo",
    }
    assert second["parallel_tool_calls"] is True
    assert [i["type"] for i in second["input"]] == [
        "message",
        "reasoning",
        "function_call",
        "function_call",
        "function_call",
        "function_call_output",
        "function_call_output",
        "function_call_output",
    ]
    assert second["input"][1]["encrypted_content"] == "enc-tools"
    weather = next(t for t in second["tools"] if t["name"] == "get_weather")
    assert weather["parameters"]["properties"]["unit"]["enum"] == ["celsius", "fahrenheit"]
    assert weather["description"].startswith("The current weather in a city.")


def test_a_failing_tool_is_reported_then_raised_on_request(
    api: Api, server: FakeCodexServer
) -> None:
    def explode(reason: str) -> str:
        """Always fails."""
        raise RuntimeError(f"boom: {reason}")

    call = function_call("explode", {"reason": "test"}, call_id="x1")
    server.queue(reply(call), text_reply("Sorry, it failed."))
    result = api.call("responses.run_tools", **BASE, tools=[explode])
    assert result.output_text == "Sorry, it failed."
    assert outputs(bodies(server)[-1]) == {"x1": "Error: RuntimeError: boom: test"}

    server.clear()
    server.queue(reply(call), text_reply("never sent"))
    with pytest.raises(RuntimeError, match="boom: test"):
        api.call("responses.run_tools", **BASE, tools=[explode], raise_tool_errors=True)
    assert len(bodies(server)) == 1


def test_max_turns_carries_the_result(api: Api, server: FakeCodexServer) -> None:
    def again() -> str:
        """Call me again."""
        return "again"

    server.queue(*(reply(function_call("again", {})) for _ in range(3)))
    with pytest.raises(c.MaxTurnsExceededError) as info:
        api.call("responses.run_tools", **BASE, tools=[again], max_turns=2)
    result = info.value.result
    assert len(result.responses) == 2
    assert [type(item) for item in result.input][-1] is c.FunctionCallOutput
    assert "max_turns" in str(info.value)


def test_required_tool_choice_is_relaxed_after_the_first_call(
    api: Api, server: FakeCodexServer
) -> None:
    """tool_choice='required' forces one call; later turns use 'auto' so the loop can end."""
    server.queue(reply(function_call("get_weather", {"city": "Rome", "unit": "celsius"})))
    result = api.call("responses.run_tools", **BASE, tools=[get_weather], tool_choice="required")
    assert result.output_text
    assert [b["tool_choice"] for b in bodies(server)] == ["required", "auto"]


def test_run_tools_refuses_bad_arguments_before_sending(api: Api, server: FakeCodexServer) -> None:
    with pytest.raises(ValueError, match="max_turns"):
        api.call("responses.run_tools", **BASE, tools=[get_weather], max_turns=0)
    with pytest.raises(TypeError, match="stream"):
        api.call("responses.run_tools", **BASE, tools=[get_weather], stream=True)
    assert bodies(server) == []


def test_from_function_makes_a_strict_tool() -> None:
    def search(query: str, limit: int, mode: Literal["fast", "deep"] | None = None) -> str:
        """Search the docs.

        Args:
            query: What to look for.
            limit: How many results.
        """
        return query

    tool = c.FunctionTool.from_function(search)
    assert tool.name == "search"
    assert tool.strict is True
    assert tool.description is not None and tool.description.startswith("Search the docs.")
    schema = tool.parameters
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["query", "limit", "mode"]
    assert schema["properties"]["query"]["description"] == "What to look for."
    assert schema["properties"]["limit"]["type"] == "integer"


def test_tool_kinds_and_tool_choice_on_the_wire(api: Api, server: FakeCodexServer) -> None:
    """FunctionTool, dicts, CustomTool and the built-in tools, with each tool_choice form."""
    weather = c.FunctionTool.from_function(get_weather)
    patch = c.CustomTool(
        name="apply_patch",
        description="Apply a patch.",
        format={"type": "grammar", "syntax": "lark", "definition": "start: /.+/"},
    )
    tools: list[Any] = [
        weather,
        {"type": "function", "name": "raw", "parameters": {"type": "object"}, "strict": False},
        patch,
        c.WebSearchTool(search_context_size="low"),
        c.ImageGenerationTool(output_format="png"),
    ]
    for choice, wire in [
        ("auto", "auto"),
        ("none", "none"),
        ("required", "required"),
        (weather, {"type": "function", "name": "get_weather"}),
        ({"type": "function", "name": "raw"}, {"type": "function", "name": "raw"}),
        (patch, {"type": "custom", "name": "apply_patch"}),
    ]:
        api.create(tools=tools, tool_choice=choice, parallel_tool_calls=False)
        body = bodies(server)[-1]
        assert body["tool_choice"] == wire
        assert body["parallel_tool_calls"] is False
    assert [t["type"] for t in body["tools"]] == [
        "function",
        "function",
        "custom",
        "web_search",
        "image_generation",
    ]
    assert body["tools"][2] == {
        "type": "custom",
        "name": "apply_patch",
        "description": "Apply a patch.",
        "format": {"type": "grammar", "syntax": "lark", "definition": "start: /.+/"},
    }
    assert body["tools"][3] == {"type": "web_search", "search_context_size": "low"}
    assert body["tools"][4] == {"type": "image_generation", "output_format": "png"}
    with pytest.raises(ValueError, match="tool_choice"):
        api.create(tool_choice="sometimes")
    with pytest.raises(TypeError, match="from_function"):
        api.create(tools=[get_weather])


def test_custom_and_builtin_calls_round_trip_as_input(api: Api, server: FakeCodexServer) -> None:
    """Typed output items go back as input unchanged; the custom tool gets its output."""
    patch = custom_tool_call("apply_patch", "*** Begin Patch", call_id="ct1")
    server.queue(reply(web_search_call("codex sdk"), patch), text_reply("Applied."))
    first = api.create(input="Fix it")
    search, custom = first.output
    assert isinstance(search, c.ResponseWebSearchCall)
    assert isinstance(custom, c.ResponseCustomToolCall)
    assert custom.input == "*** Begin Patch"
    api.create(
        input=[
            c.InputMessage(role="user", content="Fix it"),
            *first.output,
            c.CustomToolCallOutput(call_id="ct1", output="Done", name="apply_patch"),
        ]
    )
    sent = bodies(server)[-1]["input"]
    assert [i["type"] for i in sent] == [
        "message",
        "web_search_call",
        "custom_tool_call",
        "custom_tool_call_output",
    ]
    assert sent[2]["input"] == "*** Begin Patch" and sent[2]["call_id"] == "ct1"
    assert sent[3] == {
        "type": "custom_tool_call_output",
        "call_id": "ct1",
        "output": "Done",
        "name": "apply_patch",
    }


def test_parsed_arguments(api: Api, server: FakeCodexServer) -> None:
    server.queue(reply(function_call("get_weather", {"city": "Lima", "unit": "celsius"})))
    (call,) = api.create().tool_calls
    assert call.parsed_arguments() == {"city": "Lima", "unit": "celsius"}
    broken = c.ResponseFunctionToolCall(call_id="b1", name="get_weather", arguments="{oops")
    with pytest.raises(c.ToolArgumentsError, match="get_weather") as info:
        broken.parsed_arguments()
    assert isinstance(info.value, ValueError)
    assert info.value.arguments == "{oops"
    assert json.loads(call.arguments) == call.parsed_arguments()


def test_tools_may_return_content_parts_and_be_async_callables(
    api: Api, server: FakeCodexServer
) -> None:
    """A list of InputText/InputImage parts is sent as is; an async __call__ is awaited."""

    class Camera:
        __name__ = "snapshot"
        __doc__ = "Take a picture."

        async def __call__(self, room: str) -> list[Any]:
            return [
                c.InputText(text=f"the {room}"),
                c.InputImage(image_url="data:image/png;base64,AAAA", detail="low"),
            ]

    server.queue(reply(function_call("snapshot", {"room": "kitchen"}, call_id="p1")))
    result = api.call("responses.run_tools", **BASE, tools=[Camera()])
    assert result.output_text
    assert outputs(bodies(server)[-1]) == {
        "p1": [
            {"type": "input_text", "text": "the kitchen"},
            {"type": "input_image", "image_url": "data:image/png;base64,AAAA", "detail": "low"},
        ]
    }
