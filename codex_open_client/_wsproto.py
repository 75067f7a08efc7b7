"""Sans-IO part of the WebSocket transport: handshake headers, frames, incremental input, errors.

Plain dicts and bytes in, plain dicts and bytes out: ``_websocket.py`` does the I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from ._json import dumps

__all__ = [
    "BETA_HEADER",
    "Chain",
    "chain_rejected",
    "chained_fields",
    "connection_limit_reached",
    "error_frame_status",
    "frame_for",
    "handshake_headers",
    "http_error_of",
    "pool_key",
    "socket_reusable",
    "websocket_url",
]

BETA_HEADER = "responses_websockets=2026-02-06"
# HTTP-only headers, and the older `session_id` (the CLI's socket sends `session-id` only).
_NOT_ON_SOCKET = frozenset({"accept", "content-type", "content-encoding", "session_id"})
# Per-request headers that do not make another socket necessary.
_NOT_IN_KEY = frozenset(
    {"x-client-request-id", "x-codex-turn-state", "x-codex-turn-metadata", "authorization"}
)
_CREATE = b'{"type":"response.create",'
# Fields that say how to send, not what to answer: never part of the "same request" check.
_NOT_COMPARED = frozenset({"input", "previous_response_id", "generate"})


@frozen(kw_only=True)
class Chain:
    """The last completed response on a socket, which the next request may continue."""

    response_id: str
    fields: dict[str, Any]
    input: list[Any]
    output: list[Any]


def websocket_url(url: str) -> str:
    """``https://host/x/responses`` -> ``wss://host/x/responses`` (``http`` -> ``ws``)."""
    if url.startswith("https://"):
        return "wss://" + url[len("https://") :]
    if url.startswith("http://"):
        return "ws://" + url[len("http://") :]
    return url


def handshake_headers(request_headers: Mapping[str, str]) -> dict[str, str]:
    """The upgrade's headers, as the CLI 0.169 sends them (the credentials are added later).

    The HTTP request's headers without the body's (``Accept``, ``Content-Type``), plus
    ``OpenAI-Beta: responses_websockets=2026-02-06`` and ``x-client-request-id``.
    """
    headers = {
        name: value for name, value in request_headers.items() if name.lower() not in _NOT_ON_SOCKET
    }
    beta = next((name for name in headers if name.lower() == "openai-beta"), None)
    if beta is None:
        headers["OpenAI-Beta"] = BETA_HEADER
    elif BETA_HEADER not in headers[beta]:
        headers[beta] = f"{headers[beta]},{BETA_HEADER}"
    lowered = {name.lower() for name in headers}
    session = request_headers.get("session-id")
    if session and "x-client-request-id" not in lowered:
        headers["x-client-request-id"] = session
    return headers


def pool_key(url: str, headers: Mapping[str, str]) -> tuple[Any, ...]:
    """Requests with the same key may share a socket: same URL, same lasting headers."""
    kept = sorted(
        (name.lower(), value) for name, value in headers.items() if name.lower() not in _NOT_IN_KEY
    )
    return (url, *kept)


def socket_reusable(opened_at: float, now: float, max_age: float) -> bool:
    """Whether a socket opened at ``opened_at`` may take another request at ``now``."""
    return now - opened_at < max_age


def frame_for(
    chain: Chain | None, body: Mapping[str, Any], encoded: bytes | None
) -> tuple[bytes, bool]:
    """The ``response.create`` frame for ``body``, and whether it continues ``chain``.

    Incremental, as the CLI does it: when ``body`` equals the chained request in every field
    but ``input``, and its ``input`` starts with that request's input followed by the output
    items its response returned, only the new items are sent, with ``previous_response_id``.
    Otherwise the whole request (``encoded``, the HTTP body's bytes, when given).
    """
    new_items = _new_items(chain, body)
    if chain is not None and new_items is not None:
        fields = {name: value for name, value in body.items() if name != "input"}
        frame = {
            "type": "response.create",
            **fields,
            "previous_response_id": chain.response_id,
            "input": new_items,
        }
        return dumps(frame), True
    if encoded is not None and encoded.startswith(b"{") and len(encoded) > 2:
        return _CREATE + encoded[1:], False
    return dumps({"type": "response.create", **body}), False


def _new_items(chain: Chain | None, body: Mapping[str, Any]) -> list[Any] | None:
    if chain is None or "previous_response_id" in body or body.get("generate") is False:
        return None
    items = body.get("input")
    if not isinstance(items, list):
        return None
    if chained_fields(body) != chain.fields:
        return None
    before = len(chain.input)
    sent = before + len(chain.output)
    if len(items) < sent or items[:before] != chain.input or items[before:sent] != chain.output:
        return None
    return items[sent:]


def chained_fields(body: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``body`` that the next request must repeat to continue its chain."""
    return {name: value for name, value in body.items() if name not in _NOT_COMPARED}


def error_frame_status(payload: Mapping[str, Any]) -> int | None:
    """The HTTP status of a wrapped error frame (``status`` or ``status_code``), or None."""
    for name in ("status", "status_code"):
        status = payload.get(name)
        if isinstance(status, int) and not isinstance(status, bool):
            return status
    return None


def http_error_of(payload: Mapping[str, Any]) -> tuple[bytes, dict[str, str]]:
    """The body and headers of the HTTP answer a wrapped error frame stands for."""
    headers = payload.get("headers")
    kept = {
        str(name): str(value)
        for name, value in (headers.items() if isinstance(headers, Mapping) else ())
        if isinstance(value, (str, int, float)) and not isinstance(value, bool)
    }
    kept.setdefault("content-type", "application/json")
    return dumps({"error": payload.get("error")}), kept


def _code(error: object) -> tuple[object, object]:
    code = getattr(error, "code", None)
    body = getattr(error, "body", None)
    param = None
    if isinstance(body, Mapping):
        inner = body.get("error")
        if isinstance(inner, Mapping):
            param = inner.get("param")
            code = code or inner.get("code")
    return code, param


def chain_rejected(error: object) -> bool:
    """Whether an error answering a chained frame rejects the chain itself."""
    code, param = _code(error)
    status = getattr(error, "status_code", None)
    return code == "previous_response_not_found" or (
        param == "previous_response_id" and isinstance(status, int) and 400 <= status < 500
    )


def connection_limit_reached(error: object) -> bool:
    """Whether an error says the socket reached the backend's 60-minute limit."""
    return _code(error)[0] == "websocket_connection_limit_reached"
