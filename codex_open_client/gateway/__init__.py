"""An OpenAI-compatible HTTP gateway in front of the Codex backend.

``create_app(client, ...)`` returns an ``aiohttp.web.Application`` that serves
``/v1/chat/completions``, ``/v1/responses``, ``/v1/models`` and ``/healthz`` through one
``AsyncClient`` (its sign-in, retries and streaming), so any OpenAI client, agent or tool
runs on a ChatGPT subscription, plus a Codex-native passthrough
(``/backend-api/codex/responses`` and ``/models``) so native clients share its one sign-in.
``codex-open-client serve`` runs it from a terminal.
"""

from __future__ import annotations

from ._app import DEFAULT_INSTRUCTIONS, DEFAULT_MAX_BODY_SIZE, create_app
from ._redis_responses import RedisResponseStore
from ._response_store import DEFAULT_RESPONSE_TTL, MemoryResponseStore, ResponseStore

__all__ = [
    "DEFAULT_INSTRUCTIONS",
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_RESPONSE_TTL",
    "MemoryResponseStore",
    "RedisResponseStore",
    "ResponseStore",
    "create_app",
]
