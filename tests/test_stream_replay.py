"""Iterating a stream again: never zero events in silence.

The rules, for ``ResponseStream`` and ``AsyncResponseStream`` alike:

- a loop picks up where the previous one stopped (after a ``break``, the next event);
- events are not kept once handed out (keeping them cost ~0.6 KB per event per live stream:
  1.7x the peak memory of 100 concurrent streams), so a new loop over a stream read
  to its end (by a loop or by ``get_final_response()``) raises ``RuntimeError`` saying so;
- so does a new loop over a stream closed before its end;
- a stream that ended with an error raises that error again.
"""

from __future__ import annotations

from typing import Any

import pytest

import codex_open_client as c
from codex_open_client.testing import FakeCodexServer, failed_reply, message, reply

from .conftest import BASE, Api

DELTAS = ["one ", "two ", "three ", "four ", "five"]


def _queue(server: FakeCodexServer) -> None:
    server.queue(reply(message("".join(DELTAS), deltas=DELTAS)))


class Stream:
    """One stream of ``api``'s client, with blocking helpers in either mode."""

    def __init__(self, api: Api, *, use_create: bool = True) -> None:
        self.api = api
        if api.mode == "sync":
            if use_create:
                self.stream: Any = api.sync.responses.create(stream=True, **BASE)
            else:
                self.stream = api.sync.responses.stream(**BASE).__enter__()
        elif use_create:
            self.stream = api.run(api.aclient.responses.create(stream=True, **BASE))
        else:
            self.stream = api.run(api.aclient.responses.stream(**BASE).__aenter__())

    def loop(self, limit: int | None = None) -> list[Any]:
        """One ``for`` / ``async for`` loop, left with ``break`` after ``limit`` events."""
        if self.api.mode == "sync":
            out = []
            for event in self.stream:
                out.append(event)
                if limit is not None and len(out) >= limit:
                    break
            return out

        async def go() -> list[Any]:
            out = []
            async for event in self.stream:
                out.append(event)
                if limit is not None and len(out) >= limit:
                    break
            return out

        return self.api.run(go())  # type: ignore[no-any-return]

    def deltas(self) -> list[str]:
        if self.api.mode == "sync":
            return list(self.stream.text_deltas())

        async def go() -> list[str]:
            return [delta async for delta in self.stream.text_deltas()]

        return self.api.run(go())  # type: ignore[no-any-return]

    def final(self) -> c.Response:
        if self.api.mode == "sync":
            return self.stream.get_final_response()  # type: ignore[no-any-return]
        return self.api.run(self.stream.get_final_response())  # type: ignore[no-any-return]

    def close(self) -> None:
        if self.api.mode == "sync":
            self.stream.close()
        else:
            self.api.run(self.stream.aclose())


def _raises_already_read(call: Any) -> None:
    with pytest.raises(RuntimeError, match=r"already read to its end.*events = list"):
        call()


def test_a_loop_after_the_end_says_the_stream_was_read(api: Api, server: FakeCodexServer) -> None:
    """The second loop raises a clear RuntimeError (it yielded nothing, silently)."""
    _queue(server)
    stream = Stream(api)
    first = stream.loop()
    assert isinstance(first[-1], c.ResponseCompletedEvent)
    _raises_already_read(stream.loop)
    _raises_already_read(stream.deltas)
    assert stream.final().output_text == "".join(DELTAS)  # the response stays available
    assert stream.stream.response.output_text == "".join(DELTAS)
    stream.close()
    _raises_already_read(stream.loop)
    assert len(server.requests) == 1  # no new request


def test_a_loop_after_get_final_response_says_so(api: Api, server: FakeCodexServer) -> None:
    """get_final_response() reads the stream to its end: a loop then says so."""
    _queue(server)
    stream = Stream(api)
    final = stream.final()
    assert final.output_text == "".join(DELTAS)
    _raises_already_read(stream.loop)
    _raises_already_read(stream.deltas)
    assert stream.final() == final
    stream.close()


def test_break_then_a_new_loop_goes_on_with_the_next_event(
    api: Api, server: FakeCodexServer
) -> None:
    """Partly read, break, loop again: the rest, from the next event on (no event twice, none
    lost); once the end is reached, a further loop says so."""
    _queue(server)
    stream = Stream(api, use_create=False)
    head = stream.loop(limit=3)
    assert len(head) == 3
    middle = stream.loop(limit=2)
    rest = stream.loop()
    assert isinstance(rest[-1], c.ResponseCompletedEvent)
    everything = head + middle + rest
    assert len({id(event) for event in everything}) == len(everything)
    assert [e.delta for e in everything if isinstance(e, c.ResponseOutputTextDeltaEvent)] == DELTAS
    _raises_already_read(stream.loop)
    stream.close()


def test_break_then_get_final_response(api: Api, server: FakeCodexServer) -> None:
    """A break, then get_final_response() reads the rest: the response is whole."""
    _queue(server)
    stream = Stream(api)
    assert len(stream.loop(limit=2)) == 2
    assert stream.final().output_text == "".join(DELTAS)
    _raises_already_read(stream.loop)
    stream.close()


def test_a_stream_closed_before_its_end_refuses_a_new_loop(
    api: Api, server: FakeCodexServer
) -> None:
    """Closed after a break: a new loop (or text_deltas()) says so instead of yielding nothing."""
    _queue(server)
    stream = Stream(api, use_create=False)
    assert len(stream.loop(limit=2)) == 2
    stream.close()
    with pytest.raises(RuntimeError, match="closed before its end"):
        stream.loop()
    with pytest.raises(RuntimeError, match="closed before its end"):
        stream.deltas()


def test_a_failed_stream_raises_its_error_again(api: Api, server: FakeCodexServer) -> None:
    """Events, then the error; a new loop raises the same error again."""
    server.queue(failed_reply("server_error", "boom", after_text="alpha beta gamma"))
    stream = Stream(api)
    got: list[Any] = []
    with pytest.raises(c.ServerError) as first:
        if api.mode == "sync":
            for event in stream.stream:
                got.append(event)
        else:

            async def go() -> None:
                async for event in stream.stream:
                    got.append(event)

            api.run(go())
    assert [e.delta for e in got if isinstance(e, c.ResponseOutputTextDeltaEvent)]
    with pytest.raises(c.ServerError) as again:
        stream.loop()
    assert again.value is first.value
    with pytest.raises(c.ServerError):
        stream.final()
    stream.close()
    assert len(server.requests) == 1


def test_the_headers_stay_after_the_end(api: Api, server: FakeCodexServer) -> None:
    """stream.headers is still there once the stream has ended (it was emptied)."""
    _queue(server)
    stream = Stream(api)
    stream.final()
    assert stream.stream.headers["x-request-id"]
    stream.close()
    assert stream.stream.headers["x-request-id"]
