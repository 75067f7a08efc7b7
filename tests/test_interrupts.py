"""Ctrl-C at the worst moment of a sync call: right as the call takes the loop's lock."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from typing import Any

import pytest

import codex_open_client as c
from codex_open_client.testing import FakeCodexServer, text_reply

from .conftest import BASE


@pytest.fixture
def sigint_raises() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt here even when SIGINT is inherited as ignored."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


class _InterruptedOnce:
    """The loop's lock, with a real Ctrl-C delivered just after it is first taken."""

    def __init__(self, lock: Any) -> None:
        self.lock = lock
        self.interrupted = False

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        taken: bool = self.lock.acquire(blocking, timeout)
        if taken and not self.interrupted:
            self.interrupted = True
            # Python runs the handler at the next bytecode: here, before the caller's `try`.
            signal.raise_signal(signal.SIGINT)
        return taken

    def release(self) -> None:
        self.lock.release()

    def locked(self) -> bool:
        return bool(self.lock.locked())

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self.release()


@pytest.mark.usefixtures("sigint_raises")
def test_ctrl_c_as_the_loop_lock_is_taken_never_leaks_it(server: FakeCodexServer) -> None:
    """The call raises KeyboardInterrupt, the lock is free again, and the next call runs here."""
    with c.Client(
        access_token=server.access_token,
        account_id=server.account_id,
        base_url=server.url,
        max_retries=0,
    ) as client:
        server.queue(text_reply("warm"))
        assert client.responses.create(**BASE).output_text == "warm"  # the loop exists
        loop = client._portal._loop
        assert loop is not None
        owner = _InterruptedOnce(loop._owner)
        loop._owner = owner  # type: ignore[assignment]  # a stand-in for the Lock, on purpose
        server.queue(text_reply("interrupted"))
        with pytest.raises(KeyboardInterrupt):
            client.responses.create(**BASE)
        assert owner.interrupted
        assert not owner.locked()  # released: not leaked for good
        server.queue(text_reply("after"))
        threads = threading.active_count()
        assert client.responses.create(**BASE).output_text == "after"
        assert threading.active_count() == threads
        assert not owner.locked()
