"""A protocol-faithful fake ChatGPT Codex backend, for tests, demos and offline development.

:class:`FakeCodexServer` serves ``POST /responses`` (SSE), the same over WebSocket (``GET
/responses`` with ``Upgrade: websocket``, as the Codex CLI speaks it), ``/responses/compact``,
``GET /models``, ``GET /wham/usage`` and ``GET /wham/accounts/check`` over real sockets on its
own thread, validating requests like the real backend. Script its answers with the reply
builders::

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
:meth:`Reply.with_headers`, :meth:`Reply.with_line_ending`, and for WebSocket
:meth:`Reply.close_socket` and :meth:`Reply.binary`.

The same server is a fake ChatGPT sign-in server at ``server.issuer`` (``/oauth/authorize``,
``/oauth/token`` with PKCE and rotating refresh tokens, ``/oauth/revoke``, the device-code
endpoints); ``server.mint_credentials()`` returns an ``auth.json`` dict with fresh tokens.

Run ``python -m codex_open_client.testing --port 8765`` to serve it from a terminal: it answers
as ``FakeCodexServer()`` does (:meth:`FakeCodexServer.standard_reply`), or, with ``--script
FILE``, first the replies a JSON file describes (see ``python -m codex_open_client.testing
--help``).
"""

from __future__ import annotations

from ._documents import example_document
from ._models_catalog import default_model_catalog
from ._replies import (
    DEFAULT_REPLY_TEXT,
    OutputPart,
    Reply,
    compaction,
    compaction_reply,
    custom_tool_call,
    error_event_reply,
    error_frame_reply,
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
from ._requests import RecordedRequest, ReplyFactory
from ._script import load_script, replies_from_script
from ._server import FakeCodexServer

__all__ = [
    "DEFAULT_REPLY_TEXT",
    "FakeCodexServer",
    "OutputPart",
    "RecordedRequest",
    "Reply",
    "ReplyFactory",
    "compaction",
    "compaction_reply",
    "custom_tool_call",
    "default_model_catalog",
    "error_event_reply",
    "error_frame_reply",
    "example_document",
    "failed_reply",
    "function_call",
    "http_error",
    "incomplete_reply",
    "json_reply",
    "load_script",
    "message",
    "rate_limited",
    "reasoning",
    "refusal",
    "replies_from_script",
    "reply",
    "text_reply",
    "tool_call_reply",
    "usage_limit_reached",
    "web_search_call",
]
