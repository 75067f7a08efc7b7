"""What the two step writers (SSE in ``_server``, WebSocket in ``_websocket``) share: the
JSON encoding of an event, the wait that watches for the server stopping and the client
leaving, and the reasoning items' ``encrypted_content`` left out.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from typing import Any, Literal

__all__ = ["wait_watching"]

_GATE_POLL_SECONDS = 0.005
_SLEEP_SLICE_SECONDS = 0.02

_encode_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

_Outcome = Literal["ok", "gone", "stopping"]


async def wait_watching(
    *,
    stopping: Callable[[], bool],
    gone: Callable[[], bool],
    seconds: float | None,
    gate: threading.Event | None,
) -> _Outcome:
    """Sleep ``seconds`` (or until ``gate`` is set) without blocking the loop; "stopping" or
    "gone" as soon as the server stops or the client leaves (HTTP and WebSocket alike)."""
    loop = asyncio.get_running_loop()
    deadline = None if seconds is None else loop.time() + seconds
    while True:
        if stopping():
            return "stopping"
        if gone():
            return "gone"
        if gate is not None and gate.is_set():
            return "ok"
        if deadline is None:
            await asyncio.sleep(_GATE_POLL_SECONDS)
            continue
        remaining = deadline - loop.time()
        if remaining <= 0:
            return "ok"
        await asyncio.sleep(min(remaining, _SLEEP_SLICE_SECONDS))


def _without_encrypted_content(step: dict[str, Any]) -> dict[str, Any]:
    """``step`` with the reasoning items' ``encrypted_content`` set to null."""

    def clean(item: Any) -> Any:
        if isinstance(item, dict) and item.get("type") == "reasoning":
            return {**item, "encrypted_content": None}
        return item

    if "item" in step:
        return {**step, "item": clean(step["item"])}
    response = step.get("response")
    if isinstance(response, dict) and response.get("output"):
        return {**step, "response": {**response, "output": [clean(i) for i in response["output"]]}}
    return step
