"""RedisTokenStore against a real redis-server (started here on a free port, no mocks).

The refresh guarantees end to end: processes configured as different hosts share one sign-in
through Redis and refresh a single-use refresh token exactly once; with Redis gone, nothing is
refreshed and every request that needs a refresh fails with ``TokenStoreUnavailableError``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import redis

import codex_open_client as c
from codex_open_client.testing import FakeCodexServer

BASE: dict[str, Any] = {"model": "gpt-5.1-codex-mini", "instructions": "", "input": "Hello!"}
JWT = re.compile(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]*")
PASSWORD = "hunter2-not-a-real-password"


@pytest.fixture(autouse=True)
def _no_secret_in_any_log(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test of this module runs with DEBUG logs, and no token or password may show."""
    caplog.set_level(logging.DEBUG)
    yield
    assert_no_secret(caplog.text)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One ``redis-server`` process on a free loopback port, without persistence."""

    def __init__(self, folder: Path, *args: str) -> None:
        self.folder = folder
        self.args = args
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail(
                "redis-server is not installed: `apt-get install -y redis-server` "
                "(.ci/run installs it)"
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        log = open(self.folder / "redis.log", "wb")  # noqa: SIM115 - lives with the process
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--dir", str(self.folder), *self.args]
        self.process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        probe = redis.Redis(port=self.port, socket_timeout=1, socket_connect_timeout=1)
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    probe.ping()
                    return self
                except redis.AuthenticationError:  # up, and asking for a password
                    return self
                except redis.ConnectionError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        self.stop()
                        log_text = (self.folder / "redis.log").read_text(errors="replace")
                        pytest.fail(f"redis-server did not start:\n{log_text}")
                    time.sleep(0.05)
        finally:
            probe.close()

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def client(self, **options: Any) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=5, **options)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test alone, which it may stop."""
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def key() -> str:
    """A key of this test alone in the shared redis-server."""
    return f"test:{uuid.uuid4().hex}:auth"


@pytest.fixture
def make_store(redis_server: RedisServer, key: str) -> Iterator[Callable[..., c.RedisTokenStore]]:
    stores: list[c.RedisTokenStore] = []

    def make(**kwargs: Any) -> c.RedisTokenStore:
        kwargs.setdefault("key", key)
        store = c.RedisTokenStore.from_url(redis_server.url, **kwargs)
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.close()


def credentials(server: FakeCodexServer, *, expires_in: float) -> c.Credentials:
    data = server.mint_credentials(expires_in=expires_in)
    data["unknown_top_level"] = {"kept": True}
    data["tokens"]["unknown_inside"] = "kept too"
    loaded = c.Credentials.from_auth_json(data)
    assert loaded is not None
    return loaded


def assert_no_secret(text: str) -> None:
    assert not JWT.search(text), text
    assert PASSWORD not in text, text


# --------------------------------------------------------------------------- the store


def test_import_does_not_load_redis() -> None:
    """`import codex_open_client` (and naming the Redis classes) does not import redis."""
    code = (
        "import sys, codex_open_client as c; c.RedisTokenStore, c.TokenStoreUnavailableError; "
        "print('redis' in sys.modules, c.RedisTokenStore.__module__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "codex_open_client"]


def test_redis_store_is_a_token_store(make_store: Callable[..., c.RedisTokenStore]) -> None:
    """RedisTokenStore implements the TokenStore protocol; its error is a 503, not an AuthError
    (signing in again would not help)."""
    assert isinstance(make_store(), c.TokenStore)
    assert issubclass(c.TokenStoreUnavailableError, c.ServerError)
    assert not issubclass(c.TokenStoreUnavailableError, c.AuthError)
    error = c.TokenStoreUnavailableError("down")
    assert error.status_code == 503 and error.code == "token_store_unavailable"


@pytest.mark.parametrize("decode_responses", [False, True])
def test_round_trip_in_the_cli_format(
    server: FakeCodexServer,
    redis_server: RedisServer,
    key: str,
    tmp_path: Path,
    decode_responses: bool,
) -> None:
    """save/load/delete; the value is exactly the auth.json text FileTokenStore writes."""
    client = redis_server.client(decode_responses=decode_responses)
    store = c.RedisTokenStore(client, key=key)
    try:
        assert store.load() is None
        saved = credentials(server, expires_in=3600)
        store.save(saved)
        assert store.load() == saved
        file_store = c.FileTokenStore(tmp_path / "auth.json")
        file_store.save(saved)
        raw = redis_server.client().get(key)
        assert raw == (tmp_path / "auth.json").read_bytes()
        data = json.loads(raw)
        assert data["unknown_top_level"] == {"kept": True}
        assert data["tokens"]["unknown_inside"] == "kept too"
        assert set(data["tokens"]) >= {"id_token", "access_token", "refresh_token", "account_id"}
        store.delete()
        assert store.load() is None
        store.delete()  # nothing there: no error
    finally:
        client.close()


def test_a_value_in_the_cli_format_loads(
    server: FakeCodexServer, redis_server: RedisServer, key: str
) -> None:
    """auth.json text copied into Redis by hand (e.g. redis-cli SET) is read as is."""
    data = server.mint_credentials(expires_in=3600)
    raw = redis_server.client()
    raw.set(key, json.dumps(data))
    raw.close()
    store = c.RedisTokenStore.from_url(redis_server.url, key=key)
    loaded = store.load()
    store.close()
    assert loaded is not None and loaded.access_token == data["tokens"]["access_token"]


@pytest.mark.parametrize(
    "value", [b"not json", b"[1, 2]", b"\xff\xfe", b'{"tokens": 3}', b"[" * 100_000]
)
def test_a_malformed_value_is_an_auth_error_naming_the_key(
    make_store: Callable[..., c.RedisTokenStore], redis_server: RedisServer, value: bytes
) -> None:
    """A bad value: AuthError naming the key and the fix, not 'unavailable', never replaced."""
    store = make_store()
    raw = redis_server.client()
    raw.set(store.key, value)
    with pytest.raises(c.AuthError, match=re.escape(store.key)) as info:
        store.load()
    assert not isinstance(info.value, c.TokenStoreUnavailableError)
    assert "sign in again" in str(info.value)
    assert raw.get(store.key) == value
    raw.close()


def test_arguments_are_checked(redis_server: RedisServer) -> None:
    """Bad arguments: TypeError/ValueError naming the argument; an asyncio client is refused."""
    import redis.asyncio

    client = redis_server.client()
    with pytest.raises(TypeError, match="key must be"):
        c.RedisTokenStore(client, key="")
    with pytest.raises(ValueError, match="lock_key must differ"):
        c.RedisTokenStore(client, key="k", lock_key="k")
    with pytest.raises(ValueError, match="lock_timeout must be greater than 0"):
        c.RedisTokenStore(client, lock_timeout=0)
    with pytest.raises(ValueError, match="lock_wait must be a finite number"):
        c.RedisTokenStore(client, lock_wait=float("inf"))
    assert repr(c.RedisTokenStore.from_url(f"rediss://:{PASSWORD}@example.com:6380/1")) == (
        "RedisTokenStore(key='codex_open_client:auth', redis='rediss://example.com:6380/1')"
    )
    assert repr(c.RedisTokenStore.from_url("unix:///run/redis.sock?db=2")) == (
        "RedisTokenStore(key='codex_open_client:auth', redis='unix:///run/redis.sock?db=2')"
    )
    with pytest.raises(TypeError, match="lock_wait must be a number"):
        c.RedisTokenStore(client, lock_wait="1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="url must be a string"):
        c.RedisTokenStore.from_url(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="url must be a redis://") as info:
        c.RedisTokenStore.from_url(f"http://:{PASSWORD}@localhost/")
    assert_no_secret(str(info.value))
    async_client = redis.asyncio.Redis(port=redis_server.port)
    with pytest.raises(TypeError, match=r"synchronous redis\.Redis"):
        c.RedisTokenStore(async_client)  # type: ignore[arg-type]
    client.close()


def test_no_password_or_token_in_reprs_and_errors(server: FakeCodexServer) -> None:
    """The URL's password and the tokens appear in no repr and no error message."""
    port = free_port()  # nothing listens there
    store = c.RedisTokenStore.from_url(
        f"redis://user:{PASSWORD}@127.0.0.1:{port}/3", key="k", lock_wait=0
    )
    assert repr(store) == f"RedisTokenStore(key='k', redis='redis://127.0.0.1:{port}/3')"
    messages = [repr(store)]
    for action in (
        store.load,
        store.delete,
        lambda: store.save(credentials(server, expires_in=60)),
    ):
        with pytest.raises(c.TokenStoreUnavailableError) as info:
            action()
        messages.append(str(info.value))
        assert info.value.__cause__ is None  # redis-py's exceptions do not leak
    with pytest.raises(c.TokenStoreUnavailableError), store.lock():
        pass
    store.close()
    for message in messages:
        assert_no_secret(message)
    assert f"127.0.0.1:{port}" in messages[1] and "no refresh was tried" in messages[1]


def test_a_password_in_the_url_works_and_a_wrong_one_fails_quietly(
    server: FakeCodexServer, tmp_path: Path
) -> None:
    """A Redis asking for a password: the URL's password signs in; a wrong one is refused with
    TokenStoreUnavailableError; neither shows in a repr or a message."""
    secured = RedisServer(tmp_path / "redis", "--requirepass", PASSWORD).start()
    try:
        good = c.RedisTokenStore.from_url(f"redis://:{PASSWORD}@127.0.0.1:{secured.port}/0")
        saved = credentials(server, expires_in=3600)
        good.save(saved)
        assert good.load() == saved
        assert_no_secret(repr(good))
        good.close()
        bad = c.RedisTokenStore.from_url(f"redis://:wrong-{PASSWORD}@127.0.0.1:{secured.port}/0")
        with pytest.raises(c.TokenStoreUnavailableError) as info:
            bad.load()
        bad.close()
        assert_no_secret(str(info.value))
        assert_no_secret(repr(bad))
    finally:
        secured.stop()


# --------------------------------------------------------------------------- the lock


def test_lock_is_exclusive_across_threads(make_store: Callable[..., c.RedisTokenStore]) -> None:
    """8 threads on 2 store objects (one shared): never two inside the lock at once."""
    shared = make_store()
    stores = [shared, make_store()]
    events: list[tuple[str, int]] = []
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            for _ in range(5):
                with stores[index % 2].lock():
                    events.append(("in", index))
                    time.sleep(0.002)
                    events.append(("out", index))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(events) == 80
    for first, second in zip(events[::2], events[1::2], strict=True):
        assert first[0] == "in" and second == ("out", first[1])


@pytest.mark.timeout(120)  # processes starting on a busy machine
def test_lock_is_exclusive_across_processes(
    redis_server: RedisServer, key: str, tmp_path: Path
) -> None:
    """3 processes, each with its own store, take the lock 5 times: their turns never overlap."""
    log = tmp_path / "turns.log"
    script = textwrap.dedent(
        f"""
        import os, time
        import codex_open_client as c
        store = c.RedisTokenStore.from_url({redis_server.url!r}, key={key!r})
        for _ in range(5):
            with store.lock():
                with open({str(log)!r}, "a") as f:
                    f.write(f"in {{os.getpid()}}\\n")
                time.sleep(0.01)
                with open({str(log)!r}, "a") as f:
                    f.write(f"out {{os.getpid()}}\\n")
        store.close()
        """
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    for process in processes:
        _, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
    lines = [line.split() for line in log.read_text().splitlines()]
    assert len(lines) == 30
    assert len({pid for _, pid in lines}) == 3
    for first, second in zip(lines[::2], lines[1::2], strict=True):
        assert first[0] == "in" and second == ["out", first[1]]


def test_lock_can_be_released_from_another_thread(
    make_store: Callable[..., c.RedisTokenStore],
) -> None:
    """Taken in a worker thread, released in another (as the client does): really released."""
    store = make_store()
    other = make_store(lock_wait=0)
    lock = store.lock()
    taker = threading.Thread(target=lock.__enter__)
    taker.start()
    taker.join()
    with pytest.raises(c.TokenStoreUnavailableError) as info, other.lock():
        pass
    assert info.value.code == "refresh_lock_timeout"
    lock.__exit__(None, None, None)
    with other.lock():
        pass


def test_a_release_on_the_event_loop_does_not_wait_for_redis(
    make_store: Callable[..., c.RedisTokenStore], redis_server: RedisServer
) -> None:
    """The client releases the lock on its event loop: with Redis not answering writes (paused),
    __exit__ returns at once and the lock is given back as soon as Redis answers again."""
    store = make_store()
    raw = redis_server.client()

    async def main() -> bool:
        lock = store.lock()
        await asyncio.to_thread(lock.__enter__)
        raw.client_pause(3000, all=False)  # CLIENT PAUSE 3000 WRITE
        lock.__exit__(None, None, None)
        return bool(raw.exists(store.lock_key))  # reads are not paused

    assert asyncio.run(main())  # returned while the release still waited for Redis
    while raw.exists(store.lock_key):  # released once Redis answers again
        time.sleep(0.05)
    with make_store(lock_wait=0).lock():
        pass
    raw.close()


def test_waiting_too_long_for_the_lock_fails_closed(
    make_store: Callable[..., c.RedisTokenStore],
) -> None:
    """Another holder keeps the lock past lock_wait: refresh_lock_timeout, naming the lock."""
    holder = make_store()
    waiter = make_store(lock_wait=0.3)
    with (
        holder.lock(),
        pytest.raises(c.TokenStoreUnavailableError, match="refresh lock") as info,
        waiter.lock(),
    ):
        pass
    assert info.value.code == "refresh_lock_timeout" and info.value.status_code == 503
    assert waiter.lock_key in str(info.value)


def test_the_lock_is_extended_while_held(
    make_store: Callable[..., c.RedisTokenStore], server: FakeCodexServer
) -> None:
    """A holder slower than lock_timeout keeps its lock: others wait, its save goes through."""
    holder = make_store(lock_timeout=2.0)
    other = make_store(lock_wait=0)
    new = credentials(server, expires_in=3600)
    with holder.lock():
        time.sleep(4.5)  # past the lock's own timeout, which the holder keeps extending
        with pytest.raises(c.TokenStoreUnavailableError) as info, other.lock():
            pass
        assert info.value.code == "refresh_lock_timeout"
        holder.save(new)
    assert other.load() == new


def test_a_lost_lock_neither_reads_nor_saves(
    make_store: Callable[..., c.RedisTokenStore], redis_server: RedisServer, server: FakeCodexServer
) -> None:
    """The lock expired while held (deleted here, as an expiry or a restart would): load() and
    save() under it raise refresh_lock_lost, the stored credentials stay as they were, and the
    next holder takes the lock."""
    store = make_store()
    old = credentials(server, expires_in=-60)
    store.save(old)
    raw = redis_server.client()
    with store.lock():
        raw.delete(store.lock_key)
        with pytest.raises(c.TokenStoreUnavailableError) as loading:
            store.load()
        with pytest.raises(c.TokenStoreUnavailableError) as saving:
            store.save(credentials(server, expires_in=3600))
    assert loading.value.code == saving.value.code == "refresh_lock_lost"
    assert "does not" in str(saving.value)
    assert store.load() == old
    # A successor holds the lock now: the old holder's save is refused, the successor's is not.
    successor = make_store(lock_wait=0)
    with store.lock():
        raw.delete(store.lock_key)
        with successor.lock():
            with pytest.raises(c.TokenStoreUnavailableError):
                store.save(credentials(server, expires_in=3600))
            new = credentials(server, expires_in=3600)
            successor.save(new)
    assert store.load() == new
    raw.close()


# --------------------------------------------------------------------------- clients


def client_kwargs(server: FakeCodexServer, store: c.RedisTokenStore) -> dict[str, Any]:
    return {"base_url": server.url, "token_store": store, "issuer": server.issuer, "max_retries": 0}


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_client_refreshes_once_through_redis(
    make_store: Callable[..., c.RedisTokenStore], server: FakeCodexServer, mode: str
) -> None:
    """20 concurrent requests with an expired token: one refresh, saved to Redis, all answered."""
    store = make_store()
    store.save(credentials(server, expires_in=-60))
    before = server.refresh_count
    if mode == "async":

        async def main() -> list[str]:
            async with c.AsyncClient(**client_kwargs(server, store)) as client:
                results = await asyncio.gather(
                    *(client.responses.create(**BASE) for _ in range(20))
                )
                return [r.output_text for r in results]

        texts = asyncio.run(main())
    else:
        with c.Client(**client_kwargs(server, store)) as client:
            texts = [client.responses.create(**BASE).output_text for _ in range(3)]
    assert texts and all(texts)
    assert server.refresh_count == before + 1
    stored = store.load()
    assert stored is not None and not stored.needs_refresh(datetime.now(timezone.utc))
    assert stored.to_auth_json()["unknown_top_level"] == {"kept": True}


HOST_SCRIPT = textwrap.dedent(
    """
    import asyncio, json, sys
    import redis
    import codex_open_client as c

    config = json.loads(sys.argv[1])
    if config["host"] == "a":
        store = c.RedisTokenStore.from_url(
            config["url"], key=config["key"], client_name="host-a", lock_timeout=40,
            lock_wait=30,
        )
    else:
        store = c.RedisTokenStore(
            redis.Redis(port=config["port"], client_name="host-b", decode_responses=True,
                        socket_timeout=5, health_check_interval=10),
            key=config["key"], lock_timeout=75, lock_wait=45,
        )

    async def main():
        async with c.AsyncClient(base_url=config["base_url"], issuer=config["issuer"],
                                 token_store=store, max_retries=0) as client:
            print("ready", flush=True)
            sys.stdin.readline()  # go: every process starts at once
            results = await asyncio.gather(
                *(client.responses.create(model="gpt-5.1-codex-mini", instructions="",
                                          input="hi") for _ in range(config["requests"])),
                return_exceptions=True,
            )
        errors = [repr(r) for r in results if isinstance(r, BaseException)]
        texts = [r.output_text for r in results if not isinstance(r, BaseException)]
        print(json.dumps({"errors": errors, "texts": texts}), flush=True)

    async def serve():
        from aiohttp import web
        from codex_open_client.gateway import create_app

        client = c.AsyncClient(base_url=config["base_url"], issuer=config["issuer"],
                               token_store=store, max_retries=0)
        runner = web.AppRunner(create_app(client, close_client=True), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print("port", runner.addresses[0][1], flush=True)
        await asyncio.to_thread(sys.stdin.readline)  # stop
        await runner.cleanup()

    asyncio.run(serve() if config.get("gateway") else main())
    store.close()
    """
)


def run_hosts(
    server: FakeCodexServer, redis_server: RedisServer, key: str, hosts: list[str], requests: int
) -> list[dict[str, Any]]:
    """Start one process per entry of ``hosts`` ("a" or "b"), release them together, collect."""
    processes = []
    for host in hosts:
        config = {
            "host": host,
            "url": redis_server.url,
            "port": redis_server.port,
            "key": key,
            "base_url": server.url,
            "issuer": server.issuer,
            "requests": requests,
        }
        processes.append(
            subprocess.Popen(
                [sys.executable, "-c", HOST_SCRIPT, json.dumps(config)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    try:
        for process in processes:
            assert process.stdout is not None
            assert process.stdout.readline() == "ready\n", process.communicate(timeout=30)[1]
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        outputs = []
        for process in processes:
            out, err = process.communicate(timeout=60)
            assert process.returncode == 0, err
            assert_no_secret(out + err)
            outputs.append(json.loads(out.strip().splitlines()[-1]))
        return outputs
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.mark.timeout(120)
def test_two_hosts_and_three_processes_refresh_exactly_once(
    server: FakeCodexServer, make_store: Callable[..., c.RedisTokenStore], redis_server: RedisServer
) -> None:
    """Host A (one process, a store from a URL) and host B (two workers, a store on their own
    redis.Redis with other options), one redis-server and one key, an expired token, 60
    concurrent requests in all: exactly one refresh at the OAuth server, all 60 answered."""
    store = make_store()
    store.save(credentials(server, expires_in=-60))
    server.refresh_delay = 0.3  # a slow token endpoint: the others arrive while it refreshes
    before = server.refresh_count
    try:
        outputs = run_hosts(server, redis_server, store.key, ["a", "b", "b"], requests=20)
    finally:
        server.refresh_delay = 0.0
    assert [o["errors"] for o in outputs] == [[], [], []]
    assert [len(o["texts"]) for o in outputs] == [20, 20, 20] and all(
        text for o in outputs for text in o["texts"]
    )
    assert server.refresh_count == before + 1
    stored = store.load()
    assert stored is not None and stored.to_auth_json()["unknown_top_level"] == {"kept": True}


def test_without_redis_from_the_start_nothing_is_refreshed(
    server: FakeCodexServer, own_redis: RedisServer
) -> None:
    """Redis down before the first request (expired token stored): every request fails with
    TokenStoreUnavailableError, never 'not signed in', and nothing is refreshed."""
    store = c.RedisTokenStore.from_url(own_redis.url, key="auth")
    store.save(credentials(server, expires_in=-60))
    own_redis.stop()
    before = server.refresh_count

    async def main() -> list[BaseException | c.Response]:
        async with c.AsyncClient(**client_kwargs(server, store)) as client:
            return await asyncio.gather(
                *(client.responses.create(**BASE) for _ in range(10)), return_exceptions=True
            )

    results = asyncio.run(main())
    store.close()
    assert all(isinstance(r, c.TokenStoreUnavailableError) for r in results), results
    assert server.refresh_count == before
    assert server.requests == []


def test_redis_stopped_mid_run_fails_closed(
    server: FakeCodexServer, own_redis: RedisServer
) -> None:
    """Requests waiting for the refresh lock when Redis stops, and requests whose token is
    revoked afterwards (a 401 needing a refresh): all fail with TokenStoreUnavailableError,
    0 refreshes; requests with a valid token in memory go on meanwhile."""
    store = c.RedisTokenStore.from_url(own_redis.url, key="auth")
    blocker = c.RedisTokenStore.from_url(own_redis.url, key="auth")
    before = server.refresh_count

    async def main() -> None:
        async with (
            c.AsyncClient(**client_kwargs(server, store)) as waiting,
            c.AsyncClient(**client_kwargs(server, store)) as working,
        ):
            valid = credentials(server, expires_in=3600)
            store.save(valid)
            assert (await working.responses.create(**BASE)).output_text  # loaded, in memory
            store.save(credentials(server, expires_in=-60))
            held = blocker.lock()
            held.__enter__()  # another host is refreshing
            calls = [asyncio.ensure_future(waiting.responses.create(**BASE)) for _ in range(10)]
            await asyncio.sleep(1.0)  # they loaded the expired token and wait for the lock
            await asyncio.to_thread(own_redis.stop)
            results = await asyncio.gather(*calls, return_exceptions=True)
            held.__exit__(None, None, None)  # Redis is gone: logged, not raised
            assert all(isinstance(r, c.TokenStoreUnavailableError) for r in results), results
            assert (await working.responses.create(**BASE)).output_text  # valid token: fine
            await revoke(server, valid.access_token)  # now it needs a refresh
            more = await asyncio.gather(
                *(working.responses.create(**BASE) for _ in range(10)), return_exceptions=True
            )
            assert all(isinstance(r, c.TokenStoreUnavailableError) for r in more), more
            for error in [*results, *more]:
                assert_no_secret(str(error))

    asyncio.run(main())
    store.close()
    blocker.close()
    assert server.refresh_count == before


async def revoke(server: FakeCodexServer, token: str) -> None:
    """Revoke ``token`` at the fake issuer, as a sign-out elsewhere would."""
    import aiohttp

    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{server.issuer}/oauth/revoke",
            json={"token": token, "token_type_hint": "access_token"},
        ) as response,
    ):
        await response.read()
        assert response.status == 200


def test_the_readme_example_runs(
    server: FakeCodexServer,
    redis_server: RedisServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The README's Redis example (a ```py block: it needs a Redis server) runs as written,
    against this Redis and the fake backend: the CLI's auth.json lands in Redis, the request is
    answered."""
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    [code] = [b for b in re.findall(r"```py\n(.*?)```", readme, re.S) if "RedisTokenStore" in b]
    home = tmp_path / "home"
    (home / ".codex").mkdir(parents=True, mode=0o700)
    auth = home / ".codex" / "auth.json"
    auth.write_text(json.dumps(server.mint_credentials(expires_in=3600)))
    auth.chmod(0o600)
    monkeypatch.setenv("HOME", str(home))
    url = "redis://localhost:6379/0"
    call = "codex_open_client.Client(token_store=store)"
    assert url in code and call in code
    code = code.replace(url, redis_server.url).replace(
        call, f"codex_open_client.Client(token_store=store, base_url={server.url!r})"
    )
    raw = redis_server.client()
    raw.delete("codex_open_client:auth")
    try:
        exec(compile(code, "README.md", "exec"), {})
        assert (
            raw.get("codex_open_client:auth")
            == json.dumps(json.loads(auth.read_text()), indent=2).encode()
        )
    finally:
        raw.delete("codex_open_client:auth")
        raw.close()
    assert [r.path for r in server.requests][-1].endswith("/responses")


def test_the_gateway_answers_503_when_redis_stops(
    server: FakeCodexServer, own_redis: RedisServer
) -> None:
    """A gateway whose client keeps its sign-in in Redis: served while Redis is up; once Redis
    is stopped, a request needing a refresh (its token revoked: a 401 upstream) is answered
    503 token_store_unavailable in OpenAI's shape, with no token in it, and nothing is
    refreshed; the backend's first 401 is the only request that reached it."""
    from aiohttp import ClientSession
    from aiohttp.test_utils import TestServer

    from codex_open_client.gateway import create_app

    store = c.RedisTokenStore.from_url(own_redis.url, key="auth")
    valid = credentials(server, expires_in=3600)
    store.save(valid)
    before = server.refresh_count
    body = {"model": BASE["model"], "messages": [{"role": "user", "content": "Hi"}]}

    async def main() -> None:
        client = c.AsyncClient(**client_kwargs(server, store))
        gateway = TestServer(create_app(client, close_client=True), host="127.0.0.1", port=0)
        await gateway.start_server()
        url = str(gateway.make_url("/v1/chat/completions"))
        try:
            async with ClientSession() as session:
                async with session.post(url, json=body) as response:
                    assert response.status == 200, await response.text()
                await asyncio.to_thread(own_redis.stop)
                await revoke(server, valid.access_token)
                sent = len(server.requests)
                for _ in range(3):
                    async with session.post(url, json=body) as response:
                        text = await response.text()
                        assert response.status == 503, text
                        error = json.loads(text)["error"]
                        assert error["code"] == "token_store_unavailable", error
                        assert f":{own_redis.port}" not in text  # the operator's, not the client's
                        assert_no_secret(text)
                assert len(server.requests) - sent == 3  # each one 401, then no refresh
        finally:
            await gateway.close()
            store.close()

    asyncio.run(main())
    assert server.refresh_count == before


@pytest.mark.timeout(120)
def test_three_gateway_processes_on_two_hosts_refresh_exactly_once(
    server: FakeCodexServer, make_store: Callable[..., c.RedisTokenStore], redis_server: RedisServer
) -> None:
    """The issue's acceptance, through the gateway: 3 gateway processes (host A, and host B
    with two workers, configured apart) on one Redis key with an expired token; 60 concurrent
    chat completions spread over them: all answered 200, exactly one refresh."""
    from aiohttp import ClientSession

    store = make_store()
    store.save(credentials(server, expires_in=-60))
    server.refresh_delay = 0.3
    before = server.refresh_count
    processes = []
    try:
        for host in ["a", "b", "b"]:
            config = {
                "host": host,
                "gateway": True,
                "url": redis_server.url,
                "port": redis_server.port,
                "key": store.key,
                "base_url": server.url,
                "issuer": server.issuer,
            }
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-c", HOST_SCRIPT, json.dumps(config)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        ports = []
        for process in processes:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert line.startswith("port "), process.communicate(timeout=30)[1]
            ports.append(int(line.split()[1]))
        body = {"model": BASE["model"], "messages": [{"role": "user", "content": "Hi"}]}

        async def ask(session: ClientSession, port: int) -> tuple[int, str]:
            url = f"http://127.0.0.1:{port}/v1/chat/completions"
            async with session.post(url, json=body) as response:
                return response.status, await response.text()

        async def main() -> list[tuple[int, str]]:
            async with ClientSession() as session:
                return await asyncio.gather(*(ask(session, ports[i % 3]) for i in range(60)))

        answers = asyncio.run(main())
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("stop\n")
            process.stdin.flush()
        for process in processes:
            out, err = process.communicate(timeout=60)
            assert process.returncode == 0, err
            assert_no_secret(out + err)
    finally:
        server.refresh_delay = 0.0
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert [status for status, _ in answers] == [200] * 60, answers
    assert all(json.loads(text)["choices"][0]["message"]["content"] for _, text in answers)
    for _, text in answers:
        assert_no_secret(text)
    assert server.refresh_count == before + 1


def test_serve_with_redis_url_shares_the_sign_in_and_the_responses(
    server: FakeCodexServer, own_redis: RedisServer
) -> None:
    """`codex-open-client serve --redis-url URL --workers 2`: an expired token in Redis is
    refreshed once for 20 concurrent requests, and a previous_response_id chain of 6 turns
    works whichever worker each turn lands on (with memory stores it depends on luck)."""
    from concurrent.futures import ThreadPoolExecutor

    import openai

    from .test_gateway_serve import CLI_SERVE, Served, _env

    store = c.RedisTokenStore.from_url(own_redis.url)
    store.save(credentials(server, expires_in=-60))
    store.close()
    server.refresh_delay = 0.2
    before = server.refresh_count
    served = Served(
        "--workers",
        "2",
        "--redis-url",
        own_redis.url,
        "--base-url",
        server.url,
        "--chatgpt-base-url",
        server.chatgpt_base_url,
        "--issuer",
        server.issuer,
        entry=CLI_SERVE,
        env=_env(HOME="/nonexistent"),
    )
    try:
        url = f"http://127.0.0.1:{served.port}/v1"

        def ask(index: int) -> Any:
            with openai.OpenAI(base_url=url, api_key="unused", max_retries=0) as client:
                return client.chat.completions.create(
                    model=BASE["model"], messages=[{"role": "user", "content": f"Hi {index}"}]
                )

        with ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(ask, range(20)))
        assert all(answer.choices[0].message.content for answer in answers)
        assert server.refresh_count == before + 1
        with openai.OpenAI(base_url=url, api_key="unused", max_retries=0) as client:
            previous = None
            for turn in range(6):
                response = client.responses.create(
                    model=BASE["model"], input=f"turn {turn}", previous_response_id=previous
                )
                previous = response.id
        inputs = [r.json["input"] for r in server.requests if r.path.endswith("/responses")]
        # The last turn went upstream with the 5 earlier turns (question and answer) expanded.
        assert sum(1 for item in inputs[-1] if item.get("role") == "user") == 6
        assert own_redis.client().keys("codex_open_client:response:*")
    finally:
        server.refresh_delay = 0.0
        assert served.stop() in (0, 130)
    assert "without --redis-url" not in "".join(served.lines)
    assert_no_secret("".join(served.lines))
