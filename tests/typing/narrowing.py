# pyright: strict
"""A user module: every way of telling events, items and content parts apart type-checks.

Not a test module: ``tests/test_typing.py`` runs ``mypy --strict`` and pyright (strict) on it
and expects no error. ``assert_type`` fails the check when a narrowing is lost.
"""

from __future__ import annotations

from typing import Any

from typing_extensions import assert_type

from codex_open_client import (
    OutputContent,
    OutputItem,
    OutputText,
    Response,
    ResponseCompactionItem,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionToolCall,
    ResponseOutputItemDoneEvent,
    ResponseOutputMessage,
    ResponseOutputRefusal,
    ResponseOutputTextDeltaEvent,
    ResponseStreamEvent,
    UnknownContent,
    UnknownEvent,
    UnknownItem,
)


def compare_event_type(event: ResponseStreamEvent) -> str:
    """``==`` on ``event.type``, as with openai-python's events."""
    if event.type == "response.output_text.delta":
        assert_type(event, ResponseOutputTextDeltaEvent)
        return event.delta
    if event.type == "response.function_call_arguments.delta":
        assert_type(event, ResponseFunctionCallArgumentsDeltaEvent)
        return event.delta
    if event.type == "response.output_item.done":
        assert_type(event, ResponseOutputItemDoneEvent)
        assert_type(event.item, OutputItem)
        return event.item.type
    if event.type == "response.completed":
        assert_type(event.response, Response)
        return event.response.output_text
    if event.type == "unknown":
        assert_type(event, UnknownEvent)
        assert_type(event.raw, dict[str, Any])
        return event.wire_type
    return ""


def match_event_type(event: ResponseStreamEvent) -> str:
    """``match event.type`` with string cases."""
    match event.type:
        case "response.output_text.delta":
            assert_type(event, ResponseOutputTextDeltaEvent)
            return event.delta
        case "response.reasoning_summary_text.delta":
            return event.delta
        case "response.output_text.done":
            return event.text
        case "error":
            return event.message
        case "unknown":
            assert_type(event, UnknownEvent)
            return event.wire_type
        case _:
            return ""


def readme_stream_loop(events: list[ResponseStreamEvent]) -> None:
    """The README's loop: ``match event.type`` with a guard on the item's type."""
    for event in events:
        match event.type:
            case "response.output_text.delta":
                assert_type(event, ResponseOutputTextDeltaEvent)
            case "response.output_item.done" if event.item.type == "function_call":
                assert_type(event.item, ResponseFunctionToolCall)
                assert_type(event.item.arguments, str)
            case "unknown":
                assert_type(event.wire_type, str)
            case _:
                pass


def match_event_class(event: ResponseStreamEvent) -> str:
    """``match event`` with class patterns."""
    match event:
        case ResponseOutputTextDeltaEvent(delta=delta, output_index=index):
            assert_type(delta, str)
            assert_type(index, int)
            return delta
        case ResponseOutputItemDoneEvent(item=ResponseFunctionToolCall(arguments=arguments)):
            assert_type(arguments, str)
            return arguments
        case UnknownEvent(raw=raw):
            assert_type(raw, dict[str, Any])
            return str(raw.get("type"))
        case _:
            return ""


def compare_item_type(item: OutputItem) -> str:
    """``item.type == "function_call"`` and friends."""
    if item.type == "function_call":
        assert_type(item, ResponseFunctionToolCall)
        return item.arguments
    if item.type == "message":
        assert_type(item, ResponseOutputMessage)
        return "".join(part.type for part in item.content)
    if item.type == "custom_tool_call":
        return item.input
    if item.type == "compaction":
        assert_type(item, ResponseCompactionItem)
        return item.encrypted_content
    if item.type == "unknown":
        assert_type(item, UnknownItem)
        return item.wire_type
    return ""


def match_item_type(item: OutputItem) -> str:
    """``match item.type`` on items."""
    match item.type:
        case "function_call":
            assert_type(item, ResponseFunctionToolCall)
            return item.name
        case "reasoning":
            return str(item.encrypted_content)
        case "compaction":
            assert_type(item, ResponseCompactionItem)
            return item.encrypted_content
        case "unknown":
            assert_type(item, UnknownItem)
            return item.wire_type
        case _:
            return ""


def match_item_class(item: OutputItem) -> str:
    """Class patterns on items."""
    match item:
        case ResponseFunctionToolCall(call_id=call_id):
            assert_type(call_id, str)
            return call_id
        case UnknownItem(raw=raw):
            return str(raw)
        case _:
            return ""


def content_parts(part: OutputContent) -> str:
    """Content parts narrow the same ways."""
    if part.type == "output_text":
        assert_type(part, OutputText)
        return part.text
    if part.type == "refusal":
        assert_type(part, ResponseOutputRefusal)
        return part.refusal
    assert_type(part, UnknownContent)
    match part.type:
        case "unknown":
            return part.wire_type
    match part:
        case UnknownContent(raw=raw):
            return str(raw)


def serialise(response: Response, event: ResponseStreamEvent) -> Response:
    """``to_dict``/``to_json``/``from_dict`` keep their types."""
    assert_type(response.to_dict(), dict[str, Any])
    assert_type(event.to_json(indent=2), str)
    assert_type(ResponseOutputMessage.from_dict({"type": "message"}), ResponseOutputMessage)
    return Response.from_dict(response.to_dict())
