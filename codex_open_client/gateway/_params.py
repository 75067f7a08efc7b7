"""Checks of request bodies, and the rule for each parameter the backend refuses.

Each parameter of OpenAI's APIs that the Codex backend does not take follows one documented
rule: **dropped** (the request goes on without it and the answer names it in a ``Warning``
header and ``x-codex-gateway-dropped``) when leaving it out changes nothing a client relies
on, or **refused** with an OpenAI-shaped 400 naming it when the client would otherwise get
something other than it asked for.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from .._json import dumps
from ._errors import invalid

__all__ = [
    "CHAT_DROPPED",
    "CHAT_HANDLED",
    "RESPONSES_DROPPED",
    "RESPONSES_HANDLED",
    "check_bool",
    "check_dict",
    "check_list",
    "check_str",
    "dropped_headers",
    "split_params",
    "with_cache_key",
]

#: Sampling and limit knobs the backend refuses (400 "Unsupported parameter"): dropped.
_SAMPLING = (
    "temperature",
    "top_p",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
    "seed",
    "user",
    "metadata",
    "safety_identifier",
    "prompt_cache_retention",
    "top_logprobs",
)

CHAT_HANDLED = frozenset(
    {
        "model",
        "messages",
        "stream",
        "stream_options",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "response_format",
        "reasoning_effort",
        "verbosity",
        "service_tier",
        "prompt_cache_key",
        "reasoning_summary",
        "include_reasoning",
        "n",
        "logprobs",
        "functions",
        "function_call",
        "audio",
        "modalities",
        "web_search_options",
    }
)
CHAT_DROPPED = frozenset(
    {*_SAMPLING, "max_tokens", "max_completion_tokens", "stop", "store", "prediction"}
)

RESPONSES_HANDLED = frozenset(
    {
        "model",
        "input",
        "instructions",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "reasoning",
        "text",
        "service_tier",
        "include",
        "prompt_cache_key",
        "stream",
        "previous_response_id",
        "store",
        "background",
        "conversation",
        "prompt",
    }
)
RESPONSES_DROPPED = frozenset(
    {
        *_SAMPLING,
        "max_output_tokens",
        "truncation",
        "stream_options",
        "max_tool_calls",
        "context_management",
    }
)


def with_cache_key(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` with a ``prompt_cache_key`` per conversation when the client gave none.

    The key hashes the model, the instructions and the first input item, which every turn of
    a conversation repeats: its turns share the backend's prompt cache, while unrelated
    conversations through the one gateway client do not all pile onto one key.
    """
    if params.get("prompt_cache_key"):
        return params
    items = params.get("input") or [None]
    seed = dumps([params.get("model"), params.get("instructions"), items[0]])
    return {**params, "prompt_cache_key": "gw-" + hashlib.sha256(seed).hexdigest()[:32]}


def split_params(body: Mapping[str, Any], handled: frozenset[str]) -> list[str]:
    """The names of ``body`` that the gateway drops (sorted): all but the handled ones.

    Unknown names are dropped too, like the known unsupported ones: clients and frameworks
    often add their own extras, and a 400 for each would break them for nothing.
    """
    return sorted(name for name in body if name not in handled)


def dropped_headers(names: Iterable[str]) -> dict[str, str]:
    """The warning headers naming the parameters that were not sent upstream."""
    names = list(names)
    if not names:
        return {}
    listed = ", ".join(names)
    return {
        "Warning": f'299 codex-open-client "dropped parameters the Codex backend does not '
        f'support: {listed}"',
        "x-codex-gateway-dropped": listed,
    }


def check_str(value: Any, path: str, *, required: bool = False) -> str | None:
    """``value`` as a string (None when absent and not required); else a 400 naming ``path``."""
    if value is None:
        if required:
            raise invalid(
                f"Missing required parameter: '{path}'.", path, "missing_required_parameter"
            )
        return None
    if not isinstance(value, str):
        raise invalid(
            f"Invalid type for '{path}': expected a string, but got {_kind(value)} instead.",
            path,
            "invalid_type",
        )
    return value


def check_bool(value: Any, path: str) -> bool | None:
    """``value`` as a bool (None when absent); else a 400 naming ``path``."""
    if value is None:
        return None
    if not isinstance(value, bool):
        raise invalid(
            f"Invalid type for '{path}': expected a boolean, but got {_kind(value)} instead.",
            path,
            "invalid_type",
        )
    return value


def check_list(value: Any, name: str) -> list[Any]:
    """``value`` as a list; else a 400 naming ``name``."""
    if not isinstance(value, list):
        raise invalid(
            f"Invalid type for '{name}': expected an array, but got {_kind(value)} instead.",
            name,
            "invalid_type",
        )
    return value


def check_dict(value: Any, name: str) -> dict[str, Any]:
    """``value`` as an object; else a 400 naming ``name``."""
    if not isinstance(value, dict):
        raise invalid(
            f"Invalid type for '{name}': expected an object, but got {_kind(value)} instead.",
            name,
            "invalid_type",
        )
    return value


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "null"
