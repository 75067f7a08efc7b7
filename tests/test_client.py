"""End-to-end scenarios over real sockets against FakeCodexServer, for Client and AsyncClient."""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime, timezone
from typing import Any

import pytest

import codex_open_client as c
from codex_open_client.testing import (
    FakeCodexServer,
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
    usage_limit_reached,
)

from .conftest import BASE, Api


def wait_for(predicate: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return bool(predicate())


def test_create_returns_the_final_response(api: Api, server: FakeCodexServer) -> None:
    """The guide's basic call: output_text, usage, status, id and model."""
    server.queue(text_reply("Hello, world!"))
    response = api.create()
    assert response.output_text == "Hello, world!"
    assert response.status == "completed"
    assert response.id and response.id.startswith("resp_")
    assert response.model == "gpt-5.1-codex-mini"
    assert response.usage is not None
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens
    assert response.error is None


def test_request_matches_the_cli_on_the_wire(api: Api, server: FakeCodexServer) -> None:
    """Path, headers and body as the Codex CLI sends them."""
    api.create()
    (request,) = server.requests
    assert request.method == "POST"
    assert request.path == "/backend-api/codex/responses"
    assert request.headers["Authorization"] == f"Bearer {server.access_token}"
    assert request.headers["ChatGPT-Account-ID"] == server.account_id
    assert request.headers["originator"] == "codex_cli_rs"
    assert request.headers["Accept"] == "text/event-stream"
    assert request.headers["Content-Type"].startswith("application/json")
    assert request.headers["User-Agent"].startswith("codex-open-client/")
    assert request.headers["session_id"] == request.headers["session-id"]
    body = request.json
    assert body is not None
    assert body["store"] is False and body["stream"] is True
    assert body["instructions"] == "You are helpful."
    assert body["input"] == [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hello!"}]}
    ]


def test_stream_yields_typed_events_in_order(api: Api, server: FakeCodexServer) -> None:
    """Every event has its class and wire type; the final response has every item."""
    server.queue(
        reply(
            reasoning(["Plan the answer", "Check it"], encrypted_content="gAAAAENC"),
            message("The answer is 42."),
            function_call("get_weather", {"city": "Paris"}, call_id="call_9"),
        )
    )
    events, final = api.stream(reasoning=c.Reasoning(effort="high", summary="auto"))
    types = [event.type for event in events]
    assert types[0] == "codex.rate_limits"  # before response.created, as the backend does
    assert types[1] == "response.created"
    assert types[-1] == "response.completed"
    assert not any(isinstance(event, c.UnknownEvent) for event in events)
    for event in events:
        assert type(event).__name__.endswith("Event")
    assert "response.reasoning_summary_text.delta" in types
    assert "response.function_call_arguments.delta" in types
    completed = events[-1]
    assert isinstance(completed, c.ResponseCompletedEvent)
    assert completed.response.output == []  # the real backend's shape
    assert final.output_text == "The answer is 42."
    assert final.reasoning_summary == "Plan the answer\nCheck it"
    assert final.tool_calls[0].name == "get_weather"
    assert json.loads(final.tool_calls[0].arguments) == {"city": "Paris"}
    assert final.tool_calls[0].call_id == "call_9"
    (rs,) = [item for item in final.output if isinstance(item, c.ResponseReasoningItem)]
    assert rs.encrypted_content == "gAAAAENC"
    body = server.requests[-1].json
    assert body is not None and body["include"] == ["reasoning.encrypted_content"]


def test_text_deltas_and_context_manager(api: Api, server: FakeCodexServer) -> None:
    """responses.stream() as a context manager; text_deltas() yields only the text."""
    server.queue(reply(message("Hi there", deltas=["Hi", " ", "there"])))
    deltas, final = api.text()
    assert deltas == ["Hi", " ", "there"]
    assert final.output_text == "Hi there"


def test_completed_output_is_not_duplicated(api: Api, server: FakeCodexServer) -> None:
    """When response.completed carries the items too, they appear once."""
    server.queue(reply(message("once"), completed_output=True))
    assert api.create().output_text == "once"


def test_events_arrive_before_the_stream_ends(api: Api, server: FakeCodexServer) -> None:
    """The server sends the rest only after the client got the first event."""
    gate = threading.Event()
    seen_first: list[bool] = []
    safety = threading.Timer(20, gate.set)  # so a buffering client fails instead of hanging
    safety.start()
    try:
        server.queue(text_reply("streamed text").hold(gate, after=1))

        def on_first(event: Any) -> None:
            seen_first.append(not gate.is_set())
            gate.set()

        first, rest = api.first_then_rest(on_first)
    finally:
        safety.cancel()
    assert seen_first == [True]
    assert isinstance(first, c.CodexRateLimitsEvent)
    assert isinstance(rest[-1], c.ResponseCompletedEvent)


def test_incomplete_returns_normally(api: Api, server: FakeCodexServer) -> None:
    """response.incomplete is not an error: status and incomplete_details say why."""
    server.queue(incomplete_reply("Partial ans", reason="max_output_tokens"))
    response = api.create()
    assert response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "max_output_tokens"
    assert response.output_text == "Partial ans"


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("context_length_exceeded", c.ContextWindowError),
        ("insufficient_quota", c.QuotaExceededError),
        ("invalid_prompt", c.InvalidRequestError),
        ("server_is_overloaded", c.ServerError),
    ],
)
def test_failed_response_raises_with_the_response(
    api: Api, server: FakeCodexServer, code: str, cls: type[c.APIError]
) -> None:
    """response.failed raises by error code; the exception carries the failed Response."""
    server.queue(failed_reply(code, "It failed"))
    with pytest.raises(cls) as info:
        api.create()
    assert info.value.code == code
    assert info.value.response is not None
    assert info.value.response.status == "failed"
    assert "It failed" in str(info.value)


def test_stream_raises_when_iteration_reaches_the_failure(
    api: Api, server: FakeCodexServer
) -> None:
    """Events before a response.failed are delivered; the failure raises where it stands."""
    server.queue(failed_reply("context_length_exceeded", "Too long", after_text="Some text"))
    received: list[Any] = []
    with pytest.raises(c.ContextWindowError) as info:
        api.first_then_rest(received.append)
    assert isinstance(received[0], c.CodexRateLimitsEvent)
    assert info.value.response is not None
    assert info.value.response.output_text == "Some text"


def test_error_event_raises(api: Api, server: FakeCodexServer) -> None:
    """An SSE error event maps by code like response.failed."""
    server.queue(error_event_reply("invalid_prompt", "Bad prompt"))
    with pytest.raises(c.InvalidRequestError, match="Bad prompt"):
        api.create()


@pytest.mark.parametrize(
    ("failure", "cls"),
    [
        (http_error(400, {"detail": "Unsupported parameter: foo"}), c.InvalidRequestError),
        (http_error(404, {"detail": "Not Found"}), c.InvalidRequestError),
        (
            http_error(400, {"error": {"code": "context_length_exceeded", "message": "long"}}),
            c.ContextWindowError,
        ),
        (usage_limit_reached(), c.QuotaExceededError),
        (
            http_error(403, "<html><body>Attention Required! | Cloudflare</body></html>"),
            c.AuthError,
        ),
    ],
)
def test_http_errors_raise_from_create(
    api: Api, server: FakeCodexServer, failure: Any, cls: type[c.APIError]
) -> None:
    """HTTP errors raise from create(), streamed or not, and are never retried when permanent."""
    server.queue(failure, failure)
    with pytest.raises(cls) as info:
        api.create()
    assert info.value.status_code == failure.status
    with pytest.raises(cls):
        api.stream()
    assert len(server.requests) == 2


def test_wrong_token_is_auth_error_without_the_token(
    make_api: Any, server: FakeCodexServer
) -> None:
    """401 from the backend: AuthError, and the token appears in no message or repr."""
    for mode in ("sync", "async"):
        client = make_api(mode, access_token="sk-very-secret-token")
        with pytest.raises(c.AuthError) as info:
            client.create()
        assert info.value.status_code == 401
        owner = client.sync if mode == "sync" else client.aclient
        text = f"{info.value} {info.value!r} {info.value.body!r} {owner!r}"
        assert "sk-very-secret-token" not in text


def test_retries_5xx_and_429_then_succeeds(make_api: Any, server: FakeCodexServer) -> None:
    """5xx and 429 are retried with the server's delay; max_retries bounds them."""
    for mode in ("sync", "async"):
        server.clear()
        client = make_api(mode, max_retries=2)
        server.queue(
            http_error(500, {"detail": "oops"}), rate_limited(retry_after=0.01), text_reply("ok")
        )
        assert client.create().output_text == "ok"
        assert len(server.requests) == 3
        server.queue(http_error(502, "bad gateway"), http_error(503, {"detail": "x"}))
        with pytest.raises(c.ServerError):
            client.create(max_retries=1)
        server.queue(text_reply("later"))
        assert client.create().output_text == "later"
        assert len(server.requests) == 6


def test_quota_429_is_not_retried(make_api: Any, server: FakeCodexServer) -> None:
    """usage_limit_reached is final: one request, QuotaExceededError with resets_at."""
    client = make_api("sync", max_retries=3)
    server.queue(usage_limit_reached(plan_type="plus", resets_at=1775317531))
    with pytest.raises(c.QuotaExceededError) as info:
        client.create()
    assert info.value.resets_at == datetime.fromtimestamp(1775317531, timezone.utc)
    assert info.value.plan_type == "plus"
    assert len(server.requests) == 1


def test_in_stream_failure_before_any_event_is_retried(
    make_api: Any, server: FakeCodexServer
) -> None:
    """rate_limit_exceeded in the stream, before the caller saw anything: retried."""
    for mode in ("sync", "async"):
        server.clear()
        client = make_api(mode, max_retries=1)
        server.queue(
            failed_reply("rate_limit_exceeded", "Please try again in 10ms"),
            text_reply("second try"),
        )
        assert client.create().output_text == "second try"
        server.queue(failed_reply("server_is_overloaded", "busy"), text_reply("streamed"))
        events, final = client.stream()
        assert final.output_text == "streamed"
        assert isinstance(events[-1], c.ResponseCompletedEvent)
        assert len(server.requests) == 4


def test_broken_stream_after_delivery_is_not_retried(
    make_api: Any, server: FakeCodexServer
) -> None:
    """Once events reached the caller, a cut raises StreamError with the partial response."""
    for mode in ("sync", "async"):
        server.clear()
        client = make_api(mode, max_retries=2)
        server.queue(
            reply(message("abcdefghij", deltas=list("abcdefghij"))).pause(0.2, after=8).cut_after(8)
        )
        received: list[Any] = []
        with pytest.raises(c.StreamError) as info:
            client.first_then_rest(received.append)
        assert info.value.response is not None
        assert info.value.response.output_text.startswith("a")
        assert len(server.requests) == 1


def test_broken_stream_before_delivery_is_retried(make_api: Any, server: FakeCodexServer) -> None:
    """create() hands nothing out before the end, so a cut stream is retried."""
    for mode in ("sync", "async"):
        server.clear()
        client = make_api(mode, max_retries=1)
        server.queue(text_reply("lost").cut_after(4), text_reply("kept"))
        assert client.create().output_text == "kept"
        assert len(server.requests) == 2


def test_stream_ending_without_terminal_event_raises(api: Api, server: FakeCodexServer) -> None:
    """A clean end of body without response.completed is a StreamError with what arrived."""
    server.queue(reply(message("abc", deltas=["a", "b", "c"])).end_after(7))
    with pytest.raises(c.StreamError) as info:
        api.create()
    assert info.value.response is not None
    assert info.value.response.output_text == "ab"  # the deltas that arrived before the end
    assert "completed" in str(info.value)


def test_tolerates_malformed_lines_missing_content_type_and_line_endings(
    api: Api, server: FakeCodexServer
) -> None:
    """Non-JSON data lines are skipped; a missing or wrong Content-Type, CR and CRLF are fine."""
    server.queue(
        text_reply("one").malformed_after(3),
        reply(message("two"), content_type=None),
        reply(message("two and a half"), content_type="text/html"),
        text_reply("three").with_line_ending("\r\n"),
        text_reply("four").with_line_ending("\r"),
    )
    texts = [api.create().output_text for _ in range(5)]
    assert texts == ["one", "two", "two and a half", "three", "four"]


def test_unknown_events_and_items_are_kept_and_replayed(api: Api, server: FakeCodexServer) -> None:
    """Unknown events reach the caller; unknown items are kept and sent back unchanged."""
    shell = {
        "type": "local_shell_call",
        "id": "ls_1",
        "call_id": "c1",
        "status": "completed",
        "action": {"type": "exec", "command": ["ls"]},
    }
    server.queue(
        text_reply("hi")
        .insert({"type": "response.brand_new_event", "payload": {"x": 1}}, after=2)
        .insert({"type": "response.output_item.done", "output_index": 5, "item": shell}, after=3)
    )
    events, final = api.stream()
    unknown = [event for event in events if isinstance(event, c.UnknownEvent)]
    assert [event.wire_type for event in unknown] == ["response.brand_new_event"]
    assert unknown[0].raw["payload"] == {"x": 1}
    kept = [item for item in final.output if isinstance(item, c.UnknownItem)]
    assert kept == [c.UnknownItem(raw=shell)]
    api.create(input=[*final.output, c.InputMessage(role="user", content="next")])
    body = server.requests[-1].json
    assert body is not None
    assert shell in body["input"]


def test_multi_turn_replays_items_like_the_cli(api: Api, server: FakeCodexServer) -> None:
    """The guide's multi-turn pattern: earlier output goes back with ids and encrypted reasoning."""
    server.queue(
        reply(
            reasoning(["Think"], encrypted_content="gAAAAENCRYPTED"),
            message("Hi Alice"),
            function_call("lookup", {"q": 1}),
        )
    )
    first = api.create(
        input="My name is Alice.", reasoning=c.Reasoning(effort="low", summary="auto")
    )
    call = first.tool_calls[0]
    api.create(
        input=[
            c.InputMessage(role="user", content="My name is Alice."),
            *first.output,
            c.FunctionCallOutput(call_id=call.call_id, output="done"),
            {"role": "user", "content": "What's my name?"},
        ]
    )
    body = server.requests[-1].json
    assert body is not None
    kinds = [item["type"] for item in body["input"]]
    assert kinds == [
        "message",
        "reasoning",
        "message",
        "function_call",
        "function_call_output",
        "message",
    ]
    rs, msg, fc = body["input"][1:4]
    assert rs["encrypted_content"] == "gAAAAENCRYPTED" and rs["id"].startswith("rs_")
    assert msg["id"].startswith("msg_") and msg["content"][0]["text"] == "Hi Alice"
    assert fc["id"].startswith("fc_") and fc["call_id"] == call.call_id


def test_bad_arguments_raise_before_any_request(api: Api, server: FakeCodexServer) -> None:
    """Wrong arguments raise TypeError/ValueError naming them; nothing is sent."""
    with pytest.raises(TypeError, match=r"temperature.*Unsupported parameter"):
        api.create(temperature=0.2)
    with pytest.raises(TypeError, match="'colour'; valid arguments are"):
        api.create(colour="red")
    with pytest.raises(ValueError, match="model"):
        api.create(model="")
    with pytest.raises(TypeError, match="input"):
        api.create(input=3.5)
    with pytest.raises(ValueError, match="tool_choice"):
        api.create(tool_choice="maybe")
    assert server.requests == []


def test_close_is_idempotent_and_use_after_close_raises(
    make_api: Any, server: FakeCodexServer
) -> None:
    """close() twice is fine; a call after close is a clear RuntimeError."""
    for mode in ("sync", "async"):
        client = make_api(mode)
        assert client.create().output_text
        client.close()
        with pytest.raises(RuntimeError, match="closed"):
            client.create()


@pytest.mark.parametrize("use_with", [True, False], ids=["with", "bare-loop"])
def test_breaking_out_releases_the_connection(
    api: Api, server: FakeCodexServer, use_with: bool
) -> None:
    """Leaving a stream early closes its connection: the server sees the client go away."""
    server.queue(text_reply("x" * 40).paced(0.05))
    before = server.disconnects
    first = api.break_after_first(use_with=use_with)
    assert isinstance(first, c.CodexRateLimitsEvent)
    assert wait_for(lambda: server.disconnects == before + 1)


def test_idle_timeout_but_no_total_cap(make_api: Any, server: FakeCodexServer) -> None:
    """timeout bounds each wait for data; a slow but steady stream longer than it is fine."""
    for mode in ("sync", "async"):
        client = make_api(mode, timeout=0.4)
        server.queue(text_reply("slow and steady", deltas=None).paced(0.1))
        started = time.monotonic()
        assert client.create().output_text == "slow and steady"
        assert time.monotonic() - started > 0.4
        server.queue(text_reply("stalls").pause(2.0, after=2))
        with pytest.raises(c.APITimeoutError):
            client.create()
        server.queue(text_reply("per call").pause(1.0, after=2))
        with pytest.raises(c.APITimeoutError):
            client.create(timeout=0.2)


def test_connection_refused_is_api_connection_error(make_api: Any) -> None:
    """No server: APIConnectionError (never an aiohttp exception), after the retries."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    for mode in ("sync", "async"):
        client = make_api(
            mode, base_url=f"http://127.0.0.1:{port}/backend-api/codex", max_retries=1
        )
        with pytest.raises(c.APIConnectionError) as info:
            client.create()
        assert type(info.value).__module__ == "codex_open_client"


def test_a_single_8_mib_event(api: Api, server: FakeCodexServer) -> None:
    """One huge data line (8 MiB) is decoded without a line-length limit."""
    big = "x" * (8 * 1024 * 1024)
    server.queue(reply(message(big, deltas=[big])))
    assert len(api.create().output_text) == len(big)


def test_a_request_over_1_mib_is_sent_without_a_warning(api: Api, server: FakeCodexServer) -> None:
    """A 3 MiB history (a long conversation) goes out whole, a retry too: aiohttp's
    ResourceWarning for big bytes bodies, an error in this suite as in any ``-W error`` run, is
    never raised."""
    history = [c.InputMessage(role="user", content="y" * (1 << 20)) for _ in range(3)]
    server.queue(http_error(500, {"detail": "once"}), text_reply("read it"))
    assert api.create(input=history, max_retries=1).output_text == "read it"
    assert len(server.requests) == 2
    for request in server.requests:
        assert request.json is not None
        assert [len(item["content"][0]["text"]) for item in request.json["input"]] == [1 << 20] * 3


def test_token_never_logged(
    api: Api, server: FakeCodexServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Debug logging of requests, retries and errors never shows the token."""
    caplog.set_level(logging.DEBUG, logger="codex_open_client")
    server.queue(text_reply("a").malformed_after(2), http_error(400, {"detail": "nope"}))
    api.create()
    with pytest.raises(c.InvalidRequestError):
        api.create()
    assert caplog.records
    assert server.access_token not in caplog.text


def test_failure_is_raised_again_by_get_final_response(api: Api, server: FakeCodexServer) -> None:
    """After a failure, get_final_response() raises it too instead of a partial response."""
    server.queue(failed_reply("context_length_exceeded", "Too long"))
    if api.mode == "sync":
        stream = api.sync.responses.stream(**BASE)
        with stream, pytest.raises(c.ContextWindowError):
            list(stream)
        with pytest.raises(c.ContextWindowError):
            stream.get_final_response()
        return

    async def go() -> None:
        async with api.aclient.responses.stream(**BASE) as stream:
            with pytest.raises(c.ContextWindowError):
                async for _ in stream:
                    pass
            with pytest.raises(c.ContextWindowError):
                await stream.get_final_response()

    api.run(go())


def test_a_200_that_is_not_an_event_stream_says_so(api: Api, server: FakeCodexServer) -> None:
    """An HTML page with status 200 (a captive portal, a proxy): status and snippet in the error."""
    page = "<html><body>Please log in to the Wi-Fi</body></html>"
    server.queue(http_error(200, page), http_error(200, ""))
    with pytest.raises(c.StreamError) as info:
        api.create()
    message = str(info.value)
    assert "HTTP 200" in message and "text/html" in message and "log in to the Wi-Fi" in message
    with pytest.raises(c.StreamError, match="empty body"):
        api.create()


def test_retry_waits_as_the_server_asks_and_timeouts_are_retried(
    make_api: Any, server: FakeCodexServer
) -> None:
    """Retry-After is honoured (the retry waits for it); a timed-out try is retried."""
    for mode in ("sync", "async"):
        server.clear()
        client = make_api(mode, max_retries=1, timeout=0.3)
        server.queue(rate_limited(retry_after=0.5), text_reply("after the wait"))
        started = time.monotonic()
        assert client.create().output_text == "after the wait"
        assert time.monotonic() - started >= 0.5
        server.queue(text_reply("too late").delayed(1.0), text_reply("in time"))
        assert client.create().output_text == "in time"
        assert len(server.requests) == 4


def test_server_delay_longer_than_the_cap_is_not_waited(
    make_api: Any, server: FakeCodexServer
) -> None:
    """A Retry-After beyond 60 s raises at once instead of freezing the caller."""
    client = make_api("sync", max_retries=3)
    server.queue(rate_limited(retry_after=3600))
    started = time.monotonic()
    with pytest.raises(c.RateLimitError) as info:
        client.create()
    assert info.value.retry_after == 3600
    assert time.monotonic() - started < 5
    assert len(server.requests) == 1


def _client_connections(port: int) -> list[int]:
    """Local ports of this process's open TCP connections to 127.0.0.1:``port`` (Linux)."""
    import os

    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = []
    with open("/proc/self/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
            if state == "01" and inode in inodes and int(remote.split(":")[1], 16) == port:
                ports.append(int(local.split(":")[1], 16))
    return ports


def test_sequential_streams_reuse_one_connection(api: Api, server: FakeCodexServer) -> None:
    """A stream read to its end returns its connection to the pool: the next request (a
    stream, create(), a text stream) goes over the same one instead of a new one."""
    server.queue(text_reply("first"))
    assert api.stream()[1].output_text == "first"
    connections = _client_connections(server.port)
    assert len(connections) == 1
    for round in range(5):
        server.queue(text_reply(f"second {round}"), text_reply(f"third {round}"))
        assert api.create().output_text == f"second {round}"
        assert _client_connections(server.port) == connections
        assert "".join(api.text()[0]) == f"third {round}"
        assert _client_connections(server.port) == connections
    assert len(server.requests) == 11


def test_a_body_left_open_after_the_terminal_event_does_not_hold_the_stream(
    api: Api, server: FakeCodexServer
) -> None:
    """The end of the body is awaited only briefly: a server that keeps the connection open
    after response.completed still gives a complete stream (the connection is then dropped)."""
    gate = threading.Event()
    answer = text_reply("kept open")
    server.queue(answer.hold(gate, after=len(answer.events)))
    try:
        events, final = api.stream()
        # Seen while the server still holds the body open (once the gate opens, the server
        # ends the answer itself, and a late check would race with that).
        assert server.wait_for_disconnects(1) >= 1
    finally:
        gate.set()
    assert isinstance(events[-1], c.ResponseCompletedEvent)
    assert final.output_text == "kept open"


def test_the_original_detail_check_walks_no_history_until_such_an_image_exists() -> None:
    """A long history is not walked per request for detail="original" images until one has
    been built at all; then it is found in a message, a tool output or an unknown item.
    In a child process: the flag is process-wide."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        """
        import codex_open_client as c
        from codex_open_client._client import _asks_for_original_detail
        from codex_open_client._request import (
            ClientConfig, build_responses_request, original_detail_seen,
        )

        def asks(items):
            request = build_responses_request(
                ClientConfig(), model="m", instructions="", input=items
            )
            return _asks_for_original_detail(request)

        history = [c.InputMessage(role="user", content=f"turn {i}") for i in range(1000)]
        image = c.InputImage(image_url="data:image/png;base64,AAAA", detail="high")
        history.append(c.InputMessage(role="user", content=[c.InputText(text="x"), image]))
        assert not asks(history) and not original_detail_seen()
        original = {"type": "input_image", "image_url": "data:,", "detail": "original"}
        tool_output = {"type": "function_call_output", "call_id": "c", "output": [original]}
        assert asks([*history, tool_output]) and original_detail_seen()
        assert not asks(history)  # walked now, and still right
        message = {"role": "user", "content": [original]}
        assert asks([message, *history])
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.stdout.strip() == "ok", done.stderr
