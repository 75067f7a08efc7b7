"""Resource, thread and cancellation behaviour specific to each client."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import threading
import time
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
        batches = set()
        count = 0
        for _ in stream:
            batches.add(id(stream._batch))
            count += 1
        assert stream.get_final_response().output_text == "".join(deltas)
    assert count > 2000
    assert len(batches) < count / 20


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
