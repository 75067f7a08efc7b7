"""Sans-IO incremental decoder for ``text/event-stream`` (Server-Sent Events).

Implements the WHATWG event-stream interpretation rules, on bytes:
https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
"""

from __future__ import annotations

from typing import NamedTuple, NoReturn

__all__ = ["EventTooLargeError", "SSEDecoder", "ServerSentEvent"]

_BOM = b"\xef\xbb\xbf"


class ServerSentEvent(NamedTuple):
    """One dispatched event.

    ``event`` is ``""`` when the stream gave no ``event:`` field, ``id`` is the last event ID
    seen so far in the stream, and ``retry`` is the ``retry:`` value given in this event's block.
    """

    event: str
    data: str
    id: str | None
    retry: int | None


# Building the tuple through tuple.__new__ skips the NamedTuple's generated Python-level
# __new__, saving about a third of the per-event construction cost on the hot path.
_new_tuple = tuple.__new__


class EventTooLargeError(ValueError):
    """The data of one event, or a line, is longer than the decoder's ``max_size``."""

    def __init__(self, max_size: int, events: list[ServerSentEvent] | None = None) -> None:
        super().__init__(f"a server-sent event or line is larger than {max_size:,} bytes")
        self.max_size = max_size
        #: The events completed before the excess, in stream order: deliver them first.
        self.events: list[ServerSentEvent] = events or []


# A data line's field name and its space ("data: ") do not count towards the cap, so a line
# carrying exactly max_size bytes of data is this much longer than the cap.
_DATA_PREFIX = 6


class SSEDecoder:
    """Incremental event-stream decoder: feed it bytes as they arrive, get complete events.

    With ``max_size``, the data of one event (its data lines joined with newlines, in UTF-8
    bytes) and every other line may be at most that many bytes. Past it, ``EventTooLargeError``
    is raised as soon as the excess is seen, so memory stays bounded by the cap even for a stream
    that never ends its line (a compression bomb of zeros, say). The events the same call
    completed before the excess travel on the error (``.events``), so none is lost.
    """

    __slots__ = (
        "_bom_head",
        "_data",
        "_data_size",
        "_event",
        "_last_id",
        "_max_size",
        "_more",
        "_pending_cr",
        "_retry",
        "_tail",
        "_tail_size",
    )

    def __init__(self, max_size: int | None = None) -> None:
        self._max_size = max_size if max_size is not None else 1 << 62
        self._reset()

    def _reset(self) -> None:
        # While not None, the stream start is still undecided between "BOM" and "no BOM".
        self._bom_head: bytes | None = b""
        # A chunk ended in CR: an LF starting the next chunk belongs to the same line ending.
        self._pending_cr = False
        # Bytes of the unterminated last line, kept as pieces so a huge line is joined once.
        self._tail: list[bytes] = []
        self._tail_size = 0
        self._data: str | None = None
        self._more: list[str] | None = None
        self._data_size = 0  # bytes of an event's data, counted once it has several lines
        self._event = ""
        self._last_id: str | None = None
        self._retry: int | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Consume ``chunk`` and return every event it completes, in stream order."""
        if not chunk:
            return []
        if self._bom_head is not None:
            head = self._bom_head + chunk
            if len(head) < 3 and _BOM.startswith(head):
                self._bom_head = head
                return []
            self._bom_head = None
            chunk = head[3:] if head.startswith(_BOM) else head
            if not chunk:
                return []
        if self._pending_cr:
            self._pending_cr = False
            if chunk[0] == 0x0A:
                chunk = chunk[1:]
                if not chunk:
                    return []
        if b"\r" in chunk:
            # CR never occurs inside a line, so rewriting every line ending to LF is exact and
            # lets the rest of the decoder (and the carried tail) deal with LF only.
            self._pending_cr = chunk[-1] == 0x0D
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        end = chunk.rfind(b"\n") + 1
        if not end:
            self._tail.append(chunk)
            self._tail_size += len(chunk)
            if self._tail_size > self._max_size + _DATA_PREFIX:
                self._too_large()
            return []
        tail = self._tail
        if tail:
            tail.append(chunk[:end])
            complete = b"".join(tail)
            tail.clear()
        else:
            complete = chunk[:end]
        self._tail_size = len(chunk) - end
        if self._tail_size:
            tail.append(chunk[end:])
        # LF cannot occur inside a UTF-8 sequence, so decoding all complete lines at once gives
        # the same text as decoding each line on its own, with one call instead of one per line.
        lines = complete.decode("utf-8", "replace").split("\n")
        lines.pop()
        # Decoding turns a byte into at most 3 (U+FFFD), so no line of a smaller batch can pass
        # the cap: only a batch this large pays for measuring each line in bytes.
        events = self._process(lines, len(complete) * 3 > self._max_size)
        if self._tail_size > self._max_size + _DATA_PREFIX:
            self._too_large(events)
        return events

    def flush(self) -> list[ServerSentEvent]:
        """Finish the stream: return the last pending event, if any, and reset the decoder."""
        rest = self._bom_head or b""
        self._bom_head = None
        events = self.feed(rest) if rest else []
        lines: list[str] = []
        if self._tail:
            lines.append(b"".join(self._tail).decode("utf-8", "replace"))
        # Lenient on purpose: the spec discards an event that is not followed by a blank line,
        # but a server that closes right after its last event must not lose that event.
        lines.append("")
        try:
            events += self._process(lines, True)
        except EventTooLargeError as exc:
            exc.events[:0] = events
            raise
        self._reset()
        return events

    def _too_large(self, events: list[ServerSentEvent] | None = None) -> NoReturn:
        self._reset()  # drop what was buffered: the memory is the point
        raise EventTooLargeError(self._max_size, events)

    def _process(self, lines: list[str], measure: bool) -> list[ServerSentEvent]:
        """Interpret complete lines; ``measure``: a line may be longer than the cap."""
        out: list[ServerSentEvent] = []
        append = out.append
        new = _new_tuple
        sse = ServerSentEvent
        max_size = self._max_size
        # One data line is the norm: keep it as a str and only build a list for extra lines.
        data = self._data
        more = self._more
        data_size = self._data_size
        event = self._event
        last_id = self._last_id
        retry = self._retry
        for line in lines:
            if not line:
                if data is not None:
                    if more is not None:
                        more.insert(0, data)
                        data = "\n".join(more)
                        more = None
                    append(new(sse, (event, data, last_id, retry)))
                    data = None
                event = ""
                retry = None
                continue
            if line.startswith("data: "):
                value = line[6:]
            else:
                if line.startswith("event: "):
                    name, value = "event", line[7:]
                else:
                    name, _, value = line.partition(":")
                    if value.startswith(" "):
                        value = value[1:]
                if name != "data":
                    if measure and _size(line) > max_size:
                        self._too_large(out)
                    if name == "event":
                        event = value
                    elif name == "id":
                        if "\0" not in value:
                            last_id = value
                    elif name == "retry" and value.isascii() and value.isdigit():
                        try:
                            retry = int(value)
                        except ValueError:  # more digits than int() accepts
                            pass
                    continue
            if data is None:
                data = value
                if measure and _size(value) > max_size:
                    self._too_large(out)
            else:
                # The event's data so far, its joining newline and this line, in bytes.
                data_size = (data_size if more is not None else _size(data)) + 1 + _size(value)
                if data_size > max_size:
                    self._too_large(out)
                if more is None:
                    more = [value]
                else:
                    more.append(value)
        self._data = data
        self._more = more
        self._data_size = data_size
        self._event = event
        self._last_id = last_id
        self._retry = retry
        return out


def _size(text: str) -> int:
    """The length of ``text`` in UTF-8 bytes."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
