"""``codex-open-client serve``: run the gateway from a terminal.

``add_serve_arguments(parser)`` adds the command's options and ``run_serve(args)`` runs it
(it returns the exit status). ``--workers N`` starts N processes on one port
(``SO_REUSEPORT``); they share the one sign-in (``auth.json``) through the credentials
file's cross-process lock, so a single-use refresh token is spent once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import logging
import multiprocessing
import os
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from queue import Empty
from typing import Any

__all__ = ["add_serve_arguments", "check_bind", "parse_api_keys", "run_serve"]

PROG = "codex-open-client serve"
ENV_API_KEYS = "CODEX_GATEWAY_API_KEYS"
ENV_REDIS_URL = "CODEX_GATEWAY_REDIS_URL"
logger = logging.getLogger("codex_open_client.gateway")


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"not a TCP port: {text}")
    return value


def _workers(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"--workers must be 1 to 64, got {text}")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive number of bytes, got {text}")
    return value


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``serve`` to ``parser`` (a subcommand's parser)."""
    parser.add_argument(
        "--host", default="127.0.0.1", metavar="HOST", help="interface (default: 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=_port, default=8000, metavar="N", help="TCP port (default: 8000; 0: any)"
    )
    parser.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help="a key clients must send as 'Authorization: Bearer KEY' (repeatable; also "
        f"${ENV_API_KEYS}, comma-separated); required to listen beyond loopback",
    )
    parser.add_argument(
        "--allowed-origin",
        action="append",
        dest="allowed_origins",
        metavar="ORIGIN",
        help="a browser origin granted CORS, e.g. http://localhost:3000 (repeatable)",
    )
    parser.add_argument(
        "--workers",
        type=_workers,
        default=1,
        metavar="N",
        help="processes serving the one port (SO_REUSEPORT), sharing one sign-in (default: 1)",
    )
    parser.add_argument(
        "--redis-url",
        metavar="URL",
        default=None,
        help="keep the sign-in (RedisTokenStore) and the responses previous_response_id "
        f"names (RedisResponseStore) in this Redis, shared by replicas on any host (also "
        f"${ENV_REDIS_URL}); the sign-in is read from its key, never from auth.json",
    )
    parser.add_argument(
        "--max-body-size",
        type=_positive,
        default=None,
        metavar="BYTES",
        help="the largest request body accepted; larger ones get 413",
    )


def parse_api_keys(flags: Sequence[str] | None, environ: dict[str, str] | None = None) -> list[str]:
    """The keys of ``--api-key`` flags and ``$CODEX_GATEWAY_API_KEYS`` (comma-separated)."""
    env = os.environ if environ is None else environ
    keys = [key.strip() for key in flags or () if key.strip()]
    keys += [key.strip() for key in env.get(ENV_API_KEYS, "").split(",") if key.strip()]
    return list(dict.fromkeys(keys))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, api_keys: Sequence[str]) -> str | None:
    """Why the gateway must not start on ``host`` (None when it may)."""
    if not _is_loopback(host) and not api_keys:
        return (
            f"refusing to listen on {host} without an API key: anyone who can reach it "
            f"would use your ChatGPT subscription; pass --api-key KEY (or set {ENV_API_KEYS})"
        )
    return None


@contextlib.contextmanager
def _fake_backend() -> Iterator[dict[str, Any]]:
    """The embedded fake backend and a throwaway sign-in, as client keywords."""
    from ..testing import FakeCodexServer

    with (
        FakeCodexServer() as server,
        tempfile.TemporaryDirectory(prefix="codex-gateway-fake-") as home,
    ):
        path = Path(home) / "auth.json"
        path.write_text(json.dumps(server.mint_credentials()), encoding="utf-8")
        path.chmod(0o600)
        yield {
            "base_url": server.url,
            "chatgpt_base_url": server.chatgpt_base_url,
            "issuer": server.issuer,
            "codex_home": home,
        }


def _client_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for name in ("base_url", "chatgpt_base_url", "issuer", "codex_home", "timeout", "max_retries"):
        value = getattr(args, name, None)
        if value is not None:
            kwargs[name] = value
    return kwargs


def _redis_url(args: argparse.Namespace) -> str | None:
    url = getattr(args, "redis_url", None) or os.environ.get(ENV_REDIS_URL, "").strip()
    return url or None


@contextlib.contextmanager
def _token_store(redis_url: str | None) -> Iterator[Any]:
    """The Redis token store of ``--redis-url`` (None without one), closed at the end."""
    if redis_url is None:
        yield None
        return
    from .._auth._redis_store import RedisTokenStore

    store = RedisTokenStore.from_url(redis_url)
    try:
        yield store
    finally:
        store.close()


def _app_kwargs(args: argparse.Namespace, api_keys: Sequence[str]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "api_keys": list(api_keys),
        "allowed_origins": list(getattr(args, "allowed_origins", None) or ()),
        # A URL, not a store: the keywords travel to worker processes.
        "redis_url": _redis_url(args),
    }
    if getattr(args, "max_body_size", None) is not None:
        kwargs["max_body_size"] = args.max_body_size
    return kwargs


async def _serve(
    host: str,
    port: int,
    client_kwargs: dict[str, Any],
    app_kwargs: dict[str, Any],
    *,
    reuse_port: bool,
    on_ready: Callable[[int], None] | None = None,
    stop: asyncio.Event | None = None,
    ready_queue: Any = None,
) -> None:
    from .._client import AsyncClient
    from ._app import create_app

    app_kwargs = dict(app_kwargs)
    redis_url = app_kwargs.pop("redis_url", None)
    with _token_store(redis_url) as token_store:
        if token_store is not None:
            from ._redis_responses import RedisResponseStore

            client_kwargs = {**client_kwargs, "token_store": token_store}
            app_kwargs["response_store"] = RedisResponseStore.from_url(redis_url)
        try:
            await _serve_app(
                create_app(AsyncClient(**client_kwargs), close_client=True, **app_kwargs),
                host,
                port,
                reuse_port=reuse_port,
                on_ready=on_ready,
                stop=stop,
                ready_queue=ready_queue,
            )
        finally:
            if "response_store" in app_kwargs:
                await app_kwargs["response_store"].aclose()


async def _serve_app(
    app: Any,
    host: str,
    port: int,
    *,
    reuse_port: bool,
    on_ready: Callable[[int], None] | None,
    stop: asyncio.Event | None,
    ready_queue: Any,
) -> None:
    from aiohttp import web

    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, reuse_port=reuse_port or None)
        await site.start()
        bound = runner.addresses[0][1] if runner.addresses else port
        if on_ready is not None:
            on_ready(bound)
        if ready_queue is not None:
            ready_queue.put(os.getpid())
        await (stop or asyncio.Event()).wait()
    finally:
        await runner.cleanup()


def _worker(
    host: str,
    port: int,
    client_kwargs: dict[str, Any],
    app_kwargs: dict[str, Any],
    ready_queue: Any,
) -> None:
    """One worker process of ``--workers N``."""
    _configure_logging()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            _serve(host, port, client_kwargs, app_kwargs, reuse_port=True, ready_queue=ready_queue)
        )


def _signed_in(client_kwargs: dict[str, Any], redis_url: str | None) -> bool:
    """Whether there are stored credentials (a server must not start an interactive sign-in)."""
    from .._client import AsyncClient
    from .._exceptions import CodexError

    with _token_store(redis_url) as token_store:
        if token_store is not None:
            client_kwargs = {**client_kwargs, "token_store": token_store}
        client = AsyncClient(**client_kwargs)
        try:
            return client.account is not None
        except CodexError:
            return False
        finally:
            asyncio.run(client.aclose())


def _configure_logging() -> None:
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def run_serve(
    args: argparse.Namespace,
    *,
    on_ready: Callable[[int], None] | None = None,
    stop: asyncio.Event | None = None,
) -> int:
    """Run ``serve`` with parsed ``args``; the exit status (2 when it refuses to start).

    ``on_ready(port)`` is called once listening (the port is useful with ``--port 0``);
    setting ``stop`` (single worker) shuts it down, as Ctrl-C does.
    """
    api_keys = parse_api_keys(getattr(args, "api_keys", None))
    host: str = getattr(args, "host", "127.0.0.1")
    port: int = getattr(args, "port", 8000)
    workers: int = getattr(args, "workers", 1)
    reason = check_bind(host, api_keys)
    if reason is not None:
        sys.stderr.write(f"{PROG}: {reason}\n")
        return 2
    app_kwargs = _app_kwargs(args, api_keys)
    from ._app import _origins

    try:
        _origins(app_kwargs["allowed_origins"])
    except (TypeError, ValueError) as exc:
        sys.stderr.write(f"{PROG}: {exc}\n")
        return 2
    with contextlib.ExitStack() as stack:
        if getattr(args, "fake", False):
            client_kwargs = stack.enter_context(_fake_backend())
        else:
            client_kwargs = _client_kwargs(args)
        redis_url = app_kwargs["redis_url"]
        if not _signed_in(client_kwargs, redis_url):
            where = (
                "run `codex-open-client login` first"
                if redis_url is None
                else "store credentials under the Redis key first (see the README)"
            )
            sys.stderr.write(
                f"{PROG}: not signed in: {where} (the gateway never starts an interactive "
                "sign-in)\n"
            )
            return 3
        _configure_logging()
        if workers > 1 and port == 0:
            port = _free_port(host)

        def ready(bound: int) -> None:
            where = f"http://{host}:{bound}/v1"
            extra = f" ({workers} workers)" if workers > 1 else ""
            if workers > 1 and redis_url is None:
                # Each worker keeps its own served responses in memory.
                extra += (
                    "; without --redis-url, previous_response_id is honoured only by the "
                    "worker that served that response"
                )
            sys.stderr.write(f"{PROG}: listening on {where}{extra}\n")
            sys.stderr.flush()
            if on_ready is not None:
                on_ready(bound)

        if workers == 1:
            try:
                asyncio.run(
                    _serve(
                        host,
                        port,
                        client_kwargs,
                        app_kwargs,
                        reuse_port=False,
                        on_ready=ready,
                        stop=stop,
                    )
                )
            except KeyboardInterrupt:
                return 130
            return 0
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        processes = [
            context.Process(
                target=_worker, args=(host, port, client_kwargs, app_kwargs, queue), daemon=True
            )
            for _ in range(workers)
        ]
        for process in processes:
            process.start()
        try:
            for _ in processes:
                try:
                    queue.get(timeout=120)  # each worker reports once it listens
                except Empty:
                    sys.stderr.write(f"{PROG}: a worker did not start\n")
                    return 1
            ready(port)
            for process in processes:
                process.join()
        except KeyboardInterrupt:
            return 130
        finally:
            for process in processes:
                if process.is_alive():
                    process.terminate()
            for process in processes:
                process.join(5)
        return 0 if all(process.exitcode == 0 for process in processes) else 1
