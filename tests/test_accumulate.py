"""The sans-IO accumulator: events in, final Response out."""

from __future__ import annotations

from typing import Any

from codex_open_client import (
    OutputText,
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseReasoningItem,
    UnknownItem,
)
from codex_open_client._accumulate import Accumulator
from codex_open_client._serde import structure_event


def feed(events: list[dict[str, Any]]) -> Accumulator:
    accumulator = Accumulator()
    for event in events:
        accumulator.feed(structure_event(event))
    return accumulator


def created(model: str = "gpt-5.1-codex-mini") -> dict[str, Any]:
    return {
        "type": "response.created",
        "response": {"id": "resp_1", "status": "in_progress", "model": model, "output": []},
    }


def completed(output: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    response = {
        "id": "resp_1",
        "status": "completed",
        "output": output or [],
        "usage": {
            "input_tokens": 5,
            "input_tokens_details": {"cached_tokens": 2},
            "output_tokens": 7,
            "output_tokens_details": {"reasoning_tokens": 3},
            "total_tokens": 12,
        },
    }
    response.update(extra)
    return {"type": "response.completed", "response": response}


def message_item(text: str, item_id: str = "msg_1") -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def delta(text: str, output_index: int = 0, content_index: int = 0) -> dict[str, Any]:
    return {
        "type": "response.output_text.delta",
        "item_id": "msg_1",
        "output_index": output_index,
        "content_index": content_index,
        "delta": text,
    }


def test_items_come_from_output_item_done_when_completed_output_is_empty() -> None:
    """The real backend's response.completed has output []: items come from done events."""
    accumulator = feed(
        [
            {"type": "codex.rate_limits", "plan_type": "plus"},
            created(),
            {
                "type": "response.output_item.added",
                "output_index": 0,
                "item": {**message_item(""), "content": [], "status": "in_progress"},
            },
            delta("Hel"),
            delta("lo"),
            {"type": "response.output_item.done", "output_index": 0, "item": message_item("Hello")},
            completed(),
        ]
    )
    response = accumulator.response()
    assert response.output_text == "Hello"
    assert response.id == "resp_1"
    assert response.status == "completed"
    assert response.model == "gpt-5.1-codex-mini"  # from response.created
    assert response.usage is not None
    assert response.usage.input_tokens_details.cached_tokens == 2
    assert response.usage.output_tokens_details.reasoning_tokens == 3


def test_text_deltas_are_the_fallback_without_done_events() -> None:
    """Without output_item.done, the deltas rebuild the message."""
    response = feed([created(), delta("a"), delta("b"), delta("c", 1), completed()]).response()
    assert response.output_text == "abc"
    assert len(response.output) == 2
    assert all(isinstance(item, ResponseOutputMessage) for item in response.output)


def test_added_items_are_completed_from_their_deltas() -> None:
    """An item that got no done event is completed from its argument and summary deltas."""
    response = feed(
        [
            created(),
            {
                "type": "response.output_item.added",
                "output_index": 0,
                "item": {"id": "rs_1", "type": "reasoning", "summary": []},
            },
            {
                "type": "response.reasoning_summary_text.delta",
                "output_index": 0,
                "summary_index": 0,
                "delta": "Think",
            },
            {
                "type": "response.reasoning_summary_text.delta",
                "output_index": 0,
                "summary_index": 0,
                "delta": "ing",
            },
            {
                "type": "response.reasoning_summary_text.delta",
                "output_index": 0,
                "summary_index": 1,
                "delta": "More",
            },
            {
                "type": "response.output_item.added",
                "output_index": 1,
                "item": {
                    "id": "fc_1",
                    "type": "function_call",
                    "call_id": "call_1",
                    "name": "f",
                    "arguments": "",
                },
            },
            {"type": "response.function_call_arguments.delta", "output_index": 1, "delta": '{"a":'},
            {"type": "response.function_call_arguments.delta", "output_index": 1, "delta": "1}"},
        ]
    ).response()
    assert response.status == "in_progress"
    assert response.reasoning_summary == "Thinking\nMore"
    assert response.tool_calls == [
        ResponseFunctionToolCall(id="fc_1", call_id="call_1", name="f", arguments='{"a":1}')
    ]


def test_terminal_output_wins_and_is_merged_with_streamed_items() -> None:
    """A non-empty completed output is used, plus streamed items it lacks (by id)."""
    response = feed(
        [
            created(),
            {
                "type": "response.output_item.done",
                "output_index": 0,
                "item": message_item("streamed", "msg_1"),
            },
            {
                "type": "response.output_item.done",
                "output_index": 1,
                "item": message_item("extra", "msg_2"),
            },
            completed([message_item("final", "msg_1")]),
        ]
    ).response()
    assert response.output_text == "finalextra"


def test_reasoning_and_unknown_items_are_kept() -> None:
    """Reasoning items keep encrypted content; unknown items keep their raw dict."""
    raw = {"type": "local_shell_call", "id": "ls_1", "action": {"type": "exec"}}
    response = feed(
        [
            created(),
            {
                "type": "response.output_item.done",
                "output_index": 0,
                "item": {
                    "id": "rs_1",
                    "type": "reasoning",
                    "summary": [{"type": "summary_text", "text": "S"}],
                    "encrypted_content": "gAAA",
                },
            },
            {"type": "response.output_item.done", "output_index": 1, "item": raw},
            completed(),
        ]
    ).response()
    reasoning, unknown = response.output
    assert isinstance(reasoning, ResponseReasoningItem)
    assert reasoning.encrypted_content == "gAAA"
    assert response.reasoning_summary == "S"
    assert unknown == UnknownItem(type="local_shell_call", raw=raw)


def test_incomplete_and_failed_terminal_events() -> None:
    """Status, incomplete_details and error come from the terminal event."""
    incomplete = feed(
        [
            created(),
            delta("part"),
            {
                "type": "response.incomplete",
                "response": {
                    "id": "resp_1",
                    "status": "incomplete",
                    "incomplete_details": {"reason": "max_output_tokens"},
                },
            },
        ]
    ).response()
    assert incomplete.status == "incomplete"
    assert incomplete.incomplete_details is not None
    assert incomplete.incomplete_details.reason == "max_output_tokens"
    assert incomplete.output_text == "part"
    failed = feed(
        [
            created(),
            {
                "type": "response.failed",
                "response": {
                    "id": "resp_1",
                    "status": "failed",
                    "error": {"code": "server_error", "message": "boom"},
                },
            },
        ]
    ).response()
    assert failed.status == "failed"
    assert failed.error is not None
    assert failed.error.code == "server_error"


def test_done_text_events_replace_deltas() -> None:
    """output_text.done carries the whole text: it replaces what the deltas built."""
    response = feed(
        [
            created(),
            delta("wrong"),
            {
                "type": "response.output_text.done",
                "output_index": 0,
                "content_index": 0,
                "text": "right",
            },
            completed(),
        ]
    ).response()
    assert response.output == [
        ResponseOutputMessage(status="in_progress", content=[OutputText(text="right")])
    ]


def test_empty_stream_gives_an_in_progress_response() -> None:
    """Nothing fed: an empty in-progress response, not finished."""
    accumulator = Accumulator()
    assert accumulator.response().status == "in_progress"
    assert accumulator.response().output == []
    assert accumulator.response().reasoning_summary is None
