"""JSON in and out: orjson when it is installed (the ``speedups`` extra), else the stdlib.

Both paths give the same values for every document the backend sends. orjson refuses a few
things the stdlib accepts (NaN, lone surrogates, non-string keys and integers beyond 64 bits
when encoding, nesting deeper than 1024 levels); there the stdlib decides. The one difference
left: orjson decodes an integer beyond 64 bits as a float (no backend document has one).
``CODEX_OPEN_CLIENT_JSON=stdlib`` turns the fast path off (CI runs the stream tests both ways).
"""

from __future__ import annotations

import json
import os
from typing import Any

__all__ = ["BACKEND", "JSONDecodeError", "dumps", "fast_loads", "loads"]

_stdlib_loads = json.loads
_stdlib_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

JSONDecodeError = ValueError
"""What ``loads`` raises for text that is not JSON (or nested too deeply to decode)."""

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
            return _orjson_dumps(value)
        except TypeError:
            # Integers beyond 64 bits, non-string keys, lone surrogates: the stdlib decides
            # (a lone surrogate then raises UnicodeEncodeError, which callers name).
            return _dumps_stdlib(value)
