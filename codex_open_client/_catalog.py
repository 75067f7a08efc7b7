"""Sans-IO model catalog: the ``GET /models`` payload as frozen ``Model`` values.

Conversion is tolerant, as the CLI's: unknown fields are kept only in ``raw``, and a field of
the wrong type falls back to its default instead of failing the whole catalog.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import Factory, field, frozen

from ._wire import Wire

__all__ = ["Model", "ReasoningLevel", "model_from_dict", "models_from_payload"]

DEFAULT_INPUT_MODALITIES = ("text", "image")
DEFAULT_EFFECTIVE_CONTEXT_WINDOW_PERCENT = 95


@frozen(kw_only=True)
class ReasoningLevel(Wire):
    """A reasoning effort the model supports, with the backend's description of it."""

    effort: str
    description: str | None = None


@frozen(kw_only=True)
class Model(Wire):
    """One model of the catalog (the CLI's ``ModelInfo``); ``raw`` is the entry as sent.

    ``to_dict()`` gives that entry; ``from_dict()`` reads one (as ``models.list()`` does).
    """

    slug: str
    display_name: str = field(default=Factory(lambda self: self.slug, takes_self=True))
    description: str | None = None
    context_window: int | None = None
    max_context_window: int | None = None
    reasoning_levels: list[str] = field(factory=list)
    reasoning_level_details: list[ReasoningLevel] = field(factory=list, repr=False)
    default_reasoning_level: str | None = None
    input_modalities: list[str] = field(factory=lambda: list(DEFAULT_INPUT_MODALITIES))
    supports_parallel_tool_calls: bool = False
    support_verbosity: bool = False
    default_verbosity: str | None = None
    supports_reasoning_summaries: bool = False
    default_reasoning_summary: str | None = None
    supports_image_detail_original: bool = False
    priority: int = 0
    visibility: str | None = None
    supported_in_api: bool = False
    shell_type: str | None = None
    apply_patch_tool_type: str | None = None
    web_search_tool_type: str | None = None
    truncation_policy: dict[str, Any] | None = None
    additional_speed_tiers: list[str] = field(factory=list)
    effective_context_window_percent: int = DEFAULT_EFFECTIVE_CONTEXT_WINDOW_PERCENT
    auto_compact_token_limit: int | None = None
    experimental_supported_tools: list[str] = field(factory=list)
    supports_search_tool: bool = False
    minimal_client_version: str | None = None
    available_in_plans: list[str] = field(factory=list)
    prefer_websockets: bool = False
    base_instructions: str | None = field(default=None, repr=False)
    upgrade: dict[str, Any] | None = None
    availability_nux: dict[str, Any] | None = None
    model_messages: dict[str, Any] | None = field(default=None, repr=False)
    raw: dict[str, Any] = field(factory=dict, repr=False)

    @property
    def id(self) -> str:
        """The slug, under the name openai-python's ``Model`` uses (``model.id``)."""
        return self.slug

    def _to_wire(self) -> dict[str, Any]:
        """The entry as sent; for a model built in Python, its fields under the entry's names."""
        if self.raw:
            return self.raw
        from ._serde import unstructure

        entry: dict[str, Any] = {
            key: value
            for key, value in unstructure(self).items()
            if key not in ("raw", "reasoning_levels", "reasoning_level_details")
        }
        levels = self.reasoning_level_details or [
            ReasoningLevel(effort=effort) for effort in self.reasoning_levels
        ]
        entry["supported_reasoning_levels"] = unstructure(levels)
        return entry

    @classmethod
    def _from_wire(cls, entry: dict[str, Any]) -> Model:
        return model_from_dict(entry)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _bool(value: Any, default: bool = False) -> bool:
    return value if isinstance(value, bool) else default


def _dict(value: Any) -> dict[str, Any] | None:
    return dict(value) if isinstance(value, Mapping) else None


def _str_list(value: Any, default: tuple[str, ...] = ()) -> list[str]:
    if not isinstance(value, list):
        return list(default)
    return [item for item in value if isinstance(item, str)]


def _levels(value: Any) -> list[ReasoningLevel]:
    if not isinstance(value, list):
        return []
    levels = []
    for item in value:
        # Older catalogs listed bare effort strings.
        if isinstance(item, str):
            levels.append(ReasoningLevel(effort=item))
        elif isinstance(item, Mapping) and isinstance(item.get("effort"), str):
            levels.append(
                ReasoningLevel(effort=item["effort"], description=_str(item.get("description")))
            )
    return levels


def model_from_dict(entry: Mapping[str, Any]) -> Model:
    """Build a ``Model`` from one ``/models`` entry.

    Missing fields and fields of the wrong type take their defaults. Raises ``ValueError``
    only when the entry is not an object or has no string ``slug``.
    """
    if not isinstance(entry, Mapping):
        raise ValueError(f"a model entry must be an object, not {type(entry).__name__}")
    slug = entry.get("slug")
    if not isinstance(slug, str) or not slug:
        raise ValueError(f"model entry without a slug: {list(entry)[:8]!r}")
    levels = _levels(entry.get("supported_reasoning_levels"))
    percent = _int(entry.get("effective_context_window_percent"))
    return Model(
        slug=slug,
        display_name=_str(entry.get("display_name")) or slug,
        description=_str(entry.get("description")),
        context_window=_int(entry.get("context_window")),
        max_context_window=_int(entry.get("max_context_window")),
        reasoning_levels=[level.effort for level in levels],
        reasoning_level_details=levels,
        default_reasoning_level=_str(entry.get("default_reasoning_level")),
        input_modalities=_str_list(entry.get("input_modalities"), DEFAULT_INPUT_MODALITIES),
        supports_parallel_tool_calls=_bool(entry.get("supports_parallel_tool_calls")),
        support_verbosity=_bool(entry.get("support_verbosity")),
        default_verbosity=_str(entry.get("default_verbosity")),
        supports_reasoning_summaries=_bool(entry.get("supports_reasoning_summaries")),
        default_reasoning_summary=_str(entry.get("default_reasoning_summary")),
        supports_image_detail_original=_bool(entry.get("supports_image_detail_original")),
        priority=_int(entry.get("priority")) or 0,
        visibility=_str(entry.get("visibility")),
        supported_in_api=_bool(entry.get("supported_in_api")),
        shell_type=_str(entry.get("shell_type")),
        apply_patch_tool_type=_str(entry.get("apply_patch_tool_type")),
        web_search_tool_type=_str(entry.get("web_search_tool_type")),
        truncation_policy=_dict(entry.get("truncation_policy")),
        additional_speed_tiers=_str_list(entry.get("additional_speed_tiers")),
        effective_context_window_percent=(
            DEFAULT_EFFECTIVE_CONTEXT_WINDOW_PERCENT if percent is None else percent
        ),
        auto_compact_token_limit=_int(entry.get("auto_compact_token_limit")),
        experimental_supported_tools=_str_list(entry.get("experimental_supported_tools")),
        supports_search_tool=_bool(entry.get("supports_search_tool")),
        minimal_client_version=_str(entry.get("minimal_client_version")),
        available_in_plans=_str_list(entry.get("available_in_plans")),
        prefer_websockets=_bool(entry.get("prefer_websockets")),
        base_instructions=_str(entry.get("base_instructions")),
        upgrade=_dict(entry.get("upgrade")),
        availability_nux=_dict(entry.get("availability_nux")),
        model_messages=_dict(entry.get("model_messages")),
        raw=dict(entry),
    )


def models_from_payload(payload: Mapping[str, Any]) -> list[Model]:
    """Build the models of a ``/models`` payload (``{"models": [...]}``), in the order sent.

    Entries that are not objects or have no slug are skipped, so that one broken entry does
    not hide the others. Raises ``ValueError`` when ``models`` is not a list.
    """
    if not isinstance(payload, Mapping):
        raise ValueError(f"the /models payload must be an object, not {type(payload).__name__}")
    entries = payload.get("models")
    if not isinstance(entries, list):
        shown = "nothing" if entries is None else type(entries).__name__
        raise ValueError(f'the /models payload has no "models" list (got {shown})')
    models = []
    for entry in entries:
        try:
            models.append(model_from_dict(entry))
        except ValueError:
            continue
    return models
