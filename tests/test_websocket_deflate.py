"""permessage-deflate on the WebSocket transport: the client's own reader of compressed frames.

The fake backend compresses every frame with one context per socket (context takeover); the
raw servers here write exact bytes (frames split across reads, fragmented messages with a ping
between the fragments, corrupt or oversized compressed frames) to a real socket.
"""

from __future__ import annotations

import asyncio
import json
import random
import struct
import zlib
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from aiohttp import WSMsgType, web

import codex_open_client as c
from codex_open_client.testing import FakeCodexServer, message, reply

BASE: dict[str, Any] = {"model": "gpt-5.1-codex-mini", "instructions": "Be brief.", "input": "Hi"}
# Above aiohttp's thresholds for compressing in an executor (16 KiB) and for its own reads
# (64 KiB): such a frame arrives over several reads.
LARGE = 200_000


def sockets(api: Any) -> list[Any]:
    """The client's open sockets (the sync client wraps an ``AsyncClient``)."""
    api = getattr(api, "_async", api)
    return list(api._transport.websockets()._sockets)


def varied_text(size: int, seed: int) -> str:
    """Text that deflate barely shrinks, so its compressed frame stays large."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789\n"
    return "".join(rng.choice(letters) for _ in range(size))


# ------------------------------------------------------------------------- the fake backend


@pytest.mark.parametrize("cls", [c.AsyncClient, c.Client])
def test_long_compressed_stream_over_one_socket_decodes_exactly(
    server: FakeCodexServer, cls: Any
) -> None:
    """Three responses on one socket (the server's deflate context carries over), each with
    thousands of small deltas and one delta larger than aiohttp's thresholds."""
    expected = []
    for turn in range(3):
        deltas = [f"w{turn}.{i} " for i in range(3000)]
        deltas.insert(1500, varied_text(LARGE, turn))
        expected.append((deltas, "".join(deltas)))
        server.queue(reply(message("".join(deltas), deltas=deltas)))
    options: dict[str, Any] = {
        "access_token": server.access_token,
        "account_id": server.account_id,
        "base_url": server.url,
        "max_retries": 0,
        "transport": "websocket",
    }

    def check(api: Any, turn: int, seen: list[str], text: str) -> None:
        deltas, full = expected[turn]
        assert seen == deltas
        assert text == full
        (sock,) = sockets(api)
        # The socket negotiated permessage-deflate and our reader took its frames.
        assert sock.ws.compress == 15
        assert sock.inflater is not None

    if cls is c.Client:
        with c.Client(**options) as api:
            for turn in range(3):
                with api.responses.stream(**BASE) as stream:
                    seen = list(stream.text_deltas())
                    text = stream.get_final_response().output_text
                check(api, turn, seen, text)
    else:

        async def go() -> None:
            async with c.AsyncClient(**options) as api:
                for turn in range(3):
                    async with api.responses.stream(**BASE) as stream:
                        seen = [delta async for delta in stream.text_deltas()]
                        text = (await stream.get_final_response()).output_text
                    check(api, turn, seen, text)

        asyncio.run(go())
    assert len({r.socket_id for r in server.requests if r.transport == "websocket"}) == 1
    assert server.wait_for_open_websockets(0) == 0


# ---------------------------------------------------------------------------- raw servers

Script = Callable[[web.WebSocketResponse, Any, "Deflate"], Awaitable[None]]


class Deflate:
    """The server's side of permessage-deflate: one compressor for the socket's life."""

    def __init__(self) -> None:
        self._compressor = zlib.compressobj(zlib.Z_BEST_SPEED, zlib.DEFLATED, -15)

    def compress(self, data: bytes) -> bytes:
        out = self._compressor.compress(data) + self._compressor.flush(zlib.Z_SYNC_FLUSH)
        assert out.endswith(b"\x00\x00\xff\xff")
        return out[:-4]


def frame(payload: bytes, *, opcode: int = 0x1, fin: bool = True, rsv1: bool = True) -> bytes:
    first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    size = len(payload)
    if size < 126:
        return struct.pack("!BB", first, size) + payload
    if size < 65536:
        return struct.pack("!BBH", first, 126, size) + payload
    return struct.pack("!BBQ", first, 127, size) + payload


def event(kind: str, **fields: Any) -> bytes:
    return json.dumps({"type": kind, **fields}).encode()


def created() -> bytes:
    return event("response.created", response={"id": "resp_1", "status": "in_progress"})


def delta(text: str) -> bytes:
    return event("response.output_text.delta", item_id="msg_1", output_index=0, delta=text)


def completed(text: str) -> bytes:
    item = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }
    added = event("response.output_item.added", output_index=0, item={**item, "content": []})
    done = event("response.output_item.done", output_index=0, item=item)
    end = event(
        "response.completed",
        response={"id": "resp_1", "status": "completed", "output": [item], "model": "m"},
    )
    return b"\n".join([added, done, end])


def run_raw(script: Script, body: Callable[[c.AsyncClient], Awaitable[Any]], **kw: Any) -> Any:
    """Serve ``script`` on a socket that negotiated permessage-deflate; run ``body``."""

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=True, autoping=False)
        await ws.prepare(request)
        assert ws.headers["Sec-WebSocket-Extensions"].startswith("permessage-deflate")
        await ws.receive()  # the response.create frame
        # Raw frames to the transport: aiohttp's own compressor stays out of this context.
        await script(ws, request.transport, Deflate())
        await ws.receive()
        return ws

    async def go() -> Any:
        app = web.Application()
        app.router.add_get("/codex/responses", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            async with c.AsyncClient(
                access_token="t",
                base_url=f"http://127.0.0.1:{port}/codex",
                transport="websocket",
                max_retries=0,
                **kw,
            ) as api:
                return await body(api)
        finally:
            await runner.cleanup()

    return asyncio.run(go())


def events_of(lines: bytes) -> Iterator[bytes]:
    yield from lines.split(b"\n")


async def collect(api: c.AsyncClient) -> tuple[list[str], str]:
    async with api.responses.stream(**BASE, timeout=10) as stream:
        seen = [piece async for piece in stream.text_deltas()]
        return seen, (await stream.get_final_response()).output_text


def test_frames_split_across_reads_fragments_and_a_ping_between_them() -> None:
    """Every frame written in 7-byte pieces (headers and payloads cut anywhere), a large
    compressed frame, and a compressed message in three fragments with a ping in between."""
    pieces = [f"p{i} " for i in range(200)]
    large = varied_text(LARGE, 7)
    text = "".join(pieces) + large
    pongs: list[bytes] = []

    async def script(ws: web.WebSocketResponse, transport: Any, deflate: Deflate) -> None:
        data = frame(deflate.compress(created()))
        data += b"".join(frame(deflate.compress(delta(p))) for p in pieces)
        for start in range(0, len(data), 7):
            transport.write(data[start : start + 7])
            await asyncio.sleep(0)
        transport.write(frame(deflate.compress(delta(large))))
        added, done, end = events_of(completed(text))
        transport.write(frame(deflate.compress(added)))
        # One message in three frames; only the first carries RSV1 (RFC 7692 6.1).
        body = deflate.compress(done)
        third = len(body) // 3
        transport.write(frame(body[:third], fin=False))
        transport.write(frame(b"between", opcode=0x9, rsv1=False))  # a ping
        pong = await ws.receive()
        pongs.append(pong.data if pong.type is WSMsgType.PONG else b"")
        transport.write(frame(body[third : 2 * third], opcode=0x0, fin=False, rsv1=False))
        transport.write(frame(body[2 * third :], opcode=0x0, rsv1=False))
        transport.write(frame(deflate.compress(end)))

    async def body(api: c.AsyncClient) -> tuple[list[str], str]:
        return await collect(api)

    seen, final = run_raw(script, body)
    assert seen == [*pieces, large]
    assert final == text
    assert pongs == [b"between"]


def test_a_burst_of_small_frames_in_one_write_decodes_exactly() -> None:
    """20,000 deltas written at once: each read inflates to far more than the reader takes
    in one go, so it parses them in parts as they are read, in order."""
    pieces = [f"d{i} " for i in range(20_000)]
    text = "".join(pieces)

    async def script(ws: web.WebSocketResponse, transport: Any, deflate: Deflate) -> None:
        data = frame(deflate.compress(created()))
        data += b"".join(frame(deflate.compress(delta(p))) for p in pieces)
        data += b"".join(frame(deflate.compress(line)) for line in events_of(completed(text)))
        transport.write(data)

    seen, final = run_raw(script, collect)
    assert seen == pieces
    assert final == text


def test_uncompressed_frames_on_a_deflate_socket_decode_too() -> None:
    """RSV1 is per message: a server may send some messages uncompressed."""

    async def script(ws: web.WebSocketResponse, transport: Any, deflate: Deflate) -> None:
        transport.write(frame(created(), rsv1=False))
        transport.write(frame(deflate.compress(delta("one "))))
        transport.write(frame(delta("two "), rsv1=False))
        transport.write(frame(deflate.compress(delta("three"))))
        for line in events_of(completed("one two three")):
            transport.write(frame(deflate.compress(line)))

    seen, final = run_raw(script, collect)
    assert seen == ["one ", "two ", "three"]
    assert final == "one two three"


def test_corrupt_compressed_frame_is_a_stream_error_with_the_partial_response() -> None:
    async def script(ws: web.WebSocketResponse, transport: Any, deflate: Deflate) -> None:
        transport.write(frame(deflate.compress(created())))
        transport.write(frame(deflate.compress(delta("before "))))
        transport.write(frame(b"\xff\xfe\xfd not deflate at all"))
        transport.write(frame(deflate.compress(delta("after"))))

    async def body(api: c.AsyncClient) -> tuple[list[str], BaseException]:
        seen: list[str] = []
        with pytest.raises(c.StreamError) as caught:
            async with api.responses.stream(**BASE, timeout=10) as stream:
                async for piece in stream.text_deltas():
                    seen.append(piece)
        return seen, caught.value

    seen, error = run_raw(script, body)
    assert seen == ["before "]
    assert isinstance(error, c.StreamError)
    assert not isinstance(error, c.APITimeoutError)
    assert "does not inflate" in str(error)
    assert error.response is not None and error.response.output_text == "before "


def test_corrupt_compressed_first_frame_raises_a_codex_error() -> None:
    async def script(ws: web.WebSocketResponse, transport: Any, deflate: Deflate) -> None:
        transport.write(frame(b"\x07garbage"))

    async def body(api: c.AsyncClient) -> BaseException:
        with pytest.raises(c.CodexError) as caught:
            await api.responses.create(**BASE, timeout=10)
        return caught.value

    error = run_raw(script, body)
    assert isinstance(error, (c.StreamError, c.APIConnectionError))
    assert not isinstance(error, c.APITimeoutError)
    assert "does not inflate" in str(error)


def test_a_frame_inflating_past_max_event_size_stops_the_stream() -> None:
    """A small compressed frame that inflates past the limit (a deflate bomb) is refused
    without inflating it whole."""

    async def script(ws: web.WebSocketResponse, transport: Any, deflate: Deflate) -> None:
        transport.write(frame(deflate.compress(created())))
        bomb = deflate.compress(delta("z" * 300_000))
        assert len(bomb) < 10_000
        transport.write(frame(bomb))

    async def body(api: c.AsyncClient) -> BaseException:
        with pytest.raises(c.StreamError) as caught:
            async with api.responses.stream(**BASE, timeout=10) as stream:
                async for _ in stream:
                    pass
        return caught.value

    error = run_raw(script, body, max_event_size=100_000)
    assert "larger than max_event_size (100,000 bytes)" in str(error)


def test_a_compressed_binary_frame_mid_stream_is_a_stream_error_naming_it() -> None:
    """Even one holding a valid event: the backend sends its events as text frames."""

    async def script(ws: web.WebSocketResponse, transport: Any, deflate: Deflate) -> None:
        transport.write(frame(deflate.compress(created())))
        transport.write(frame(deflate.compress(delta("text "))))
        transport.write(frame(deflate.compress(delta("binary")), opcode=0x2))

    async def body(api: c.AsyncClient) -> tuple[list[str], BaseException]:
        seen: list[str] = []
        with pytest.raises(c.StreamError) as caught:
            async with api.responses.stream(**BASE, timeout=10) as stream:
                async for piece in stream.text_deltas():
                    seen.append(piece)
        return seen, caught.value

    seen, error = run_raw(script, body)
    assert seen == ["text "]
    assert "A binary WebSocket frame arrived" in str(error)


def test_an_oversized_control_frame_is_refused_without_waiting_for_it() -> None:
    """A ping declaring 1 GB is a protocol error at once, not a wait for its bytes."""

    async def script(ws: web.WebSocketResponse, transport: Any, deflate: Deflate) -> None:
        transport.write(frame(deflate.compress(created())))
        transport.write(struct.pack("!BBQ", 0x89, 127, 1 << 30) + b"x" * 10)

    async def body(api: c.AsyncClient) -> BaseException:
        with pytest.raises(c.StreamError) as caught:
            async with api.responses.stream(**BASE, timeout=10) as stream:
                async for _ in stream:
                    pass
        return caught.value

    error = run_raw(script, body)
    assert "Control frame payload cannot be larger than 125 bytes" in str(error)


def test_invalid_utf8_in_a_compressed_text_frame_is_a_stream_error() -> None:
    async def script(ws: web.WebSocketResponse, transport: Any, deflate: Deflate) -> None:
        transport.write(frame(deflate.compress(created())))
        transport.write(frame(deflate.compress(b'{"type": "x", "bad": "\xff\xfe"}')))

    async def body(api: c.AsyncClient) -> BaseException:
        with pytest.raises(c.StreamError) as caught:
            async with api.responses.stream(**BASE, timeout=10) as stream:
                async for _ in stream:
                    pass
        return caught.value

    error = run_raw(script, body)
    assert "UTF-8" in str(error)


def test_a_socket_without_deflate_keeps_aiohttps_reader() -> None:
    """No permessage-deflate negotiated: aiohttp reads the frames, as before."""

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False)
        await ws.prepare(request)
        await ws.receive()
        for line in [created(), delta("plain"), *events_of(completed("plain"))]:
            await ws.send_str(line.decode())
        await ws.receive()
        return ws

    async def go() -> tuple[str, Any]:
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
                text = (await api.responses.create(**BASE, timeout=10)).output_text
                (sock,) = sockets(api)
                return text, sock.inflater
        finally:
            await runner.cleanup()

    text, inflater = asyncio.run(go())
    assert text == "plain"
    assert inflater is None
