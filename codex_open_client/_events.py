"""Stream events: one frozen attrs class per event type the backend sends.

Each class has a ``type`` attribute holding its wire type string; events of types this version
does not know arrive as ``UnknownEvent`` with the raw dict, never dropped.
This file lists every event explicitly so that readers and type checkers see plain classes.
"""

from __future__ import annotations

from typing import Any, Literal, Union

from attrs import frozen

from ._models import OutputContent, OutputItem, ReasoningSummary, Response

__all__ = [
    "CodexCredits",
    "CodexRateLimitWindow",
    "CodexRateLimits",
    "CodexRateLimitsEvent",
    "ResponseCompletedEvent",
    "ResponseContentPartAddedEvent",
    "ResponseContentPartDoneEvent",
    "ResponseCreatedEvent",
    "ResponseCustomToolCallInputDeltaEvent",
    "ResponseCustomToolCallInputDoneEvent",
    "ResponseErrorEvent",
    "ResponseFailedEvent",
    "ResponseFunctionCallArgumentsDeltaEvent",
    "ResponseFunctionCallArgumentsDoneEvent",
    "ResponseInProgressEvent",
    "ResponseIncompleteEvent",
    "ResponseMetadataEvent",
    "ResponseOutputItemAddedEvent",
    "ResponseOutputItemDoneEvent",
    "ResponseOutputTextDeltaEvent",
    "ResponseOutputTextDoneEvent",
    "ResponseReasoningSummaryPartAddedEvent",
    "ResponseReasoningSummaryPartDoneEvent",
    "ResponseReasoningSummaryTextDeltaEvent",
    "ResponseReasoningSummaryTextDoneEvent",
    "ResponseReasoningTextDeltaEvent",
    "ResponseReasoningTextDoneEvent",
    "ResponseRefusalDeltaEvent",
    "ResponseRefusalDoneEvent",
    "ResponseStreamEvent",
    "UnknownEvent",
]


@frozen(kw_only=True)
class CodexRateLimitWindow:
    """One rate-limit window: how much is used and when it resets (unix seconds)."""

    used_percent: float | None = None
    window_minutes: int | None = None
    reset_at: int | None = None


@frozen(kw_only=True)
class CodexRateLimits:
    """The primary (short) and secondary (weekly) rate-limit windows."""

    allowed: bool | None = None
    limit_reached: bool | None = None
    primary: CodexRateLimitWindow | None = None
    secondary: CodexRateLimitWindow | None = None


@frozen(kw_only=True)
class CodexCredits:
    """The account's credits."""

    has_credits: bool | None = None
    unlimited: bool | None = None
    balance: str | None = None


@frozen(kw_only=True)
class ResponseCreatedEvent:
    """The response was created."""

    response: Response
    sequence_number: int | None = None
    type: Literal["response.created"] = "response.created"


@frozen(kw_only=True)
class ResponseInProgressEvent:
    """The response is being generated."""

    response: Response
    sequence_number: int | None = None
    type: Literal["response.in_progress"] = "response.in_progress"


@frozen(kw_only=True)
class ResponseCompletedEvent:
    """The response finished (its ``output`` is often empty: see the final response)."""

    response: Response
    sequence_number: int | None = None
    type: Literal["response.completed"] = "response.completed"


@frozen(kw_only=True)
class ResponseFailedEvent:
    """The response failed; ``response.error`` says why."""

    response: Response
    sequence_number: int | None = None
    type: Literal["response.failed"] = "response.failed"


@frozen(kw_only=True)
class ResponseIncompleteEvent:
    """The response stopped early; ``response.incomplete_details`` says why."""

    response: Response
    sequence_number: int | None = None
    type: Literal["response.incomplete"] = "response.incomplete"


@frozen(kw_only=True)
class ResponseOutputItemAddedEvent:
    """An output item started."""

    item: OutputItem
    output_index: int = 0
    sequence_number: int | None = None
    type: Literal["response.output_item.added"] = "response.output_item.added"


@frozen(kw_only=True)
class ResponseOutputItemDoneEvent:
    """An output item is complete (the authoritative copy)."""

    item: OutputItem
    output_index: int = 0
    sequence_number: int | None = None
    type: Literal["response.output_item.done"] = "response.output_item.done"


@frozen(kw_only=True)
class ResponseContentPartAddedEvent:
    """A content part of a message started."""

    part: OutputContent | None = None
    item_id: str | None = None
    output_index: int = 0
    content_index: int = 0
    sequence_number: int | None = None
    type: Literal["response.content_part.added"] = "response.content_part.added"


@frozen(kw_only=True)
class ResponseContentPartDoneEvent:
    """A content part of a message is complete."""

    part: OutputContent | None = None
    item_id: str | None = None
    output_index: int = 0
    content_index: int = 0
    sequence_number: int | None = None
    type: Literal["response.content_part.done"] = "response.content_part.done"


@frozen(kw_only=True)
class ResponseOutputTextDeltaEvent:
    """A piece of output text."""

    delta: str
    item_id: str | None = None
    output_index: int = 0
    content_index: int = 0
    sequence_number: int | None = None
    type: Literal["response.output_text.delta"] = "response.output_text.delta"


@frozen(kw_only=True)
class ResponseRefusalDeltaEvent:
    """A piece of a refusal."""

    delta: str
    item_id: str | None = None
    output_index: int = 0
    content_index: int = 0
    sequence_number: int | None = None
    type: Literal["response.refusal.delta"] = "response.refusal.delta"


@frozen(kw_only=True)
class ResponseRefusalDoneEvent:
    """The full text of a refusal."""

    refusal: str
    item_id: str | None = None
    output_index: int = 0
    content_index: int = 0
    sequence_number: int | None = None
    type: Literal["response.refusal.done"] = "response.refusal.done"


@frozen(kw_only=True)
class ResponseOutputTextDoneEvent:
    """The full text of one content part."""

    text: str
    item_id: str | None = None
    output_index: int = 0
    content_index: int = 0
    sequence_number: int | None = None
    type: Literal["response.output_text.done"] = "response.output_text.done"


@frozen(kw_only=True)
class ResponseFunctionCallArgumentsDeltaEvent:
    """A piece of a function call's JSON arguments."""

    delta: str
    item_id: str | None = None
    output_index: int = 0
    call_id: str | None = None
    sequence_number: int | None = None
    type: Literal["response.function_call_arguments.delta"] = (
        "response.function_call_arguments.delta"
    )


@frozen(kw_only=True)
class ResponseFunctionCallArgumentsDoneEvent:
    """A function call's complete JSON arguments."""

    arguments: str
    item_id: str | None = None
    output_index: int = 0
    call_id: str | None = None
    sequence_number: int | None = None
    type: Literal["response.function_call_arguments.done"] = "response.function_call_arguments.done"


@frozen(kw_only=True)
class ResponseReasoningSummaryPartAddedEvent:
    """A reasoning summary section started."""

    part: ReasoningSummary | None = None
    item_id: str | None = None
    output_index: int = 0
    summary_index: int = 0
    sequence_number: int | None = None
    type: Literal["response.reasoning_summary_part.added"] = "response.reasoning_summary_part.added"


@frozen(kw_only=True)
class ResponseReasoningSummaryPartDoneEvent:
    """A reasoning summary section is complete."""

    part: ReasoningSummary | None = None
    item_id: str | None = None
    output_index: int = 0
    summary_index: int = 0
    sequence_number: int | None = None
    type: Literal["response.reasoning_summary_part.done"] = "response.reasoning_summary_part.done"


@frozen(kw_only=True)
class ResponseReasoningSummaryTextDeltaEvent:
    """A piece of reasoning summary text."""

    delta: str
    item_id: str | None = None
    output_index: int = 0
    summary_index: int = 0
    sequence_number: int | None = None
    type: Literal["response.reasoning_summary_text.delta"] = "response.reasoning_summary_text.delta"


@frozen(kw_only=True)
class ResponseReasoningSummaryTextDoneEvent:
    """The full text of one reasoning summary section."""

    text: str
    item_id: str | None = None
    output_index: int = 0
    summary_index: int = 0
    sequence_number: int | None = None
    type: Literal["response.reasoning_summary_text.done"] = "response.reasoning_summary_text.done"


@frozen(kw_only=True)
class ResponseReasoningTextDeltaEvent:
    """A piece of raw reasoning text."""

    delta: str
    item_id: str | None = None
    output_index: int = 0
    content_index: int = 0
    sequence_number: int | None = None
    type: Literal["response.reasoning_text.delta"] = "response.reasoning_text.delta"


@frozen(kw_only=True)
class ResponseReasoningTextDoneEvent:
    """The full raw reasoning text of one part."""

    text: str
    item_id: str | None = None
    output_index: int = 0
    content_index: int = 0
    sequence_number: int | None = None
    type: Literal["response.reasoning_text.done"] = "response.reasoning_text.done"


@frozen(kw_only=True)
class ResponseCustomToolCallInputDeltaEvent:
    """A piece of a custom tool call's input."""

    delta: str
    item_id: str | None = None
    output_index: int = 0
    call_id: str | None = None
    sequence_number: int | None = None
    type: Literal["response.custom_tool_call_input.delta"] = "response.custom_tool_call_input.delta"


@frozen(kw_only=True)
class ResponseCustomToolCallInputDoneEvent:
    """A custom tool call's complete input."""

    input: str
    item_id: str | None = None
    output_index: int = 0
    call_id: str | None = None
    sequence_number: int | None = None
    type: Literal["response.custom_tool_call_input.done"] = "response.custom_tool_call_input.done"


@frozen(kw_only=True)
class ResponseMetadataEvent:
    """Backend metadata: routing headers (``x-codex-turn-state``, ``openai-model``), moderation."""

    headers: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    sequence_number: int | None = None
    type: Literal["response.metadata"] = "response.metadata"


@frozen(kw_only=True)
class CodexRateLimitsEvent:
    """The account's rate-limit windows and credits (may come before ``response.created``)."""

    plan_type: str | None = None
    rate_limits: CodexRateLimits | None = None
    credits: CodexCredits | None = None
    metered_limit_name: str | None = None
    limit_name: str | None = None
    sequence_number: int | None = None
    type: Literal["codex.rate_limits"] = "codex.rate_limits"


@frozen(kw_only=True)
class ResponseErrorEvent:
    """An error reported inside the stream."""

    code: str | None = None
    message: str = ""
    param: str | None = None
    sequence_number: int | None = None
    type: Literal["error"] = "error"


@frozen(kw_only=True)
class UnknownEvent:
    """An event of a type this version does not know; ``raw`` keeps the whole payload."""

    type: str
    raw: dict[str, Any]


ResponseStreamEvent = Union[
    ResponseCreatedEvent,
    ResponseInProgressEvent,
    ResponseCompletedEvent,
    ResponseFailedEvent,
    ResponseIncompleteEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseOutputTextDeltaEvent,
    ResponseOutputTextDoneEvent,
    ResponseRefusalDeltaEvent,
    ResponseRefusalDoneEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseReasoningSummaryPartAddedEvent,
    ResponseReasoningSummaryPartDoneEvent,
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseReasoningSummaryTextDoneEvent,
    ResponseReasoningTextDeltaEvent,
    ResponseReasoningTextDoneEvent,
    ResponseCustomToolCallInputDeltaEvent,
    ResponseCustomToolCallInputDoneEvent,
    ResponseMetadataEvent,
    CodexRateLimitsEvent,
    ResponseErrorEvent,
    UnknownEvent,
]

EVENT_CLASSES: tuple[type[Any], ...] = (
    ResponseCreatedEvent,
    ResponseInProgressEvent,
    ResponseCompletedEvent,
    ResponseFailedEvent,
    ResponseIncompleteEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseOutputTextDeltaEvent,
    ResponseOutputTextDoneEvent,
    ResponseRefusalDeltaEvent,
    ResponseRefusalDoneEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseReasoningSummaryPartAddedEvent,
    ResponseReasoningSummaryPartDoneEvent,
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseReasoningSummaryTextDoneEvent,
    ResponseReasoningTextDeltaEvent,
    ResponseReasoningTextDoneEvent,
    ResponseCustomToolCallInputDeltaEvent,
    ResponseCustomToolCallInputDoneEvent,
    ResponseMetadataEvent,
    CodexRateLimitsEvent,
    ResponseErrorEvent,
)
