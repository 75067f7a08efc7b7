"""Shared fixtures: one fake backend per test session, and the sync/async client adapter.

Scenarios are written once against ``Api`` and run four times: through ``Client`` and through
``AsyncClient`` (on a private event loop per test), each used the way its users use it, and
each over both transports, HTTP+SSE and WebSocket (the ``transport`` parameter, which
``make_api`` follows too). A scenario that only makes sense over HTTP is marked
``@pytest.mark.sse_only("why")`` and runs over SSE alone.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest

import codex_open_client as c
from codex_open_client.testing import FakeCodexServer

BASE: dict[str, Any] = {
    "model": "gpt-5.1-codex-mini",
    "instructions": "You are helpful.",
    "input": "Hello!",
}
TRANSPORTS = ("sse", "websocket")


def run_without_pydantic(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter where ``import pydantic`` fails."""
    preamble = "import sys\nsys.modules['pydantic'] = None\n"
    return subprocess.run(
        [sys.executable, "-c", preamble + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sse_only(why): the scenario is about HTTP itself (raw bodies, redirects, compression), "
        "so the api/make_api fixtures run it over SSE only",
    )


_REDIRECTS = "HTTP redirects (a WebSocket upgrade is not redirected)"
_RAW_BODY = "the raw bytes of an HTTP body (SSE syntax, chunks, Content-Type)"
# Scenarios of the shared set that are about HTTP itself, run over SSE only (the same as
# @pytest.mark.sse_only("why") on the test; listed here to leave those test files as they are).
SSE_ONLY = {
    "test_client.py::test_request_matches_the_cli_on_the_wire": (
        "the HTTP request line and headers; the handshake is checked in test_websocket.py"
    ),
    "test_client.py::test_a_200_that_is_not_an_event_stream_says_so": _RAW_BODY,
    "test_client.py::test_a_body_left_open_after_the_terminal_event_does_not_hold_the_stream": (
        _RAW_BODY
    ),
    "test_hostile.py::test_deeply_nested_json_in_an_error_body_is_a_typed_error": _RAW_BODY,
    "test_hostile.py::test_a_body_that_is_not_sse_never_shows_the_token": _RAW_BODY,
    "test_hostile.py::test_headers_of_an_error_answer_are_redacted": _RAW_BODY,
    "test_hostile.py::test_the_debug_log_never_shows_stream_content": _RAW_BODY,
    "test_hostile.py::test_a_malformed_answer_echoing_the_token_never_leaks_it": (
        "a raw HTTP server answering a malformed status line"
    ),
    "test_hostile.py::test_a_redirect_to_another_origin_is_not_followed": _REDIRECTS,
    "test_hostile.py::test_a_same_origin_redirect_that_keeps_the_method_is_followed": _REDIRECTS,
    "test_hostile.py::test_a_redirect_that_would_turn_the_post_into_a_get_is_refused": _REDIRECTS,
    "test_hostile.py::test_a_malformed_redirect_target_is_an_api_error": _REDIRECTS,
    "test_hostile.py::test_a_redirect_target_echoing_the_token_is_redacted": _REDIRECTS,
    "test_stream_cap.py::test_events_before_an_oversized_one_in_the_same_chunk_are_delivered": (
        _RAW_BODY
    ),
    "test_models_api.py::test_a_new_models_etag_on_responses_makes_the_cache_stale": (
        "x-models-etag comes with each HTTP answer, over WebSocket only with the upgrade"
    ),
    "test_wire_cache.py::test_conversation_bodies_are_byte_identical_to_before": (
        "the HTTP body bytes (frames carry only the new items, checked in test_websocket.py)"
    ),
    "test_wire_cache.py::test_run_tools_bodies_are_byte_identical_to_before": (
        "the HTTP body bytes (frames carry only the new items, checked in test_websocket.py)"
    ),
    "test_wire_cache.py::test_a_turn_converts_only_its_new_items": (
        "counts the HTTP body's item conversions; a socket's chain converts each turn's "
        "output once more, to compare the next input with it"
    ),
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test using ``api`` or ``make_api`` runs over each transport (one set, not a copy)."""
    if "transport" in metafunc.fixturenames and not _parametrized(metafunc, "transport"):
        marker = metafunc.definition.get_closest_marker("sse_only")
        if marker is not None and not (marker.args and isinstance(marker.args[0], str)):
            raise pytest.UsageError(f"{metafunc.definition.nodeid}: sse_only needs a reason")
        name = f"{metafunc.definition.path.name}::{metafunc.definition.originalname}"
        sse_only = marker is not None or name in SSE_ONLY
        metafunc.parametrize("transport", ("sse",) if sse_only else TRANSPORTS)


def _parametrized(metafunc: pytest.Metafunc, name: str) -> bool:
    return any(name in mark.args[0] for mark in metafunc.definition.iter_markers("parametrize"))


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

    def __init__(
        self, mode: str, server: FakeCodexServer, transport: str = "sse", **client_kwargs: Any
    ) -> None:
        self.mode = mode
        self.transport = transport
        kwargs = {
            "access_token": server.access_token,
            "account_id": server.account_id,
            "base_url": server.url,
            "chatgpt_base_url": server.chatgpt_base_url,
            "max_retries": 0,
            "transport": transport,
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
            response: c.Response = self.sync.responses.create(**params)
            return response
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
def api(request: pytest.FixtureRequest, server: FakeCodexServer, transport: str) -> Iterator[Api]:
    """A client in each mode, over each transport, closed after the test."""
    client = Api(request.param, server, transport)
    yield client
    client.dispose()


@pytest.fixture
def make_api(
    request: pytest.FixtureRequest, server: FakeCodexServer, transport: str
) -> Iterator[Any]:
    """Build extra clients (closed after the test) with custom constructor keywords.

    They use the test's ``transport`` unless given ``transport=``.
    """
    made: list[Api] = []

    def make(mode: str, **kwargs: Any) -> Api:
        kwargs.setdefault("transport", transport)
        client = Api(mode, server, **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.dispose()
