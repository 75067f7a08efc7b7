"""Retrying: what is worth retrying, how long to wait first, and the one retry loop.

``is_retryable`` and ``retry_delay`` are the sans-IO policy. ``Attempts`` is the loop's state
for one request, shared by the streams of ``/responses`` (either transport) and the JSON
endpoints (``/models``, usage, the older compaction endpoint): after each failure it either
waits and lets the caller try again, recovers from a 401, or raises.
"""

from __future__ import annotations

import logging
import random
from typing import TYPE_CHECKING

from ._exceptions import (
    APIConnectionError,
    AuthError,
    CodexError,
    RateLimitError,
    ServerError,
    StreamError,
)

if TYPE_CHECKING:
    from ._auth import AuthManager
    from ._transport import Transport

__all__ = ["Attempts", "is_retryable", "retry_delay"]

INITIAL_DELAY = 0.25
MAX_DELAY = 8.0
# A server that asks for a longer wait than this gets the error back instead of a frozen caller.
MAX_SERVER_DELAY = 60.0

logger = logging.getLogger("codex_open_client")


def is_retryable(exc: BaseException) -> bool:
    """Connection failures, timeouts, broken streams, 5xx and 429 (not quota) are retryable."""
    return isinstance(exc, (APIConnectionError, StreamError, ServerError, RateLimitError))


def retry_delay(retries_done: int, exc: BaseException) -> float | None:
    """Seconds to wait before the next try, or None when the server asks for too long.

    The server's own delay (``Retry-After``, ``retry-after-ms``, "try again in 1.5s") wins;
    otherwise exponential backoff with jitter, as openai-python and the Codex CLI do.
    """
    asked = exc.retry_after if isinstance(exc, RateLimitError) else None
    if asked is not None:
        return asked if asked <= MAX_SERVER_DELAY else None
    backoff = min(MAX_DELAY, INITIAL_DELAY * 2.0**retries_done)
    return backoff * random.uniform(0.75, 1.0)


class Attempts:
    """The tries of one request: up to ``max_retries`` retries, and the 401 recovery.

    The caller loops: fetch the credentials, send, and on a ``CodexError`` call
    ``await attempts.after(exc, auth_headers)``, which returns when another try is due.
    """

    __slots__ = ("_auth", "_transport", "max_retries", "method", "recoveries", "retries", "url")

    def __init__(
        self, auth: AuthManager, transport: Transport, *, method: str, url: str, max_retries: int
    ) -> None:
        self._auth = auth
        self._transport = transport
        self.method = method
        self.url = url
        self.max_retries = max_retries
        #: Retries taken so far (what ``RawResponse.retries_taken`` reports).
        self.retries = 0
        self.recoveries = 0

    async def after(self, exc: CodexError, auth_headers: dict[str, str]) -> None:
        """After a failed try: recover from a 401 (reload the stored credentials, else
        refresh them) or back off; raise ``exc`` when no other try is due."""
        if isinstance(exc, AuthError):
            if exc.status_code != 401 or not await self._auth.recover(
                self._transport, auth_headers, self.recoveries
            ):
                raise exc
            self.recoveries += 1
            return
        await self.backoff(exc)

    async def backoff(self, exc: CodexError) -> None:
        """Wait before retrying ``exc``; raise it when it is not retryable or no retry is left."""
        if not is_retryable(exc) or self.retries >= self.max_retries:
            raise exc
        delay = retry_delay(self.retries, exc)
        if delay is None:
            raise exc
        self.retries += 1
        logger.info(
            "retrying %s %s in %.2fs (retry %d of %d): %s",
            self.method,
            self.url,
            delay,
            self.retries,
            self.max_retries,
            exc,
        )
        import asyncio  # here, not at the top: keeps `import codex_open_client` fast

        await asyncio.sleep(delay)
