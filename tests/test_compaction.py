"""Remote compaction: ``responses.compact()`` against the fake, compared with the CLI 0.169.

The captured CLI request, reply and follow-up (``shared/reference/cli-0.169/compaction-v2.json``)
are copied below where they are needed (long texts and tool schemas elided, as there).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import codex_open_client as c
from codex_open_client._compaction import compacted_history, refuses_v2
from codex_open_client.testing import (
    FakeCodexServer,
    Reply,
    compaction_reply,
    http_error,
    text_reply,
)

from .conftest import Api

MODEL = "gpt-5.1-codex-mini"

# compaction-v2.json, "compaction_request": the header names (values redacted or per run).
CLI_HEADERS = {
    "Host": "127.0.0.1:PORT",
    "x-openai-account-routing-override": "us",
    "x-codex-beta-features": "remote_compaction_v2",
    "x-codex-window-id": "01a236df-8812-7021-8734-b6ef39aa2060:0",
    "x-codex-turn-metadata": '{"installation_id":"8c52c080-…","session_id":"01a236df-…",'
    '"thread_id":"01a236df-…","agent_name":"/root","turn_id":"01a236df-…",'
    '"window_id":"01a236df-…:0","window_number":...<571 more chars elided>',
    "x-codex-routing-hint": "model=gpt-5.4",
    "x-client-request-id": "01a236df-8812-7021-8734-b6ef39aa2060",
    "session-id": "01a236df-8812-7021-8734-b6ef39aa2060",
    "thread-id": "01a236df-8812-7021-8734-b6ef39aa2060",
    "Accept": "text/event-stream",
    "Content-Type": "application/json",
    "Authorization": "Bearer <redacted>",
    "chatgpt-account-id": "acct_fake",
    "originator": "codex_exec",
    "User-Agent": "codex_exec/0.169.0 (Debian 12.0.0; x86_64) xterm (codex_exec; 0.169.0)",
    "Accept-Encoding": "gzip, deflate",
    "Content-Length": "21067",
}
# Sent by the CLI, not by the SDK, on purpose: the routing pair belongs to the CLI's workspace
# discovery of its provider named "OpenAI".
NOT_SENT = {"x-openai-account-routing-override", "x-codex-routing-hint"}
# The turn-metadata keys the capture shows before its elision (request_kind is in the rest).
CLI_TURN_METADATA_KEYS = {
    "installation_id",
    "session_id",
    "thread_id",
    "agent_name",
    "turn_id",
    "window_id",
    "window_number",
    "request_kind",
}
# The body of the captured request: its keys and, for the scalars, their values.
CLI_BODY_KEYS = {
    "model",
    "stream",
    "input",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "reasoning",
    "store",
    "include",
    "prompt_cache_key",
    "text",
    "client_metadata",
}
CLI_BODY = {
    "stream": True,
    "tool_choice": "auto",
    "parallel_tool_calls": True,
    "reasoning": {"effort": "medium", "summary": "auto"},
    "store": False,
    "include": ["reasoning.encrypted_content"],
    "text": {"verbosity": "low"},
}
# The captured input, by kind: the history, then the trigger.
CLI_INPUT_KINDS = [
    ("message", "developer"),
    ("message", "developer"),
    ("message", "user"),
    ("message", "user"),
    ("reasoning", None),
    ("function_call", None),
    ("function_call_output", None),
    ("compaction_trigger", None),
]
# "reply_events_that_worked" (the codex.rate_limits event left out: "as usual").
CLI_REPLY_EVENTS: list[dict[str, Any]] = [
    {"type": "response.created", "response": {"id": "resp_1", "status": "in_progress"}},
    {
        "type": "response.output_item.done",
        "output_index": 0,
        "item": {
            "type": "compaction",
            "id": "cmp_1",
            "encrypted_content": "gAAAAA-fake-compaction-v2",
        },
    },
    {
        "type": "response.completed",
        "response": {
            "id": "resp_1",
            "status": "completed",
            "output": [],
            "usage": {"input_tokens": 500, "output_tokens": 2, "total_tokens": 502},
        },
    },
]
# "follow_up_request_input", by kind: the messages, then the compaction item as sent.
CLI_FOLLOW_UP_KINDS = [
    ("message", "developer"),
    ("message", "developer"),
    ("message", "user"),
    ("message", "user"),
    ("compaction", None),
]
CLI_COMPACTION_ITEM = {
    "type": "compaction",
    "id": "cmp_1",
    "encrypted_content": "gAAAAA-fake-compaction-v2",
}


def kinds(items: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return [(item["type"], item.get("role")) for item in items]


def role_of(item: object) -> object:
    return item.get("role") if isinstance(item, dict) else getattr(item, "role", None)


def history_like_the_capture() -> list[c.InputItem]:
    """The captured history: instructions, context, the prompt, reasoning and a tool call."""
    return [
        c.InputMessage(role="developer", content="You are Codex."),
        c.InputMessage(role="developer", content="<permissions instructions>…"),
        c.InputMessage(role="user", content="<environment_context>…</environment_context>"),
        c.InputMessage(role="user", content="run echo hi"),
        c.ResponseReasoningItem(
            id="rs_1",
            summary=[c.ReasoningSummary(text="**Planning**")],
            encrypted_content="gAAAAABpZmFrZS1lbmNyeXB0ZWQ=",
        ),
        c.ResponseFunctionToolCall(
            id="fc_1", call_id="call_1", name="exec_command", arguments='{"cmd":"echo hi"}'
        ),
        c.FunctionCallOutput(call_id="call_1", output="hi\n"),
    ]


@pytest.fixture(params=["sync", "async"])
def sse_api(request: pytest.FixtureRequest, server: FakeCodexServer) -> Iterator[Api]:
    """Each client over HTTP+SSE only, for what compares HTTP headers."""
    client = Api(request.param, server)
    yield client
    client.dispose()


def compact(api: Api, **params: Any) -> list[c.InputItem]:
    settings = {"model": MODEL, "instructions": "", **params}
    return api.call("responses.compact", **settings)  # type: ignore[no-any-return]


def test_the_compaction_item_is_typed(api: Api, server: FakeCodexServer) -> None:
    """The captured reply gives a ``ResponseCompactionItem`` (``type`` narrows to it), whose
    ``to_dict()`` is the item as sent."""
    server.queue(Reply.from_events(CLI_REPLY_EVENTS))
    response = api.create()
    (item,) = response.output
    assert isinstance(item, c.ResponseCompactionItem)
    assert item.type == "compaction"
    assert (item.id, item.encrypted_content) == ("cmp_1", "gAAAAA-fake-compaction-v2")
    assert item.to_dict() == CLI_COMPACTION_ITEM
    assert c.ResponseCompactionItem.from_dict(CLI_COMPACTION_ITEM) == item


def test_the_compaction_item_is_replayed_unchanged(api: Api, server: FakeCodexServer) -> None:
    """Sent back exactly as the backend sent it, fields this version does not know included."""
    sent = {**CLI_COMPACTION_ITEM, "created_by": "server", "extra": {"a": [1]}}
    events = [dict(event) for event in CLI_REPLY_EVENTS]
    events[1] = {**events[1], "item": sent}
    server.queue(Reply.from_events(events))
    response = api.create()
    api.create(input=[*response.output, c.InputMessage(role="user", content="next")])
    assert server.requests[-1].input[0] == sent


def test_a_compaction_item_is_accepted_as_input(api: Api, server: FakeCodexServer) -> None:
    """One built in Python, and the CLI's ``compaction_summary`` alias as a dict."""
    built = c.ResponseCompactionItem(id="cmp_9", encrypted_content="enc-9")
    alias = {"type": "compaction_summary", "encrypted_content": "enc-8"}
    api.create(input=[built, alias, c.InputMessage(role="user", content="next")])
    assert server.requests[-1].input[:2] == [
        {"type": "compaction", "encrypted_content": "enc-9", "id": "cmp_9"},
        alias,
    ]


def test_compact_returns_the_history_the_cli_keeps(api: Api, server: FakeCodexServer) -> None:
    """v2: the history plus the trigger; the answer's one item after the messages (reasoning,
    tool calls and outputs dropped), which the next request sends as the capture shows."""
    history = [*history_like_the_capture(), c.InputMessage(role="assistant", content="done")]
    server.queue(compaction_reply("enc-compacted"))
    compacted = compact(api, input=history)
    (request,) = server.requests
    assert request.path == "/backend-api/codex/responses"
    assert kinds(request.input) == [
        *CLI_INPUT_KINDS[:-1],
        ("message", "assistant"),
        CLI_INPUT_KINDS[-1],
    ]
    assert request.input[-1] == {"type": "compaction_trigger"}
    assert compacted[:-1] == [history[0], history[1], history[2], history[3], history[-1]]
    item = compacted[-1]
    assert isinstance(item, c.ResponseCompactionItem) and item.encrypted_content == "enc-compacted"
    api.create(input=compacted)
    follow_up = server.requests[-1].input
    assert kinds(follow_up) == [
        *CLI_FOLLOW_UP_KINDS[:-1],
        ("message", "assistant"),
        ("compaction", None),
    ]
    assert follow_up[-1]["encrypted_content"] == "enc-compacted"


def test_compact_request_matches_the_captured_cli(sse_api: Api, server: FakeCodexServer) -> None:
    """Header names, body keys and shapes as the CLI 0.169 sent its compaction request."""
    compact(
        sse_api,
        input=history_like_the_capture(),
        tools=[
            c.FunctionTool(
                name="exec_command",
                parameters={"type": "object", "properties": {}, "additionalProperties": False},
            )
        ],
        tool_choice="auto",
        parallel_tool_calls=True,
        reasoning=c.Reasoning(effort="medium", summary="auto"),
        text=c.TextConfig(verbosity="low"),
    )
    (request,) = server.requests
    sent = {name.lower() for name in request.headers}
    for name in CLI_HEADERS:
        if name not in NOT_SENT:
            assert name.lower() in sent, name
    assert request.headers["x-codex-beta-features"] == CLI_HEADERS["x-codex-beta-features"]
    metadata = json.loads(request.headers["x-codex-turn-metadata"])
    assert metadata["request_kind"] == "compaction"
    assert set(metadata) <= CLI_TURN_METADATA_KEYS
    session = sse_api.client.session_id
    assert metadata["session_id"] == metadata["thread_id"] == session
    assert request.headers["session-id"] == request.headers["thread-id"] == session
    assert request.headers["x-client-request-id"] == session
    assert request.headers["x-codex-window-id"] == f"{session}:0"  # as captured: "<id>:0"
    assert request.headers["Accept"] == CLI_HEADERS["Accept"]
    body = request.json
    # The SDK sends no client_metadata (on no request); the CLI 0.169 sends no instructions.
    assert set(body) - {"instructions"} == CLI_BODY_KEYS - {"client_metadata"}
    for key, value in CLI_BODY.items():
        assert body[key] == value, key
    assert body["prompt_cache_key"] == session
    assert kinds(body["input"]) == CLI_INPUT_KINDS
    assert body["tools"][0]["type"] == "function" and body["tools"][0]["name"] == "exec_command"


def test_compact_keeps_the_callers_headers(sse_api: Api, server: FakeCodexServer) -> None:
    """``extra_headers`` join the compaction headers; the caller's own win."""
    compact(sse_api, input="x", extra_headers={"X-Mine": "1", "x-codex-turn-metadata": "{}"})
    headers = server.requests[-1].headers
    assert headers["X-Mine"] == "1"
    assert headers.getall("x-codex-turn-metadata") == ["{}"]


def test_compact_falls_back_when_v2_is_refused(api: Api, server: FakeCodexServer) -> None:
    """A 400 naming the trigger: the older ``POST /responses/compact``, without the trigger,
    whose output is the new history (the instructions kept in front)."""
    server.queue(http_error(400, {"detail": "Invalid value: 'compaction_trigger'."}))
    compacted = compact(api, input=history_like_the_capture(), reasoning={"effort": "low"})
    v2, v1 = server.requests
    assert v2.input[-1] == {"type": "compaction_trigger"}
    assert v1.path == "/backend-api/codex/responses/compact" and v1.method == "POST"
    assert set(v1.json) <= {
        "model",
        "instructions",
        "input",
        "tools",
        "parallel_tool_calls",
        "reasoning",
        "text",
    }
    assert v1.json["reasoning"] == {"effort": "low"}
    assert kinds(v1.json["input"]) == CLI_INPUT_KINDS[:-1]
    assert v1.headers["session-id"] == api.client.session_id
    # The fake keeps the user messages; the developer messages come back in front.
    roles = [role_of(item) for item in compacted[:-1]]
    assert roles == ["developer", "developer", "user", "user"]
    assert isinstance(compacted[-1], c.ResponseCompactionItem)


def test_other_errors_are_raised_without_fallback(api: Api, server: FakeCodexServer) -> None:
    """An error that does not name the trigger is the caller's; so is an answer without one
    compaction item (the CLI's 'expected exactly one compaction output item')."""
    server.queue(http_error(400, {"detail": "Unsupported parameter: foo"}))
    with pytest.raises(c.InvalidRequestError, match="foo"):
        compact(api, input="x")
    server.queue(text_reply("not a compaction"))
    with pytest.raises(c.APIError, match="exactly one compaction output item, got 0 from 1"):
        compact(api, input="x")
    assert [r.path for r in server.requests] == ["/backend-api/codex/responses"] * 2


def test_compact_argument_errors(api: Api) -> None:
    """No input, or stream=: a TypeError saying what to do."""
    with pytest.raises(TypeError, match="'input'"):
        api.call("responses.compact", model=MODEL, instructions="")
    with pytest.raises(TypeError, match="does not stream"):
        compact(api, input="x", stream=True)
    with pytest.raises(TypeError, match="valid arguments"):
        compact(api, input="x", temperature_typo=1)


def test_refused_means_an_invalid_request_naming_the_trigger() -> None:
    """400/404/422 (or an in-stream failure) naming ``compaction_trigger``; nothing else."""
    assert refuses_v2(
        c.InvalidRequestError("unknown item type compaction_trigger", status_code=400)
    )
    assert refuses_v2(
        c.APIError("Not Found", status_code=404, body={"detail": "compaction_trigger"})
    )
    assert refuses_v2(c.InvalidRequestError("bad input[3]: compaction_trigger", status_code=None))
    assert not refuses_v2(c.InvalidRequestError("Unsupported parameter: foo", status_code=400))
    assert not refuses_v2(c.ServerError("compaction_trigger failed", status_code=500))
    assert not refuses_v2(c.AuthError("compaction_trigger", status_code=401))
    assert not refuses_v2(c.ContextWindowError("compaction_trigger: too long", status_code=400))


def test_compacted_history_keeps_messages_of_every_shape() -> None:
    """Typed messages, dict messages (with or without ``type``) and unknown messages stay;
    other items and an older compaction item go."""
    item = c.ResponseCompactionItem(encrypted_content="new")
    history: list[c.InputItem] = [
        {"role": "user", "content": "a"},
        {"type": "message", "role": "assistant", "content": "b"},
        c.UnknownItem(raw={"type": "message", "role": "user", "content": [], "x": 1}),
        c.ResponseCompactionItem(encrypted_content="old"),
        {"type": "function_call_output", "call_id": "1", "output": ""},
        c.UnknownItem(raw={"type": "something_new"}),
    ]
    assert compacted_history(history, item) == [*history[:3], item]
