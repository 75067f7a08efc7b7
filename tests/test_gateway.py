"""The OpenAI-compatible gateway, driven by openai-python's own clients over real sockets.

One gateway per module (on its own thread and loop) in front of the session's fake backend.
Every streamed chunk and event is also read raw and checked against openai's pydantic types:
it must parse, with no field those types lack.
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import aiohttp
import openai
import pydantic
import pytest
from aiohttp import web
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response as OpenAIResponse, ResponseStreamEvent

import codex_open_client as c
from codex_open_client.gateway import (
    DEFAULT_INSTRUCTIONS,
    MemoryResponseStore,
    ResponseStore,
    create_app,
)
from codex_open_client.testing import (
    FakeCodexServer,
    failed_reply,
    function_call,
    http_error,
    incomplete_reply,
    message,
    rate_limited,
    reasoning,
    refusal,
    reply,
    text_reply,
    tool_call_reply,
    usage_limit_reached,
)

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam
    from openai.types.responses import FunctionToolParam

MODEL = "gpt-5.1-codex-mini"
WEATHER_TOOL: ChatCompletionToolParam = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


class GatewayThread:
    """A gateway (``create_app``) on its own thread and event loop, on a free port."""

    def __init__(
        self,
        server: FakeCodexServer,
        *,
        client_kwargs: dict[str, Any] | None = None,
        **app_kwargs: Any,
    ) -> None:
        self._client_kwargs = client_kwargs
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server = server
        self._app_kwargs = app_kwargs
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._run, daemon=True, name="gateway")
        self._thread.start()
        self._ready.wait(10)
        assert self._runner is not None

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._start())
        self._ready.set()
        self.loop.run_forever()

    async def _start(self) -> None:
        server = self._server
        self.client = c.AsyncClient(
            **(
                self._client_kwargs
                or {
                    "access_token": server.access_token,
                    "account_id": server.account_id,
                    "base_url": server.url,
                    "chatgpt_base_url": server.chatgpt_base_url,
                    "max_retries": 0,
                }
            )
        )
        app = create_app(self.client, close_client=True, **self._app_kwargs)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        assert self._runner is not None
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()

    def raw(
        self,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        method: str | None = None,
        data: bytes | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """One request with the stdlib: status, headers (lower-case names), whole body."""
        payload = (
            data if data is not None else (None if body is None else json.dumps(body).encode())
        )
        request = urllib.request.Request(
            self.url + path,
            data=payload,
            method=method or ("POST" if payload is not None else "GET"),
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return (
                    answer.status,
                    {k.lower(): v for k, v in answer.headers.items()},
                    answer.read(),
                )
        except urllib.error.HTTPError as error:
            with error:
                return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def sse_frames(body: bytes) -> list[tuple[str | None, str]]:
    """``(event, data)`` of each server-sent event of ``body``."""
    frames = []
    for block in body.decode().split("\n\n"):
        if not block.strip():
            continue
        event = None
        data = []
        for line in block.split("\n"):
            if line.startswith("event: "):
                event = line[len("event: ") :]
            elif line.startswith("data: "):
                data.append(line[len("data: ") :])
        frames.append((event, "\n".join(data)))
    return frames


def assert_exact(
    model: pydantic.BaseModel, raw: Any, path: str = "$", allow: frozenset[str] = frozenset()
) -> None:
    """``model`` (parsed from ``raw``) holds every field of ``raw`` as a declared field."""
    extra = set(model.model_extra or {}) - allow
    assert not extra, f"{path}: fields openai's {type(model).__name__} lacks: {sorted(extra)}"
    assert isinstance(raw, dict)
    for name, value in raw.items():
        if name in allow:
            continue
        attribute = getattr(model, name)
        if isinstance(attribute, pydantic.BaseModel):
            assert_exact(attribute, value, f"{path}.{name}", allow)
        elif isinstance(attribute, list):
            for index, (item, raw_item) in enumerate(zip(attribute, value, strict=True)):
                if isinstance(item, pydantic.BaseModel):
                    assert_exact(item, raw_item, f"{path}.{name}[{index}]", allow)


@pytest.fixture(scope="module")
def gateway(_server: FakeCodexServer) -> Iterator[GatewayThread]:
    thread = GatewayThread(_server)
    yield thread
    thread.stop()


@pytest.fixture
def oai(gateway: GatewayThread, server: FakeCodexServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=gateway.url + "/v1", api_key="unused", max_retries=0) as client:
        yield client


def chat_chunks(gateway: GatewayThread, **body: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """A streamed chat completion read raw: every chunk checked against openai's type."""
    status, headers, raw = gateway.raw(
        "/v1/chat/completions", {"model": MODEL, "stream": True, **body}
    )
    assert status == 200, raw
    assert headers["content-type"].startswith("text/event-stream")
    frames = sse_frames(raw)
    datas = [data for _, data in frames]
    chunks = []
    for data in datas:
        if data == "[DONE]":
            continue
        chunk = json.loads(data)
        if "error" in chunk:
            chunks.append(chunk)
            continue
        parsed = ChatCompletionChunk.model_validate(chunk)
        assert_exact(parsed, chunk, allow=frozenset({"reasoning_content"}))
        chunks.append(chunk)
    return chunks, datas


# --------------------------------------------------------------------------- chat completions


def test_chat_completion_text(oai: openai.OpenAI, server: FakeCodexServer) -> None:
    """A plain chat completion: text, stop, usage; system and developer become instructions."""
    server.queue(text_reply("Bonjour !"))
    completion = oai.chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "system", "content": "Answer in French."},
            {"role": "developer", "content": [{"type": "text", "text": "Be brief."}]},
            {"role": "user", "content": "Hello"},
        ],
    )
    choice = completion.choices[0]
    assert choice.message.content == "Bonjour !"
    assert choice.message.role == "assistant"
    assert choice.finish_reason == "stop"
    assert completion.usage is not None and completion.usage.prompt_tokens == 128
    assert completion.usage.prompt_tokens_details is not None
    assert completion.usage.prompt_tokens_details.cached_tokens == 0
    sent = server.requests[-1].json
    assert sent["instructions"] == "Answer in French.\n\nBe brief."
    assert [item["role"] for item in sent["input"]] == ["user"]
    assert sent["store"] is False and sent["stream"] is True


def test_chat_completion_raw_matches_openai_schema(
    gateway: GatewayThread, server: FakeCodexServer
) -> None:
    """The non-streamed object has exactly openai's fields."""
    server.queue(tool_call_reply("get_weather", {"city": "Paris"}))
    _, _, raw = gateway.raw(
        "/v1/chat/completions",
        {
            "model": MODEL,
            "messages": [{"role": "user", "content": "Weather?"}],
            "tools": [WEATHER_TOOL],
        },
    )
    assert json.loads(raw)["object"] == "chat.completion"
    body = json.loads(raw)
    assert_exact(ChatCompletion.model_validate(body), body)
    message_ = body["choices"][0]["message"]
    assert body["choices"][0]["finish_reason"] == "tool_calls"
    assert message_["tool_calls"][0]["function"] == {
        "name": "get_weather",
        "arguments": '{"city":"Paris"}',
    }


def test_chat_stream_text(gateway: GatewayThread, server: FakeCodexServer) -> None:
    """Role first, content deltas, one finish_reason, usage last (when asked), then [DONE]."""
    server.queue(text_reply(deltas=["Once ", "upon ", "a time."]))
    chunks, datas = chat_chunks(
        gateway,
        messages=[{"role": "user", "content": "A story"}],
        stream_options={"include_usage": True},
    )
    assert datas[-1] == "[DONE]"
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(ch["choices"][0]["delta"].get("content") or "" for ch in chunks if ch["choices"])
    assert text == "Once upon a time."
    finishes = [
        ch["choices"][0]["finish_reason"]
        for ch in chunks
        if ch["choices"] and ch["choices"][0]["finish_reason"]
    ]
    assert finishes == ["stop"]
    assert all(ch["usage"] is None for ch in chunks[:-1])
    last = chunks[-1]
    assert last["choices"] == []
    assert last["usage"]["prompt_tokens"] == 128
    assert last["usage"]["completion_tokens_details"] == {"reasoning_tokens": 0}
    assert len({ch["id"] for ch in chunks}) == 1


def test_request_id_header(oai: openai.OpenAI, server: FakeCodexServer) -> None:
    """Every answer has an x-request-id (openai's _request_id), also errors."""
    completion = oai.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Hi"}]
    )
    assert completion._request_id is not None and completion._request_id.startswith("req_")
    with pytest.raises(openai.NotFoundError) as info:
        oai.models.retrieve("nope")
    assert info.value.request_id is not None and info.value.request_id.startswith("req_")


def test_chat_stream_without_usage_has_no_usage_field(
    gateway: GatewayThread, server: FakeCodexServer
) -> None:
    """Without stream_options.include_usage no chunk carries usage."""
    chunks, datas = chat_chunks(gateway, messages=[{"role": "user", "content": "Hi"}])
    assert datas[-1] == "[DONE]"
    assert all("usage" not in ch for ch in chunks)


def _tool_reply() -> Any:
    return reply(
        message("Let me check."),
        function_call("get_weather", {"city": "Paris"}),
        function_call("get_weather", {"city": "Tokyo, Japan", "unit": "celsius"}),
    )


def test_chat_stream_tool_call_invariants(gateway: GatewayThread, server: FakeCodexServer) -> None:
    """Every tool delta has index; id/name once per call; fragments join to the final arguments."""
    server.queue(_tool_reply())
    chunks, datas = chat_chunks(
        gateway,
        messages=[{"role": "user", "content": "Weather in Paris and Tokyo?"}],
        tools=[WEATHER_TOOL],
        parallel_tool_calls=True,
        stream_options={"include_usage": True},
    )
    assert datas[-1] == "[DONE]"
    calls: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        for delta in (choice["delta"] for choice in chunk["choices"]):
            for call in delta.get("tool_calls", []):
                assert "index" in call
                entry = calls.setdefault(call["index"], {"ids": [], "names": [], "args": ""})
                if "id" in call:
                    entry["ids"].append(call["id"])
                    assert call["type"] == "function"
                if "name" in call.get("function", {}):
                    entry["names"].append(call["function"]["name"])
                entry["args"] += call.get("function", {}).get("arguments", "")
    assert sorted(calls) == [0, 1]
    for entry in calls.values():
        assert len(entry["ids"]) == 1 and entry["names"] == ["get_weather"]
    assert json.loads(calls[0]["args"]) == {"city": "Paris"}
    assert calls[1]["args"] == '{"city":"Tokyo, Japan","unit":"celsius"}'
    assert calls[0]["ids"] != calls[1]["ids"]
    finishes = [
        ch["choices"][0]["finish_reason"]
        for ch in chunks
        if ch["choices"] and ch["choices"][0]["finish_reason"]
    ]
    assert finishes == ["tool_calls"]
    # The same reply, not streamed, gives the same calls.
    server.queue(_tool_reply())
    _, _, raw = gateway.raw(
        "/v1/chat/completions",
        {
            "model": MODEL,
            "messages": [{"role": "user", "content": "again"}],
            "tools": [WEATHER_TOOL],
        },
    )
    body = json.loads(raw)
    tool_calls = body["choices"][0]["message"]["tool_calls"]
    assert [call["function"]["arguments"] for call in tool_calls] == [
        calls[0]["args"],
        calls[1]["args"],
    ]
    assert body["choices"][0]["message"]["content"] == "Let me check."
    assert body["choices"][0]["finish_reason"] == "tool_calls"
    sent = server.requests[0].json
    assert sent["tools"][0] == {
        "type": "function",
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": WEATHER_TOOL["function"]["parameters"],
        "strict": False,
    }
    assert sent["parallel_tool_calls"] is True


def test_chat_tool_round_trip(oai: openai.OpenAI, server: FakeCodexServer) -> None:
    """openai-python streams a call, runs it and sends the result back; the model answers."""
    server.queue(
        tool_call_reply("get_weather", {"city": "Paris"}, call_id="call_42"),
        text_reply("18°C in Paris."),
    )
    messages: list[Any] = [{"role": "user", "content": "Weather in Paris?"}]
    calls: dict[int, dict[str, str]] = {}
    finish = None
    with oai.chat.completions.create(
        model=MODEL, messages=messages, tools=[WEATHER_TOOL], tool_choice="auto", stream=True
    ) as stream:
        for chunk in stream:
            choice = chunk.choices[0]
            for call in choice.delta.tool_calls or []:
                entry = calls.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
                entry["id"] += call.id or ""
                if call.function is not None:
                    entry["name"] += call.function.name or ""
                    entry["arguments"] += call.function.arguments or ""
            finish = choice.finish_reason or finish
    assert finish == "tool_calls"
    assert calls == {0: {"id": "call_42", "name": "get_weather", "arguments": '{"city":"Paris"}'}}
    messages.append(
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_42",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": calls[0]["arguments"]},
                }
            ],
        }
    )
    messages.append({"role": "tool", "tool_call_id": "call_42", "content": '{"celsius": 18}'})
    answer = oai.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER_TOOL])
    assert answer.choices[0].message.content == "18°C in Paris."
    assert answer.choices[0].finish_reason == "stop"
    sent = server.requests[1].json
    assert "tool_choice" not in sent  # the second call named none
    assert server.requests[0].json["tool_choice"] == "auto"
    assert sent["input"][1:] == [
        {
            "type": "function_call",
            "call_id": "call_42",
            "name": "get_weather",
            "arguments": '{"city":"Paris"}',
        },
        {"type": "function_call_output", "call_id": "call_42", "output": '{"celsius": 18}'},
    ]


class Person(pydantic.BaseModel):
    name: str
    age: int


def test_chat_parse_json_schema(oai: openai.OpenAI, server: FakeCodexServer) -> None:
    """client.chat.completions.parse(response_format=Model) sends a strict json_schema format."""
    server.queue(text_reply('{"name": "Ada", "age": 36}'))
    completion = oai.chat.completions.parse(
        model=MODEL, messages=[{"role": "user", "content": "Who?"}], response_format=Person
    )
    assert completion.choices[0].message.parsed == Person(name="Ada", age=36)
    fmt = server.requests[-1].json["text"]["format"]
    assert fmt["type"] == "json_schema" and fmt["name"] == "Person" and fmt["strict"] is True
    assert fmt["schema"]["required"] == ["name", "age"]


def test_chat_json_object(oai: openai.OpenAI, server: FakeCodexServer) -> None:
    """response_format json_object becomes text.format json_object."""
    completion = oai.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "JSON please"}],
        response_format={"type": "json_object"},
    )
    assert isinstance(json.loads(completion.choices[0].message.content or ""), dict)
    assert server.requests[-1].json["text"] == {"format": {"type": "json_object"}}


def test_chat_images(oai: openai.OpenAI, server: FakeCodexServer) -> None:
    """image_url parts (an https URL and a data URL) become input_image parts."""
    data_url = "data:image/png;base64,iVBORw0KGgo="
    oai.chat.completions.create(
        model=MODEL,
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Compare"},
                    {
                        "type": "image_url",
                        "image_url": {"url": "https://example.com/a.png", "detail": "low"},
                    },
                    {"type": "image_url", "image_url": {"url": data_url}},
                ],
            }
        ],
    )
    assert server.requests[-1].json["input"][0]["content"] == [
        {"type": "input_text", "text": "Compare"},
        {"type": "input_image", "image_url": "https://example.com/a.png", "detail": "low"},
        {"type": "input_image", "image_url": data_url, "detail": "auto"},
    ]


def test_chat_reasoning_content_only_when_asked(
    gateway: GatewayThread, server: FakeCodexServer
) -> None:
    """Summaries arrive as reasoning_content only with reasoning_summary; effort is passed on."""
    answer = reply(reasoning(["**Plan** add", "**Check** sum"]), message("4"))
    server.queue(answer)
    chunks, _ = chat_chunks(
        gateway, messages=[{"role": "user", "content": "2+2"}], reasoning_effort="high"
    )
    assert not any(
        "reasoning_content" in ch["choices"][0]["delta"] for ch in chunks if ch["choices"]
    )
    assert server.requests[-1].json["reasoning"] == {"effort": "high"}
    server.queue(answer)
    chunks, _ = chat_chunks(
        gateway, messages=[{"role": "user", "content": "2+2"}], reasoning_summary="auto"
    )
    thought = "".join(
        ch["choices"][0]["delta"].get("reasoning_content", "") for ch in chunks if ch["choices"]
    )
    assert thought == "**Plan** add\n\n**Check** sum"
    assert server.requests[-1].json["reasoning"] == {"summary": "auto"}
    server.queue(answer)
    _, _, raw = gateway.raw(
        "/v1/chat/completions",
        {
            "model": MODEL,
            "messages": [{"role": "user", "content": "2+2"}],
            "include_reasoning": True,
        },
    )
    assert (
        json.loads(raw)["choices"][0]["message"]["reasoning_content"]
        == "**Plan** add\n\n**Check** sum"
    )


def test_chat_dropped_and_refused_parameters(oai: openai.OpenAI, server: FakeCodexServer) -> None:
    """temperature & co are dropped with a warning header; n=2 and logprobs are a 400."""
    raw = oai.chat.completions.with_raw_response.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Hi"}],
        temperature=0.2,
        max_tokens=50,
        top_p=0.9,
    )
    assert raw.headers["x-codex-gateway-dropped"] == "max_tokens, temperature, top_p"
    assert "dropped" in raw.headers["warning"]
    sent = server.requests[-1].json
    assert not {"temperature", "max_tokens", "top_p"} & set(sent)
    before = len(server.requests)
    with pytest.raises(openai.BadRequestError) as info:
        oai.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}], n=2)
    assert info.value.param == "n"
    with pytest.raises(openai.BadRequestError) as info:
        oai.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "Hi"}], logprobs=True
        )
    assert info.value.param == "logprobs"
    assert len(server.requests) == before


def test_async_openai_chat_stream(gateway: GatewayThread, server: FakeCodexServer) -> None:
    """AsyncOpenAI streams through the gateway too."""
    server.queue(text_reply(deltas=["a", "b", "c"]))
    asyncio.run(_async_chat(gateway))


async def _async_chat(gateway: GatewayThread) -> None:
    async with openai.AsyncOpenAI(
        base_url=gateway.url + "/v1", api_key="unused", max_retries=0
    ) as client:
        stream = await client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "abc"}], stream=True
        )
        text = "".join(
            [chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices]
        )
        completion = await client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "Hi"}]
        )
    assert text == "abc"
    assert (
        completion.choices[0].message.content == c.testing.DEFAULT_REPLY_TEXT
        if hasattr(c, "testing")
        else True
    )


# --------------------------------------------------------------------------- responses


def test_responses_create_is_accumulated(oai: openai.OpenAI, server: FakeCodexServer) -> None:
    """The answer holds the streamed items although the backend's completed.output is empty."""
    server.queue(text_reply("The answer is 42."))
    response = oai.responses.create(model=MODEL, input="What is it?")
    assert response.output_text == "The answer is 42."
    assert response.status == "completed"
    assert response.usage is not None and response.usage.input_tokens == 128
    sent = server.requests[-1].json
    assert sent["instructions"] == DEFAULT_INSTRUCTIONS  # filled: the backend requires it


def test_responses_raw_object_matches_openai_schema(
    gateway: GatewayThread, server: FakeCodexServer
) -> None:
    """The non-streamed Response has only fields openai's type declares."""
    server.queue(reply(reasoning(["**Think**"]), message("Hi"), function_call("f", {"x": 1})))
    _, _, raw = gateway.raw(
        "/v1/responses", {"model": MODEL, "input": "Hi", "instructions": "Be kind."}
    )
    assert json.loads(raw)["object"] == "response"
    body = json.loads(raw)
    parsed = OpenAIResponse.model_validate(body)
    assert_exact(parsed, body)
    assert [item["type"] for item in body["output"]] == ["reasoning", "message", "function_call"]
    assert parsed.instructions == "Be kind."


def test_responses_stream_framing(gateway: GatewayThread, server: FakeCodexServer) -> None:
    """event: lines match the type, sequence_number counts from 0, every event is openai's."""
    server.queue(
        reply(reasoning(["**Think**"]), message("Hello there"), function_call("f", {"x": 1}))
    )
    status, headers, raw = gateway.raw(
        "/v1/responses", {"model": MODEL, "input": "Hi", "stream": True}
    )
    assert status == 200 and headers["content-type"].startswith("text/event-stream")
    frames = sse_frames(raw)
    adapter = pydantic.TypeAdapter(ResponseStreamEvent)
    events = []
    for event_name, data in frames:
        payload = json.loads(data)
        assert event_name == payload["type"]
        parsed = adapter.validate_python(payload)
        assert_exact(parsed, payload)
        events.append(payload)
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert events[0]["type"] == "response.created"
    assert events[-1]["type"] == "response.completed"
    assert not any(e["type"].startswith("codex.") for e in events)
    final = events[-1]["response"]
    assert [item["type"] for item in final["output"]] == ["reasoning", "message", "function_call"]
    assert final["output"][1]["content"][0]["text"] == "Hello there"


def test_unknown_events_are_relayed_except_the_backends_own(
    gateway: GatewayThread, server: FakeCodexServer
) -> None:
    """An unknown codex.* event stays in the gateway; any other unknown one is relayed."""
    extra = b'data: {"type":"codex.future_thing","x":1}\n\ndata: {"type":"response.new_kind"}\n\n'
    server.queue(text_reply("Hi").raw(extra, after=2))
    status, _, raw = gateway.raw("/v1/responses", {"model": MODEL, "input": "Hi", "stream": True})
    assert status == 200
    types = [json.loads(data)["type"] for _, data in sse_frames(raw)]
    assert "response.new_kind" in types
    assert not any(kind.startswith("codex.") for kind in types)


def test_responses_stream_get_final_response(oai: openai.OpenAI, server: FakeCodexServer) -> None:
    """openai's get_final_response() gives the text (empty through the raw backend)."""
    server.queue(text_reply(deltas=["Hel", "lo!"]))
    with oai.responses.stream(model=MODEL, input="Hi") as stream:
        deltas = [event.delta for event in stream if event.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert deltas == ["Hel", "lo!"]
    assert final.output_text == "Hello!"
    # The same answer straight from the backend: openai's helper trips on the leading
    # codex.rate_limits event, and without it finds no output in response.completed.
    direct: dict[str, Any] = {
        "model": MODEL,
        "input": "Hi",
        "instructions": "Be brief.",
        "store": False,
    }
    with openai.OpenAI(base_url=server.url, api_key=server.access_token, max_retries=0) as raw:
        server.queue(text_reply(deltas=["Hel", "lo!"]))
        with raw.responses.stream(**direct) as stream, pytest.raises(RuntimeError):
            list(stream)
        server.queue(text_reply(deltas=["Hel", "lo!"], rate_limits_event=False))
        with raw.responses.stream(**direct) as stream:
            assert [e.delta for e in stream if e.type == "response.output_text.delta"] == deltas
            assert stream.get_final_response().output_text == ""


def test_responses_previous_response_id_chain(oai: openai.OpenAI, server: FakeCodexServer) -> None:
    """Five turns linked by previous_response_id: each sends the whole conversation upstream."""
    previous = None
    for turn in range(5):
        server.queue(text_reply(f"answer {turn}"))
        response = oai.responses.create(
            model=MODEL, input=f"question {turn}", previous_response_id=previous
        )
        assert response.output_text == f"answer {turn}"
        assert response.previous_response_id == previous
        previous = response.id
    sent = server.requests[-1].json["input"]
    texts = [part["text"] for item in sent for part in item["content"]]
    assert (
        texts == [text for turn in range(5) for text in (f"question {turn}", f"answer {turn}")][:-1]
    )
    assert [item["role"] for item in sent] == ["user", "assistant"] * 4 + ["user"]


def test_responses_unknown_previous_id(oai: openai.OpenAI, server: FakeCodexServer) -> None:
    """An unknown id: OpenAI's previous_response_not_found, and nothing goes upstream."""
    with pytest.raises(openai.BadRequestError) as info:
        oai.responses.create(model=MODEL, input="Hi", previous_response_id="resp_unknown")
    assert info.value.code == "previous_response_not_found"
    assert info.value.param == "previous_response_id"
    assert server.requests == []


def test_responses_store_false_is_not_kept(oai: openai.OpenAI, server: FakeCodexServer) -> None:
    """store=False: the response cannot be continued (as on OpenAI)."""
    first = oai.responses.create(model=MODEL, input="Hi", store=False)
    with pytest.raises(openai.BadRequestError) as info:
        oai.responses.create(model=MODEL, input="Again", previous_response_id=first.id)
    assert info.value.code == "previous_response_not_found"


def test_responses_parameter_rules(oai: openai.OpenAI, server: FakeCodexServer) -> None:
    """Sampling knobs are dropped with a warning header; background is a 400."""
    raw = oai.responses.with_raw_response.create(
        model=MODEL, input="Hi", temperature=0.5, max_output_tokens=100, metadata={"k": "v"}
    )
    assert raw.headers["x-codex-gateway-dropped"] == "max_output_tokens, metadata, temperature"
    assert raw.parse().metadata == {"k": "v"}
    assert not {"temperature", "max_output_tokens", "metadata"} & set(server.requests[-1].json)
    with pytest.raises(openai.BadRequestError) as info:
        oai.responses.create(model=MODEL, input="Hi", background=True)
    assert info.value.param == "background"


def test_async_openai_responses_stream(gateway: GatewayThread, server: FakeCodexServer) -> None:
    """AsyncOpenAI's responses.stream + get_final_response through the gateway."""
    server.queue(text_reply("async hello"))

    async def go() -> Any:
        async with (
            openai.AsyncOpenAI(
                base_url=gateway.url + "/v1", api_key="unused", max_retries=0
            ) as client,
            client.responses.stream(model=MODEL, input="Hi") as stream,
        ):
            async for _ in stream:
                pass
            return await stream.get_final_response()

    final = asyncio.run(go())
    assert final.output_text == "async hello"


# --------------------------------------------------------------------------- models and errors


def test_models(oai: openai.OpenAI, server: FakeCodexServer) -> None:
    """models.list() is the backend's catalog (hidden models left out); retrieve and 404."""
    listed = [model.id for model in oai.models.list()]
    assert listed == ["gpt-5.4", "gpt-5.3-codex", "gpt-5.1-codex-mini"]
    assert oai.models.retrieve("gpt-5.4").id == "gpt-5.4"
    with pytest.raises(openai.NotFoundError) as info:
        oai.models.retrieve("no-such-model")
    assert info.value.code == "model_not_found"


def test_rate_limit_error(oai: openai.OpenAI, server: FakeCodexServer) -> None:
    """A backend 429 is openai's RateLimitError with Retry-After."""
    server.queue(rate_limited(retry_after=7))
    with pytest.raises(openai.RateLimitError) as info:
        oai.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}])
    assert info.value.response.headers["retry-after"] == "7"
    assert info.value.code == "rate_limit_exceeded"


def test_usage_limit_is_429_with_reset(oai: openai.OpenAI, server: FakeCodexServer) -> None:
    """The plan's usage limit: 429 insufficient_quota, Retry-After until the reset."""
    import time

    server.queue(usage_limit_reached(resets_at=int(time.time()) + 600))
    with pytest.raises(openai.RateLimitError) as info:
        oai.responses.create(model=MODEL, input="Hi")
    assert info.value.code == "usage_limit_reached"
    assert 500 <= int(info.value.response.headers["retry-after"]) <= 601


def test_upstream_failures(oai: openai.OpenAI, server: FakeCodexServer) -> None:
    """5xx upstream: 502 (503 when overloaded); a backend 400: BadRequestError."""
    server.queue(http_error(500))
    with pytest.raises(openai.InternalServerError) as info:
        oai.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}])
    assert info.value.status_code == 502
    server.queue(http_error(503))
    with pytest.raises(openai.InternalServerError) as info:
        oai.responses.create(model=MODEL, input="Hi")
    assert info.value.status_code == 503
    server.queue(failed_reply("context_length_exceeded", "Your input is too long."))
    with pytest.raises(openai.BadRequestError) as bad:
        oai.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "Hi"}], stream=True
        )
    assert bad.value.code == "context_length_exceeded"


def test_failure_after_first_chunk_ends_with_error(
    gateway: GatewayThread, server: FakeCodexServer, oai: openai.OpenAI
) -> None:
    """After content went out, a failure ends the stream with an error event (no [DONE])."""
    server.queue(failed_reply("server_error", "boom", after_text="Partial answer"))
    chunks, datas = chat_chunks(gateway, messages=[{"role": "user", "content": "Hi"}])
    assert "[DONE]" not in datas
    assert chunks[-1]["error"]["code"] == "server_error"
    assert (
        "".join(ch["choices"][0]["delta"].get("content", "") for ch in chunks[:-1])
        == "Partial answer"
    )
    server.queue(failed_reply("server_error", "boom", after_text="Partial answer"))
    with pytest.raises(openai.APIError):
        for _ in oai.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "Hi"}], stream=True
        ):
            pass
    server.queue(failed_reply("server_error", "boom", after_text="Partial answer"))
    _, _, raw = gateway.raw("/v1/responses", {"model": MODEL, "input": "Hi", "stream": True})
    types = [json.loads(data)["type"] for _, data in sse_frames(raw)]
    assert types[-2:] == ["error", "response.failed"]


# ------------------------------------------------------------------ codex-native passthrough


def test_passthrough_responses(gateway: GatewayThread, server: FakeCodexServer) -> None:
    """/backend-api/codex/responses forwards the native body with the gateway's sign-in."""
    server.queue(tool_call_reply("shell", {"command": ["ls"]}, call_id="call_ls"))
    body = {
        "model": MODEL,
        "instructions": "You are Codex.",
        "input": [{"type": "message", "role": "user", "content": "list files"}],
        "tools": [],
        "store": False,
        "stream": True,
    }
    status, headers, raw = gateway.raw(
        "/backend-api/codex/responses",
        body,
        headers={
            "Authorization": "Bearer caller-credential",
            "originator": "codex_cli_rs",
            "session_id": "sess-1",
            "ChatGPT-Account-ID": "someone-else",
        },
    )
    assert status == 200 and headers["content-type"].startswith("text/event-stream")
    assert headers["x-codex-primary-used-percent"]
    assert "authorization" not in headers
    types = [json.loads(data)["type"] for _, data in sse_frames(raw)]
    assert types[0] == "codex.rate_limits" and types[-1] == "response.completed"
    done = [json.loads(d) for _, d in sse_frames(raw) if '"response.output_item.done"' in d]
    assert done[0]["item"]["call_id"] == "call_ls"
    sent = server.requests[-1]
    assert sent.json == body
    assert sent.headers["Authorization"] == f"Bearer {server.access_token}"
    assert sent.headers["ChatGPT-Account-ID"] == server.account_id
    assert sent.headers["session_id"] == "sess-1" and sent.headers["originator"] == "codex_cli_rs"


def test_passthrough_errors_and_models(gateway: GatewayThread, server: FakeCodexServer) -> None:
    """Backend errors are relayed with their status (credentials redacted); models too."""
    token = server.access_token
    server.queue(http_error(400, {"detail": f"Unsupported parameter: temperature {token}"}))
    status, _, raw = gateway.raw("/backend-api/codex/responses", {"model": MODEL})
    assert status == 400
    assert b"Unsupported parameter: temperature" in raw and token.encode() not in raw
    status, _, raw = gateway.raw("/backend-api/codex/models?client_version=0.169.0")
    assert status == 200
    assert json.loads(raw)["models"][0]["slug"] == "gpt-5.4"
    assert server.requests[-1].query["client_version"] == "0.169.0"


def test_chat_length_and_refusal(gateway: GatewayThread, server: FakeCodexServer) -> None:
    """An incomplete response finishes with length; a refusal is message.refusal (or deltas)."""
    server.queue(incomplete_reply("Cut sh"))
    chunks, _ = chat_chunks(gateway, messages=[{"role": "user", "content": "Long"}])
    finishes = [
        ch["choices"][0]["finish_reason"] for ch in chunks if ch["choices"][0]["finish_reason"]
    ]
    assert finishes == ["length"]
    server.queue(reply(refusal("I can't help with that.")))
    _, _, raw = gateway.raw(
        "/v1/chat/completions", {"model": MODEL, "messages": [{"role": "user", "content": "x"}]}
    )
    message_ = json.loads(raw)["choices"][0]["message"]
    assert message_["refusal"] == "I can't help with that." and message_["content"] is None
    server.queue(reply(refusal("I can't help with that.")))
    chunks, _ = chat_chunks(gateway, messages=[{"role": "user", "content": "x"}])
    refused = "".join(ch["choices"][0]["delta"].get("refusal") or "" for ch in chunks)
    assert refused == "I can't help with that."


def test_responses_parse_and_tool_round_trip(oai: openai.OpenAI, server: FakeCodexServer) -> None:
    """openai's responses.parse(text_format=...) and a function-call round trip on Responses."""
    server.queue(text_reply('{"name": "Ada", "age": 36}'))
    parsed = oai.responses.parse(model=MODEL, input="Who?", text_format=Person)
    assert parsed.output_parsed == Person(name="Ada", age=36)
    assert server.requests[-1].json["text"]["format"]["type"] == "json_schema"
    server.queue(tool_call_reply("get_weather", {"city": "Oslo"}, call_id="call_7"))
    tool: FunctionToolParam = {
        "type": "function",
        "name": "get_weather",
        "parameters": WEATHER_TOOL["function"]["parameters"],
        "strict": False,
    }
    first = oai.responses.create(model=MODEL, input="Weather in Oslo?", tools=[tool])
    call = next(item for item in first.output if item.type == "function_call")
    assert (call.call_id, call.arguments) == ("call_7", '{"city":"Oslo"}')
    server.queue(text_reply("Cold."))
    second = oai.responses.create(
        model=MODEL,
        previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": "call_7", "output": "-3°C"}],
        tools=[tool],
    )
    assert second.output_text == "Cold."
    sent = server.requests[-1].json["input"]
    assert [item["type"] for item in sent] == ["message", "function_call", "function_call_output"]


# --------------------------------------------------------------------------- the response store


def test_memory_response_store_bounds() -> None:
    """Entries expire, the least recently used go first past max_entries or max_bytes."""
    now = [0.0]
    store = MemoryResponseStore(max_entries=2, max_bytes=150, clock=lambda: now[0])
    assert isinstance(store, ResponseStore)
    item = {"type": "message", "role": "user", "content": "hi"}

    async def scenario() -> None:
        await store.put("a", [item], ttl=10)
        await store.put("b", [item], ttl=10)
        assert await store.get("a") == [item]  # a is now the most recently used
        await store.put("c", [item], ttl=10)
        assert await store.get("b") is None and len(store) == 2
        now[0] = 11
        assert await store.get("a") is None and await store.get("c") is None
        await store.put("big", [{"text": "x" * 200}], ttl=10)
        assert await store.get("big") is None  # larger than max_bytes alone
        await store.put("d", [item, item], ttl=10)
        await store.put("e", [item, item], ttl=10)  # 97 bytes each: together over 150
        assert await store.get("d") is None and await store.get("e") == [item, item]
        assert await store.delete("e") is True and await store.delete("e") is False

    asyncio.run(scenario())
    with pytest.raises(ValueError, match="max_entries"):
        MemoryResponseStore(max_entries=0)


class WebSocketUpstream:
    """A stand-in for the backend's WebSocket transport (the fake serves HTTP only)."""

    def __init__(self) -> None:
        self.headers: list[Any] = []
        self.closed = threading.Event()
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()

        async def websocket(request: web.Request) -> web.StreamResponse:
            if request.headers.get("Authorization") != "Bearer upstream-token":
                return web.json_response({"detail": "Unauthorized"}, status=401)
            self.headers.append(request.headers.copy())
            ws = web.WebSocketResponse()
            await ws.prepare(request)
            async for frame in ws:
                if frame.type == aiohttp.WSMsgType.TEXT:
                    body = json.loads(frame.data)
                    await ws.send_str(json.dumps({"type": "response.created"}))
                    await ws.send_str(json.dumps({"type": "response.completed", "echo": body}))
            self.closed.set()
            return ws

        async def start() -> None:
            app = web.Application()
            app.router.add_get("/backend-api/codex/responses", websocket)
            self.runner = web.AppRunner(app)
            await self.runner.setup()
            await web.TCPSite(self.runner, "127.0.0.1", 0).start()
            self.port = self.runner.addresses[0][1]

        def run() -> None:
            self.loop.run_until_complete(start())
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        ready.wait(10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def test_passthrough_websocket(server: FakeCodexServer) -> None:
    """The WebSocket transport is relayed both ways with the gateway's sign-in; a hang-up closes
    the upstream socket."""
    upstream = WebSocketUpstream()
    gateway = GatewayThread(
        server,
        client_kwargs={
            "access_token": "upstream-token",
            "base_url": f"http://127.0.0.1:{upstream.port}/backend-api/codex",
            "max_retries": 0,
        },
        api_keys=["gateway-key"],
    )
    try:

        async def talk() -> list[Any]:
            async with aiohttp.ClientSession() as session:
                url = gateway.url.replace("http", "ws") + "/backend-api/codex/responses"
                headers = {
                    "Authorization": "Bearer gateway-key",
                    "OpenAI-Beta": "responses_websockets=1",
                }
                async with session.ws_connect(url, headers=headers) as ws:
                    await ws.send_str(json.dumps({"type": "response.create", "model": MODEL}))
                    return [json.loads((await ws.receive()).data) for _ in range(2)]

        received = asyncio.run(talk())
        assert received[0] == {"type": "response.created"}
        assert received[1]["echo"] == {"type": "response.create", "model": MODEL}
        assert upstream.closed.wait(5)
        assert upstream.headers[0].getall("OpenAI-Beta") == ["responses_websockets=1"]
        status, _, raw = gateway.raw(
            "/backend-api/codex/responses", headers={"Authorization": "Bearer gateway-key"}
        )
        assert status == 400 and json.loads(raw)["error"]["code"] == "websocket_required"
    finally:
        gateway.stop()
        upstream.stop()


def test_prompt_cache_key_per_conversation(oai: openai.OpenAI, server: FakeCodexServer) -> None:
    """Turns of one conversation share a prompt_cache_key; other conversations get another."""
    first: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Tell me about Ada."}]
    oai.chat.completions.create(model=MODEL, messages=first)
    follow_up: list[ChatCompletionMessageParam] = [
        *first,
        {"role": "assistant", "content": "Ada..."},
        {"role": "user", "content": "More"},
    ]
    oai.chat.completions.create(model=MODEL, messages=follow_up)
    oai.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Other"}])
    oai.chat.completions.create(model=MODEL, messages=first, prompt_cache_key="mine")
    keys = [request.json["prompt_cache_key"] for request in server.requests]
    assert keys[0] == keys[1] != keys[2]
    assert keys[0].startswith("gw-") and keys[3] == "mine"
    response = oai.responses.create(model=MODEL, input="Tell me about Ada.")
    oai.responses.create(model=MODEL, input="More", previous_response_id=response.id)
    assert (
        server.requests[-1].json["prompt_cache_key"] == server.requests[-2].json["prompt_cache_key"]
    )


class BrokenStore:
    """A ResponseStore whose backing service is down."""

    async def get(self, response_id: str) -> list[dict[str, Any]] | None:
        raise ConnectionError("store down")

    async def put(self, response_id: str, items: Any, ttl: float) -> None:
        raise ConnectionError("store down")

    async def delete(self, response_id: str) -> bool:
        raise ConnectionError("store down")


def test_response_store_failures(server: FakeCodexServer) -> None:
    """A store that fails: answers still go out; continuing one is a 503, nothing upstream."""
    gateway = GatewayThread(server, response_store=BrokenStore())
    try:
        with openai.OpenAI(base_url=gateway.url + "/v1", api_key="x", max_retries=0) as client:
            first = client.responses.create(model=MODEL, input="Hi")
            assert first.output_text
            before = len(server.requests)
            with pytest.raises(openai.InternalServerError) as info:
                client.responses.create(model=MODEL, input="Again", previous_response_id=first.id)
            assert info.value.status_code == 503
            assert info.value.code == "response_store_unavailable"
            assert len(server.requests) == before
    finally:
        gateway.stop()
