"""JSON in and out: orjson when it is installed (the ``speedups`` extra), else the stdlib.

Both paths give the same values for every document the backend sends. orjson refuses a few
things the stdlib accepts (NaN, lone surrogates, non-string keys and integers beyond 64 bits
when encoding, nesting deeper than 1024 levels); there the stdlib decides. What orjson would
encode and the stdlib refuses (datetimes, dataclasses), or encode differently (subclasses of
str, int, dict and list), is passed through to the stdlib too, so code that runs with orjson
runs without it. The differences left: orjson decodes an integer beyond 64 bits as a float (no
backend document has one), and encodes a ``uuid.UUID`` or a plain ``enum.Enum`` member, which
the stdlib refuses (orjson has no switch for those two).
``CODEX_OPEN_CLIENT_JSON=stdlib`` turns the fast path off (CI runs the stream tests both ways).
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

__all__ = ["BACKEND", "dumps", "event_payload", "fast_loads", "loads"]

logger = logging.getLogger("codex_open_client")

_stdlib_loads = json.loads
_stdlib_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

fast_loads: Any
"""The raw decoder, for hot loops that call ``loads`` only when it raises (``ValueError``, or
``RecursionError`` on the stdlib path): one Python call less per document."""


def _loads_stdlib(data: str | bytes) -> Any:
    try:
        return _stdlib_loads(data)
    except RecursionError:
        # 100,000 nested brackets: malformed for our purposes, like any other bad payload.
        raise ValueError("JSON nested too deeply to decode") from None


def _dumps_stdlib(value: Any) -> bytes:
    return _stdlib_dumps(value).encode()


try:
    if os.environ.get("CODEX_OPEN_CLIENT_JSON") == "stdlib":
        raise ImportError("the stdlib was asked for")
    import orjson
except ImportError:
    BACKEND = "stdlib"
    fast_loads = _stdlib_loads
    loads = _loads_stdlib
    dumps = _dumps_stdlib
else:
    BACKEND = "orjson"
    _orjson_loads = fast_loads = orjson.loads
    _orjson_dumps = orjson.dumps
    # Off orjson's own encodings, onto the stdlib's rules (see the module docstring).
    _PASSTHROUGH = (
        orjson.OPT_PASSTHROUGH_DATETIME
        | orjson.OPT_PASSTHROUGH_DATACLASS
        | orjson.OPT_PASSTHROUGH_SUBCLASS
    )

    def loads(data: str | bytes) -> Any:
        """Decode one JSON document; ``ValueError`` when it is not one."""
        try:
            return _orjson_loads(data)
        except ValueError:
            # NaN, huge integers, lone surrogates, deep nesting: let the stdlib rule on them.
            return _loads_stdlib(data)

    def dumps(value: Any) -> bytes:
        """Encode ``value`` compactly as UTF-8 JSON (non-ASCII kept as is)."""
        try:
            return _orjson_dumps(value, option=_PASSTHROUGH)
        except TypeError:
            # Integers beyond 64 bits, non-string keys, lone surrogates, what is passed
            # through: the stdlib decides (a lone surrogate then raises UnicodeEncodeError,
            # which callers name; a datetime TypeError).
            return _dumps_stdlib(value)


def event_payload(data: str | bytes, what: str) -> dict[str, Any] | None:
    """One event's JSON object, or None (logged at DEBUG, sizes only) when it is not one."""
    try:
        payload = fast_loads(data)
    except (ValueError, RecursionError):
        try:
            payload = loads(data)  # what orjson refuses, the stdlib rules on
        except ValueError:
            # Sizes only: stream content may hold anything, credentials included.
            logger.debug("skipped %s that is not JSON (%d bytes)", what, len(data))
            return None
    if type(payload) is not dict:
        logger.debug(
            "skipped %s that is not an object (%s, %d bytes)",
            what,
            type(payload).__name__,
            len(data),
        )
        return None
    return payload
