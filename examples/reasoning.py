"""Reasoning summaries: watch the model think (in summary), then read its answer.

Ask for a summary with ``Reasoning(summary=...)``; it streams as
``response.reasoning_summary_text.delta`` events before the answer's text deltas.
"""

from __future__ import annotations

from _support import client_kwargs

import codex_open_client
from codex_open_client import (
    Reasoning,
    ResponseOutputTextDeltaEvent,
    ResponseReasoningItem,
    ResponseReasoningSummaryPartAddedEvent,
    ResponseReasoningSummaryTextDeltaEvent,
)

with codex_open_client.Client(**client_kwargs("reasoning")) as client:
    with client.responses.stream(
        model="gpt-5.1-codex-mini",
        instructions="Think step by step.",
        input="What is 15% of 847?",
        # effort: none, minimal, low, medium, high, xhigh; summary: auto, concise, detailed
        reasoning=Reasoning(effort="medium", summary="auto"),
    ) as stream:
        answering = False
        for event in stream:
            if isinstance(event, ResponseReasoningSummaryPartAddedEvent):
                # A summary comes in sections, each usually starting with a **bold title**.
                if event.summary_index > 0:
                    print("\n")  # a blank line between sections
                print("[thinking] ", end="")
            elif isinstance(event, ResponseReasoningSummaryTextDeltaEvent):
                print(event.delta, end="", flush=True)
            elif isinstance(event, ResponseOutputTextDeltaEvent):
                if not answering:
                    print("\n\n[answer] ", end="")
                    answering = True
                print(event.delta, end="", flush=True)
        final = stream.get_final_response()
    print()
    # After the fact: the summary is on the response too (and on its reasoning items), and
    # usage tells what the thinking cost.
    sections = [s for i in final.output if isinstance(i, ResponseReasoningItem) for s in i.summary]
    print(f"{len(sections)} summary sections, {len(final.reasoning_summary or '')} characters")
    if final.usage is not None:
        print("reasoning tokens:", final.usage.output_tokens_details.reasoning_tokens)
