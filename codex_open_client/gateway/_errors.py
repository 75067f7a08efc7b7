"""OpenAI-shaped errors: ``{"error": {"message", "type", "param", "code"}}`` with its status.

Every failure the gateway answers goes through here, from bad client input (400, 401, 413)
to what the backend said (``CodexError`` -> 400/429/502/503/504). Messages are scrubbed of
every credential the gateway's client holds before they leave.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Mapping
from typing import Any

from .._auth._redis_store import TokenStoreUnavailableError
from .._exceptions import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthError,
    CodexError,
    ContextWindowError,
    InvalidRequestError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
    StreamError,
    redact,
)

logger = logging.getLogger("codex_open_client.gateway")

__all__ = ["GatewayError", "error_body", "from_codex_error", "invalid"]


class GatewayError(Exception):
    """An error answered to the gateway's client, in OpenAI's shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """The JSON body: ``{"error": {...}}``."""
        return error_body(self.message, self.type, self.param, self.code)


def error_body(
    message: str, type: str, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """OpenAI's error envelope."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def invalid(message: str, param: str | None = None, code: str | None = None) -> GatewayError:
    """A 400 ``invalid_request_error`` naming ``param``."""
    return GatewayError(400, message, param=param, code=code)


def _retry_after(exc: CodexError) -> str | None:
    seconds: float | None = None
    if isinstance(exc, RateLimitError) and exc.retry_after is not None:
        seconds = exc.retry_after
    resets_at = getattr(exc, "resets_at", None)
    if seconds is None and resets_at is not None:
        seconds = resets_at.timestamp() - time.time()
    if seconds is None:
        return None
    return str(max(1, math.ceil(seconds)))


def from_codex_error(exc: BaseException, secrets: Iterable[str | None] = ()) -> GatewayError:
    """The answer for a failure of the upstream call (or of the SDK's argument checks)."""
    secrets = tuple(secrets)
    message = str(redact(str(getattr(exc, "message", None) or exc), secrets))
    if isinstance(exc, (TypeError, ValueError)) and not isinstance(exc, CodexError):
        return invalid(message)
    code = getattr(exc, "code", None)
    code = str(redact(code, secrets)) if code else None
    if isinstance(exc, QuotaExceededError):
        headers = {}
        retry_after = _retry_after(exc)
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        return GatewayError(
            429,
            message,
            type="insufficient_quota",
            code=code or "insufficient_quota",
            headers=headers,
        )
    if isinstance(exc, RateLimitError):
        headers = {}
        retry_after = _retry_after(exc)
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        return GatewayError(
            429,
            message,
            type="rate_limit_error",
            code=code or "rate_limit_exceeded",
            headers=headers,
        )
    if isinstance(exc, ContextWindowError):
        return GatewayError(400, message, code=code or "context_length_exceeded")
    if isinstance(exc, AuthError):
        # The gateway's own sign-in was refused: not the caller's key, so not a 401.
        return GatewayError(
            502,
            f"The gateway's ChatGPT sign-in was refused by the backend: {message}",
            type="upstream_auth_error",
            code=code,
        )
    if isinstance(exc, InvalidRequestError):
        status = exc.status_code if exc.status_code and 400 <= exc.status_code < 500 else 400
        if status in (401, 403, 429):
            status = 400
        return GatewayError(status, message, code=code)
    if isinstance(exc, TokenStoreUnavailableError):
        # Its message names the store's address: logged for the operator, not sent to clients.
        logger.warning("token store unavailable: %s", message)
        return GatewayError(
            503,
            "The gateway's credential store is unavailable; try again later.",
            type="server_error",
            code=code or "token_store_unavailable",
        )
    if isinstance(exc, ServerError):
        overloaded = code in ("server_is_overloaded", "slow_down") or exc.status_code == 503
        return GatewayError(
            503 if overloaded else 502, message, type="server_error", code=code or "upstream_error"
        )
    if isinstance(exc, APITimeoutError):
        return GatewayError(504, message, type="server_error", code="upstream_timeout")
    if isinstance(exc, APIConnectionError):
        return GatewayError(502, message, type="server_error", code="upstream_unreachable")
    if isinstance(exc, StreamError):
        return GatewayError(502, message, type="server_error", code="upstream_stream_error")
    if isinstance(exc, APIError):
        return GatewayError(502, message, type="server_error", code=code or "upstream_error")
    return GatewayError(
        500, "The gateway failed to handle the request", type="server_error", code="internal_error"
    )
