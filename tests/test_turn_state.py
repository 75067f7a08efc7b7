"""``x-codex-turn-state``: sent back on the follow-ups of a turn, never into the next turn.

The CLI 0.169 (``shared/reference/cli-0.169/README.md`` section 1) got ``ts-abc`` with its
first answer and sent it on the tool continuation only; the first request had none.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import codex_open_client as c
from codex_open_client.testing import FakeCodexServer, text_reply, tool_call_reply

from .conftest import Api


@pytest.fixture(params=["sync", "async"])
def api(request: pytest.FixtureRequest, server: FakeCodexServer) -> Iterator[Api]:
    """Each client over HTTP+SSE only: the turn state is an HTTP response and request header."""
    client = Api(request.param, server)
    yield client
    client.dispose()


SETTINGS = {"model": "gpt-5.1-codex-mini", "instructions": "You are helpful."}
STATE = {"x-codex-turn-state": "ts-abc"}


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def sent_states(server: FakeCodexServer) -> list[str | None]:
    return [request.headers.get("x-codex-turn-state") for request in server.requests]


def run_tools(api: Api, **params: Any) -> c.ToolRunResult:
    return api.call("responses.run_tools", tools=[add], **{**SETTINGS, **params})  # type: ignore[no-any-return]


def test_run_tools_echoes_the_turn_state_within_its_turn(api: Api, server: FakeCodexServer) -> None:
    """The first state answered is sent on every follow-up; the next run starts without."""
    server.queue(
        tool_call_reply("add", {"a": 1, "b": 2}, headers=STATE),
        tool_call_reply("add", {"a": 3, "b": 4}, headers={"x-codex-turn-state": "ts-later"}),
        text_reply("3 and 7"),
        text_reply("again", headers={"x-codex-turn-state": "ts-next"}),
    )
    assert run_tools(api, input="add").output_text == "3 and 7"
    assert run_tools(api, input="once more").output_text == "again"
    assert sent_states(server) == [None, "ts-abc", "ts-abc", None]


def test_run_tools_keeps_a_callers_turn_state(api: Api, server: FakeCodexServer) -> None:
    """A turn state given in ``extra_headers`` is the caller's: it is not replaced."""
    server.queue(tool_call_reply("add", {"a": 1, "b": 2}, headers=STATE), text_reply("3"))
    run_tools(api, input="add", extra_headers={"X-Codex-Turn-State": "mine"})
    assert sent_states(server) == ["mine", "mine"]


def ask(api: Api, conversation: Any, input: Any) -> c.Response:
    result = conversation.ask(input)
    return result if api.mode == "sync" else api.run(result)  # type: ignore[no-any-return]


def test_a_conversation_echoes_it_when_answering_tool_calls(
    api: Api, server: FakeCodexServer
) -> None:
    """Answering the model's calls continues its turn; a user message starts the next one."""
    conversation = api.client.conversation(**SETTINGS, tools=[c.FunctionTool.from_function(add)])
    server.queue(
        tool_call_reply("add", {"a": 1, "b": 2}, call_id="call_1", headers=STATE),
        tool_call_reply("add", {"a": 3, "b": 4}, call_id="call_2"),
        text_reply("3 and 7"),
        text_reply("next turn"),
    )
    ask(api, conversation, "add")
    ask(api, conversation, [c.FunctionCallOutput(call_id="call_1", output="3")])
    ask(api, conversation, [c.FunctionCallOutput(call_id="call_2", output="7")])
    ask(api, conversation, "thanks")
    assert sent_states(server) == [None, "ts-abc", "ts-abc", None]


def test_a_new_message_while_calls_are_pending_starts_a_turn(
    api: Api, server: FakeCodexServer
) -> None:
    """Calls left unanswered: the user's next message is a new turn, without the state."""
    conversation = api.client.conversation(**SETTINGS)
    server.queue(tool_call_reply("add", {"a": 1, "b": 2}, headers=STATE), text_reply("ok"))
    ask(api, conversation, "add")
    ask(api, conversation, "never mind")
    assert sent_states(server) == [None, None]


# -------------------------------------------------------------- either transport


@pytest.fixture(params=["sync-sse", "async-sse", "sync-websocket", "async-websocket"])
def any_api(request: pytest.FixtureRequest, server: FakeCodexServer) -> Iterator[Api]:
    """Each client on each transport. Over WebSocket every request is made to need a new
    socket (a limit of one request per socket), so each handshake shows what it carried:
    the turn state travels with the connection, as the CLI sends it on the upgrade."""
    mode, transport = request.param.split("-")
    if transport == "websocket":
        server.websocket_request_limit = 1
    client = Api(mode, server, transport=transport)
    yield client
    client.dispose()
    server.websocket_request_limit = None


def states_carried(api: Api, server: FakeCodexServer) -> list[str | None]:
    """The turn state each request carried: its own header, or its socket's handshake's."""
    if api.transport == "websocket":
        return [shake.headers.get("x-codex-turn-state") for shake in server.websocket_handshakes]
    return sent_states(server)


def test_either_transport_echoes_the_turn_state_within_its_turn(
    any_api: Api, server: FakeCodexServer
) -> None:
    server.queue(
        tool_call_reply("add", {"a": 1, "b": 2}, headers=STATE),
        text_reply("3"),
        text_reply("again"),
    )
    assert run_tools(any_api, input="add").output_text == "3"
    assert run_tools(any_api, input="once more").output_text == "again"
    assert states_carried(any_api, server) == [None, "ts-abc", None]


def test_a_turn_state_in_a_metadata_event_is_echoed(any_api: Api, server: FakeCodexServer) -> None:
    """The backend may send the state in a ``response.metadata`` event instead of a header."""
    metadata = {"type": "response.metadata", "headers": {"x-codex-turn-state": "ts-meta"}}
    conversation = any_api.client.conversation(
        **SETTINGS, tools=[c.FunctionTool.from_function(add)], prewarm=False
    )
    server.queue(
        tool_call_reply("add", {"a": 1, "b": 2}, call_id="call_1").insert(metadata, after=1),
        text_reply("3"),
        text_reply("next turn"),
    )
    ask(any_api, conversation, "add")
    ask(any_api, conversation, [c.FunctionCallOutput(call_id="call_1", output="3")])
    ask(any_api, conversation, "thanks")
    assert states_carried(any_api, server) == [None, "ts-meta", None]
