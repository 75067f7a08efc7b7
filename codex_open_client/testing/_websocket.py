"""The fake backend's WebSocket transport: ``GET {base}/responses`` with ``Upgrade: websocket``.

Imported by :class:`~codex_open_client.testing.FakeCodexServer` at the first upgrade. One
:class:`_Socket` serves one accepted connection: a reader task queues the client's frames, and
the socket answers them one after the other with the same replies as ``POST /responses``.
"""

from __future__ import annotations

import asyncio
import struct
import threading
import zlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs
from aiohttp import WSMsgType, web
from multidict import CIMultiDict, CIMultiDictProxy

from ._models_catalog import catalog_etag
from ._replies import (
    Reply,
    _Binary,
    _Close,
    _Cut,
    _End,
    _Hold,
    _Malformed,
    _Pause,
    _Raw,
    rate_limit_headers,
    reply,
)
from ._requests import (
    _MAX_REQUEST_BYTES,
    RecordedRequest,
    _FactoryError,
    _parse_json,
    _validate_body,
)
from ._writing import _encode_json, _without_encrypted_content, wait_watching

if TYPE_CHECKING:
    from ._server import FakeCodexServer

__all__ = ["serve_websocket"]

CONNECTION_LIMIT_MESSAGE = (
    "Responses websocket connection limit reached (60 minutes). "
    "Create a new websocket connection to continue."
)

_Outcome = str  # "ok", "gone" or "stopping"

_FLUSH_BYTES = 32 * 1024
_HIGH_WATER_BYTES = 256 * 1024
_TEXT, _BINARY = 0x1, 0x2
_DEFLATE_TAIL = b"\x00\x00\xff\xff"


class _Frames:
    """Data frames written in batches straight to the transport.

    aiohttp writes each frame with its own ``transport.write``, about three times the cost
    of an SSE event for 20,000 deltas; batching makes the two transports cost the same to
    serve. All data frames go through here (never ``ws.send_*``), so the deflate context
    is this one's alone; control frames (close, pong) are aiohttp's and are never compressed.
    """

    def __init__(self, transport: asyncio.Transport, extensions: str) -> None:
        self.transport = transport
        self.buffer = bytearray()
        params = [part.strip() for part in extensions.split(";")]
        self.deflate = bool(params) and params[0] == "permessage-deflate"
        self.takeover = "server_no_context_takeover" not in params
        self.wbits = 15
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "server_max_window_bits" and value.strip().isdigit():
                self.wbits = max(9, min(15, int(value)))
        self.compressor = self._compressor() if self.deflate and self.takeover else None

    def _compressor(self) -> Any:
        return zlib.compressobj(zlib.Z_BEST_SPEED, zlib.DEFLATED, -self.wbits)

    def add(self, payload: bytes, opcode: int = _TEXT) -> None:
        first = 0x80 | opcode
        if self.deflate:
            compressor = self.compressor or self._compressor()
            payload = compressor.compress(payload) + compressor.flush(zlib.Z_SYNC_FLUSH)
            if payload.endswith(_DEFLATE_TAIL):
                payload = payload[:-4]
            first |= 0x40  # RSV1: compressed
        size = len(payload)
        if size < 126:
            header = struct.pack("!BB", first, size)
        elif size < 65536:
            header = struct.pack("!BBH", first, 126, size)
        else:
            header = struct.pack("!BBQ", first, 127, size)
        self.buffer += header
        self.buffer += payload

    @property
    def full(self) -> bool:
        return len(self.buffer) >= _FLUSH_BYTES

    def write(self) -> None:
        """Hand the batch to the transport (which may keep a reference to it)."""
        if self.buffer:
            data, self.buffer = self.buffer, bytearray()
            self.transport.write(bytes(data))


@attrs.define
class _Chain:
    """The last completed response of a socket, which the next frame may continue."""

    response_id: str
    input: list[Any]
    output: list[Any]


def _as_items(value: Any) -> list[Any]:
    """An ``input`` as a list of items (a string is one user message)."""
    if isinstance(value, list):
        return list(value)
    if isinstance(value, str):
        return [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": value}]}
        ]
    return []


def _error_object(reply: Reply) -> Any:
    """The ``error`` of the error frame standing for a plain (HTTP) reply."""
    body = reply.body or b""
    parsed = _parse_json(body)
    if isinstance(parsed, dict):
        error = parsed.get("error")
        if isinstance(error, dict):
            return error
        detail = parsed.get("detail")
        if isinstance(detail, str):
            return {"message": detail}
        return parsed
    return {"message": body.decode("utf-8", "replace")}


async def serve_websocket(server: FakeCodexServer, request: web.Request) -> web.StreamResponse:
    """Answer one upgrade request: refuse it (401, 426, a queued plain reply) or serve it."""
    headers = CIMultiDictProxy(CIMultiDict(request.headers))

    def handshake(socket_id: int | None) -> RecordedRequest:
        return RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=headers,
            json=None,
            body=b"",
            transport="websocket",
            socket_id=socket_id,
        )

    refused = handshake(None)
    denied = server._check_auth(refused)
    if denied is not None:
        server._record_handshake(refused)
        return denied
    if not server.websocket:
        server._record_handshake(refused)
        return server._json(426, {"detail": "Upgrade Required"})
    with server._lock:
        waiting = server._plain_queues["websocket"]
        plain = waiting.popleft() if waiting else None
    if plain is not None:
        server._record_handshake(refused)
        return await server._send_plain(request, plain)
    ws = web.WebSocketResponse(compress=True, max_msg_size=_MAX_REQUEST_BYTES, timeout=2.0)
    if not ws.can_prepare(request).ok:
        server._record_handshake(refused)
        return server._json(400, {"detail": "Invalid WebSocket handshake"})
    ws.headers.update(
        {
            **rate_limit_headers(),
            **server._ids(),
            "x-models-etag": catalog_etag(server.model_catalog),
            **server.websocket_upgrade_headers,
        }
    )
    socket_id = server._socket_opened()
    try:
        record = handshake(socket_id)
        server._record_handshake(record)
        await ws.prepare(request)
        transport = request.transport
        if transport is not None:
            server._socket_transports.add(transport)
        try:
            await _Socket(server, request, ws, record).run()
        finally:
            if transport is not None:
                server._socket_transports.discard(transport)
    finally:
        server._socket_closed()
    return ws


class _Socket:
    def __init__(
        self,
        server: FakeCodexServer,
        request: web.Request,
        ws: web.WebSocketResponse,
        handshake: RecordedRequest,
    ) -> None:
        self.server = server
        self.request = request
        self.ws = ws
        self.handshake = handshake
        self.frames: asyncio.Queue[Any] = asyncio.Queue()
        self.peer_gone = False
        self.opened_at = asyncio.get_running_loop().time()
        self.answered = 0
        self.next_index = 0
        self.chain: _Chain | None = None
        transport = request.transport
        assert isinstance(transport, asyncio.Transport)
        self.out = _Frames(transport, ws.headers.get("Sec-WebSocket-Extensions", ""))

    # -- plumbing ----------------------------------------------------------------------------

    async def run(self) -> None:
        reader = asyncio.create_task(self._read())
        try:
            while True:
                message = await self.frames.get()
                if message is None:
                    break
                if not await self._answer(message):
                    break
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
            if not self.ws.closed:
                try:
                    await self.ws.close()
                except ConnectionError:
                    pass

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    self.frames.put_nowait(message)
        finally:
            self.peer_gone = True
            self.frames.put_nowait(None)

    def _gone(self) -> bool:
        transport = self.request.transport
        return self.peer_gone or transport is None or transport.is_closing()

    async def _wait(
        self, *, seconds: float | None = None, gate: threading.Event | None = None
    ) -> _Outcome:
        return await wait_watching(
            stopping=lambda: self.server._stopping, gone=self._gone, seconds=seconds, gate=gate
        )

    def _add(self, payload: Mapping[str, Any]) -> None:
        self.out.add(_encode_json(payload).encode())

    async def _flush(self) -> bool:
        """Write the batched frames, then wait while the client reads slowly.

        Returns ``False`` when the client is gone or the server is stopping.
        """
        if self._gone() or self.server._stopping:
            return False
        self.out.write()
        transport = self.out.transport
        # Poll: asyncio offers no public "drained" event for a bare transport.
        while transport.get_write_buffer_size() > _HIGH_WATER_BYTES:
            if self._gone() or self.server._stopping:
                return False
            await asyncio.sleep(0.001)
        return True

    async def _send(self, payload: Mapping[str, Any]) -> bool:
        self._add(payload)
        return await self._flush()

    async def _send_error(
        self,
        status: int | None,
        error: Any,
        headers: Mapping[str, str | None] | None = None,
    ) -> bool:
        frame: dict[str, Any] = {"type": "error"}
        if status is not None:
            frame["status"] = status
        frame["error"] = error
        merged = {**self.server._ids(), **(headers or {})}
        frame["headers"] = {name: value for name, value in merged.items() if value is not None}
        return await self._send(frame)

    def _record(self, message: Any, frame: Any, body: Any) -> RecordedRequest:
        data = message.data
        raw = data.encode() if isinstance(data, str) else bytes(data)
        hs = self.handshake
        record = RecordedRequest(
            method=hs.method,
            path=hs.path,
            query=hs.query,
            headers=hs.headers,
            json=body,
            body=raw,
            transport="websocket",
            frame=frame,
            socket_id=hs.socket_id,
            frame_index=self.next_index,
        )
        self.next_index += 1
        self.server._record(record)
        return record

    # -- one frame ---------------------------------------------------------------------------

    async def _answer(self, message: Any) -> bool:
        """Answer one client frame; ``False`` when the socket is over."""
        server = self.server
        if message.type == WSMsgType.BINARY:
            self._record(message, None, None)
            return await self._send_error(
                400, {"message": "Expected a text frame with a JSON object"}
            )
        frame = _parse_json(message.data.encode())
        if not isinstance(frame, dict):
            self._record(message, frame, None)
            return await self._send_error(400, {"message": "Invalid JSON message"})
        body = {name: value for name, value in frame.items() if name != "type"}
        if frame.get("type") == "response.processed":
            self._record(message, frame, body)  # an acknowledgement: nothing to answer
            return True
        if frame.get("type") != "response.create":
            self._record(message, frame, body)
            kind = frame.get("type")
            return await self._send_error(
                400, {"message": f"Unsupported message type: {kind!r}", "param": "type"}
            )
        if self._limit_reached():
            self._record(message, frame, body)
            error = {
                "type": "invalid_request_error",
                "code": "websocket_connection_limit_reached",
                "message": CONNECTION_LIMIT_MESSAGE,
            }
            await self._send_error(400, error)
            await self._close(1000, "")
            return False
        self.answered += 1
        previous = body.pop("previous_response_id", None)
        if previous is not None:
            chain = self.chain
            if chain is None or chain.response_id != previous:
                self._record(message, frame, {**body, "previous_response_id": previous})
                error = {
                    "type": "invalid_request_error",
                    "code": "previous_response_not_found",
                    "message": f"Previous response with id '{previous}' not found.",
                    "param": "previous_response_id",
                }
                return await self._send_error(400, error)
            body["input"] = [*chain.input, *chain.output, *_as_items(frame.get("input"))]
        record = self._record(message, frame, body)
        if body.get("generate") is False:
            problem = _validate_body(body, server.model_catalog)
            if problem is not None:
                return await self._send_error(400, {"message": problem})
            return await self._stream(reply(), body)
        try:
            answer, queued = server._next_reply(record)
        except _FactoryError as exc:
            return await self._send_error(500, {"message": str(exc)})
        if not answer.is_stream:
            if queued:
                server._consume(answer)
            return await self._send_plain(answer)
        problem = _validate_body(body, server.model_catalog)
        if problem is not None:
            return await self._send_error(400, {"message": problem})
        if queued:
            server._consume(answer)
        return await self._stream(answer, body)

    def _limit_reached(self) -> bool:
        requests = self.server.websocket_request_limit
        if requests is not None and self.answered >= requests:
            return True
        seconds = self.server.websocket_connection_limit
        elapsed = asyncio.get_running_loop().time() - self.opened_at
        return seconds is not None and elapsed >= seconds

    async def _send_plain(self, answer: Reply) -> bool:
        if answer.delay:
            outcome = await self._wait(seconds=answer.delay)
            if outcome != "ok":
                return self._abandoned(outcome)
        return await self._send_error(answer.status, _error_object(answer), answer.headers)

    def _why(self) -> _Outcome:
        return "stopping" if self.server._stopping else "gone"

    def _abandoned(self, outcome: _Outcome) -> bool:
        if outcome == "gone":
            self.server._note_disconnect()
        return False

    async def _close(self, code: int, reason: str) -> None:
        try:
            await self.ws.close(code=code, message=reason.encode())
        except ConnectionError:
            pass

    async def _stream(self, answer: Reply, body: dict[str, Any]) -> bool:
        """Send a streamed reply's steps; remember the response if it completed."""
        self.chain = None
        model: str = answer.model or body["model"]
        include = body.get("include")
        encrypted = isinstance(include, list) and "reasoning.encrypted_content" in include
        if answer.delay:
            outcome = await self._wait(seconds=answer.delay)
            if outcome != "ok":
                return self._abandoned(outcome)
        extra = {name: value for name, value in answer.headers.items() if value is not None}
        echo_model = answer.model is None
        pace = answer.pace
        sequence = 0
        output: list[Any] = []
        completed: dict[str, Any] | None = None
        for step in answer.steps:
            if isinstance(step, dict):
                if pace and sequence:
                    if not await self._flush():
                        return self._abandoned(self._why())
                    outcome = await self._wait(seconds=pace)
                    if outcome != "ok":
                        return self._abandoned(outcome)
                event_type = step["type"]
                if event_type == "error" and isinstance(step.get("error"), dict):
                    payload: dict[str, Any] = dict(step)  # a wrapped error frame, as scripted
                else:
                    if not encrypted:
                        step = _without_encrypted_content(step)
                    payload = {"type": event_type, "sequence_number": sequence, **step}
                    if echo_model and "response" in step:
                        obj = step["response"]
                        if isinstance(obj, dict) and "model" in obj and obj["model"] is None:
                            payload["response"] = {**obj, "model": model}
                if extra and sequence == 0:
                    payload["headers"] = {**payload.get("headers", {}), **extra}
                sequence += 1
                if event_type == "response.output_item.done":
                    output.append(payload.get("item"))
                elif event_type == "response.completed":
                    completed = payload.get("response")
                self._add(payload)
            elif isinstance(step, _Raw):
                self.out.add(step.data.decode("utf-8", "replace").encode())
            elif isinstance(step, _Malformed):
                self.out.add(b"{not json")
            elif isinstance(step, _Binary):
                self.out.add(step.data, _BINARY)
            elif isinstance(step, (_Pause, _Hold)):
                if not await self._flush():
                    return self._abandoned(self._why())
                if isinstance(step, _Pause):
                    outcome = await self._wait(seconds=step.seconds)
                else:
                    outcome = await self._wait(gate=step.gate)
                if outcome != "ok":
                    return self._abandoned(outcome)
                continue
            elif isinstance(step, (_Cut, _End, _Close)):
                if not await self._flush():
                    return self._abandoned(self._why())
                if isinstance(step, _Cut):
                    await self._cut()
                elif isinstance(step, _End):
                    await self._close(1000, "")
                else:
                    await self._close(step.code, step.reason)
                return False
            if self.out.full and not await self._flush():
                return self._abandoned(self._why())
        if not await self._flush():
            return self._abandoned(self._why())
        if completed is not None:
            response_id = completed.get("id")
            if not output and isinstance(completed.get("output"), list):
                output = list(completed["output"])
            if isinstance(response_id, str):
                self.chain = _Chain(response_id, _as_items(body.get("input")), output)
        return True

    async def _cut(self) -> None:
        """Drop the TCP connection (no close frame), once what was written has left."""
        transport = self.request.transport
        if transport is None:
            return
        # Poll: asyncio offers no event for "write buffer empty".
        while (  # noqa: ASYNC110
            not transport.is_closing()
            and transport.get_write_buffer_size() > 0
            and not self.server._stopping
        ):
            await asyncio.sleep(0.001)
        transport.close()
