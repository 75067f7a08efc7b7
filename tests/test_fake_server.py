"""Tests for ``codex_open_client.testing``: the fake Codex backend, over real sockets."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import attrs
import pydantic
import pytest
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

import codex_open_client.testing as testing
from codex_open_client import Client, Reasoning
from codex_open_client.testing import (
    DEFAULT_REPLY_TEXT,
    FakeCodexServer,
    RecordedRequest,
    Reply,
    custom_tool_call,
    default_model_catalog,
    error_event_reply,
    failed_reply,
    function_call,
    http_error,
    incomplete_reply,
    message,
    rate_limited,
    reasoning,
    reply,
    text_reply,
    tool_call_reply,
    usage_limit_reached,
    web_search_call,
)

T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parent.parent

BODY: dict[str, Any] = {
    "model": "gpt-5.1-codex-mini",
    "input": [
        {
            "type": "message",
            "role": "developer",
            "content": [{"type": "input_text", "text": "You are a coding agent."}],
        },
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "say hi"}]},
    ],
    "tools": [],
    "tool_choice": "auto",
    "parallel_tool_calls": True,
    "reasoning": {"summary": "auto"},
    "store": False,
    "stream": True,
    "include": ["reasoning.encrypted_content"],
    "prompt_cache_key": "01a21444-b847-7550-bb9c-5c18d642c54b",
}

TERMINAL = {"response.completed", "response.failed", "response.incomplete"}


# ---------------------------------------------------------------------------------------------
# helpers


@attrs.frozen
class Result:
    """What a raw client saw: status, headers and the whole body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    @property
    def frames(self) -> list[tuple[str | None, str]]:
        """The SSE frames of the body as ``(event, data)`` pairs."""
        return parse_frames(self.body)

    @property
    def events(self) -> list[dict[str, Any]]:
        """The SSE data payloads parsed as JSON."""
        return [json.loads(data) for _, data in self.frames]

    @property
    def types(self) -> list[str]:
        """The ``type`` of every event."""
        return [event["type"] for event in self.events]


def parse_frames(raw: bytes) -> list[tuple[str | None, str]]:
    """Split an SSE body into ``(event name, data)`` frames, for any line ending."""
    text = raw.decode().replace("\r\n", "\n").replace("\r", "\n")
    frames: list[tuple[str | None, str]] = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        name: str | None = None
        data: list[str] = []
        for line in block.split("\n"):
            if line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                data.append(line[len("data: ") :])
        frames.append((name, "\n".join(data)))
    return frames


def run(factory: Callable[[], Awaitable[T]]) -> T:
    """Run an async test body on a fresh event loop."""

    async def main() -> T:
        return await factory()

    return asyncio.run(main())


def auth(server: FakeCodexServer) -> dict[str, str]:
    """Headers a real client sends."""
    return {
        "Authorization": f"Bearer {server.access_token}",
        "ChatGPT-Account-ID": server.account_id,
        "Accept": "text/event-stream",
    }


async def apost(
    server: FakeCodexServer,
    body: Any = BODY,
    *,
    headers: Mapping[str, str] | None = None,
    data: bytes | None = None,
    path: str = "/responses",
) -> Result:
    """POST to the fake backend and read the whole answer."""
    sent_headers = dict(auth(server) if headers is None else headers)
    async with aiohttp.ClientSession() as session:
        if data is not None:
            sent_headers.setdefault("Content-Type", "application/json")
            request = session.post(f"{server.url}{path}", data=data, headers=sent_headers)
        else:
            request = session.post(f"{server.url}{path}", json=body, headers=sent_headers)
        async with request as response:
            return Result(response.status, response.headers, await response.read())


def post(server: FakeCodexServer, body: Any = BODY, **kwargs: Any) -> Result:
    """Synchronous wrapper around :func:`apost`."""
    return run(lambda: apost(server, body, **kwargs))


async def aget(
    server: FakeCodexServer, url: str, *, headers: Mapping[str, str] | None = None
) -> Result:
    """GET ``url`` and read the whole answer."""
    sent = auth(server) if headers is None else headers
    async with aiohttp.ClientSession() as session, session.get(url, headers=sent) as resp:
        return Result(resp.status, resp.headers, await resp.read())


def get(server: FakeCodexServer, url: str, **kwargs: Any) -> Result:
    """Synchronous wrapper around :func:`aget`."""
    return run(lambda: aget(server, url, **kwargs))


async def read_frames(response: aiohttp.ClientResponse, count: int, timeout: float = 5.0) -> bytes:
    """Read from a streaming response until ``count`` complete frames have arrived."""
    data = b""
    while data.count(b"\n\n") < count:
        chunk = await asyncio.wait_for(response.content.readany(), timeout)
        if not chunk:
            break
        data += chunk
    return data


def body_with(**changes: Any) -> dict[str, Any]:
    """BODY with some keys changed; a value of ``...`` removes the key."""
    body = {**BODY, **changes}
    return {k: v for k, v in body.items() if v is not ...}


@pytest.fixture
def server() -> Iterator[FakeCodexServer]:
    """A running fake backend."""
    with FakeCodexServer() as fake:
        yield fake


# ---------------------------------------------------------------------------------------------
# lifecycle


def test_public_api_is_exported_and_sorted() -> None:
    """``__all__`` is sorted, complete and every name has a docstring."""
    assert testing.__all__ == sorted(testing.__all__)
    for name in testing.__all__:
        obj = getattr(testing, name)
        if callable(obj) and name != "ReplyFactory":
            assert obj.__doc__, name


def test_start_stop_are_idempotent_and_urls_have_the_client_shape() -> None:
    """start()/stop() may be repeated; url and chatgpt_base_url point at the bound port."""
    server = FakeCodexServer()
    assert not server.running
    with pytest.raises(RuntimeError):
        _ = server.url
    assert server.start() is server
    port = server.port
    server.start()
    assert server.port == port
    assert port > 0
    assert server.url == f"http://127.0.0.1:{port}/backend-api/codex"
    assert server.chatgpt_base_url == f"http://127.0.0.1:{port}/backend-api"
    assert server.access_token == "fake-access-token"
    assert server.account_id == "acct_fake"
    server.stop()
    server.stop()
    assert not server.running
    with pytest.raises(RuntimeError):
        _ = server.port


def test_server_can_restart_after_stop() -> None:
    """A stopped server starts again and serves requests."""
    server = FakeCodexServer()
    with server:
        assert post(server).status == 200
    with server:
        assert post(server).status == 200
    assert len(server.requests) == 2


def test_async_context_manager_serves_the_callers_loop() -> None:
    """``async with FakeCodexServer()`` works from inside a running event loop."""

    async def main() -> int:
        async with FakeCodexServer(access_token="tok") as server:
            assert server.running
            result = await apost(server)
            return result.status

    assert run(main) == 200


def test_port_in_use_raises() -> None:
    """Binding an occupied port raises OSError from start() and leaves no thread behind."""
    with FakeCodexServer() as first:
        second = FakeCodexServer(port=first.port)
        with pytest.raises(OSError):
            second.start()
        assert not second.running


def test_sync_client_in_plain_thread(server: FakeCodexServer) -> None:
    """Blocking code (urllib, no event loop) can use the server too."""
    request = urllib.request.Request(
        f"{server.url}/responses",
        data=json.dumps(BODY).encode(),
        headers={**auth(server), "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        raw = response.read()
    types = [json.loads(data)["type"] for _, data in parse_frames(raw)]
    assert types[-1] == "response.completed"


# ---------------------------------------------------------------------------------------------
# auth and validation


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic fake-access-token"}, {"Authorization": "Bearer wrong"}],
    ids=["missing", "not-bearer", "wrong-token"],
)
def test_unauthorized(server: FakeCodexServer, headers: dict[str, str]) -> None:
    """Missing, non-Bearer or wrong tokens get 401 {"detail": "Unauthorized"}."""
    server.queue(text_reply("kept"))
    result = post(server, headers=headers)
    assert result.status == 401
    assert result.json == {"detail": "Unauthorized"}
    assert server.queued == 1


def test_access_token_can_be_rotated(server: FakeCodexServer) -> None:
    """Changing ``access_token`` makes the old token fail and the new one pass."""
    old = auth(server)
    server.access_token = "rotated"
    assert post(server, headers=old).status == 401
    assert post(server).status == 200


def test_models_requires_auth(server: FakeCodexServer) -> None:
    """GET /models is auth-checked like /responses."""
    result = get(server, f"{server.url}/models", headers={})
    assert result.status == 401
    assert result.json == {"detail": "Unauthorized"}


@pytest.mark.parametrize("value", [True, None, ..., "false", 0])
def test_store_must_be_false(server: FakeCodexServer, value: Any) -> None:
    """Anything but ``store: false`` is a 400."""
    result = post(server, body_with(store=value))
    assert result.status == 400
    assert result.headers["Content-Type"].startswith("application/json")
    assert result.json == {"detail": "Store must be set to false"}


@pytest.mark.parametrize("value", [False, None, ..., "true", 1])
def test_stream_must_be_true(server: FakeCodexServer, value: Any) -> None:
    """Anything but ``stream: true`` is a 400."""
    result = post(server, body_with(stream=value))
    assert result.status == 400
    assert result.json == {"detail": "Stream must be set to true"}


@pytest.mark.parametrize(
    "name",
    [
        "max_output_tokens",
        "max_tokens",
        "temperature",
        "top_p",
        "truncation",
        "metadata",
        "previous_response_id",
        "safety_identifier",
        "prompt_cache_retention",
        "frequency_penalty",
        "presence_penalty",
        "user",
        "background",
        "conversation",
    ],
)
def test_unsupported_parameters(server: FakeCodexServer, name: str) -> None:
    """Parameters the ChatGPT backend refuses give ``Unsupported parameter: <name>``."""
    result = post(server, body_with(**{name: 1}))
    assert result.status == 400
    assert result.json == {"detail": f"Unsupported parameter: {name}"}


def test_system_messages_are_rejected(server: FakeCodexServer) -> None:
    """An input message with role ``system`` is a 400."""
    system = {"type": "message", "role": "system", "content": [{"type": "input_text", "text": "x"}]}
    result = post(server, body_with(input=[system, *BODY["input"]]))
    assert result.status == 400
    assert result.json == {"detail": "System messages are not allowed"}


@pytest.mark.parametrize("data", [b"{not json", b"[1, 2]", b"", b"\xff\xfe"])
def test_invalid_json_body(server: FakeCodexServer, data: bytes) -> None:
    """A body that is not a JSON object is a 400."""
    result = post(server, data=data)
    assert result.status == 400
    assert result.json == {"detail": "Invalid JSON body"}


@pytest.mark.parametrize("model", [..., "", None])
def test_model_is_required(server: FakeCodexServer, model: Any) -> None:
    """A missing or empty ``model`` is a 400."""
    result = post(server, body_with(model=model))
    assert result.status == 400
    assert result.json == {"detail": "Model is required"}


def test_a_model_outside_the_catalog_is_refused(server: FakeCodexServer) -> None:
    """An unknown model is the real backend's 400; the catalog (hidden models too) decides."""
    result = post(server, body_with(model="no-such-model"))
    assert result.status == 400
    assert result.json == {
        "detail": "The 'no-such-model' model is not supported when using Codex with a ChatGPT "
        "account."
    }
    assert post(server, body_with(model="codex-auto-review")).status == 200
    server.model_catalog = [*server.model_catalog, {"slug": "no-such-model"}]
    assert post(server, body_with(model="no-such-model")).status == 200


def test_request_without_instructions_is_accepted(server: FakeCodexServer) -> None:
    """The current CLI sends no ``instructions``; that is fine (and so is a string input)."""
    assert "instructions" not in BODY
    assert post(server).status == 200
    assert post(server, body_with(instructions="Be brief.", input="hi")).status == 200


def test_rejected_request_keeps_the_queued_stream(server: FakeCodexServer) -> None:
    """A 400 does not consume the streamed reply at the head of the queue."""
    server.queue(text_reply("for the valid request"))
    assert post(server, body_with(store=True)).status == 400
    result = post(server)
    assert "".join(e.get("delta", "") for e in result.events) == "for the valid request"


# ---------------------------------------------------------------------------------------------
# SSE stream


def test_sse_framing_headers_and_sequence_numbers(server: FakeCodexServer) -> None:
    """Frames are ``event: <type>`` + ``data: <json>``; headers look like the real backend's."""
    result = post(server)
    assert result.status == 200
    assert result.headers["Content-Type"] == "text/event-stream"
    h = result.headers
    assert h["x-codex-primary-used-percent"] == "12"
    assert h["x-codex-secondary-used-percent"] == "34"
    assert h["x-codex-primary-window-minutes"] == "300"
    assert h["x-codex-secondary-window-minutes"] == "10080"
    assert int(h["x-codex-primary-reset-at"]) > time.time()
    assert int(h["x-codex-secondary-reset-at"]) > int(h["x-codex-primary-reset-at"])
    assert h["x-codex-plan-type"] == "plus"
    assert h["x-codex-credits-has-credits"] in {"True", "False"}
    assert h["x-codex-credits-unlimited"] == "False"
    assert "x-codex-credits-balance" in h
    assert h["x-request-id"] == h["x-oai-request-id"]
    assert h["openai-model"] == "gpt-5.1-codex-mini"
    assert h["x-models-etag"]
    raw = result.body.decode()
    assert raw.endswith("\n\n")
    assert "\r" not in raw
    for block in raw.strip("\n").split("\n\n"):
        lines = block.split("\n")
        assert len(lines) == 2
        assert lines[0].startswith("event: ")
        assert lines[1].startswith("data: {")
        data = json.loads(lines[1][len("data: ") :])
        assert lines[0] == f"event: {data['type']}"
        assert '": ' not in lines[1]  # compact JSON, like the real backend
    assert [e["sequence_number"] for e in result.events] == list(range(len(result.events)))
    assert lines[1].startswith('data: {"type":"response.completed","sequence_number":')


def test_default_reply_event_order_and_shapes(server: FakeCodexServer) -> None:
    """The default answer: rate limits first, then the Responses API lifecycle of one message."""
    result = post(server, body_with(reasoning=...))
    types = result.types
    assert types[:5] == [
        "codex.rate_limits",
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert types[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    events = result.events
    rate = events[0]
    assert rate["rate_limits"]["primary"]["window_minutes"] == 300
    assert rate["rate_limits"]["secondary"]["window_minutes"] == 10080
    assert rate["plan_type"] == "plus"
    assert set(rate["credits"]) == {"has_credits", "unlimited", "balance"}
    created = events[1]["response"]
    assert created["id"].startswith("resp_")
    assert created["object"] == "response"
    assert created["status"] == "in_progress"
    assert created["model"] == BODY["model"]
    assert created["output"] == []
    for key in ("usage", "error", "incomplete_details", "instructions"):
        assert created[key] is None
    assert {"parallel_tool_calls", "tool_choice", "tools", "created_at"} <= set(created)
    added = events[3]["item"]
    assert added["status"] == "in_progress"
    assert added["content"] == []
    deltas = [e for e in events if e["type"] == "response.output_text.delta"]
    assert len(deltas) > 3
    for delta in deltas:
        assert set(delta) == {
            "type",
            "sequence_number",
            "item_id",
            "output_index",
            "content_index",
            "delta",
            "logprobs",
        }
        assert delta["item_id"] == added["id"]
    assert "".join(d["delta"] for d in deltas) == DEFAULT_REPLY_TEXT
    done = events[-2]["item"]
    assert done == {
        "id": added["id"],
        "type": "message",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": DEFAULT_REPLY_TEXT, "annotations": []}],
    }
    completed = events[-1]["response"]
    assert completed["id"] == created["id"]
    assert completed["status"] == "completed"
    assert completed["output"] == []
    usage = completed["usage"]
    assert set(usage) == {
        "input_tokens",
        "input_tokens_details",
        "output_tokens",
        "output_tokens_details",
        "total_tokens",
    }
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert usage["input_tokens_details"] == {"cached_tokens": 0}


@pytest.mark.parametrize("mode", ["auto", "concise", "detailed"])
def test_default_reply_summarises_its_reasoning_when_asked(
    server: FakeCodexServer, mode: str
) -> None:
    """``reasoning.summary`` gets a reasoning item with a summary before the message."""
    events = post(server, body_with(reasoning={"effort": "low", "summary": mode})).events
    items = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    assert [item["type"] for item in items] == ["reasoning", "message"]
    summary = "".join(
        e["delta"] for e in events if e["type"] == "response.reasoning_summary_text.delta"
    )
    assert summary and items[0]["summary"] == [{"type": "summary_text", "text": summary}]
    assert items[1]["content"][0]["text"] == DEFAULT_REPLY_TEXT


@pytest.mark.parametrize("config", [..., None, {"effort": "high"}, {"summary": "none"}])
def test_default_reply_has_no_reasoning_unless_a_summary_is_asked(
    server: FakeCodexServer, config: Any
) -> None:
    types = post(server, body_with(reasoning=config)).types
    assert not any("reasoning" in kind for kind in types)


def test_reply_text_sets_the_standard_answer() -> None:
    """``reply_text=`` changes the text; structured output still gets its document."""
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    fmt = {"type": "json_schema", "name": "n", "schema": schema, "strict": True}
    with FakeCodexServer(reply_text="Custom answer.") as server:
        plain = post(server, body_with(reasoning=...)).events
        assert plain[-2]["item"]["content"][0]["text"] == "Custom answer."
        structured = post(server, body_with(reasoning=..., text={"format": fmt})).events
        assert json.loads(structured[-2]["item"]["content"][0]["text"]) == {"n": 1}
        loose = post(server, body_with(reasoning=..., text={"format": {"type": "json_object"}}))
        assert json.loads(loose.events[-2]["item"]["content"][0]["text"]) == {
            "answer": "Custom answer."
        }
        server.reply_text = "Changed."
        server.default_reply = lambda request: server.standard_reply(request)
        changed = post(server, body_with(reasoning=...)).events
        assert changed[-2]["item"]["content"][0]["text"] == "Changed."


def test_default_reply_has_fresh_ids_per_request(server: FakeCodexServer) -> None:
    """Each default answer gets its own response id."""
    first = post(server).events[1]["response"]["id"]
    second = post(server).events[1]["response"]["id"]
    assert first != second


def test_completed_output_true_lists_the_items(server: FakeCodexServer) -> None:
    """``completed_output=True`` puts the finished items into ``response.completed``."""
    server.queue(reply(reasoning(), message("Hi"), completed_output=True))
    events = post(server).events
    done_items = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    assert events[-1]["response"]["output"] == done_items
    assert [i["type"] for i in done_items] == ["reasoning", "message"]


def test_usage_override_and_rate_limits_event_off(server: FakeCodexServer) -> None:
    """``usage=`` overrides the computed counts; ``rate_limits_event=False`` drops the event."""
    server.queue(
        text_reply("x", usage={"input_tokens": 1000, "output_tokens": 5}, rate_limits_event=False)
    )
    events = post(server).events
    assert events[0]["type"] == "response.created"
    usage = events[-1]["response"]["usage"]
    assert usage["input_tokens"] == 1000
    assert usage["total_tokens"] == 1005


def test_model_is_echoed_unless_the_reply_sets_one(server: FakeCodexServer) -> None:
    """Response objects and ``openai-model`` echo the request's model or the reply's."""
    result = post(server, body_with(model="gpt-5.4"))
    assert result.headers["openai-model"] == "gpt-5.4"
    assert {e["response"]["model"] for e in result.events if "response" in e} == {"gpt-5.4"}
    server.queue(text_reply(model="gpt-5.3-codex"))
    result = post(server, body_with(model="gpt-5.4"))
    assert result.headers["openai-model"] == "gpt-5.3-codex"
    assert {e["response"]["model"] for e in result.events if "response" in e} == {"gpt-5.3-codex"}


def test_queue_is_fifo_then_default_reply(server: FakeCodexServer) -> None:
    """Queued replies answer in order, then the default reply takes over."""
    server.queue(text_reply("one"), text_reply("two"))
    server.queue(text_reply("three"))
    texts = []
    for _ in range(4):
        events = post(server, body_with(reasoning=...)).events
        texts.append("".join(e.get("delta", "") for e in events))
    assert texts == ["one", "two", "three", DEFAULT_REPLY_TEXT]
    server.default_reply = text_reply("new default")
    assert "".join(e.get("delta", "") for e in post(server).events) == "new default"


def test_reply_factory_sees_the_request(server: FakeCodexServer) -> None:
    """A callable in the queue (or as default) builds the reply from the recorded request."""

    def echo(request: RecordedRequest) -> Reply:
        return text_reply(f"you said: {request.json['input'][-1]['content'][0]['text']}")

    server.queue(echo)
    server.default_reply = lambda request: text_reply(request.headers["ChatGPT-Account-ID"])
    assert "".join(e.get("delta", "") for e in post(server).events) == "you said: say hi"
    assert "".join(e.get("delta", "") for e in post(server).events) == "acct_fake"


def test_broken_reply_factory_gives_500(server: FakeCodexServer) -> None:
    """A factory that raises is reported as a 500 once, then the queue moves on."""

    def broken(request: RecordedRequest) -> Reply:
        raise ValueError("boom")

    server.queue(broken)
    result = post(server)
    assert result.status == 500
    assert "boom" in result.json["detail"]
    assert post(server).status == 200


def test_queue_rejects_non_replies(server: FakeCodexServer) -> None:
    """queue() only takes replies or callables."""
    with pytest.raises(TypeError):
        server.queue("not a reply")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# output items


def test_function_call_reply(server: FakeCodexServer) -> None:
    """Function calls stream argument deltas; the done item has the complete call."""
    server.queue(tool_call_reply("exec_command", {"cmd": "echo hi"}, call_id="call_1"))
    events = post(server).events
    added = next(e for e in events if e["type"] == "response.output_item.added")["item"]
    assert added["arguments"] == ""
    assert added["status"] == "in_progress"
    deltas = [e["delta"] for e in events if e["type"] == "response.function_call_arguments.delta"]
    assert "".join(deltas) == '{"cmd":"echo hi"}'
    done_event = next(e for e in events if e["type"] == "response.function_call_arguments.done")
    assert done_event["arguments"] == '{"cmd":"echo hi"}'
    item = next(e for e in events if e["type"] == "response.output_item.done")["item"]
    assert item["id"].startswith("fc_")
    assert item == {
        "id": item["id"],
        "type": "function_call",
        "status": "completed",
        "arguments": '{"cmd":"echo hi"}',
        "call_id": "call_1",
        "name": "exec_command",
    }


def test_reasoning_part_events(server: FakeCodexServer) -> None:
    """Reasoning streams raw text and summary parts, and its item carries encrypted content."""
    part = reasoning(["**Plan** run echo", "Second part"], content=["think think"])
    server.queue(reply(part, function_call("exec_command", '{"cmd":"echo hi"}')))
    events = post(server).events
    types = [e["type"] for e in events]
    assert types.count("response.reasoning_summary_part.added") == 2
    assert types.count("response.reasoning_summary_part.done") == 2
    assert types.count("response.reasoning_summary_text.done") == 2
    assert types.count("response.reasoning_text.done") == 1
    summary0 = [
        e["delta"]
        for e in events
        if e["type"] == "response.reasoning_summary_text.delta" and e["summary_index"] == 0
    ]
    assert "".join(summary0) == "**Plan** run echo"
    raw = [e["delta"] for e in events if e["type"] == "response.reasoning_text.delta"]
    assert "".join(raw) == "think think"
    items = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    assert items[0]["id"].startswith("rs_")
    assert items[0]["summary"] == [
        {"type": "summary_text", "text": "**Plan** run echo"},
        {"type": "summary_text", "text": "Second part"},
    ]
    assert items[0]["encrypted_content"].startswith("gAAAA")
    assert items[0]["content"] == [{"type": "reasoning_text", "text": "think think"}]
    assert part.item is not None
    assert [e["output_index"] for e in events if e["type"] == "response.output_item.done"] == [0, 1]
    assert items[1]["call_id"].startswith("call_")


def test_custom_tool_call_and_web_search(server: FakeCodexServer) -> None:
    """Custom tool calls stream input deltas; web searches only send status events."""
    patch = "*** Begin Patch\n*** Add File: a.txt\n+hello\n*** End Patch\n"
    server.queue(reply(web_search_call("python sse"), custom_tool_call("apply_patch", patch)))
    events = post(server).events
    items = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    assert items[0]["type"] == "web_search_call"
    assert items[0]["status"] == "completed"
    assert items[0]["action"] == {"type": "search", "query": "python sse"}
    assert items[1]["type"] == "custom_tool_call"
    assert items[1]["input"] == patch
    deltas = [e for e in events if e["type"] == "response.custom_tool_call_input.delta"]
    assert "".join(d["delta"] for d in deltas) == patch
    assert {d["call_id"] for d in deltas} == {items[1]["call_id"]}
    done = next(e for e in events if e["type"] == "response.custom_tool_call_input.done")
    assert done["input"] == patch
    search_types = [e["type"] for e in events if e.get("item_id") == items[0]["id"]]
    assert search_types == [
        "response.web_search_call.in_progress",
        "response.web_search_call.searching",
        "response.web_search_call.completed",
    ]


def test_message_with_explicit_deltas_and_phase() -> None:
    """``message(deltas=...)`` streams exactly those deltas; the text must match them."""
    part = message(deltas=["a", "b", "c"], phase="final_answer")
    assert part.item["content"][0]["text"] == "abc"
    assert part.item["phase"] == "final_answer"
    events = part.delta_events(0)
    assert [e["delta"] for e in events if e["type"] == "response.output_text.delta"] == list("abc")
    with pytest.raises(ValueError):
        message("xyz", deltas=["a"])


# ---------------------------------------------------------------------------------------------
# failures


def test_http_error_with_json_and_html_bodies(server: FakeCodexServer) -> None:
    """http_error() answers with the given status, body and content type."""
    page = "<!DOCTYPE html><html><title>Just a moment...</title></html>"
    server.queue(
        http_error(500, {"error": {"message": "oops"}}, headers={"x-error-json": "e30="}),
        http_error(403, page),
        http_error(502, "bad gateway"),
        http_error(503),
    )
    first = post(server)
    assert first.status == 500
    assert first.json == {"error": {"message": "oops"}}
    assert first.headers["Content-Type"] == "application/json"
    assert first.headers["x-error-json"] == "e30="
    assert first.headers["x-request-id"]
    second = post(server)
    assert second.status == 403
    assert second.headers["Content-Type"] == "text/html; charset=utf-8"
    assert second.body.decode() == page
    third = post(server)
    assert third.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert post(server).json == {"detail": "Service Unavailable"}


def test_http_error_is_answered_before_body_validation(server: FakeCodexServer) -> None:
    """A queued HTTP failure answers even an invalid body, but only after the auth check."""
    server.queue(http_error(500))
    assert post(server, headers={}).status == 401
    assert post(server, body_with(store=True)).status == 500


def test_rate_limited_and_usage_limit_reached(server: FakeCodexServer) -> None:
    """The 429 helpers carry the bodies and headers of the real backend."""
    server.queue(rate_limited(1.5), usage_limit_reached("free", resets_at=int(time.time()) + 600))
    limited = post(server)
    assert limited.status == 429
    assert limited.json["error"]["type"] == "rate_limit_exceeded"
    assert "try again in 1.5s" in limited.json["error"]["message"]
    assert limited.headers["Retry-After"] == "2"
    assert limited.headers["retry-after-ms"] == "1500"
    usage = post(server)
    assert usage.status == 429
    error = usage.json["error"]
    assert set(error) == {
        "type",
        "message",
        "plan_type",
        "resets_at",
        "resets_in_seconds",
        "eligible_promo",
    }
    assert error["type"] == "usage_limit_reached"
    assert error["message"] == "The usage limit has been reached"
    assert error["plan_type"] == "free"
    assert 590 <= error["resets_in_seconds"] <= 600
    assert error["eligible_promo"] is None
    assert usage.headers["x-codex-active-limit"] == "codex"
    assert usage.headers["x-codex-primary-used-percent"] == "100"


def test_failed_reply(server: FakeCodexServer) -> None:
    """failed_reply() ends with response.failed carrying the error code and message."""
    server.queue(
        failed_reply("context_length_exceeded", "Your input exceeds the context window."),
        failed_reply("server_is_overloaded", "Try later", after_text="Partial answer"),
    )
    events = post(server).events
    assert events[-1]["type"] == "response.failed"
    response = events[-1]["response"]
    assert response["status"] == "failed"
    assert response["error"] == {
        "code": "context_length_exceeded",
        "message": "Your input exceeds the context window.",
    }
    events = post(server).events
    types = [e["type"] for e in events]
    assert "response.output_text.delta" in types
    assert "response.output_item.done" not in types
    assert "".join(e.get("delta", "") for e in events) == "Partial answer"
    assert types[-1] == "response.failed"


def test_incomplete_reply(server: FakeCodexServer) -> None:
    """incomplete_reply() ends with response.incomplete and its reason."""
    server.queue(incomplete_reply("Cut sh", reason="max_output_tokens"))
    events = post(server).events
    last = events[-1]
    assert last["type"] == "response.incomplete"
    assert last["response"]["status"] == "incomplete"
    assert last["response"]["incomplete_details"] == {"reason": "max_output_tokens"}
    assert last["response"]["usage"]["output_tokens"] >= 1
    item = next(e for e in events if e["type"] == "response.output_item.done")["item"]
    assert item["status"] == "incomplete"


def test_error_event_reply(server: FakeCodexServer) -> None:
    """error_event_reply() sends an SSE ``error`` event after response.created and no terminal."""
    server.queue(error_event_reply("invalid_request_error", "Bad thing"))
    result = post(server)
    types = result.types
    assert types.index("response.created") < types.index("error")
    assert not TERMINAL & set(types)
    error = result.events[-1]
    assert error == {
        "type": "error",
        "sequence_number": error["sequence_number"],
        "code": "invalid_request_error",
        "message": "Bad thing",
        "param": None,
    }
    assert result.frames[-1][0] == "error"


# ---------------------------------------------------------------------------------------------
# modifiers


def test_cut_after_breaks_the_body(server: FakeCodexServer) -> None:
    """cut_after(n) aborts the connection: the client gets a payload error, not a clean end."""
    server.queue(text_reply("one two three four five six").cut_after(5))

    async def main() -> bytes:
        chunks: list[bytes] = []
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{server.url}/responses", json=BODY, headers=auth(server)) as r,
        ):
            assert r.status == 200
            with pytest.raises(aiohttp.ClientPayloadError):
                async for chunk in r.content.iter_any():
                    chunks.append(chunk)
        return b"".join(chunks)

    received = parse_frames(run(main))
    assert len(received) <= 5
    assert [json.loads(d)["sequence_number"] for _, d in received] == list(range(len(received)))


def test_cut_after_delivers_the_events_before_the_cut(server: FakeCodexServer) -> None:
    """With a gate before the cut, the client provably gets the first n events, then the error."""
    gate = threading.Event()
    server.queue(text_reply("one two three").hold(gate, after=4).cut_after(4))

    async def main() -> bytes:
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{server.url}/responses", json=BODY, headers=auth(server)) as r,
        ):
            data = await read_frames(r, 4)
            gate.set()
            with pytest.raises(aiohttp.ClientPayloadError):
                await r.read()
            return data

    assert [json.loads(d)["type"] for _, d in parse_frames(run(main))] == [
        "codex.rate_limits",
        "response.created",
        "response.in_progress",
        "response.output_item.added",
    ]


def test_end_after_ends_cleanly_without_terminal_event(server: FakeCodexServer) -> None:
    """end_after(n) closes the body normally after n events."""
    server.queue(text_reply("one two three").end_after(6))
    result = post(server)
    assert result.status == 200
    assert len(result.events) == 6
    assert not TERMINAL & set(result.types)


def test_malformed_after_inserts_a_bad_frame(server: FakeCodexServer) -> None:
    """malformed_after(n) adds a ``data: {not json`` frame without a sequence number."""
    server.queue(text_reply("hi").malformed_after(2))
    result = post(server)
    frames = result.frames
    assert frames[2] == (None, "{not json")
    good = [json.loads(d) for _, d in frames[:2] + frames[3:]]
    assert [e["sequence_number"] for e in good] == list(range(len(good)))
    assert good[-1]["type"] == "response.completed"


def test_hold_gate_releases_the_rest_of_the_stream(server: FakeCodexServer) -> None:
    """Events before a hold reach the client while the stream is still open."""
    gate = threading.Event()
    server.queue(text_reply("alpha beta gamma").hold(gate, after=2))

    async def main() -> tuple[bytes, bytes]:
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{server.url}/responses", json=BODY, headers=auth(server)) as r,
        ):
            first = await read_frames(r, 2)
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(r.content.readany(), 0.2)
            assert not r.content.at_eof()
            gate.set()
            rest = await r.read()
            return first, rest

    first, rest = run(main)
    assert [json.loads(d)["type"] for _, d in parse_frames(first)] == [
        "codex.rate_limits",
        "response.created",
    ]
    rest_types = [json.loads(d)["type"] for _, d in parse_frames(rest)]
    assert rest_types[0] == "response.in_progress"
    assert rest_types[-1] == "response.completed"


def test_other_requests_are_served_while_a_stream_is_held(server: FakeCodexServer) -> None:
    """A held stream does not block the server loop."""
    gate = threading.Event()
    server.queue(text_reply("held").hold(gate, after=1))

    async def main() -> int:
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{server.url}/responses", json=BODY, headers=auth(server)) as r,
        ):
            await read_frames(r, 1)
            other = await apost(server)
            gate.set()
            await r.read()
            return other.status

    assert run(main) == 200


def test_paced_spaces_out_events(server: FakeCodexServer) -> None:
    """paced(s) waits s between events, and each event arrives on its own."""
    pace = 0.03
    server.queue(text_reply("a b c", rate_limits_event=False).paced(pace))

    async def main() -> list[float]:
        arrivals: list[float] = []
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{server.url}/responses", json=BODY, headers=auth(server)) as r,
        ):
            async for chunk in r.content.iter_any():
                arrivals.extend(time.monotonic() for _ in range(chunk.count(b"\n\n")))
        return arrivals

    arrivals = run(main)
    events = len(text_reply("a b c", rate_limits_event=False).events)
    assert len(arrivals) == events
    assert arrivals[-1] - arrivals[0] >= (events - 1) * pace * 0.8


def test_pause_after_n_events(server: FakeCodexServer) -> None:
    """pause(s, after=n) flushes n events, then waits s before the rest."""
    server.queue(text_reply("x").pause(0.3, after=3))

    async def main() -> float:
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{server.url}/responses", json=BODY, headers=auth(server)) as r,
        ):
            await read_frames(r, 3)
            started = time.monotonic()
            await r.read()
            return time.monotonic() - started

    assert run(main) >= 0.2


def test_delayed_holds_back_the_headers(server: FakeCodexServer) -> None:
    """delayed(s) waits before the status line, for client timeout tests."""
    server.queue(text_reply().delayed(0.3), http_error(500).delayed(0.3))

    async def main() -> None:
        timeout = aiohttp.ClientTimeout(total=0.1)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            with pytest.raises(asyncio.TimeoutError):
                async with session.post(f"{server.url}/responses", json=BODY, headers=auth(server)):
                    pass
        started = time.monotonic()
        result = await apost(server)
        assert result.status == 500
        assert time.monotonic() - started >= 0.25

    run(main)
    server.wait_for_disconnects(1)


@pytest.mark.parametrize("ending", ["\r\n", "\r", "\n"], ids=["crlf", "cr", "lf"])
def test_line_endings(server: FakeCodexServer, ending: str) -> None:
    """with_line_ending() changes the line terminator of every frame."""
    server.queue(text_reply("hi there").with_line_ending(ending))
    result = post(server)
    raw = result.body.decode()
    assert raw.endswith(ending * 2)
    if ending == "\n":
        assert "\r" not in raw
    elif ending == "\r":
        assert "\n" not in raw
    else:
        assert "\r" not in raw.replace("\r\n", "")
        assert "\n" not in raw.replace("\r\n", "")
    assert result.types[-1] == "response.completed"


def test_raw_bytes_and_custom_events(server: FakeCodexServer) -> None:
    """raw() appends bytes verbatim; insert() adds custom events that get sequence numbers."""
    metadata = {"type": "response.metadata", "headers": {"x-codex-turn-state": "ts-1"}}
    server.queue(
        text_reply("hi").insert(metadata, after=2).raw(b": keep-alive\n\ndata: [DONE]\n\n")
    )
    result = post(server)
    assert result.body.endswith(b"data: [DONE]\n\n")
    frames = result.frames
    assert frames[-1] == (None, "[DONE]")
    events = [json.loads(d) for _, d in frames[:-1] if d]
    assert events[2]["type"] == "response.metadata"
    assert events[2]["headers"] == {"x-codex-turn-state": "ts-1"}
    assert [e["sequence_number"] for e in events] == list(range(len(events)))


def test_from_events_streams_exactly_those_events(server: FakeCodexServer) -> None:
    """Reply.from_events() is the escape hatch for hand-written streams."""
    server.queue(
        Reply.from_events(
            [
                {"type": "response.created", "response": {"id": "r1", "model": None}},
                {"type": "response.completed", "response": {"id": "r1", "usage": None}},
            ]
        )
    )
    events = post(server).events
    assert events == [
        {
            "type": "response.created",
            "sequence_number": 0,
            "response": {"id": "r1", "model": BODY["model"]},
        },
        {
            "type": "response.completed",
            "sequence_number": 1,
            "response": {"id": "r1", "usage": None},
        },
    ]


def test_content_type_can_be_omitted(server: FakeCodexServer) -> None:
    """``content_type=None`` sends an SSE stream with no Content-Type header at all."""
    server.queue(text_reply(content_type=None))
    result = post(server)
    assert result.status == 200
    assert "Content-Type" not in result.headers
    assert result.types[-1] == "response.completed"


def test_with_headers_overrides_and_removes_defaults(server: FakeCodexServer) -> None:
    """Reply headers override default ones; ``None`` removes a default header."""
    server.queue(
        text_reply().with_headers(
            {
                "x-codex-turn-state": "ts-9",
                "x-codex-primary-used-percent": "99.5",
                "x-models-etag": None,
            }
        )
    )
    headers = post(server).headers
    assert headers["x-codex-turn-state"] == "ts-9"
    assert headers["x-codex-primary-used-percent"] == "99.5"
    assert "x-models-etag" not in headers


def test_modifier_validation() -> None:
    """Modifiers reject counts beyond the stream, negative waits and HTTP failures."""
    base = text_reply("hi")
    count = len(base.events)
    assert len(base.cut_after(count).steps) == len(base.steps) + 1
    with pytest.raises(ValueError):
        base.cut_after(count + 1)
    with pytest.raises(ValueError):
        base.pause(-1, after=0)
    with pytest.raises(ValueError):
        base.with_line_ending("\n\n")
    with pytest.raises(ValueError):
        http_error(500).cut_after(0)
    with pytest.raises(ValueError):
        base.insert({"no": "type"}, after=0)
    assert base.paced(0.1).pace == 0.1
    assert base.pace == 0.0
    assert base.response_id is not None and base.response_id.startswith("resp_")
    assert http_error(500).response_id is None
    assert not http_error(500).is_stream


# ---------------------------------------------------------------------------------------------
# recording, /models, /wham/usage, disconnects


def test_requests_are_recorded(server: FakeCodexServer) -> None:
    """Every request is recorded with method, path, query, case-insensitive headers and body."""
    post(server, headers={})
    post(server)
    get(server, f"{server.url}/models?client_version=0.169.0")
    get(server, f"{server.url}/nope")
    requests = server.requests
    assert [(r.method, r.path) for r in requests] == [
        ("POST", "/backend-api/codex/responses"),
        ("POST", "/backend-api/codex/responses"),
        ("GET", "/backend-api/codex/models"),
        ("GET", "/backend-api/codex/nope"),
    ]
    first, second, models, _missing = requests
    assert "authorization" not in first.headers
    assert second.headers["authorization"] == "Bearer fake-access-token"
    assert second.headers["AUTHORIZATION"] == "Bearer fake-access-token"
    assert second.headers["chatgpt-account-id"] == "acct_fake"
    assert second.json == BODY
    assert json.loads(second.body) == BODY
    assert second.query == {}
    assert models.query == {"client_version": "0.169.0"}
    assert models.json is None
    assert models.body == b""
    with pytest.raises(TypeError):
        second.headers["x"] = "y"  # type: ignore[index]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        second.path = "/"  # type: ignore[misc]
    assert server.wait_for_requests(4) == requests
    server.clear()
    assert server.requests == []
    assert server.queued == 0


def test_unknown_paths_and_methods(server: FakeCodexServer) -> None:
    """Unknown paths are 404 and wrong methods 405, FastAPI-style; both are recorded."""
    missing = get(server, f"{server.chatgpt_base_url}/other")
    assert missing.status == 404
    assert missing.json == {"detail": "Not Found"}
    wrong = get(server, f"{server.url}/responses")
    assert wrong.status == 405
    assert wrong.headers["Allow"] == "POST"
    assert len(server.requests) == 2


def test_models_endpoint_schema(server: FakeCodexServer) -> None:
    """GET /models returns the real ModelInfo schema and an ETag matching x-models-etag."""
    result = get(server, f"{server.url}/models?client_version=0.169.0")
    assert result.status == 200
    models = result.json["models"]
    slugs = [m["slug"] for m in models]
    assert {"gpt-5.1-codex-mini", "gpt-5.4", "gpt-5.3-codex"} <= set(slugs)
    required = {
        "slug",
        "display_name",
        "description",
        "default_reasoning_level",
        "supported_reasoning_levels",
        "shell_type",
        "visibility",
        "supported_in_api",
        "priority",
        "base_instructions",
        "supports_reasoning_summaries",
        "default_reasoning_summary",
        "support_verbosity",
        "default_verbosity",
        "apply_patch_tool_type",
        "truncation_policy",
        "supports_parallel_tool_calls",
        "supports_image_detail_original",
        "context_window",
        "input_modalities",
    }
    for model in models:
        assert required <= set(model), model["slug"]
        for level in model["supported_reasoning_levels"]:
            assert set(level) == {"effort", "description"}
        assert model["truncation_policy"]["mode"] in {"bytes", "tokens"}
    by_slug = {m["slug"]: m for m in models}
    assert by_slug["gpt-5.4"]["supports_image_detail_original"] is True
    assert by_slug["gpt-5.3-codex"]["supports_image_detail_original"] is False
    assert any(m["visibility"] == "hide" for m in models)
    assert result.headers["ETag"] == post(server).headers["x-models-etag"]


def test_model_catalog_override() -> None:
    """``model_catalog=`` replaces the served list (and its ETag)."""
    catalog = default_model_catalog()[:1]
    catalog[0]["slug"] = "my-model"
    with FakeCodexServer(model_catalog=catalog) as server:
        result = get(server, f"{server.url}/models")
        assert [m["slug"] for m in result.json["models"]] == ["my-model"]
        with FakeCodexServer() as other:
            assert result.headers["ETag"] != get(other, f"{other.url}/models").headers["ETag"]
    assert default_model_catalog()[0]["slug"] != "my-model"


def test_usage_endpoint(server: FakeCodexServer) -> None:
    """GET {chatgpt_base_url}/wham/usage reports the same windows as the stream headers."""
    result = get(server, f"{server.chatgpt_base_url}/wham/usage")
    assert result.status == 200
    payload = result.json
    assert payload["plan_type"] == "plus"
    primary = payload["rate_limit"]["primary_window"]
    assert primary["used_percent"] == 12
    assert primary["limit_window_seconds"] == 300 * 60
    assert payload["rate_limit"]["secondary_window"]["limit_window_seconds"] == 10080 * 60


def test_disconnects_count_clients_that_leave_a_held_stream(server: FakeCodexServer) -> None:
    """A client closing a stream early is counted in ``disconnects``."""
    gate = threading.Event()
    server.queue(text_reply("never finished").hold(gate, after=2))

    async def main() -> None:
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{server.url}/responses", json=BODY, headers=auth(server)) as r,
        ):
            await read_frames(r, 2)
            r.close()

    run(main)
    assert server.wait_for_disconnects(1) == 1
    gate.set()
    assert server.disconnects == 1
    assert post(server).status == 200
    assert server.disconnects == 1


def test_disconnects_count_clients_that_leave_a_paced_stream(server: FakeCodexServer) -> None:
    """Leaving a paced stream is noticed as well (write failure or closed transport)."""
    server.queue(text_reply("a b c d e f g h i j").paced(0.02))

    async def main() -> None:
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{server.url}/responses", json=BODY, headers=auth(server)) as r,
        ):
            await read_frames(r, 3)

    run(main)
    assert server.wait_for_disconnects(1) == 1
    with pytest.raises(TimeoutError):
        server.wait_for_disconnects(2, timeout=0.1)


def test_stop_cuts_held_streams_quickly(server: FakeCodexServer) -> None:
    """stop() does not wait for a gate that is never set: the stream is cut."""
    gate = threading.Event()
    server.queue(text_reply("stuck").hold(gate, after=1))

    async def main() -> float:
        loop = asyncio.get_running_loop()
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{server.url}/responses", json=BODY, headers=auth(server)) as r,
        ):
            await read_frames(r, 1)
            started = time.monotonic()
            await loop.run_in_executor(None, server.stop)
            elapsed = time.monotonic() - started
            with pytest.raises(aiohttp.ClientPayloadError):
                await r.read()
            return elapsed

    assert run(main) < 2.0
    assert not server.running
    assert server.disconnects == 0


def test_big_stream_throughput(server: FakeCodexServer) -> None:
    """A 20,000-delta reply is cheap to build and streams fast through the fake server."""
    deltas = [f"w{i} " for i in range(20_000)]
    started = time.perf_counter()
    big = text_reply(deltas=deltas)
    built = time.perf_counter() - started
    server.queue(big)

    async def main() -> tuple[int, float]:
        frames = 0
        tail = b""
        async with aiohttp.ClientSession() as session:
            begin = time.perf_counter()
            async with session.post(
                f"{server.url}/responses", json=BODY, headers=auth(server)
            ) as r:
                async for chunk in r.content.iter_any():
                    data = tail + chunk
                    frames += data.count(b"\n\n")
                    tail = data[-1:]
            return frames, time.perf_counter() - begin

    frames, elapsed = run(main)
    assert frames == len(big.events) == 20_000 + 9
    rate = frames / elapsed
    print(f"\nbuild {built * 1000:.0f} ms; {frames} frames in {elapsed:.3f} s = {rate:,.0f}/s")
    assert built < 2.0
    assert elapsed < 10.0


# ---------------------------------------------------------------------------------------------
# command line


class Standalone:
    """``python -m codex_open_client.testing`` in a subprocess, its output read as it comes."""

    def __init__(self, *args: str) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        command = [sys.executable, "-W", "error", "-m", "codex_open_client.testing", *args]
        self.process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        self.reader = threading.Thread(target=self._pump, daemon=True)
        self.reader.start()
        self.base_url = ""
        while not self.output or not self.output[-1].startswith("Press Ctrl-C"):
            line = self.lines.get(timeout=20)
            self.output.append(line)
            if line.strip().startswith("base_url:"):
                self.base_url = line.split(":", 1)[1].strip()

    def _pump(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        for line in stdout:
            self.lines.put(line)

    def stop(self) -> int:
        """Send SIGINT, wait for the exit and return its status (killing it if it hangs)."""
        try:
            self.process.send_signal(signal.SIGINT)
            return self.process.wait(timeout=20)
        finally:
            self.close()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.reader.join(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()
        while not self.lines.empty():
            self.output.append(self.lines.get())

    @property
    def text(self) -> str:
        return "".join(self.output)


@pytest.fixture
def standalone() -> Iterator[Standalone]:
    """The standalone fake on a free port (``--port 0``), stopped after the test."""
    fake = Standalone("--port", "0")
    try:
        yield fake
    finally:
        fake.close()


def test_cli_serves_until_sigint() -> None:
    """``python -m codex_open_client.testing --port 0`` prints its URL, serves, stops on SIGINT."""
    fake = Standalone("--port", "0")
    try:
        assert fake.base_url.startswith("http://127.0.0.1:")
        assert fake.base_url.endswith("/backend-api/codex")
        request = urllib.request.Request(
            f"{fake.base_url}/responses",
            data=json.dumps(BODY).encode(),
            headers={
                "Authorization": "Bearer fake-access-token",
                "Content-Type": "application/json",
            },
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
            assert b"response.completed" in response.read()
        assert fake.stop() == 0
    finally:
        fake.close()
    text = fake.text
    assert "access_token:     fake-access-token" in text
    assert "account_id:       acct_fake" in text
    assert "curl -N" in text
    assert "Stopped." in text
    assert "Traceback" not in text


class PersonModel(pydantic.BaseModel):
    name: str
    age: int


@dataclasses.dataclass
class PersonData:
    name: str
    age: int


class PersonDict(TypedDict):
    name: str
    age: int


def test_standalone_fake_answers_parse_with_a_document_of_the_schema(
    standalone: Standalone,
) -> None:
    """Every ``parse()`` type of the guide gets a valid document from the standalone fake."""
    with Client(
        base_url=standalone.base_url, access_token="fake-access-token", max_retries=0
    ) as client:
        ask: dict[str, Any] = {
            "model": "gpt-5.1-codex-mini",
            "instructions": "Extract.",
            "input": "Ann is 30.",
        }
        model = client.responses.parse(**ask, text_format=PersonModel).output_parsed
        assert model == PersonModel(name="example name", age=1)
        data = client.responses.parse(**ask, text_format=PersonData).output_parsed
        assert data == PersonData(name="example name", age=1)
        typed = client.responses.parse(**ask, text_format=PersonDict).output_parsed
        assert typed == {"name": "example name", "age": 1}
        thought = client.responses.create(**ask, reasoning=Reasoning(summary="auto"))
        assert thought.reasoning_summary
        assert thought.output_text == DEFAULT_REPLY_TEXT


def test_standalone_reply_text_keeps_structured_output() -> None:
    """``--reply-text`` changes plain answers only: a schema still gets its document."""
    fake = Standalone("--port", "0", "--reply-text", "Custom.")
    try:
        with Client(base_url=fake.base_url, access_token="fake-access-token") as client:
            ask: dict[str, Any] = {"model": "gpt-5.4", "instructions": "", "input": "Hi"}
            assert client.responses.create(**ask).output_text == "Custom."
            parsed = client.responses.parse(**ask, text_format=PersonModel)
            assert parsed.output_parsed == PersonModel(name="example name", age=1)
        assert fake.stop() == 0
    finally:
        fake.close()


def test_urlerror_is_not_raised_for_http_errors(server: FakeCodexServer) -> None:
    """Plain HTTP clients see the error status and JSON body (urllib raises HTTPError)."""
    request = urllib.request.Request(f"{server.url}/responses", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    with info.value as error:
        assert error.code == 401
        assert json.loads(error.read()) == {"detail": "Unauthorized"}
