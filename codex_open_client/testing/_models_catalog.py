"""The model catalog served by the fake backend's ``GET /models``.

The entries follow the ``ModelInfo`` schema of the Codex CLI (``codex-rs/protocol/src/
openai_models.rs``) and the fields the real backend also sends (``prefer_websockets``,
``reasoning_summary_format``, ``minimal_client_version``, ``available_in_plans``).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Sequence
from typing import Any

__all__ = ["catalog_etag", "default_model_catalog"]

_BASE_INSTRUCTIONS = (
    "You are Codex, a coding agent based on GPT-5. You and the user share the same workspace "
    "and collaborate to achieve the user's goals.\n\n"
    "(Fake backend: the real base instructions are much longer.)"
)

_EFFORTS = {
    "low": "Fast responses with lighter reasoning",
    "medium": "Balances speed and reasoning depth for everyday tasks",
    "high": "Greater reasoning depth for complex problems",
    "xhigh": "Extra high reasoning depth for complex problems",
}

_PLANS = ["plus", "pro", "team", "business", "enterprise", "edu"]


def _levels(*efforts: str) -> list[dict[str, str]]:
    return [{"effort": effort, "description": _EFFORTS[effort]} for effort in efforts]


def _model(
    slug: str,
    *,
    display_name: str,
    description: str,
    priority: int,
    visibility: str = "list",
    efforts: Sequence[str] = ("low", "medium", "high", "xhigh"),
    default_effort: str = "medium",
    image_detail_original: bool = False,
    speed_tiers: Sequence[str] = (),
    shell_type: str = "shell_command",
    web_search: str = "text_and_image",
    truncation_limit: int = 10000,
) -> dict[str, Any]:
    return {
        "slug": slug,
        "display_name": display_name,
        "description": description,
        "default_reasoning_level": default_effort,
        "supported_reasoning_levels": _levels(*efforts),
        "shell_type": shell_type,
        "visibility": visibility,
        "supported_in_api": True,
        "priority": priority,
        "additional_speed_tiers": list(speed_tiers),
        "availability_nux": None,
        "upgrade": None,
        "base_instructions": _BASE_INSTRUCTIONS,
        "model_messages": None,
        "supports_reasoning_summaries": True,
        "default_reasoning_summary": "auto",
        "support_verbosity": True,
        "default_verbosity": "low",
        "apply_patch_tool_type": "freeform",
        "web_search_tool_type": web_search,
        "truncation_policy": {"mode": "tokens", "limit": truncation_limit},
        "supports_parallel_tool_calls": True,
        "supports_image_detail_original": image_detail_original,
        "context_window": 272000,
        "max_context_window": 272000,
        "auto_compact_token_limit": None,
        "effective_context_window_percent": 95,
        "experimental_supported_tools": [],
        "input_modalities": ["text", "image"],
        "supports_search_tool": True,
        "prefer_websockets": False,
        "reasoning_summary_format": "experimental",
        "minimal_client_version": "0.98.0",
        "available_in_plans": list(_PLANS),
    }


_DEFAULT_CATALOG: list[dict[str, Any]] = [
    _model(
        "gpt-5.4",
        display_name="gpt-5.4",
        description="Latest frontier agentic coding model.",
        priority=1,
        image_detail_original=True,
        speed_tiers=("fast",),
    ),
    _model(
        "gpt-5.3-codex",
        display_name="gpt-5.3-codex",
        description="Codex-optimized agentic coding model.",
        priority=2,
    ),
    _model(
        "gpt-5.1-codex-mini",
        display_name="gpt-5.1-codex-mini",
        description="Cheaper, faster, but less capable.",
        priority=10,
        efforts=("medium", "high"),
        web_search="text",
    ),
    _model(
        "codex-auto-review",
        display_name="Codex Auto Review",
        description="Reviews actions that need approval.",
        priority=100,
        visibility="hide",
        efforts=("low", "medium", "high"),
        default_effort="low",
    ),
]


def default_model_catalog() -> list[dict[str, Any]]:
    """Return a fresh copy of the catalog the fake backend serves by default.

    Four models in the real ``ModelInfo`` schema: ``gpt-5.4`` (the only one with
    ``supports_image_detail_original``), ``gpt-5.3-codex``, ``gpt-5.1-codex-mini`` and the
    hidden (``visibility: "hide"``) ``codex-auto-review``. Modify the copy and pass it as
    ``FakeCodexServer(model_catalog=...)`` to serve something else.
    """
    return copy.deepcopy(_DEFAULT_CATALOG)


def catalog_etag(models: Sequence[Any]) -> str:
    """Return a stable quoted ETag for a catalog (used by ``ETag`` and ``x-models-etag``)."""
    digest = hashlib.sha256(
        json.dumps(list(models), sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    return f'"{digest[:32]}"'
