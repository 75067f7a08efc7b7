"""Sans-IO incremental decoder for ``text/event-stream`` (Server-Sent Events).

Implements the WHATWG event-stream interpretation rules, on bytes:
https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
"""

from __future__ import annotations

from typing import NamedTuple

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
    """A line, or the data of one event, is longer than the decoder's ``max_size``."""

    def __init__(self, max_size: int) -> None:
        super().__init__(f"a server-sent event line or event is larger than {max_size:,} bytes")
        self.max_size = max_size


class SSEDecoder:
    """Incremental event-stream decoder: feed it bytes as they arrive, get complete events.

    With ``max_size``, a line or an event's data longer than that many bytes raises
    ``EventTooLargeError`` as soon as it is seen, so memory stays bounded by the cap even for a
    stream that never ends its line (a compression bomb of zeros, say).
    """

    __slots__ = (
        "_bom_head",
        "_data",
        "_event",
        "_last_id",
        "_max_size",
        "_more",
        "_more_size",
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
        self._more_size = 0  # characters in the data lines of an event with several of them
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
            if self._tail_size > self._max_size:
                self._too_large()
            return []
        tail = self._tail
        if tail:
            tail.append(chunk[:end])
            complete = b"".join(tail)
            tail.clear()
        else:
            complete = chunk[:end]
        if len(complete) > self._max_size and max(map(len, complete.split(b"\n"))) > self._max_size:
            self._too_large()
        self._tail_size = len(chunk) - end
        if self._tail_size:
            tail.append(chunk[end:])
            if self._tail_size > self._max_size:
                self._too_large()
        # LF cannot occur inside a UTF-8 sequence, so decoding all complete lines at once gives
        # the same text as decoding each line on its own, with one call instead of one per line.
        lines = complete.decode("utf-8", "replace").split("\n")
        lines.pop()
        return self._process(lines)

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
        events += self._process(lines)
        self._reset()
        return events

    def _too_large(self) -> None:
        max_size = self._max_size
        self._reset()  # drop what was buffered: the memory is the point
        raise EventTooLargeError(max_size)

    def _process(self, lines: list[str]) -> list[ServerSentEvent]:
        out: list[ServerSentEvent] = []
        append = out.append
        new = _new_tuple
        sse = ServerSentEvent
        # One data line is the norm: keep it as a str and only build a list for extra lines.
        data = self._data
        more = self._more
        event = self._event
        last_id = self._last_id
        retry = self._retry
        more_size = self._more_size
        for line in lines:
            if not line:
                if data is not None:
                    if more is not None:
                        more.insert(0, data)
                        data = "\n".join(more)
                        more = None
                        more_size = 0
                    append(new(sse, (event, data, last_id, retry)))
                    data = None
                event = ""
                retry = None
            elif line.startswith("data: "):
                if data is None:
                    data = line[6:]
                else:
                    # Each line is capped by feed(); an event of many lines is capped here.
                    more_size += len(line) - 5 if more is not None else len(data) + len(line)
                    if more_size > self._max_size:
                        self._too_large()
                    if more is None:
                        more = [line[6:]]
                    else:
                        more.append(line[6:])
            elif line.startswith("event: "):
                event = line[7:]
            else:
                name, _, value = line.partition(":")
                if value.startswith(" "):
                    value = value[1:]
                if name == "data":
                    if data is None:
                        data = value
                    else:
                        more_size += len(value) + 1 if more is not None else len(data) + len(value)
                        if more_size > self._max_size:
                            self._too_large()
                        if more is None:
                            more = [value]
                        else:
                            more.append(value)
                elif name == "event":
                    event = value
                elif name == "id":
                    if "\0" not in value:
                        last_id = value
                elif name == "retry" and value.isascii() and value.isdigit():
                    try:
                        retry = int(value)
                    except ValueError:  # more digits than int() accepts
                        pass
        self._data = data
        self._more = more
        self._event = event
        self._last_id = last_id
        self._retry = retry
        self._more_size = more_size
        return out
