"""A protocol-faithful fake ChatGPT Codex backend, for tests, demos and offline development.

:class:`FakeCodexServer` serves ``POST /responses`` (SSE), ``GET /models`` and
``GET /wham/usage`` over real sockets on its own thread, validating requests like the real
backend. Script its answers with the reply builders::

    from codex_open_client.testing import FakeCodexServer, http_error, reply, message, reasoning

    with FakeCodexServer() as server:
        server.queue(
            http_error(500),
            reply(reasoning(["**Plan** say hi"]), message("Hi there!")),
        )
        ...  # point a client at server.url with server.access_token

Replies are immutable and have modifiers for transport scenarios: :meth:`Reply.paced`,
:meth:`Reply.pause`, :meth:`Reply.hold`, :meth:`Reply.cut_after`, :meth:`Reply.end_after`,
:meth:`Reply.malformed_after`, :meth:`Reply.raw`, :meth:`Reply.insert`, :meth:`Reply.delayed`,
:meth:`Reply.with_headers` and :meth:`Reply.with_line_ending`.

The same server is a fake ChatGPT sign-in server at ``server.issuer`` (``/oauth/authorize``,
``/oauth/token`` with PKCE and rotating refresh tokens, ``/oauth/revoke``, the device-code
endpoints); ``server.mint_credentials()`` returns an ``auth.json`` dict with fresh tokens.

Run ``python -m codex_open_client.testing --port 8765`` to serve it from a terminal: it answers
as ``FakeCodexServer()`` does (:meth:`FakeCodexServer.standard_reply`).
"""

from __future__ import annotations

from ._documents import example_document
from ._models_catalog import default_model_catalog
from ._replies import (
    DEFAULT_REPLY_TEXT,
    OutputPart,
    Reply,
    custom_tool_call,
    error_event_reply,
    failed_reply,
    function_call,
    http_error,
    incomplete_reply,
    json_reply,
    message,
    rate_limited,
    reasoning,
    refusal,
    reply,
    text_reply,
    tool_call_reply,
    usage_limit_reached,
    web_search_call,
)
from ._server import FakeCodexServer, RecordedRequest, ReplyFactory

__all__ = [
    "DEFAULT_REPLY_TEXT",
    "FakeCodexServer",
    "OutputPart",
    "RecordedRequest",
    "Reply",
    "ReplyFactory",
    "custom_tool_call",
    "default_model_catalog",
    "error_event_reply",
    "example_document",
    "failed_reply",
    "function_call",
    "http_error",
    "incomplete_reply",
    "json_reply",
    "message",
    "rate_limited",
    "reasoning",
    "refusal",
    "reply",
    "text_reply",
    "tool_call_reply",
    "usage_limit_reached",
    "web_search_call",
]
