"""Where the gateway keeps the responses it served, for ``previous_response_id``.

The Codex backend stores nothing (``store: false``), so a client that continues a
conversation with ``previous_response_id`` needs the gateway to remember it: for each
response it served, the whole conversation up to and including that response, as Responses
API input items (JSON dicts). The next request's input is appended to those items.

``ResponseStore`` is the protocol every store implements; ``MemoryResponseStore`` (bounded,
expiring, in-process) is the default, and a Redis store lets several gateway processes or
hosts share one.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from .._json import dumps

__all__ = ["DEFAULT_RESPONSE_TTL", "MemoryResponseStore", "ResponseStore"]

#: How long a served response stays available to ``previous_response_id`` (seconds).
DEFAULT_RESPONSE_TTL = 3600.0

Items = list[dict[str, Any]]


@runtime_checkable
class ResponseStore(Protocol):
    """Keeps the conversation items of served responses by response id.

    ``items`` are JSON-compatible dicts (Responses API input items: the input of the turn,
    after the items of its ``previous_response_id``, then the response's output items).
    Implementations must be safe to call from many tasks at once; they may drop entries
    early (bounded memory), in which case ``get`` returns None and the client gets OpenAI's
    ``previous_response_not_found`` error.
    """

    async def get(self, response_id: str) -> Items | None:
        """The items stored for ``response_id``; None when unknown or expired."""
        ...

    async def put(self, response_id: str, items: Sequence[dict[str, Any]], ttl: float) -> None:
        """Store ``items`` for ``response_id`` for ``ttl`` seconds (replacing any entry)."""
        ...

    async def delete(self, response_id: str) -> bool:
        """Forget ``response_id``; True when it was stored."""
        ...


class MemoryResponseStore:
    """An in-process ``ResponseStore``: at most ``max_entries`` responses holding at most
    ``max_bytes`` of JSON in all (images as data URLs make conversations big), each for its ttl.

    When full, the least recently stored or read response is dropped first; a conversation
    larger than ``max_bytes`` by itself is not kept.
    """

    def __init__(
        self,
        *,
        max_entries: int = 1000,
        max_bytes: int = 256 * 1024 * 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        for name, value in (("max_entries", max_entries), ("max_bytes", max_bytes)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._bytes = 0
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, Items, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, response_id: str) -> Items | None:
        """The items stored for ``response_id``; None when unknown or expired."""
        entry = self._entries.get(response_id)
        if entry is None:
            return None
        expires, items, _ = entry
        if expires <= self._clock():
            self._drop(response_id)
            return None
        self._entries.move_to_end(response_id)
        return list(items)

    async def put(self, response_id: str, items: Sequence[dict[str, Any]], ttl: float) -> None:
        """Store ``items`` for ``response_id`` for ``ttl`` seconds (replacing any entry)."""
        self._drop(response_id)
        if ttl <= 0:
            return
        size = len(dumps(list(items)))
        if size > self._max_bytes:
            return
        self._entries[response_id] = (self._clock() + ttl, list(items), size)
        self._bytes += size
        self._evict()

    async def delete(self, response_id: str) -> bool:
        """Forget ``response_id``; True when it was stored (and not yet expired)."""
        entry = self._entries.get(response_id)
        self._drop(response_id)
        return entry is not None and entry[0] > self._clock()

    def _drop(self, response_id: str) -> None:
        entry = self._entries.pop(response_id, None)
        if entry is not None:
            self._bytes -= entry[2]

    def _evict(self) -> None:
        now = self._clock()
        for key in [key for key, (expires, _, _) in self._entries.items() if expires <= now]:
            self._drop(key)
        while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
            self._drop(next(iter(self._entries)))

    def __repr__(self) -> str:
        return (
            f"MemoryResponseStore(entries={len(self._entries)}, bytes={self._bytes}, "
            f"max_entries={self._max_entries}, max_bytes={self._max_bytes})"
        )
