"""Under trio, ``AsyncClient`` says at the first call that it needs asyncio; ``Client`` works.

Real trio (and anyio on its trio backend), against the fake backend over real sockets.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest
import trio

import codex_open_client as c
from codex_open_client.testing import FakeCodexServer

from .conftest import BASE

MESSAGE = (
    "AsyncClient needs asyncio; under trio use Client (e.g. in trio.to_thread.run_sync), "
    "or run it in a trio-asyncio loop"
)


def _client(server: FakeCodexServer) -> c.AsyncClient:
    return c.AsyncClient(
        access_token=server.access_token,
        account_id=server.account_id,
        base_url=server.url,
        chatgpt_base_url=server.chatgpt_base_url,
        max_retries=0,
    )


async def _create(client: c.AsyncClient) -> Any:
    return await client.responses.create(**BASE)


async def _create_stream(client: c.AsyncClient) -> Any:
    return await client.responses.create(stream=True, **BASE)


async def _stream(client: c.AsyncClient) -> Any:
    async with client.responses.stream(**BASE) as stream:
        return [event async for event in stream]


async def _models(client: c.AsyncClient) -> Any:
    return await client.models.list()


async def _usage(client: c.AsyncClient) -> Any:
    return await client.usage()


async def _conversation(client: c.AsyncClient) -> Any:
    return await client.conversation(model=BASE["model"], instructions="Be brief.").ask("Hi")


CALLS = [_create, _create_stream, _stream, _models, _usage, _conversation]


@pytest.mark.parametrize("call", CALLS, ids=[call.__name__.strip("_") for call in CALLS])
def test_async_client_under_trio_says_it_needs_asyncio(call: Any, server: FakeCodexServer) -> None:
    """The first call raises AsyncioRequiredError (a CodexError and a RuntimeError), sends
    nothing, and the client still closes cleanly under trio."""

    async def main() -> BaseException:
        async with _client(server) as client:
            with pytest.raises(c.AsyncioRequiredError) as caught:
                await call(client)
        return caught.value

    error = trio.run(main)
    assert isinstance(error, c.CodexError)
    assert isinstance(error, RuntimeError)
    assert str(error) == MESSAGE
    assert server.requests == []


def test_anyio_on_the_trio_backend(server: FakeCodexServer) -> None:
    """anyio running trio gets the same clear error, not 'no running event loop'."""

    async def main() -> str:
        client = _client(server)
        try:
            await client.responses.create(**BASE)
        except RuntimeError as exc:  # what such code caught before keeps catching it
            return str(exc)
        finally:
            await client.close()
        return "no error"

    assert anyio.run(main, backend="trio") == MESSAGE
    assert server.requests == []


def test_the_sync_client_in_a_trio_worker_thread(server: FakeCodexServer) -> None:
    """The documented way under trio: the sync Client, called from trio.to_thread."""

    async def main() -> str:
        with c.Client(
            access_token=server.access_token,
            account_id=server.account_id,
            base_url=server.url,
            max_retries=0,
        ) as client:
            response: c.Response = await trio.to_thread.run_sync(
                lambda: client.responses.create(**BASE)
            )
            return response.output_text

    assert trio.run(main)
    assert len(server.requests) == 1


def test_the_same_client_still_works_under_asyncio(server: FakeCodexServer) -> None:
    """The check refuses only trio: the same code under asyncio gets its answer."""

    async def main() -> str:
        async with _client(server) as client:
            response: c.Response = await client.responses.create(**BASE)
            return response.output_text

    assert anyio.run(main, backend="asyncio")
