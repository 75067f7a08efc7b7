"""``GET /v1/models`` and ``/v1/models/{id}``: the backend's catalog in OpenAI's list shape."""

from __future__ import annotations

from typing import Any

from .._catalog import Model

__all__ = ["model_list", "model_not_found", "model_object"]

from ._errors import GatewayError


def model_object(model: Model) -> dict[str, Any]:
    """One catalog entry as an OpenAI ``Model``."""
    return {"id": model.slug, "object": "model", "created": 0, "owned_by": "openai"}


def model_list(models: list[Model]) -> dict[str, Any]:
    """The listed (not hidden) models as an OpenAI list."""
    return {
        "object": "list",
        "data": [model_object(model) for model in models if model.visibility != "hide"],
    }


def model_not_found(model_id: str) -> GatewayError:
    """OpenAI's 404 for an unknown model."""
    return GatewayError(
        404,
        f"The model '{model_id}' does not exist or you do not have access to it.",
        param="model",
        code="model_not_found",
    )
