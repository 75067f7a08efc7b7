from __future__ import annotations

import ast
import itertools
import re
import sys

import pytest
from hypothesis import given, settings, strategies as st

from codex_open_client._sse import EventTooLargeError, ServerSentEvent, SSEDecoder

BOM = b"\xef\xbb\xbf"
ENDINGS = {"LF": b"\n", "CR": b"\r", "CRLF": b"\r\n"}


def ev(
    data: str, event: str = "", id: str | None = None, retry: int | None = None
) -> ServerSentEvent:
    return ServerSentEvent(event, data, id, retry)


def decode_chunks(chunks: list[bytes]) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    events += decoder.flush()
    return events


def decode(blob: bytes) -> list[ServerSentEvent]:
    return decode_chunks([blob])


def split_at(blob: bytes, cuts: list[int]) -> list[bytes]:
    bounds = [0, *sorted(cuts), len(blob)]
    return [blob[a:b] for a, b in itertools.pairwise(bounds)]


def reference_decode(blob: bytes) -> list[ServerSentEvent]:
    """Spec-literal, non-incremental decoder (with the same lenient end of stream)."""
    if blob.startswith(BOM):
        blob = blob[3:]
    raw_lines = re.split(rb"\r\n|\r|\n", blob)
    if raw_lines[-1] == b"":
        raw_lines.pop()
    out: list[ServerSentEvent] = []
    data: list[str] = []
    event = ""
    last_id: str | None = None
    retry: int | None = None
    for raw in [*raw_lines, b""]:
        line = raw.decode("utf-8", "replace")
        if line == "":
            if data:
                out.append(ServerSentEvent(event, "\n".join(data), last_id, retry))
            data, event, retry = [], "", None
            continue
        if line.startswith(":"):
            continue
        if ":" in line:
            name, value = line.split(":", 1)
            if value.startswith(" "):
                value = value[1:]
        else:
            name, value = line, ""
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value
        elif name == "id":
            if "\0" not in value:
                last_id = value
        elif name == "retry" and value and all(c in "0123456789" for c in value):
            retry = int(value)
    return out


FRAME_LINES = [
    b": keep-alive comment",
    b"event: response.created",
    b'data: {"type":"response.created"}',
    b"id: 1",
    b"",
    b"data: first",
    b"data:second",
    b"retry: 2500",
    b"",
    b"",
    b"event: response.output_text.delta",
    b'data: {"delta":"ab"}',
    b"",
]
FRAME_EVENTS = [
    ev('{"type":"response.created"}', "response.created", "1"),
    ev("first\nsecond", "", "1", 2500),
    ev('{"delta":"ab"}', "response.output_text.delta", "1"),
]


def frame(ending: bytes) -> bytes:
    return b"".join(line + ending for line in FRAME_LINES)


@pytest.mark.parametrize("name", sorted(ENDINGS))
def test_one_shot_frame(name: str) -> None:
    """The reference frame decodes to the expected events in one chunk for every line ending."""
    assert decode(frame(ENDINGS[name])) == FRAME_EVENTS


@pytest.mark.parametrize("name", sorted(ENDINGS))
def test_split_at_every_offset_two_chunks(name: str) -> None:
    """Splitting a frame into two chunks at any byte offset gives the one-chunk events."""
    blob = frame(ENDINGS[name])
    for i in range(len(blob) + 1):
        assert decode_chunks([blob[:i], blob[i:]]) == FRAME_EVENTS, i


def test_split_at_every_offset_three_chunks_crlf() -> None:
    """Splitting a CRLF frame into three chunks at any pair of offsets gives the same events."""
    blob = frame(b"\r\n")
    for i in range(len(blob) + 1):
        for j in range(i, len(blob) + 1):
            assert decode_chunks([blob[:i], blob[i:j], blob[j:]]) == FRAME_EVENTS, (i, j)


def test_byte_by_byte_mixed_endings() -> None:
    """A stream mixing LF, CR and CRLF decodes the same when fed one byte at a time."""
    blob = b"data: a\r\ndata: b\rdata: c\n\r\nevent: e\rdata: d\r\r"
    expected = [ev("a\nb\nc"), ev("d", "e")]
    assert decode(blob) == expected
    assert decode_chunks([bytes([b]) for b in blob]) == expected


def test_cr_then_lf_across_chunks_is_one_line_ending() -> None:
    """CR ending one chunk and LF starting the next count as a single line ending."""
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\ndata: b\r") == []
    assert decoder.feed(b"\n") == []
    assert decoder.feed(b"\r") == [ev("a\nb")]
    assert decoder.feed(b"\ndata: c\n\n") == [ev("c")]
    assert decoder.flush() == []


def test_cr_pending_survives_empty_chunk() -> None:
    """An empty chunk between CR and LF does not break the CRLF pairing."""
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"") == []
    assert decoder.feed(b"\ndata: b\n\n") == [ev("a\nb")]


def test_lf_alone_after_crlf_is_a_blank_line() -> None:
    """Only the LF right after a CR is merged; a later LF is a blank line that dispatches."""
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\n") == []
    assert decoder.feed(b"\n") == [ev("a")]


def test_multibyte_utf8_split_at_every_offset() -> None:
    """A multibyte UTF-8 value split at any byte offset decodes intact."""
    blob = "event: ünï\ndata: héllo €🙂\n\n".encode()
    expected = [ev("héllo €🙂", "ünï")]
    for i in range(len(blob) + 1):
        assert decode_chunks([blob[:i], blob[i:]]) == expected, i
    assert decode_chunks([bytes([b]) for b in blob]) == expected


def test_invalid_utf8_is_replaced() -> None:
    """Invalid UTF-8 becomes U+FFFD per line instead of raising."""
    blob = b"data: a\xff\xc3\ndata: \xe2\x82\n\n"
    assert decode(blob) == [ev("a\ufffd\ufffd\n\ufffd")]
    assert decode(blob) == reference_decode(blob)


def test_bom_at_start_split_at_every_offset() -> None:
    """A leading BOM is dropped wherever the chunk boundaries fall, even inside the BOM."""
    blob = BOM + b"data: x\n\n"
    for i in range(len(blob) + 1):
        for j in range(i, len(blob) + 1):
            assert decode_chunks([blob[:i], blob[i:j], blob[j:]]) == [ev("x")], (i, j)


def test_bom_dropped_only_once() -> None:
    """A second BOM at the start is part of the first field name, so that line is ignored."""
    assert decode(BOM + BOM + b"data: x\n\ndata: y\n\n") == [ev("y")]


def test_bom_in_the_middle_is_data() -> None:
    """A BOM later in the stream is kept as ordinary text."""
    assert decode(b"data: a\n\ndata: " + BOM + b"b\n\n") == [ev("a"), ev("\ufeffb")]


def test_bom_prefix_only_then_flush() -> None:
    """A stream ending in an incomplete BOM yields nothing and does not raise."""
    decoder = SSEDecoder()
    assert decoder.feed(b"\xef\xbb") == []
    assert decoder.flush() == []


def test_partial_bom_lookalike_is_data() -> None:
    """Bytes that start like a BOM but diverge are decoded as text, not dropped."""
    assert decode_chunks([b"\xef", b"data: x\n\n"]) == []
    assert decode_chunks([b"\xef", b"\n", b"data: x\n\n"]) == [ev("x")]


def test_comments_are_ignored() -> None:
    """Lines starting with a colon are comments and never produce or alter events."""
    assert decode(b": hello\n:\n\ndata: x\n: mid-event\ndata: y\n\n") == [ev("x\ny")]


def test_multiline_data_joined_with_lf() -> None:
    """Several data lines are joined with a single LF."""
    assert decode(b"data: a\ndata: b\ndata: c\n\n") == [ev("a\nb\nc")]


def test_event_id_retry_fields() -> None:
    """event, id and retry fields land in the dispatched event."""
    blob = b"event: ping\nid: 42\nretry: 1000\ndata: x\n\n"
    assert decode(blob) == [ServerSentEvent("ping", "x", "42", 1000)]


def test_event_fields_accessible_by_name() -> None:
    """ServerSentEvent exposes event, data, id and retry attributes."""
    (event,) = decode(b"event: e\ndata: d\nid: i\nretry: 7\n\n")
    assert isinstance(event, ServerSentEvent)
    assert (event.event, event.data, event.id, event.retry) == ("e", "d", "i", 7)


def test_event_type_and_retry_reset_after_dispatch() -> None:
    """event and retry apply to one event only, even when that block had no data."""
    blob = b"event: a\nretry: 5\ndata: 1\n\ndata: 2\n\nevent: b\nretry: 6\n\ndata: 3\n\n"
    assert decode(blob) == [ev("1", "a", retry=5), ev("2"), ev("3")]


def test_last_event_wins_within_block() -> None:
    """A repeated event or id field in one block keeps the last value."""
    assert decode(b"event: a\nevent: b\nid: 1\nid: 2\ndata: x\n\n") == [ev("x", "b", "2")]


def test_id_with_nul_is_ignored() -> None:
    """An id containing NUL is ignored and the previous id stays."""
    assert decode(b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n") == [
        ev("a", id="1"),
        ev("b", id="1"),
    ]


def test_id_persists_across_events() -> None:
    """The last id carries over to later events, including ids set in blocks without data."""
    blob = b"id: 1\ndata: a\n\ndata: b\n\nid: 2\n\ndata: c\n\nid\ndata: d\n\n"
    assert decode(blob) == [ev("a", id="1"), ev("b", id="1"), ev("c", id="2"), ev("d", id="")]


@pytest.mark.parametrize(
    "value",
    [
        b"",
        b"abc",
        b"12a",
        b"-5",
        b"1.5",
        b"  5",
        b"5 ",
        b"+5",
        "\u0661\u0662".encode(),
        "\u00b2".encode(),
    ],
)
def test_invalid_retry_ignored(value: bytes) -> None:
    """A retry value that is not all ASCII digits is ignored."""
    assert decode(b"retry: 9\nretry:" + value + b"\ndata: x\n\n") == [ev("x", retry=9)]


def test_retry_with_leading_zeros() -> None:
    """Leading zeros are fine: the value is a base-ten integer."""
    assert decode(b"retry: 0010\ndata: x\n\n") == [ev("x", retry=10)]


def test_huge_retry_does_not_raise() -> None:
    """A retry with more digits than int() accepts is ignored or parsed, never an error."""
    (event,) = decode(b"retry: " + b"9" * 10_000 + b"\ndata: x\n\n")
    assert event.data == "x"
    assert event.retry is None or event.retry == int("9" * 10_000)


def test_field_without_colon() -> None:
    """A line without a colon is a field name with an empty value."""
    assert decode(b"data\n\n") == [ev("")]
    assert decode(b"event\ndata: x\n\n") == [ev("x")]
    assert decode(b"data: a\ndata\ndata: b\n\n") == [ev("a\n\nb")]


def test_only_one_leading_space_stripped() -> None:
    """Exactly one space after the colon is removed; further spaces are kept."""
    assert decode(b"data:  x\n\n") == [ev(" x")]
    assert decode(b"data:x\n\n") == [ev("x")]
    assert decode(b"event:  e\ndata: x \n\n") == [ev("x ", " e")]
    assert decode(b"data:\tx\n\n") == [ev("\tx")]


def test_empty_data_line() -> None:
    """'data' and 'data:' each contribute an empty line, and still dispatch an event."""
    assert decode(b"data:\n\n") == [ev("")]
    assert decode(b"data: \n\n") == [ev("")]
    assert decode(b"data:\ndata:\n\n") == [ev("\n")]


def test_value_may_contain_colons() -> None:
    """Only the first colon separates the field name from the value."""
    assert decode(b'data: {"a":"b:c"}\n\n') == [ev('{"a":"b:c"}')]


def test_unknown_fields_ignored() -> None:
    """Unknown or wrongly cased field names are ignored."""
    assert decode(b"foo: bar\nData: no\n data: no\ndata: yes\n\n") == [ev("yes")]


def test_blank_lines_without_data_dispatch_nothing() -> None:
    """Blank lines, or blocks with only event/id/retry, produce no event."""
    assert decode(b"\n\n\n\r\n\r") == []
    assert decode(b"event: x\n\nretry: 5\n\n: c\n\n") == []


def test_many_events_in_one_chunk() -> None:
    """2,000 events in a single chunk all come out, in order."""
    blob = b"".join(b"event: e\ndata: %d\n\n" % i for i in range(2000))
    decoder = SSEDecoder()
    events = decoder.feed(blob)
    assert events == [ev(str(i), "e") for i in range(2000)]
    assert decoder.flush() == []


def test_events_returned_by_the_chunk_that_completes_them() -> None:
    """feed returns an event only once its terminating blank line has arrived."""
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n") == []
    assert decoder.feed(b"\ndata: b\n\ndata: c") == [ev("a"), ev("b")]
    assert decoder.feed(b"\n") == []
    assert decoder.feed(b"\n") == [ev("c")]


def test_empty_chunk() -> None:
    """Feeding an empty chunk is a no-op."""
    decoder = SSEDecoder()
    assert decoder.feed(b"") == []
    assert decoder.feed(b"data: x\n\n") == [ev("x")]


def test_flush_dispatches_unterminated_event() -> None:
    """flush dispatches a last event that lacks its blank line or even its line ending."""
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n\nevent: e\ndata: b") == [ev("a")]
    assert decoder.flush() == [ev("b", "e")]
    decoder = SSEDecoder()
    assert decoder.feed(b"data: c\r") == []
    assert decoder.flush() == [ev("c")]


def test_flush_with_nothing_pending() -> None:
    """flush returns [] when no event is pending."""
    decoder = SSEDecoder()
    assert decoder.flush() == []
    assert decoder.feed(b"data: a\n\nevent: x\n: c") == [ev("a")]
    assert decoder.flush() == []


def test_decoder_reusable_after_flush() -> None:
    """After flush the decoder starts a fresh stream: BOM, id and partial state are reset."""
    decoder = SSEDecoder()
    assert decoder.feed(BOM + b"id: 1\ndata: a\n\ndata: par") == [ev("a", id="1")]
    assert decoder.flush() == [ev("par", id="1")]
    assert decoder.feed(BOM + b"data: b\n\n") == [ev("b")]
    assert decoder.feed(b"data: c\r") == []
    assert decoder.flush() == [ev("c")]
    assert decoder.feed(b"\ndata: d\n\n") == [ev("d")]


def test_huge_event_in_64k_chunks() -> None:
    """One 8 MiB data line fed in 64 KiB chunks decodes correctly."""
    size = 8 * 1024 * 1024
    payload = (b"0123456789abcdef" * (size // 16))[:size]
    blob = b"event: big\ndata: " + payload + b"\n\ndata: after\n\n"
    step = 64 * 1024
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for i in range(0, len(blob), step):
        events += decoder.feed(blob[i : i + step])
    events += decoder.flush()
    assert len(events) == 2
    assert events[0].event == "big"
    assert len(events[0].data) == size
    assert events[0].data == payload.decode()
    assert events[1] == ev("after")


def test_module_is_pure_stdlib() -> None:
    """The decoder module imports only the standard library (no aiohttp, no anyio)."""
    import codex_open_client._sse as sse

    with open(sse.__file__, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported
    assert {name.split(".")[0] for name in imported} <= set(sys.stdlib_module_names) | {
        "__future__"
    }


# --- property tests ------------------------------------------------------------------------

_line_text = st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=12)
_event_strategy = st.tuples(
    st.one_of(st.just(""), _line_text),
    st.lists(_line_text, min_size=1, max_size=3),
    st.one_of(st.none(), _line_text.filter(lambda s: "\0" not in s)),
    st.one_of(st.none(), st.integers(0, 10**9)),
    st.booleans(),  # comment line before the event
    st.integers(0, 2),  # extra blank lines after the event
)


@settings(max_examples=120, deadline=None)
@given(st.lists(_event_strategy, max_size=8), st.booleans(), st.data())
def test_random_events_random_chunks(
    specs: list[tuple[str, list[str], str | None, int | None, bool, int]],
    bom: bool,
    data: st.DataObject,
) -> None:
    """Random events, mixed line endings and random chunkings decode like the one-shot feed."""
    lines: list[bytes] = []
    expected: list[ServerSentEvent] = []
    last_id: str | None = None
    for event, data_lines, id_, retry, comment, blanks in specs:
        if comment:
            lines.append(b": comment")
        if event:
            lines.append(b"event: " + event.encode())
        lines += [b"data: " + line.encode() for line in data_lines]
        if id_ is not None:
            lines.append(b"id: " + id_.encode())
            last_id = id_
        if retry is not None:
            lines.append(b"retry: %d" % retry)
        lines += [b""] * (1 + blanks)
        expected.append(ServerSentEvent(event, "\n".join(data_lines), last_id, retry))
    endings = data.draw(st.lists(st.sampled_from(list(ENDINGS.values())), min_size=1))
    parts: list[bytes] = []
    previous = b""
    for i, line in enumerate(lines):
        ending = endings[i % len(endings)]
        if previous == b"\r" and not line and ending != b"\r":
            ending = b"\r"  # CR then an empty LF-terminated line would read as one CRLF
        parts += [line, ending]
        previous = ending
    blob = b"".join(parts)
    if bom:
        blob = BOM + blob
    cuts = data.draw(st.lists(st.integers(0, len(blob)), max_size=12))
    assert decode(blob) == expected
    assert decode_chunks(split_at(blob, cuts)) == expected


_TOKENS = [
    b"\n",
    b"\r",
    b"\r\n",
    b":",
    b" ",
    b"data",
    b"event",
    b"id",
    b"retry",
    b"x",
    b"7",
    b"\x00",
    BOM,
    b"\xef",
    b"\xc3",
    b"\xa9",
    "€".encode(),
    b"\xff",
]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_TOKENS), max_size=40).map(b"".join), st.data())
def test_byte_soup_matches_reference(blob: bytes, data: st.DataObject) -> None:
    """Arbitrary byte soup, chunked at random, decodes exactly like a spec-literal decoder."""
    cuts = data.draw(st.lists(st.integers(0, len(blob)), max_size=10))
    expected = reference_decode(blob)
    assert decode(blob) == expected
    assert decode_chunks(split_at(blob, cuts)) == expected


# ----------------------------------------------------------------------- the size cap
# The cap: an event's data (its data lines joined with newlines) and every other line may be at
# most max_size bytes of UTF-8; a data line's "data: " does not count.


def test_an_unterminated_line_beyond_the_cap_raises_as_soon_as_it_passes_it() -> None:
    """A line that never ends (a compression bomb of zeros) is refused at the cap, not at EOF."""
    decoder = SSEDecoder(max_size=1000)
    for _ in range(10):
        assert decoder.feed(b"x" * 100) == []
    assert decoder.feed(b"x" * 6) == []  # could still be "data: " and 1,000 bytes of data
    with pytest.raises(EventTooLargeError, match="1,000 bytes") as caught:
        decoder.feed(b"x")
    assert caught.value.max_size == 1000
    assert caught.value.events == []
    assert decoder._tail == []  # what was buffered is let go


@pytest.mark.parametrize("prefix", [b"data: ", b"data:"])
def test_one_data_line_is_capped_on_its_data_exactly(prefix: bytes) -> None:
    """max_size bytes of data pass, one more does not, whatever the chunking."""
    line = prefix + b"x" * 1000 + b"\n\n"
    assert SSEDecoder(max_size=1000).feed(line) == [ev("x" * 1000)]
    decoder = SSEDecoder(max_size=1000)
    assert decoder.feed(line[:500]) == []
    assert decoder.feed(line[500:]) == [ev("x" * 1000)]
    over = prefix + b"x" * 1001 + b"\n\n"
    with pytest.raises(EventTooLargeError):
        SSEDecoder(max_size=1000).feed(over)
    decoder = SSEDecoder(max_size=1000)
    assert decoder.feed(over[:700]) == []
    with pytest.raises(EventTooLargeError):
        decoder.feed(over[700:])


def test_the_cap_counts_bytes_not_characters() -> None:
    """500 two-byte characters are 1,000 bytes: at the cap; 501 are over it."""
    assert SSEDecoder(max_size=1000).feed("data: é".encode() + "é".encode() * 499 + b"\n\n") == [
        ev("é" * 500)
    ]
    with pytest.raises(EventTooLargeError):
        SSEDecoder(max_size=1000).feed(b"data: " + "é".encode() * 501 + b"\n\n")


@pytest.mark.parametrize("prefix", [b"data: ", b"data:"])
def test_an_event_of_many_data_lines_is_capped_on_its_joined_data_exactly(prefix: bytes) -> None:
    """Each line is short; their data joined with newlines is what the cap measures."""
    lines = [b"123456789"] * 100  # 100 * 9 bytes and 99 newlines: 999 bytes of data
    blob = b"".join(prefix + line + b"\n" for line in lines) + b"\n"
    assert SSEDecoder(max_size=999).feed(blob) == [ev("\n".join(["123456789"] * 100))]
    with pytest.raises(EventTooLargeError):
        SSEDecoder(max_size=998).feed(blob)
    decoder = SSEDecoder(max_size=998)  # the same, a line at a time
    with pytest.raises(EventTooLargeError):
        for line in lines:
            decoder.feed(prefix + line + b"\n")


def test_other_lines_are_capped_whole() -> None:
    """A comment or an event name may be max_size bytes long, field name included."""
    for line in (b":" + b"c" * 999, b"event: " + b"e" * 993, b"id: " + b"i" * 996):
        assert SSEDecoder(max_size=1000).feed(line + b"\ndata: x\n\n") != []
        with pytest.raises(EventTooLargeError):
            SSEDecoder(max_size=1000).feed(line + b"!\ndata: x\n\n")


def test_events_completed_before_the_excess_travel_on_the_error() -> None:
    """Nothing the stream completed is lost: the events before the excess are on the error."""
    blob = b"data: 1\n\ndata: 2\n\ndata: " + b"x" * 2000 + b"\n\ndata: 3\n\n"
    with pytest.raises(EventTooLargeError) as caught:
        SSEDecoder(max_size=1000).feed(blob)
    assert caught.value.events == [ev("1"), ev("2")]
    # The same with the excess in the unterminated tail of the chunk, and at flush().
    decoder = SSEDecoder(max_size=1000)
    with pytest.raises(EventTooLargeError) as caught:
        decoder.feed(b"data: 1\n\ndata: 2\n\n" + b"x" * 1007)
    assert caught.value.events == [ev("1"), ev("2")]
    decoder = SSEDecoder(max_size=1000)
    assert decoder.feed(b"data: 1\n\ndata:") == [ev("1")]
    assert decoder.feed(b"y" * 1001) == []  # 1,006 bytes: could still be 1,000 of data
    with pytest.raises(EventTooLargeError) as caught:
        decoder.flush()
    assert caught.value.events == []


def test_many_short_lines_in_one_chunk_are_not_one_long_line() -> None:
    """The cap is per line and per event, not per chunk."""
    decoder = SSEDecoder(max_size=1024)
    blob = b"".join(b"data: %d\n\n" % n for n in range(1000))
    assert len(blob) > 1024
    assert [e.data for e in decoder.feed(blob)] == [str(n) for n in range(1000)]


def _lines(blob: bytes) -> list[bytes]:
    if blob.startswith(b"\xef\xbb\xbf"):
        blob = blob[3:]
    return blob.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")


def _utf8_size(raw: bytes) -> int:
    return len(raw.decode("utf-8", "replace").encode())


def _over_cap(blob: bytes, events: list[ServerSentEvent], cap: int) -> bool:
    """Whether the cap's definition refuses this stream, from the uncapped decoder's view."""
    if any(len(e.data.encode()) > cap for e in events):
        return True
    for line in _lines(blob):
        name = line.partition(b":")[0]
        if name != b"data" and _utf8_size(line) > cap:
            return True
    return False


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from([b"data: ", b"data:", b": ", b"event: ", b"x" * 40, b"\n"])).map(
            b"".join
        )
        | st.binary(max_size=120),
        max_size=12,
    ),
    st.integers(1, 400),
)
def test_the_cap_refuses_exactly_what_its_definition_says(chunks: list[bytes], cap: int) -> None:
    """For any stream and cap: the events of the uncapped decoder, or an error, by the rule."""
    blob = b"".join(chunks)
    uncapped = decode_chunks(chunks)
    capped = SSEDecoder(max_size=cap)
    events: list[ServerSentEvent] = []
    try:
        for chunk in chunks:
            events += capped.feed(chunk)
        events += capped.flush()
    except EventTooLargeError as exc:
        events += exc.events
        assert _over_cap(blob, uncapped, cap)
        assert events == uncapped[: len(events)]  # what came before the excess, in order
    else:
        assert not _over_cap(blob, uncapped, cap)
        assert events == uncapped
