"""The fake backend's WebSocket transport, over real sockets with aiohttp's own client.

The client here is ``aiohttp.ClientSession.ws_connect``, not the SDK, so these tests pin the
fake's side of the protocol: what the real Codex CLI 0.169 sends and accepts (the captures in
``shared/reference/cli-0.169``, copied into ``CAPTURE`` below where they are needed).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest

from codex_open_client.testing import (
    FakeCodexServer,
    OutputPart,
    RecordedRequest,
    Reply,
    compaction,
    compaction_reply,
    error_frame_reply,
    failed_reply,
    function_call,
    http_error,
    load_script,
    message,
    reasoning,
    replies_from_script,
    reply,
    text_reply,
    usage_limit_reached,
)
from tests.test_fake_server import Standalone, apost, body_with

T = TypeVar("T")

TERMINAL = {"response.completed", "response.failed", "response.incomplete"}
WAIT = 10.0  # a hang guard, never a timed assertion

USER = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "say hi"}]}
FRAME: dict[str, Any] = {
    "type": "response.create",
    "model": "gpt-5.4",
    "input": [USER],
    "tools": [],
    "tool_choice": "auto",
    "parallel_tool_calls": True,
    "store": False,
    "stream": True,
    "include": ["reasoning.encrypted_content"],
    "prompt_cache_key": "01a236db-c30b-7c61-a1ba-7981cbaf8be8",
}
CONNECTION_LIMIT_MESSAGE = (
    "Responses websocket connection limit reached (60 minutes). "
    "Create a new websocket connection to continue."
)


def frame_with(**changes: Any) -> dict[str, Any]:
    """FRAME with some keys changed; a value of ``...`` removes the key."""
    frame = {**FRAME, **changes}
    return {k: v for k, v in frame.items() if v is not ...}


@pytest.fixture
def server() -> Iterator[FakeCodexServer]:
    """A running fake backend of its own (tests change its WebSocket settings)."""
    with FakeCodexServer() as fake:
        yield fake


def run(factory: Callable[[], Awaitable[T]]) -> T:
    """Run an async test body on a fresh event loop."""

    async def main() -> T:
        return await factory()

    return asyncio.run(main())


def auth(server: FakeCodexServer) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {server.access_token}",
        "ChatGPT-Account-ID": server.account_id,
        "OpenAI-Beta": "responses_websockets=2026-02-06",
    }


@asynccontextmanager
async def connect(
    server: FakeCodexServer, headers: Mapping[str, str] | None = None
) -> AsyncIterator[aiohttp.ClientWebSocketResponse[bool]]:
    """Open a WebSocket to the fake's ``/responses`` (permessage-deflate offered)."""
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(
            server.websocket_url,
            headers=auth(server) if headers is None else headers,
            compress=15,
        ) as ws,
    ):
        yield ws


async def receive(ws: aiohttp.ClientWebSocketResponse[bool]) -> Any:
    """The next message (an ``aiohttp.WSMessage``), with a hang guard."""
    return await asyncio.wait_for(ws.receive(), WAIT)


async def exchange(ws: aiohttp.ClientWebSocketResponse[bool], frame: Any) -> list[dict[str, Any]]:
    """Send one frame and read the events of its answer, up to a terminal or error frame."""
    await ws.send_str(frame if isinstance(frame, str) else json.dumps(frame))
    return await events(ws)


async def events(ws: aiohttp.ClientWebSocketResponse[bool]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        msg = await receive(ws)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        event = json.loads(msg.data)
        out.append(event)
        if event["type"] in TERMINAL or event["type"] == "error":
            return out


def types(answer: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in answer]


def done_items(answer: list[dict[str, Any]]) -> list[Any]:
    return [e["item"] for e in answer if e["type"] == "response.output_item.done"]


def completed_id(answer: list[dict[str, Any]]) -> str:
    assert answer[-1]["type"] == "response.completed", types(answer)
    response_id: str = answer[-1]["response"]["id"]
    return response_id


def fixed(*items: dict[str, Any]) -> Reply:
    """A reply streaming exactly these items (as the backend would send them)."""
    parts = [
        OutputPart(item=dict(item), added_item=dict(item), events=lambda index: [])
        for item in items
    ]
    return reply(*parts)


def frames_of(server: FakeCodexServer) -> list[RecordedRequest]:
    return [r for r in server.requests if r.transport == "websocket"]


# ---------------------------------------------------------------------------------------------
# handshake


def test_upgrade_is_accepted_with_deflate_and_the_backend_headers(server: FakeCodexServer) -> None:
    """The upgrade is a 101 with permessage-deflate and the rate-limit and id headers; the
    handshake is recorded apart from the requests, and the socket is counted while open."""

    async def scenario() -> None:
        async with connect(server) as ws:
            assert ws.compress == 15  # permessage-deflate was negotiated
            response = ws._response
            assert response.status == 101
            assert response.headers["x-codex-primary-used-percent"] == "12"
            assert response.headers["x-codex-secondary-window-minutes"] == "10080"
            assert response.headers["x-request-id"]
            assert response.headers["x-models-etag"]
            assert server.open_websockets == 1
            answer = await exchange(ws, FRAME)
            assert types(answer)[:3] == [
                "codex.rate_limits",
                "response.created",
                "response.in_progress",
            ]
            assert types(answer)[-1] == "response.completed"

    run(scenario)
    assert server.wait_for_open_websockets(0) == 0
    assert server.websockets_opened == 1
    [handshake] = server.websocket_handshakes
    assert handshake.method == "GET"
    assert handshake.path == "/backend-api/codex/responses"
    assert handshake.transport == "websocket"
    assert handshake.socket_id == 0
    assert handshake.headers["openai-beta"] == "responses_websockets=2026-02-06"
    assert [r.transport for r in server.requests] == ["websocket"]


def test_upgrade_headers_can_be_added(server: FakeCodexServer) -> None:
    """``websocket_upgrade_headers`` are sent on the 101 (e.g. a turn state)."""
    server.websocket_upgrade_headers = {"x-codex-turn-state": "ts-upgrade"}

    async def scenario() -> None:
        async with connect(server) as ws:
            assert ws._response.headers["x-codex-turn-state"] == "ts-upgrade"

    run(scenario)


def test_websocket_off_answers_426_and_http_still_works(server: FakeCodexServer) -> None:
    """With ``websocket=False`` the upgrade is a 426 (the CLI then falls back at once)."""
    server.websocket = False

    async def scenario() -> None:
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            async with connect(server):
                pass
        assert info.value.status == 426
        answer = await apost(server, body_with(model="gpt-5.4"))
        assert answer.status == 200

    run(scenario)
    [handshake] = server.websocket_handshakes
    assert handshake.socket_id is None
    assert server.websockets_opened == 0
    assert [r.method for r in server.requests] == ["POST"]


def test_websocket_option_of_the_constructor() -> None:
    """``FakeCodexServer(websocket=False)`` is the same switch."""
    with FakeCodexServer(websocket=False) as fake:
        assert fake.websocket is False

        async def scenario() -> int:
            async with aiohttp.ClientSession() as session:
                headers = {**auth(fake), "Upgrade": "websocket", "Connection": "Upgrade"}
                async with session.get(fake.websocket_url, headers=headers) as response:
                    assert await response.json() == {"detail": "Upgrade Required"}
                    return response.status

        assert run(scenario) == 426


def test_a_bad_token_gets_401_on_the_upgrade(server: FakeCodexServer) -> None:
    """The token is checked at the handshake, as for HTTP: a wrong one is a 401."""

    async def scenario() -> None:
        headers = {**auth(server), "Authorization": "Bearer wrong-token"}
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            async with connect(server, headers):
                pass
        assert info.value.status == 401
        async with connect(server) as ws:
            assert completed_id(await exchange(ws, FRAME))

    run(scenario)
    refused, accepted = server.websocket_handshakes
    assert refused.socket_id is None
    assert refused.headers["Authorization"] == "Bearer wrong-token"
    assert accepted.socket_id == 0


def test_minted_tokens_are_accepted_on_the_upgrade(server: FakeCodexServer) -> None:
    """A token the sign-in side minted opens a socket; an expired one gets 401."""
    good = server.mint_credentials()["tokens"]["access_token"]
    expired = server.mint_credentials(expires_in=-10)["tokens"]["access_token"]

    async def scenario() -> None:
        async with connect(server, {"Authorization": f"Bearer {good}"}) as ws:
            assert completed_id(await exchange(ws, FRAME))
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            async with connect(server, {"Authorization": f"Bearer {expired}"}):
                pass
        assert info.value.status == 401

    run(scenario)


def test_queued_plain_replies_answer_the_next_upgrades(server: FakeCodexServer) -> None:
    """``queue_for("websocket", ...)`` answers the next upgrades instead of a 101."""
    server.queue_for("websocket", http_error(500), http_error(426))

    async def scenario() -> list[int]:
        statuses = []
        for _ in range(2):
            with pytest.raises(aiohttp.WSServerHandshakeError) as info:
                async with connect(server):
                    pass
            statuses.append(info.value.status)
        async with connect(server) as ws:
            assert completed_id(await exchange(ws, FRAME))
        return statuses

    assert run(scenario) == [500, 426]
    assert [h.socket_id for h in server.websocket_handshakes] == [None, None, 0]


def test_bad_arguments_name_the_fix(server: FakeCodexServer) -> None:
    """``queue_for`` lists its endpoints; ``close_socket`` checks the close code and reason;
    the WebSocket-only steps need a streamed reply."""
    with pytest.raises(ValueError, match="'models', 'usage', 'websocket', 'compact'"):
        server.queue_for("nope", http_error(500))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="plain Reply"):
        server.queue_for("websocket", text_reply())
    with pytest.raises(ValueError, match="1000-4999"):
        text_reply().close_socket(after=1, code=999)
    with pytest.raises(ValueError, match="123 bytes"):
        text_reply().close_socket(after=1, reason="x" * 124)
    with pytest.raises(ValueError, match="streamed replies"):
        http_error(500).binary(after=0)
    with pytest.raises(ValueError, match="has 10 events"):
        text_reply("a").close_socket(after=11)


# ---------------------------------------------------------------------------------------------
# frames, replies and recording


def test_the_same_reply_is_the_same_events_as_over_sse(server: FakeCodexServer) -> None:
    """One JSON event per text frame: the very objects SSE sends as ``data:``."""
    scripted = reply(reasoning(["**Plan** greet"]), message("Hi there!")).with_headers(
        {"x-codex-turn-state": "ts-1"}
    )
    server.queue(scripted, scripted)

    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        over_http = (await apost(server, body_with(model="gpt-5.4"))).events
        async with connect(server) as ws:
            over_ws = await exchange(ws, FRAME)
        return over_http, over_ws

    over_http, over_ws = run(scenario)
    # Headers a reply sets travel on its first event over WebSocket.
    assert over_ws[0].pop("headers") == {"x-codex-turn-state": "ts-1"}
    assert over_ws == over_http
    assert server.queued == 0


@pytest.mark.parametrize("compress", [15, 0], ids=["deflate", "plain"])
def test_frames_of_every_size_arrive_intact(server: FakeCodexServer, compress: int) -> None:
    """Small, medium (16-bit length) and large (64-bit length) frames, with and without
    permessage-deflate, across several responses on one socket (one deflate context)."""
    deltas = ["a", "b" * 300, "c" * 70_000, "d"]
    server.queue(*[text_reply(deltas=deltas) for _ in range(3)])

    async def scenario() -> list[list[str]]:
        got = []
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(server.websocket_url, headers=auth(server), compress=compress) as ws,
        ):
            assert ws.compress == compress
            for _ in range(3):
                answer = await exchange(ws, FRAME)
                got.append([e["delta"] for e in answer if e["type"].endswith("text.delta")])
        return got

    assert run(scenario) == [deltas] * 3


def test_frames_are_recorded_as_sent_with_the_handshake(server: FakeCodexServer) -> None:
    """Each frame is a RecordedRequest: the frame as sent, the effective body in ``json``,
    the handshake's method, path and headers, the socket id and the frame's position."""
    sent = json.dumps(frame_with(client_metadata={"x-codex-window-id": "w:0"}))

    async def scenario() -> None:
        async with connect(server) as ws:
            await exchange(ws, sent)
            await exchange(ws, sent)
        async with connect(server) as ws:
            await exchange(ws, sent)

    run(scenario)
    first, second, third = server.requests
    assert first.transport == "websocket"
    assert first.method == "GET"
    assert first.path == "/backend-api/codex/responses"
    assert first.headers["Authorization"] == f"Bearer {server.access_token}"
    assert first.headers["ChatGPT-Account-ID"] == server.account_id
    assert first.body == sent.encode()
    assert first.frame == json.loads(sent)
    assert first.json == {k: v for k, v in json.loads(sent).items() if k != "type"}
    assert first.input == [USER]
    assert [(r.socket_id, r.frame_index) for r in (first, second, third)] == [
        (0, 0),
        (0, 1),
        (1, 0),
    ]
    assert server.wait_for_requests(3) == [first, second, third]


def test_http_records_keep_their_defaults(server: FakeCodexServer) -> None:
    """HTTP requests are recorded as before: transport ``http``, no frame, no socket."""
    run(lambda: apost(server, body_with(model="gpt-5.4")))
    [record] = server.requests
    assert (record.transport, record.frame, record.socket_id, record.frame_index) == (
        "http",
        None,
        None,
        None,
    )
    assert record.input == body_with(model="gpt-5.4")["input"]


def test_validation_is_the_same_as_http_as_error_frames(server: FakeCodexServer) -> None:
    """A body the backend refuses over HTTP gets a 400 error frame; the queued reply waits
    and the socket keeps serving."""
    server.queue(text_reply("kept"))
    cases = {
        "temperature": frame_with(temperature=0.2),
        "store": frame_with(store=True),
        "stream": frame_with(stream=False),
        "model": frame_with(model="gpt-3"),
    }

    async def scenario() -> dict[str, list[dict[str, Any]]]:
        answers = {}
        async with connect(server) as ws:
            for name, frame in cases.items():
                answers[name] = await exchange(ws, frame)
            answers["ok"] = await exchange(ws, FRAME)
        return answers

    answers = run(scenario)
    for name in cases:
        [error] = answers[name]
        assert error["type"] == "error"
        assert error["status"] == 400
        assert set(error["headers"]) >= {"x-request-id", "x-oai-request-id"}
    assert answers["temperature"][0]["error"] == {"message": "Unsupported parameter: temperature"}
    assert answers["store"][0]["error"] == {"message": "Store must be set to false"}
    assert answers["stream"][0]["error"] == {"message": "Stream must be set to true"}
    assert "'gpt-3' model is not supported" in answers["model"][0]["error"]["message"]
    text = "".join(e.get("delta", "") for e in answers["ok"] if "text.delta" in e["type"])
    assert text == "kept"
    assert server.queued == 0


def test_plain_replies_become_error_frames_with_their_status(server: FakeCodexServer) -> None:
    """Queued HTTP failures are answered as ``{"type": "error", "status", "error", "headers"}``
    with the body's error object (or its FastAPI detail as the message)."""
    server.queue(usage_limit_reached(resets_at=1796223901), http_error(401), http_error(503))

    async def scenario() -> list[list[dict[str, Any]]]:
        async with connect(server) as ws:
            return [await exchange(ws, FRAME) for _ in range(3)]

    quota, unauthorized, unavailable = (answer[0] for answer in run(scenario))
    assert quota["status"] == 429
    assert quota["error"]["type"] == "usage_limit_reached"
    assert quota["error"]["resets_at"] == 1796223901
    assert quota["headers"]["x-codex-active-limit"] == "codex"
    assert quota["headers"]["x-codex-primary-used-percent"] == "100"
    assert unauthorized["status"] == 401
    assert unauthorized["error"] == {"message": "Unauthorized"}
    assert unavailable["status"] == 503
    assert unavailable["error"] == {"message": "Service Unavailable"}
    assert server.queued == 0


def test_factories_see_the_effective_request(server: FakeCodexServer) -> None:
    """A reply factory gets the frame's record, whose ``json`` has the expanded input."""
    seen: list[RecordedRequest] = []

    def echo(request: RecordedRequest) -> Reply:
        seen.append(request)
        return text_reply(f"{len(request.input)} items")

    async def scenario() -> list[str]:
        texts = []
        async with connect(server) as ws:
            previous = completed_id(await exchange(ws, frame_with(generate=False)))
            server.queue(echo, echo)
            for _ in range(2):
                answer = await exchange(ws, frame_with(previous_response_id=previous, input=[USER]))
                previous = completed_id(answer)
                texts.append(done_items(answer)[0]["content"][0]["text"])
        return texts

    assert run(scenario) == ["2 items", "4 items"]
    assert [len(r.frame["input"]) for r in seen] == [1, 1]


def test_a_factory_error_is_a_500_error_frame(server: FakeCodexServer) -> None:
    """A factory that raises is answered with a 500 error frame naming it."""

    def broken(request: RecordedRequest) -> Reply:
        raise RuntimeError("boom")

    server.queue(broken)

    async def scenario() -> list[dict[str, Any]]:
        async with connect(server) as ws:
            return await exchange(ws, FRAME)

    [error] = run(scenario)
    assert error["status"] == 500
    assert "boom" in error["error"]["message"]


def test_frames_that_are_not_response_create(server: FakeCodexServer) -> None:
    """Non-JSON text, another type and binary frames get 400 error frames; a
    ``response.processed`` acknowledgement gets no answer; all are recorded."""

    async def scenario() -> list[dict[str, Any]]:
        async with connect(server) as ws:
            answers = [(await exchange(ws, "{not json"))[0]]
            answers.append((await exchange(ws, {"type": "response.append", "input": []}))[0])
            await ws.send_str(json.dumps({"type": "response.processed", "response_id": "r"}))
            await ws.send_bytes(b"\x00\x01")
            answers.extend(await events(ws))
            answers.append(completed_id(await exchange(ws, FRAME)))  # type: ignore[arg-type]
            return answers

    bad_json, other_type, binary, ok = run(scenario)
    assert bad_json["status"] == other_type["status"] == binary["status"] == 400
    assert other_type["error"]["message"] == "Unsupported message type: 'response.append'"
    assert isinstance(ok, str)
    records = server.requests
    assert [r.frame_index for r in records] == [0, 1, 2, 3, 4]
    assert records[0].frame is None and records[0].body == b"{not json"
    assert records[1].frame == {"type": "response.append", "input": []}
    assert records[2].frame == {"type": "response.processed", "response_id": "r"}
    assert records[3].body == b"\x00\x01"


# ---------------------------------------------------------------------------------------------
# previous_response_id and prewarm


def test_prewarm_answers_without_output_and_leaves_the_queue(server: FakeCodexServer) -> None:
    """``generate: false`` gets ``codex.rate_limits``, created, in_progress and completed
    with no output, as captured; it does not use the queued reply."""
    server.queue(text_reply("for the turn"))

    async def scenario() -> list[dict[str, Any]]:
        async with connect(server) as ws:
            return await exchange(ws, frame_with(generate=False))

    answer = run(scenario)
    assert types(answer) == [
        "codex.rate_limits",
        "response.created",
        "response.in_progress",
        "response.completed",
    ]
    completed = answer[-1]["response"]
    assert completed["output"] == []
    assert completed["model"] == "gpt-5.4"
    assert completed["usage"]["output_tokens"] == 0
    assert [e["sequence_number"] for e in answer] == [0, 1, 2, 3]
    assert server.queued == 1
    assert server.requests[0].json["generate"] is False


def test_previous_response_id_expands_to_the_full_input(server: FakeCodexServer) -> None:
    """Prewarm, a turn with a tool call, then the tool's output alone: each frame's ``json``
    carries the whole input the CLI would send over HTTP, and replies see it."""
    developer = {
        "type": "message",
        "role": "developer",
        "content": [{"type": "input_text", "text": "You are Codex."}],
    }
    thought = reasoning(["**Plan** run it"])
    call = function_call("exec_command", {"cmd": "echo hi"})
    server.queue(reply(thought, message("Running.", phase="commentary"), call))
    output = {"type": "function_call_output", "call_id": call.item["call_id"], "output": "hi\n"}

    async def scenario() -> list[list[dict[str, Any]]]:
        async with connect(server) as ws:
            prewarm = await exchange(ws, frame_with(input=[developer], generate=False))
            turn = await exchange(
                ws, frame_with(input=[USER], previous_response_id=completed_id(prewarm))
            )
            tool = await exchange(
                ws, frame_with(input=[output], previous_response_id=completed_id(turn))
            )
            return [prewarm, turn, tool]

    prewarm, turn, tool = run(scenario)
    turn_items = done_items(turn)
    assert [i["type"] for i in turn_items] == ["reasoning", "message", "function_call"]
    assert turn_items[0]["encrypted_content"]
    records = server.requests
    assert [r.frame.get("previous_response_id") for r in records] == [
        None,
        completed_id(prewarm),
        completed_id(turn),
    ]
    assert records[1].input == [developer, USER]
    assert records[2].input == [developer, USER, *turn_items, output]
    assert records[2].frame["input"] == [output]
    for record in records:
        assert "previous_response_id" not in record.json
        assert "type" not in record.json
    assert completed_id(tool)


def test_an_unknown_previous_response_id_is_not_found(server: FakeCodexServer) -> None:
    """An id that is not the socket's last completed response is a 400
    ``previous_response_not_found`` error frame: unknown ids, another socket's response,
    an older response and a failed one. A full request afterwards is answered."""
    server.queue(text_reply("a"), text_reply("b"))

    async def scenario() -> list[dict[str, Any]]:
        errors = []
        async with connect(server) as ws, connect(server) as other:
            first = completed_id(await exchange(ws, FRAME))
            elsewhere = completed_id(await exchange(other, FRAME))
            errors += await exchange(ws, frame_with(previous_response_id="resp_unknown"))
            errors += await exchange(ws, frame_with(previous_response_id=elsewhere))
            second = completed_id(await exchange(ws, frame_with(previous_response_id=first)))
            errors += await exchange(ws, frame_with(previous_response_id=first))
            server.queue(failed_reply("server_error", "boom"))
            failed = await exchange(ws, frame_with(previous_response_id=second))
            assert failed[-1]["type"] == "response.failed"
            failed_id = failed[-1]["response"]["id"]
            errors += await exchange(ws, frame_with(previous_response_id=failed_id))
            assert completed_id(await exchange(ws, FRAME))
        return errors

    errors = run(scenario)
    assert len(errors) == 4
    for error in errors:
        assert error["type"] == "error"
        assert error["status"] == 400
        assert error["error"]["code"] == "previous_response_not_found"
        assert error["error"]["type"] == "invalid_request_error"
        assert error["error"]["param"] == "previous_response_id"
    assert errors[0]["error"]["message"] == "Previous response with id 'resp_unknown' not found."
    refused = [r for r in server.requests if r.frame.get("previous_response_id") == "resp_unknown"]
    assert refused[0].json["previous_response_id"] == "resp_unknown"
    assert refused[0].input == [USER]  # not expanded


def test_string_input_chains_as_a_user_message(server: FakeCodexServer) -> None:
    """A string input is one user message when a later frame continues it."""

    async def scenario() -> None:
        async with connect(server) as ws:
            first = completed_id(await exchange(ws, frame_with(input="hello")))
            await exchange(ws, frame_with(input="again", previous_response_id=first))

    run(scenario)
    expanded = server.requests[1].input
    assert expanded[0] == {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": "hello"}],
    }
    assert expanded[-1]["content"][0]["text"] == "again"
    assert expanded[1]["type"] == "message" and expanded[1]["role"] == "assistant"


def test_reasoning_without_include_has_no_encrypted_content(server: FakeCodexServer) -> None:
    """As over HTTP: no ``include`` means reasoning items carry ``encrypted_content: null``,
    also in the input a chain expands to."""
    server.queue(reply(reasoning(), message("ok")))

    async def scenario() -> None:
        async with connect(server) as ws:
            first = await exchange(ws, frame_with(include=...))
            assert done_items(first)[0]["encrypted_content"] is None
            await exchange(
                ws, frame_with(include=..., input=[], previous_response_id=completed_id(first))
            )

    run(scenario)
    assert server.requests[1].input[1]["encrypted_content"] is None


# ---------------------------------------------------------------------------------------------
# faults


def test_close_socket_mid_stream_sends_a_close_frame(server: FakeCodexServer) -> None:
    """``close_socket(after=3, code=..., reason=...)``: three events, then that close frame."""
    server.queue(text_reply("Hello there").close_socket(after=3, code=4000, reason="bye"))

    async def scenario() -> tuple[list[Any], aiohttp.WSMessage]:
        async with connect(server) as ws:
            await ws.send_str(json.dumps(FRAME))
            got = [json.loads((await receive(ws)).data)["type"] for _ in range(3)]
            return got, await receive(ws)

    got, closing = run(scenario)
    assert got == ["codex.rate_limits", "response.created", "response.in_progress"]
    assert closing.type == aiohttp.WSMsgType.CLOSE
    assert (closing.data, closing.extra) == (4000, "bye")
    assert server.wait_for_open_websockets(0) == 0


def test_end_after_closes_normally_and_cut_after_drops(server: FakeCodexServer) -> None:
    """``end_after`` sends a normal close frame (1000); ``cut_after`` drops the connection
    with no close frame at all."""
    server.queue(text_reply("a").end_after(2), text_reply("b").cut_after(2))

    async def scenario() -> list[list[aiohttp.WSMessage]]:
        seen = []
        for _ in range(2):
            async with connect(server) as ws:
                await ws.send_str(json.dumps(FRAME))
                seen.append([await receive(ws) for _ in range(3)])
        return seen

    ended, cut = run(scenario)
    text = aiohttp.WSMsgType.TEXT
    assert [m.type for m in ended] == [text, text, aiohttp.WSMsgType.CLOSE]
    assert ended[2].data == 1000
    assert [m.type for m in cut[:2]] == [text, text]
    assert cut[2].type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
    assert server.wait_for_open_websockets(0) == 0


def test_binary_raw_and_malformed_frames(server: FakeCodexServer) -> None:
    """``binary`` sends a binary frame, ``raw`` and ``malformed_after`` text frames that are
    not events; the reply then goes on."""
    server.queue(
        text_reply("x")
        .binary(b"\x00\xffbin", after=1)
        .raw(b"not an event", after=2)
        .malformed_after(3)
    )

    async def scenario() -> list[aiohttp.WSMessage]:
        messages = []
        async with connect(server) as ws:
            await ws.send_str(json.dumps(FRAME))
            while True:
                msg = await receive(ws)
                messages.append(msg)
                if msg.type == aiohttp.WSMsgType.TEXT and '"response.completed"' in msg.data:
                    return messages

    messages = run(scenario)
    assert messages[1].type == aiohttp.WSMsgType.BINARY
    assert messages[1].data == b"\x00\xffbin"
    assert messages[3].data == "not an event"
    assert messages[5].data == "{not json"
    assert json.loads(messages[-1].data)["type"] == "response.completed"


def test_error_frames_with_and_without_status(server: FakeCodexServer) -> None:
    """``error_frame_reply`` sends exactly the frame; without ``status`` nothing follows and
    the socket stays open for the next request."""
    server.queue(
        error_frame_reply({"type": "server_error", "message": "no status"}, status=None),
        error_frame_reply(status=502, headers={"x-codex-turn-state": "t"}),
    )

    async def scenario() -> tuple[list[dict[str, Any]], ...]:
        async with connect(server) as ws:
            silent = await exchange(ws, FRAME)
            loud = await exchange(ws, FRAME)
            after = await exchange(ws, FRAME)
            return silent, loud, after

    silent, loud, after = run(scenario)
    assert silent == [
        {"type": "error", "error": {"type": "server_error", "message": "no status"}, "headers": {}}
    ]
    assert loud == [
        {
            "type": "error",
            "status": 502,
            "error": {
                "type": "invalid_request_error",
                "code": "invalid_request",
                "message": "Invalid request",
            },
            "headers": {"x-codex-turn-state": "t"},
        }
    ]
    assert types(after)[-1] == "response.completed"


def test_connection_limit_after_n_requests(server: FakeCodexServer) -> None:
    """``websocket_request_limit=2``: the third ``response.create`` gets the CLI's
    connection-limit error frame and the socket is closed; a new socket serves again."""
    server.websocket_request_limit = 2

    async def scenario() -> tuple[list[dict[str, Any]], aiohttp.WSMessage]:
        async with connect(server) as ws:
            for _ in range(2):
                assert completed_id(await exchange(ws, FRAME))
            limit = await exchange(ws, FRAME)
            closing = await receive(ws)
        async with connect(server) as ws:
            assert completed_id(await exchange(ws, FRAME))
        return limit, closing

    limit, closing = run(scenario)
    [error] = limit
    assert error["status"] == 400
    assert error["error"]["code"] == "websocket_connection_limit_reached"
    assert error["error"]["message"] == CONNECTION_LIMIT_MESSAGE
    assert closing.type == aiohttp.WSMsgType.CLOSE
    assert len(server.requests) == 4
    assert server.wait_for_open_websockets(0) == 0


def test_connection_limit_in_seconds() -> None:
    """``websocket_connection_limit`` (60 minutes by default) counts from the upgrade."""
    assert FakeCodexServer().websocket_connection_limit == 3600.0
    with FakeCodexServer(websocket_connection_limit=0.0) as fake:

        async def scenario() -> list[dict[str, Any]]:
            async with connect(fake) as ws:
                return await exchange(ws, FRAME)

        [error] = run(scenario)
        assert error["error"]["code"] == "websocket_connection_limit_reached"
        fake.websocket_connection_limit = None
        assert types(run(scenario))[-1] == "response.completed"


def test_a_client_leaving_a_held_stream_is_a_disconnect(server: FakeCodexServer) -> None:
    """Closing the socket while a reply waits on a gate counts in ``disconnects`` and the
    socket is no longer open."""
    gate = threading.Event()
    server.queue(text_reply("held").hold(gate, after=3))

    async def scenario() -> None:
        async with connect(server) as ws:
            await ws.send_str(json.dumps(FRAME))
            for _ in range(3):
                await receive(ws)
            assert server.open_websockets == 1

    try:
        run(scenario)
        assert server.wait_for_disconnects(1) == 1
        assert server.wait_for_open_websockets(0) == 0
    finally:
        gate.set()


def test_stop_closes_open_sockets() -> None:
    """``stop()`` ends sockets that are open, even one held on a gate."""
    gate = threading.Event()
    fake = FakeCodexServer().start()
    fake.queue(text_reply("held").hold(gate, after=1))
    outcome: list[aiohttp.WSMsgType] = []

    async def scenario() -> None:
        async with connect(fake) as ws:
            await ws.send_str(json.dumps(FRAME))
            await receive(ws)
            await asyncio.get_running_loop().run_in_executor(None, fake.stop)
            outcome.append((await receive(ws)).type)

    try:
        run(scenario)
    finally:
        gate.set()
        fake.stop()
    assert outcome[0] in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
    assert fake.open_websockets == 0


def test_clear_forgets_handshakes_but_not_open_sockets(server: FakeCodexServer) -> None:
    """``clear()`` forgets handshakes and the opened count; open sockets stay counted."""

    async def scenario() -> None:
        async with connect(server) as ws:
            server.clear()
            assert server.websocket_handshakes == []
            assert server.websockets_opened == 0
            assert server.open_websockets == 1
            await exchange(ws, FRAME)
            assert server.requests[0].socket_id == 0

    run(scenario)
    assert server.wait_for_open_websockets(0) == 0


# ---------------------------------------------------------------------------------------------
# compaction


def test_compaction_builder_shape() -> None:
    """``compaction()`` is ``{"type": "compaction", "id": "cmp_…", "encrypted_content"}``."""
    part = compaction("gAAAAA-fixed")
    assert part.item["type"] == "compaction"
    assert part.item["id"].startswith("cmp_")
    assert part.item["encrypted_content"] == "gAAAAA-fixed"
    fresh = compaction().item["encrypted_content"]
    assert isinstance(fresh, str) and fresh != compaction().item["encrypted_content"]
    scripted = compaction_reply("gAAAAA-fixed")
    items = [e["item"] for e in scripted.events if e["type"] == "response.output_item.done"]
    assert [i["encrypted_content"] for i in items] == ["gAAAAA-fixed"]


def test_a_compaction_trigger_gets_exactly_one_compaction_item(server: FakeCodexServer) -> None:
    """An input ending in ``compaction_trigger`` (remote compaction v2, as the CLI sends it)
    is answered with one ``compaction`` item, over HTTP and over WebSocket."""
    history = [USER, {"type": "compaction_trigger"}]

    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        over_http = (await apost(server, body_with(model="gpt-5.4", input=history))).events
        async with connect(server) as ws:
            over_ws = await exchange(ws, frame_with(input=history))
        return over_http, over_ws

    for answer in run(scenario):
        [item] = done_items(answer)
        assert item["type"] == "compaction"
        assert item["id"].startswith("cmp_")
        assert item["encrypted_content"]
        assert types(answer)[-1] == "response.completed"


def test_the_older_compact_endpoint(server: FakeCodexServer) -> None:
    """``POST /responses/compact`` answers ``{"output": [user messages..., compaction]}``;
    it checks the token and the body, and ``queue_for("compact", ...)`` scripts it."""
    assistant = {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": "hi"}],
    }
    body = {"model": "gpt-5.4", "input": [USER, assistant], "instructions": "x", "tools": []}
    server.queue_for("compact", http_error(200, {"output": []}))

    async def scenario() -> list[Any]:
        path = "/responses/compact"
        return [
            await apost(server, body, path=path),
            await apost(server, body, path=path),
            await apost(server, {"model": "gpt-5.4"}, path=path),
            await apost(server, body, path=path, headers={}),
        ]

    scripted, answer, bad, unauthorized = run(scenario)
    assert scripted.json == {"output": []}
    assert answer.status == 200
    kept, item = answer.json["output"][:-1], answer.json["output"][-1]
    assert kept == [USER]
    assert item["type"] == "compaction" and item["id"].startswith("cmp_")
    assert bad.status == 400
    assert bad.json == {"detail": "Invalid type for 'input': expected a list of items"}
    assert unauthorized.status == 401


def test_accounts_check_serves_the_captured_body(server: FakeCodexServer) -> None:
    """``GET {chatgpt_base_url}/wham/accounts/check`` answers the body the CLI accepted."""

    async def scenario() -> tuple[Any, int]:
        async with aiohttp.ClientSession() as session:
            url = f"{server.chatgpt_base_url}/wham/accounts/check"
            async with session.get(url, headers=auth(server)) as response:
                body = await response.json()
            async with session.get(url) as response:
                return body, response.status

    body, unauthorized = run(scenario)
    assert body == {
        "accounts": [
            {
                "id": "acct_fake",
                "name": "Personal",
                "structure": "personal",
                "workspace_backend_origin": f"https://127.0.0.1:{server.port}",
                "account_routing_override": "us",
            }
        ],
        "account_ordering": ["acct_fake"],
        "default_account_id": "acct_fake",
    }
    assert unauthorized == 401
    server.workspace_backend_origin = "https://codex.example"
    body, _ = run(scenario)
    assert body["accounts"][0]["workspace_backend_origin"] == "https://codex.example"


# ---------------------------------------------------------------------------------------------
# the real CLI's frames

# From websocket-tool-turn-and-resume.json: the CLI 0.169 handshake headers (tokens and long
# texts elided as in the capture), its five response.create frames on two connections, and
# the items the server returned to it (as the resume replays them).
SESSION = "01a236db-c30b-7c61-a1ba-7981cbaf8be8"
HANDSHAKE = {
    "chatgpt-account-id": "acct_fake",
    "Authorization": "Bearer <redacted>",
    "User-Agent": "codex_exec/0.169.0 (Debian 12.0.0; x86_64) xterm (codex_exec; 0.169.0)",
    "originator": "codex_exec",
    "openai-beta": "responses_websockets=2026-02-06",
    "x-codex-beta-features": "remote_compaction_v2",
    "x-client-request-id": SESSION,
    "session-id": SESSION,
    "thread-id": SESSION,
    "x-codex-window-id": f"{SESSION}:0",
    "x-codex-turn-metadata": json.dumps(
        {"session_id": SESSION, "thread_id": SESSION, "turn_id": "", "request_kind": "prewarm"}
    ),
}
COMMON = {
    "type": "response.create",
    "model": "gpt-5.4",
    "stream": True,
    "tools": [
        *({"type": "function", "name": name} for name in ("exec_command", "write_stdin")),
        {"type": "custom", "name": "apply_patch"},
        {"type": "namespace", "name": "image_gen"},
        {"type": "tool_search", "name": None},
        {"type": "web_search", "name": None},
        "<tool schemas elided: same as the HTTP body>",
    ],
    "tool_choice": "auto",
    "parallel_tool_calls": True,
    "reasoning": {"effort": "medium", "summary": "auto"},
    "store": False,
    "include": ["reasoning.encrypted_content"],
    "prompt_cache_key": SESSION,
    "text": {"verbosity": "low"},
}
METADATA = {
    "x-codex-installation-id": "de63eebb-73aa-412b-8401-bdfa0031ec32",
    "session_id": SESSION,
    "thread_id": SESSION,
    "x-codex-window-id": f"{SESSION}:0",
    "x-codex-ws-stream-request-start-ms": "1796216701919",
}
ENCRYPTED = "gAAAAABpZmFrZS1lbmNyeXB0ZWQtcmVhc29uaW5nLWZyb20tdGhlLWZha2UtYmFja2VuZA=="


def _msg(item_id: str, role: str, text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "id": item_id,
        "role": role,
        "content": [{"type": "input_text", "text": text}],
    }


BASE_INSTRUCTIONS = _msg(
    "msg_6bbb1040-d694-56b1-be49-3ff61aa5fa38", "developer", "You are Codex, a coding agent …"
)
SKILLS = _msg("msg_01a236db-c42b-7d50-ac39-79f062a0535f", "developer", "<skills_instructions>…")
ENVIRONMENT = _msg("msg_01a236db-c42b-7d50-ac39-7a0a1564fc02", "user", "<environment_context>…")
PROMPT = _msg("msg_01a236db-c439-7550-b851-cf8c6596133b", "user", "run echo hi")
CALL_ID = "call_31e7ca9bde7e3208d0a2c57e"
TURN_OUTPUT: list[dict[str, Any]] = [
    {
        "type": "reasoning",
        "id": "rs_e61bae8cbf3b296de5d3535834c298ad287ccb44c5ca8b76",
        "summary": [{"type": "summary_text", "text": "**Planning** run echo"}],
        "content": None,
        "encrypted_content": ENCRYPTED,
    },
    {
        "type": "message",
        "status": "completed",
        "id": "msg_0a24f22c81148ab42d0706747ba21f56609a3bc3679f3536",
        "role": "assistant",
        "content": [{"type": "output_text", "text": "Running.", "annotations": []}],
        "phase": "commentary",
    },
    {
        "type": "function_call",
        "status": "completed",
        "id": "fc_bd57f4627a3a20def936d2c601cd3940da9da6d0614b900f",
        "name": "exec_command",
        "arguments": '{"cmd":"echo hi","yield_time_ms":2000}',
        "call_id": CALL_ID,
    },
]
TOOL_OUTPUT = {
    "type": "function_call_output",
    "id": "fco_01a236db-c50c-7783-b81b-a1ccb22341b0",
    "call_id": CALL_ID,
    "output": "Chunk ID: 74e03b\nWall time: 0.0121 seconds\nProcess exited with code 0\n"
    "Original token count: 1\nOutput:\nhi\n",
}
FINAL_OUTPUT: list[dict[str, Any]] = [
    {
        "type": "reasoning",
        "id": "rs_8dab9b5d543fc06a6bb4826c3e261a4000eafe7ff7d2f9c4",
        "summary": [{"type": "summary_text", "text": "**Done**"}],
        "content": None,
        "encrypted_content": ENCRYPTED,
    },
    {
        "type": "message",
        "status": "completed",
        "id": "msg_e2b848c0d5b3b56f98c4cf62fb48595c06562e04d956d7c4",
        "role": "assistant",
        "content": [{"type": "output_text", "text": "It printed hi.", "annotations": []}],
        "phase": "final_answer",
    },
]
FOLLOW_UP = _msg("msg_01a236db-c702-7061-bb4d-ccbcbbdb7642", "user", "and now?")

# (connection, frame): "previous" marks the frames chained to the last response.
CAPTURED_FRAMES: list[tuple[int, dict[str, Any]]] = [
    (0, {**COMMON, "input": [BASE_INSTRUCTIONS], "generate": False}),
    (0, {**COMMON, "previous_response_id": "previous", "input": [SKILLS, ENVIRONMENT, PROMPT]}),
    (0, {**COMMON, "previous_response_id": "previous", "input": [TOOL_OUTPUT]}),
    (1, {**COMMON, "input": [BASE_INSTRUCTIONS], "generate": False}),
    (
        1,
        {
            **COMMON,
            "previous_response_id": "previous",
            "input": [
                SKILLS,
                ENVIRONMENT,
                PROMPT,
                *TURN_OUTPUT,
                TOOL_OUTPUT,
                *FINAL_OUTPUT,
                FOLLOW_UP,
            ],
        },
    ),
]


def test_the_real_cli_frames_are_accepted(server: FakeCodexServer) -> None:
    """The CLI 0.169 session replayed (handshake headers with the fake's token, then each
    captured ``response.create``, chained to the fake's own response ids): every frame is
    answered with a full event sequence, and each chained frame's effective input is the
    history the CLI replays over HTTP on resume."""
    server.queue(fixed(*TURN_OUTPUT), fixed(*FINAL_OUTPUT), text_reply("Nothing else."))
    headers = {**HANDSHAKE, "Authorization": f"Bearer {server.access_token}"}

    async def scenario() -> list[list[dict[str, Any]]]:
        answers: list[list[dict[str, Any]]] = []
        sockets: dict[int, aiohttp.ClientWebSocketResponse[bool]] = {}
        last: dict[int, str] = {}
        async with aiohttp.ClientSession() as session:
            for conn, captured in CAPTURED_FRAMES:
                if conn not in sockets:
                    sockets[conn] = await session.ws_connect(
                        server.websocket_url, headers=headers, compress=15
                    )
                frame = {**captured, "client_metadata": METADATA}
                if "previous_response_id" in frame:
                    frame["previous_response_id"] = last[conn]
                answer = await exchange(sockets[conn], frame)
                last[conn] = completed_id(answer)
                answers.append(answer)
            for ws in sockets.values():
                await ws.close()
        return answers

    answers = run(scenario)
    lifecycle = ["codex.rate_limits", "response.created", "response.in_progress"]
    for answer in answers:
        assert types(answer)[:3] == lifecycle
        assert types(answer)[-1] == "response.completed"
        assert [e["sequence_number"] for e in answer] == list(range(len(answer)))
    prewarms = (answers[0], answers[3])
    for prewarm in prewarms:
        assert types(prewarm) == [*lifecycle, "response.completed"]
    assert done_items(answers[1]) == TURN_OUTPUT
    assert done_items(answers[2]) == FINAL_OUTPUT
    records = server.requests
    assert [(r.socket_id, r.frame_index) for r in records] == [
        (0, 0),
        (0, 1),
        (0, 2),
        (1, 0),
        (1, 1),
    ]
    assert records[0].headers["session-id"] == SESSION
    history = [BASE_INSTRUCTIONS, SKILLS, ENVIRONMENT, PROMPT, *TURN_OUTPUT, TOOL_OUTPUT]
    assert records[1].input == history[:4]
    assert records[2].input == history
    # The resume on a new socket: prewarm plus ten items, the full history of the HTTP resume.
    assert records[4].input == [*history, *FINAL_OUTPUT, FOLLOW_UP]
    # The tool continuation sent one item; the chain on the same socket made it whole.
    assert records[2].frame["input"] == [TOOL_OUTPUT]
    assert server.wait_for_open_websockets(0) == 0


# ---------------------------------------------------------------------------------------------
# scripts and the standalone server


SCRIPT = [
    "Scripted hello.",
    {
        "reply": "tool_call_reply",
        "args": ["shell", {"command": ["ls"]}],
        "kwargs": {"call_id": "c1"},
    },
    {
        "reply": "reply",
        "args": [
            {"part": "reasoning", "args": [["**Plan**"]]},
            {"part": "message", "args": ["Done"]},
        ],
        "then": [["paced", 0.0]],
    },
    {"reply": "http_error", "args": [503]},
    {"reply": "text_reply", "args": ["cut"], "then": [{"call": "cut_after", "args": [3]}]},
    {"events": [{"type": "response.created", "response": {"id": "resp_1"}}]},
    {"reply": "compaction_reply", "args": ["gAAAAA-c"]},
    {"reply": "text_reply", "then": [["raw", "tail"], ["close_socket", {"after": 1}]]},
]


def test_replies_from_script_builds_the_same_replies() -> None:
    """Each kind of script entry builds the reply its builder would."""
    script = [
        *SCRIPT[:-1],
        {
            "reply": "text_reply",
            "then": [{"call": "close_socket", "kwargs": {"after": 1, "code": 4001}}],
        },
    ]
    built = replies_from_script(script)
    assert len(built) == 8
    assert [e["type"] for e in built[0].events][-1] == "response.completed"
    assert "Scripted hello." in json.dumps(built[0].events)
    assert built[1].events[3]["item"]["call_id"] == "c1"
    assert [e["item"]["type"] for e in built[2].events if e["type"].endswith("item.done")] == [
        "reasoning",
        "message",
    ]
    assert (built[3].status, built[3].is_stream) == (503, False)
    assert "_Cut" in repr(built[4].steps)
    assert built[5].response_id == "resp_1"
    assert "gAAAAA-c" in json.dumps(built[6].events)
    assert "_Close(code=4001" in repr(built[7].steps)


@pytest.mark.parametrize(
    ("script", "error"),
    [
        ({"reply": "text_reply"}, "must be a JSON list"),
        ([{"reply": "nope"}], "entry 0: unknown reply 'nope'"),
        ([{"reply": "reply", "args": [{"part": "nope"}]}], "entry 0: unknown part 'nope'"),
        (["a", {"reply": "text_reply", "then": [["hold"]]}], "entry 1: unknown modifier 'hold'"),
        ([{"reply": "http_error", "args": [500, 1, 2, 3]}], "entry 0:"),
        ([{"nothing": 1}], "needs 'reply' or 'events'"),
        ([3], "expected a string or an object"),
    ],
)
def test_bad_scripts_name_the_entry(script: Any, error: str) -> None:
    """A bad script is a ValueError naming the entry and the fix."""
    with pytest.raises(ValueError, match=error.replace("(", r"\(")):
        replies_from_script(script)


def test_load_script_reads_a_file(tmp_path: Path) -> None:
    """``load_script`` reads the JSON file; invalid JSON is a ValueError naming the file."""
    path = tmp_path / "replies.json"
    path.write_text(json.dumps(["one", "two"]))
    assert len(load_script(path)) == 2
    path.write_text("[not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_script(path)


def test_standalone_script_over_websocket_and_http(tmp_path: Path) -> None:
    """``python -m codex_open_client.testing --script FILE``: the scripted replies answer
    first, in order, over WebSocket as over HTTP; then the standard answer."""
    path = tmp_path / "replies.json"
    path.write_text(json.dumps(["Scripted hello.", {"reply": "http_error", "args": [503]}]))
    fake = Standalone("--port", "0", "--script", str(path))
    try:
        assert "scripted replies: 2" in fake.text
        url = fake.base_url.replace("http://", "ws://", 1) + "/responses"
        assert f"websocket:        {url}" in fake.text

        async def scenario() -> list[list[dict[str, Any]]]:
            headers = {"Authorization": "Bearer fake-access-token"}
            async with aiohttp.ClientSession() as session:
                async with session.ws_connect(url, headers=headers) as ws:
                    answers = [await exchange(ws, FRAME), await exchange(ws, FRAME)]
                async with session.post(
                    f"{fake.base_url}/responses", json=body_with(model="gpt-5.4"), headers=headers
                ) as response:
                    text = await response.text()
                    answers.append([{"type": "http", "text": text}])
            return answers

        first, second, third = run(scenario)
        assert "Scripted hello." in json.dumps(first)
        assert second[0]["status"] == 503
        assert "Hello from the fake Codex backend!" in third[0]["text"]
        assert fake.stop() == 0
    finally:
        fake.close()
    assert "Traceback" not in fake.text


def test_standalone_without_websocket_answers_426() -> None:
    """``--no-websocket`` makes upgrades 426."""
    fake = Standalone("--port", "0", "--no-websocket")
    try:
        assert "websocket:" not in fake.text

        async def scenario() -> int:
            url = fake.base_url.replace("http://", "ws://", 1) + "/responses"
            headers = {"Authorization": "Bearer fake-access-token"}
            async with aiohttp.ClientSession() as session:
                with pytest.raises(aiohttp.WSServerHandshakeError) as info:
                    await session.ws_connect(url, headers=headers)
                return info.value.status

        assert run(scenario) == 426
        assert fake.stop() == 0
    finally:
        fake.close()


def test_standalone_refuses_a_bad_script(tmp_path: Path) -> None:
    """A bad ``--script`` is a one-line usage error (exit 2), before anything is served."""
    import subprocess
    import sys

    path = tmp_path / "bad.json"
    path.write_text(json.dumps([{"reply": "nope"}]))
    done = subprocess.run(
        [sys.executable, "-m", "codex_open_client.testing", "--port", "0", "--script", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--script: entry 0: unknown reply 'nope'" in done.stderr
    assert "Traceback" not in done.stderr
