"""The sans-IO accumulator: events in, final Response out."""

from __future__ import annotations

from typing import Any

import attrs
from hypothesis import given, settings, strategies as st

from codex_open_client import (
    OutputItem,
    OutputText,
    ReasoningSummary,
    Response,
    ResponseCustomToolCall,
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseReasoningItem,
    UnknownItem,
)
from codex_open_client._accumulate import Accumulator
from codex_open_client._events import (
    ResponseCompletedEvent,
    ResponseCreatedEvent,
    ResponseCustomToolCallInputDeltaEvent,
    ResponseCustomToolCallInputDoneEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputTextDeltaEvent,
    ResponseOutputTextDoneEvent,
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseReasoningSummaryTextDoneEvent,
    ResponseStreamEvent,
    structure_event,
)


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
    assert unknown == UnknownItem(raw=raw)


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


# ----------------------------------------------------------------------------- scale and reference


def test_response_is_linear_in_distinct_output_indexes() -> None:
    """50,000 items streamed as one delta each: response() takes well under a second.

    It took about 90 s when each index scanned every text (quadratic), past the per-test timeout.
    """
    count = 50_000
    accumulator = Accumulator()
    for index in range(count):
        accumulator.feed(ResponseOutputTextDeltaEvent(output_index=index, delta=str(index)))
    accumulator.feed(ResponseReasoningSummaryTextDeltaEvent(output_index=count, delta="why"))
    response = accumulator.response()
    assert len(response.output) == count
    assert response.output[-1] == ResponseOutputMessage(
        status="in_progress", content=[OutputText(text=str(count - 1))]
    )
    assert response.output_text == "".join(str(index) for index in range(count))
    assert response.reasoning_summary is None  # a summary without its reasoning item is dropped


_INDEX = st.integers(0, 24)
_POSITION = st.integers(0, 3)
_TEXT = st.sampled_from(["", "a", "bc", "déf"])
_ID = st.sampled_from([None, "x", "y", "z"])
_ITEM: st.SearchStrategy[OutputItem] = st.one_of(
    st.builds(
        ResponseOutputMessage,
        id=_ID,
        status=st.just("in_progress"),
        content=st.lists(st.builds(OutputText, text=_TEXT), max_size=2),
    ),
    st.builds(ResponseFunctionToolCall, id=_ID, call_id=st.just("c"), name=st.just("f")),
    st.builds(ResponseCustomToolCall, id=_ID, call_id=st.just("c"), name=st.just("g")),
    st.builds(
        ResponseReasoningItem,
        id=_ID,
        summary=st.lists(st.builds(ReasoningSummary, text=_TEXT), max_size=2),
    ),
    st.builds(UnknownItem, raw=st.just({"type": "local_shell_call", "x": 1})),
)
_RESPONSE = st.builds(
    Response,
    id=st.just("resp_1"),
    model=st.sampled_from([None, "m"]),
    status=st.just("completed"),
    output=st.lists(_ITEM, max_size=2),
)
_EVENT: st.SearchStrategy[ResponseStreamEvent] = st.one_of(
    st.builds(ResponseOutputItemAddedEvent, output_index=_INDEX, item=_ITEM),
    st.builds(ResponseOutputItemDoneEvent, output_index=_INDEX, item=_ITEM),
    st.builds(
        ResponseOutputTextDeltaEvent, output_index=_INDEX, content_index=_POSITION, delta=_TEXT
    ),
    st.builds(
        ResponseOutputTextDoneEvent, output_index=_INDEX, content_index=_POSITION, text=_TEXT
    ),
    st.builds(
        ResponseReasoningSummaryTextDeltaEvent,
        output_index=_INDEX,
        summary_index=_POSITION,
        delta=_TEXT,
    ),
    st.builds(
        ResponseReasoningSummaryTextDoneEvent,
        output_index=_INDEX,
        summary_index=_POSITION,
        text=_TEXT,
    ),
    st.builds(ResponseFunctionCallArgumentsDeltaEvent, output_index=_INDEX, delta=_TEXT),
    st.builds(ResponseFunctionCallArgumentsDoneEvent, output_index=_INDEX, arguments=_TEXT),
    st.builds(ResponseCustomToolCallInputDeltaEvent, output_index=_INDEX, delta=_TEXT),
    st.builds(ResponseCustomToolCallInputDoneEvent, output_index=_INDEX, input=_TEXT),
    st.builds(ResponseCreatedEvent, response=_RESPONSE.map(lambda r: attrs.evolve(r, output=[]))),
    st.builds(ResponseCompletedEvent, response=_RESPONSE),
)


def reference_response(events: list[ResponseStreamEvent]) -> Response:
    """The accumulator's rules, the plain way: scan everything for each index."""
    started: Response | None = None
    terminal: Response | None = None
    items: dict[int, OutputItem] = {}
    done: set[int] = set()
    texts: dict[tuple[int, int], str] = {}
    summaries: dict[tuple[int, int], str] = {}
    arguments: dict[int, str] = {}
    inputs: dict[int, str] = {}
    for event in events:
        if isinstance(event, ResponseCreatedEvent):
            started = event.response
        elif isinstance(event, ResponseCompletedEvent):
            terminal = event.response
        elif isinstance(event, ResponseOutputItemAddedEvent):
            if event.output_index not in done:
                items[event.output_index] = event.item
        elif isinstance(event, ResponseOutputItemDoneEvent):
            items[event.output_index] = event.item
            done.add(event.output_index)
        elif isinstance(event, ResponseOutputTextDeltaEvent):
            key = (event.output_index, event.content_index)
            texts[key] = texts.get(key, "") + event.delta
        elif isinstance(event, ResponseOutputTextDoneEvent):
            texts[(event.output_index, event.content_index)] = event.text
        elif isinstance(event, ResponseReasoningSummaryTextDeltaEvent):
            key = (event.output_index, event.summary_index)
            summaries[key] = summaries.get(key, "") + event.delta
        elif isinstance(event, ResponseReasoningSummaryTextDoneEvent):
            summaries[(event.output_index, event.summary_index)] = event.text
        elif isinstance(event, ResponseFunctionCallArgumentsDeltaEvent):
            arguments[event.output_index] = arguments.get(event.output_index, "") + event.delta
        elif isinstance(event, ResponseFunctionCallArgumentsDoneEvent):
            arguments[event.output_index] = event.arguments
        elif isinstance(event, ResponseCustomToolCallInputDeltaEvent):
            inputs[event.output_index] = inputs.get(event.output_index, "") + event.delta
        elif isinstance(event, ResponseCustomToolCallInputDoneEvent):
            inputs[event.output_index] = event.input

    output: list[OutputItem] = []
    indexes = {*items, *arguments, *inputs, *(i for i, _ in texts), *(i for i, _ in summaries)}
    for index in sorted(indexes):
        item = items.get(index)
        own_texts = sorted((c, text) for (i, c), text in texts.items() if i == index)
        own_summary = [text for (i, _), text in sorted(summaries.items()) if i == index]
        if index in done:
            output.append(items[index])
        elif item is None or isinstance(item, ResponseOutputMessage):
            if item is None and not own_texts:
                continue
            message = item or ResponseOutputMessage(status="in_progress")
            content = list(message.content)
            for position, text in own_texts:
                if position < len(content):
                    content[position] = OutputText(text=text)
                else:
                    content.append(OutputText(text=text))
            output.append(attrs.evolve(message, content=content))
        elif isinstance(item, ResponseFunctionToolCall) and index in arguments:
            output.append(attrs.evolve(item, arguments=arguments[index]))
        elif isinstance(item, ResponseCustomToolCall) and index in inputs:
            output.append(attrs.evolve(item, input=inputs[index]))
        elif isinstance(item, ResponseReasoningItem) and own_summary:
            summary = [ReasoningSummary(text=text) for text in own_summary]
            output.append(attrs.evolve(item, summary=summary))
        else:
            output.append(item)

    base = terminal or started or Response(status="in_progress")
    if base.output:
        ids = {getattr(item, "id", None) for item in base.output}
        extra = [i for i in output if getattr(i, "id", None) not in ids | {None}]
        output = [*base.output, *extra]
    model = base.model or (started.model if started else None)
    return attrs.evolve(base, output=output, model=model)


@settings(max_examples=150, deadline=None)
@given(st.lists(_EVENT, max_size=60))
def test_response_matches_the_reference_for_any_events(events: list[ResponseStreamEvent]) -> None:
    """Over any sequence of events (many indexes, done or not), the same response at every step.

    Checked after each event, because partial responses (a stream cut short) count too.
    """
    accumulator = Accumulator()
    for fed, event in enumerate(events, 1):
        accumulator.feed(event)
        assert accumulator.response() == reference_response(events[:fed])
