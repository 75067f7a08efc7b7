"""The event-size cap over a real socket: what came before the excess still reaches the caller."""

from __future__ import annotations

import json
from typing import Any

import pytest

import codex_open_client as c
from codex_open_client.testing import FakeCodexServer, http_error


def _sse(*events: dict[str, Any]) -> bytes:
    return b"".join(b"data: " + json.dumps(event).encode() + b"\n\n" for event in events)


def test_events_before_an_oversized_one_in_the_same_chunk_are_delivered(
    make_api: Any, server: FakeCodexServer
) -> None:
    """One network chunk: two events, then one over the cap. The two are delivered first."""
    created = {
        "type": "response.created",
        "response": {"id": "resp_cap", "object": "response", "status": "in_progress"},
    }
    added = {
        "type": "response.output_item.added",
        "output_index": 0,
        "item": {"type": "message", "id": "msg_1", "role": "assistant", "content": []},
    }
    delta = {
        "type": "response.output_text.delta",
        "item_id": "msg_1",
        "output_index": 0,
        "content_index": 0,
        "delta": "partial",
    }
    body = _sse(created, added, delta) + b"data: " + b"x" * 5000 + b"\n\n"
    for mode in ("sync", "async"):
        server.clear()
        server.queue(http_error(200, body, content_type="text/event-stream"))
        api = make_api(mode, max_event_size=2048)
        with pytest.raises(c.StreamError, match=r"max_event_size \(2,048 bytes\)") as caught:
            api.stream()
        partial = caught.value.response
        assert partial is not None
        assert partial.id == "resp_cap"
        assert partial.output_text == "partial"
