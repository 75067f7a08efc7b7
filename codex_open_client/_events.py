"""Stream events: one frozen attrs class per event type the backend sends.

Each class has a ``type`` attribute holding its wire type string (a ``Literal``: comparing
``event.type`` narrows the union); events of types this version does not know arrive as
``UnknownEvent`` (``type`` ``"unknown"``) with the raw dict, never dropped.
This file lists every event explicitly so that readers and type checkers see plain classes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal, Union

import attrs
from attrs import frozen

from ._models import (
    OutputContent,
    OutputItem,
    ReasoningSummary,
    Response,
    _unknown_init,
    _wire_type,
)
from ._serde import RAW_CLASSES, _copy, converter, type_tag
from ._wire import Wire

logger = logging.getLogger("codex_open_client")

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
    "event_from_dict",
]


@frozen(kw_only=True)
class CodexRateLimitWindow(Wire):
    """One rate-limit window: how much is used and when it resets (unix seconds)."""

    used_percent: float | None = None
    window_minutes: int | None = None
    reset_at: int | None = None


@frozen(kw_only=True)
class CodexRateLimits(Wire):
    """The primary (short) and secondary (weekly) rate-limit windows."""

    allowed: bool | None = None
    limit_reached: bool | None = None
    primary: CodexRateLimitWindow | None = None
    secondary: CodexRateLimitWindow | None = None


@frozen(kw_only=True)
class CodexCredits(Wire):
    """The account's credits."""

    has_credits: bool | None = None
    unlimited: bool | None = None
    balance: str | None = None


@frozen(kw_only=True)
class ResponseCreatedEvent(Wire):
    """The response was created."""

    response: Response
    sequence_number: int | None = None
    type: Literal["response.created"] = "response.created"


@frozen(kw_only=True)
class ResponseInProgressEvent(Wire):
    """The response is being generated."""

    response: Response
    sequence_number: int | None = None
    type: Literal["response.in_progress"] = "response.in_progress"


@frozen(kw_only=True)
class ResponseCompletedEvent(Wire):
    """The response finished (its ``output`` is often empty: see the final response)."""

    response: Response
    sequence_number: int | None = None
    type: Literal["response.completed"] = "response.completed"


@frozen(kw_only=True)
class ResponseFailedEvent(Wire):
    """The response failed; ``response.error`` says why."""

    response: Response
    sequence_number: int | None = None
    type: Literal["response.failed"] = "response.failed"


@frozen(kw_only=True)
class ResponseIncompleteEvent(Wire):
    """The response stopped early; ``response.incomplete_details`` says why."""

    response: Response
    sequence_number: int | None = None
    type: Literal["response.incomplete"] = "response.incomplete"


@frozen(kw_only=True)
class ResponseOutputItemAddedEvent(Wire):
    """An output item started."""

    item: OutputItem
    output_index: int = 0
    sequence_number: int | None = None
    type: Literal["response.output_item.added"] = "response.output_item.added"


@frozen(kw_only=True)
class ResponseOutputItemDoneEvent(Wire):
    """An output item is complete (the authoritative copy)."""

    item: OutputItem
    output_index: int = 0
    sequence_number: int | None = None
    type: Literal["response.output_item.done"] = "response.output_item.done"


@frozen(kw_only=True)
class ResponseContentPartAddedEvent(Wire):
    """A content part of a message started."""

    part: OutputContent | None = None
    item_id: str | None = None
    output_index: int = 0
    content_index: int = 0
    sequence_number: int | None = None
    type: Literal["response.content_part.added"] = "response.content_part.added"


@frozen(kw_only=True)
class ResponseContentPartDoneEvent(Wire):
    """A content part of a message is complete."""

    part: OutputContent | None = None
    item_id: str | None = None
    output_index: int = 0
    content_index: int = 0
    sequence_number: int | None = None
    type: Literal["response.content_part.done"] = "response.content_part.done"


@frozen(kw_only=True)
class ResponseOutputTextDeltaEvent(Wire):
    """A piece of output text."""

    delta: str
    item_id: str | None = None
    output_index: int = 0
    content_index: int = 0
    sequence_number: int | None = None
    type: Literal["response.output_text.delta"] = "response.output_text.delta"


@frozen(kw_only=True)
class ResponseRefusalDeltaEvent(Wire):
    """A piece of a refusal."""

    delta: str
    item_id: str | None = None
    output_index: int = 0
    content_index: int = 0
    sequence_number: int | None = None
    type: Literal["response.refusal.delta"] = "response.refusal.delta"


@frozen(kw_only=True)
class ResponseRefusalDoneEvent(Wire):
    """The full text of a refusal."""

    refusal: str
    item_id: str | None = None
    output_index: int = 0
    content_index: int = 0
    sequence_number: int | None = None
    type: Literal["response.refusal.done"] = "response.refusal.done"


@frozen(kw_only=True)
class ResponseOutputTextDoneEvent(Wire):
    """The full text of one content part."""

    text: str
    item_id: str | None = None
    output_index: int = 0
    content_index: int = 0
    sequence_number: int | None = None
    type: Literal["response.output_text.done"] = "response.output_text.done"


@frozen(kw_only=True)
class ResponseFunctionCallArgumentsDeltaEvent(Wire):
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
class ResponseFunctionCallArgumentsDoneEvent(Wire):
    """A function call's complete JSON arguments."""

    arguments: str
    item_id: str | None = None
    output_index: int = 0
    call_id: str | None = None
    sequence_number: int | None = None
    type: Literal["response.function_call_arguments.done"] = "response.function_call_arguments.done"


@frozen(kw_only=True)
class ResponseReasoningSummaryPartAddedEvent(Wire):
    """A reasoning summary section started."""

    part: ReasoningSummary | None = None
    item_id: str | None = None
    output_index: int = 0
    summary_index: int = 0
    sequence_number: int | None = None
    type: Literal["response.reasoning_summary_part.added"] = "response.reasoning_summary_part.added"


@frozen(kw_only=True)
class ResponseReasoningSummaryPartDoneEvent(Wire):
    """A reasoning summary section is complete."""

    part: ReasoningSummary | None = None
    item_id: str | None = None
    output_index: int = 0
    summary_index: int = 0
    sequence_number: int | None = None
    type: Literal["response.reasoning_summary_part.done"] = "response.reasoning_summary_part.done"


@frozen(kw_only=True)
class ResponseReasoningSummaryTextDeltaEvent(Wire):
    """A piece of reasoning summary text."""

    delta: str
    item_id: str | None = None
    output_index: int = 0
    summary_index: int = 0
    sequence_number: int | None = None
    type: Literal["response.reasoning_summary_text.delta"] = "response.reasoning_summary_text.delta"


@frozen(kw_only=True)
class ResponseReasoningSummaryTextDoneEvent(Wire):
    """The full text of one reasoning summary section."""

    text: str
    item_id: str | None = None
    output_index: int = 0
    summary_index: int = 0
    sequence_number: int | None = None
    type: Literal["response.reasoning_summary_text.done"] = "response.reasoning_summary_text.done"


@frozen(kw_only=True)
class ResponseReasoningTextDeltaEvent(Wire):
    """A piece of raw reasoning text."""

    delta: str
    item_id: str | None = None
    output_index: int = 0
    content_index: int = 0
    sequence_number: int | None = None
    type: Literal["response.reasoning_text.delta"] = "response.reasoning_text.delta"


@frozen(kw_only=True)
class ResponseReasoningTextDoneEvent(Wire):
    """The full raw reasoning text of one part."""

    text: str
    item_id: str | None = None
    output_index: int = 0
    content_index: int = 0
    sequence_number: int | None = None
    type: Literal["response.reasoning_text.done"] = "response.reasoning_text.done"


@frozen(kw_only=True)
class ResponseCustomToolCallInputDeltaEvent(Wire):
    """A piece of a custom tool call's input."""

    delta: str
    item_id: str | None = None
    output_index: int = 0
    call_id: str | None = None
    sequence_number: int | None = None
    type: Literal["response.custom_tool_call_input.delta"] = "response.custom_tool_call_input.delta"


@frozen(kw_only=True)
class ResponseCustomToolCallInputDoneEvent(Wire):
    """A custom tool call's complete input."""

    input: str
    item_id: str | None = None
    output_index: int = 0
    call_id: str | None = None
    sequence_number: int | None = None
    type: Literal["response.custom_tool_call_input.done"] = "response.custom_tool_call_input.done"


@frozen(kw_only=True)
class ResponseMetadataEvent(Wire):
    """Backend metadata: routing headers (``x-codex-turn-state``, ``openai-model``), moderation."""

    headers: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    sequence_number: int | None = None
    type: Literal["response.metadata"] = "response.metadata"


@frozen(kw_only=True)
class CodexRateLimitsEvent(Wire):
    """The account's rate-limit windows and credits (may come before ``response.created``)."""

    plan_type: str | None = None
    rate_limits: CodexRateLimits | None = None
    credits: CodexCredits | None = None
    metered_limit_name: str | None = None
    limit_name: str | None = None
    sequence_number: int | None = None
    type: Literal["codex.rate_limits"] = "codex.rate_limits"


@frozen(kw_only=True)
class ResponseErrorEvent(Wire):
    """An error reported inside the stream."""

    code: str | None = None
    message: str = ""
    param: str | None = None
    sequence_number: int | None = None
    type: Literal["error"] = "error"


@frozen(kw_only=True)
class UnknownEvent(Wire):
    """An event of a type this version does not know; ``raw`` keeps the whole payload.

    ``type`` is always ``"unknown"``, so that comparing ``event.type`` narrows the event union;
    ``wire_type`` is the type the backend sent.
    """

    raw: dict[str, Any]
    type: Literal["unknown"] = "unknown"

    __attrs_post_init__ = _unknown_init

    @property
    def wire_type(self) -> str:
        """The event's wire type, ``raw["type"]`` ("" when it has none)."""
        return _wire_type(self.raw)


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


# ----------------------------------------------------------------------- from the wire
# Here rather than in _serde, so that the event classes load only when a stream needs them.

converter.register_unstructure_hook(UnknownEvent, lambda event: event.raw)
RAW_CLASSES.add(UnknownEvent)

_EVENT_CLASSES = {type_tag(cls): cls for cls in EVENT_CLASSES}
_EVENT_HOOKS: dict[str, Callable[[Any, Any], Any]] = {}


def _event_hook(event_type: str) -> Callable[[Any, Any], Any] | None:
    # Generated on first use, which keeps `import codex_open_client` fast.
    cls = _EVENT_CLASSES.get(event_type)
    if cls is None:
        return None
    hook = _EVENT_HOOKS[event_type] = converter.get_structure_hook(cls)
    return hook


def _direct_delta_builder(
    cls: type[Any], index_name: str
) -> Callable[[dict[str, Any]], ResponseStreamEvent]:
    """A hand-written structure function for one text-delta event class.

    Deltas are nearly every event of a stream. This builds exactly the object the converter
    builds (same checks: ``delta`` a str, the indexes ints, ``item_id`` a str or None, ...,
    the same defaults, read from the class), without cattrs' generic dispatch or attrs'
    keyword ``__init__``. Anything it does not accept raises, and the converter then decides,
    so no validation is loosened.
    """
    fields = attrs.fields(cls)
    names = ("delta", "item_id", "output_index", index_name, "sequence_number", "type")
    # The shortcut skips __init__: only valid while the class has nothing for it to run.
    if tuple(a.name for a in fields) != names or any(
        a.validator is not None or a.converter is not None for a in fields
    ):
        raise TypeError(f"{cls.__name__} no longer fits the direct construction path")
    if hasattr(cls, "__attrs_post_init__") or hasattr(cls, "__attrs_pre_init__"):
        raise TypeError(f"{cls.__name__} no longer fits the direct construction path")
    defaults = {a.name: a.default for a in fields}
    if defaults["delta"] is not attrs.NOTHING or any(
        isinstance(value, attrs.Factory)  # type: ignore[arg-type]
        for value in defaults.values()
    ):
        raise TypeError(f"{cls.__name__} no longer fits the direct construction path")
    item_id_default = defaults["item_id"]
    output_index_default = defaults["output_index"]
    index_default = defaults[index_name]
    sequence_number_default = defaults["sequence_number"]
    tag = type_tag(cls)
    new = object.__new__
    # Each slot's own descriptor: a direct store, cheaper than object.__setattr__ by name.
    slots = [getattr(cls, name) for name in (*names, "_source")]
    if any(type(slot).__name__ != "member_descriptor" for slot in slots):
        raise TypeError(f"{cls.__name__} no longer fits the direct construction path")
    set_delta, set_item_id, set_output_index, set_index, set_sequence, set_type, set_source = (
        slot.__set__ for slot in slots
    )

    def build(data: dict[str, Any]) -> Any:
        delta = data["delta"]
        item_id = data.get("item_id", item_id_default)
        output_index = data.get("output_index", output_index_default)
        index = data.get(index_name, index_default)
        sequence_number = data.get("sequence_number", sequence_number_default)
        if (
            delta.__class__ is not str
            or output_index.__class__ is not int
            or index.__class__ is not int
            or (item_id is not None and item_id.__class__ is not str)
            or (sequence_number is not None and sequence_number.__class__ is not int)
        ):
            raise TypeError("not a plain delta event")
        event = new(cls)
        set_delta(event, delta)
        set_item_id(event, item_id)
        set_output_index(event, output_index)
        set_index(event, index)
        set_sequence(event, sequence_number)
        set_type(event, tag)
        set_source(event, data)
        return event

    return build


_DIRECT_BUILDERS: dict[str, Callable[[dict[str, Any]], ResponseStreamEvent]] = {
    type_tag(cls): _direct_delta_builder(cls, index_name)
    for cls, index_name in (
        (ResponseOutputTextDeltaEvent, "content_index"),
        (ResponseReasoningSummaryTextDeltaEvent, "summary_index"),
        (ResponseReasoningTextDeltaEvent, "content_index"),
    )
}


def structure_event(data: dict[str, Any]) -> ResponseStreamEvent:
    """Turn one decoded SSE ``data`` object into its event class (``UnknownEvent`` if unknown)."""
    event_type = data.get("type")
    if isinstance(event_type, str):
        direct = _DIRECT_BUILDERS.get(event_type)
        if direct is not None:
            try:
                return direct(data)
            except Exception:
                pass  # the converter rules on it (and keeps it raw if it does not fit)
        hook = _EVENT_HOOKS.get(event_type) or _event_hook(event_type)
        if hook is not None:
            try:
                event: ResponseStreamEvent = hook(data, None)
            except Exception as exc:
                logger.debug("could not structure %r event (%r); kept raw", event_type, exc)
            else:
                return event
    return UnknownEvent(raw=data)


def event_from_dict(data: dict[str, Any]) -> ResponseStreamEvent:
    """The event of a wire dict (what ``event.to_dict()`` gives): its class, else ``UnknownEvent``.

    The dict is copied; raises ``TypeError`` when ``data`` is not a dict.
    """
    if not isinstance(data, dict):
        raise TypeError(f"event_from_dict() takes a dict, got {type(data).__name__}")
    try:
        copied = _copy(data)
    except RecursionError:
        raise ValueError("event_from_dict(): the dict is nested too deeply") from None
    return structure_event(copied)


def _publish() -> None:
    """Event classes show as ``codex_open_client.X``, however they were first reached."""
    for value in list(globals().values()):
        if isinstance(value, type) and value.__module__ == __name__ and attrs.has(value):
            attrs.resolve_types(value)  # while __module__ still names this module
            value.__module__ = "codex_open_client"


_publish()
