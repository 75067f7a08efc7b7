"""Resource, thread and cancellation behaviour specific to each client."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

import codex_open_client as c
from codex_open_client.testing import FakeCodexServer, message, reply, text_reply

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
    """The portal thread starts on first use and is gone after close()."""
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
    """The sync client runs on its own loop thread, so it works inside async code too."""

    async def main() -> str:
        with sync_client(server) as client:
            return client.responses.create(**BASE).output_text

    server.queue(text_reply("from inside"))
    assert asyncio.run(main()) == "from inside"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX only")
def test_sync_client_after_fork(server: FakeCodexServer) -> None:
    """A forked child starts its own loop thread instead of waiting on the parent's."""
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
    """Under -W error the ResourceWarning raises; the loop thread must still stop."""
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
