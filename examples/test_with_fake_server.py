"""Testing your own code with the fake backend, under pytest: no network, no account.

``FakeCodexServer`` is a real HTTP server on 127.0.0.1 that answers like the Codex backend.
Point your client at it, script its answers with ``server.queue(...)``, and check what your
code sent in ``server.requests``. Run: ``python -m pytest examples/test_with_fake_server.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import codex_open_client
from codex_open_client.testing import (
    FakeCodexServer,
    http_error,
    text_reply,
    usage_limit_reached,
)

# ---------------------------------------------------------------------- the code under test
# (normally in your own package; it takes the client as an argument, so tests can pass theirs)


def summarize(client: codex_open_client.Client, text: str) -> str:
    """A one-line summary of ``text``, or "" when the plan's usage limit is reached."""
    try:
        response = client.responses.create(
            model="gpt-5.1-codex-mini", instructions="Summarize in one line.", input=text
        )
    except codex_open_client.QuotaExceededError:
        return ""
    return response.output_text.strip()


async def asummarize(client: codex_open_client.AsyncClient, text: str) -> str:
    """The same with the async client."""
    response = await client.responses.create(
        model="gpt-5.1-codex-mini", instructions="Summarize in one line.", input=text
    )
    return response.output_text.strip()


# ---------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def server() -> Iterator[FakeCodexServer]:
    # One server for the whole module: starting one takes a few milliseconds, but why wait.
    with FakeCodexServer() as server:
        yield server


@pytest.fixture
def anyio_backend() -> str:
    # AsyncClient runs on aiohttp, which needs asyncio: run the async tests there only (with
    # trio installed, anyio's plugin would run each one under trio too).
    return "asyncio"


@pytest.fixture
def backend(server: FakeCodexServer) -> Iterator[FakeCodexServer]:
    server.clear()  # each test starts with no queued answers and no recorded requests
    yield server


@pytest.fixture
def client(backend: FakeCodexServer) -> Iterator[codex_open_client.Client]:
    # Point the client at the fake: its URL, and a token it accepts.
    with codex_open_client.Client(
        base_url=backend.url, access_token=backend.access_token
    ) as client:
        yield client


# ---------------------------------------------------------------------- tests


def test_returns_the_models_text(
    backend: FakeCodexServer, client: codex_open_client.Client
) -> None:
    backend.queue(text_reply("  A cat sat on a mat.  "))
    assert summarize(client, "The cat, having nothing better to do, sat on the mat.") == (
        "A cat sat on a mat."
    )


def test_sends_the_text_as_a_user_message(
    backend: FakeCodexServer, client: codex_open_client.Client
) -> None:
    summarize(client, "Some long text.")  # no queued reply: the server's default answer
    (request,) = backend.requests
    assert request.json["instructions"] == "Summarize in one line."
    assert request.json["input"] == [
        {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "Some long text."}],
        }
    ]


def test_usage_limit_gives_an_empty_summary(
    backend: FakeCodexServer, client: codex_open_client.Client
) -> None:
    backend.queue(usage_limit_reached())
    assert summarize(client, "Anything.") == ""


def test_a_server_error_is_retried(
    backend: FakeCodexServer, client: codex_open_client.Client
) -> None:
    backend.queue(http_error(503), text_reply("Fine after all."))
    assert summarize(client, "Anything.") == "Fine after all."
    assert len(backend.requests) == 2  # the client retried once by itself


@pytest.mark.anyio  # async tests run with the pytest plugin that comes with anyio
async def test_async_code(backend: FakeCodexServer) -> None:
    backend.queue(text_reply("Async works too."))
    async with codex_open_client.AsyncClient(
        base_url=backend.url, access_token=backend.access_token
    ) as client:
        assert await asummarize(client, "Anything.") == "Async works too."
