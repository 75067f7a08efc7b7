"""RedisResponseStore against a real redis-server: previous_response_id across gateways.

Two gateways (two "hosts", each with its own client and store) share one Redis: a turn served
by one continues on the other. With Redis gone, a turn naming a previous response is answered
503 (it may exist), and a turn without one is still served.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio
from aiohttp.test_utils import TestServer

import codex_open_client as c
from codex_open_client.gateway import ResponseStore, create_app
from codex_open_client.gateway._redis_responses import RedisResponseStore
from codex_open_client.testing import FakeCodexServer
from tests.test_redis_store import PASSWORD, RedisServer, free_port

MODEL = "gpt-5.1-codex-mini"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis-responses")).start()
    yield server
    server.stop()


@pytest.fixture
def prefix(request: pytest.FixtureRequest) -> str:
    """Keys of this test alone."""
    return f"test:{request.node.name}:response:"


ITEMS: list[dict[str, Any]] = [
    {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi ✓"}]},
    {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": "Hello!", "annotations": []}],
    },
    {"type": "function_call", "call_id": "c1", "name": "f", "arguments": '{"a": [1, {"b": null}]}'},
]


def test_store_round_trip_expiry_and_delete(redis_server: RedisServer, prefix: str) -> None:
    """put/get/delete; the ttl becomes Redis's expiry; ttl <= 0 keeps nothing; prefixes apart."""

    async def main() -> None:
        store = RedisResponseStore.from_url(redis_server.url, prefix=prefix)
        other = RedisResponseStore.from_url(redis_server.url, prefix=prefix + "other:")
        assert isinstance(store, ResponseStore)
        assert await store.get("resp_1") is None
        await store.put("resp_1", ITEMS, 60)
        assert await store.get("resp_1") == ITEMS
        assert await other.get("resp_1") is None
        raw = redis_server.client()
        assert 0 < raw.pttl(prefix + "resp_1") <= 60_000
        await store.put("resp_1", ITEMS[:1], 30)  # replaces
        assert await store.get("resp_1") == ITEMS[:1]
        await store.put("resp_2", ITEMS, 0)
        assert await store.get("resp_2") is None and not raw.exists(prefix + "resp_2")
        assert await store.delete("resp_1") is True
        assert await store.delete("resp_1") is False
        assert await store.get("x" * 10_000) is None
        raw.set(prefix + "bad", b"[1, 2]")
        assert await store.get("bad") is None  # not items: as if unknown
        raw.close()
        await store.aclose()
        await other.aclose()

    asyncio.run(main())


def test_arguments_and_repr(redis_server: RedisServer) -> None:
    """A sync client is refused; the URL's password is in no repr or error."""
    with pytest.raises(TypeError, match=r"redis\.asyncio\.Redis"):
        RedisResponseStore(redis_server.client())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="url must be") as info:
        RedisResponseStore.from_url(f"http://:{PASSWORD}@localhost/")
    assert PASSWORD not in str(info.value)
    port = free_port()
    store = RedisResponseStore.from_url(f"redis://:{PASSWORD}@127.0.0.1:{port}/2")
    assert repr(store) == (
        f"RedisResponseStore(prefix='codex_open_client:response:', redis='redis://127.0.0.1:{port}/2')"
    )


def test_redis_unreachable_reads_fail_writes_drop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Nothing listening: get/delete raise a 503 GatewayError; put drops the entry (logged)."""
    from codex_open_client.gateway._errors import GatewayError

    caplog.set_level(logging.WARNING)

    async def main() -> None:
        store = RedisResponseStore.from_url(f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0")
        for action in (store.get("resp_1"), store.delete("resp_1")):
            with pytest.raises(GatewayError) as info:
                await action
            assert info.value.status == 503 and info.value.code == "response_store_unavailable"
            assert PASSWORD not in str(info.value)
        await store.put("resp_1", ITEMS, 60)
        await store.aclose()

    asyncio.run(main())
    assert "not kept for previous_response_id" in caplog.text
    assert PASSWORD not in caplog.text


@asynccontextmanager
async def gateway(server: FakeCodexServer, store: RedisResponseStore) -> AsyncIterator[str]:
    """A gateway with its own client and ``store``, on a free port; yields its base URL."""
    client = c.AsyncClient(
        access_token=server.access_token,
        account_id=server.account_id,
        base_url=server.url,
        chatgpt_base_url=server.chatgpt_base_url,
        max_retries=0,
    )
    app = create_app(client, response_store=store, close_client=True)
    test_server = TestServer(app, host="127.0.0.1", port=0)
    await test_server.start_server()
    try:
        yield str(test_server.make_url("/v1"))
    finally:
        await test_server.close()
        await store.aclose()


async def post(session: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> Any:
    async with session.post(f"{url}/responses", json=body) as response:
        return response.status, await response.json()


def upstream_texts(server: FakeCodexServer) -> list[str]:
    """The text parts of the last request's input, in order, as the backend got them."""
    body = server.requests[-1].json
    texts = []
    for item in body["input"]:
        for part in item.get("content") or []:
            if isinstance(part, dict) and "text" in part:
                texts.append(part["text"])
    return texts


def test_previous_response_id_across_two_gateways(
    server: FakeCodexServer, redis_server: RedisServer, prefix: str
) -> None:
    """Three turns alternating between two gateways sharing Redis: each turn continues the
    one before it (the whole conversation goes upstream), an unknown id is still 400."""

    async def main() -> None:
        async with (
            gateway(server, RedisResponseStore.from_url(redis_server.url, prefix=prefix)) as a,
            gateway(
                server,
                RedisResponseStore(
                    redis.asyncio.Redis(
                        port=redis_server.port, decode_responses=True, client_name="host-b"
                    ),
                    prefix=prefix,
                ),
            ) as b,
            aiohttp.ClientSession() as session,
        ):
            previous = None
            for turn, url in enumerate([a, b, a]):
                body: dict[str, Any] = {"model": MODEL, "input": f"question {turn}"}
                if previous is not None:
                    body["previous_response_id"] = previous
                status, answer = await post(session, url, body)
                assert status == 200, answer
                previous = answer["id"]
                assert upstream_texts(server)[-1] == f"question {turn}"
            texts = upstream_texts(server)
            assert [t for t in texts if t.startswith("question")] == [
                "question 0",
                "question 1",
                "question 2",
            ]
            assert len(texts) == 5  # three questions and the two answers between them
            status, answer = await post(
                session, b, {"model": MODEL, "input": "x", "previous_response_id": "resp_nope"}
            )
            assert status == 400 and answer["error"]["code"] == "previous_response_not_found"

    asyncio.run(main())


def test_redis_stopped_the_gateway_answers_503_or_serves(
    server: FakeCodexServer, tmp_path: Path
) -> None:
    """Redis stopped: a turn naming a previous response gets 503 (nothing sent upstream); a
    turn without one is served (its entry is dropped)."""
    own = RedisServer(tmp_path / "redis").start()

    async def main() -> None:
        async with (
            gateway(server, RedisResponseStore.from_url(own.url)) as url,
            aiohttp.ClientSession() as session,
        ):
            status, first = await post(session, url, {"model": MODEL, "input": "one"})
            assert status == 200
            await asyncio.to_thread(own.stop)
            sent = len(server.requests)
            status, answer = await post(
                session, url, {"model": MODEL, "input": "two", "previous_response_id": first["id"]}
            )
            assert status == 503, answer
            assert answer["error"]["code"] == "response_store_unavailable"
            assert f":{own.port}" not in json.dumps(answer)  # where Redis is stays in the log
            assert len(server.requests) == sent
            status, answer = await post(session, url, {"model": MODEL, "input": "three"})
            assert status == 200 and answer["output"], answer

    try:
        asyncio.run(main())
    finally:
        own.stop()
