"""Shared fixtures: one fake backend per test session, and the sync/async client adapter.

Scenarios are written once against ``Api`` and run twice, through ``Client`` and through
``AsyncClient`` (on a private event loop per test), each used the way its users use it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

import codex_open_client as c
from codex_open_client.testing import FakeCodexServer

BASE = {"model": "gpt-5.1-codex-mini", "instructions": "You are helpful.", "input": "Hello!"}


@pytest.fixture(scope="session")
def _server() -> Iterator[FakeCodexServer]:
    with FakeCodexServer() as server:
        yield server


@pytest.fixture
def server(_server: FakeCodexServer) -> Iterator[FakeCodexServer]:
    """The fake backend, with an empty queue and request log."""
    _server.clear()
    yield _server
    _server.clear()


class Api:
    """One client, sync or async, behind the same blocking methods."""

    def __init__(self, mode: str, server: FakeCodexServer, **client_kwargs: Any) -> None:
        self.mode = mode
        kwargs = {
            "access_token": server.access_token,
            "account_id": server.account_id,
            "base_url": server.url,
            "chatgpt_base_url": server.chatgpt_base_url,
            "max_retries": 0,
            **client_kwargs,
        }
        if mode == "sync":
            self.sync = c.Client(**kwargs)
        else:
            self.loop = asyncio.new_event_loop()
            self.aclient = c.AsyncClient(**kwargs)

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    @property
    def client(self) -> Any:
        """The ``Client`` or ``AsyncClient`` itself, for attributes that do no I/O."""
        return self.sync if self.mode == "sync" else self.aclient

    def call(self, path: str, *args: Any, **kwargs: Any) -> Any:
        """Call ``client.<path>(...)`` in either mode, e.g. ``call("models.list")``."""
        target = self.client
        for name in path.split("."):
            target = getattr(target, name)
        result = target(*args, **kwargs)
        return result if self.mode == "sync" else self.run(result)

    def create(self, **kwargs: Any) -> c.Response:
        params = {**BASE, **kwargs}
        if self.mode == "sync":
            return self.sync.responses.create(**params)
        return self.run(self.aclient.responses.create(**params))  # type: ignore[no-any-return]

    def stream(self, **kwargs: Any) -> tuple[list[Any], c.Response]:
        """create(stream=True), iterate every event, then get_final_response()."""
        params = {**BASE, **kwargs}
        if self.mode == "sync":
            with self.sync.responses.create(stream=True, **params) as stream:
                events = list(stream)
                return events, stream.get_final_response()

        async def go() -> tuple[list[Any], c.Response]:
            stream = await self.aclient.responses.create(stream=True, **params)
            async with stream:
                events = [event async for event in stream]
                return events, await stream.get_final_response()

        return self.run(go())  # type: ignore[no-any-return]

    def text(self, **kwargs: Any) -> tuple[list[str], c.Response]:
        """responses.stream(...) as a context manager, text_deltas(), get_final_response()."""
        params = {**BASE, **kwargs}
        if self.mode == "sync":
            with self.sync.responses.stream(**params) as stream:
                return list(stream.text_deltas()), stream.get_final_response()

        async def go() -> tuple[list[str], c.Response]:
            async with self.aclient.responses.stream(**params) as stream:
                deltas = [delta async for delta in stream.text_deltas()]
                return deltas, await stream.get_final_response()

        return self.run(go())  # type: ignore[no-any-return]

    def first_then_rest(self, on_first: Any, **kwargs: Any) -> tuple[Any, list[Any]]:
        """Take the first event, call on_first(event), then read the rest."""
        params = {**BASE, **kwargs}
        if self.mode == "sync":
            with self.sync.responses.stream(**params) as stream:
                first = next(iter(stream))
                on_first(first)
                return first, list(stream)

        async def go() -> tuple[Any, list[Any]]:
            async with self.aclient.responses.stream(**params) as stream:
                first = await stream.__anext__()
                on_first(first)
                return first, [event async for event in stream]

        return self.run(go())  # type: ignore[no-any-return]

    def break_after_first(self, use_with: bool = True, **kwargs: Any) -> Any:
        """Iterate and break after the first event, inside ``with`` or without it."""
        params = {**BASE, **kwargs}
        if self.mode == "sync":
            if use_with:
                with self.sync.responses.stream(**params) as stream:
                    for event in stream:
                        return event
            for event in self.sync.responses.create(stream=True, **params):
                return event
            return None

        async def go() -> Any:
            if use_with:
                async with self.aclient.responses.stream(**params) as stream:
                    async for event in stream:
                        return event
            # No aclose(): dropping the stream must release its connection by itself.
            async for event in await self.aclient.responses.create(stream=True, **params):
                return event
            return None

        return self.run(go())

    def close(self) -> None:
        """Close the client, twice: closing is idempotent."""
        if self.mode == "sync":
            self.sync.close()
            self.sync.close()
        else:
            self.run(self.aclient.aclose())
            self.run(self.aclient.aclose())

    def dispose(self) -> None:
        """Close the client and, in async mode, its event loop."""
        self.close()
        if self.mode == "async":
            self.loop.run_until_complete(asyncio.sleep(0))
            self.loop.close()


@pytest.fixture(params=["sync", "async"])
def api(request: pytest.FixtureRequest, server: FakeCodexServer) -> Iterator[Api]:
    """A client in each mode, closed after the test."""
    client = Api(request.param, server)
    yield client
    client.dispose()


@pytest.fixture
def make_api(request: pytest.FixtureRequest, server: FakeCodexServer) -> Iterator[Any]:
    """Build extra clients (closed after the test) with custom constructor keywords."""
    made: list[Api] = []

    def make(mode: str, **kwargs: Any) -> Api:
        client = Api(mode, server, **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.dispose()
