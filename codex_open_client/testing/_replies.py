"""Scripted answers for the fake Codex backend.

A :class:`Reply` is a plain description of one HTTP answer: a status, headers and either a body
(an HTTP failure) or an ordered list of *steps* (SSE events, pauses, gates, a cut, raw bytes).
The builder functions in this module produce replies whose events have the shapes the real
ChatGPT Codex backend streams (OpenAI Responses API events plus ``codex.rate_limits``).

Sequence numbers are not part of the scripted events: the server adds ``"sequence_number"``
(0, 1, 2, ...) to every event as it writes it, so modifiers can insert events freely.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any, Union

import attrs

__all__ = [
    "DEFAULT_REPLY_TEXT",
    "OutputPart",
    "Reply",
    "compaction",
    "compaction_reply",
    "custom_tool_call",
    "error_event_reply",
    "error_frame_reply",
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

JSONObject = dict[str, Any]

DEFAULT_REPLY_TEXT = "Hello from the fake Codex backend!"
"""The text of the default answer of :class:`~codex_open_client.testing.FakeCodexServer`."""

SSE_CONTENT_TYPE = "text/event-stream"
_DEFAULT_ENCRYPTED_CONTENT = (
    "gAAAAABpZmFrZS1lbmNyeXB0ZWQtcmVhc29uaW5nLWZyb20tdGhlLWZha2UtYmFja2VuZA=="
)
_DEFAULT_SUMMARY = ("**Answering the user**\n\nThe request is simple; reply directly.",)
_DEFAULT_INPUT_TOKENS = 128
_LINE_ENDINGS = ("\n", "\r\n", "\r")

# Rate-limit snapshot reported by every streamed reply (headers and codex.rate_limits event).
_PLAN_TYPE = "plus"
_PRIMARY_USED_PERCENT = 12.0
_SECONDARY_USED_PERCENT = 34.0
_PRIMARY_WINDOW_MINUTES = 300
_SECONDARY_WINDOW_MINUTES = 10080

# Real deltas are about one token long: a word, or a piece of a long word.
_TEXT_CHUNKS = re.compile(r"\s*\S{1,8}|\s+")
_ARGUMENT_CHUNK = 8


def _new_id(prefix: str, nbytes: int = 24) -> str:
    return f"{prefix}_{secrets.token_hex(nbytes)}"


def _split_text(text: str) -> list[str]:
    return _TEXT_CHUNKS.findall(text)


def _split_fixed(text: str) -> list[str]:
    return [text[i : i + _ARGUMENT_CHUNK] for i in range(0, len(text), _ARGUMENT_CHUNK)]


def _estimate_tokens(*texts: str) -> int:
    chars = sum(len(t) for t in texts)
    return math.ceil(chars / 4)


def _compact_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# --------------------------------------------------------------------------------------------
# Steps


@attrs.frozen
class _Pause:
    seconds: float


@attrs.frozen(eq=False)
class _Hold:
    gate: threading.Event


@attrs.frozen
class _Cut:
    pass


@attrs.frozen
class _End:
    pass


@attrs.frozen
class _Raw:
    data: bytes


@attrs.frozen
class _Malformed:
    pass


@attrs.frozen
class _Close:
    code: int
    reason: str


@attrs.frozen
class _Binary:
    data: bytes


Step = Union[JSONObject, _Pause, _Hold, _Cut, _End, _Raw, _Malformed, _Close, _Binary]
"""One step of a streamed reply: an event dict or a private control step."""


def _check_seconds(seconds: float) -> float:
    if not seconds >= 0 or math.isinf(seconds):
        raise ValueError(f"seconds must be a finite number >= 0, got {seconds!r}")
    return float(seconds)


# --------------------------------------------------------------------------------------------
# Reply


@attrs.frozen(kw_only=True, eq=False, repr=False)
class Reply:
    """One scripted answer of the fake backend to a ``POST /responses`` request.

    Build replies with :func:`reply`, :func:`text_reply`, :func:`http_error` and the other
    builders rather than by hand. Replies are immutable; every modifier method returns a new
    reply, so they chain::

        text_reply("Hi").paced(0.01).cut_after(5)

    Modifiers that take ``after`` (or ``n``) count the SSE events of the reply, starting at 1
    and *including* the leading ``codex.rate_limits`` event when there is one: ``after=2``
    means "once the first two events have been written". ``after=0`` means before the first
    event. A value larger than the number of events raises :class:`ValueError`. When several
    control steps are placed after the same event they run in the order they were added.

    Attributes:
        status: HTTP status code.
        headers: Extra response headers. They override the server's defaults (rate-limit
            headers, request ids, ``openai-model``...); a value of ``None`` removes that
            default header.
        content_type: The ``Content-Type`` header, or ``None`` to send no ``Content-Type`` at
            all (the real backend sometimes omits it on SSE responses).
        body: For HTTP failures: the complete body. ``None`` for streamed replies.
        model: Model reported in the response objects and the ``openai-model`` header;
            ``None`` echoes the ``model`` of the request.
        steps: The ordered steps of a streamed reply: event dicts (without
            ``sequence_number``) and opaque control steps. Treat as read-only.
        line_ending: Line ending of the SSE frames: ``"\\n"``, ``"\\r\\n"`` or ``"\\r"``.
        pace: Seconds to wait between two consecutive events (see :meth:`paced`).
        delay: Seconds to wait before sending the status line and headers.
    """

    status: int = 200
    headers: Mapping[str, str | None] = attrs.field(factory=dict)
    content_type: str | None = SSE_CONTENT_TYPE
    body: bytes | None = None
    model: str | None = None
    steps: tuple[Step, ...] = ()
    line_ending: str = "\n"
    pace: float = 0.0
    delay: float = 0.0

    def __repr__(self) -> str:
        if self.body is not None:
            return f"<Reply {self.status} body={len(self.body)} bytes>"
        return f"<Reply {self.status} stream events={len(self.events)} steps={len(self.steps)}>"

    @classmethod
    def from_events(
        cls,
        events: Iterable[Mapping[str, Any]],
        *,
        status: int = 200,
        headers: Mapping[str, str | None] | None = None,
        content_type: str | None = SSE_CONTENT_TYPE,
        model: str | None = None,
    ) -> Reply:
        """Stream exactly ``events``, for scripts the builders cannot express.

        Each event must be a JSON object with a string ``"type"``, which also becomes the SSE
        ``event:`` name. Any ``"sequence_number"`` is dropped: the server numbers events as it
        writes them. Response objects (``event["response"]``) with ``"model": None`` get the
        model of the request (unless ``model`` is given).
        """
        steps: list[Step] = []
        for event in events:
            if not isinstance(event.get("type"), str):
                raise ValueError(f"every event needs a string 'type': {event!r}")
            copied = dict(event)
            copied.pop("sequence_number", None)
            steps.append(copied)
        return cls(
            status=status,
            headers=dict(headers or {}),
            content_type=content_type,
            model=model,
            steps=tuple(steps),
        )

    @property
    def is_stream(self) -> bool:
        """Whether this reply is an SSE stream (``True``) or a plain HTTP body (``False``)."""
        return self.body is None

    @property
    def events(self) -> list[JSONObject]:
        """The event dicts of the stream in order, without sequence numbers.

        Events placed after a :meth:`cut_after` or :meth:`end_after` point are included, though
        they are never sent.
        """
        return [step for step in self.steps if isinstance(step, dict)]

    @property
    def response_id(self) -> str | None:
        """The ``id`` of the first response object in the stream, if any."""
        for step in self.steps:
            if isinstance(step, dict):
                response = step.get("response")
                if isinstance(response, dict):
                    response_id = response.get("id")
                    if isinstance(response_id, str):
                        return response_id
        return None

    # -- modifiers ---------------------------------------------------------------------------

    def _require_stream(self, what: str) -> None:
        if not self.is_stream:
            raise ValueError(f"{what}() only applies to streamed replies, not HTTP failures")

    def _index_after(self, n: int) -> int:
        """Return the step index just before the (n+1)-th event (or the end)."""
        if n < 0:
            raise ValueError(f"the event count must be >= 0, got {n}")
        seen = 0
        for index, step in enumerate(self.steps):
            if isinstance(step, dict):
                if seen == n:
                    return index
                seen += 1
        if n > seen:
            raise ValueError(f"the reply has {seen} events; cannot place a step after event {n}")
        return len(self.steps)

    def _insert(self, step: Step, after: int, what: str) -> Reply:
        self._require_stream(what)
        index = self._index_after(after)
        steps = (*self.steps[:index], step, *self.steps[index:])
        return attrs.evolve(self, steps=steps)

    def paced(self, seconds: float) -> Reply:
        """Wait ``seconds`` between every two consecutive events (each event is flushed)."""
        self._require_stream("paced")
        return attrs.evolve(self, pace=_check_seconds(seconds))

    def pause(self, seconds: float, *, after: int) -> Reply:
        """Flush, then wait ``seconds`` once ``after`` events have been written."""
        return self._insert(_Pause(_check_seconds(seconds)), after, "pause")

    def hold(self, gate: threading.Event, *, after: int) -> Reply:
        """Flush ``after`` events, then wait until the test calls ``gate.set()``.

        The server loop keeps running while it waits (it polls the gate), so other requests are
        served. Use it to prove that events reach the client before the stream ends::

            gate = threading.Event()
            server.queue(text_reply("Hello world").hold(gate, after=3))
            # ... read the first three events on the client ...
            gate.set()  # now the rest of the stream is sent

        If the client goes away while the stream is held, it counts in
        :attr:`FakeCodexServer.disconnects`; if the server stops, the connection is closed.
        """
        return self._insert(_Hold(gate), after, "hold")

    def cut_after(self, n: int) -> Reply:
        """Abort the connection after ``n`` events, in the middle of the response body.

        The written events are flushed first, then the TCP connection is closed without the
        final chunk of the chunked body, so the client sees a broken body (aiohttp raises
        ``ClientPayloadError``), never a clean end. Over WebSocket the TCP connection is
        dropped without a close frame.
        """
        return self._insert(_Cut(), n, "cut_after")

    def end_after(self, n: int) -> Reply:
        """End the HTTP body cleanly after ``n`` events, so no terminal event is ever sent.

        Over WebSocket the socket is closed with a normal close frame (code 1000).
        """
        return self._insert(_End(), n, "end_after")

    def close_socket(self, *, after: int, code: int = 1000, reason: str = "") -> Reply:
        """Over WebSocket: send a close frame with ``code`` and ``reason`` after ``after``
        events, then close the socket (mid-stream when no terminal event was sent yet).

        Over HTTP it ends the body cleanly at that point, like :meth:`end_after`.
        """
        if not 1000 <= code <= 4999:
            raise ValueError(f"code must be a WebSocket close code (1000-4999), got {code!r}")
        if len(reason.encode()) > 123:
            raise ValueError("reason must be at most 123 bytes of UTF-8")
        return self._insert(_Close(code, reason), after, "close_socket")

    def binary(self, data: bytes = b"\x00binary", *, after: int) -> Reply:
        """Over WebSocket: send ``data`` as a binary frame after ``after`` events (the
        backend only sends text frames, so clients must treat it as an error).

        Over HTTP the bytes are written into the body as is, like :meth:`raw`.
        """
        return self._insert(_Binary(bytes(data)), after, "binary")

    def malformed_after(self, n: int) -> Reply:
        """Insert a frame whose data is not JSON (``data: {not json``) after ``n`` events.

        Over WebSocket it is a text frame ``{not json``.

        The malformed frame is not an event: it takes no sequence number and does not count
        for later ``after`` arguments.
        """
        return self._insert(_Malformed(), n, "malformed_after")

    def raw(self, data: bytes, *, after: int | None = None) -> Reply:
        """Send ``data`` verbatim, after ``after`` events or, by default, at the very end.

        Over WebSocket ``data`` is sent as one text frame (invalid UTF-8 is replaced).
        """
        if after is None:
            self._require_stream("raw")
            return attrs.evolve(self, steps=(*self.steps, _Raw(bytes(data))))
        return self._insert(_Raw(bytes(data)), after, "raw")

    def insert(self, event: Mapping[str, Any], *, after: int) -> Reply:
        """Insert a custom event (a JSON object with a ``"type"``) after ``after`` events.

        For example a ``response.metadata`` event carrying ``x-codex-turn-state``::

            text_reply().insert(
                {"type": "response.metadata", "headers": {"x-codex-turn-state": "ts-1"}},
                after=2,
            )
        """
        if not isinstance(event.get("type"), str):
            raise ValueError(f"the event needs a string 'type': {event!r}")
        copied = dict(event)
        copied.pop("sequence_number", None)
        return self._insert(copied, after, "insert")

    def delayed(self, seconds: float) -> Reply:
        """Wait ``seconds`` before sending the status line and headers (e.g. to test timeouts)."""
        return attrs.evolve(self, delay=_check_seconds(seconds))

    def with_headers(self, headers: Mapping[str, str | None]) -> Reply:
        """Add or override response headers; a value of ``None`` removes a default header."""
        merged = {**self.headers, **headers}
        return attrs.evolve(self, headers=merged)

    def with_line_ending(self, line_ending: str) -> Reply:
        """Use ``"\\n"`` (default), ``"\\r\\n"`` or ``"\\r"`` to end the lines of SSE frames."""
        self._require_stream("with_line_ending")
        if line_ending not in _LINE_ENDINGS:
            raise ValueError(f"line_ending must be one of {_LINE_ENDINGS!r}, got {line_ending!r}")
        return attrs.evolve(self, line_ending=line_ending)


# --------------------------------------------------------------------------------------------
# Output parts


@attrs.frozen(kw_only=True, eq=False)
class OutputPart:
    """One output item of a streamed reply, built by :func:`message`, :func:`function_call`,
    :func:`reasoning`, :func:`custom_tool_call` or :func:`web_search_call`.

    Pass parts to :func:`reply`. The ``item`` attribute is the completed item exactly as it is
    sent in ``response.output_item.done`` (and in ``response.completed`` with
    ``completed_output=True``), so tests can read generated ids such as ``part.item["call_id"]``.
    Do not mutate it.
    """

    item: JSONObject
    added_item: JSONObject
    """The item as announced in ``response.output_item.added`` (in progress, empty content)."""
    _events: Callable[[int], list[JSONObject]] = attrs.field(alias="events")
    output_tokens: int = 0
    reasoning_tokens: int = 0

    def delta_events(self, output_index: int) -> list[JSONObject]:
        """Return the events streamed between ``output_item.added`` and ``output_item.done``."""
        return self._events(output_index)


def _text_events(
    item_id: str, output_index: int, deltas: Sequence[str], text: str, *, done: bool
) -> list[JSONObject]:
    events: list[JSONObject] = [
        {
            "type": "response.content_part.added",
            "item_id": item_id,
            "output_index": output_index,
            "content_index": 0,
            "part": {"type": "output_text", "text": "", "annotations": []},
        }
    ]
    events.extend(
        {
            "type": "response.output_text.delta",
            "item_id": item_id,
            "output_index": output_index,
            "content_index": 0,
            "delta": delta,
            "logprobs": [],
        }
        for delta in deltas
    )
    if done:
        events.append(
            {
                "type": "response.output_text.done",
                "item_id": item_id,
                "output_index": output_index,
                "content_index": 0,
                "text": text,
                "logprobs": [],
            }
        )
        events.append(
            {
                "type": "response.content_part.done",
                "item_id": item_id,
                "output_index": output_index,
                "content_index": 0,
                "part": {"type": "output_text", "text": text, "annotations": []},
            }
        )
    return events


def _resolve_deltas(text: str, deltas: Sequence[str] | None) -> tuple[str, Sequence[str]]:
    if deltas is None:
        return text, _split_text(text)
    joined = "".join(deltas)
    if text and text != joined:
        raise ValueError("text must equal ''.join(deltas) when both are given")
    return joined, deltas


def _message_added(item_id: str) -> JSONObject:
    """An assistant message as ``response.output_item.added`` announces it."""
    return {
        "id": item_id,
        "type": "message",
        "status": "in_progress",
        "role": "assistant",
        "content": [],
    }


def _message_part(
    text: str, deltas: Sequence[str] | None, *, status: str, phase: str | None
) -> OutputPart:
    text, chunks = _resolve_deltas(text, deltas)
    item_id = _new_id("msg")
    added = _message_added(item_id)
    item: JSONObject = {
        "id": item_id,
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }
    if phase is not None:
        added["phase"] = phase
        item["phase"] = phase

    def events(output_index: int) -> list[JSONObject]:
        return _text_events(item_id, output_index, chunks, text, done=True)

    return OutputPart(
        item=item, added_item=added, events=events, output_tokens=_estimate_tokens(text)
    )


def message(
    text: str = "", *, deltas: Sequence[str] | None = None, phase: str | None = None
) -> OutputPart:
    """An assistant ``message`` item with one ``output_text`` content part.

    The text is streamed as ``response.content_part.added``, one
    ``response.output_text.delta`` per chunk, ``response.output_text.done`` and
    ``response.content_part.done``. By default the text is cut into word-sized chunks of at
    most 8 characters; pass ``deltas`` to choose the chunks (then ``text`` may be left empty,
    as it defaults to ``"".join(deltas)``, which is cheap even for 20,000 deltas).

    Item: ``{"id": "msg_…", "type": "message", "status": "completed", "role": "assistant",
    "content": [{"type": "output_text", "text": …, "annotations": []}]}``, plus ``"phase"``
    (``"commentary"`` or ``"final_answer"``) when given.

    Delta event: ``{"type": "response.output_text.delta", "sequence_number", "item_id",
    "output_index", "content_index": 0, "delta", "logprobs": []}``.
    """
    return _message_part(text, deltas, status="completed", phase=phase)


def refusal(text: str = "I can't help with that.") -> OutputPart:
    """An assistant ``message`` whose content is a ``refusal`` part instead of text.

    Item: ``{"id": "msg_…", "type": "message", "status": "completed", "role": "assistant",
    "content": [{"type": "refusal", "refusal": text}]}``, streamed as
    ``response.refusal.delta`` / ``response.refusal.done`` events.
    """
    item_id = _new_id("msg")
    added = _message_added(item_id)
    item: JSONObject = {
        **added,
        "status": "completed",
        "content": [{"type": "refusal", "refusal": text}],
    }

    def events(output_index: int) -> list[JSONObject]:
        where = {"item_id": item_id, "output_index": output_index, "content_index": 0}
        return [
            {"type": "response.refusal.delta", **where, "delta": text},
            {"type": "response.refusal.done", **where, "refusal": text},
        ]

    return OutputPart(
        item=item, added_item=added, events=events, output_tokens=_estimate_tokens(text)
    )


def json_reply(document: Any, **reply_options: Any) -> Reply:
    """A streamed answer whose text is ``document`` as JSON (structured output).

    ``reply_options`` are those of :func:`text_reply`. Without a queued reply the server
    already answers a ``json_schema`` request with an example document for its schema.
    """
    return text_reply(json.dumps(document, ensure_ascii=False), **reply_options)


def function_call(
    name: str, arguments: str | Mapping[str, Any], *, call_id: str | None = None
) -> OutputPart:
    """A ``function_call`` item; ``arguments`` is a JSON string or a mapping (JSON-encoded).

    Streams ``response.function_call_arguments.delta`` events (``item_id``, ``output_index``,
    ``delta``) and one ``response.function_call_arguments.done`` (``arguments``, ``name``).

    Item: ``{"id": "fc_…", "type": "function_call", "status": "completed",
    "arguments": "<JSON string>", "call_id": "call_…", "name": …}``.
    """
    args = arguments if isinstance(arguments, str) else _compact_json(dict(arguments))
    item_id = _new_id("fc")
    call = call_id if call_id is not None else _new_id("call", 12)
    added: JSONObject = {
        "id": item_id,
        "type": "function_call",
        "status": "in_progress",
        "arguments": "",
        "call_id": call,
        "name": name,
    }
    item: JSONObject = {**added, "status": "completed", "arguments": args}

    def events(output_index: int) -> list[JSONObject]:
        out: list[JSONObject] = [
            {
                "type": "response.function_call_arguments.delta",
                "item_id": item_id,
                "output_index": output_index,
                "delta": delta,
            }
            for delta in _split_fixed(args)
        ]
        out.append(
            {
                "type": "response.function_call_arguments.done",
                "item_id": item_id,
                "output_index": output_index,
                "name": name,
                "arguments": args,
            }
        )
        return out

    return OutputPart(
        item=item, added_item=added, events=events, output_tokens=_estimate_tokens(name, args)
    )


def reasoning(
    summary: Sequence[str] = _DEFAULT_SUMMARY,
    *,
    encrypted_content: str | None = _DEFAULT_ENCRYPTED_CONTENT,
    content: Sequence[str] | None = None,
) -> OutputPart:
    """A ``reasoning`` item with summary parts and, optionally, raw reasoning text.

    ``content`` (raw reasoning texts) is streamed first, each as ``response.reasoning_text.delta``
    events (``item_id``, ``output_index``, ``content_index``, ``delta``) and one
    ``response.reasoning_text.done`` (``text``). Then each summary part ``i`` is streamed as
    ``response.reasoning_summary_part.added`` (``summary_index``, ``part``),
    ``response.reasoning_summary_text.delta`` events (``summary_index``, ``delta``),
    ``response.reasoning_summary_text.done`` (``text``) and
    ``response.reasoning_summary_part.done`` (``part``).

    Item: ``{"id": "rs_…", "type": "reasoning", "summary": [{"type": "summary_text", "text"}],
    "encrypted_content": …}`` plus ``"content": [{"type": "reasoning_text", "text"}]`` when
    ``content`` is given. ``encrypted_content=None`` sends ``null``.
    """
    summaries = [str(s) for s in summary]
    contents = [str(c) for c in content] if content is not None else []
    item_id = _new_id("rs")
    added: JSONObject = {"id": item_id, "type": "reasoning", "summary": []}
    item: JSONObject = {
        "id": item_id,
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": text} for text in summaries],
        "encrypted_content": encrypted_content,
    }
    if content is not None:
        item["content"] = [{"type": "reasoning_text", "text": text} for text in contents]

    def events(output_index: int) -> list[JSONObject]:
        out: list[JSONObject] = []
        base = {"item_id": item_id, "output_index": output_index}
        for index, text in enumerate(contents):
            out.extend(
                {
                    "type": "response.reasoning_text.delta",
                    **base,
                    "content_index": index,
                    "delta": d,
                }
                for d in _split_text(text)
            )
            out.append(
                {
                    "type": "response.reasoning_text.done",
                    **base,
                    "content_index": index,
                    "text": text,
                }
            )
        for index, text in enumerate(summaries):
            out.append(
                {
                    "type": "response.reasoning_summary_part.added",
                    **base,
                    "summary_index": index,
                    "part": {"type": "summary_text", "text": ""},
                }
            )
            out.extend(
                {
                    "type": "response.reasoning_summary_text.delta",
                    **base,
                    "summary_index": index,
                    "delta": d,
                }
                for d in _split_text(text)
            )
            out.append(
                {
                    "type": "response.reasoning_summary_text.done",
                    **base,
                    "summary_index": index,
                    "text": text,
                }
            )
            out.append(
                {
                    "type": "response.reasoning_summary_part.done",
                    **base,
                    "summary_index": index,
                    "part": {"type": "summary_text", "text": text},
                }
            )
        return out

    return OutputPart(
        item=item,
        added_item=added,
        events=events,
        reasoning_tokens=_estimate_tokens(*summaries, *contents),
    )


def custom_tool_call(name: str, input: str, *, call_id: str | None = None) -> OutputPart:
    """A freeform ``custom_tool_call`` item (as used by ``apply_patch``).

    Streams ``response.custom_tool_call_input.delta`` events (``item_id``, ``call_id``,
    ``output_index``, ``delta``) and one ``response.custom_tool_call_input.done`` (``input``).

    Item: ``{"id": "ctc_…", "type": "custom_tool_call", "status": "completed",
    "call_id": "call_…", "name": …, "input": …}``.
    """
    item_id = _new_id("ctc")
    call = call_id if call_id is not None else _new_id("call", 12)
    added: JSONObject = {
        "id": item_id,
        "type": "custom_tool_call",
        "status": "in_progress",
        "call_id": call,
        "name": name,
        "input": "",
    }
    item: JSONObject = {**added, "status": "completed", "input": input}

    def events(output_index: int) -> list[JSONObject]:
        base = {"item_id": item_id, "call_id": call, "output_index": output_index}
        out: list[JSONObject] = [
            {"type": "response.custom_tool_call_input.delta", **base, "delta": delta}
            for delta in _split_fixed(input)
        ]
        out.append({"type": "response.custom_tool_call_input.done", **base, "input": input})
        return out

    return OutputPart(
        item=item, added_item=added, events=events, output_tokens=_estimate_tokens(name, input)
    )


def web_search_call(query: str) -> OutputPart:
    """A ``web_search_call`` item; it has no deltas, only status events.

    Streams ``response.web_search_call.in_progress``, ``.searching`` and ``.completed``
    (each ``{"item_id", "output_index"}``).

    Item: ``{"id": "ws_…", "type": "web_search_call", "status": "completed",
    "action": {"type": "search", "query": …}}``.
    """
    item_id = _new_id("ws")
    added: JSONObject = {"id": item_id, "type": "web_search_call", "status": "in_progress"}
    item: JSONObject = {
        "id": item_id,
        "type": "web_search_call",
        "status": "completed",
        "action": {"type": "search", "query": query},
    }

    def events(output_index: int) -> list[JSONObject]:
        return [
            {
                "type": f"response.web_search_call.{phase}",
                "item_id": item_id,
                "output_index": output_index,
            }
            for phase in ("in_progress", "searching", "completed")
        ]

    return OutputPart(item=item, added_item=added, events=events)


def _default_compaction_content() -> str:
    return "gAAAAABjb21wYWN0aW9u" + secrets.token_urlsafe(24)


def compaction(encrypted_content: str | None = None) -> OutputPart:
    """A ``compaction`` item: the opaque, encrypted summary of a compacted conversation.

    It has no deltas: ``response.output_item.added`` and ``response.output_item.done`` carry
    the whole item, ``{"type": "compaction", "id": "cmp_…", "encrypted_content": …}``.
    ``encrypted_content`` defaults to a fresh opaque string. A remote-compaction request (an
    input ending in ``{"type": "compaction_trigger"}``) expects exactly one such item.
    """
    item_id = _new_id("cmp")
    content = encrypted_content if encrypted_content is not None else _default_compaction_content()
    item: JSONObject = {"type": "compaction", "id": item_id, "encrypted_content": content}

    def events(output_index: int) -> list[JSONObject]:
        return []

    return OutputPart(item=item, added_item=dict(item), events=events, output_tokens=2)


def compaction_reply(
    encrypted_content: str | None = None,
    *,
    usage: Mapping[str, Any] | None = None,
    rate_limits_event: bool = True,
    model: str | None = None,
    headers: Mapping[str, str | None] | None = None,
) -> Reply:
    """The answer to a remote-compaction request: ``reply(compaction(encrypted_content))``.

    The fake sends it by itself when the input ends with ``{"type": "compaction_trigger"}``
    and nothing is queued. The other keyword arguments are those of :func:`reply`.
    """
    return reply(
        compaction(encrypted_content),
        usage=usage,
        rate_limits_event=rate_limits_event,
        model=model,
        headers=headers,
    )


# --------------------------------------------------------------------------------------------
# Streamed replies


def rate_limit_snapshot(now: float | None = None) -> JSONObject:
    """Return the rate-limit values every streamed reply reports (plan, windows, credits)."""
    anchor = int(time.time() if now is None else now)
    return {
        "plan_type": _PLAN_TYPE,
        "primary": {
            "used_percent": _PRIMARY_USED_PERCENT,
            "window_minutes": _PRIMARY_WINDOW_MINUTES,
            "reset_at": anchor + 2 * 3600,
        },
        "secondary": {
            "used_percent": _SECONDARY_USED_PERCENT,
            "window_minutes": _SECONDARY_WINDOW_MINUTES,
            "reset_at": anchor + 4 * 86400,
        },
        "credits": {"has_credits": False, "unlimited": False, "balance": "0"},
    }


def rate_limit_headers(
    now: float | None = None, *, primary_used_percent: float | None = None
) -> dict[str, str]:
    """Return the ``x-codex-*`` rate-limit headers of a streamed reply, as the real backend."""
    snap = rate_limit_snapshot(now)
    primary, secondary, credits = snap["primary"], snap["secondary"], snap["credits"]
    used = primary["used_percent"] if primary_used_percent is None else primary_used_percent
    return {
        "x-codex-plan-type": snap["plan_type"],
        "x-codex-primary-used-percent": f"{used:g}",
        "x-codex-secondary-used-percent": f"{secondary['used_percent']:g}",
        "x-codex-primary-window-minutes": str(primary["window_minutes"]),
        "x-codex-secondary-window-minutes": str(secondary["window_minutes"]),
        "x-codex-primary-reset-at": str(primary["reset_at"]),
        "x-codex-secondary-reset-at": str(secondary["reset_at"]),
        "x-codex-credits-has-credits": str(credits["has_credits"]),
        "x-codex-credits-unlimited": str(credits["unlimited"]),
        "x-codex-credits-balance": credits["balance"],
    }


def _rate_limits_event() -> JSONObject:
    snap = rate_limit_snapshot()
    return {
        "type": "codex.rate_limits",
        "plan_type": snap["plan_type"],
        "rate_limits": {
            "allowed": True,
            "limit_reached": False,
            "primary": snap["primary"],
            "secondary": snap["secondary"],
        },
        "credits": snap["credits"],
        "metered_limit_name": "codex",
    }


@attrs.define
class _Envelope:
    """The response object shared by the lifecycle events of one streamed reply."""

    model: str | None
    response_id: str = attrs.field(factory=lambda: _new_id("resp"))
    created_at: int = attrs.field(factory=lambda: int(time.time()))

    def response(
        self,
        status: str,
        *,
        output: list[JSONObject] | None = None,
        usage: JSONObject | None = None,
        error: JSONObject | None = None,
        incomplete_details: JSONObject | None = None,
    ) -> JSONObject:
        return {
            "id": self.response_id,
            "object": "response",
            "created_at": self.created_at,
            "status": status,
            "error": error,
            "incomplete_details": incomplete_details,
            "instructions": None,
            "model": self.model,
            "output": output if output is not None else [],
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
            "usage": usage,
        }

    def prelude(self, rate_limits_event: bool) -> list[JSONObject]:
        events: list[JSONObject] = []
        if rate_limits_event:
            events.append(_rate_limits_event())
        events.append({"type": "response.created", "response": self.response("in_progress")})
        events.append({"type": "response.in_progress", "response": self.response("in_progress")})
        return events


def _usage(parts: Sequence[OutputPart], override: Mapping[str, Any] | None) -> JSONObject:
    reasoning_tokens = sum(p.reasoning_tokens for p in parts)
    output_tokens = sum(p.output_tokens for p in parts) + reasoning_tokens
    usage: JSONObject = {
        "input_tokens": _DEFAULT_INPUT_TOKENS,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
        "total_tokens": _DEFAULT_INPUT_TOKENS + output_tokens,
    }
    if override:
        usage.update(override)
        if "total_tokens" not in override:
            usage["total_tokens"] = usage["input_tokens"] + usage["output_tokens"]
    return usage


def _item_events(parts: Sequence[OutputPart]) -> list[JSONObject]:
    events: list[JSONObject] = []
    for index, part in enumerate(parts):
        events.append(
            {"type": "response.output_item.added", "output_index": index, "item": part.added_item}
        )
        events.extend(part.delta_events(index))
        events.append(
            {"type": "response.output_item.done", "output_index": index, "item": part.item}
        )
    return events


def _stream(
    events: list[JSONObject],
    *,
    model: str | None,
    content_type: str | None,
    headers: Mapping[str, str | None] | None,
) -> Reply:
    return Reply(
        model=model,
        content_type=content_type,
        headers=dict(headers or {}),
        steps=tuple(events),
    )


def reply(
    *parts: OutputPart,
    usage: Mapping[str, Any] | None = None,
    completed_output: bool = False,
    rate_limits_event: bool = True,
    model: str | None = None,
    content_type: str | None = SSE_CONTENT_TYPE,
    headers: Mapping[str, str | None] | None = None,
) -> Reply:
    """A successful streamed answer made of ``parts``, like the real backend sends it.

    The events are, in order:

    1. ``codex.rate_limits`` (unless ``rate_limits_event=False``): ``{"type",
       "plan_type", "rate_limits": {"allowed", "limit_reached", "primary": {"used_percent",
       "window_minutes", "reset_at"}, "secondary": {…}}, "credits": {"has_credits",
       "unlimited", "balance"}, "metered_limit_name": "codex"}``. The real backend sends it
       *before* ``response.created``.
    2. ``response.created`` and ``response.in_progress``, each ``{"type", "response"}`` with a
       response object ``{"id": "resp_…", "object": "response", "created_at", "status":
       "in_progress", "error": null, "incomplete_details": null, "instructions": null, "model",
       "output": [], "parallel_tool_calls": true, "tool_choice": "auto", "tools": [],
       "usage": null}``.
    3. For each part: ``response.output_item.added`` (``output_index``, ``item`` in progress),
       the part's own events, ``response.output_item.done`` (the completed ``item``).
    4. ``response.completed`` with ``status: "completed"`` and ``usage``. Its ``output`` is
       ``[]``, as on the real backend (clients must build the output from
       ``output_item.done``), or every item when ``completed_output=True``.

    Args:
        parts: Output items, see :func:`message`, :func:`function_call`, :func:`reasoning`,
            :func:`custom_tool_call`, :func:`web_search_call`.
        usage: Overrides for the usage object ``{"input_tokens", "input_tokens_details":
            {"cached_tokens"}, "output_tokens", "output_tokens_details":
            {"reasoning_tokens"}, "total_tokens"}``; top-level keys are replaced, and
            ``total_tokens`` is recomputed unless given. Defaults: 128 input tokens, output
            tokens estimated from the parts (about 4 characters per token).
        completed_output: Put the items into ``response.completed``'s ``output``.
        rate_limits_event: Send the leading ``codex.rate_limits`` event.
        model: Model to report; ``None`` echoes the request's ``model``.
        content_type: ``Content-Type`` header, or ``None`` to omit it.
        headers: Extra headers (``None`` values remove default headers).
    """
    envelope = _Envelope(model)
    events = envelope.prelude(rate_limits_event)
    events.extend(_item_events(parts))
    output = [part.item for part in parts] if completed_output else []
    completed = envelope.response("completed", output=output, usage=_usage(parts, usage))
    events.append({"type": "response.completed", "response": completed})
    return _stream(events, model=model, content_type=content_type, headers=headers)


def text_reply(
    text: str | None = None,
    *,
    deltas: Sequence[str] | None = None,
    usage: Mapping[str, Any] | None = None,
    completed_output: bool = False,
    rate_limits_event: bool = True,
    model: str | None = None,
    content_type: str | None = SSE_CONTENT_TYPE,
    headers: Mapping[str, str | None] | None = None,
) -> Reply:
    """A streamed answer with a single assistant message: ``reply(message(text, deltas=...))``.

    ``text`` defaults to :data:`DEFAULT_REPLY_TEXT`, or to ``"".join(deltas)`` when ``deltas``
    is given. The other keyword arguments are those of :func:`reply`.
    """
    if text is None:
        text = "" if deltas is not None else DEFAULT_REPLY_TEXT
    return reply(
        message(text, deltas=deltas),
        usage=usage,
        completed_output=completed_output,
        rate_limits_event=rate_limits_event,
        model=model,
        content_type=content_type,
        headers=headers,
    )


def tool_call_reply(
    name: str,
    arguments: str | Mapping[str, Any],
    *,
    call_id: str | None = None,
    usage: Mapping[str, Any] | None = None,
    completed_output: bool = False,
    rate_limits_event: bool = True,
    model: str | None = None,
    content_type: str | None = SSE_CONTENT_TYPE,
    headers: Mapping[str, str | None] | None = None,
) -> Reply:
    """A streamed answer with a single function call: ``reply(function_call(...))``.

    The other keyword arguments are those of :func:`reply`.
    """
    return reply(
        function_call(name, arguments, call_id=call_id),
        usage=usage,
        completed_output=completed_output,
        rate_limits_event=rate_limits_event,
        model=model,
        content_type=content_type,
        headers=headers,
    )


def failed_reply(
    code: str,
    message: str,
    *,
    after_text: str | None = None,
    rate_limits_event: bool = True,
    model: str | None = None,
    content_type: str | None = SSE_CONTENT_TYPE,
    headers: Mapping[str, str | None] | None = None,
) -> Reply:
    """A stream that ends with ``response.failed``, as for in-stream errors of the backend.

    The terminal event is ``{"type": "response.failed", "response": {…, "status": "failed",
    "error": {"code": code, "message": message}, "usage": null}}``. With ``after_text`` a
    message is started first (``output_item.added``, ``content_part.added`` and the text
    deltas) and never finished. Common codes: ``context_length_exceeded``,
    ``insufficient_quota``, ``usage_not_included``, ``invalid_prompt``,
    ``server_is_overloaded``, ``rate_limit_exceeded`` (message "… try again in 1.5s").
    """
    envelope = _Envelope(model)
    events = envelope.prelude(rate_limits_event)
    if after_text is not None:
        part = _message_part(after_text, None, status="in_progress", phase=None)
        item_id = part.item["id"]
        events.append(
            {"type": "response.output_item.added", "output_index": 0, "item": part.added_item}
        )
        events.extend(_text_events(item_id, 0, _split_text(after_text), after_text, done=False))
    failed = envelope.response("failed", error={"code": code, "message": message})
    events.append({"type": "response.failed", "response": failed})
    return _stream(events, model=model, content_type=content_type, headers=headers)


def incomplete_reply(
    text: str = DEFAULT_REPLY_TEXT,
    reason: str = "max_output_tokens",
    *,
    rate_limits_event: bool = True,
    model: str | None = None,
    content_type: str | None = SSE_CONTENT_TYPE,
    headers: Mapping[str, str | None] | None = None,
) -> Reply:
    """A stream that ends with ``response.incomplete`` after a (cut short) message.

    The message item is done with ``status: "incomplete"``; the terminal event is
    ``{"type": "response.incomplete", "response": {…, "status": "incomplete",
    "incomplete_details": {"reason": reason}, "usage": {…}}}``. Reasons seen in the Responses
    API: ``max_output_tokens``, ``content_filter``.
    """
    envelope = _Envelope(model)
    events = envelope.prelude(rate_limits_event)
    part = _message_part(text, None, status="incomplete", phase=None)
    events.extend(_item_events([part]))
    incomplete = envelope.response(
        "incomplete", usage=_usage([part], None), incomplete_details={"reason": reason}
    )
    events.append({"type": "response.incomplete", "response": incomplete})
    return _stream(events, model=model, content_type=content_type, headers=headers)


def error_event_reply(
    code: str,
    message: str,
    *,
    rate_limits_event: bool = True,
    model: str | None = None,
    content_type: str | None = SSE_CONTENT_TYPE,
    headers: Mapping[str, str | None] | None = None,
) -> Reply:
    """A stream that sends an SSE ``error`` event after ``response.created``, then ends.

    Event: ``{"type": "error", "sequence_number", "code": code, "message": message,
    "param": null}``. No terminal ``response.*`` event follows.
    """
    envelope = _Envelope(model)
    events = envelope.prelude(rate_limits_event)
    events.append({"type": "error", "code": code, "message": message, "param": None})
    return _stream(events, model=model, content_type=content_type, headers=headers)


def error_frame_reply(
    error: Mapping[str, Any] | None = None,
    *,
    status: int | None = 400,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """A WebSocket error frame, ``{"type": "error", "status": status, "error": error,
    "headers": headers}``, with no ``response.*`` event before or after it.

    This is how the backend reports an HTTP-style error on a socket; the frame replaces the
    whole answer. ``status=None`` leaves ``status`` out: the Codex CLI ignores such a frame
    and waits forever, so a client must time out. ``error`` defaults to ``{"type":
    "invalid_request_error", "code": "invalid_request", "message": "Invalid request"}``. The
    socket stays open afterwards. Over HTTP the same object is sent as an SSE ``error`` event.

    Plain replies (:func:`http_error`...) need no conversion: over WebSocket the server sends
    them as such an error frame by itself.
    """
    frame: JSONObject = {"type": "error"}
    if status is not None:
        frame["status"] = status
    frame["error"] = (
        dict(error)
        if error is not None
        else {
            "type": "invalid_request_error",
            "code": "invalid_request",
            "message": "Invalid request",
        }
    )
    frame["headers"] = dict(headers or {})
    return Reply(steps=(frame,))


# --------------------------------------------------------------------------------------------
# HTTP failures


def http_error(
    status: int,
    body: Mapping[str, Any] | str | bytes | None = None,
    *,
    headers: Mapping[str, str | None] | None = None,
    content_type: str | None = None,
) -> Reply:
    """A plain (non-streamed) HTTP answer, typically an error.

    Args:
        status: HTTP status code.
        body: A mapping is sent as compact JSON (``application/json``); a string is sent as is,
            as ``text/html`` when it starts with ``<`` (e.g. a Cloudflare block page) and
            ``text/plain`` otherwise; bytes are sent as is. The default is FastAPI's
            ``{"detail": "<reason phrase>"}``.
        headers: Extra response headers.
        content_type: Override the ``Content-Type`` derived from ``body``.

    Plain replies are answered right after the ``Authorization`` check, before the request
    body is validated.
    """
    if body is None:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        body = {"detail": phrase}
    if isinstance(body, Mapping):
        data = _compact_json(dict(body)).encode()
        derived = "application/json"
    elif isinstance(body, str):
        data = body.encode()
        kind = "html" if body.lstrip().startswith("<") else "plain"
        derived = f"text/{kind}; charset=utf-8"
    else:
        data = bytes(body)
        derived = "application/octet-stream"
    return Reply(
        status=status,
        headers=dict(headers or {}),
        content_type=content_type if content_type is not None else derived,
        body=data,
    )


def rate_limited(
    retry_after: float | None = None,
    *,
    message: str | None = None,
    headers: Mapping[str, str | None] | None = None,
) -> Reply:
    """A ``429`` with ``{"error": {"type": "rate_limit_exceeded", "code":
    "rate_limit_exceeded", "message": …, "param": null}}``.

    With ``retry_after`` (seconds) the ``Retry-After`` (whole seconds, rounded up) and
    ``retry-after-ms`` headers are set and the default message says "Please try again in
    {retry_after}s.".
    """
    extra: dict[str, str | None] = {}
    if retry_after is not None:
        extra["Retry-After"] = str(math.ceil(retry_after))
        extra["retry-after-ms"] = str(round(retry_after * 1000))
        default_message = f"Rate limit reached. Please try again in {retry_after:g}s."
    else:
        default_message = "Rate limit reached. Please try again later."
    body = {
        "error": {
            "type": "rate_limit_exceeded",
            "code": "rate_limit_exceeded",
            "message": message if message is not None else default_message,
            "param": None,
        }
    }
    return http_error(429, body, headers={**extra, **(headers or {})})


def usage_limit_reached(
    plan_type: str = "plus",
    resets_at: int | None = None,
    *,
    headers: Mapping[str, str | None] | None = None,
) -> Reply:
    """A ``429`` telling that the subscription's usage limit is reached.

    Body, as observed on the real backend: ``{"error": {"type": "usage_limit_reached",
    "message": "The usage limit has been reached", "plan_type": plan_type, "resets_at":
    <unix s>, "resets_in_seconds": <s>, "eligible_promo": null}}``. ``resets_at`` defaults to
    one hour from now. The ``x-codex-*`` rate-limit headers report the primary window at
    100 % and ``x-codex-active-limit: codex``.
    """
    now = int(time.time())
    reset = resets_at if resets_at is not None else now + 3600
    body = {
        "error": {
            "type": "usage_limit_reached",
            "message": "The usage limit has been reached",
            "plan_type": plan_type,
            "resets_at": reset,
            "resets_in_seconds": max(0, reset - now),
            "eligible_promo": None,
        }
    }
    limit_headers: dict[str, str | None] = {
        **rate_limit_headers(now, primary_used_percent=100.0),
        "x-codex-plan-type": plan_type,
        "x-codex-primary-reset-at": str(reset),
        "x-codex-active-limit": "codex",
    }
    return http_error(429, body, headers={**limit_headers, **(headers or {})})
