"""The WebSocket transport against the fake backend: choice, handshake, faults, incremental input.

The scenarios shared with SSE run on both transports through the ``api`` fixture; these are
the WebSocket's own.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

import codex_open_client as c
from codex_open_client.testing import (
    FakeCodexServer,
    error_frame_reply,
    function_call,
    http_error,
    message,
    reasoning,
    reply,
    usage_limit_reached,
)

BASE: dict[str, Any] = {
    "model": "gpt-5.1-codex-mini",
    "instructions": "You are helpful.",
    "input": "Hello!",
}
CAPTURE = Path("/work/shared/reference/cli-0.169/websocket-tool-turn-and-resume.json")


def client(server: FakeCodexServer, **kwargs: Any) -> c.AsyncClient:
    options: dict[str, Any] = {
        "access_token": server.access_token,
        "account_id": server.account_id,
        "base_url": server.url,
        "chatgpt_base_url": server.chatgpt_base_url,
        "max_retries": 0,
        "transport": "websocket",
        **kwargs,
    }
    return c.AsyncClient(**options)


def run(server: FakeCodexServer, body: Callable[[c.AsyncClient], Awaitable[Any]], **kw: Any) -> Any:
    async def go() -> Any:
        async with client(server, **kw) as api:
            return await body(api)

    return asyncio.run(go())


def frames(server: FakeCodexServer) -> list[Any]:
    """The frames that asked for an answer (a conversation's prewarms left out)."""
    return [r for r in server.answered_requests if r.transport == "websocket"]


def prewarms(server: FakeCodexServer) -> list[Any]:
    return [r for r in server.requests if r.is_prewarm]


# ---------------------------------------------------------------------------------- choice


@pytest.mark.parametrize("cls", [c.Client, c.AsyncClient])
def test_bad_transport_names_the_three_choices(cls: Any) -> None:
    with pytest.raises(ValueError, match=r"'sse'.*'websocket'.*'auto'"):
        cls(access_token="t", transport="ws")


def test_bad_per_call_transport_names_the_three_choices(server: FakeCodexServer) -> None:
    async def body(api: c.AsyncClient) -> None:
        with pytest.raises(ValueError, match=r"'sse'.*'websocket'.*'auto'"):
            await api.responses.create(**BASE, transport="http")  # type: ignore[call-overload]

    run(server, body)
    assert server.requests == []


def test_per_call_transport_overrides_the_client(server: FakeCodexServer) -> None:
    async def body(api: c.AsyncClient) -> None:
        await api.responses.create(**BASE)
        await api.responses.create(**BASE, transport="sse")

    run(server, body)
    assert [r.transport for r in server.requests] == ["websocket", "http"]


def test_default_is_sse(server: FakeCodexServer) -> None:
    run(server, lambda api: api.responses.create(**BASE), transport="sse")
    assert [r.transport for r in server.requests] == ["http"]
    assert server.websocket_handshakes == []


# ------------------------------------------------------------------------------- handshake


def test_handshake_headers_as_the_cli_sends_them(server: FakeCodexServer) -> None:
    run(server, lambda api: api.responses.create(**BASE), session_id="sess-1")
    (handshake,) = server.websocket_handshakes
    capture = json.loads(CAPTURE.read_text())["handshakes"][0]["headers"]
    ours = {name.lower() for name in handshake.headers}
    # Every Codex header of the CLI's upgrade that the SDK knows a value for.
    for name in ("authorization", "chatgpt-account-id", "user-agent", "originator"):
        assert name in {n.lower() for n in capture} and name in ours
    assert handshake.headers["OpenAI-Beta"] == capture["openai-beta"]
    assert handshake.headers["session-id"] == "sess-1"
    assert handshake.headers["x-client-request-id"] == "sess-1"
    assert handshake.headers["Authorization"] == f"Bearer {server.access_token}"
    assert "permessage-deflate" in handshake.headers["Sec-WebSocket-Extensions"]
    assert "accept" not in {n for n in ours if n == "accept" and handshake.headers[n] != "*/*"}
    assert "content-type" not in ours and "session_id" not in ours


def test_capture_frames_and_ours_have_the_same_fields(server: FakeCodexServer) -> None:
    """The CLI's captured frames are accepted by the fake, and ours have the same shape."""
    capture = json.loads(CAPTURE.read_text())
    cli = [f["frame"] for f in capture["client_frames"]]
    turn = next(f for f in cli if f.get("generate") is not False and "previous_response_id" in f)
    server.queue(reply(function_call("exec_command", {"cmd": "echo hi"})), reply(message("ok")))

    async def body(api: c.AsyncClient) -> None:
        result = await api.responses.run_tools(
            **{**BASE, "input": "run it"},
            tools=[_exec_command],
            reasoning={"effort": "medium", "summary": "auto"},
            text={"verbosity": "low"},
            tool_choice="auto",
            parallel_tool_calls=True,
        )
        assert result.output_text == "ok"

    run(server, body)
    first, follow_up = (r.frame for r in frames(server))
    shared = {"type", "model", "input", "tools", "tool_choice", "parallel_tool_calls"}
    shared |= {"reasoning", "store", "stream", "include", "prompt_cache_key", "text"}
    assert shared <= set(turn) and shared <= set(first)
    for name in shared:
        assert type(first[name]) is type(turn[name]), name
    assert follow_up["previous_response_id"] and "previous_response_id" in turn
    assert [item["type"] for item in follow_up["input"]] == ["function_call_output"]
    assert set(follow_up["input"][0]) >= {"type", "call_id", "output"}
    cli_outputs = [i for f in cli for i in f["input"] if i.get("type") == "function_call_output"]
    assert cli_outputs and set(cli_outputs[0]) >= set(follow_up["input"][0]) - {"id"}


def _exec_command(cmd: str) -> str:
    """Run a command."""
    return f"ran {cmd}"


def test_cli_frames_are_accepted_by_the_fake(server: FakeCodexServer) -> None:
    capture = json.loads(CAPTURE.read_text())
    first = capture["client_frames"][0]["frame"]

    async def go() -> list[str]:
        import aiohttp

        async with aiohttp.ClientSession() as session:
            headers = {"Authorization": f"Bearer {server.access_token}"}
            async with session.ws_connect(server.websocket_url, headers=headers) as ws:
                await ws.send_str(json.dumps(first))
                kinds: list[str] = []
                while not kinds or kinds[-1] not in ("response.completed", "error"):
                    kinds.append(json.loads((await ws.receive(5)).data)["type"])
                return kinds

    assert asyncio.run(go())[-1] == "response.completed"


# ---------------------------------------------------------------------------------- faults


def test_426_auto_falls_back_to_sse_once_and_logs_it(
    server: FakeCodexServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.websocket = False
    try:
        caplog.set_level(logging.INFO, logger="codex_open_client")

        async def body(api: c.AsyncClient) -> list[str]:
            return [(await api.responses.create(**BASE)).output_text for _ in range(3)]

        texts = run(server, body, transport="auto")
    finally:
        server.websocket = True
    assert texts == [texts[0]] * 3
    assert len(server.websocket_handshakes) == 1  # no retry loop
    assert [r.transport for r in server.requests] == ["http"] * 3
    logged = [r for r in caplog.records if "using SSE" in r.getMessage()]
    assert len(logged) == 1 and logged[0].levelno == logging.INFO


def test_426_websocket_raises_a_clear_error(server: FakeCodexServer) -> None:
    server.websocket = False
    try:
        with pytest.raises(c.APIError, match=r"426.*transport='sse'") as info:
            run(server, lambda api: api.responses.create(**BASE))
    finally:
        server.websocket = True
    assert info.value.status_code == 426
    assert server.requests == []


def test_auto_falls_back_when_no_socket_can_be_made(server: FakeCodexServer) -> None:
    server.queue_for("websocket", http_error(426))
    assert run(server, lambda api: api.responses.create(**BASE), transport="auto").output_text
    assert [r.transport for r in server.requests] == ["http"]


def test_upgrade_401_is_recovered_once(server: FakeCodexServer, tmp_path: Path) -> None:
    auth = tmp_path / "auth.json"
    auth.write_text(json.dumps(server.mint_credentials()))
    auth.chmod(0o600)
    server.queue_for("websocket", http_error(401))
    text = run(
        server,
        lambda api: api.responses.create(**BASE),
        access_token=None,
        account_id=None,
        token_path=auth,
        issuer=server.issuer,
    ).output_text
    assert text
    assert len(server.websocket_handshakes) == 2
    assert [r.transport for r in server.requests if r.path.endswith("/responses")] == ["websocket"]


def test_close_mid_stream_is_a_stream_error_with_the_partial_response(
    server: FakeCodexServer,
) -> None:
    server.queue(reply(message("Hello there, friend")).close_socket(after=4, code=1011))

    async def body(api: c.AsyncClient) -> None:
        stream = await api.responses.create(**BASE, stream=True)
        with pytest.raises(c.StreamError, match="closed") as info:
            async for _ in stream:
                pass
        assert info.value.response is not None and info.value.response.id

    run(server, body)


def test_close_before_any_event_reached_the_caller_is_retried(server: FakeCodexServer) -> None:
    server.queue(reply(message("first")).close_socket(after=1), reply(message("second")))
    response = run(server, lambda api: api.responses.create(**BASE), max_retries=1)
    assert response.output_text == "second"


def test_connection_limit_resends_in_full_on_a_new_socket(server: FakeCodexServer) -> None:
    server.websocket_request_limit = 1
    try:

        async def body(api: c.AsyncClient) -> list[str]:
            conversation = api.conversation(model=BASE["model"], instructions="x")
            return [(await conversation.ask(f"turn {i}")).output_text for i in range(3)]

        texts = run(server, body)
    finally:
        server.websocket_request_limit = None
    assert all(texts)
    # The first socket's one request was the prewarm; each turn then hit the limit.
    assert len(server.websocket_handshakes) == 4 and len(prewarms(server)) == 1
    firsts = [r for r in frames(server) if r.frame_index == 0]
    assert len(firsts) == 3 and all("previous_response_id" not in r.frame for r in firsts)
    assert [len(r.frame["input"]) for r in firsts] == [1, 3, 5]  # the whole history


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (http_error(429, {"error": {"type": "rate_limit_exceeded", "message": "slow"}}), "rate"),
        (usage_limit_reached(), "quota"),
        (http_error(400, {"error": {"message": "Unsupported parameter: foo"}}), "invalid"),
        (http_error(401), "auth"),
        (http_error(503, {"error": {"code": "server_is_overloaded"}}), "server"),
    ],
)
def test_error_frames_raise_what_http_raises(
    server: FakeCodexServer, answer: Any, error: str
) -> None:
    outcome: dict[str, type[BaseException]] = {}
    for transport in ("sse", "websocket"):
        server.queue(answer)
        with pytest.raises(c.CodexError) as info:
            run(server, lambda api: api.responses.create(**BASE), transport=transport)
        outcome[transport] = type(info.value)
        if error in ("rate", "quota"):
            assert getattr(info.value, "rate_limits", None) is not None or error == "rate"
        if error == "quota":
            assert isinstance(info.value, c.QuotaExceededError) and info.value.resets_at
    expected = {
        "rate": c.RateLimitError,
        "quota": c.QuotaExceededError,
        "invalid": c.InvalidRequestError,
        "auth": c.AuthError,
        "server": c.ServerError,
    }[error]
    assert outcome["websocket"] is outcome["sse"] and issubclass(outcome["sse"], expected)


def test_error_frame_with_2xx_status_is_ignored(server: FakeCodexServer) -> None:
    frame = error_frame_reply({"message": "fine"}, status=200).steps[0]
    assert isinstance(frame, dict)
    server.queue(reply(message("Hi!")).insert(frame, after=1))
    assert run(server, lambda api: api.responses.create(**BASE)).output_text == "Hi!"


def test_error_frame_without_status_times_out_with_a_typed_error(
    server: FakeCodexServer,
) -> None:
    server.queue(error_frame_reply({"code": "mystery"}, status=None))
    with pytest.raises(c.APITimeoutError, match="without a status"):
        run(server, lambda api: api.responses.create(**BASE), timeout=0.5)


def test_unparsable_frames_are_skipped(server: FakeCodexServer) -> None:
    server.queue(reply(message("Hi!")).malformed_after(2))
    assert run(server, lambda api: api.responses.create(**BASE)).output_text == "Hi!"


def test_binary_frame_is_a_stream_error_naming_it(server: FakeCodexServer) -> None:
    server.queue(reply(message("Hi!")).binary(b"\x01\x02\x03", after=2))
    with pytest.raises(c.StreamError, match="binary WebSocket frame arrived \\(3 bytes\\)"):
        run(server, lambda api: api.responses.create(**BASE))


def test_stream_idle_timeout(server: FakeCodexServer) -> None:
    server.queue(reply(message("Hi!")).pause(3, after=2))

    async def body(api: c.AsyncClient) -> None:
        stream = await api.responses.create(**BASE, stream=True, timeout=0.3)
        with pytest.raises(c.APITimeoutError, match=r"no data for 0\.3s"):
            async for _ in stream:
                pass

    run(server, body)
    server.wait_for_open_websockets(0)


def test_idle_sockets_are_closed_after_the_idle_timeout(server: FakeCodexServer) -> None:
    async def body(api: c.AsyncClient) -> None:
        api._transport.websockets().idle_seconds = 0.2
        await api.responses.create(**BASE)
        assert api._transport.websockets().open_sockets == 1
        for _ in range(100):
            if api._transport.websockets().open_sockets == 0:
                break
            await asyncio.sleep(0.05)
        assert api._transport.websockets().open_sockets == 0

    run(server, body)
    assert server.wait_for_open_websockets(0) == 0


def test_cancellation_at_random_points_leaves_no_socket_open(server: FakeCodexServer) -> None:
    rng = random.Random(9)

    async def body(api: c.AsyncClient) -> None:
        for _ in range(12):
            server.queue(reply(message("word " * 30)).paced(0.002))
            task = asyncio.ensure_future(api.responses.create(**BASE))
            await asyncio.sleep(rng.uniform(0, 0.08))
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        pool = api._transport.websockets()
        assert pool.open_sockets <= 1  # at most the idle one of a completed response

    run(server, body)
    assert server.wait_for_open_websockets(0) == 0
    assert server.websockets_opened >= 2


def test_client_close_while_streaming(server: FakeCodexServer) -> None:
    server.queue(reply(message("Hello there")).pause(5, after=2))

    async def go() -> None:
        api = client(server)
        stream = await api.responses.create(**BASE, stream=True)
        await stream.__anext__()
        await api.aclose()
        with pytest.raises(c.StreamError, match="client was closed"):
            async for _ in stream:
                pass

    asyncio.run(go())
    assert server.wait_for_open_websockets(0) == 0


def test_concurrent_requests_open_more_sockets_and_reuse_them(server: FakeCodexServer) -> None:
    async def body(api: c.AsyncClient) -> None:
        for _ in range(2):
            await asyncio.gather(*(api.responses.create(**BASE) for _ in range(3)))

    run(server, body)
    assert server.websockets_opened == 3


# ------------------------------------------------------------------------ incremental input


def _tool_turn_replies(k: int) -> list[Any]:
    blob = f"enc-{k}-" + "x" * 2000
    return [
        reply(
            reasoning([f"**Plan** {k}"], encrypted_content=blob),
            function_call("lookup", {"k": k}),
        ),
        reply(reasoning([f"**Done** {k}"], encrypted_content=blob), message(f"answer {k}")),
    ]


LOOKUP = {
    "type": "function",
    "name": "lookup",
    "description": "Look k up.",
    "parameters": {"type": "object", "properties": {"k": {"type": "integer"}}},
}


def _lookup(k: int) -> str:
    """Look k up."""
    return f"value {k}"


def test_fifty_turns_send_only_each_turns_new_items(server: FakeCodexServer) -> None:
    turns = 50

    async def body(api: c.AsyncClient) -> list[str]:
        conversation = api.conversation(model=BASE["model"], instructions="x", tools=[LOOKUP])
        texts = []
        for k in range(turns):
            server.queue(*_tool_turn_replies(k))
            response = await conversation.ask(f"question {k}")
            while any(item.type == "function_call" for item in response.output):
                call = next(item for item in response.output if item.type == "function_call")
                response = await conversation.ask(
                    [c.FunctionCallOutput(call_id=call.call_id, output=_lookup(k))]
                )
            texts.append(response.output_text)
        return texts

    texts = run(server, body)
    assert texts == [f"answer {k}" for k in range(turns)]
    sent = frames(server)
    assert len(sent) == 2 * turns
    (prewarm,) = prewarms(server)  # the first turn chains on the socket's prewarm
    assert prewarm.frame_index == 0 and sent[0].frame_index == 1
    for k, record in enumerate(sent):
        assert record.frame["previous_response_id"], k
        (item,) = record.frame["input"]  # only this request's new item
        expected = "function_call_output" if k % 2 else "message"
        assert item["type"] == expected, k
    assert len(server.websocket_handshakes) == 1
    # The fake expands each chain: the model saw the whole history every time.
    # user, reasoning, call, call output, reasoning, answer per turn; the last answer not yet
    assert len(sent[-1].json["input"]) == 6 * turns - 2


def test_broken_chain_falls_back_to_a_full_request(server: FakeCodexServer) -> None:
    async def body(api: c.AsyncClient) -> str:
        conversation = api.conversation(model=BASE["model"], instructions="x")
        await conversation.ask("one")
        pool = api._transport.websockets()
        (sock,) = [s for idle in pool._idle.values() for s in idle]
        assert sock.chain is not None
        sock.chain = attrs.evolve(sock.chain, response_id="resp_gone")
        server.queue(reply(message("two, right")))
        return (await conversation.ask("two")).output_text

    assert run(server, body) == "two, right"
    sent = frames(server)
    assert sent[1].frame["previous_response_id"] == "resp_gone"
    assert "previous_response_id" not in sent[2].frame
    assert len(sent[2].frame["input"]) == 3 and sent[2].socket_id == sent[1].socket_id


def test_changed_fields_send_the_whole_request(server: FakeCodexServer) -> None:
    async def body(api: c.AsyncClient) -> None:
        conversation = api.conversation(model=BASE["model"], instructions="x")
        await conversation.ask("one")
        await conversation.ask("two", reasoning={"effort": "high"})

    run(server, body)
    first, second = frames(server)
    assert "previous_response_id" in first.frame  # chained on the prewarm
    assert "previous_response_id" not in second.frame and len(second.frame["input"]) == 3


def test_sse_never_sends_previous_response_id(server: FakeCodexServer) -> None:
    async def body(api: c.AsyncClient) -> None:
        conversation = api.conversation(model=BASE["model"], instructions="x")
        for text in ("one", "two", "three"):
            await conversation.ask(text)

    run(server, body, transport="sse")
    assert all("previous_response_id" not in (r.json or {}) for r in server.requests)


def test_sync_client_over_websocket(server: FakeCodexServer) -> None:
    with c.Client(
        access_token=server.access_token,
        account_id=server.account_id,
        base_url=server.url,
        transport="websocket",
    ) as api:
        conversation = api.conversation(model=BASE["model"], instructions="x")
        assert conversation.ask("one").output_text
        assert conversation.ask("two").output_text
    assert "previous_response_id" in frames(server)[1].frame
    assert server.wait_for_open_websockets(0) == 0


def test_a_socket_near_the_connection_limit_is_renewed(server: FakeCodexServer) -> None:
    """A socket older than the pool's max age (55 of the backend's 60 minutes) is not reused."""

    async def body(api: c.AsyncClient) -> None:
        conversation = api.conversation(model=BASE["model"], instructions="x")
        await conversation.ask("one")
        api._transport.websockets().max_age = 0.0  # every socket is now too old
        await conversation.ask("two")

    run(server, body)
    first, second = frames(server)
    assert first.socket_id != second.socket_id
    # On the new socket, the whole history follows its prewarm (whose input was empty).
    assert [r.socket_id for r in prewarms(server)] == [first.socket_id, second.socket_id]
    assert len(second.frame["input"]) == 3
    assert server.wait_for_open_websockets(0) == 0


def test_pings_are_answered() -> None:
    """A backend that pings before answering gets its pong (and then answers)."""
    from aiohttp import WSMsgType, web

    seen: list[str] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        frame = json.loads((await ws.receive()).data)
        seen.append(frame["type"])
        await ws.ping(b"are you there")
        pong = await ws.receive()
        seen.append(pong.type.name)
        if pong.type is WSMsgType.PONG:
            done = {"id": "resp_1", "status": "completed", "output": [], "model": frame["model"]}
            await ws.send_str(json.dumps({"type": "response.completed", "response": done}))
        await ws.receive()
        return ws

    async def go() -> str:
        app = web.Application()
        app.router.add_get("/codex/responses", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            async with c.AsyncClient(
                access_token="t", base_url=f"http://127.0.0.1:{port}/codex", transport="websocket"
            ) as api:
                return str((await api.responses.create(**BASE, timeout=5)).id)
        finally:
            await runner.cleanup()

    assert asyncio.run(go()) == "resp_1"
    assert seen == ["response.create", "PONG"]


def test_auto_falls_back_when_the_upgrade_does_not_come_within_a_second(
    server: FakeCodexServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="codex_open_client")
    server.queue_for("websocket", http_error(500).delayed(5.0))
    response = run(server, lambda api: api.responses.create(**BASE), transport="auto")
    assert response.output_text
    assert [r.transport for r in server.requests] == ["http"]
    (logged,) = [r for r in caplog.records if "using SSE" in r.getMessage()]
    assert "no connection within 1s" in logged.getMessage()


# ---------------------------------------------------------------------------------- prewarm

DEVELOPER = {"role": "developer", "content": "You are Codex, a coding agent."}


@pytest.mark.parametrize("cls", [c.Client, c.AsyncClient])
def test_conversation_prewarms_a_new_socket_as_the_cli_does(
    server: FakeCodexServer, cls: Any
) -> None:
    """By default: generate:false with only the developer message, then the turn chained."""
    capture = json.loads(CAPTURE.read_text())
    cli_prewarm = capture["client_frames"][0]["frame"]
    assert cli_prewarm["generate"] is False
    server.queue(reply(message("one")), reply(message("two")))
    options: dict[str, Any] = {
        "access_token": server.access_token,
        "base_url": server.url,
        "max_retries": 0,
    }
    convo = {"model": BASE["model"], "instructions": "x", "transport": "websocket"}
    if cls is c.Client:
        with c.Client(**options) as sync_api:
            conversation = sync_api.conversation(**convo)
            assert conversation.ask([DEVELOPER, {"role": "user", "content": "a"}]).output_text
            assert conversation.ask("b").output_text == "two"
    else:

        async def go() -> None:
            async with c.AsyncClient(**options) as api:
                conversation = api.conversation(**convo)
                answer = await conversation.ask([DEVELOPER, {"role": "user", "content": "a"}])
                assert answer.output_text == "one"
                assert (await conversation.ask("b")).output_text == "two"

        asyncio.run(go())
    (prewarm,) = prewarms(server)
    first, second = frames(server)
    assert server.wait_for_open_websockets(0) == 0
    assert len({r.socket_id for r in (prewarm, first, second)}) == 1  # one socket, one prewarm
    # The prewarm's shape is the CLI's: the request's fields, generate:false, the developer
    # message only, no previous_response_id.
    assert prewarm.frame["generate"] is False
    assert "previous_response_id" not in prewarm.frame
    assert [i["role"] for i in prewarm.frame["input"]] == ["developer"]
    assert [i["role"] for i in cli_prewarm["input"]] == ["developer"]
    shared = {"type", "model", "stream", "store", "include", "prompt_cache_key", "generate"}
    assert shared <= set(cli_prewarm) and shared <= set(prewarm.frame)
    for name in shared:
        assert type(prewarm.frame[name]) is type(cli_prewarm[name]), name
    assert set(prewarm.frame) == (set(first.frame) - {"previous_response_id"}) | {"generate"}
    # The turn chains on the prewarm: only the items after the developer message.
    assert first.frame["previous_response_id"].startswith("resp_")
    assert "generate" not in first.frame
    assert first.frame["input"] == first.json["input"][1:]
    assert first.json["input"][0] == prewarm.frame["input"][0]
    assert [i["role"] for i in first.frame["input"]] == ["user"]
    assert second.frame["previous_response_id"] != first.frame["previous_response_id"]
    assert [i.get("role") for i in second.frame["input"]] == ["user"]


def test_prewarm_without_a_developer_message_sends_an_empty_input(
    server: FakeCodexServer,
) -> None:
    async def body(api: c.AsyncClient) -> None:
        conversation = api.conversation(model=BASE["model"], instructions="x")
        assert (await conversation.ask("hi")).output_text

    run(server, body)
    (prewarm,) = prewarms(server)
    (turn,) = frames(server)
    assert prewarm.frame["input"] == [] and prewarm.frame["generate"] is False
    assert prewarm.frame["instructions"] == "x"
    assert turn.frame["previous_response_id"] and turn.frame["input"] == turn.json["input"]


def test_conversations_prewarm_by_default_single_requests_do_not(server: FakeCodexServer) -> None:
    """As the CLI does: a conversation's new socket is prewarmed unless prewarm=False."""

    async def body(api: c.AsyncClient) -> None:
        assert (await api.conversation(model=BASE["model"], instructions="x").ask("a")).id
        assert (await api.responses.create(**BASE)).id
        cold = api.conversation(model=BASE["model"], instructions="x", prewarm=False)
        assert (await cold.ask("b")).id

    run(server, body)
    sent = [r for r in server.requests if r.transport == "websocket" and r.frame is not None]
    assert [r.frame.get("generate") for r in sent] == [False, None, None, None]


def test_bad_prewarm_value_names_the_fix(server: FakeCodexServer) -> None:
    async def body(api: c.AsyncClient) -> None:
        with pytest.raises(TypeError, match=r"prewarm must be True .* or False"):
            api.conversation(model=BASE["model"], instructions="x", prewarm="yes")

    run(server, body)


# ------------------------------------------------------------ per-conversation transport


@pytest.mark.parametrize("cls", [c.Client, c.AsyncClient])
def test_conversation_transport_overrides_the_clients(server: FakeCodexServer, cls: Any) -> None:
    options: dict[str, Any] = {
        "access_token": server.access_token,
        "base_url": server.url,
        "max_retries": 0,
    }
    if cls is c.Client:
        with c.Client(**options) as sync_api:  # the client's default: SSE
            sync_api.conversation(model=BASE["model"], instructions="x", transport="websocket").ask(
                "a"
            )
            sync_api.conversation(model=BASE["model"], instructions="x").ask("b")
            with pytest.raises(ValueError, match=r"'sse'.*'websocket'.*'auto'"):
                sync_api.conversation(model=BASE["model"], instructions="x", transport="ws")
    else:

        async def go() -> None:
            async with c.AsyncClient(**options, transport="websocket") as api:
                over_sse = api.conversation(model=BASE["model"], instructions="x", transport="sse")
                await over_sse.ask("a")
                await api.conversation(model=BASE["model"], instructions="x").ask("b")
                await over_sse.ask("c", transport="websocket")  # one turn's own choice
                with pytest.raises(ValueError, match=r"'sse'.*'websocket'.*'auto'"):
                    api.conversation(model=BASE["model"], instructions="x", transport="ws")

        asyncio.run(go())
    sent = [
        (r.transport, r.json["input"][-1]["content"][0]["text"]) for r in server.answered_requests
    ]
    if cls is c.Client:
        assert sent == [("websocket", "a"), ("http", "b")]
    else:
        assert sent == [("http", "a"), ("websocket", "b"), ("websocket", "c")]
    assert server.wait_for_open_websockets(0) == 0
