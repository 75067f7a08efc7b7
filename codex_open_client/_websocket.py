"""The WebSocket transport's I/O: a pool of sockets per conversation, and one response's reader.

Loaded only when a request goes over WebSocket (``transport="websocket"`` or ``"auto"``).
One socket serves one response at a time; an idle one is reused by the next request of the
same conversation, whose frame then carries only the new input items (``_wsproto``).
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
import zlib
from collections import deque
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy

from ._exceptions import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthError,
    CodexError,
    StreamError,
    error_from_status,
    map_aiohttp,
    redact,
)
from ._json import dumps, event_payload, fast_loads
from ._request import Request, bearer_token, build_input
from ._wsproto import (
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

if TYPE_CHECKING:
    from ._models import Response
    from ._transport import Transport

__all__ = ["WebSocketPool", "WebSocketResponse", "WebSocketUnavailable"]

logger = logging.getLogger("codex_open_client")

# The backend closes a socket after 60 minutes; a new request goes on a fresh one before.
MAX_AGE_SECONDS = 55 * 60.0
# An idle socket is closed after this long (the backend would keep it open for nothing).
IDLE_SECONDS = 60.0
# transport="auto" waits this long for a socket before it falls back to SSE.
AUTO_CONNECT_SECONDS = 1.0
_CLOSE_SECONDS = 1.0
# permessage-deflate is offered, as the CLI does (15: the largest window).
_COMPRESS = 15


class WebSocketUnavailable(CodexError):
    """The backend refused the upgrade (426) or could not be reached: fall back to SSE."""


class _Socket:
    __slots__ = (
        "busy",
        "chain",
        "headers",
        "idle_timer",
        "inflater",
        "key",
        "opened_at",
        "response",
        "ws",
    )

    def __init__(
        self,
        ws: aiohttp.ClientWebSocketResponse[Any],
        key: tuple[Any, ...],
        headers: Mapping[str, str],
    ) -> None:
        self.ws = ws
        self.key = key
        self.headers = headers
        self.opened_at = time.monotonic()
        self.chain: Chain | None = None
        self.busy = True
        self.idle_timer: asyncio.TimerHandle | None = None
        # The response being read, if any (weak: a stream dropped unread must be collected).
        self.response: weakref.ref[WebSocketResponse] | None = None
        # Our reader of its data frames, when permessage-deflate was negotiated.
        self.inflater: _Inflater | None = None


def _abort(ws: aiohttp.ClientWebSocketResponse[Any]) -> None:
    """Drop a socket at once, from synchronous code (a close frame needs an await)."""
    # The connection under the socket: closing it closes the TCP transport.
    response = getattr(ws, "_response", None)
    if response is not None:
        response.close()


class WebSocketPool:
    """The client's sockets, keyed by conversation (the ``session-id`` and other headers)."""

    def __init__(
        self,
        transport: Transport,
        *,
        idle_seconds: float = IDLE_SECONDS,
        max_age: float = MAX_AGE_SECONDS,
    ) -> None:
        self._transport = transport
        self.idle_seconds = idle_seconds
        self.max_age = max_age
        self._idle: dict[tuple[Any, ...], list[_Socket]] = {}
        self._sockets: set[_Socket] = set()
        self._closing: set[asyncio.Task[None]] = set()
        #: Set once ``transport="auto"`` fell back to SSE, for the rest of the client's life.
        self.fell_back = False

    @property
    def open_sockets(self) -> int:
        """How many sockets are open (busy or idle)."""
        return len(self._sockets)

    def fall_back(self, why: str) -> None:
        """Switch ``transport="auto"`` to SSE for good; logged once."""
        if not self.fell_back:
            self.fell_back = True
            logger.info("WebSocket unavailable (%s): using SSE from now on", why)

    # ------------------------------------------------------------------ sockets

    def _take_idle(self, key: tuple[Any, ...]) -> _Socket | None:
        idle = self._idle.get(key)
        now = time.monotonic()
        while idle:
            sock = idle.pop()
            if sock.idle_timer is not None:
                sock.idle_timer.cancel()
                sock.idle_timer = None
            if not sock.ws.closed and socket_reusable(sock.opened_at, now, self.max_age):
                sock.busy = True
                return sock
            self.discard(sock)
        return None

    async def _connect(
        self,
        request: Request,
        headers: dict[str, str],
        key: tuple[Any, ...],
        auth_headers: Mapping[str, str],
        secrets: Sequence[str],
        *,
        auto: bool,
        max_size: int,
    ) -> _Socket:
        session = self._transport._session_for_this_loop()
        url = websocket_url(request.url)
        seconds = min(AUTO_CONNECT_SECONDS, request.timeout) if auto else request.timeout
        error: CodexError | None = None
        logger.debug("GET %s (WebSocket upgrade)", url)
        try:
            ws = await asyncio.wait_for(
                session.ws_connect(
                    url,
                    headers={**auth_headers, **headers},
                    compress=_COMPRESS,
                    autoping=True,
                    max_msg_size=max_size,
                    timeout=aiohttp.ClientWSTimeout(ws_close=_CLOSE_SECONDS),
                ),
                seconds,
            )
        except aiohttp.WSServerHandshakeError as exc:
            status = exc.status
            if status == 426:
                error = WebSocketUnavailable(
                    f"The backend refused the WebSocket upgrade of {url} (HTTP 426 Upgrade "
                    "Required); use transport='sse', or transport='auto' to fall back by itself"
                )
            else:
                answer = CIMultiDictProxy(CIMultiDict(exc.headers or {}))
                error = error_from_status(status, b"", answer, url, secrets)
        except (asyncio.TimeoutError, TimeoutError):
            message = (
                f"Timed out opening the WebSocket {url}: no connection within {seconds:g}s "
                "(connecting, or waiting for a free connection when max_connections is set; "
                "raise timeout= or max_connections=)"
            )
            error = WebSocketUnavailable(message) if auto else APITimeoutError(message)
        except Exception as exc:
            mapped = map_aiohttp(exc, f"opening the WebSocket {url}", seconds, secrets)
            if mapped is None:
                raise
            error = WebSocketUnavailable(str(mapped)) if auto else mapped
        if error is not None:
            raise error from None
        upgrade = getattr(getattr(ws, "_response", None), "headers", None) or {}
        sock = _Socket(ws, key, CIMultiDictProxy(CIMultiDict(upgrade)))
        sock.inflater = _Inflater.install(ws, max_size)
        self._sockets.add(sock)
        return sock

    def release(self, sock: _Socket, chain: Chain | None) -> None:
        """A response ended cleanly: the socket may serve the next request of its key."""
        sock.chain = chain
        sock.busy = False
        sock.response = None
        if sock.ws.closed or sock not in self._sockets:
            self.discard(sock)
            return
        self._idle.setdefault(sock.key, []).append(sock)
        loop = asyncio.get_running_loop()
        sock.idle_timer = loop.call_later(self.idle_seconds, self._expire, sock)

    def _expire(self, sock: _Socket) -> None:
        if not sock.busy:
            idle = self._idle.get(sock.key)
            if idle and sock in idle:
                idle.remove(sock)
            self._close_later(sock)

    def discard(self, sock: _Socket) -> None:
        """Drop a socket that cannot be reused (broken, cancelled, refused)."""
        self._sockets.discard(sock)
        idle = self._idle.get(sock.key)
        if idle and sock in idle:
            idle.remove(sock)
        if sock.idle_timer is not None:
            sock.idle_timer.cancel()
            sock.idle_timer = None
        _abort(sock.ws)

    def _close_later(self, sock: _Socket) -> None:
        self._sockets.discard(sock)
        task = asyncio.get_running_loop().create_task(self._close(sock))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _close(self, sock: _Socket) -> None:
        try:
            await sock.ws.close()
        except Exception:  # a socket that is gone anyway
            pass
        finally:
            _abort(sock.ws)

    async def aclose(self) -> None:
        """Close every socket, idle or busy. Idempotent."""
        sockets = list(self._sockets)
        self._idle.clear()
        for sock in sockets:
            if sock.idle_timer is not None:
                sock.idle_timer.cancel()
            if sock.busy:
                response = sock.response() if sock.response is not None else None
                if response is not None:
                    response.close("its client was closed")
                self.discard(sock)
            else:
                self._close_later(sock)
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    # ------------------------------------------------------------------ requests

    async def send(
        self,
        request: Request,
        auth_headers: Mapping[str, str],
        secrets: Sequence[str],
        *,
        auto: bool,
        max_size: int,
        prewarm: bool = False,
    ) -> WebSocketResponse:
        """Send ``request`` as a ``response.create`` frame; return once its first event came.

        An error frame raises here, mapped as the same HTTP error would be. A rejected chain
        is resent in full once on the same socket, the connection limit on a new socket.
        ``prewarm``: a new socket first gets the CLI's ``generate: false`` request, which the
        request then chains on.
        """
        headers = handshake_headers(request.headers)
        key = pool_key(request.url, headers)
        secrets = (*secrets, bearer_token(auth_headers))
        sock = self._take_idle(key)
        reused = sock is not None
        if sock is None:
            sock = await self._connect(
                request, headers, key, auth_headers, secrets, auto=auto, max_size=max_size
            )
        body = request.json or {}
        if prewarm and not reused:
            await self._prewarm(sock, request, body, secrets, max_size)
        chain_retried = limit_retried = stale_retried = False
        while True:
            chain, sock.chain = sock.chain, None
            frame, chained = frame_for(chain, body, request.body)
            response = WebSocketResponse(self, sock, request, body, secrets, max_size)
            try:
                try:
                    await sock.ws.send_frame(frame, aiohttp.WSMsgType.TEXT)
                except Exception as exc:
                    mapped = map_aiohttp(exc, "sending the request", request.timeout, secrets)
                    if mapped is None:
                        raise
                    raise mapped from None
                await response._prime(stale=reused and not stale_retried)
            except APIError as exc:
                response._forget()
                if chained and not chain_retried and chain_rejected(exc):
                    chain_retried = True
                    logger.debug("the backend refused the chain: resending the whole request")
                    continue
                if connection_limit_reached(exc) and not limit_retried:
                    limit_retried = True
                    self.discard(sock)
                    sock = await self._connect(
                        request, headers, key, auth_headers, secrets, auto=False, max_size=max_size
                    )
                    continue
                if isinstance(exc, AuthError):
                    self.discard(sock)  # its handshake's credentials are refused
                else:
                    self.release(sock, None)
                raise
            except APIConnectionError as exc:
                response._forget()
                self.discard(sock)
                if (
                    not isinstance(exc, APITimeoutError)
                    and reused
                    and not stale_retried
                    and not response._events_seen
                ):
                    # An idle socket the backend closed meanwhile: a fresh one, once.
                    stale_retried = True
                    sock = await self._connect(
                        request, headers, key, auth_headers, secrets, auto=False, max_size=max_size
                    )
                    continue
                raise
            except BaseException:
                response._forget()
                self.discard(sock)
                raise
            return response

    async def _prewarm(
        self,
        sock: _Socket,
        request: Request,
        body: Mapping[str, Any],
        secrets: Sequence[str],
        max_size: int,
    ) -> None:
        """The CLI's first frame on a socket: the request with ``generate: false``.

        Its input is only the leading developer (or system) message, as the CLI sends it;
        once its ``response.completed`` came, the socket's chain continues from it. A failure
        drops the socket and raises, as the request itself would have.
        """
        warm = prewarm_body(body)
        if warm is None:
            return
        response = WebSocketResponse(self, sock, request, warm, secrets, max_size)
        try:
            try:
                await sock.ws.send_frame(dumps({"type": "response.create", **warm}), _TEXT)
            except Exception as exc:
                mapped = map_aiohttp(exc, "sending the prewarm request", request.timeout, secrets)
                if mapped is None:
                    raise
                raise mapped from None
            response_id = None
            while response_id is None:
                for payload in await response.read_payloads():
                    if payload.get("type") in _ENDS:
                        answer = payload.get("response")
                        found = answer.get("id") if isinstance(answer, dict) else None
                        completed = payload.get("type") == "response.completed"
                        response_id = found if completed and isinstance(found, str) else ""
                        break
        except BaseException:
            response._forget()
            self.discard(sock)
            raise
        response._forget()
        sock.response = None
        if response_id:
            sock.chain = Chain(
                response_id=response_id,
                fields=chained_fields(warm),
                input=list(warm["input"]),
                output=[],
            )


def prewarm_body(body: Mapping[str, Any]) -> dict[str, Any] | None:
    """The prewarm request for ``body`` (None when it cannot have one: no list ``input``)."""
    items = body.get("input")
    if not isinstance(items, list) or body.get("generate") is False:
        return None
    first = items[0] if items else None
    lead = (
        [first] if isinstance(first, dict) and first.get("role") in ("developer", "system") else []
    )
    fields = {k: v for k, v in body.items() if k not in ("input", "previous_response_id")}
    return {**fields, "input": lead, "generate": False}


_TEXT = aiohttp.WSMsgType.TEXT
_ENDS = frozenset({"response.completed", "response.incomplete", "response.failed", "response.done"})

# What an _Inflater queues for a batch of data frames it decoded (compared by identity).
_WAKE = aiohttp.WSMessage(_TEXT, "", None)
# permessage-deflate strips this sync-flush tail from every message (RFC 7692 7.2.2).
_DEFLATE_TAIL = b"\x00\x00\xff\xff"
# One network read inflating to more than this is parsed in parts, as the consumer drains it.
_STALL_BYTES = 256 * 1024
_CLOSE = aiohttp.WSCloseCode


class _Inflater:
    """A socket's data frames, parsed and inflated here instead of by aiohttp.

    With permessage-deflate, aiohttp inflates each frame through its general decompressor
    (checks made for HTTP bodies, several copies) and queues each message, which the reader
    awaits one by one: for 20,000 small deltas, most of what the WebSocket costs over SSE.
    This parser takes the socket's bytes in aiohttp's place: data frames (text, binary,
    continuation) are inflated with one ``zlib`` decompressor kept for the socket's life
    (the server's compression context carries over from message to message), decoded and
    kept in :attr:`frames`; one ``_WAKE`` message per network read goes into aiohttp's queue,
    sized as what it decoded, so the reader wakes up and aiohttp's flow control still holds.
    Control frames (ping, pong, close) are handed whole to aiohttp's own parser, so pings,
    the close handshake and their errors behave exactly as before; a protocol error goes on
    aiohttp's queue, behind the frames decoded before it, as aiohttp reports its own.

    There is no public hook for this: it relies on aiohttp internals (the response's
    ``_parser`` and ``_reader``, the queue's ``_protocol``, the protocol's
    ``_payload_parser``), checked by :meth:`install`, which leaves aiohttp's path in place
    when any is missing.
    """

    __slots__ = (
        "_decompress",
        "_failed",
        "_fragment_compressed",
        "_fragment_opcode",
        "_fragment_size",
        "_fragments",
        "_inner",
        "_max_size",
        "_queue",
        "_tail",
        "frames",
        "stalled",
    )

    def __init__(self, inner: Any, queue: Any, max_size: int) -> None:
        self._inner = inner
        self._queue = queue
        self._max_size = max_size
        self._decompress = zlib.decompressobj(-zlib.MAX_WBITS).decompress
        self._tail = b""
        self._failed = False
        self._fragments: list[bytes] | None = None
        self._fragment_opcode = 0
        self._fragment_compressed = False
        self._fragment_size = 0
        #: Decoded data frames not yet read: ``str`` for text, ``bytes`` for binary.
        self.frames: list[str | bytes] = []
        #: Bytes are left unparsed until :meth:`resume` (a read inflated to a lot).
        self.stalled = False

    @classmethod
    def install(cls, ws: aiohttp.ClientWebSocketResponse[Any], max_size: int) -> _Inflater | None:
        """Take over ``ws``'s data frames; None (aiohttp's path kept) when not possible."""
        if not ws.compress:
            return None
        inner = getattr(ws, "_parser", None)
        queue = getattr(ws, "_reader", None)
        protocol: Any = getattr(queue, "_protocol", None)
        if (
            inner is None
            or not callable(getattr(queue, "feed_data", None))
            or not callable(getattr(queue, "set_exception", None))
            or getattr(protocol, "_payload_parser", None) is not inner
            # Anything aiohttp queued already went through its decompressor, whose
            # context ours would lack. The backend sends nothing before the first request.
            or getattr(queue, "_buffer", None) != deque()
        ):
            return None
        inflater = cls(inner, queue, max_size)
        protocol._payload_parser = inflater
        return inflater

    def take(self) -> list[str | bytes]:
        """The decoded frames not yet read, oldest first."""
        frames, self.frames = self.frames, []
        return frames

    def resume(self) -> None:
        """Parse what a stall left aside (called once its frames were read)."""
        self.stalled = False
        self.feed_data(b"")

    # aiohttp's parser interface (called by the connection's protocol).

    def feed_eof(self) -> None:
        self._inner.feed_eof()

    def feed_data(self, data: bytes | bytearray | memoryview) -> tuple[bool, bytes]:
        if self._failed:
            return True, b""
        if self._tail:
            data, self._tail = self._tail + data, b""
        elif type(data) is not bytes:
            data = bytes(data)
        if self.stalled:
            self._tail = data
            return False, b""
        try:
            failed = self._parse(data)
        except Exception as exc:
            self._queue.set_exception(exc)
            failed = True
        if failed:
            self._failed = True
            self._tail = b""
            return True, b""
        return False, b""

    def _parse(self, data: bytes) -> bool:
        """Take the complete frames of ``data``; True when aiohttp's parser failed on one."""
        frames = self.frames
        decoded = 0
        decompress = self._decompress
        limit = self._max_size + 1
        short = min(126, self._max_size)
        fragmented = self._fragments is not None
        try:
            pos = 0
            end = len(data)
            while end - pos >= 2:
                first = data[pos]
                size = data[pos + 1]
                if first == 0xC1 and size < short and not fragmented:
                    # The usual frame, a small delta: final, compressed, text, unmasked.
                    start = pos + 2
                    if start + size > end:
                        break
                    pos = start + size
                    try:
                        out = decompress(data[start:pos] + _DEFLATE_TAIL, limit)
                    except zlib.error as exc:
                        raise _inflate_error(exc) from None
                    if len(out) == limit:
                        raise _too_big(self._max_size)
                    try:
                        frames.append(out.decode("utf-8"))
                    except UnicodeDecodeError:
                        raise _invalid_text() from None
                    decoded += len(out)
                    if decoded > _STALL_BYTES and pos < end:
                        self.stalled = True
                        break
                    continue
                if size & 0x80:
                    raise aiohttp.WebSocketError(
                        _CLOSE.PROTOCOL_ERROR, "The server sent a masked WebSocket frame"
                    )
                head = 2
                if size >= 126:
                    if size == 126:
                        if end - pos < 4:
                            break
                        size = (data[pos + 2] << 8) | data[pos + 3]
                        head = 4
                    else:
                        if end - pos < 10:
                            break
                        size = int.from_bytes(data[pos + 2 : pos + 10], "big")
                        head = 10
                opcode = first & 0x0F
                if opcode >= 0x8:  # a control frame: aiohttp's parser, whole
                    if size > 125:  # refused before its bytes are waited for
                        raise aiohttp.WebSocketError(
                            _CLOSE.PROTOCOL_ERROR,
                            "Control frame payload cannot be larger than 125 bytes",
                        )
                    if end - pos - head < size:
                        break
                    start, pos = pos, pos + head + size
                    if decoded:  # the frames before it are read first
                        self._queue.feed_data(_WAKE, min(decoded, 0x7FFFFFFF))
                        decoded = 0
                    failed, _ = self._inner.feed_data(data[start:pos])
                    if failed:
                        return True
                    continue
                if size >= self._max_size - self._fragment_size:
                    raise aiohttp.WebSocketError(
                        _CLOSE.MESSAGE_TOO_BIG,
                        f"Message size {size + self._fragment_size} exceeds limit {self._max_size}",
                    )
                if end - pos - head < size:
                    break
                start = pos + head
                pos = start + size
                message = self._frame(first, opcode, data[start:pos])
                fragmented = self._fragments is not None
                if message is not None:
                    frames.append(message)
                    decoded += len(message)
                    if decoded > _STALL_BYTES and pos < end:
                        self.stalled = True
                        break
            self._tail = data[pos:]
        finally:
            if decoded:
                # Sized as what it stands for: past aiohttp's limit, reading pauses.
                self._queue.feed_data(_WAKE, min(decoded, 0x7FFFFFFF))
        return False

    def _frame(self, first: int, opcode: int, payload: bytes) -> str | bytes | None:
        """One data frame; the message it completes, if any."""
        if first & 0x30:
            raise aiohttp.WebSocketError(
                _CLOSE.PROTOCOL_ERROR, "Received frame with non-zero reserved bits"
            )
        compressed = bool(first & 0x40)
        fin = first & 0x80
        fragments = self._fragments
        if opcode == 0x0:
            if fragments is None:
                raise aiohttp.WebSocketError(
                    _CLOSE.PROTOCOL_ERROR, "Continuation frame for non started message"
                )
            if compressed:
                raise aiohttp.WebSocketError(
                    _CLOSE.PROTOCOL_ERROR, "Received frame with non-zero reserved bits"
                )
            fragments.append(payload)
            self._fragment_size += len(payload)
            if not fin:
                return None
            payload = b"".join(fragments)
            opcode, compressed = self._fragment_opcode, self._fragment_compressed
            self._fragments = None
            self._fragment_size = 0
        elif opcode in (0x1, 0x2):
            if fragments is not None:
                raise aiohttp.WebSocketError(
                    _CLOSE.PROTOCOL_ERROR,
                    f"The opcode in non-fin frame is expected to be zero, got {opcode}",
                )
            if not fin:
                self._fragments = [payload]
                self._fragment_size = len(payload)
                self._fragment_opcode, self._fragment_compressed = opcode, compressed
                return None
        else:
            raise aiohttp.WebSocketError(_CLOSE.PROTOCOL_ERROR, f"Unexpected opcode={opcode}")
        if compressed:
            try:
                payload = self._decompress(payload + _DEFLATE_TAIL, self._max_size + 1)
            except zlib.error as exc:
                raise _inflate_error(exc) from None
            if len(payload) > self._max_size:
                raise _too_big(self._max_size)
        if opcode == 0x2:
            return payload
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            raise _invalid_text() from None


def _inflate_error(exc: zlib.error) -> aiohttp.WebSocketError:
    return aiohttp.WebSocketError(
        _CLOSE.PROTOCOL_ERROR,
        f"A compressed WebSocket message does not inflate (permessage-deflate): {exc}",
    )


def _too_big(max_size: int) -> aiohttp.WebSocketError:
    return aiohttp.WebSocketError(
        _CLOSE.MESSAGE_TOO_BIG, f"Decompressed message exceeds size limit {max_size}"
    )


def _invalid_text() -> aiohttp.WebSocketError:
    return aiohttp.WebSocketError(_CLOSE.INVALID_TEXT, "Invalid UTF-8 text message")


class WebSocketResponse:
    """One response's frames on a socket: read them as JSON payloads, then release the socket."""

    __slots__ = (
        "__weakref__",
        "_body",
        "_done",
        "_events_seen",
        "_failure",
        "_finalizer",
        "_max_size",
        "_pool",
        "_ready",
        "_request",
        "_secrets",
        "_sock",
        "_statusless",
        "closed_because",
        "headers",
        "status",
    )

    def __init__(
        self,
        pool: WebSocketPool,
        sock: _Socket,
        request: Request,
        body: Mapping[str, Any],
        secrets: Sequence[str],
        max_size: int,
    ) -> None:
        self._pool = pool
        self._sock = sock
        sock.response = weakref.ref(self)
        self._request = request
        self._body = body
        self._secrets = secrets
        self._max_size = max_size
        self._ready: list[dict[str, Any]] = []
        self._done = False
        self._events_seen = False
        self._statusless: str | None = None
        self._failure: CodexError | None = None
        # The upgrade's 101 is the transport's business: the answer was accepted, as a 200 is.
        self.status = 200
        self.headers: Mapping[str, str] = sock.headers
        #: Why this side closed the response, or None while it is open.
        self.closed_because: str | None = None
        # Dropped without being closed: the socket is mid-response and cannot be reused.
        self._finalizer = weakref.finalize(self, _abort, sock.ws)
        self._finalizer.atexit = False

    def _forget(self) -> None:
        """The pool deals with the socket itself (the request failed before any event)."""
        self._done = True
        self._finalizer.detach()

    async def _prime(self, *, stale: bool) -> None:
        """Wait for the first events; an error frame raises here, like an HTTP error status.

        A socket that breaks raises only when ``stale`` (an idle socket, to be replaced);
        otherwise the break is kept for the stream, as a broken body would be over HTTP.
        """
        while not self._ready:
            try:
                self._ready = await self._receive()
            except APIConnectionError as exc:
                if stale or isinstance(exc, APITimeoutError):
                    raise
                self._failure = exc
                return

    async def read_payloads(self) -> list[dict[str, Any]]:
        """The next event payloads (at least one); raises when the socket breaks."""
        ready = self._ready
        if ready:
            self._ready = []
            return ready
        while True:
            payloads = await self._receive()
            if payloads:
                return payloads

    async def _receive(self) -> list[dict[str, Any]]:
        """The payloads of the next frame and of every frame already buffered behind it.

        Taken together, like the events of one network chunk over SSE: a failure right behind
        the first events is seen before any of them reaches the caller.
        """
        failure, self._failure = self._failure, None
        if failure is not None:
            raise failure
        ws = self._sock.ws
        inflater = self._sock.inflater
        if inflater is not None:
            return await self._receive_inflated(ws, inflater)
        payloads = self._take(await self._next(ws, self._request.timeout))
        reader = getattr(ws, "_reader", None)
        buffer = getattr(reader, "_buffer", ())
        while buffer:
            head = buffer[0]
            message = head[0] if type(head) is tuple else head
            try:
                if getattr(message, "type", None) is _TEXT and reader is not None:
                    # A text frame already queued: taken without receive()'s per-call
                    # bookkeeping, a sizeable share of the time for 20k small deltas.
                    payload = self._payload((await reader.read()).data)
                    if payload is not None:
                        payloads.append(payload)
                else:
                    payloads += self._take(await ws.receive())
            except CodexError as exc:
                if not payloads:
                    raise
                self._failure = exc  # raised by the next read, after these events
                break
        return payloads

    async def _receive_inflated(
        self, ws: aiohttp.ClientWebSocketResponse[Any], inflater: _Inflater
    ) -> list[dict[str, Any]]:
        """:meth:`_receive` when our :class:`_Inflater` reads the data frames."""
        while True:
            frames = inflater.take()
            if frames:
                break
            if inflater.stalled:  # left so by a response that ended early
                inflater.resume()
                continue
            message = await self._next(ws, self._request.timeout)
            if message is not _WAKE:
                return self._take(message)  # a close or an error: raises
        payloads: list[dict[str, Any]] = []
        append = payloads.append
        seen = self._events_seen
        for data in frames:
            if seen and type(data) is str:
                # What _payload() does for an ordinary event, without its call.
                try:
                    payload = fast_loads(data)
                except (ValueError, RecursionError):
                    payload = None
                if type(payload) is dict and payload.get("type") != "error":
                    append(payload)
                    continue
            try:
                if type(data) is not str:
                    raise StreamError(
                        f"A binary WebSocket frame arrived ({len(data):,} bytes); the backend "
                        "sends its events as text frames"
                    )
                payload = self._payload(data)
            except CodexError as exc:
                if not payloads:
                    raise
                self._failure = exc  # raised by the next read, after these events
                break
            if payload is not None:
                append(payload)
            seen = self._events_seen
        if inflater.stalled:  # the rest of that read, parsed now that its start is taken
            inflater.resume()
        return payloads

    async def _next(self, ws: aiohttp.ClientWebSocketResponse[Any], timeout: float) -> Any:
        try:
            return await ws.receive(timeout)
        except (asyncio.TimeoutError, TimeoutError):
            why = f"Timed out while reading the response: no data for {timeout:g}s"
            if self._statusless is not None:
                why += f" after an error frame without a status ({self._statusless})"
            raise APITimeoutError(why + " (raise timeout= if that is normal)") from None
        except Exception as exc:
            mapped = map_aiohttp(exc, "while reading the response", timeout, self._secrets)
            if mapped is None:
                raise
            raise mapped from None

    def _take(self, message: Any) -> list[dict[str, Any]]:
        ws = self._sock.ws
        kind = message.type
        if kind is aiohttp.WSMsgType.TEXT:
            payload = self._payload(message.data)
            return [] if payload is None else [payload]
        if kind is aiohttp.WSMsgType.BINARY:
            raise StreamError(
                f"A binary WebSocket frame arrived ({len(message.data):,} bytes); the backend "
                "sends its events as text frames"
            )
        if kind is aiohttp.WSMsgType.ERROR:
            data = message.data
            if isinstance(data, aiohttp.WebSocketError) and data.code == 1009:
                raise StreamError(
                    f"A WebSocket message is larger than max_event_size ({self._max_size:,} "
                    "bytes), so the stream was stopped; raise max_event_size= on the client if "
                    "such events are expected"
                )
            raise APIConnectionError(f"Connection error while reading the response: {data}")
        if self.closed_because is not None:
            raise APIConnectionError(f"Connection error: {self.closed_because}")
        code = ws.close_code
        shown = f" (code {code})" if code is not None else ""
        raise APIConnectionError(
            f"Connection error while reading the response: the WebSocket was closed{shown} "
            "before response.completed"
        )

    def _payload(self, data: str) -> dict[str, Any] | None:
        payload = event_payload(data, "a WebSocket frame")
        if payload is None:
            return None
        if payload.get("type") == "error" and isinstance(payload.get("error"), dict):
            self._error_frame(payload)
            return None
        if not self._events_seen:
            self._events_seen = True
            extra = payload.get("headers")
            if isinstance(extra, dict) and extra:
                merged = CIMultiDict(self.headers)
                for name, value in extra.items():
                    if isinstance(value, str):
                        merged[str(name)] = value
                self.headers = CIMultiDictProxy(merged)
        return payload

    def _error_frame(self, payload: dict[str, Any]) -> None:
        status = error_frame_status(payload)
        if status is None:
            # The CLI ignores it (and then waits forever): ignored, but named by the timeout.
            error = payload.get("error") or {}
            shown = error.get("code") or error.get("type") or error.get("message") or "no code"
            self._statusless = str(redact(str(shown), self._secrets))[:100]
            logger.debug("ignored an error frame without a status")
            return
        if status < 400:
            logger.debug("ignored an error frame with status %d", status)
            return
        content, headers = http_error_of(payload)
        raise error_from_status(
            status,
            content,
            CIMultiDictProxy(CIMultiDict(headers)),
            websocket_url(self._request.url),
            self._secrets,
        )

    async def finish(self, response: Response | None) -> None:
        """The response completed: hand the socket back with what the next frame may chain."""
        if self._done:
            return
        self._done = True
        self._finalizer.detach()
        chain = None
        if response is not None and response.id is not None:
            try:
                output = build_input(response.output)
            except (TypeError, ValueError):
                output = None
            items = self._body.get("input")
            if output is not None and isinstance(items, list):
                chain = Chain(
                    response_id=response.id,
                    fields=chained_fields(self._body),
                    input=items,
                    output=output,
                )
        self._pool.release(self._sock, chain)

    def close(self, because: str = "the stream was closed") -> None:
        """Stop reading; a socket left mid-response is closed (it cannot be reused)."""
        if self.closed_because is None:
            self.closed_because = because
            if not self._done:
                self._done = True
                self._finalizer.detach()
                self._pool.discard(self._sock)
