"""Sans-IO accumulation of stream events into the final ``Response``.

The real backend's ``response.completed`` often carries ``output: []``: the items arrive only
in ``response.output_item.done`` events. So the output is built from those, with the deltas as
a fallback for items that never got their ``done`` event, and merged with the terminal
response's own output when it has one. Id, status, usage and error come from the terminal event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from ._events import (
    ResponseCompletedEvent,
    ResponseCreatedEvent,
    ResponseCustomToolCallInputDeltaEvent,
    ResponseCustomToolCallInputDoneEvent,
    ResponseFailedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseIncompleteEvent,
    ResponseInProgressEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputTextDeltaEvent,
    ResponseOutputTextDoneEvent,
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseReasoningSummaryTextDoneEvent,
    ResponseStreamEvent,
)
from ._models import (
    OutputContent,
    OutputItem,
    OutputText,
    ReasoningSummary,
    Response,
    ResponseCustomToolCall,
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseReasoningItem,
)

__all__ = ["TERMINAL_EVENTS", "Accumulator"]

TERMINAL_EVENTS = (ResponseCompletedEvent, ResponseFailedEvent, ResponseIncompleteEvent)

_Parts = dict[int, dict[int, list[str]]]


@attrs.define
class Accumulator:
    """Feed it every event in order; ``response()`` gives the response as known so far."""

    _started: Response | None = None
    _terminal: Response | None = None
    _items: dict[int, OutputItem] = attrs.Factory(dict)
    _done: set[int] = attrs.Factory(set)
    # By output index, then content (or summary) index, as they arrive: rebuilding an item
    # reads only its own pieces, which keeps response() linear in the number of items.
    _texts: _Parts = attrs.Factory(dict)
    _summaries: _Parts = attrs.Factory(dict)
    _arguments: dict[int, list[str]] = attrs.Factory(dict)
    _inputs: dict[int, list[str]] = attrs.Factory(dict)

    def feed(self, event: ResponseStreamEvent) -> None:
        """Take one event into account."""
        # Text deltas are nearly every event of a stream: handle them before any dispatch.
        if type(event) is ResponseOutputTextDeltaEvent:
            parts = self._texts.get(event.output_index)
            if parts is None:
                self._texts[event.output_index] = {event.content_index: [event.delta]}
                return
            pieces = parts.get(event.content_index)
            if pieces is None:
                parts[event.content_index] = [event.delta]
            else:
                pieces.append(event.delta)
            return
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

    def response(self) -> Response:
        """The response: final after a terminal event, partial before."""
        base = self._terminal or self._started or Response(status="in_progress")
        output = self._output()
        if base.output:
            # The terminal response's own output wins; streamed items it lacks are kept.
            seen = {getattr(item, "id", None) for item in base.output} | {None}
            output = [*base.output, *(i for i in output if getattr(i, "id", None) not in seen)]
        model = base.model or (self._started.model if self._started else None)
        return attrs.evolve(base, output=output, model=model)

    # ----------------------------------------------------------------------- handlers

    def _on_started(self, event: Any) -> None:
        self._started = event.response

    def _on_terminal(self, event: Any) -> None:
        self._terminal = event.response

    def _on_item_added(self, event: ResponseOutputItemAddedEvent) -> None:
        if event.output_index not in self._done:
            self._items[event.output_index] = event.item

    def _on_item_done(self, event: ResponseOutputItemDoneEvent) -> None:
        self._items[event.output_index] = event.item
        self._done.add(event.output_index)

    def _on_text_done(self, event: ResponseOutputTextDoneEvent) -> None:
        self._texts.setdefault(event.output_index, {})[event.content_index] = [event.text]

    def _on_summary_delta(self, event: ResponseReasoningSummaryTextDeltaEvent) -> None:
        parts = self._summaries.setdefault(event.output_index, {})
        parts.setdefault(event.summary_index, []).append(event.delta)

    def _on_summary_done(self, event: ResponseReasoningSummaryTextDoneEvent) -> None:
        self._summaries.setdefault(event.output_index, {})[event.summary_index] = [event.text]

    def _on_arguments_delta(self, event: ResponseFunctionCallArgumentsDeltaEvent) -> None:
        self._arguments.setdefault(event.output_index, []).append(event.delta)

    def _on_arguments_done(self, event: ResponseFunctionCallArgumentsDoneEvent) -> None:
        self._arguments[event.output_index] = [event.arguments]

    def _on_input_delta(self, event: ResponseCustomToolCallInputDeltaEvent) -> None:
        self._inputs.setdefault(event.output_index, []).append(event.delta)

    def _on_input_done(self, event: ResponseCustomToolCallInputDoneEvent) -> None:
        self._inputs[event.output_index] = [event.input]

    # ----------------------------------------------------------------------- output

    def _output(self) -> list[OutputItem]:
        indexes = set(self._items)
        indexes.update(self._texts)
        indexes.update(self._summaries)
        indexes.update(self._arguments)
        indexes.update(self._inputs)
        output: list[OutputItem] = []
        for index in sorted(indexes):
            item = self._items.get(index)
            if index in self._done and item is not None:
                output.append(item)
            else:
                rebuilt = self._rebuild(index, item)
                if rebuilt is not None:
                    output.append(rebuilt)
        return output

    def _rebuild(self, index: int, item: OutputItem | None) -> OutputItem | None:
        """An item that never got its ``done`` event, completed from its deltas."""
        if item is None or isinstance(item, ResponseOutputMessage):
            texts = self._texts.get(index, {})
            if item is None and not texts:
                return None
            message = item or ResponseOutputMessage(status="in_progress")
            content: list[OutputContent] = list(message.content)
            for position in sorted(texts):
                part = OutputText(text="".join(texts[position]))
                if position < len(content):
                    content[position] = part
                else:
                    content.append(part)
            return attrs.evolve(message, content=content)
        if isinstance(item, ResponseFunctionToolCall) and index in self._arguments:
            return attrs.evolve(item, arguments="".join(self._arguments[index]))
        if isinstance(item, ResponseCustomToolCall) and index in self._inputs:
            return attrs.evolve(item, input="".join(self._inputs[index]))
        if isinstance(item, ResponseReasoningItem):
            sections = self._summaries.get(index)
            if sections:
                summary = [ReasoningSummary(text="".join(sections[s])) for s in sorted(sections)]
                return attrs.evolve(item, summary=summary)
        return item


_HANDLERS: dict[type[Any], Callable[[Accumulator, Any], None]] = {
    ResponseCreatedEvent: Accumulator._on_started,
    ResponseInProgressEvent: Accumulator._on_started,
    ResponseCompletedEvent: Accumulator._on_terminal,
    ResponseFailedEvent: Accumulator._on_terminal,
    ResponseIncompleteEvent: Accumulator._on_terminal,
    ResponseOutputItemAddedEvent: Accumulator._on_item_added,
    ResponseOutputItemDoneEvent: Accumulator._on_item_done,
    ResponseOutputTextDoneEvent: Accumulator._on_text_done,
    ResponseReasoningSummaryTextDeltaEvent: Accumulator._on_summary_delta,
    ResponseReasoningSummaryTextDoneEvent: Accumulator._on_summary_done,
    ResponseFunctionCallArgumentsDeltaEvent: Accumulator._on_arguments_delta,
    ResponseFunctionCallArgumentsDoneEvent: Accumulator._on_arguments_done,
    ResponseCustomToolCallInputDeltaEvent: Accumulator._on_input_delta,
    ResponseCustomToolCallInputDoneEvent: Accumulator._on_input_done,
}
