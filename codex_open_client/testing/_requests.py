"""What the fake backend receives: the record of a request or frame, its body parsed and
checked as the real backend checks it, and the call of a reply factory on it.

Shared by the HTTP server (``_server``) and the WebSocket transport (``_websocket``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import attrs
from multidict import CIMultiDictProxy

from ._replies import Reply

__all__ = ["RecordedRequest", "ReplyFactory"]

_UNSUPPORTED_PARAMETERS = (
    "max_output_tokens",
    "max_tokens",
    "temperature",
    "top_p",
    "truncation",
    "metadata",
    "previous_response_id",
    "safety_identifier",
    "prompt_cache_retention",
    "frequency_penalty",
    "presence_penalty",
    "user",
    "background",
    "conversation",
)

_MAX_REQUEST_BYTES = 64 * 1024 * 1024


@attrs.frozen(kw_only=True, eq=False)
class RecordedRequest:
    """One HTTP request, or one client WebSocket frame, received by :class:`FakeCodexServer`.

    For a frame (``transport == "websocket"``), ``method``, ``path``, ``query`` and
    ``headers`` are those of the handshake (``GET``) that opened its socket, ``frame`` is the
    frame as sent and ``json`` is the body the reply logic sees: the frame without ``"type"``
    and ``"previous_response_id"``, whose ``input`` is the full input the chain stands for
    (the previous response's input, its output items, then the frame's new items), i.e. what
    the same request over HTTP would carry. So ``request.json["input"]`` means the same on
    both transports, and ``request.frame["input"]`` is what went over the wire.

    Attributes:
        method: HTTP method, e.g. ``"POST"``.
        path: URL path without the query string, e.g. ``"/backend-api/codex/responses"``.
        query: Query parameters (the first value wins for repeated names).
        headers: Request headers, a case-insensitive read-only mapping
            (``headers["authorization"] == headers["Authorization"]``).
        json: The body parsed as JSON, or ``None`` if it is empty or not valid JSON. For a
            frame: the effective body described above (``None`` for a frame that is not a
            JSON object; the frame without ``"type"``, input not expanded, when its
            ``previous_response_id`` is unknown on the socket).
        body: The raw body bytes (for a frame: the frame's payload, UTF-8 for a text frame).
        transport: ``"http"`` or ``"websocket"``.
        frame: For a frame: the frame parsed as JSON exactly as sent (``None`` for a binary
            or non-JSON frame); ``None`` for HTTP requests.
        socket_id: For a frame or a handshake: the socket's ordinal (0 for the first socket
            the server accepted, then 1, 2...); ``None`` for HTTP requests and refused
            handshakes.
        frame_index: For a frame: its position among the frames of its socket (0 first).
    """

    method: str
    path: str
    query: Mapping[str, str]
    headers: CIMultiDictProxy[str]
    json: Any
    body: bytes
    transport: Literal["http", "websocket"] = "http"
    frame: Any = None
    socket_id: int | None = None
    frame_index: int | None = None

    @property
    def input(self) -> Any:
        """``json["input"]`` (the effective input), or ``None`` when there is none."""
        return self.json.get("input") if isinstance(self.json, dict) else None

    @property
    def is_prewarm(self) -> bool:
        """A WebSocket prewarm: a ``response.create`` frame with ``"generate": false``."""
        return isinstance(self.frame, dict) and self.frame.get("generate") is False


ReplyFactory = Callable[[RecordedRequest], Reply]
"""A callable that builds the reply for a request, e.g. to echo part of the input."""


def _parse_json(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:  # also UnicodeDecodeError
        return None


def _validate_body(body: Any, models: Sequence[Mapping[str, Any]]) -> str | None:
    """Return the FastAPI-style ``detail`` of the 400 the real backend would send, if any.

    ``models`` is the catalog: a model that is not in it is refused as the real backend
    refuses a slug the account cannot use (a retired or misspelled one).
    """
    if not isinstance(body, dict):
        return "Invalid JSON body"
    for name in _UNSUPPORTED_PARAMETERS:
        if name in body:
            return f"Unsupported parameter: {name}"
    model = body.get("model")
    if not isinstance(model, str) or not model:
        return "Model is required"
    if not any(entry.get("slug") == model for entry in models):
        return f"The '{model}' model is not supported when using Codex with a ChatGPT account."
    if body.get("store") is not False:
        return "Store must be set to false"
    if body.get("stream") is not True:
        return "Stream must be set to true"
    items = body.get("input")
    if isinstance(items, list):
        for item in items:
            if isinstance(item, dict) and item.get("role") == "system":
                return "System messages are not allowed"
    elif items is not None and not isinstance(items, str):
        return "Invalid type for 'input': expected a list of items or a string"
    return None


def _validate_compact_body(body: Any, models: Sequence[Mapping[str, Any]]) -> str | None:
    """The ``detail`` of the 400 for a bad ``/responses/compact`` body, if any."""
    if not isinstance(body, dict):
        return "Invalid JSON body"
    model = body.get("model")
    if not isinstance(model, str) or not model:
        return "Model is required"
    if not any(entry.get("slug") == model for entry in models):
        return f"The '{model}' model is not supported when using Codex with a ChatGPT account."
    if not isinstance(body.get("input"), list):
        return "Invalid type for 'input': expected a list of items"
    return None


class _FactoryError(Exception):
    """A reply factory raised or returned something that is not a Reply."""


def _call_factory(factory: ReplyFactory, record: RecordedRequest) -> Reply:
    try:
        result = factory(record)
    except Exception as exc:
        raise _FactoryError(
            f"FakeCodexServer: the reply factory {factory!r} raised {exc!r}"
        ) from exc
    if not isinstance(result, Reply):
        raise _FactoryError(
            f"FakeCodexServer: the reply factory {factory!r} returned {result!r}, not a Reply"
        )
    return result
