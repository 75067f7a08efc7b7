"""Exceptions, and the mapping from HTTP answers and in-stream errors to them.

::

    CodexError
    ├── APIError               status_code, code, body, request_id
    │   ├── AuthError              401, 403
    │   │   └── LoginError             sign-in failed (also a RuntimeError; in _oauth)
    │   ├── InvalidRequestError    400 (and other 4xx)
    │   │   └── ContextWindowError     context_length_exceeded
    │   ├── RateLimitError         429, retry_after, resets_at, rate_limits
    │   ├── QuotaExceededError     usage_limit_reached / insufficient_quota / usage_not_included
    │   └── ServerError            5xx, server_is_overloaded
    ├── APIConnectionError     no response; cause
    │   └── APITimeoutError
    ├── StreamError            the stream broke or ended early; carries the partial Response
    ├── StructuredOutputError  parse() got no valid document; carries the Response
    │   ├── RefusalError           the model refused
    │   └── IncompleteResponseError  the response stopped early
    ├── ToolArgumentsError     a tool call's arguments are not valid JSON (also a ValueError)
    ├── MaxTurnsExceededError  run_tools() hit max_turns; carries the result so far
    └── AsyncioRequiredError   AsyncClient used outside asyncio (also a RuntimeError)

    UserWarning
    └── UnsupportedImageDetailWarning  detail="original" for a model whose catalog lacks it

Messages never contain credentials: they are built from the status, the body and a few
response headers only, and every credential the client holds is redacted from the body first,
in case a server echoes one back.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._models import Response
    from ._ratelimits import RateLimits
    from ._tools import ToolRunResult

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AsyncioRequiredError",
    "AuthError",
    "CodexError",
    "ContextWindowError",
    "IncompleteResponseError",
    "InvalidRequestError",
    "MaxTurnsExceededError",
    "QuotaExceededError",
    "RateLimitError",
    "RefusalError",
    "ServerError",
    "StreamError",
    "StructuredOutputError",
    "ToolArgumentsError",
    "UnsupportedImageDetailWarning",
    "map_aiohttp",
    "require_asyncio",
]


class CodexError(Exception):
    """Base class of every error this package raises."""


class UnsupportedImageDetailWarning(UserWarning):
    """An image asks for ``detail="original"`` from a model whose catalog entry lacks it."""


class APIError(CodexError):
    """The backend answered with an error, as an HTTP status or inside the stream."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        body: object = None,
        request_id: str | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        #: HTTP status, or None for an error reported inside a 200 stream.
        self.status_code = status_code
        #: Machine-readable error code, e.g. ``context_length_exceeded``.
        self.code = code
        #: The decoded JSON body (or the text, when it was not JSON).
        self.body = body
        #: ``x-request-id`` / ``x-oai-request-id``: quote it when reporting a problem.
        self.request_id = request_id
        #: The failed ``Response`` when the error came from ``response.failed``.
        self.response = response


class AuthError(APIError):
    """401 or 403: the token is missing, expired or not allowed."""


class InvalidRequestError(APIError):
    """400 (or another 4xx): the backend refused the request."""


class ContextWindowError(InvalidRequestError):
    """The input does not fit the model's context window."""


class RateLimitError(APIError):
    """429: too many requests.

    ``retry_after`` is the wait the server asked for, in seconds; ``rate_limits`` the
    snapshot from the answer's headers and ``resets_at`` (aware ``datetime``) when the
    exhausted window resets, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        resets_at: datetime | None = None,
        rate_limits: RateLimits | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
        self.resets_at = resets_at
        self.rate_limits = rate_limits


class QuotaExceededError(APIError):
    """The plan's usage limit is reached: waiting a little will not help.

    ``resets_at`` (aware ``datetime``) is when the limit resets, ``plan_type`` the plan,
    ``rate_limits`` the snapshot from the answer's headers, each when known.
    """

    def __init__(
        self,
        message: str,
        *,
        resets_at: datetime | None = None,
        plan_type: str | None = None,
        rate_limits: RateLimits | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.resets_at = resets_at
        self.plan_type = plan_type
        self.rate_limits = rate_limits


class ServerError(APIError):
    """5xx, or the backend says it is overloaded."""


class APIConnectionError(CodexError):
    """No answer: the connection failed or broke before a response arrived."""

    def __init__(self, message: str, *, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.cause = cause


class APITimeoutError(APIConnectionError):
    """Connecting, or waiting for the next piece of data, took longer than ``timeout``."""


class StreamError(CodexError):
    """The stream broke or ended without a final event; ``response`` holds what arrived."""

    def __init__(self, message: str, *, response: Response | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.response = response


class StructuredOutputError(CodexError):
    """``parse()`` got no document matching ``text_format``; ``response`` is what came back."""

    def __init__(self, message: str, *, response: Response) -> None:
        super().__init__(message)
        self.message = message
        self.response = response


class RefusalError(StructuredOutputError):
    """The model refused to answer; ``refusal`` is its explanation."""

    def __init__(self, message: str, *, response: Response, refusal: str) -> None:
        super().__init__(message, response=response)
        self.refusal = refusal


class IncompleteResponseError(StructuredOutputError):
    """The response stopped before the document was complete; ``reason`` says why."""

    def __init__(self, message: str, *, response: Response, reason: str | None) -> None:
        super().__init__(message, response=response)
        self.reason = reason


class ToolArgumentsError(CodexError, ValueError):
    """A tool call's ``arguments`` are not a JSON object; ``arguments`` keeps the raw text."""

    def __init__(self, message: str, *, name: str, call_id: str, arguments: str) -> None:
        super().__init__(message)
        self.message = message
        self.name = name
        self.call_id = call_id
        self.arguments = arguments


class MaxTurnsExceededError(CodexError):
    """``run_tools()`` reached ``max_turns`` with the model still calling tools.

    ``result`` is the ``ToolRunResult`` so far: continue from ``result.input`` if you wish.
    """

    def __init__(self, message: str, *, result: ToolRunResult) -> None:
        super().__init__(message)
        self.message = message
        self.result = result


# --------------------------------------------------------------------------- mapping

_QUOTA_CODES = frozenset({"usage_limit_reached", "insufficient_quota", "usage_not_included"})
_OVERLOADED_CODES = frozenset({"server_is_overloaded", "slow_down"})
_INVALID_CODES = frozenset({"invalid_prompt", "cyber_policy", "invalid_request_error"})
# "try again in 20s", "1.5s", "250ms", "2m3s", "1 minute and 30 seconds", "35 seconds".
_UNIT = r"(ms|milliseconds?|minutes?|mins?|m|seconds?|secs?|s|hours?|hrs?|h)(?![a-z])"
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*" + _UNIT, re.IGNORECASE)
_TRY_AGAIN = re.compile(
    r"try again in\s*((?:\d+(?:\.\d+)?\s*" + _UNIT + r"(?:[\s,]*(?:and\s+)?))+)",
    re.IGNORECASE,
)
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0}


class AsyncioRequiredError(CodexError, RuntimeError):
    """``AsyncClient`` was used outside asyncio (under trio, say): aiohttp needs asyncio.

    Also a ``RuntimeError``, which is what such a call raised before.
    """


def require_asyncio(name: str = "AsyncClient") -> None:
    """Raise ``AsyncioRequiredError`` unless an asyncio event loop runs this call."""
    import asyncio

    if asyncio._get_running_loop() is None:
        raise AsyncioRequiredError(
            f"{name} needs asyncio; under trio use Client (e.g. in trio.to_thread.run_sync), "
            "or run it in a trio-asyncio loop"
        )


def parse_retry_after(headers: Mapping[str, str] | None, message: str = "") -> float | None:
    """The delay the server asked for: ``retry-after-ms``, ``Retry-After``, or the message."""
    if headers:
        value = headers.get("retry-after-ms")
        if value:
            try:
                return max(0.0, float(value) / 1000)
            except ValueError:
                pass
        value = headers.get("retry-after")
        if value:
            try:
                return max(0.0, float(value))
            except ValueError:
                from email.utils import parsedate_to_datetime

                try:
                    when = parsedate_to_datetime(value)
                except (TypeError, ValueError):
                    pass
                else:
                    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
    match = _TRY_AGAIN.search(message)
    if match:
        total = 0.0
        for amount, unit in _DURATION_PART.findall(match.group(1)):
            unit = unit.lower()
            milli = unit == "ms" or unit.startswith("milli")
            total += float(amount) * (0.001 if milli else _UNIT_SECONDS[unit[0]])
        return total
    return None


def _error_fields(body: object) -> tuple[str, str | None, dict[str, Any]]:
    """Message, code and the error object of a body in either of the backend's shapes."""
    if not isinstance(body, dict):
        return "", None, {}
    error = body.get("error")
    if isinstance(error, dict):
        code = error.get("code") or error.get("type")
        return str(error.get("message") or ""), str(code) if code else None, error
    if isinstance(error, str):
        return error, None, {}
    detail = body.get("detail")
    if isinstance(detail, str):
        return detail, None, {}
    if isinstance(detail, list):  # FastAPI validation errors
        parts = [str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail]
        return "; ".join(parts), None, {}
    if detail is not None:
        return json.dumps(detail)[:300], None, {}
    message = body.get("message")
    code = body.get("code")
    return (str(message) if message else ""), (str(code) if code else None), {}


REDACTED = "[redacted]"
# Shorter strings are not credentials, and replacing them would garble messages.
_MIN_SECRET_LENGTH = 8


def redact(value: Any, secrets: Iterable[str | None], *, cut: bool = False) -> Any:
    """``value`` (text, or JSON values) with every secret replaced by ``[redacted]``.

    Every spelling JSON allows counts (``\\u0041`` for ``A``, ``\\/`` for ``/``, in any
    mix), so a raw body is covered as well as its decoded strings. With ``cut``, the text is
    the head of something longer: a secret's beginning at its end is replaced too.
    """
    ordered = sorted(
        {s for s in secrets if s and len(s) >= _MIN_SECRET_LENGTH}, key=len, reverse=True
    )
    if not ordered:
        return value

    def scrub(item: Any) -> Any:
        if isinstance(item, str):
            text = _redact_text(item, ordered)
            return _redact_cut_end(text, ordered) if cut else text
        if isinstance(item, dict):
            return {scrub(key): scrub(inner) for key, inner in item.items()}
        if isinstance(item, list):
            return [scrub(inner) for inner in item]
        return item

    return scrub(value)


def _redact_cut_end(text: str, ordered: Sequence[str]) -> str:
    """``text`` without a secret's first characters (8 or more) at its very end."""
    for secret in ordered:
        tail = text[-len(secret) :]
        start = tail.find(secret[0])
        while start != -1 and len(tail) - start >= _MIN_SECRET_LENGTH:
            if secret.startswith(tail[start:]):
                return text[: len(text) - len(tail) + start] + REDACTED
            start = tail.find(secret[0], start + 1)
    return text


# A JSON escape: a surrogate pair, another \uXXXX, or a one-character escape.
_JSON_ESCAPE = re.compile(
    r"\\(?:u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})"
    r"|u([0-9a-fA-F]{4})|([\"\\/bfnrt]))"
)
_SHORT_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_ESCAPED = frozenset('"\\\b\f\n\r\t')  # what the one-character escapes other than \/ stand for


def _redact_text(text: str, ordered: Sequence[str]) -> str:
    """``text`` with each secret replaced, whichever way JSON escapes spell its characters."""
    for secret in ordered:
        if secret in text:
            text = text.replace(secret, REDACTED)
    if "\\" not in text:
        return text
    if (
        "\\u" not in text
        and "\\/" not in text
        and not any(_ESCAPED.intersection(s) for s in ordered)
    ):
        return text  # only escapes of characters no secret has (\" \n ...): nothing to find
    # Decode the escapes into a view of the text, find the secrets there, and replace the
    # raw spans they came from. Segments: (start in the view, start and end in the text, and
    # whether it is one escape, i.e. one character of the view).
    view: list[str] = []
    segments: list[tuple[int, int, int, bool]] = []
    size = position = 0
    for match in _JSON_ESCAPE.finditer(text):
        if match.start() > position:
            segments.append((size, position, match.start(), False))
            view.append(text[position : match.start()])
            size += match.start() - position
        high, low, unit, short = match.groups()
        if high is not None:
            char = chr(0x10000 + ((int(high, 16) - 0xD800) << 10) + int(low, 16) - 0xDC00)
        elif unit is not None:
            char = chr(int(unit, 16))
        else:
            char = _SHORT_ESCAPES.get(short, short)
        segments.append((size, match.start(), match.end(), True))
        view.append(char)
        size += 1
        position = match.end()
    if position < len(text):
        segments.append((size, position, len(text), False))
        view.append(text[position:])
    decoded = "".join(view)
    spans: list[tuple[int, int]] = []
    for secret in ordered:
        start = decoded.find(secret)
        while start != -1:
            spans.append((start, start + len(secret)))
            start = decoded.find(secret, start + len(secret))
    if not spans:
        return text
    view_starts = [segment[0] for segment in segments]

    def raw(index: int, *, end: bool) -> int:
        """Where the view's character ``index`` starts (or ends) in ``text``."""
        view_start, raw_start, raw_end, escape = segments[bisect_right(view_starts, index) - 1]
        if escape:
            return raw_end if end else raw_start
        return raw_start + index - view_start + (1 if end else 0)

    out: list[str] = []
    position = 0
    for start, stop in sorted(spans):
        raw_start = raw(start, end=False)
        if raw_start < position:  # overlaps the previous secret: already replaced
            raw_start = position
        raw_stop = raw(stop - 1, end=True)
        if raw_stop <= position:
            continue
        out.append(text[position:raw_start])
        out.append(REDACTED)
        position = raw_stop
    out.append(text[position:])
    return "".join(out)


def _snippet(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def error_from_status(
    status: int,
    content: bytes,
    headers: Mapping[str, str],
    url: str = "",
    secrets: Sequence[str | None] = (),
) -> APIError:
    """Build the exception for an HTTP error answer (status >= 400).

    ``secrets`` (the client's credentials) are redacted from the body before anything is
    built from it.
    """
    from ._json import loads

    # cut: the transport keeps only the first MiB of a body.
    text = redact(content.decode("utf-8", "replace"), secrets, cut=True)
    body: object
    try:
        # The decoded strings too: an escape JSON allows may still spell a secret.
        body = redact(loads(text), secrets) if text.strip() else None
    except ValueError:
        body = text
    request_id = redact(headers.get("x-request-id") or headers.get("x-oai-request-id"), secrets)
    where = f" from {url}" if url else ""
    if isinstance(body, dict):
        detail, code, error = _error_fields(body)
        message = f"HTTP {status}{where}: {detail or _snippet(text)}"
    else:
        code, error = None, {}
        content_type = redact(headers.get("content-type", "unknown content type"), secrets)
        hint = _status_hint(status)
        shown = f": {_snippet(text)!r}" if text.strip() else " with an empty body"
        message = f"HTTP {status}{where} ({content_type}){shown}. {hint}"
    kwargs: dict[str, Any] = {
        "status_code": status,
        "code": code,
        "body": body,
        "request_id": request_id,
    }
    by_code = _error_for_code(code, message, error, kwargs)
    if isinstance(by_code, QuotaExceededError) or status == 429:
        from ._ratelimits import rate_limits_from_headers

        limits = rate_limits_from_headers(headers)
        if isinstance(by_code, QuotaExceededError):
            by_code.rate_limits = limits
            if by_code.resets_at is None and limits is not None:
                by_code.resets_at = limits.resets_at
    if by_code is not None:
        return by_code
    if status in (401, 403):
        return AuthError(message, **kwargs)
    if status == 429:
        return RateLimitError(
            message,
            retry_after=parse_retry_after(headers, detail_of(body)),
            rate_limits=limits,
            resets_at=limits.resets_at if limits is not None else None,
            **kwargs,
        )
    if status >= 500 or code in _OVERLOADED_CODES:
        return ServerError(message, **kwargs)
    if 400 <= status < 500:
        return InvalidRequestError(message, **kwargs)
    return APIError(message, **kwargs)


def detail_of(body: object) -> str:
    """The human message inside an error body, or ""."""
    return _error_fields(body)[0]


def _status_hint(status: int) -> str:
    if status in (401, 403):
        return (
            "The answer is not the backend's JSON: a proxy, VPN or Cloudflare may be blocking "
            "the request; check your network, or sign in again if the token is stale."
        )
    if status == 429:
        return "Too many requests: wait and try again."
    if status >= 500:
        return "The backend or a proxy in front of it failed: try again later."
    return "The answer is not the backend's JSON: check base_url and any proxy in between."


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _error_for_code(
    code: str | None, message: str, error: Mapping[str, Any], kwargs: dict[str, Any]
) -> APIError | None:
    """The classes picked by the error code alone, whatever the HTTP status."""
    if code == "context_length_exceeded":
        return ContextWindowError(message, **kwargs)
    if code in _QUOTA_CODES:
        from ._ratelimits import unix_to_datetime

        resets_at = unix_to_datetime(_int(error.get("resets_at")))
        plan_type = error.get("plan_type")
        return QuotaExceededError(message, resets_at=resets_at, plan_type=plan_type, **kwargs)
    return None


def error_from_stream(
    error: Mapping[str, Any] | None,
    response: Response | None = None,
    secrets: Sequence[str | None] = (),
) -> APIError:
    """Build the exception for ``response.failed`` or an ``error`` event, by ``error.code``.

    ``secrets`` are redacted from the error (and from ``response.error``) first.
    """
    error = redact(dict(error or {}), secrets)
    failed = response.error if response is not None else None
    if response is not None and failed is not None:
        message = redact(failed.message, secrets)
        if message != failed.message:
            import attrs

            response = attrs.evolve(response, error=attrs.evolve(failed, message=message))
    raw_code = error.get("code") or error.get("type")
    code = str(raw_code) if raw_code else None
    message = str(error.get("message") or "") or "The response failed without a message."
    kwargs: dict[str, Any] = {"code": code, "body": dict(error), "response": response}
    by_code = _error_for_code(code, message, error, kwargs)
    if by_code is not None:
        return by_code
    if code == "rate_limit_exceeded":
        return RateLimitError(message, retry_after=parse_retry_after(None, message), **kwargs)
    if code in _INVALID_CODES:
        return InvalidRequestError(message, **kwargs)
    # Overloaded, server_error, and any code we do not know: the CLI treats these as
    # server-side failures, retryable while nothing has reached the caller.
    return ServerError(message, **kwargs)


def map_aiohttp(
    exc: Exception, what: str, timeout: float, secrets: Sequence[str] = ()
) -> CodexError | None:
    """This package's exception for an aiohttp or socket error (None for any other error).

    Raise it ``from None`` outside the ``except`` block, so neither ``__cause__`` nor
    ``__context__`` leads to aiohttp's exception: a ``ClientResponseError`` holds the request
    headers, ``Authorization`` included. ``secrets`` are redacted from the message.
    """
    import asyncio

    import aiohttp

    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):  # distinct before Python 3.11
        connecting = getattr(aiohttp, "ConnectionTimeoutError", ())
        if isinstance(exc, connecting):  # also the wait for a free pooled connection
            message = (
                f"Timed out {what}: no connection within {timeout:g}s (connecting, or waiting "
                "for a free connection when max_connections is set; raise timeout= or "
                "max_connections=)"
            )
        else:
            message = (
                f"Timed out {what}: no data for {timeout:g}s (raise timeout= if that is normal)"
            )
        return APITimeoutError(message, cause=_safe_cause(exc))
    if isinstance(exc, (aiohttp.ClientError, OSError)):
        if isinstance(exc, aiohttp.ClientResponseError):
            # Its str() quotes the URL as well; the status and parser message say enough.
            detail = f"invalid HTTP answer ({exc.status}, {exc.message})"
        else:
            detail = str(exc) or type(exc).__name__
        detail = _snippet(redact(detail, secrets), 300)
        return APIConnectionError(f"Connection error {what}: {detail}", cause=_safe_cause(exc))
    return None


def _safe_cause(exc: BaseException) -> BaseException | None:
    """``exc`` to keep as ``cause``, unless it (or what it chains to) holds request headers."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        link = todo.pop()
        if link is None or id(link) in seen:
            continue
        if hasattr(link, "request_info"):
            return None
        seen.add(id(link))
        todo += (link.__cause__, link.__context__)
    return exc
