"""The gateway's guards: keys, origins, body size, input checks, secrets, logs, disconnects."""

from __future__ import annotations

import hmac
import http.client
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from codex_open_client.testing import FakeCodexServer, http_error, text_reply

from .test_gateway import MODEL, GatewayThread

KEYS = ["key-one-0123456789", "key-two-abcdefghij"]
GOOD_ORIGIN = "http://localhost:3000"
CHAT: dict[str, Any] = {"model": MODEL, "messages": [{"role": "user", "content": "Hi"}]}


@pytest.fixture(scope="module")
def guarded(_server: FakeCodexServer) -> Iterator[GatewayThread]:
    thread = GatewayThread(
        _server, api_keys=KEYS, allowed_origins=[GOOD_ORIGIN], max_body_size=64 * 1024
    )
    yield thread
    thread.stop()


def auth(key: str = KEYS[0]) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_missing_and_wrong_keys(guarded: GatewayThread, server: FakeCodexServer) -> None:
    """No key or a wrong key: openai's AuthenticationError (401); every listed key works."""
    bad = openai.OpenAI(base_url=guarded.url + "/v1", api_key=KEYS[0][:-1], max_retries=0)
    with bad, pytest.raises(openai.AuthenticationError) as info:
        bad.chat.completions.create(**CHAT)
    assert info.value.code == "invalid_api_key"
    status, headers, body = guarded.raw("/v1/chat/completions", CHAT)
    assert status == 401 and headers["www-authenticate"].startswith("Bearer")
    assert json.loads(body)["error"]["type"] == "invalid_request_error"
    assert server.requests == []  # nothing went upstream
    for key in KEYS:
        with openai.OpenAI(base_url=guarded.url + "/v1", api_key=key, max_retries=0) as good:
            assert good.chat.completions.create(**CHAT).choices[0].message.content
    status, _, _ = guarded.raw("/v1/models", headers={"x-api-key": KEYS[1]})
    assert status == 200
    status, _, body = guarded.raw("/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok"}


def test_keys_compared_in_constant_time(
    guarded: GatewayThread, server: FakeCodexServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each check compares fixed-size digests against every key: no early exit, no prefix leak."""
    calls: list[tuple[int, int]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    for given in (KEYS[0], KEYS[0][:5], KEYS[0] + "x", "z" * 300, KEYS[1]):
        calls.clear()
        guarded.raw("/v1/models", headers=auth(given))
        assert calls == [(32, 32)] * len(KEYS), given


def test_foreign_origin_gets_no_cors(guarded: GatewayThread, server: FakeCodexServer) -> None:
    """A page on another origin is refused (403, no CORS grant); a listed origin is granted."""
    status, headers, _ = guarded.raw(
        "/v1/chat/completions", CHAT, headers={**auth(), "Origin": "https://evil.example"}
    )
    assert status == 403
    assert "access-control-allow-origin" not in headers
    status, headers, _ = guarded.raw(
        "/v1/chat/completions",
        method="OPTIONS",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in headers
    assert server.requests == []
    status, headers, _ = guarded.raw(
        "/v1/chat/completions",
        method="OPTIONS",
        headers={"Origin": GOOD_ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert status == 204 and headers["access-control-allow-origin"] == GOOD_ORIGIN
    status, headers, _ = guarded.raw(
        "/v1/chat/completions", CHAT, headers={**auth(), "Origin": GOOD_ORIGIN}
    )
    assert status == 200 and headers["access-control-allow-origin"] == GOOD_ORIGIN


def test_huge_body_is_413(guarded: GatewayThread, server: FakeCodexServer) -> None:
    """A body over max_body_size: 413 in OpenAI's shape, with or without Content-Length."""
    huge = {**CHAT, "messages": [{"role": "user", "content": "x" * 100_000}]}
    status, _, body = guarded.raw("/v1/chat/completions", huge, headers=auth())
    assert status == 413
    assert json.loads(body)["error"]["code"] == "request_too_large"
    connection = http.client.HTTPConnection("127.0.0.1", guarded.port, timeout=10)
    try:
        connection.request(
            "POST",
            "/v1/chat/completions",
            body=iter([json.dumps(huge).encode()]),
            headers={**auth(), "Content-Type": "application/json"},
            encode_chunked=True,
        )
        answer = connection.getresponse()
        assert answer.status == 413
        assert json.loads(answer.read())["error"]["code"] == "request_too_large"
    finally:
        connection.close()
    assert server.requests == []


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": 5, "messages": []}, "model"),
        ({"model": MODEL}, "messages"),
        ({"model": MODEL, "messages": "hi"}, "messages"),
        ({"model": MODEL, "messages": [{"role": "user", "content": 3}]}, "messages[0].content"),
        ({"model": MODEL, "messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
        ({**CHAT, "stream": "yes"}, "stream"),
        ({**CHAT, "tools": [{"type": "function", "function": {}}]}, "tools[0].function.name"),
        (
            {
                "model": MODEL,
                "messages": [
                    {"role": "user", "content": [{"type": "image_url", "image_url": {"url": 1}}]}
                ],
            },
            "messages[0].content[0].image_url.url",
        ),
        ({**CHAT, "response_format": {"type": "xml"}}, "response_format.type"),
    ],
)
def test_wrong_types_name_the_field(
    guarded: GatewayThread, server: FakeCodexServer, body: dict[str, Any], param: str
) -> None:
    """A wrong type or value: 400 whose param names the field; nothing goes upstream."""
    status, _, raw = guarded.raw("/v1/chat/completions", body, headers=auth())
    assert status == 400
    assert json.loads(raw)["error"]["param"] == param
    assert server.requests == []


def test_malformed_json_is_400(guarded: GatewayThread, server: FakeCodexServer) -> None:
    """A body that is not JSON (or not an object) is a 400 invalid_json."""
    for data in (b"{not json", b"[1, 2]", b""):
        status, _, raw = guarded.raw("/v1/responses", data=data, headers=auth())
        assert status == 400
        assert json.loads(raw)["error"]["code"] == "invalid_json"
    with openai.OpenAI(base_url=guarded.url + "/v1", api_key=KEYS[0], max_retries=0) as client:
        with pytest.raises(openai.BadRequestError) as info:
            client.responses.create(model=MODEL, input=42)  # type: ignore[call-overload]
        assert info.value.param == "input"


def test_unknown_url_is_openai_404(guarded: GatewayThread, server: FakeCodexServer) -> None:
    """An unknown path is OpenAI's 404 shape."""
    status, _, raw = guarded.raw("/v1/embeddings", {"input": "x"}, headers=auth())
    assert status == 404
    assert json.loads(raw)["error"]["code"] == "unknown_url"


def test_tokens_never_leave_and_one_log_line_per_request(
    guarded: GatewayThread, server: FakeCodexServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Tokens are absent from every body, header and log line; each request logs one line."""
    token = server.access_token
    server.queue(
        http_error(401, {"detail": f"token {token} is not valid"}),
        http_error(400, {"error": {"message": f"bad {token}", "code": "invalid_prompt"}}),
        http_error(500, f"<html>{token}</html>"),
    )
    seen: list[str] = []
    caplog.set_level(logging.DEBUG)
    paths = []
    for body in (CHAT, CHAT, {**CHAT, "stream": True}, CHAT):
        status, headers, raw = guarded.raw("/v1/chat/completions", body, headers=auth())
        paths.append(status)
        seen.append(raw.decode())
        seen.extend(f"{k}: {v}" for k, v in headers.items())
    status, headers, raw = guarded.raw(
        "/v1/responses", {"model": MODEL, "input": "Hi", "stream": True}, headers=auth()
    )
    seen.append(raw.decode())
    seen.extend(f"{k}: {v}" for k, v in headers.items())
    assert paths[:3] == [502, 400, 502] and paths[3] == 200
    assert all(token not in text for text in seen)
    # A streamed answer is logged when its handler returns, just after the client has it all.
    deadline = time.monotonic() + 5
    while len(_access_lines(caplog)) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert all(token not in r.getMessage() for r in caplog.records)
    access = _access_lines(caplog)
    assert len(access) == 5
    assert access[0].startswith("POST /v1/chat/completions 502 model=gpt-5.1-codex-mini")
    assert access[3].startswith("POST /v1/chat/completions 200 model=gpt-5.1-codex-mini")
    assert "tokens=137" in access[3] and "duration_ms=" in access[3]
    assert access[4].startswith("POST /v1/responses 200")


def _access_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "codex_open_client.gateway"]


def test_client_disconnect_cancels_upstream(
    guarded: GatewayThread, server: FakeCodexServer
) -> None:
    """A client that hangs up mid-stream closes the upstream stream at once (not at its end)."""
    # After a few words the backend goes quiet for 30 s: only a cancellation (no write that
    # fails) can notice the hang-up in time.
    server.queue(text_reply(deltas=["one ", "two ", "three"]).pause(30, after=6))
    connection = http.client.HTTPConnection("127.0.0.1", guarded.port, timeout=10)
    connection.request(
        "POST",
        "/v1/chat/completions",
        body=json.dumps({**CHAT, "stream": True}),
        headers={**auth(), "Content-Type": "application/json"},
    )
    answer = connection.getresponse()
    assert answer.status == 200
    assert answer.read1(100).startswith(b"data: ")
    connection.close()
    assert server.wait_for_disconnects(1, timeout=5) == 1


def test_access_log_line_cannot_be_forged(
    guarded: GatewayThread, server: FakeCodexServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A model name with a line break stays on its one access-log line (quoted)."""
    caplog.set_level(logging.INFO, logger="codex_open_client.gateway")
    body = {**CHAT, "model": "x\nPOST /v1/chat/completions 200 model=forged"}
    guarded.raw("/v1/chat/completions", body, headers=auth())
    deadline = time.monotonic() + 5
    while not _access_lines(caplog) and time.monotonic() < deadline:
        time.sleep(0.01)
    lines = _access_lines(caplog)
    assert len(lines) == 1 and "\n" not in lines[0]
    assert "model='x\\nPOST" in lines[0]
