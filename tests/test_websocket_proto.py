"""The sans-IO part of the WebSocket transport, with plain dicts: frames, chains, errors."""

from __future__ import annotations

import json

import codex_open_client as c
from codex_open_client._exceptions import error_from_status
from codex_open_client._wsproto import (
    BETA_HEADER,
    Chain,
    chain_rejected,
    chained_fields,
    connection_limit_reached,
    error_frame_status,
    frame_for,
    handshake_headers,
    http_error_of,
    pool_key,
    socket_reusable,
    websocket_url,
)

USER = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
OUT = {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "yo"}]}
NEW = {"type": "function_call_output", "call_id": "c1", "output": "42"}
BODY = {"model": "m", "input": [USER], "store": False, "stream": True}


def chain() -> Chain:
    return Chain(response_id="resp_1", fields=chained_fields(BODY), input=[USER], output=[OUT])


def test_a_continuation_sends_only_the_new_items() -> None:
    frame, chained = frame_for(chain(), {**BODY, "input": [USER, OUT, NEW]}, None)
    assert chained
    assert json.loads(frame) == {
        "type": "response.create",
        "model": "m",
        "store": False,
        "stream": True,
        "previous_response_id": "resp_1",
        "input": [NEW],
    }


def test_an_empty_delta_is_allowed() -> None:
    frame, chained = frame_for(chain(), {**BODY, "input": [USER, OUT]}, None)
    assert chained and json.loads(frame)["input"] == []


def test_anything_else_is_sent_in_full() -> None:
    cases = [
        {**BODY, "model": "other", "input": [USER, OUT, NEW]},  # another field changed
        {**BODY, "input": [USER, NEW]},  # the previous output is missing
        {**BODY, "input": [NEW, USER, OUT]},  # not a prefix
        {**BODY, "input": [USER]},  # shorter
        {**BODY, "input": [USER, OUT, NEW], "previous_response_id": "mine"},
    ]
    for body in cases:
        frame, chained = frame_for(chain(), body, None)
        assert not chained
        assert json.loads(frame) == {"type": "response.create", **body}
    frame, chained = frame_for(None, BODY, None)
    assert not chained and json.loads(frame)["input"] == [USER]


def test_a_full_frame_reuses_the_http_body_bytes() -> None:
    encoded = json.dumps(BODY, separators=(",", ":")).encode()
    frame, _ = frame_for(None, BODY, encoded)
    assert frame == b'{"type":"response.create",' + encoded[1:]
    assert json.loads(frame) == {"type": "response.create", **BODY}


def test_handshake_headers_as_the_cli() -> None:
    headers = handshake_headers(
        {
            "User-Agent": "ua",
            "originator": "codex_cli_rs",
            "session_id": "s",
            "session-id": "s",
            "thread-id": "s",
            "Accept": "text/event-stream",
            "Content-Type": "application/json",
        }
    )
    assert headers == {
        "User-Agent": "ua",
        "originator": "codex_cli_rs",
        "session-id": "s",
        "thread-id": "s",
        "OpenAI-Beta": BETA_HEADER,
        "x-client-request-id": "s",
    }
    merged = handshake_headers({"openai-beta": "other=1"})
    assert merged["openai-beta"] == f"other=1,{BETA_HEADER}"


def test_pool_key_ignores_per_request_headers() -> None:
    one = pool_key("u", {"session-id": "a", "x-client-request-id": "1", "Authorization": "x"})
    two = pool_key("u", {"session-id": "a", "x-client-request-id": "2", "Authorization": "y"})
    assert one == two
    assert pool_key("u", {"session-id": "b"}) != pool_key("u", {"session-id": "a"})


def test_urls_and_ages() -> None:
    assert websocket_url("https://h/x/responses") == "wss://h/x/responses"
    assert websocket_url("http://h:1/responses?a=1") == "ws://h:1/responses?a=1"
    assert socket_reusable(0.0, 10.0, 60.0) and not socket_reusable(0.0, 60.0, 60.0)


def test_error_frames_map_like_the_http_error() -> None:
    frame = {
        "type": "error",
        "status": 429,
        "error": {"type": "usage_limit_reached", "plan_type": "plus", "resets_at": 1900000000},
        "headers": {"x-codex-primary-used-percent": "100", "x-request-id": "req_1"},
    }
    assert error_frame_status(frame) == 429
    assert error_frame_status({"status_code": 503}) == 503
    assert error_frame_status({"error": {}}) is None
    content, headers = http_error_of(frame)
    error = error_from_status(429, content, headers)
    assert isinstance(error, c.QuotaExceededError) and error.resets_at
    assert error.request_id == "req_1"


def test_chain_rejections_and_the_connection_limit() -> None:
    def frame_error(error: dict[str, object], status: int = 400) -> c.APIError:
        content, headers = http_error_of({"status": status, "error": error})
        return error_from_status(status, content, headers)

    assert chain_rejected(frame_error({"code": "previous_response_not_found", "message": "x"}))
    assert chain_rejected(frame_error({"message": "bad", "param": "previous_response_id"}))
    assert not chain_rejected(frame_error({"message": "bad", "param": "input"}))
    limit = frame_error({"code": "websocket_connection_limit_reached", "message": "60 minutes"})
    assert connection_limit_reached(limit) and not chain_rejected(limit)
