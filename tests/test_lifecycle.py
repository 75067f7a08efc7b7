"""Resource, thread and cancellation behaviour specific to each client."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import gc
import json
import os
import re
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import codex_open_client as c
from codex_open_client.testing import (
    FakeCodexServer,
    function_call,
    message,
    reply,
    text_reply,
)

from .conftest import BASE
from .test_client import wait_for


def sync_client(server: FakeCodexServer, **kwargs: Any) -> c.Client:
    return c.Client(
        access_token=server.access_token,
        account_id=server.account_id,
        base_url=server.url,
        **kwargs,
    )


def async_client(server: FakeCodexServer, **kwargs: Any) -> c.AsyncClient:
    return c.AsyncClient(
        access_token=server.access_token,
        account_id=server.account_id,
        base_url=server.url,
        **kwargs,
    )


def test_constructing_a_client_does_no_io_and_starts_no_thread(server: FakeCodexServer) -> None:
    """Client() stores settings only: no thread, no request, until the first call."""
    threads = threading.active_count()
    client = sync_client(server)
    assert threading.active_count() == threads
    assert server.requests == []
    client.close()
    assert threading.active_count() == threads


def test_close_stops_the_loop_thread(server: FakeCodexServer) -> None:
    """The client's helper thread starts on first use and is gone after close()."""
    with sync_client(server) as client:
        client.responses.create(**BASE)
        names = [t.name for t in threading.enumerate()]
        assert any("codex-open-client" in name for name in names)
    assert wait_for(lambda: not any("codex-open-client" in t.name for t in threading.enumerate()))


def test_sync_stream_crosses_threads_once_per_chunk_not_per_event(server: FakeCodexServer) -> None:
    """2,000 deltas arrive in a few batches: one thread crossing per network chunk."""
    deltas = [f"d{i} " for i in range(2000)]
    server.queue(reply(message("".join(deltas), deltas=deltas)))
    with sync_client(server) as client, client.responses.stream(**BASE) as stream:
        batches: list[list[Any]] = []  # kept alive, so identities are never reused
        count = 0
        for _ in stream:
            if not batches or stream._batch is not batches[-1]:
                batches.append(stream._batch)
            count += 1
        assert stream.get_final_response().output_text == "".join(deltas)
    assert count > 2000
    assert len(batches) < count / 20


@pytest.fixture
def sigint_raises() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt here even when SIGINT is inherited as ignored.

    A shell starts background jobs with SIGINT ignored, and Python then keeps it ignored.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("sigint_raises")
def test_ctrl_c_during_a_sync_call_closes_the_connection(server: FakeCodexServer) -> None:
    """KeyboardInterrupt while waiting: the call is cancelled and its connection closed."""
    server.queue(text_reply("never finished").pause(30, after=2))
    before = server.disconnects
    with sync_client(server) as client:
        main = threading.get_ident()
        timer = threading.Timer(0.5, signal.pthread_kill, (main, signal.SIGINT))
        timer.start()
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            client.responses.create(**BASE)
        assert time.monotonic() - started < 10
        assert wait_for(lambda: server.disconnects == before + 1)
        server.queue(text_reply("still usable"))
        assert client.responses.create(**BASE).output_text == "still usable"


def test_sync_client_works_inside_a_running_event_loop(server: FakeCodexServer) -> None:
    """Inside async code the client's own thread runs the call, so the sync client works."""

    async def main() -> str:
        with sync_client(server) as client:
            response: c.Response = client.responses.create(**BASE)  # **BASE: no overload picked
            return response.output_text

    server.queue(text_reply("from inside"))
    assert asyncio.run(main()) == "from inside"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX only")
def test_sync_client_after_fork(server: FakeCodexServer) -> None:
    """A forked child starts its own loop instead of waiting on the parent's thread."""
    server.queue(text_reply("parent"), text_reply("child"))
    with sync_client(server) as client:
        assert client.responses.create(**BASE).output_text == "parent"
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            code = 1
            try:
                code = 0 if client.responses.create(**BASE).output_text == "child" else 2
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        server.queue(text_reply("parent again"))
        assert client.responses.create(**BASE).output_text == "parent again"


def test_unclosed_client_warns_and_stops_its_thread(server: FakeCodexServer) -> None:
    """A Client dropped without close() emits a ResourceWarning and stops its loop."""
    client = sync_client(server)
    client.responses.create(**BASE)
    with pytest.warns(ResourceWarning, match="was not closed"):
        del client
        gc.collect()
    assert wait_for(lambda: not any("codex-open-client" in t.name for t in threading.enumerate()))


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_unclosed_client_stops_its_thread_when_warnings_are_errors(
    server: FakeCodexServer,
) -> None:
    """Under -W error the ResourceWarning raises; the client's thread must still stop."""
    client = sync_client(server)
    client.responses.create(**BASE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        del client
        gc.collect()
    assert wait_for(lambda: not any("codex-open-client" in t.name for t in threading.enumerate()))


def test_cancelling_an_async_task_closes_the_connection(server: FakeCodexServer) -> None:
    """Cancelling a task mid-stream releases the connection and leaves no task behind."""
    server.queue(text_reply("slow").pause(30, after=3))
    before = server.disconnects

    async def main() -> None:
        async with async_client(server) as client:

            async def consume() -> None:
                async with client.responses.stream(**BASE) as stream:
                    async for _ in stream:
                        pass

            task = asyncio.create_task(consume())
            await asyncio.sleep(0.5)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert asyncio.all_tasks() == {asyncio.current_task()}

    asyncio.run(main())
    assert wait_for(lambda: server.disconnects == before + 1)


def test_async_client_is_bound_to_its_first_loop(server: FakeCodexServer) -> None:
    """Using one AsyncClient from a second event loop is a clear RuntimeError."""
    client = async_client(server)
    first, second = asyncio.new_event_loop(), asyncio.new_event_loop()
    try:
        assert first.run_until_complete(client.responses.create(**BASE)).output_text
        with pytest.raises(RuntimeError, match="event loop"):
            second.run_until_complete(client.responses.create(**BASE))
        first.run_until_complete(client.aclose())
    finally:
        first.close()
        second.close()


def test_async_create_stream_true_raises_http_errors_from_create(server: FakeCodexServer) -> None:
    """With stream=True the request is sent by create itself, so HTTP errors raise there."""
    from codex_open_client.testing import http_error

    server.queue(http_error(400, {"detail": "Stream must be set to true"}))

    async def main() -> None:
        async with async_client(server) as client:
            with pytest.raises(c.InvalidRequestError, match="Stream must be set to true"):
                await client.responses.create(stream=True, **BASE)
            assert len(server.requests) == 1

    asyncio.run(main())


def test_demo_command_streams_an_answer_offline() -> None:
    """`python -m codex_open_client demo` streams from the embedded fake and prints usage."""
    import subprocess
    import sys

    from codex_open_client.__main__ import DEMO_ANSWER

    result = subprocess.run(
        [sys.executable, "-W", "error", "-m", "codex_open_client", "demo", "--delay", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert DEMO_ANSWER in result.stdout
    assert "usage: " in result.stdout and " total" in result.stdout
    assert result.stderr == ""


def test_closing_the_client_ends_a_stream_being_read(server: FakeCodexServer) -> None:
    """close() from another thread wakes the reader with StreamError; nothing hangs."""
    server.queue(text_reply("half").pause(30, after=3))
    client = sync_client(server)
    stream = client.responses.create(stream=True, **BASE)
    errors: list[BaseException] = []

    def read() -> None:
        try:
            for _ in stream:
                pass
        except BaseException as exc:
            errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.3)
    client.close()
    reader.join(10)
    assert not reader.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], c.StreamError)
    assert "client was closed" in str(errors[0])


def test_closing_the_async_client_ends_a_stream_being_read(server: FakeCodexServer) -> None:
    """aclose() while another task reads: the reader gets StreamError, promptly."""
    server.queue(text_reply("half").pause(30, after=3))

    async def main() -> None:
        client = async_client(server)
        stream = await client.responses.create(stream=True, **BASE)

        async def read() -> None:
            async for _ in stream:
                pass

        task = asyncio.create_task(read())
        await asyncio.sleep(0.3)
        await client.aclose()
        with pytest.raises(c.StreamError, match="client was closed"):
            await asyncio.wait_for(task, 10)
        with pytest.raises(RuntimeError, match="closed"):
            async with client.responses.stream(**BASE):
                pass

    asyncio.run(main())


def test_a_stream_made_before_close_cannot_open_after_it(server: FakeCodexServer) -> None:
    """A stream created, then its client closed, fails to open: no new session is made."""

    async def main() -> None:
        client = async_client(server)
        stream = client.responses.stream(**BASE)
        await client.aclose()
        with pytest.raises(RuntimeError, match="closed"):
            async with stream:
                pass

    asyncio.run(main())
    assert server.requests == []


def test_closing_a_stream_from_another_thread_ends_iteration(server: FakeCodexServer) -> None:
    """stream.close() while another thread iterates: that loop simply ends."""
    server.queue(text_reply("half").pause(30, after=3))
    with sync_client(server) as client:
        stream = client.responses.create(stream=True, **BASE)
        seen: list[Any] = []
        reader = threading.Thread(target=lambda: seen.extend(stream))
        reader.start()
        time.sleep(0.3)
        stream.close()
        reader.join(10)
        assert not reader.is_alive()
        assert seen and isinstance(seen[0], c.CodexRateLimitsEvent)


def test_one_stream_is_read_from_one_place_at_a_time(server: FakeCodexServer) -> None:
    """A second concurrent reader gets a RuntimeError that says why."""
    server.queue(text_reply("slow").pause(1, after=1))

    async def main() -> None:
        async with async_client(server) as client, client.responses.stream(**BASE) as stream:
            first = asyncio.create_task(stream.get_final_response())
            await asyncio.sleep(0.2)
            with pytest.raises(RuntimeError, match="already being read"):
                await stream.__anext__()
            assert (await first).output_text

    asyncio.run(main())


def test_bare_async_loop_cancelled_releases_the_connection(server: FakeCodexServer) -> None:
    """No context manager: cancelling the task reading the stream still closes it."""
    server.queue(text_reply("slow").pause(30, after=3))
    before = server.disconnects

    async def main() -> None:
        async with async_client(server) as client:
            stream = await client.responses.create(stream=True, **BASE)

            async def consume() -> None:
                async for _ in stream:
                    pass

            task = asyncio.create_task(consume())
            await asyncio.sleep(0.3)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(main())
    assert server.wait_for_disconnects(before + 1, timeout=5) == before + 1


@pytest.mark.usefixtures("sigint_raises")
def test_ctrl_c_while_iterating_without_with_closes_the_connection(server: FakeCodexServer) -> None:
    """KeyboardInterrupt in a bare sync loop: the connection is closed right away."""
    server.queue(text_reply("slow").pause(30, after=3))
    before = server.disconnects
    with sync_client(server) as client:
        stream = client.responses.create(stream=True, **BASE)
        timer = threading.Timer(0.3, signal.pthread_kill, (threading.get_ident(), signal.SIGINT))
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            for _ in stream:
                pass
        assert wait_for(lambda: server.disconnects == before + 1)


def test_an_error_body_sent_in_pieces_is_read_whole() -> None:
    """A 400 body written in two pieces is read completely before it is mapped."""
    from aiohttp import web

    body = json.dumps({"error": {"code": "context_length_exceeded", "message": "Too long"}})

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=400, headers={"Content-Type": "application/json"})
        await response.prepare(request)
        await response.write(body[:20].encode())
        await asyncio.sleep(0.2)
        await response.write(body[20:].encode())
        await response.write_eof()
        return response

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/codex/responses", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            async with c.AsyncClient(
                access_token="t", base_url=f"http://127.0.0.1:{port}/codex"
            ) as client:
                with pytest.raises(c.ContextWindowError, match="Too long"):
                    await client.responses.create(**BASE)
        finally:
            await runner.cleanup()

    asyncio.run(main())


# ---------------------------------------------------------------- who runs the sync client's loop
# A sync call runs the loop in its own thread when no other thread is running it; otherwise it
# hands its coroutine to the thread that is, and the helper thread takes over what is left.


def run_in_thread(
    target: Any, name: str
) -> tuple[threading.Thread, list[Any], list[BaseException]]:
    """Start ``target()`` in a thread; its result or exception lands in the lists."""
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(target())
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread, results, errors


class LoopHolder:
    """A thread reading a held stream: it runs the client's loop, waiting, until release()."""

    def __init__(self, client: c.Client, server: FakeCodexServer) -> None:
        self.gate = threading.Event()
        first = threading.Event()
        server.queue(text_reply("held").hold(self.gate, after=1))

        def read() -> list[Any]:
            events = []
            try:
                with client.responses.stream(**BASE) as stream:
                    for event in stream:
                        events.append(event)
                        first.set()
            finally:
                first.set()
            return events

        self.thread, self.results, self.errors = run_in_thread(read, "holder")
        assert first.wait(10)
        owner = client._portal.get()._owner
        # The reader is in its next call, which waits for the gate: it holds the loop.
        assert wait_for(owner.locked) and self.thread.is_alive() and not self.errors

    def release(self) -> list[Any]:
        """Let the held stream finish; its events."""
        self.gate.set()
        self.thread.join(10)
        assert not self.thread.is_alive() and not self.errors
        events: list[Any] = self.results[0]
        assert isinstance(events[-1], c.ResponseCompletedEvent)
        return events


async def where(note: str) -> str:
    """Tell which thread runs this.

    Args:
        note: Anything.
    """
    return threading.current_thread().name


def tool_turn(server: FakeCodexServer, name: str, **arguments: Any) -> None:
    """Queue one call of tool ``name``, then a final answer."""
    server.queue(reply(function_call(name, arguments, call_id="c1")), text_reply("done"))


def tool_output(server: FakeCodexServer) -> Any:
    """What the last tool call returned, as sent back to the model."""
    body = server.requests[-1].json
    return next(i["output"] for i in body["input"] if i["type"] == "function_call_output")


def test_a_sync_call_runs_the_loop_in_the_calling_thread(server: FakeCodexServer) -> None:
    """No thread hop: with no other call in progress, the caller's own thread runs the call."""
    with sync_client(server) as client:
        tool_turn(server, "where", note="main")
        assert client.responses.run_tools(**BASE, tools=[where]).output_text == "done"
        assert tool_output(server) == threading.current_thread().name

        def from_a_worker() -> str:
            tool_turn(server, "where", note="worker")
            client.responses.run_tools(**BASE, tools=[where])
            return str(tool_output(server))

        thread, results, errors = run_in_thread(from_a_worker, "worker")
        thread.join(10)
        assert errors == [] and results == ["worker"]


def test_several_threads_share_one_client() -> None:
    """Eight threads at once, each with its own creates and stream: every answer is its own."""

    def echo(request: Any) -> Any:
        return text_reply("echo " + request.json["input"][0]["content"][0]["text"])

    with FakeCodexServer() as own:
        own.default_reply = echo
        with sync_client(own) as client:

            def work(n: int) -> list[str]:
                barrier.wait(10)
                texts = [
                    client.responses.create(**{**BASE, "input": f"{n}.{i}"}).output_text
                    for i in range(3)
                ]
                with client.responses.stream(**{**BASE, "input": f"{n}.s"}) as stream:
                    texts.append("".join(stream.text_deltas()))
                return texts

            barrier = threading.Barrier(8)
            runs = [run_in_thread(functools.partial(work, n), f"user-{n}") for n in range(8)]
            for thread, _, _ in runs:
                thread.join(30)
            for n, (thread, results, errors) in enumerate(runs):
                assert not thread.is_alive() and errors == []
                assert results == [[f"echo {n}.0", f"echo {n}.1", f"echo {n}.2", f"echo {n}.s"]]
        assert len(own.requests) == 32
    assert wait_for(lambda: not any("codex-open-client" in t.name for t in threading.enumerate()))


def test_a_call_handed_to_a_busy_thread_is_finished_by_the_helper(server: FakeCodexServer) -> None:
    """A call made while another thread runs the loop runs there; when that thread is done,
    the helper thread runs the rest of it."""
    started, proceed = threading.Event(), threading.Event()
    names: list[str] = []

    async def probe(note: str) -> str:
        """Wait for the test.

        Args:
            note: Anything.
        """
        import anyio.to_thread

        names.append(threading.current_thread().name)
        started.set()
        await anyio.to_thread.run_sync(proceed.wait)
        names.append(threading.current_thread().name)
        return "probed"

    with sync_client(server) as client:
        holder = LoopHolder(client, server)
        tool_turn(server, "probe", note="x")

        def finish_the_holder_then_proceed() -> None:
            assert started.wait(10)
            holder.release()
            proceed.set()

        controller, _, errors = run_in_thread(finish_the_holder_then_proceed, "controller")
        result = client.responses.run_tools(**BASE, tools=[probe])
        controller.join(10)
        assert errors == []
        assert result.output_text == "done" and tool_output(server) == "probed"
        assert names == ["holder", "codex-open-client"]


def test_one_sync_stream_is_read_from_one_thread_at_a_time(server: FakeCodexServer) -> None:
    """A second thread reading a stream that another thread is reading gets a RuntimeError."""
    gate = threading.Event()
    server.queue(text_reply("shared").hold(gate, after=1))
    with sync_client(server) as client:
        shared = client.responses.create(stream=True, **BASE)
        first = threading.Event()

        def read() -> int:
            count = 0
            for _ in shared:
                count += 1
                first.set()
            return count

        reader, results, errors = run_in_thread(read, "reader")
        assert first.wait(10)
        assert wait_for(client._portal.get()._owner.locked)
        with pytest.raises(RuntimeError, match="already being read"):
            next(shared)
        gate.set()
        reader.join(10)
        assert errors == [] and results[0] > 1
        shared.close()


@pytest.mark.usefixtures("sigint_raises")
def test_ctrl_c_while_another_thread_runs_the_loop_closes_the_connection(
    server: FakeCodexServer,
) -> None:
    """KeyboardInterrupt while a handed-over call waits: that call is cancelled and its
    connection closed; the other thread's stream goes on."""
    with sync_client(server) as client:
        holder = LoopHolder(client, server)
        before = server.disconnects
        server.queue(text_reply("never finished").pause(30, after=2))
        timer = threading.Timer(0.5, signal.pthread_kill, (threading.get_ident(), signal.SIGINT))
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            client.responses.create(**BASE)
        assert wait_for(lambda: server.disconnects == before + 1)
        assert holder.thread.is_alive()
        assert "".join(e.delta for e in holder.release() if hasattr(e, "delta")) == "held"
        server.queue(text_reply("still usable"))
        assert client.responses.create(**BASE).output_text == "still usable"
    assert server.disconnects == before + 1


def test_ctrl_c_under_another_sigint_handler_closes_the_connection(
    server: FakeCodexServer,
) -> None:
    """Under an application's SIGINT handler (which may raise anywhere) the helper thread runs
    the calls: Ctrl-C still cancels the call, closes its connection, and the client stays
    usable."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, handler)
    try:
        server.queue(text_reply("never finished").pause(30, after=2))
        before = server.disconnects
        with sync_client(server) as client:
            timer = threading.Timer(
                0.5, signal.pthread_kill, (threading.get_ident(), signal.SIGINT)
            )
            timer.start()
            with pytest.raises(KeyboardInterrupt):
                client.responses.create(**BASE)
            assert wait_for(lambda: server.disconnects == before + 1)
            assert signal.getsignal(signal.SIGINT) is handler
            server.queue(text_reply("still usable"))
            assert client.responses.create(**BASE).output_text == "still usable"
            tool_turn(server, "where", note="x")
            client.responses.run_tools(**BASE, tools=[where])
            assert tool_output(server) == "codex-open-client"
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("sigint_raises")
def test_a_sync_call_restores_the_sigint_handler(server: FakeCodexServer) -> None:
    """The handler that turns Ctrl-C into a cancellation is only there during a call."""
    with sync_client(server) as client:
        client.responses.create(**BASE)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        with client.responses.stream(**BASE) as stream:
            assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
            assert stream.get_final_response().output_text
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX only")
def test_fork_while_another_thread_runs_the_loop(server: FakeCodexServer) -> None:
    """A child forked while a thread of the parent runs the loop uses a loop of its own."""
    with sync_client(server) as client:
        holder = LoopHolder(client, server)
        server.queue(text_reply("child"))
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            code = 1
            try:
                code = 0 if client.responses.create(**BASE).output_text == "child" else 2
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        holder.release()
        server.queue(text_reply("parent again"))
        assert client.responses.create(**BASE).output_text == "parent again"


def test_a_client_called_from_its_own_loop_refuses(server: FakeCodexServer) -> None:
    """An async tool calling the sync client would wait for itself: a clear RuntimeError."""
    with sync_client(server) as client:

        async def reenter(note: str) -> str:
            """Call the sync client from inside its own loop.

            Args:
                note: Anything.
            """
            response: c.Response = client.responses.create(**BASE)  # **BASE: no overload picked
            return response.output_text

        server.queue(reply(function_call("reenter", {"note": "x"}, call_id="c1")))
        with pytest.raises(RuntimeError, match="its own event loop"):
            client.responses.run_tools(**BASE, tools=[reenter], raise_tool_errors=True)
        server.queue(text_reply("still usable"))
        assert client.responses.create(**BASE).output_text == "still usable"


def test_the_callers_context_variables_reach_the_call(server: FakeCodexServer) -> None:
    """Context variables set by the caller are seen by the call, run here or handed over."""
    request_tag: contextvars.ContextVar[str] = contextvars.ContextVar("request_tag")

    async def tag(note: str) -> str:
        """The caller's tag.

        Args:
            note: Anything.
        """
        return request_tag.get("unset")

    with sync_client(server) as client:
        request_tag.set("from the main thread")
        tool_turn(server, "tag", note="x")
        client.responses.run_tools(**BASE, tools=[tag])
        assert tool_output(server) == "from the main thread"

        async def inside_a_loop() -> None:  # a thread with its own loop: handed over
            request_tag.set("from a coroutine")
            tool_turn(server, "tag", note="x")
            client.responses.run_tools(**BASE, tools=[tag])

        asyncio.run(inside_a_loop())
        assert tool_output(server) == "from a coroutine"


def test_a_short_sync_stream_makes_one_call_per_step(server: FakeCodexServer) -> None:
    """Open, then one call per batch of events: the end of the stream, close() and
    get_final_response() need no further call onto the loop."""
    with sync_client(server) as client:
        client.responses.create(**BASE)  # the loop exists from here on
        loop = client._portal.get()
        calls: list[str] = []
        run = loop.call

        def counting(func: Any, args: tuple[Any, ...]) -> Any:
            calls.append(getattr(func, "__name__", type(func).__name__))
            return run(func, args)

        loop.call = counting  # type: ignore[method-assign]
        server.queue(text_reply("short and sweet"))
        batches: list[list[Any]] = []  # kept alive, so identities are never reused
        events = []
        with client.responses.stream(**BASE) as stream:
            for event in stream:
                if not batches or stream._batch is not batches[-1]:
                    batches.append(stream._batch)
                events.append(event)
            with pytest.raises(RuntimeError, match="already read to its end"):
                list(stream)  # says so, without a call onto the loop
            final = stream.get_final_response()
        stream.close()
        assert calls == ["_open"] + ["_next_batch"] * len(batches)
        assert isinstance(events[-1], c.ResponseCompletedEvent)
        assert final.output_text == "short and sweet" == stream.response.output_text
        assert final.id == events[-1].response.id


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX only")
def test_a_child_dropping_an_unclosed_client_leaves_the_parents_connections(
    server: FakeCodexServer,
) -> None:
    """The safety net of an unclosed Client, in a forked child, closes the child's
    AsyncClient, never the one the parent still uses."""
    client = sync_client(server)
    server.queue(text_reply("parent"), text_reply("child"))
    assert client.responses.create(**BASE).output_text == "parent"
    parents = client._async
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            childs = None
            if client.responses.create(**BASE).output_text == "child":
                childs = client._async
            del client
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ResourceWarning)
                gc.collect()
            code = 0 if childs is not None and childs._closed and not parents._closed else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    server.queue(text_reply("parent again"))
    assert client.responses.create(**BASE).output_text == "parent again"
    client.close()
    assert parents._closed


def test_a_stop_request_left_in_the_loop_does_not_cut_the_next_call_short(
    server: FakeCodexServer,
) -> None:
    """An exception that leaves the loop right after a call completed leaves that run's stop
    request queued; the next call must run to its end anyway."""
    with sync_client(server) as client:
        client.responses.create(**BASE)
        loop = client._portal.get().loop
        loop.call_soon(loop.stop)
        server.queue(text_reply("whole"))
        assert client.responses.create(**BASE).output_text == "whole"
        loop.call_soon(loop.stop)
        server.queue(text_reply("streamed whole"))
        with client.responses.stream(**BASE) as stream:
            assert "".join(stream.text_deltas()) == "streamed whole"


def test_system_exit_inside_the_loop_cleans_up_and_propagates(server: FakeCodexServer) -> None:
    """SystemExit raised inside the loop (here by an async tool) ends the call's task cleanly
    before propagating; the client stays usable."""
    with sync_client(server) as client:

        async def leave(note: str) -> str:
            """Exit.

            Args:
                note: Anything.
            """
            raise SystemExit(3)

        server.queue(reply(function_call("leave", {"note": "x"}, call_id="c1")))
        with pytest.raises(SystemExit):
            client.responses.run_tools(**BASE, tools=[leave])
        assert asyncio.all_tasks(client._portal.get().loop) == set()
        server.queue(text_reply("still usable"))
        assert client.responses.create(**BASE).output_text == "still usable"


def test_closed_clients_and_copies_say_which_one_is_closed(server: FakeCodexServer) -> None:
    """A closed Client, a closed with_options() copy and a copy whose origin is closed each
    refuse calls with their own message (a copy closed itself first keeps its own); close()
    is idempotent and a closed client's loop never starts again."""
    closed = re.escape(
        "This Client is closed; create a new one (tip: `with Client(...) as client:`)"
    )
    origin_closed = re.escape(
        "The Client this one was made from with with_options() is closed, and with it the "
        "connections they shared; create a new one"
    )
    client = sync_client(server)
    copy = client.with_options(max_retries=0)
    other = client.with_options(timeout=30)
    server.queue(text_reply("from the copy"))
    assert copy.responses.create(**BASE).output_text == "from the copy"
    copy.close()
    copy.close()
    with pytest.raises(RuntimeError, match=f"^{closed}$"):
        copy.responses.create(**BASE)
    with pytest.raises(RuntimeError, match=f"^{closed}$"):
        copy.__enter__()
    server.queue(text_reply("still open"))
    assert client.responses.create(**BASE).output_text == "still open"
    client.close()
    client.close()
    calls: list[Callable[[], object]] = [client.usage, client.with_options, copy.models.list]
    for call in calls:
        with pytest.raises(RuntimeError, match=f"^{closed}$"):
            call()
    calls = [
        other.usage,
        other.with_options,
        lambda: other.conversation(model="m", instructions=""),
    ]
    for call in calls:
        with pytest.raises(RuntimeError, match=f"^{origin_closed}$"):
            call()
    with pytest.raises(RuntimeError, match=f"^{closed}$"):
        client.__enter__()
    with pytest.raises(RuntimeError, match=f"^{origin_closed}$"):
        other.__enter__()
    assert not client._portal.running
    with pytest.raises(RuntimeError, match="closed"):
        client._portal.get()  # nothing may start a loop again (a call racing close())
    other.close()
    assert len(server.requests) == 2


def test_closed_async_clients_and_copies_say_which_one_is_closed(server: FakeCodexServer) -> None:
    """The async twin: the same guard (``_check_open``) and messages for calls and for
    ``async with``, on a closed AsyncClient, a closed copy and a copy whose origin is closed."""
    closed = re.escape(
        "This AsyncClient is closed; create a new one "
        "(tip: `async with AsyncClient(...) as client:`)"
    )
    origin_closed = re.escape(
        "The AsyncClient this one was made from with with_options() is closed, and with it the "
        "connections they shared; create a new one"
    )

    async def main() -> None:
        client = async_client(server)
        copy = client.with_options(max_retries=0)
        other = client.with_options(timeout=30)
        server.queue(text_reply("from the copy"))
        assert (await copy.responses.create(**BASE)).output_text == "from the copy"
        await copy.aclose()
        await copy.aclose()
        with pytest.raises(RuntimeError, match=f"^{closed}$"):
            await copy.responses.create(**BASE)
        with pytest.raises(RuntimeError, match=f"^{closed}$"):
            await copy.__aenter__()
        await client.aclose()
        with pytest.raises(RuntimeError, match=f"^{closed}$"):
            await client.usage()
        with pytest.raises(RuntimeError, match=f"^{closed}$"):
            await client.__aenter__()
        with pytest.raises(RuntimeError, match=f"^{origin_closed}$"):
            await other.usage()
        with pytest.raises(RuntimeError, match=f"^{origin_closed}$"):
            await other.__aenter__()
        await other.aclose()

    asyncio.run(main())
    assert len(server.requests) == 1
