"""HTTP I/O: an aiohttp session, requests, error mapping, and an answer's SSE event payloads.

``HTTPResponse`` and ``_websocket.WebSocketResponse`` are the two transports, side by side:
the stream reads event payloads from either (``read_payloads()``, then ``finish()`` after
the terminal event, or ``close()``). aiohttp is imported lazily, on the first request, so
that importing the package stays fast.
"""

from __future__ import annotations

import io
import json
import logging
import weakref
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._exceptions import (
    APIConnectionError,
    APIError,
    CodexError,
    StreamError,
    _snippet,
    error_from_status,
    map_aiohttp,
    redact,
)
from ._json import event_payload
from ._request import Request, bearer_token
from ._sse import EventTooLargeError, SSEDecoder

if TYPE_CHECKING:
    import asyncio

    import aiohttp
    from yarl import URL

    from ._models import Response
    from ._websocket import WebSocketPool

logger = logging.getLogger("codex_open_client")

# An error body larger than this is cut: it only feeds a message.
_MAX_ERROR_BODY = 1 << 20
# The first bytes of a body are kept, to explain a body that is not SSE.
_HEAD_SIZE = 256
# After the terminal event, what is left of the body (its end, normally already here) is read
# before the response is closed: aiohttp drops a connection closed before its body's end, and
# returns it to the pool once the end is read. Bounded, for a server that keeps sending.
_END_BYTES = 64 << 10
_END_SECONDS = 1.0
# aiohttp warns (ResourceWarning, an error under `-W error` or pytest's filterwarnings) for a
# bytes body above 1 MiB; a BytesIO of it (CPython shares the bytes) is sent the same way, in
# chunks, without the warning.
_LARGE_BODY = 1 << 20


class EventTooLarge(StreamError):
    """One event is larger than ``max_event_size``: the stream stops, and is not retried
    (the same answer would only cost the same memory again)."""


class HTTPResponse:
    """A streaming HTTP answer with status < 400: read its SSE event payloads, then close it."""

    __slots__ = (
        "__weakref__",
        "_decoder",
        "_ended",
        "_failure",
        "_finalizer",
        "_head",
        "_response",
        "_secrets",
        "_seen",
        "_timeout",
        "_transport",
        "closed_because",
        "headers",
        "status",
    )

    def __init__(
        self,
        response: aiohttp.ClientResponse,
        transport: Transport,
        timeout: float,
        secrets: Sequence[str] = (),
        max_event_size: int | None = None,
    ) -> None:
        self._response = response
        self._transport = transport
        self._timeout = timeout
        self._secrets = secrets
        self._decoder = SSEDecoder(max_event_size)
        self._head = b""
        self._seen = False  # any event payload yet
        self._ended = False
        self._failure: StreamError | None = None
        self.status = response.status
        self.headers: Mapping[str, str] = response.headers
        #: Why this side closed the response, or None while it is open.
        self.closed_because: str | None = None
        # A stream dropped without being closed (a bare `async for` left with break) must not
        # keep its connection: close it when this object is garbage collected.
        self._finalizer = weakref.finalize(self, response.close)
        self._finalizer.atexit = False

    async def read_chunk(self) -> bytes:
        """The bytes that arrived since the last call (waiting for some); b"" at the end."""
        try:
            return await self._response.content.readany()
        except Exception as exc:
            error = map_aiohttp(exc, "while reading the response", self._timeout, self._secrets)
            if error is None:
                raise
        raise error from None

    async def read_payloads(self) -> list[dict[str, Any]]:
        """The event payloads of the next network chunks (at least one).

        Raises ``APIConnectionError`` (``APITimeoutError``) when the connection breaks, and
        ``StreamError`` when the body ends (before a terminal event, or holding no event at
        all) or an event exceeds ``max_event_size`` (``EventTooLarge``, after the events
        before it were returned).
        """
        failure, self._failure = self._failure, None
        if failure is not None:
            raise failure
        while True:
            if self._ended:
                raise StreamError(self._ended_early())
            chunk = await self.read_chunk()
            if len(self._head) < _HEAD_SIZE:
                self._head += chunk[:_HEAD_SIZE]
            try:
                events = self._decoder.feed(chunk) if chunk else self._decoder.flush()
            except EventTooLargeError as exc:
                events = exc.events  # the events before the excess still count
                self._failure = EventTooLarge(
                    f"A server-sent event (or line) is larger than max_event_size "
                    f"({exc.max_size:,} bytes), so the stream was stopped; raise "
                    "max_event_size= on the client if such events are expected"
                )
            self._ended = not chunk
            payloads = []
            for sse in events:
                data = sse.data
                if data:
                    payload = event_payload(data, "an SSE data line")
                    if payload is not None:
                        payloads.append(payload)
            if payloads:
                self._seen = True
                return payloads
            failure, self._failure = self._failure, None
            if failure is not None:
                raise failure

    def _ended_early(self) -> str:
        if self._seen:
            return "The stream ended before a response.completed event"
        # Not one event: most likely not an event stream at all (a proxy's page, JSON).
        secrets = self._secrets
        content_type = redact(self.headers.get("content-type", "no content type"), secrets)
        head = redact(self._head.decode("utf-8", "replace"), secrets, cut=True)
        head = " ".join(head.split())[:160]
        shown = f"{head!r}" if head else "an empty body"
        return (
            f"HTTP {self.status} ({content_type}) but no server-sent events: got {shown}. "
            "Check base_url and any proxy in between."
        )

    async def finish(self, response: Response | None = None) -> None:
        """After the terminal event: read the rest of the body, up to a bound, so the
        connection can be reused (aiohttp drops one closed before its body's end).

        ``response`` (the completed one, or None) is what a WebSocket keeps for the next
        request's chain; an HTTP connection keeps nothing.
        """
        import asyncio

        # A timer that closes the response (which wakes the read), not asyncio.wait_for():
        # that wraps each read in a task of its own, which measured 1 MB more peak memory per
        # stream with 100 concurrent streams.
        timer = asyncio.get_running_loop().call_later(
            _END_SECONDS, self.close, "the end of the body did not come"
        )
        left = _END_BYTES
        try:
            while left > 0 and not self._ended:
                chunk = await self.read_chunk()
                if not chunk:
                    return
                left -= len(chunk)
        except APIConnectionError:
            pass  # closed instead: the connection is dropped, nothing else is lost
        finally:
            timer.cancel()

    def close(self, because: str = "the stream was closed") -> None:
        """Close the response (waking a pending read); a connection not fully read is dropped."""
        if self.closed_because is None:
            self.closed_because = because
            self._transport._open.discard(self)
            self._finalizer()


class Transport:
    """Owns one aiohttp ``ClientSession``, created on the event loop that first uses it."""

    def __init__(self, *, max_connections: int | None = None) -> None:
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._open: weakref.WeakSet[HTTPResponse] = weakref.WeakSet()
        self._closed = False
        self._websockets: WebSocketPool | None = None

    def websockets(self) -> WebSocketPool:
        """The WebSocket pool, made (and its module loaded) on first use."""
        if self._websockets is None:
            from ._websocket import WebSocketPool

            self._websockets = WebSocketPool(self)
        return self._websockets

    @property
    def websocket_fell_back(self) -> bool:
        """Whether ``transport="auto"`` fell back to SSE for good."""
        return self._websockets is not None and self._websockets.fell_back

    def _session_for_this_loop(self) -> aiohttp.ClientSession:
        import asyncio

        import aiohttp

        if self._closed:
            raise RuntimeError("This client is closed; create a new one")
        loop = asyncio.get_running_loop()
        if self._session is None:
            # aiohttp's default connector caps a session at 100 connections, which made the
            # 101st concurrent stream wait for one to end: no cap unless the user sets one.
            connector = aiohttp.TCPConnector(limit=self._max_connections or 0)
            self._session = aiohttp.ClientSession(connector=connector)
            self._loop = loop
        elif loop is not self._loop:
            raise RuntimeError(
                "This AsyncClient is bound to the event loop it was first used on; "
                "create one AsyncClient per event loop (or use the sync Client)"
            )
        return self._session

    async def send(
        self,
        request: Request,
        auth_headers: Mapping[str, str],
        secrets: Sequence[str] = (),
        *,
        max_event_size: int | None = None,
    ) -> HTTPResponse:
        """Send ``request`` with ``auth_headers``; raise the mapped ``APIError`` for >= 400.

        ``secrets`` (and the bearer token of ``auth_headers``) are redacted from error bodies.
        """
        import aiohttp

        session = self._session_for_this_loop()
        # No total: a healthy stream may last longer than any fixed cap. Connecting and every
        # wait for data are bounded instead.
        # `connect` bounds the wait for a free pooled connection too (with max_connections).
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=request.timeout,
            sock_connect=request.timeout,
            sock_read=request.timeout,
        )
        secrets = (*secrets, bearer_token(auth_headers))
        logger.debug("%s %s", request.method, request.url)
        response = await _request(
            session,
            request.method,
            request.url,
            request.timeout,
            secrets,
            data=request.body,  # encoded once, by the request builder
            headers={**auth_headers, **request.headers},
            timeout=timeout,
        )
        if response.status < 400:
            http = HTTPResponse(response, self, request.timeout, secrets, max_event_size)
            self._open.add(http)
            return http
        try:
            content = await _read_up_to(response, _MAX_ERROR_BODY)
        except Exception as exc:
            error = map_aiohttp(exc, "while reading the error body", request.timeout, secrets)
            if error is None:
                raise
        else:
            error = error_from_status(
                response.status, content, response.headers, request.url, secrets
            )
        finally:
            response.close()
        logger.debug("%s %s -> HTTP %s", request.method, request.url, response.status)
        raise error from None

    async def fetch(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        json_body: object = None,
        form: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        secrets: Sequence[str] = (),
    ) -> tuple[int, Mapping[str, str], bytes]:
        """A small non-streamed request (sign-in, refresh): status, headers and whole body.

        HTTP errors are returned, not raised: the caller knows what each status means.
        ``secrets`` (and the bearer token of ``headers``) are redacted from error messages.
        """
        import aiohttp

        session = self._session_for_this_loop()
        data: bytes | aiohttp.FormData | None = None
        request_headers = dict(headers or {})
        if json_body is not None:
            data = json.dumps(json_body, separators=(",", ":")).encode()
            request_headers.setdefault("Content-Type", "application/json")
        elif form is not None:
            data = aiohttp.FormData(dict(form))
        secrets = (*secrets, bearer_token(request_headers))
        logger.debug("%s %s", method, url)
        response = await _request(
            session,
            method,
            url,
            timeout,
            secrets,
            data=data,
            headers=request_headers,
            timeout=aiohttp.ClientTimeout(total=timeout),
        )
        try:
            async with response:
                content = await _read_up_to(response, _MAX_ERROR_BODY)
                return response.status, response.headers, content
        except Exception as exc:
            error = map_aiohttp(exc, f"reading the answer of {method} {url}", timeout, secrets)
            if error is None:
                raise
        raise error from None

    async def aclose(self) -> None:
        """Close open responses, the session and its connections. Idempotent."""
        self._closed = True
        for http in list(self._open):
            http.close("its client was closed")
        if self._websockets is not None:
            await self._websockets.aclose()
        session, self._session = self._session, None
        if session is not None:
            await session.close()


_MAX_REDIRECTS = 5
_REDIRECTS = frozenset((301, 302, 303, 307, 308))


async def _request(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    seconds: float,
    secrets: Sequence[str],
    *,
    data: bytes | aiohttp.FormData | None,
    **options: Any,
) -> aiohttp.ClientResponse:
    """``session.request``, following only redirects that cannot leak anything.

    aiohttp would follow a redirect to another origin with the account id, the session ids
    and (for 307/308) the body; only same-origin redirects that keep the method are followed.
    """
    for _ in range(_MAX_REDIRECTS + 1):
        error: CodexError | None = None
        body: bytes | aiohttp.FormData | io.BytesIO | None = data
        if isinstance(data, bytes) and len(data) > _LARGE_BODY:
            # A new BytesIO for each request sent (a redirect re-sends the body): older aiohttp
            # reads one from where the last send left it.
            body = io.BytesIO(data)
        try:
            response = await session.request(
                method, url, allow_redirects=False, data=body, **options
            )
        except Exception as exc:
            error = map_aiohttp(exc, f"sending {method} {url}", seconds, secrets)
            if error is None:
                raise
        if error is not None:  # raised here, so that __context__ is not aiohttp's exception
            raise error from None
        if response.status not in _REDIRECTS:
            return response
        location = response.headers.get("Location", "")
        response.close()
        url = _redirect_target(method, response.status, url, location, secrets)
    raise APIError(f"Too many redirects sending {method} {url}")


def _redirect_target(
    method: str, status: int, url: str, location: str, secrets: Sequence[str] = ()
) -> str:
    """Where a redirect may be followed to; ``APIError`` saying why when it may not."""
    from yarl import URL

    if not location:
        raise APIError(f"HTTP {status} from {url} without a Location header", status_code=status)
    source = URL(url)
    shown = _snippet(redact(location, secrets), 200)
    try:
        target = source.join(URL(location))
        origin = _origin(target)
    except ValueError as exc:  # "http://[::1", a port beyond 65535, ...
        raise APIError(
            f"HTTP {status} from {url}: the redirect target {shown!r} is malformed "
            f"({redact(str(exc), secrets)}), so it was not followed",
            status_code=status,
        ) from None
    same_origin = origin is not None and origin == _origin(source)
    if same_origin and (status in (307, 308) or method in ("GET", "HEAD")):
        return str(target)
    if same_origin:
        why = f"it would turn the {method} into a GET"
    elif origin is not None:
        why = f"it leads to another origin ({redact(str(target.origin()), secrets)})"
    else:
        why = f"it leads to another origin ({shown})"
    raise APIError(
        f"HTTP {status} from {url}: a redirect that was not followed, because {why} and the "
        "request carries the account id, the session ids and its body; if the service moved, "
        "point base_url at its new address",
        status_code=status,
    )


def _origin(url: URL) -> tuple[str, str, int | None] | None:
    """Scheme, host and port (the scheme's default when none is given), or None."""
    if not url.is_absolute() or not url.host:
        return None
    return url.scheme.lower(), url.host.lower(), url.port


async def _read_up_to(response: aiohttp.ClientResponse, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = await response.content.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)
