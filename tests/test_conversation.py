"""``client.conversation()``: history, reasoning replay, one session per conversation."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import pytest

import codex_open_client as c
from codex_open_client.testing import (
    FakeCodexServer,
    compaction_reply,
    failed_reply,
    function_call,
    message,
    reasoning,
    reply,
    text_reply,
)

from .conftest import Api


def ask(api: Api, conversation: Any, text: Any, /, **overrides: Any) -> c.Response:
    result = conversation.ask(text, **overrides)
    response: c.Response = result if api.mode == "sync" else api.run(result)
    return response


def stream_text(api: Api, conversation: Any, text: str) -> tuple[str, c.Response]:
    if api.mode == "sync":
        with conversation.stream(text) as stream:
            return "".join(stream.text_deltas()), stream.get_final_response()

    async def go() -> tuple[str, c.Response]:
        async with conversation.stream(text) as stream:
            deltas = [d async for d in stream.text_deltas()]
            return "".join(deltas), await stream.get_final_response()

    return api.run(go())  # type: ignore[no-any-return]


def conversation_of(api: Api, **defaults: Any) -> Any:
    return api.client.conversation(
        model="gpt-5.1-codex-mini", instructions="You are helpful.", **defaults
    )


def test_history_grows_and_reasoning_is_replayed(api: Api, server: FakeCodexServer) -> None:
    first = reply(reasoning(["**Name** noted"], encrypted_content="enc-1"), message("Hi Alice!"))
    server.queue(first, text_reply("Your name is Alice."))
    conversation = conversation_of(api, reasoning=c.Reasoning(effort="low", summary="auto"))
    assert type(conversation).__name__ == (
        "Conversation" if api.mode == "sync" else "AsyncConversation"
    )
    r1 = ask(api, conversation, "My name is Alice.")
    r2 = ask(api, conversation, "What's my name?")
    assert r1.output_text == "Hi Alice!"
    assert r2.output_text == "Your name is Alice."

    second = server.answered_requests[-1].json
    kinds = [(item["type"], item.get("role")) for item in second["input"]]
    assert kinds == [
        ("message", "user"),
        ("reasoning", None),
        ("message", "assistant"),
        ("message", "user"),
    ]
    assert second["input"][1]["encrypted_content"] == "enc-1"
    assert second["input"][3]["content"] == [{"type": "input_text", "text": "What's my name?"}]
    assert second["reasoning"] == {"effort": "low", "summary": "auto"}
    assert "reasoning.encrypted_content" in second["include"]
    history = conversation.history
    assert len(history) == 5
    assert history[-1] == r2.output[0]


def test_one_session_per_conversation(api: Api, server: FakeCodexServer) -> None:
    one, two = conversation_of(api), conversation_of(api)
    assert one.session_id != two.session_id != api.client.session_id
    ask(api, one, "a")
    ask(api, one, "b")
    ask(api, two, "c")
    sent = [
        (r.headers["session-id"], r.headers["thread-id"], r.json["prompt_cache_key"])
        for r in server.answered_requests
    ]
    assert sent == [(one.session_id,) * 3, (one.session_id,) * 3, (two.session_id,) * 3]


def test_streamed_turn_joins_the_history_when_it_completes(
    api: Api, server: FakeCodexServer
) -> None:
    server.queue(text_reply("streamed answer"))
    conversation = conversation_of(api)
    text, response = stream_text(api, conversation, "Stream please")
    assert text == "streamed answer" == response.output_text
    assert [type(item) for item in conversation.history] == [
        c.InputMessage,
        c.ResponseOutputMessage,
    ]


def test_a_failed_turn_is_not_kept(api: Api, server: FakeCodexServer) -> None:
    server.queue(failed_reply("invalid_prompt", "Nope"), text_reply("ok"))
    conversation = conversation_of(api)
    with pytest.raises(c.InvalidRequestError):
        ask(api, conversation, "first try")
    assert conversation.history == []
    ask(api, conversation, "second try")
    assert len(server.answered_requests[-1].json["input"]) == 1


def test_overrides_and_bad_arguments(api: Api, server: FakeCodexServer) -> None:
    conversation = conversation_of(api, text=c.TextConfig(verbosity="low"))
    ask(api, conversation, "hi", text=c.TextConfig(verbosity="high"))
    assert server.answered_requests[-1].json["text"] == {"verbosity": "high"}
    with pytest.raises(TypeError, match=r"temperature.*Codex backend"):
        ask(api, conversation, "hi", temperature=0.2)
    with pytest.raises(TypeError, match="'input'"):
        ask(api, conversation, "hi", input="other")
    with pytest.raises(TypeError, match="max_output_tokens"):
        conversation_of(api, max_output_tokens=10)
    conversation.clear()
    assert conversation.history == []
    assert "gpt-5.1-codex-mini" in repr(conversation)


def test_items_and_dicts_as_input(api: Api, server: FakeCodexServer) -> None:
    conversation = conversation_of(api)
    ask(api, conversation, [{"role": "user", "content": "from a dict"}])
    assert server.answered_requests[-1].json["input"][0]["content"] == [
        {"type": "input_text", "text": "from a dict"}
    ]
    assert conversation.history[0] == {"role": "user", "content": "from a dict"}


def test_reasoning_is_replayed_without_a_reasoning_argument(
    api: Api, server: FakeCodexServer
) -> None:
    """include=['reasoning.encrypted_content'] is always asked for, so reasoning goes back."""
    server.queue(reply(reasoning(["think"], encrypted_content="enc-x"), message("A")))
    conversation = conversation_of(api)
    ask(api, conversation, "one")
    ask(api, conversation, "two")
    first, second = (r.json for r in server.answered_requests[-2:])
    assert first["include"] == ["reasoning.encrypted_content"]
    replayed = [i for i in second["input"] if i["type"] == "reasoning"]
    assert [i["encrypted_content"] for i in replayed] == ["enc-x"]


def test_an_incomplete_turn_is_not_kept(api: Api, server: FakeCodexServer) -> None:
    from codex_open_client.testing import incomplete_reply

    server.queue(incomplete_reply("cut sho"))
    conversation = conversation_of(api)
    response = ask(api, conversation, "long question")
    assert response.status == "incomplete"
    assert conversation.history == []


def test_history_is_a_copy(api: Api) -> None:
    conversation = conversation_of(api)
    ask(api, conversation, "hi")
    conversation.history.clear()
    assert len(conversation.history) == 2


# --------------------------------------------------------------------------- auto-compaction


def usage(total: int) -> dict[str, int]:
    return {"input_tokens": total - 10, "output_tokens": 10, "total_tokens": total}


def is_compaction(request: Any) -> bool:
    items = request.input or []
    return bool(items) and items[-1] == {"type": "compaction_trigger"}


def test_auto_compact_triggers_at_the_threshold(api: Api, server: FakeCodexServer) -> None:
    """Below the threshold nothing happens; once a turn's usage reaches it, the next turn is
    preceded by a compaction request and sends the compacted history (messages, the item)."""
    conversation = conversation_of(api, auto_compact=1000)
    server.queue(text_reply("one", usage=usage(999)), text_reply("two", usage=usage(1000)))
    ask(api, conversation, "first")
    ask(api, conversation, "second")
    assert not any(is_compaction(request) for request in server.answered_requests)
    server.queue(compaction_reply("enc-c"), text_reply("three"))
    ask(api, conversation, "third")
    compaction, turn = server.answered_requests[-2:]
    assert is_compaction(compaction)
    assert [item["type"] for item in compaction.input[:-1]] == ["message"] * 4
    assert turn.input == [
        *compaction.input[:-1],
        {"type": "compaction", "id": turn.input[4]["id"], "encrypted_content": "enc-c"},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "third"}]},
    ]
    history = conversation.history
    assert isinstance(history[4], c.ResponseCompactionItem)
    assert len(history) == 7  # 4 messages, the item, the new message, its answer


def test_auto_compact_before_a_tool_follow_up(api: Api, server: FakeCodexServer) -> None:
    """The captured CLI's case: a tool call whose usage passes the limit. The tool output is
    compacted with the history, and the follow-up is the messages and the item alone."""
    conversation = conversation_of(api, auto_compact=1000)
    call = function_call("exec_command", {"cmd": "echo hi"}, call_id="call_1")
    server.queue(
        reply(reasoning(["**Planning**"], encrypted_content="enc-r"), call, usage=usage(50_000)),
        compaction_reply("enc-2"),
        text_reply("hi"),
    )
    first = ask(api, conversation, "run echo hi")
    assert first.tool_calls
    ask(api, conversation, [c.FunctionCallOutput(call_id="call_1", output="hi\n")])
    compaction, follow_up = server.answered_requests[-2:]
    assert [item["type"] for item in compaction.input] == [
        "message",
        "reasoning",
        "function_call",
        "function_call_output",
        "compaction_trigger",
    ]
    assert [item["type"] for item in follow_up.input] == ["message", "compaction"]
    assert follow_up.input[0]["content"][0]["text"] == "run echo hi"
    assert follow_up.input[1]["encrypted_content"] == "enc-2"
    assert [item.type for item in conversation.history] == ["message", "compaction", "message"]


def test_auto_compact_true_reads_the_catalog(api: Api, server: FakeCodexServer) -> None:
    """``auto_compact=True``: the model's ``auto_compact_token_limit`` from ``/models``."""
    entry = next(m for m in server.model_catalog if m["slug"] == "gpt-5.1-codex-mini")
    saved = dict(entry)
    entry["auto_compact_token_limit"] = 5000
    try:
        conversation = conversation_of(api, auto_compact=True)
        server.queue(text_reply("a", usage=usage(4999)))
        ask(api, conversation, "one")
        ask(api, conversation, "two")  # 4999 < 5000: not compacted
        assert not any(is_compaction(request) for request in server.answered_requests)
        server.queue(text_reply("b", usage=usage(5000)))
        ask(api, conversation, "three")
        ask(api, conversation, "four")
        assert is_compaction(server.answered_requests[-2])
    finally:
        entry.clear()
        entry.update(saved)


def test_auto_compact_true_without_a_limit_uses_the_context_window(
    api: Api, server: FakeCodexServer
) -> None:
    """No limit in the catalog: 90% of the context window, as the CLI does; neither: an error
    before anything is sent."""
    entry = next(m for m in server.model_catalog if m["slug"] == "gpt-5.1-codex-mini")
    saved = dict(entry)
    entry["auto_compact_token_limit"], entry["context_window"] = None, 10_000
    try:
        conversation = conversation_of(api, auto_compact=True)
        server.queue(text_reply("a", usage=usage(9000)))
        ask(api, conversation, "one")
        ask(api, conversation, "two")
        assert is_compaction(server.answered_requests[-2])
        entry["context_window"] = None
        other = conversation_of(api, auto_compact=True)
        server.queue(text_reply("a", usage=usage(9000)))
        ask(api, other, "one")
        sent = len(server.answered_requests)
        with pytest.raises(ValueError, match="auto_compact=200_000"):
            ask(api, other, "two")
        assert len(server.answered_requests) == sent + 1  # the /models fetch only
    finally:
        entry.clear()
        entry.update(saved)


def test_compact_now_and_bad_auto_compact(api: Api, server: FakeCodexServer) -> None:
    """``conversation.compact()`` replaces the history at once; bad thresholds are refused."""
    conversation = conversation_of(api)
    ask(api, conversation, "hi")
    server.queue(compaction_reply("enc-now"))
    result = conversation.compact()
    history = result if api.mode == "sync" else api.run(result)
    assert history == conversation.history
    assert [item.type for item in history] == ["message", "message", "compaction"]
    for bad in (0, -5, "yes", 1.5):
        with pytest.raises(ValueError, match="auto_compact must be"):
            conversation_of(api, auto_compact=bad)


def test_after_a_compaction_the_window_and_the_chain_start_anew(
    api: Api, server: FakeCodexServer
) -> None:
    """As the CLI counts context windows: ``x-codex-window-id`` goes from ``<id>:0`` to
    ``<id>:1``; over WebSocket the turn after it is sent whole (no ``previous_response_id``),
    later turns chain again."""
    conversation = conversation_of(api, auto_compact=1000)
    sid = conversation.session_id
    server.queue(text_reply("one", usage=usage(5000)))
    ask(api, conversation, "first")
    ask(api, conversation, "second")  # compacted first
    ask(api, conversation, "third")
    first, compaction, second, third = server.answered_requests
    assert is_compaction(compaction)
    windows = [r.headers["x-codex-window-id"] for r in (first, compaction, second, third)]
    assert windows == [f"{sid}:0", f"{sid}:0", f"{sid}:1", f"{sid}:1"]
    if getattr(api, "transport", "sse") == "websocket":
        # A new socket, whose chain starts at its prewarm: the compacted history follows it.
        prewarm = next(
            r for r in server.requests if r.is_prewarm and r.socket_id == second.socket_id
        )
        assert second.socket_id != first.socket_id
        assert (prewarm.frame_index, second.frame_index) == (0, 1)
        assert second.frame["previous_response_id"]
        assert second.json["input"][-2]["type"] == "compaction"
        assert third.frame["previous_response_id"] != second.frame["previous_response_id"]
        assert len(third.frame["input"]) == 1  # only the new message


def test_stream_and_a_due_compaction(api: Api, server: FakeCodexServer) -> None:
    """``stream()`` compacts first, as ``ask()`` does (the async one when it is opened), and
    the streamed turn is sent after the compacted history."""
    conversation = conversation_of(api, auto_compact=1000)
    server.queue(text_reply("one", usage=usage(5000)))
    ask(api, conversation, "first")
    assert stream_text(api, conversation, "second")
    first, compaction, second = server.answered_requests
    assert not is_compaction(first)
    assert is_compaction(compaction) and not is_compaction(second)
    sent = second.json["input"]
    assert [item["type"] for item in sent[-2:]] == ["compaction", "message"]
    assert sent[-1]["content"][0]["text"] == "second"
    history = conversation.history
    assert history[-2].type == "message" and history[-1].type == "message"
    assert any(item.type == "compaction" for item in history)


@pytest.mark.parametrize("transport", ["sse", "websocket"])
def test_an_async_stream_iterated_straight_away_compacts_first(
    server: FakeCodexServer, transport: Literal["sse", "websocket"]
) -> None:
    """No ``async with``: the first ``async for`` opens the stream, and the compaction runs."""

    async def go() -> str:
        async with c.AsyncClient(
            access_token=server.access_token, base_url=server.url, transport=transport
        ) as client:
            conversation = client.conversation(
                model="gpt-5.1-codex-mini", instructions="You are helpful.", auto_compact=1000
            )
            server.queue(text_reply("one", usage=usage(5000)))
            await conversation.ask("first")
            stream = conversation.stream("second")
            deltas = [e.delta async for e in stream if e.type == "response.output_text.delta"]
            return "".join(deltas)

    assert asyncio.run(go())
    assert [is_compaction(r) for r in server.answered_requests] == [False, True, False]
