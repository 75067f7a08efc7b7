# pyright: strict
"""Deliberate mistakes: each line marked ``# ERROR`` must be reported by both type checkers.

``tests/test_typing.py`` checks that they are, so that the clean run of ``narrowing.py``
cannot pass because a checker saw nothing (a missing package, a wrong path).
"""

from __future__ import annotations

from typing_extensions import assert_type

from codex_open_client import (
    Client,
    OutputContent,
    OutputItem,
    ResponseCreateParams,
    ResponseOutputTextDeltaEvent,
    ResponseStreamEvent,
)


def unnarrowed(event: ResponseStreamEvent) -> str:
    """Not every event has a ``delta``."""
    return event.delta  # ERROR


def wrong_branch(event: ResponseStreamEvent) -> None:
    """A done event is not a delta event."""
    if event.type == "response.output_text.done":
        assert_type(event, ResponseOutputTextDeltaEvent)  # ERROR


def unknown_item(item: OutputItem) -> str:
    """An unknown item has no arguments."""
    if item.type == "unknown":
        return item.arguments  # ERROR
    return ""


def compaction_item(item: OutputItem) -> str:
    """A compaction item is opaque: no summary text."""
    if item.type == "compaction":
        return item.summary  # ERROR
    return ""


def unknown_part(part: OutputContent) -> str:
    """Only output text has ``text``."""
    if part.type != "output_text":
        return part.text  # ERROR
    return part.text


def missing_input() -> ResponseCreateParams:
    """``input`` is a required key."""
    return {"model": "gpt-5.1-codex-mini", "instructions": ""}  # ERROR


def unknown_key(client: Client, params: ResponseCreateParams) -> None:
    """The backend rejects ``temperature``; so does the type."""
    client.responses.create(**params, temperature=0.5)  # ERROR


def wrong_value(params: ResponseCreateParams) -> None:
    """``max_retries`` is a number."""
    params["max_retries"] = "2"  # ERROR
