"""Sans-IO model catalog: ``/models`` entries as ``Model`` values."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from codex_open_client._catalog import Model, ReasoningLevel, model_from_dict, models_from_payload
from codex_open_client.testing._models_catalog import default_model_catalog

EFFORTS = {
    "low": "Fast responses with lighter reasoning",
    "medium": "Balances speed and reasoning depth for everyday tasks",
    "high": "Greater reasoning depth for complex problems",
    "xhigh": "Extra high reasoning depth for complex problems",
}
PLANS = ["plus", "pro", "team", "business", "enterprise", "edu"]


def test_fake_catalog_converts() -> None:
    """The fake backend's catalog converts with every field, in the order sent."""
    catalog = default_model_catalog()
    models = models_from_payload({"models": catalog})
    assert [m.slug for m in models] == [
        "gpt-5.4",
        "gpt-5.3-codex",
        "gpt-5.1-codex-mini",
        "codex-auto-review",
    ]
    first = models[0]
    assert first == Model(
        slug="gpt-5.4",
        display_name="gpt-5.4",
        description="Latest frontier agentic coding model.",
        context_window=272000,
        max_context_window=272000,
        reasoning_levels=["low", "medium", "high", "xhigh"],
        reasoning_level_details=[
            ReasoningLevel(effort=effort, description=text) for effort, text in EFFORTS.items()
        ],
        default_reasoning_level="medium",
        input_modalities=["text", "image"],
        supports_parallel_tool_calls=True,
        support_verbosity=True,
        default_verbosity="low",
        supports_reasoning_summaries=True,
        default_reasoning_summary="auto",
        supports_image_detail_original=True,
        priority=1,
        visibility="list",
        supported_in_api=True,
        shell_type="shell_command",
        apply_patch_tool_type="freeform",
        web_search_tool_type="text_and_image",
        truncation_policy={"mode": "tokens", "limit": 10000},
        additional_speed_tiers=["fast"],
        effective_context_window_percent=95,
        auto_compact_token_limit=None,
        experimental_supported_tools=[],
        supports_search_tool=True,
        minimal_client_version="0.98.0",
        available_in_plans=PLANS,
        prefer_websockets=False,
        base_instructions=catalog[0]["base_instructions"],
        upgrade=None,
        availability_nux=None,
        model_messages=None,
        raw=catalog[0],
    )
    assert first.base_instructions is not None
    assert first.base_instructions.startswith("You are Codex")

    mini, review = models[2], models[3]
    assert mini.reasoning_levels == ["medium", "high"]
    assert mini.web_search_tool_type == "text"
    assert not mini.supports_image_detail_original
    assert mini.additional_speed_tiers == []
    assert mini.priority == 10
    assert review.display_name == "Codex Auto Review"
    assert review.visibility == "hide"
    assert review.default_reasoning_level == "low"
    assert review.reasoning_levels == ["low", "medium", "high"]


def test_raw_is_kept() -> None:
    """``raw`` holds the whole entry, unknown fields included, and is not shared."""
    entry = default_model_catalog()[1]
    entry["future_field"] = {"x": 1}
    model = model_from_dict(entry)
    assert model.raw == entry
    assert model.raw["reasoning_summary_format"] == "experimental"
    entry["slug"] = "changed"
    assert model.raw["slug"] == "gpt-5.3-codex"


def test_minimal_entry() -> None:
    """Only a slug: every other field takes its default."""
    model = model_from_dict({"slug": "gpt-x"})
    assert model == Model(slug="gpt-x", raw={"slug": "gpt-x"})
    assert model.display_name == "gpt-x"
    assert model.description is None
    assert model.context_window is None
    assert model.reasoning_levels == []
    assert model.reasoning_level_details == []
    assert model.input_modalities == ["text", "image"]
    assert not model.supports_parallel_tool_calls
    assert model.priority == 0
    assert model.effective_context_window_percent == 95
    assert model.truncation_policy is None
    assert model.available_in_plans == []
    assert model.raw == {"slug": "gpt-x"}


def test_constructor_defaults() -> None:
    """``display_name`` defaults to the slug; list defaults are not shared."""
    a, b = Model(slug="a"), Model(slug="b")
    assert a.display_name == "a"
    a.input_modalities.append("audio")
    assert b.input_modalities == ["text", "image"]


def test_broken_entry_falls_back() -> None:
    """Fields of the wrong type fall back to their defaults instead of failing."""
    entry: dict[str, Any] = {
        "slug": "broken",
        "display_name": 42,
        "description": ["not", "text"],
        "context_window": "272000",
        "max_context_window": True,
        "supported_reasoning_levels": [
            {"effort": "low", "description": 7},
            {"description": "no effort"},
            "high",
            3,
        ],
        "default_reasoning_level": {"effort": "low"},
        "input_modalities": "text",
        "supports_parallel_tool_calls": "yes",
        "support_verbosity": 1,
        "priority": "first",
        "visibility": None,
        "supported_in_api": None,
        "truncation_policy": ["bytes", 10],
        "additional_speed_tiers": ["fast", None, 3],
        "effective_context_window_percent": "95%",
        "auto_compact_token_limit": 200000.0,
        "experimental_supported_tools": None,
        "available_in_plans": "plus",
        "prefer_websockets": "true",
        "base_instructions": 0,
        "upgrade": "gpt-6",
        "availability_nux": {"message": "New!"},
        "model_messages": [],
    }
    model = model_from_dict(entry)
    assert model == Model(
        slug="broken",
        reasoning_levels=["low", "high"],
        reasoning_level_details=[ReasoningLevel(effort="low"), ReasoningLevel(effort="high")],
        additional_speed_tiers=["fast"],
        auto_compact_token_limit=200000,
        availability_nux={"message": "New!"},
        raw=entry,
    )


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param({}, id="missing"),
        pytest.param({"slug": None}, id="null"),
        pytest.param({"slug": ""}, id="empty"),
        pytest.param({"slug": 5, "display_name": "Five"}, id="not-text"),
    ],
)
def test_missing_slug_is_an_error(entry: dict[str, Any]) -> None:
    """An entry without a slug cannot be used: ``ValueError``."""
    with pytest.raises(ValueError, match="slug"):
        model_from_dict(entry)


def test_entry_not_an_object_is_an_error() -> None:
    """``model_from_dict`` wants an object."""
    with pytest.raises(ValueError, match="object"):
        model_from_dict(["gpt-5.4"])  # type: ignore[arg-type]


def test_payload_skips_unusable_entries() -> None:
    """Entries without a slug (or not objects) are skipped; the others are kept in order."""
    catalog = default_model_catalog()
    payload = {"models": [catalog[1], {"display_name": "nameless"}, "gpt-9", catalog[0]]}
    assert [m.slug for m in models_from_payload(payload)] == ["gpt-5.3-codex", "gpt-5.4"]


@pytest.mark.parametrize(
    ("payload", "shown"),
    [
        pytest.param({}, "nothing", id="missing"),
        pytest.param({"models": None}, "nothing", id="null"),
        pytest.param({"models": {"gpt-5.4": {}}}, "dict", id="object"),
        pytest.param({"data": []}, "nothing", id="openai-shape"),
    ],
)
def test_payload_without_models_list(payload: dict[str, Any], shown: str) -> None:
    """A payload whose ``models`` is not a list is a clear ``ValueError``."""
    with pytest.raises(ValueError, match=f'no "models" list \\(got {shown}\\)'):
        models_from_payload(payload)


def test_payload_not_an_object() -> None:
    """A payload that is not an object is a ``ValueError`` too."""
    with pytest.raises(ValueError, match="must be an object, not list"):
        models_from_payload([])  # type: ignore[arg-type]


def test_empty_catalog() -> None:
    """An empty list is an empty catalog."""
    assert models_from_payload({"models": []}) == []


def test_input_is_not_modified() -> None:
    """Conversion leaves the payload as it was."""
    catalog = default_model_catalog()
    before = copy.deepcopy(catalog)
    models_from_payload({"models": catalog})
    assert before == catalog


def test_repr_is_short() -> None:
    """The long base instructions and the raw entry stay out of the repr."""
    text = repr(model_from_dict(default_model_catalog()[0]))
    assert text.startswith("Model(slug='gpt-5.4', display_name='gpt-5.4'")
    assert "You are Codex" not in text
    assert "raw=" not in text
    assert "reasoning_levels=['low', 'medium', 'high', 'xhigh']" in text
