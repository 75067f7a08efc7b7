"""Sans-IO retry policy: what is worth retrying, and how long to wait first."""

from __future__ import annotations

import random

from ._exceptions import APIConnectionError, RateLimitError, ServerError, StreamError

INITIAL_DELAY = 0.25
MAX_DELAY = 8.0
# A server that asks for a longer wait than this gets the error back instead of a frozen caller.
MAX_SERVER_DELAY = 60.0


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
