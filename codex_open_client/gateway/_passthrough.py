"""Codex-native passthrough: ``/backend-api/codex/responses`` and ``/backend-api/codex/models``.

The Codex CLI and other native clients send their own Responses bodies; the gateway forwards
them as they are, with its own sign-in (``Authorization``, ``ChatGPT-Account-ID``) in place of
whatever credentials the caller sent, and streams the answer's bytes back unchanged. A 401 is
recovered like the SDK does (reload the stored credentials, else refresh, then once more).
Error bodies are read whole and every credential the gateway holds is redacted from them.

The SDK has no raw-bytes call, so this module uses the ``AsyncClient``'s credential manager and
its own aiohttp session (opened with the application, closed with it).
"""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
from aiohttp import web

from .._client import AsyncClient
from .._exceptions import CodexError, redact
from ._errors import GatewayError, from_codex_error

__all__ = ["Passthrough"]

_REQUEST_HEADERS = (
    "accept",
    "content-type",
    "conversation_id",
    "openai-beta",
    "originator",
    "session_id",
    "user-agent",
    "version",
    "x-openai-subagent",
)
_RESPONSE_HEADERS = (
    "content-type",
    "etag",
    "openai-model",
    "retry-after",
    "retry-after-ms",
    "x-models-etag",
    "x-oai-request-id",
    "x-request-id",
)
_DISCONNECTED = (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)


def _forwarded(request: web.Request) -> dict[str, str]:
    headers = {}
    for name, value in request.headers.items():
        lower = name.lower()
        if lower in _REQUEST_HEADERS or lower.startswith("x-codex-"):
            headers[name] = value
    return headers


def _answer_headers(upstream: aiohttp.ClientResponse) -> dict[str, str]:
    headers = {}
    for name, value in upstream.headers.items():
        lower = name.lower()
        if lower in _RESPONSE_HEADERS or lower.startswith("x-codex-"):
            headers[name] = value
    return headers


class Passthrough:
    """Forwards native Codex requests with the gateway's sign-in."""

    def __init__(self, client: AsyncClient, max_body_size: int) -> None:
        self._client = client
        self._max_body_size = max_body_size
        self._session: aiohttp.ClientSession | None = None

    async def start(self, _: web.Application) -> None:
        """Open the session (``on_startup``)."""
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=30, sock_read=self._client._config.timeout
        )
        self._session = aiohttp.ClientSession(timeout=timeout, auto_decompress=False)

    async def stop(self, _: web.Application) -> None:
        """Close the session (``on_cleanup``)."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _secrets(self) -> tuple[str, ...]:
        return self._client._auth.secrets()

    async def _send(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> aiohttp.ClientResponse:
        """Send with the gateway's credentials; a 401 is recovered (reload, else refresh)."""
        session = self._session
        if session is None:
            raise GatewayError(503, "The gateway is not running.", type="server_error")
        auth = self._client._auth
        transport = self._client._transport
        attempt = 0
        while True:
            try:
                credentials = await auth.headers(transport)
            except CodexError as exc:
                raise from_codex_error(exc, self._secrets()) from None
            try:
                upstream = await session.request(
                    method,
                    url,
                    data=body,
                    headers={**headers, **credentials},
                    allow_redirects=False,
                )
            except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
                message = str(redact(str(exc) or type(exc).__name__, self._secrets()))
                code = "upstream_timeout" if isinstance(exc, asyncio.TimeoutError) else None
                raise GatewayError(
                    504 if code else 502,
                    f"The Codex backend could not be reached: {message}",
                    type="server_error",
                    code=code or "upstream_unreachable",
                ) from None
            if upstream.status != 401:
                return upstream
            upstream.release()
            try:
                retry = await auth.recover(transport, credentials, attempt)
            except CodexError as exc:
                raise from_codex_error(exc, self._secrets()) from None
            if not retry:
                raise GatewayError(
                    502,
                    "The gateway's ChatGPT sign-in was refused by the backend.",
                    type="upstream_auth_error",
                )
            attempt += 1

    async def _relay(
        self, request: web.Request, upstream: aiohttp.ClientResponse
    ) -> web.StreamResponse:
        headers = _answer_headers(upstream)
        if upstream.status >= 400:
            content = await upstream.read()
            text = redact(content.decode("utf-8", "replace"), self._secrets())
            return web.Response(status=upstream.status, text=text, headers=headers)
        answer = web.StreamResponse(status=upstream.status, headers=headers)
        await answer.prepare(request)
        try:
            async for chunk in upstream.content.iter_any():
                await answer.write(chunk)
        except _DISCONNECTED:
            return answer
        except (aiohttp.ClientError, asyncio.TimeoutError):
            # The upstream broke mid-stream: end ours too (the client sees the missing end).
            return answer
        with contextlib.suppress(*_DISCONNECTED):  # it hung up right after the last byte
            await answer.write_eof()
        return answer

    async def responses(self, request: web.Request) -> web.StreamResponse:
        """``POST /backend-api/codex/responses``."""
        body = await request.read()
        url = f"{self._client.base_url}/responses"
        upstream = await self._send("POST", url, _forwarded(request), body)
        async with upstream:
            return await self._relay(request, upstream)

    async def models(self, request: web.Request) -> web.StreamResponse:
        """``GET /backend-api/codex/models`` (query string kept)."""
        url = f"{self._client.base_url}/models"
        if request.query_string:
            url += "?" + request.query_string
        upstream = await self._send("GET", url, _forwarded(request), None)
        async with upstream:
            return await self._relay(request, upstream)

    async def responses_websocket(self, request: web.Request) -> web.StreamResponse:
        """``GET /backend-api/codex/responses`` upgraded to a WebSocket: relayed both ways."""
        session = self._session
        if session is None:
            raise GatewayError(503, "The gateway is not running.", type="server_error")
        probe = web.WebSocketResponse()
        if not probe.can_prepare(request).ok:
            raise GatewayError(
                400,
                "GET /backend-api/codex/responses is the WebSocket transport: send an "
                "Upgrade: websocket request, or POST for HTTP.",
                code="websocket_required",
            )
        url = (
            self._client.base_url.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
            + "/responses"
        )
        headers = _forwarded(request)
        upstream = await self._connect_websocket(session, url, headers)
        downstream = web.WebSocketResponse(max_msg_size=self._max_body_size, autoping=True)
        try:
            await downstream.prepare(request)
            await _relay_websockets(downstream, upstream)
        finally:
            await upstream.close()
            await downstream.close()
        return downstream

    async def _connect_websocket(
        self, session: aiohttp.ClientSession, url: str, headers: dict[str, str]
    ) -> aiohttp.ClientWebSocketResponse[bool]:
        auth = self._client._auth
        transport = self._client._transport
        attempt = 0
        while True:
            try:
                credentials = await auth.headers(transport)
            except CodexError as exc:
                raise from_codex_error(exc, self._secrets()) from None
            try:
                return await session.ws_connect(
                    url, headers={**headers, **credentials}, max_msg_size=0, autoping=True
                )
            except aiohttp.WSServerHandshakeError as exc:
                if exc.status == 401:
                    try:
                        retry = await auth.recover(transport, credentials, attempt)
                    except CodexError as error:
                        raise from_codex_error(error, self._secrets()) from None
                    if retry:
                        attempt += 1
                        continue
                    raise GatewayError(
                        502,
                        "The gateway's ChatGPT sign-in was refused by the backend.",
                        type="upstream_auth_error",
                    ) from None
                raise GatewayError(
                    exc.status if 400 <= exc.status < 600 else 502,
                    f"The Codex backend refused the WebSocket: HTTP {exc.status}.",
                    type="server_error" if exc.status >= 500 else "invalid_request_error",
                    code="websocket_refused",
                ) from None
            except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
                message = str(redact(str(exc) or type(exc).__name__, self._secrets()))
                raise GatewayError(
                    502,
                    f"The Codex backend could not be reached: {message}",
                    type="server_error",
                    code="upstream_unreachable",
                ) from None

    def add_routes(self, app: web.Application) -> None:
        """Register the routes and the session's lifetime on ``app``."""
        app.router.add_post("/backend-api/codex/responses", self.responses)
        app.router.add_get("/backend-api/codex/responses", self.responses_websocket)
        app.router.add_get("/backend-api/codex/models", self.models)
        app.on_startup.append(self.start)
        app.on_cleanup.append(self.stop)


async def _pump(
    source: web.WebSocketResponse | aiohttp.ClientWebSocketResponse[bool],
    target: web.WebSocketResponse | aiohttp.ClientWebSocketResponse[bool],
) -> None:
    """Copy messages from ``source`` to ``target`` until ``source`` closes."""
    async for message in source:
        if message.type == aiohttp.WSMsgType.TEXT:
            await target.send_str(message.data)
        elif message.type == aiohttp.WSMsgType.BINARY:
            await target.send_bytes(message.data)
        else:  # an error or a close: the relay ends
            return


async def _relay_websockets(
    downstream: web.WebSocketResponse, upstream: aiohttp.ClientWebSocketResponse[bool]
) -> None:
    """Relay both ways; when either side ends (or the caller is cancelled), both close."""
    tasks = [
        asyncio.ensure_future(_pump(downstream, upstream)),
        asyncio.ensure_future(_pump(upstream, downstream)),
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except (asyncio.CancelledError, *_DISCONNECTED, aiohttp.ClientError):
                pass
