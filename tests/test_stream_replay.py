"""A stream keeps its events: a loop after the end replays them, a loop after a break goes on.

The rules, for ``ResponseStream`` and ``AsyncResponseStream`` alike:

- a loop picks up where the previous one stopped (after a ``break``, the next event);
- a loop over a stream read to its end (by a loop or by ``get_final_response()``) replays
  every event from the first, from memory, then raises the stream's error if it had one;
- a loop over a stream closed before its end raises ``RuntimeError`` (never zero events in
  silence).
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


def test_a_loop_after_the_end_replays_every_event(api: Api, server: FakeCodexServer) -> None:
    """The 0.2.2 promise: a consumed stream can be iterated again, from memory."""
    _queue(server)
    stream = Stream(api)
    first = stream.loop()
    assert isinstance(first[-1], c.ResponseCompletedEvent)
    second = stream.loop()
    third = stream.loop()
    assert second == first
    assert third == first
    assert all(a is b for a, b in zip(first, second, strict=True))  # the same objects
    assert stream.deltas() == DELTAS
    assert stream.final().output_text == "".join(DELTAS)
    stream.close()
    assert stream.loop() == first  # closing after the end keeps the events
    assert len(server.requests) == 1  # no new request


def test_a_loop_after_get_final_response_replays_every_event(
    api: Api, server: FakeCodexServer
) -> None:
    """get_final_response() reads the stream to its end: a loop then gets all of it."""
    _queue(server)
    stream = Stream(api)
    final = stream.final()
    events = stream.loop()
    assert any(isinstance(e, c.ResponseCreatedEvent) for e in events)
    assert isinstance(events[-1], c.ResponseCompletedEvent)
    deltas = [e.delta for e in events if isinstance(e, c.ResponseOutputTextDeltaEvent)]
    assert deltas == DELTAS
    assert "".join(deltas) == final.output_text
    assert stream.deltas() == DELTAS
    assert stream.final() == final
    stream.close()


def test_break_then_a_new_loop_goes_on_with_the_next_event(
    api: Api, server: FakeCodexServer
) -> None:
    """Partly read, break, loop again: the rest, from the next event on (no event twice, none
    lost); once the end is reached, a further loop replays all of it."""
    _queue(server)
    stream = Stream(api, use_create=False)
    head = stream.loop(limit=3)
    assert len(head) == 3
    rest = stream.loop()
    assert isinstance(rest[-1], c.ResponseCompletedEvent)
    assert head[-1] is not rest[0]
    everything = stream.loop()
    assert everything == head + rest
    assert [e.delta for e in everything if isinstance(e, c.ResponseOutputTextDeltaEvent)] == DELTAS
    stream.close()


def test_break_then_get_final_response_then_a_loop_replays_all(
    api: Api, server: FakeCodexServer
) -> None:
    """A break, then get_final_response() drains the rest: the next loop replays everything."""
    _queue(server)
    stream = Stream(api)
    head = stream.loop(limit=2)
    final = stream.final()
    everything = stream.loop()
    assert everything[:2] == head
    assert isinstance(everything[-1], c.ResponseCompletedEvent)
    assert final.output_text == "".join(DELTAS)
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


def test_a_failed_stream_replays_what_arrived_then_raises_again(
    api: Api, server: FakeCodexServer
) -> None:
    """Events, then the error: a replay ends as the stream did (the same exception)."""
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
    assert got
    assert [e.delta for e in got if isinstance(e, c.ResponseOutputTextDeltaEvent)]
    replayed: list[Any] = []
    with pytest.raises(c.ServerError) as again:
        if api.mode == "sync":
            for event in stream.stream:
                replayed.append(event)
        else:

            async def go_again() -> None:
                async for event in stream.stream:
                    replayed.append(event)

            api.run(go_again())
    assert replayed == got
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
