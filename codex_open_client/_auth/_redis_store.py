"""Credentials in Redis: one sign-in shared by processes on any number of hosts.

The credentials are stored under one key in the Codex CLI's ``auth.json`` format (the same
text ``FileTokenStore`` writes), and refreshes are serialised by a Redis lock. Refresh tokens
are single-use, so every doubt fails closed: when Redis cannot be reached, or the lock cannot
be had or was lost, the store raises ``TokenStoreUnavailableError`` and nothing is refreshed.

redis-py is imported only when a store is made (the ``[redis]`` extra), so ``import
codex_open_client`` never loads it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import threading
import time
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .. import _json
from .._exceptions import AuthError, ServerError
from ._tokens import Credentials

if TYPE_CHECKING:
    import redis
    from redis.lock import Lock

__all__ = ["RedisTokenStore", "TokenStoreUnavailableError"]

logger = logging.getLogger("codex_open_client")

DEFAULT_KEY = "codex_open_client:auth"
#: Longer than a refresh call may take (30 s): a holder cut off from Redis, whose lock is no
#: longer extended, still finishes its refresh before anyone else can take the lock.
DEFAULT_LOCK_TIMEOUT = 60.0
DEFAULT_LOCK_WAIT = 90.0
_SOCKET_TIMEOUT = 5.0
_FIX = "fix or delete the key, then sign in again (`codex login`) and store the result"

# SET the credentials only while the lock still holds this holder's token (a fenced write).
_FENCED_SET = """
if redis.call('get', KEYS[2]) == ARGV[2] then
    redis.call('set', KEYS[1], ARGV[1])
    return 1
end
return 0
"""


class TokenStoreUnavailableError(ServerError):
    """The token store cannot be used now, so no refresh was tried (status_code 503).

    ``code`` says why: ``token_store_unavailable`` (Redis unreachable or refusing),
    ``refresh_lock_timeout`` (another holder kept the refresh lock too long) or
    ``refresh_lock_lost`` (the lock expired while held). Retrying later is safe: the
    single-use refresh token has not been spent. Not an ``AuthError``: signing in again
    does not help; the gateway answers it 503.
    """

    def __init__(self, message: str, *, code: str = "token_store_unavailable") -> None:
        super().__init__(message, status_code=503, code=code)


def _redis_module() -> Any:
    try:
        import redis
    except ImportError:
        raise ImportError(
            "RedisTokenStore needs redis-py: pip install 'codex-open-client[redis]'"
        ) from None
    return redis


def _number(name: str, value: object, *, minimum: float, strict: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number of seconds, got {value!r}")
    if value < minimum or (strict and value == minimum):
        bound = f"greater than {minimum:g}" if strict else f"at least {minimum:g}"
        raise ValueError(f"{name} must be {bound} seconds, got {value!r}")
    return float(value)


def _key_name(name: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"{name} must be a non-empty string, got {value!r}")
    return value


def _address(client: Any) -> str:
    """Where ``client`` connects, as a URL without user name or password."""
    try:
        pool = client.connection_pool
        kwargs, kind = pool.connection_kwargs, pool.connection_class.__name__
    except AttributeError:
        return type(client).__name__
    db = kwargs.get("db", 0)
    if kwargs.get("path"):
        return f"unix://{kwargs['path']}?db={db}"
    scheme = "rediss" if "SSL" in kind else "redis"
    return f"{scheme}://{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}/{db}"


class _Held:
    """One holding of the refresh lock, kept alive by a watchdog thread until released."""

    def __init__(self, lock: Lock, token: str, interval: float) -> None:
        self.lock = lock
        self.token = token
        self._stop = threading.Event()
        self._interval = interval
        self._watchdog = threading.Thread(
            target=self._extend, name="codex-open-client-redis-lock", daemon=True
        )
        self._watchdog.start()

    def _extend(self) -> None:
        # A live holder keeps its lock however long its refresh takes; only a holder cut off
        # from Redis (or stopped) loses it, and then its fenced save refuses to write.
        from redis.exceptions import LockError, RedisError

        while not self._stop.wait(self._interval):
            try:
                self.lock.reacquire()
            except LockError:
                return  # released, or lost: load() and save() find out for themselves
            except RedisError:
                continue  # maybe the next try gets through; the TTL runs down meanwhile

    def release(self, store: RedisTokenStore) -> None:
        """Give the lock back: here, or in a thread when called from a running event loop."""
        self._stop.set()
        if _in_event_loop():
            # The client releases on its loop (the lock's __exit__ cannot be awaited): a Redis
            # that stopped answering must not freeze every other request for its timeouts.
            try:
                threading.Thread(
                    target=self._release, args=(store,), name="codex-open-client-redis-unlock"
                ).start()
                return
            except RuntimeError:  # interpreter shutdown: no new threads
                pass
        self._release(store)

    def _release(self, store: RedisTokenStore) -> None:
        from redis.exceptions import LockError, RedisError

        try:
            self.lock.release()
        except LockError:
            logger.warning("the refresh lock %r had expired before its release", store.lock_key)
        except RedisError as exc:
            # Never raised: the refresh is over, and the lock expires by itself.
            logger.warning(
                "could not release the refresh lock %r (%s); it expires by itself",
                store.lock_key,
                type(exc).__name__,
            )


def _in_event_loop() -> bool:
    import sys

    asyncio = sys.modules.get("asyncio")  # not imported: no loop can be running
    if asyncio is None:
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class RedisTokenStore:
    """Credentials in Redis, shared by every process and host that uses the same key.

    The value under ``key`` is the Codex CLI's ``auth.json`` text. ``lock()`` is a Redis
    lock under ``lock_key`` (default ``key + ":lock"``) that expires after ``lock_timeout``
    seconds unless its holder, while alive, keeps extending it; waiting for it gives up after
    ``lock_wait`` seconds. A holder that lost the lock cannot save, and every Redis failure is
    a ``TokenStoreUnavailableError``: a refresh token is never spent twice.

    Args:
        client: A synchronous ``redis.Redis`` (any ``decode_responses``); give it socket
            timeouts, or a Redis that stops answering blocks the refresh that waits for it.
        key: The key holding the credentials.
        lock_key: The key of the refresh lock.
        lock_timeout: Seconds the lock outlives a holder that stopped extending it; keep it
            above 30 (the longest a refresh call takes).
        lock_wait: Seconds to wait for the lock before giving up.

    Use a single Redis server (or a primary with replicas), not Redis Cluster, and keep its
    persistence on: a restart without the key signs everyone out.
    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        key: str = DEFAULT_KEY,
        lock_key: str | None = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        lock_wait: float = DEFAULT_LOCK_WAIT,
    ) -> None:
        import inspect

        execute = getattr(client, "execute_command", None)
        if not callable(execute) or inspect.iscoroutinefunction(execute):
            raise TypeError(
                "client must be a synchronous redis.Redis (not a redis.asyncio one), "
                f"got {type(client).__name__}"
            )
        self._client = client
        self._key = _key_name("key", key)
        self._lock_key = _key_name("lock_key", lock_key if lock_key is not None else key + ":lock")
        if self._lock_key == self._key:
            raise ValueError("lock_key must differ from key")
        self._lock_timeout = _number("lock_timeout", lock_timeout, minimum=0, strict=True)
        self._lock_wait = _number("lock_wait", lock_wait, minimum=0, strict=False)
        self._fenced_set = client.register_script(_FENCED_SET)
        # One holder per store object at a time, so a holder that lost its Redis lock cannot
        # borrow the fence of the next holder in this process.
        self._local = threading.Lock()
        self._held: _Held | None = None
        self._owned = False

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        key: str = DEFAULT_KEY,
        lock_key: str | None = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        lock_wait: float = DEFAULT_LOCK_WAIT,
        **options: Any,
    ) -> RedisTokenStore:
        """A store on a new client for ``url`` (``redis://``, ``rediss://`` or ``unix://``).

        ``options`` go to ``redis.Redis.from_url`` (``client_name=``, ``ssl_ca_certs=``, ...);
        socket timeouts default to 5 seconds. ``close()`` closes that client.
        """
        if not isinstance(url, str):
            raise TypeError(f"url must be a string such as 'redis://localhost:6379/0', got {url!r}")
        redis_module = _redis_module()
        options.setdefault("socket_timeout", _SOCKET_TIMEOUT)
        options.setdefault("socket_connect_timeout", _SOCKET_TIMEOUT)
        try:
            client = redis_module.Redis.from_url(url, **options)
        except ValueError:
            # Not redis-py's message: it may quote the URL, password included.
            raise ValueError(
                "url must be a redis://, rediss:// or unix:// URL such as "
                "'redis://localhost:6379/0'"
            ) from None
        store = cls(
            client, key=key, lock_key=lock_key, lock_timeout=lock_timeout, lock_wait=lock_wait
        )
        store._owned = True
        return store

    @property
    def key(self) -> str:
        """The key holding the credentials."""
        return self._key

    @property
    def lock_key(self) -> str:
        """The key of the refresh lock."""
        return self._lock_key

    @property
    def client(self) -> redis.Redis:
        """The ``redis.Redis`` client."""
        return self._client

    def __repr__(self) -> str:
        return f"RedisTokenStore(key={self._key!r}, redis={_address(self._client)!r})"

    def close(self) -> None:
        """Close the client made by ``from_url`` (a client passed in is left to its owner)."""
        if self._owned:
            self._client.close()

    # ------------------------------------------------------------------ TokenStore

    def load(self) -> Credentials | None:
        """The stored credentials, or None when the key is absent.

        Raises ``TokenStoreUnavailableError`` when Redis cannot be read (never None then:
        that would start a sign-in), and ``AuthError`` when the value is malformed.
        """
        held = self._held
        with self._redis_errors("read the credentials"):
            if held is not None:
                self._still_held(held, "read the credentials")
            raw = self._client.get(self._key)
        if raw is None:
            return None
        return self._parse(raw)

    def save(self, credentials: Credentials) -> None:
        """Store ``credentials``; while this store holds the lock, only if it still does."""
        content = json.dumps(credentials.to_auth_json(), indent=2, ensure_ascii=False)
        held = self._held
        with self._redis_errors("save the credentials"):
            if held is None:
                self._client.set(self._key, content)
                return
            # Fenced: a holder whose lock expired must not write over its successor's tokens.
            saved = self._fenced_set(keys=[self._key, self._lock_key], args=[content, held.token])
        if not saved:
            raise self._lost("save the refreshed credentials")

    def delete(self) -> None:
        """Delete the key (nothing happens when it is absent)."""
        with self._redis_errors("delete the credentials"):
            self._client.delete(self._key)

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """The refresh lock, across every process and host using this Redis and lock key."""
        return self._locked()

    # ------------------------------------------------------------------ internals

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        deadline = time.monotonic() + self._lock_wait
        if not self._local.acquire(timeout=self._lock_wait):
            raise self._timed_out()
        try:
            held = self._acquire(max(0.0, deadline - time.monotonic()))
            self._held = held
            try:
                yield
            finally:
                self._held = None
                held.release(self)
        finally:
            self._local.release()

    def _acquire(self, wait: float) -> _Held:
        token = uuid.uuid4().hex
        # Not thread-local: the lock is taken in a worker thread and released in another.
        lock = self._client.lock(
            self._lock_key, timeout=self._lock_timeout, sleep=0.05, thread_local=False
        )
        with self._redis_errors("take the refresh lock"):
            acquired = lock.acquire(blocking=True, blocking_timeout=wait, token=token)
        if not acquired:
            raise self._timed_out()
        logger.debug("took the refresh lock %r", self._lock_key)
        return _Held(lock, token, self._lock_timeout / 3)

    def _still_held(self, held: _Held, action: str) -> None:
        from redis.exceptions import LockError

        try:
            held.lock.reacquire()  # and a full lock_timeout from now on
        except LockError:
            raise self._lost(action) from None

    def _parse(self, raw: bytes | str) -> Credentials | None:
        where = f"The credentials in Redis key {self._key!r}"
        try:
            data = _json.loads(raw)
        except UnicodeDecodeError:
            raise AuthError(f"{where} are not UTF-8: {_FIX}") from None
        except ValueError as exc:
            # A JSONDecodeError says where (never what); too deep a nesting says so.
            msg, line, column = (getattr(exc, key, None) for key in ("msg", "lineno", "colno"))
            detail = f"{msg} at line {line} column {column}" if msg else str(exc)
            raise AuthError(f"{where} are not valid JSON ({detail}): {_FIX}") from None
        try:
            return Credentials.from_auth_json(data)
        except ValueError as exc:
            # from_auth_json names the bad field, never its value.
            raise AuthError(f"{where} are invalid: {exc}; {_FIX}") from None

    @contextlib.contextmanager
    def _redis_errors(self, action: str) -> Iterator[None]:
        from redis.exceptions import RedisError

        try:
            yield
        except RedisError as exc:
            raise TokenStoreUnavailableError(
                f"Cannot {action} in Redis at {_address(self._client)} ({self._reason(exc)}): "
                "no refresh was tried; retry when Redis is reachable"
            ) from None

    def _reason(self, exc: BaseException) -> str:
        reason = str(exc) or type(exc).__name__
        password = getattr(self._client, "connection_pool", None)
        password = getattr(password, "connection_kwargs", {}).get("password")
        if password:
            reason = reason.replace(str(password), "***")
        return reason

    def _timed_out(self) -> TokenStoreUnavailableError:
        return TokenStoreUnavailableError(
            f"Waited {self._lock_wait:g} s for the refresh lock {self._lock_key!r} in Redis at "
            f"{_address(self._client)}: another holder kept it; no refresh was tried",
            code="refresh_lock_timeout",
        )

    def _lost(self, action: str) -> TokenStoreUnavailableError:
        return TokenStoreUnavailableError(
            f"Cannot {action}: the refresh lock {self._lock_key!r} in Redis at "
            f"{_address(self._client)} expired while held (Redis unreachable for longer than "
            f"lock_timeout={self._lock_timeout:g} s, or restarted); another holder may be "
            "refreshing, so this one does not",
            code="refresh_lock_lost",
        )
