"""The converter: every event type structures to its class; unknowns keep the raw dict."""

from __future__ import annotations

import typing

import attrs
import pytest

import codex_open_client as c
from codex_open_client._events import EVENT_CLASSES
from codex_open_client._serde import structure_event, unstructure

WIRE_TYPES = {
    "response.created", "response.in_progress", "response.completed", "response.failed",
    "response.incomplete", "response.output_item.added", "response.output_item.done",
    "response.content_part.added", "response.content_part.done", "response.output_text.delta",
    "response.output_text.done", "response.refusal.delta", "response.refusal.done",
    "response.function_call_arguments.delta",
    "response.function_call_arguments.done", "response.reasoning_summary_part.added",
    "response.reasoning_summary_part.done", "response.reasoning_summary_text.delta",
    "response.reasoning_summary_text.done", "response.reasoning_text.delta",
    "response.reasoning_text.done", "response.custom_tool_call_input.delta",
    "response.custom_tool_call_input.done", "response.metadata", "codex.rate_limits", "error",
}  # fmt: skip


def sample(cls: type[typing.Any]) -> dict[str, typing.Any]:
    """A minimal wire dict for an event class: its type plus its required fields."""
    data: dict[str, typing.Any] = {"type": attrs.fields_dict(cls)["type"].default}
    for field in attrs.fields(cls):
        if field.default is attrs.NOTHING:
            data[field.name] = (
                {"id": "resp_1", "output": []}
                if field.name == "response"
                else (
                    {"type": "message", "id": "msg_1", "content": []}
                    if field.name == "item"
                    else "x"
                )
            )
    return data


def test_every_backend_event_type_has_a_class() -> None:
    """Every event type of the wire reference (and the standard ones) has a class."""
    tags = {attrs.fields_dict(cls)["type"].default for cls in EVENT_CLASSES}
    assert tags == WIRE_TYPES


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda cls: cls.__name__)
def test_each_event_structures_to_its_class(cls: type[typing.Any]) -> None:
    """Each wire event becomes its own class, with type holding the wire string."""
    data = sample(cls)
    event = structure_event({**data, "sequence_number": 4, "unknown_future_field": 1})
    assert type(event) is cls
    assert event.type == data["type"]
    assert event.sequence_number == 4


def test_unknown_and_malformed_events_keep_the_raw_dict() -> None:
    """Unknown types and payloads that do not fit become UnknownEvent with the raw dict."""
    raw = {"type": "response.brand_new", "x": [1, 2]}
    assert structure_event(raw) == c.UnknownEvent(type="response.brand_new", raw=raw)
    bad = {"type": "response.output_text.delta"}  # no delta
    assert structure_event(bad) == c.UnknownEvent(type="response.output_text.delta", raw=bad)
    typeless = {"hello": 1}
    assert structure_event(typeless) == c.UnknownEvent(type="", raw=typeless)


def test_rate_limits_event_is_typed() -> None:
    """codex.rate_limits becomes typed windows and credits."""
    event = structure_event(
        {
            "type": "codex.rate_limits",
            "plan_type": "plus",
            "rate_limits": {
                "allowed": True,
                "limit_reached": False,
                "primary": {"used_percent": 12.5, "window_minutes": 300, "reset_at": 1704069000},
            },
            "credits": {"has_credits": True, "unlimited": False, "balance": "$3.42"},
            "metered_limit_name": "codex",
        }
    )
    assert isinstance(event, c.CodexRateLimitsEvent)
    assert event.rate_limits is not None and event.rate_limits.primary is not None
    assert event.rate_limits.primary.used_percent == 12.5
    assert event.credits == c.CodexCredits(has_credits=True, unlimited=False, balance="$3.42")


@pytest.mark.parametrize(
    ("item", "cls"),
    [
        (
            {
                "type": "message",
                "id": "m",
                "role": "assistant",
                "content": [
                    {"type": "output_text", "text": "t", "annotations": []},
                    {"type": "refusal", "refusal": "no"},
                ],
            },
            c.ResponseOutputMessage,
        ),
        (
            {
                "type": "function_call",
                "id": "fc",
                "call_id": "c",
                "name": "f",
                "arguments": "{}",
                "status": "completed",
            },
            c.ResponseFunctionToolCall,
        ),
        (
            {
                "type": "custom_tool_call",
                "id": "ct",
                "call_id": "c",
                "name": "apply_patch",
                "input": "*** Begin",
            },
            c.ResponseCustomToolCall,
        ),
        (
            {
                "type": "reasoning",
                "id": "rs",
                "summary": [{"type": "summary_text", "text": "s"}],
                "content": [{"type": "reasoning_text", "text": "r"}],
                "encrypted_content": "gAAA",
            },
            c.ResponseReasoningItem,
        ),
        (
            {
                "type": "web_search_call",
                "id": "ws",
                "status": "completed",
                "action": {"type": "search", "query": "q"},
            },
            c.ResponseWebSearchCall,
        ),
        (
            {
                "type": "image_generation_call",
                "id": "ig",
                "status": "completed",
                "result": "aGk=",
                "revised_prompt": "p",
            },
            c.ResponseImageGenerationCall,
        ),
    ],
)
def test_output_items_round_trip(item: dict[str, typing.Any], cls: type[typing.Any]) -> None:
    """Output items structure to their class and unstructure back to the same wire dict."""
    event = structure_event({"type": "response.output_item.done", "output_index": 0, "item": item})
    assert isinstance(event, c.ResponseOutputItemDoneEvent)
    assert type(event.item) is cls
    assert unstructure(event.item) == item


def test_unknown_content_part_is_kept() -> None:
    """A content part of an unknown type is kept whole inside a known message."""
    part = {"type": "output_audio", "data": "..."}
    event = structure_event(
        {"type": "response.output_item.done", "item": {"type": "message", "content": [part]}}
    )
    assert isinstance(event, c.ResponseOutputItemDoneEvent)
    assert isinstance(event.item, c.ResponseOutputMessage)
    assert event.item.content == [c.UnknownContent(type="output_audio", raw=part)]
    assert unstructure(event.item)["content"] == [part]
