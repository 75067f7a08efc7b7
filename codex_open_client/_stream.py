"""``AsyncResponseStream``: event payloads -> typed events -> accumulated ``Response``.

The payloads come from either transport, read the same way: ``_transport.HTTPResponse``
(SSE over HTTP) or ``_websocket.WebSocketResponse`` (one JSON event per text frame). Events
are handed out as soon as the chunk that completes them arrives. A failure the
backend reports inside the stream (``response.failed``, ``error``) or a stream that breaks is
raised when iteration reaches it; while no event has reached the caller yet, a retryable
failure is retried instead, as a fresh request.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, cast

import attrs
from multidict import CIMultiDict, CIMultiDictProxy

from ._accumulate import TERMINAL_EVENTS, Accumulator
from ._auth import AuthManager
from ._events import (
    CodexRateLimitsEvent,
    ResponseCompletedEvent,
    ResponseErrorEvent,
    ResponseFailedEvent,
    ResponseMetadataEvent,
    ResponseOutputTextDeltaEvent,
    ResponseStreamEvent,
    structure_event,
)
from ._exceptions import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    CodexError,
    QuotaExceededError,
    RateLimitError,
    StreamError,
    error_from_stream as _error_from_stream,
    require_asyncio,
)
from ._models import Response
from ._ratelimits import RateLimits, rate_limits_from_event, rate_limits_from_headers
from ._request import DEFAULT_MAX_EVENT_SIZE, Request, bearer_token
from ._retry import Attempts
from ._serde import unstructure
from ._transport import EventTooLarge, Transport

if TYPE_CHECKING:
    from ._websocket import WebSocketResponse

__all__ = ["AsyncResponseStream"]


# A new loop over a stream with nothing left raises one of these (never zero events in
# silence). Events are not kept once handed out: keeping them for a replay cost about 0.6 KB
# per event for as long as the stream lives, 1.7x the peak memory of 100 concurrent streams
# (tests/benchmarks/bench_concurrency.py --quick: 67 -> 115 MiB).
CLOSED_EARLY = (
    "This stream was closed before its end (aclose(), close() or leaving its `with` block), "
    "so it cannot be iterated again; read it inside the block"
)
ALREADY_READ = (
    "This stream was already read to its end (by a loop or get_final_response()) and its "
    "events are not kept, so it cannot be iterated again: keep them as you read them "
    "(events = list(stream)), or use stream.response for the final response"
)

logger = logging.getLogger("codex_open_client")


class EventSource(Protocol):
    """What the stream reads from: either transport's answer (``HTTPResponse`` over SSE,
    ``WebSocketResponse`` over WebSocket)."""

    status: int
    headers: Mapping[str, str]
    closed_because: str | None

    async def read_payloads(self) -> list[dict[str, Any]]:
        """The next event payloads (at least one); raises when the answer breaks or ends."""
        ...

    async def finish(self, response: Response | None) -> None:
        """After the terminal event: hand the connection back (with the completed response)."""
        ...

    def close(self, because: str = ...) -> None:
        """Stop reading; a connection left mid-answer is dropped."""
        ...


class StreamObserver(Protocol):
    """Told what a stream learns about the account: the client keeps the last of it."""

    def _saw_headers(self, headers: Mapping[str, str]) -> None:
        """The HTTP headers of an answer (ETag of the model catalog, ...)."""

    def _saw_rate_limits(self, rate_limits: RateLimits) -> None:
        """A rate-limit snapshot, from headers or a ``codex.rate_limits`` event."""


class AsyncResponseStream:
    """The events of one response, as they arrive. Iterate it with ``async for``.

    Use it as ``async with`` (or call ``aclose()``) so the connection is released even when you
    stop early; ``get_final_response()`` drains what is left and returns the ``Response``.

    A loop picks up where the previous one stopped: after a ``break``, the next loop goes on
    with the next event. Events are not kept once handed out, so a new loop over a stream
    already read to its end (by a loop or by ``get_final_response()``), or closed before its
    end, raises ``RuntimeError`` saying so; one that ended with an error raises that again.
    """

    def __init__(
        self,
        transport: Transport,
        request: Request,
        auth: AuthManager,
        *,
        observer: StreamObserver | None = None,
        prepare: Callable[[], Awaitable[None]] | None = None,
        on_complete: Callable[[Response], None] | None = None,
        max_event_size: int | None = None,
        transport_mode: str = "sse",
    ) -> None:
        self._transport = transport
        self._mode = transport_mode
        # A new socket gets the CLI's prewarm request first (set by conversations).
        self._prewarm = False
        self._max_event_size = max_event_size
        self._request = request
        self._auth = auth
        self._observer = observer
        self._prepare = prepare
        self._on_complete = on_complete
        self._rate_limits: RateLimits | None = None
        self._http: EventSource | None = None
        self._headers: Mapping[str, str] = {}
        self._status: int | None = None
        self._pending: deque[ResponseStreamEvent] = deque()
        self._closed_early = False
        self._failure: CodexError | None = None
        self._finished = False
        self._delivered = False
        self._reading = False
        self._attempts = Attempts(
            auth,
            transport,
            method=request.method,
            url=request.url,
            max_retries=request.max_retries,
        )
        self._completed = False
        self._bearer = ""  # the token sent, redacted from errors even once refreshed away
        self._reset()

    def _reset(self) -> None:
        self._accumulator = Accumulator()
        self._pending.clear()

    # ----------------------------------------------------------------------- public

    @property
    def headers(self) -> Mapping[str, str]:
        """The HTTP response headers (rate limits, request id); empty before the request.

        Over WebSocket, the upgrade's. Headers that a ``response.metadata`` event carries
        (``x-codex-turn-state``, ``openai-model``) are added as it arrives.
        """
        return self._headers

    @property
    def response(self) -> Response:
        """The response as accumulated so far (final once the stream has ended)."""
        return self._with_rate_limits(self._accumulator.response())

    @property
    def rate_limits(self) -> RateLimits | None:
        """The rate limits from the headers and ``codex.rate_limits`` events, when sent."""
        return self._rate_limits

    def __aiter__(self) -> AsyncResponseStream:
        if self._closed_early or (self._finished and not self._pending and self._failure is None):
            # A new loop with nothing left to give: say so rather than give nothing.
            raise RuntimeError(CLOSED_EARLY if self._closed_early else ALREADY_READ)
        return self

    async def __anext__(self) -> ResponseStreamEvent:
        pending = self._pending
        if pending and not self._reading:
            # Most calls: the chunk already read holds more events. No I/O, nothing to guard.
            self._delivered = True
            return pending.popleft()
        if not await self._wait_for_events(deliver=True):
            raise StopAsyncIteration
        return self._pending.popleft()

    async def text_deltas(self) -> AsyncIterator[str]:
        """Yield only the pieces of output text, as they arrive."""
        async for event in self:
            if type(event) is ResponseOutputTextDeltaEvent:
                yield event.delta

    async def get_final_response(self) -> Response:
        """Read the rest of the stream and return the final ``Response``."""
        # Draining hands nothing to the caller, so a retryable failure may still be retried.
        while await self._wait_for_events(deliver=False):
            self._pending.clear()
        return self._with_rate_limits(self._accumulator.response())

    async def aclose(self) -> None:
        """Close the stream and release its connection. Idempotent.

        Events not handed out yet are dropped; closed before its end, the stream cannot be
        iterated again (a loop raises ``RuntimeError``).
        """
        if not self._finished or self._pending:
            self._closed_early = True
        self._finished = True
        self._pending.clear()
        self._release()

    async def __aenter__(self) -> AsyncResponseStream:
        await self._open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        state = "finished" if self._finished else "open" if self._http else "not started"
        return f"<AsyncResponseStream {self._request.method} {self._request.url} {state}>"

    # ----------------------------------------------------------------------- internals

    async def _next_batch(self) -> list[ResponseStreamEvent]:
        """Every event parsed so far (at least one), or [] at the end.

        The sync ``ResponseStream`` crosses threads once per call, so once per network
        chunk rather than once per event.
        """
        if not await self._wait_for_events(deliver=True):
            return []
        batch = list(self._pending)
        self._pending.clear()
        return batch

    async def _open(self) -> None:
        """Send the request (retrying what is retryable) unless it is already sent."""
        if self._http is None and not self._finished:
            require_asyncio()
        await self._run_prepare()
        while self._http is None and not self._finished:
            auth_headers = await self._auth.headers(self._transport)
            self._bearer = bearer_token(auth_headers)
            try:
                if self._mode != "sse" and not (
                    self._mode == "auto" and self._transport.websocket_fell_back
                ):
                    self._http = await self._send_websocket(auth_headers)
                    if self._http is None:
                        continue  # "auto" fell back: the same attempt, over SSE
                else:
                    self._http = await self._transport.send(
                        self._request,
                        auth_headers,
                        self._auth.secrets(),
                        max_event_size=self._max_event_size,
                    )
                self._headers, self._status = self._http.headers, self._http.status
                self._saw_headers(self._http.headers)
            except CodexError as exc:
                if isinstance(exc, (RateLimitError, QuotaExceededError)) and exc.rate_limits:
                    self._saw_rate_limits(exc.rate_limits)
                # 401: reload the stored credentials, else refresh them; else back off.
                await self._attempts.after(exc, auth_headers)

    async def _run_prepare(self) -> None:
        """The work due before the request is sent (a conversation's compaction), once."""
        if self._prepare is not None:
            prepare, self._prepare = self._prepare, None
            await prepare()

    async def _send_websocket(self, auth_headers: Mapping[str, str]) -> WebSocketResponse | None:
        """Send over WebSocket; None when ``transport="auto"`` just fell back to SSE."""
        from ._websocket import WebSocketUnavailable

        pool = self._transport.websockets()
        try:
            return await pool.send(
                self._request,
                auth_headers,
                self._auth.secrets(),
                auto=self._mode == "auto",
                max_size=self._max_event_size or DEFAULT_MAX_EVENT_SIZE,
                prewarm=self._prewarm,
            )
        except WebSocketUnavailable as exc:
            if self._mode != "auto":
                raise APIError(str(exc), status_code=426) from None
            pool.fall_back(str(exc))
            return None

    async def _wait_for_events(self, *, deliver: bool) -> bool:
        """Make sure an event is pending; False when the stream has ended."""
        if self._reading:
            raise RuntimeError(
                "This stream is already being read elsewhere (another task or thread); "
                "read each stream from one place at a time"
            )
        self._reading = True
        try:
            while not self._pending:
                if self._failure is not None:
                    # Kept, not cleared: get_final_response() after a failure raises it too.
                    self._finished = True
                    raise self._failure
                if self._finished:
                    return False
                if self._http is None:
                    await self._open()
                else:
                    await self._read_more()
        except BaseException:
            # Cancellation, Ctrl-C, a failure: the connection must not stay checked out.
            self._release()
            raise
        finally:
            self._reading = False
        if deliver:
            self._delivered = True
        return True

    async def _read_more(self) -> None:
        """Read the next event payloads (one network chunk, or the frames queued) and take them."""
        source = self._http
        assert source is not None
        try:
            payloads = await source.read_payloads()
        except APIConnectionError as exc:
            if self._finished:  # aclose() was called meanwhile, e.g. from another thread
                return None
            partial = self._accumulator.response()
            if source.closed_because is not None:
                self._failure = StreamError(
                    f"The stream stopped: {source.closed_because}", response=partial
                )
                return None
            if isinstance(exc, APITimeoutError):
                return await self._fail(exc)
            return await self._fail(
                StreamError(f"The stream broke: {exc.message}", response=partial)
            )
        except EventTooLarge as exc:
            # Not retried: the same answer would only cost the same memory again.
            self._release()
            self._failure = StreamError(exc.message, response=self._accumulator.response())
            return None
        except StreamError as exc:  # the body ended early, a binary frame...
            return await self._fail(StreamError(exc.message, response=self._accumulator.response()))
        except CodexError as exc:  # an error frame mid-stream
            if isinstance(exc, (RateLimitError, QuotaExceededError)) and exc.rate_limits:
                self._saw_rate_limits(exc.rate_limits)
            return await self._fail(exc)
        for payload in payloads:
            failed = self._take(payload)
            if failed is not None:
                return await self._fail(self._error_from(failed))
            if self._finished:
                try:
                    await source.finish(self._accumulator.response() if self._completed else None)
                finally:
                    self._release()
                return None
        return None

    def _take(self, payload: dict[str, Any]) -> ResponseStreamEvent | None:
        """Accumulate one event payload and queue its event; the event if it is a failure."""
        event = structure_event(payload)
        self._accumulator.feed(event)
        event_class = type(event)
        if event_class is ResponseFailedEvent or event_class is ResponseErrorEvent:
            return event
        if event_class is CodexRateLimitsEvent:
            limits = rate_limits_from_event(cast(CodexRateLimitsEvent, event), self._rate_limits)
            self._saw_rate_limits(limits)
        elif event_class is ResponseMetadataEvent:
            self._saw_event_headers(cast(ResponseMetadataEvent, event).headers)
        self._pending.append(event)
        if event_class in TERMINAL_EVENTS:
            # Like the CLI, stop at the first terminal event.
            self._finished = True
            if logger.isEnabledFor(logging.DEBUG):
                final = self._accumulator.response()
                logger.debug("stream ended: %s %s", final.id, final.status)
            self._completed = event_class is ResponseCompletedEvent
            if self._on_complete is not None and self._completed:
                self._on_complete(self._with_rate_limits(self._accumulator.response()))
        return None

    def _saw_event_headers(self, headers: Mapping[str, Any] | None) -> None:
        """Headers a ``response.metadata`` event carries (the backend sends
        ``x-codex-turn-state`` there too) join ``headers``; the answer's own stay."""
        if not headers:
            return
        merged = CIMultiDict(self._headers)
        for name, value in headers.items():
            if isinstance(value, str) and name not in merged:
                merged[name] = value
        self._headers = CIMultiDictProxy(merged)

    def _error_from(self, event: ResponseStreamEvent) -> CodexError:
        response = self._with_rate_limits(self._accumulator.response())
        if isinstance(event, ResponseFailedEvent):
            error = unstructure(event.response.error) if event.response.error else None
            failure = _error_from_stream(error, response, self._secrets())
        else:
            assert isinstance(event, ResponseErrorEvent)
            failure = _error_from_stream(
                {"code": event.code, "message": event.message, "param": event.param},
                response,
                self._secrets(),
            )
        limits = self._rate_limits
        if isinstance(failure, (RateLimitError, QuotaExceededError)) and limits is not None:
            failure.rate_limits = failure.rate_limits or limits
            failure.resets_at = failure.resets_at or limits.resets_at
        return failure

    def _secrets(self) -> tuple[str, ...]:
        """Every credential held, and the token this stream was sent with."""
        return (*self._auth.secrets(), self._bearer)

    def _with_rate_limits(self, response: Response) -> Response:
        if self._rate_limits is None:
            return response
        return attrs.evolve(response, rate_limits=self._rate_limits)

    def _saw_headers(self, headers: Mapping[str, str]) -> None:
        limits = rate_limits_from_headers(headers)
        if limits is not None:
            self._saw_rate_limits(limits)
        if self._observer is not None:
            self._observer._saw_headers(headers)

    def _saw_rate_limits(self, limits: RateLimits) -> None:
        self._rate_limits = limits
        if self._observer is not None:
            self._observer._saw_rate_limits(limits)

    async def _fail(self, failure: CodexError) -> None:
        """Retry if nothing reached the caller yet and the failure allows it; else keep it."""
        logger.debug("stream failed: %s", failure)
        self._release()
        if not self._delivered:
            try:
                await self._attempts.backoff(failure)
            except CodexError:
                pass
            else:
                self._reset()
                return
        self._failure = failure

    @property
    def _retries(self) -> int:
        return self._attempts.retries

    def _release(self) -> None:
        http, self._http = self._http, None
        if http is not None:
            http.close()
