"""A ``ResponseStore`` in Redis: ``previous_response_id`` works across gateway processes and
hosts, each response kept under its own key until its ttl runs out (Redis expires it).

It uses redis-py's asyncio client, imported only when a store is made (the ``[redis]`` extra).
A store failing to save drops the entry (the protocol allows it: the next turn that names it
gets ``previous_response_not_found``, from which clients recover by sending the whole
conversation); a store failing to read answers 503, since the response may well exist.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .. import _json
from .._auth._redis_store import _address
from ._errors import GatewayError

if TYPE_CHECKING:
    import redis.asyncio

__all__ = ["DEFAULT_PREFIX", "RedisResponseStore"]

logger = logging.getLogger("codex_open_client.gateway")

DEFAULT_PREFIX = "codex_open_client:response:"
_SOCKET_TIMEOUT = 5.0
# Longer ids are no id the gateway gave out (resp_ + 32 hex): not worth a Redis call.
_MAX_ID_LENGTH = 256

Items = list[dict[str, Any]]


class RedisResponseStore:
    """Served responses in Redis, shared by every gateway using the same Redis and prefix.

    Each response's conversation items are one JSON value under ``prefix + response_id``,
    set to expire after the gateway's ``response_ttl``. Give Redis a ``maxmemory`` with
    ``maxmemory-policy volatile-ttl`` (or ``volatile-lru``) to bound it as the in-memory store
    bounds itself.

    Args:
        client: A ``redis.asyncio.Redis``, used from the gateway's event loop only.
        prefix: What every key starts with.
    """

    def __init__(self, client: redis.asyncio.Redis, *, prefix: str = DEFAULT_PREFIX) -> None:
        import inspect

        execute = getattr(client, "execute_command", None)
        if not inspect.iscoroutinefunction(execute):
            raise TypeError(f"client must be a redis.asyncio.Redis, got {type(client).__name__}")
        if not isinstance(prefix, str):
            raise TypeError(f"prefix must be a string, got {prefix!r}")
        self._client = client
        self._prefix = prefix
        self._owned = False

    @classmethod
    def from_url(
        cls, url: str, *, prefix: str = DEFAULT_PREFIX, **options: Any
    ) -> RedisResponseStore:
        """A store on a new asyncio client for ``url`` (``redis://``, ``rediss://``, ``unix://``).

        ``options`` go to ``redis.asyncio.Redis.from_url``; socket timeouts default to 5
        seconds. ``aclose()`` closes that client.
        """
        if not isinstance(url, str):
            raise TypeError(f"url must be a string such as 'redis://localhost:6379/0', got {url!r}")
        try:
            import redis.asyncio as redis_asyncio
        except ImportError:
            raise ImportError(
                "RedisResponseStore needs redis-py: pip install 'codex-open-client[redis]'"
            ) from None
        options.setdefault("socket_timeout", _SOCKET_TIMEOUT)
        options.setdefault("socket_connect_timeout", _SOCKET_TIMEOUT)
        try:
            client = redis_asyncio.Redis.from_url(url, **options)
        except ValueError:
            # Not redis-py's message: it may quote the URL, password included.
            raise ValueError(
                "url must be a redis://, rediss:// or unix:// URL such as "
                "'redis://localhost:6379/0'"
            ) from None
        store = cls(client, prefix=prefix)
        store._owned = True
        return store

    @property
    def prefix(self) -> str:
        """What every key starts with."""
        return self._prefix

    def __repr__(self) -> str:
        return f"RedisResponseStore(prefix={self._prefix!r}, redis={_address(self._client)!r})"

    async def aclose(self) -> None:
        """Close the client made by ``from_url`` (a client passed in is left to its owner)."""
        if self._owned:
            await self._client.aclose()

    async def get(self, response_id: str) -> Items | None:
        """The items stored for ``response_id``; None when unknown, expired or unreadable.

        Raises ``GatewayError`` (503) when Redis cannot be read.
        """
        if len(response_id) > _MAX_ID_LENGTH:
            return None
        with self._redis_errors("read"):
            raw = await self._client.get(self._prefix + response_id)
        if raw is None:
            return None
        try:
            items = _json.loads(raw)
        except ValueError:
            items = None
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            logger.warning("ignoring the malformed stored response %r", response_id)
            return None
        return items

    async def put(self, response_id: str, items: Sequence[dict[str, Any]], ttl: float) -> None:
        """Store ``items`` for ``response_id`` for ``ttl`` seconds (replacing any entry).

        When Redis cannot be written the entry is dropped (logged), never raised: the
        response was already served.
        """
        milliseconds = int(ttl * 1000)
        if milliseconds <= 0 or len(response_id) > _MAX_ID_LENGTH:
            return
        value = _json.dumps(list(items))
        try:
            with self._redis_errors("save"):
                await self._client.set(self._prefix + response_id, value, px=milliseconds)
        except GatewayError as exc:
            logger.warning("%s; %r is not kept for previous_response_id", exc, response_id)

    async def delete(self, response_id: str) -> bool:
        """Forget ``response_id``; True when it was stored (and not yet expired)."""
        if len(response_id) > _MAX_ID_LENGTH:
            return False
        with self._redis_errors("delete"):
            return bool(await self._client.delete(self._prefix + response_id))

    @contextmanager
    def _redis_errors(self, action: str) -> Iterator[None]:
        from redis.exceptions import RedisError

        try:
            yield
        except RedisError as exc:
            # Where Redis lives is the operator's business: logged here, not told to clients.
            logger.warning(
                "response store: cannot %s (Redis at %s: %s)",
                action,
                _address(self._client),
                type(exc).__name__,
            )
            raise GatewayError(
                503,
                f"The gateway cannot {action} its stored responses; try again later.",
                type="server_error",
                code="response_store_unavailable",
            ) from None
