"""Hostile servers and callers, over real sockets: bounded memory, bounded waits, no leaks.

Each test here failed before the fix it proves (issue 14): a compression bomb, deeply nested
JSON, a pool with no free connection, a server echoing credentials, redirects to another
origin, and timeouts that are not numbers.
"""

from __future__ import annotations

import json
import math
import socket
import subprocess
import sys
import textwrap
import threading
import zlib
from typing import Any

import pytest

import codex_open_client as c
from codex_open_client.testing import (
    FakeCodexServer,
    RecordedRequest,
    Reply,
    error_event_reply,
    failed_reply,
    http_error,
    message,
    reply,
    text_reply,
)

from .conftest import BASE, Api

DEFAULT_CAP = 64 << 20


def _bomb(wbits: int, size: int = 1 << 30) -> bytes:
    """``size`` zero bytes compressed (zlib for deflate, gzip framing for gzip): about 1 MB.

    A full flush resets the compressor, so every 1 MiB segment after the first compresses to
    the same bytes: repeating it builds the bomb in milliseconds. It never ends properly,
    which a client that stops at its cap never notices.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = bytes(1 << 20)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    segment = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    return first + segment * (size // len(block) - 1)


_BOMB_CLIENT = textwrap.dedent(
    """
    import json, resource, sys
    # Without the cap the client tried to hold the whole GiB (twice): fail fast instead.
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
    import codex_open_client as c

    url, token, account = sys.argv[1:4]
    client = c.Client(access_token=token, account_id=account, base_url=url, max_retries=0)
    try:
        client.responses.create(model="gpt-5.1-codex-mini", instructions="", input="hi")
    except c.StreamError as exc:
        outcome = ["StreamError", str(exc)]
    except BaseException as exc:
        outcome = [type(exc).__name__, str(exc)[:300]]
    else:
        outcome = ["no error", ""]
    finally:
        client.close()
    with open("/proc/self/status") as status:
        hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    print(json.dumps({"outcome": outcome, "hwm_bytes": hwm * 1024}))
    """
)


@pytest.mark.parametrize(("encoding", "wbits"), [("deflate", zlib.MAX_WBITS), ("gzip", 31)])
def test_a_compression_bomb_stops_at_the_cap_with_bounded_memory(
    server: FakeCodexServer, encoding: str, wbits: int
) -> None:
    """1 GiB of zeros in ~1 MB on the wire: a StreamError naming the cap, peak < cap + 100 MB."""
    body = _bomb(wbits)
    assert len(body) < 2 << 20
    server.queue(
        http_error(
            200, body, headers={"Content-Encoding": encoding}, content_type="text/event-stream"
        )
    )
    run = subprocess.run(
        [sys.executable, "-c", _BOMB_CLIENT, server.url, server.access_token, server.account_id],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    kind, message = result["outcome"]
    assert kind == "StreamError", message
    assert "max_event_size" in message
    assert f"{DEFAULT_CAP:,}" in message
    assert result["hwm_bytes"] < DEFAULT_CAP + 100_000_000, result["hwm_bytes"]


def test_an_event_above_a_configured_cap_is_a_stream_error(
    make_api: Any, server: FakeCodexServer
) -> None:
    """max_event_size= sets the cap; the event is refused, not retried, and named."""
    for mode in ("sync", "async"):
        server.clear()
        api = make_api(mode, max_event_size=1 << 20, max_retries=2)
        server.queue(text_reply("before").raw(b"data: " + b"x" * (2 << 20) + b"\n\n", after=2))
        with pytest.raises(c.StreamError, match=r"max_event_size \(1,048,576 bytes\)"):
            api.stream()
        assert len(server.requests) == 1  # not retried: the same answer would cost the same


def test_events_below_a_configured_cap_pass(make_api: Any, server: FakeCodexServer) -> None:
    """Events of 2 MiB (the done events of a 2 MiB text) under a 4 MiB cap arrive whole."""
    big = "y" * (2 << 20)
    for mode in ("sync", "async"):
        server.queue(reply(message(deltas=[big])))
        _, final = make_api(mode, max_event_size=4 << 20).stream()
        assert final.output_text == big


# ----------------------------------------------------------------------- malformed payloads


def test_deeply_nested_json_in_a_data_line_is_skipped(api: Api, server: FakeCodexServer) -> None:
    """100,000 nested brackets are skipped like any data line that is not JSON."""
    nested = b"data: " + b"[" * 100_000 + b"]" * 100_000 + b"\n\n"
    server.queue(text_reply("Still fine").raw(nested, after=2).raw(b"data: {" * 50_000, after=3))
    events, final = api.stream()
    assert final.output_text == "Still fine"
    assert not any(isinstance(e, c.UnknownEvent) and not e.wire_type for e in events)


def test_deeply_nested_json_in_an_error_body_is_a_typed_error(
    api: Api, server: FakeCodexServer
) -> None:
    """An HTTP error body nested 100,000 deep still gives the mapped APIError."""
    server.queue(http_error(400, b"[" * 100_000, content_type="application/json"))
    with pytest.raises(c.InvalidRequestError) as caught:
        api.create()
    assert caught.value.status_code == 400


def test_deeply_nested_json_from_models_is_a_typed_error(api: Api, server: FakeCodexServer) -> None:
    """GET /models answering 200 with deep nesting: an APIError, not a RecursionError."""
    server.queue_for("models", http_error(200, b"[" * 100_000))
    with pytest.raises(c.APIError, match="not JSON"):
        api.call("models.list")


# ----------------------------------------------------------------------- the connection pool


def _open_held_streams(api: Api, count: int, **params: Any) -> list[Any]:
    """Open ``count`` streams at once and read the first event of each."""
    if api.mode == "sync":
        streams = [api.sync.responses.create(stream=True, **BASE, **params) for _ in range(count)]
        for stream in streams:
            next(iter(stream))
        return streams

    async def go() -> list[Any]:
        streams = [
            await api.aclient.responses.create(stream=True, **BASE, **params) for _ in range(count)
        ]
        for stream in streams:
            await stream.__anext__()
        return streams

    return api.run(go())  # type: ignore[no-any-return]


def _finish(api: Api, streams: list[Any]) -> list[c.Response]:
    if api.mode == "sync":
        return [stream.get_final_response() for stream in streams]

    async def go() -> list[c.Response]:
        return [await stream.get_final_response() for stream in streams]

    return api.run(go())  # type: ignore[no-any-return]


def test_more_than_a_hundred_streams_open_at_once(make_api: Any, server: FakeCodexServer) -> None:
    """aiohttp's default pool held 100 connections: the 101st stream waited forever."""
    for mode in ("sync", "async"):
        server.clear()
        gate = threading.Event()
        count = 130
        server.queue(*(text_reply(f"reply {n}").hold(gate, after=2) for n in range(count)))
        api = make_api(mode, timeout=10)
        streams = _open_held_streams(api, count)
        assert len(streams) == count  # every one open while all the others are held
        gate.set()
        finals = _finish(api, streams)
        assert sorted(f.output_text for f in finals) == sorted(f"reply {n}" for n in range(count))


def test_waiting_for_a_pooled_connection_is_bounded_by_timeout(
    make_api: Any, server: FakeCodexServer
) -> None:
    """With max_connections=1 and that one held, the next request times out, not hangs."""
    for mode in ("sync", "async"):
        server.clear()
        gate = threading.Event()
        server.queue(text_reply("held").hold(gate, after=2), text_reply("after"))
        api = make_api(mode, max_connections=1)
        (held,) = _open_held_streams(api, 1)
        with pytest.raises(c.APITimeoutError, match=r"no connection within 0\.5s"):
            api.create(timeout=0.5)
        gate.set()
        assert _finish(api, [held])[0].output_text == "held"
        assert api.create().output_text == "after"  # the connection is free again


# ----------------------------------------------------------------------- credentials in errors


def _echo(status: int) -> Any:
    """A reply factory whose error body repeats the request's Authorization header."""

    def factory(request: RecordedRequest) -> Reply:
        auth = request.headers.get("Authorization", "")
        return http_error(
            status, {"error": {"message": f"bad header {auth!r}", "echo": [auth, {"a": auth}]}}
        )

    return factory


def _assert_clean(exc: BaseException, *secrets: str) -> None:
    shown = [str(exc), repr(exc), repr(exc.args), repr(getattr(exc, "body", None))]
    shown.append(repr(getattr(exc, "message", None)))
    response = getattr(exc, "response", None)
    if response is not None and response.error is not None:
        shown.append(response.error.message)
    for secret in secrets:
        assert all(secret not in text for text in shown)
    assert any("[redacted]" in text for text in shown)


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, c.AuthError), (400, c.InvalidRequestError), (500, c.ServerError)],
)
def test_a_server_echoing_the_token_never_puts_it_in_an_error(
    api: Api, server: FakeCodexServer, status: int, error: type[c.APIError]
) -> None:
    """The access token is redacted from message, args and body of every HTTP error."""
    server.queue(_echo(status), _echo(status), _echo(status))  # 401 recovery may ask again
    with pytest.raises(error) as caught:
        api.create()
    _assert_clean(caught.value, server.access_token)


def test_in_stream_errors_never_carry_the_token(api: Api, server: FakeCodexServer) -> None:
    """response.failed and error events that echo the token: redacted there too."""
    token = server.access_token
    for failure in (
        failed_reply("server_error", f"your token {token} is odd"),
        error_event_reply("invalid_request_error", f"Bearer {token}"),
    ):
        server.queue(failure)
        with pytest.raises(c.APIError) as caught:
            api.create()
        _assert_clean(caught.value, token)


def test_every_credential_held_is_redacted(make_api: Any, server: FakeCodexServer) -> None:
    """Refresh and id tokens too (from a token store), not only the one sent."""
    auth = server.mint_credentials()
    tokens = auth["tokens"]
    for mode in ("sync", "async"):
        store = c.MemoryTokenStore(c.Credentials.from_auth_json(auth))
        api = make_api(mode, token_store=store, access_token=None, account_id=None)
        body = {"detail": f"{tokens['refresh_token']} / {tokens['id_token']}"}
        server.queue(http_error(400, body))
        with pytest.raises(c.InvalidRequestError) as caught:
            api.create()
        _assert_clean(caught.value, tokens["refresh_token"], tokens["id_token"])


def test_models_errors_never_carry_the_token(api: Api, server: FakeCodexServer) -> None:
    """The JSON endpoints redact like /responses."""
    server.queue_for("models", http_error(403, {"detail": f"token {server.access_token}"}))
    with pytest.raises(c.AuthError) as caught:
        api.call("models.list")
    _assert_clean(caught.value, server.access_token)


@pytest.mark.parametrize(
    ("wait", "seconds"),
    [("20s", 20.0), ("1.5s", 1.5), ("2m3s", 123.0), ("250ms", 0.25), ("35 seconds", 35.0)],
)
def test_retry_after_comes_from_the_message_without_a_header(
    api: Api, server: FakeCodexServer, wait: str, seconds: float
) -> None:
    """0.2.2 read "try again in ..." from the message: an HTTP 429 and an in-stream error."""
    text = f"Rate limit reached for gpt-5.1-codex-mini. Please try again in {wait}."
    server.queue(
        http_error(429, {"error": {"type": "rate_limit_exceeded", "message": text}}),
        failed_reply("rate_limit_exceeded", text),
    )
    for _ in range(2):
        with pytest.raises(c.RateLimitError) as caught:
            api.create()
        assert caught.value.retry_after == pytest.approx(seconds)


def _pieces(secret: str, size: int = 16) -> list[str]:
    """Every ``size``-character piece of ``secret``: none may show, not even a cut one."""
    return [secret[i : i + size] for i in range(len(secret) - size + 1)]


def _escaped(text: str) -> str:
    """``text`` with every character as a JSON ``\\uXXXX`` escape (a valid JSON spelling)."""
    return "".join(f"\\u{ord(char):04X}" for char in text)


def _long_token(server: FakeCodexServer) -> str:
    """A real-sized access token (a JWT of ~760 characters) the fake accepts."""
    token: str = server.mint_credentials()["tokens"]["access_token"]
    assert len(token) > 500
    return token


def test_a_body_that_is_not_sse_never_shows_the_token(
    make_api: Any, server: FakeCodexServer
) -> None:
    """A 200 page echoing the headers (no events): the StreamError quotes its head, redacted.

    The token is longer than the quoted head, so the head ends inside it: no piece shows.
    """

    def page(request: RecordedRequest) -> Reply:
        auth = request.headers.get("Authorization", "")
        content_type = f"text/html; token={auth[7:]}"
        return http_error(
            200, f"<p>Your headers: Authorization: {auth}</p>", content_type=content_type
        )

    token = _long_token(server)
    for mode in ("sync", "async"):
        server.queue(page)
        api = make_api(mode, access_token=token)
        with pytest.raises(c.StreamError, match="no server-sent events") as caught:
            api.create()
        shown = str(caught.value)
        assert "Your headers: Authorization: Bearer [redacted]" in shown
        assert "text/html; token=[redacted]" in shown
        assert not [piece for piece in _pieces(token) if piece in shown]


def test_headers_of_an_error_answer_are_redacted(api: Api, server: FakeCodexServer) -> None:
    """Content-Type and x-request-id go into the message and request_id: redacted too."""

    def echo(request: RecordedRequest) -> Reply:
        token = request.headers.get("Authorization", "")[7:]
        return http_error(
            502,
            "<html>Bad gateway</html>",
            headers={"x-request-id": f"req-{token}"},
            content_type=f"text/html; charset=utf-8; echo={token}",
        )

    server.queue(echo)
    with pytest.raises(c.ServerError) as caught:
        api.create()
    error = caught.value
    assert error.request_id == "req-[redacted]"
    assert "echo=[redacted]" in str(error)
    _assert_clean(error, server.access_token)


@pytest.mark.parametrize("spelling", ["escaped", "half-escaped", "escaped-start"])
def test_a_token_spelled_with_json_escapes_is_redacted(
    api: Api, server: FakeCodexServer, spelling: str
) -> None:
    """\\u escapes (or \\/) spell the same token once decoded: message, body, str all clean."""
    token = server.access_token
    wire = {
        "escaped": _escaped(token),
        "half-escaped": token[:5] + _escaped(token[5:]),
        "escaped-start": _escaped(token[:4]) + token[4:],
    }[spelling]
    raw = f'{{"error":{{"message":"echo {wire}","code":"bad_auth","echo":["{wire}"]}}}}'
    server.queue(http_error(400, raw.encode(), content_type="application/json"))
    with pytest.raises(c.InvalidRequestError) as caught:
        api.create()
    error = caught.value
    assert error.message.endswith("echo [redacted]")
    assert error.body == {
        "error": {"message": "echo [redacted]", "code": "bad_auth", "echo": ["[redacted]"]}
    }
    _assert_clean(error, token, wire)


def test_the_debug_log_never_shows_stream_content(
    make_api: Any, server: FakeCodexServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Skipped data lines are logged by size and type, not by content (which may be a token)."""
    caplog.set_level("DEBUG", logger="codex_open_client")
    token = _long_token(server)
    for mode in ("sync", "async"):
        caplog.clear()
        server.queue(
            text_reply("fine")
            .raw(f"data: {token} is not JSON\n\n".encode(), after=2)
            .raw(f'data: "{token}"\n\n'.encode(), after=3)
        )
        assert make_api(mode, access_token=token).create().output_text == "fine"
        assert not [piece for piece in _pieces(token) if piece in caplog.text]
        assert "not JSON" in caplog.text and "not an object (str" in caplog.text


def test_an_in_stream_error_redacts_the_token_it_was_sent_with(
    make_api: Any, server: FakeCodexServer
) -> None:
    """A stream opened with token A fails after a refresh replaced A: A is still redacted."""
    from .test_auth import revoke_token

    for mode in ("sync", "async"):
        server.clear()
        auth = server.mint_credentials(expires_in=3600)
        sent = auth["tokens"]["access_token"]
        store = c.MemoryTokenStore(c.Credentials.from_auth_json(auth))
        api = make_api(
            mode, token_store=store, access_token=None, account_id=None, issuer=server.issuer
        )
        gate = threading.Event()

        def failing(request: RecordedRequest, gate: threading.Event = gate) -> Reply:
            token = request.headers.get("Authorization", "")[7:]
            return failed_reply("server_error", f"odd token {token}").hold(gate, after=2)

        server.queue(failing, text_reply("after the refresh"))
        (held,) = _open_held_streams(api, 1)
        revoke_token(server, sent)
        assert api.create().output_text == "after the refresh"  # a 401, a refresh, a retry
        stored = store.load()
        assert stored is not None and sent not in (stored.access_token, stored.id_token)
        gate.set()
        with pytest.raises(c.ServerError) as caught:
            _finish(api, [held])
        _assert_clean(caught.value, sent)


class _RawHTTPServer:
    """A TCP server on 127.0.0.1 that answers each request with ``answer(request_head)``."""

    def __init__(self, answer: Any) -> None:
        self._answer = answer
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> _RawHTTPServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        # close() alone does not wake a thread blocked in accept() on Linux (the join then
        # waited its full 10 s); shutdown() does.
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        self._thread.join(10)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(10)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(body) < length:  # read the request body, so no reset cuts the answer
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    body += chunk
                conn.sendall(self._answer(head))
                conn.shutdown(socket.SHUT_WR)
                while conn.recv(65536):
                    pass


def _reachable(exc: BaseException) -> list[object]:
    """The exception and what its cause, context, args and attributes lead to."""
    seen: set[int] = set()
    found: list[object] = []
    todo: list[object] = [exc]
    while todo:
        item = todo.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        found.append(item)
        if isinstance(item, BaseException):
            todo += [item.__cause__, item.__context__, *item.args, *vars(item).values()]
        elif isinstance(item, (list, tuple, set)):
            todo += list(item)
        elif isinstance(item, dict):
            todo += list(item.values())
    return found


def test_a_malformed_answer_echoing_the_token_never_leaks_it(make_api: Any) -> None:
    """aiohttp's ClientResponseError holds the request headers (Authorization) and quotes the
    bad line: our APIConnectionError is redacted and leads to no aiohttp object holding them."""
    import aiohttp

    token = "at_" + "S3cr3t-access-token-" * 5

    def answer(head: bytes) -> bytes:
        auth = next(line for line in head.split(b"\r\n") if line.lower().startswith(b"auth"))
        # "Authorization Bearer ..." without its colon: not a header line at all.
        return b"HTTP/1.1 200 OK\r\n" + auth.replace(b":", b"") + b"\r\nContent-Length: 0\r\n\r\n"

    with _RawHTTPServer(answer) as raw:
        for mode in ("sync", "async"):
            api = make_api(mode, base_url=raw.url, access_token=token)
            with pytest.raises(c.APIConnectionError) as caught:
                api.create()
            error = caught.value
            for item in _reachable(error):
                assert not isinstance(item, (aiohttp.ClientResponseError, aiohttp.RequestInfo))
                assert token not in repr(item) and token not in str(item)
            assert error.__cause__ is None and error.__context__ is None
            assert "invalid HTTP answer" in str(error) and "[redacted]" in str(error)


# ----------------------------------------------------------------------- redirects


def test_a_redirect_to_another_origin_is_not_followed(api: Api, server: FakeCodexServer) -> None:
    """Nothing (account id, session ids, body) reaches the other origin; the error says why."""
    with FakeCodexServer() as elsewhere:
        server.queue(http_error(307, "", headers={"Location": f"{elsewhere.url}/responses"}))
        with pytest.raises(c.APIError, match="another origin") as caught:
            api.create()
        assert caught.value.status_code == 307
        assert "base_url" in str(caught.value)
        assert elsewhere.requests == []


@pytest.mark.parametrize("status", [307, 308])
def test_a_same_origin_redirect_that_keeps_the_method_is_followed(
    api: Api, server: FakeCodexServer, status: int
) -> None:
    """307/308 within the origin keep method and body: followed, with the same body, a body
    over 1 MiB (sent from a BytesIO) too."""
    for history in ("Hello!", [c.InputMessage(role="user", content="y" * (2 << 20))]):
        server.clear()
        server.queue(
            http_error(status, "", headers={"Location": f"{server.url}/responses"}),
            text_reply("moved here"),
        )
        assert api.create(input=history).output_text == "moved here"
        first, second = server.requests
        assert first.body == second.body
        assert second.json is not None and second.json["input"]


def test_a_redirect_that_would_turn_the_post_into_a_get_is_refused(
    api: Api, server: FakeCodexServer
) -> None:
    """302 on a POST (clients turn it into a GET): an error, not a silent GET."""
    server.queue(http_error(302, "", headers={"Location": f"{server.url}/responses"}))
    with pytest.raises(c.APIError, match="into a GET"):
        api.create()
    assert len(server.requests) == 1


def test_models_redirect_to_another_origin_is_not_followed(
    api: Api, server: FakeCodexServer
) -> None:
    """GET /models carries the account id too."""
    with FakeCodexServer() as elsewhere:
        location = f"{elsewhere.url}/models"
        server.queue_for("models", http_error(301, "", headers={"Location": location}))
        with pytest.raises(c.APIError, match="another origin"):
            api.call("models.list")
        assert elsewhere.requests == []


@pytest.mark.parametrize(
    "location", ["http://[::1", "http://127.0.0.1:99999/responses", "https://host:port/x"]
)
def test_a_malformed_redirect_target_is_an_api_error(
    api: Api, server: FakeCodexServer, location: str
) -> None:
    """A Location yarl cannot parse was a raw ValueError: an APIError saying so now."""
    server.queue(http_error(307, "", headers={"Location": location}))
    with pytest.raises(c.APIError, match=r"the redirect target .* is malformed") as caught:
        api.create()
    assert caught.value.status_code == 307
    assert location in str(caught.value)
    assert len(server.requests) == 1


def test_a_redirect_target_echoing_the_token_is_redacted(api: Api, server: FakeCodexServer) -> None:
    """The Location header is quoted in the error: redacted like every header."""
    token = server.access_token
    server.queue(http_error(307, "", headers={"Location": f"http://[{token}"}))
    with pytest.raises(c.APIError, match="malformed") as caught:
        api.create()
    _assert_clean(caught.value, token)


@pytest.mark.parametrize(
    ("url", "location", "followed"),
    [
        ("https://chatgpt.com/backend-api/codex/responses", "https://chatgpt.com:443/x", True),
        ("https://chatgpt.com:443/backend-api/codex/responses", "https://chatgpt.com/x", True),
        ("http://example.com/responses", "http://EXAMPLE.com:80/x", True),
        ("https://chatgpt.com/backend-api/codex/responses", "https://chatgpt.com:8443/x", False),
        ("https://chatgpt.com/backend-api/codex/responses", "http://chatgpt.com/x", False),
        ("https://chatgpt.com/backend-api/codex/responses", "http://chatgpt.com:443/x", False),
    ],
)
def test_an_explicit_default_port_is_the_same_origin(
    url: str, location: str, followed: bool
) -> None:
    """Scheme, host (any case) and effective port decide; ':443' on https changes nothing.

    (Sans-IO: a real-socket test would need a server on port 443 or 80.)
    """
    from codex_open_client._transport import _redirect_target

    if followed:
        assert _redirect_target("POST", 307, url, location).endswith("/x")
    else:
        with pytest.raises(c.APIError, match="another origin"):
            _redirect_target("POST", 307, url, location)


# ----------------------------------------------------------------------- argument checks


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, 0, -1])
def test_timeouts_that_are_not_positive_finite_numbers_are_refused(
    make_api: Any, server: FakeCodexServer, bad: float
) -> None:
    """NaN was accepted and infinity raised a raw OverflowError: both name the argument now."""
    for client_class in (c.Client, c.AsyncClient):
        with pytest.raises(ValueError, match="timeout must be a positive, finite number"):
            client_class(access_token="t" * 20, timeout=bad)
    for mode in ("sync", "async"):
        api = make_api(mode)
        with pytest.raises(ValueError, match="timeout must be a positive, finite number"):
            api.create(timeout=bad)
    assert server.requests == []
