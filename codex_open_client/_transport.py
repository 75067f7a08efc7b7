"""The one place that does I/O: an aiohttp session, requests, byte chunks, error mapping.

aiohttp is imported lazily, on the first request, so that importing the package stays fast.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from ._exceptions import APIConnectionError, APITimeoutError, error_from_status
from ._request import Request

if TYPE_CHECKING:
    import asyncio

    import aiohttp

logger = logging.getLogger("codex_open_client")

# An error body larger than this is cut: it only feeds a message.
_MAX_ERROR_BODY = 1 << 20


@contextlib.contextmanager
def map_aiohttp(what: str) -> Iterator[None]:
    """Translate aiohttp and socket errors into this package's exceptions."""
    import asyncio

    import aiohttp

    try:
        yield
    except (asyncio.TimeoutError, TimeoutError) as exc:  # distinct before Python 3.11
        raise APITimeoutError(f"Timed out {what}", cause=exc) from exc
    except (aiohttp.ClientError, OSError) as exc:
        detail = str(exc) or type(exc).__name__
        raise APIConnectionError(f"Connection error {what}: {detail}", cause=exc) from exc


class HTTPResponse:
    """A streaming HTTP answer with status < 400: read it chunk by chunk, then close it."""

    __slots__ = ("_response", "headers", "status")

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response
        self.status = response.status
        self.headers: Mapping[str, str] = response.headers

    async def read_chunk(self) -> bytes:
        """The bytes that arrived since the last call (waiting for some); b"" at the end."""
        with map_aiohttp("while reading the response"):
            return await self._response.content.readany()

    def close(self) -> None:
        """Close the response; a connection whose body was not fully read is not reused."""
        self._response.close()


class Transport:
    """Owns one aiohttp ``ClientSession``, created on the event loop that first uses it."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _session_for_this_loop(self) -> aiohttp.ClientSession:
        import asyncio

        import aiohttp

        loop = asyncio.get_running_loop()
        if self._session is None:
            # total=None: a healthy stream may last longer than any fixed cap; each request
            # bounds connecting and every wait for data instead (see send()).
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=None), auto_decompress=True
            )
            self._loop = loop
        elif loop is not self._loop:
            raise RuntimeError(
                "This AsyncClient is bound to the event loop it was first used on; "
                "create one AsyncClient per event loop (or use the sync Client)"
            )
        return self._session

    async def send(self, request: Request) -> HTTPResponse:
        """Send ``request``; raise the mapped ``APIError`` for a status >= 400."""
        import aiohttp

        session = self._session_for_this_loop()
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=request.timeout, sock_read=request.timeout
        )
        data = None
        if request.json is not None:
            data = json.dumps(request.json, ensure_ascii=False, separators=(",", ":")).encode()
        logger.debug("%s %s", request.method, request.url)
        with map_aiohttp(f"sending {request.method} {request.url}"):
            response = await session.request(
                request.method, request.url, data=data, headers=request.headers, timeout=timeout
            )
        if response.status < 400:
            return HTTPResponse(response)
        try:
            with map_aiohttp("while reading the error body"):
                content = await response.content.read(_MAX_ERROR_BODY)
        finally:
            response.close()
        logger.debug("%s %s -> HTTP %s", request.method, request.url, response.status)
        raise error_from_status(response.status, content, response.headers, request.url)

    async def aclose(self) -> None:
        """Close the session and its connections. Idempotent."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()
