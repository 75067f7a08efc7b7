"""Replies described in JSON, for ``python -m codex_open_client.testing --script FILE``.

The format is described in :func:`replies_from_script`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import _replies
from ._replies import OutputPart, Reply

__all__ = ["load_script", "replies_from_script"]

_BUILDERS: dict[str, Callable[..., Reply]] = {
    name: getattr(_replies, name)
    for name in (
        "text_reply",
        "reply",
        "tool_call_reply",
        "json_reply",
        "failed_reply",
        "incomplete_reply",
        "error_event_reply",
        "error_frame_reply",
        "compaction_reply",
        "http_error",
        "rate_limited",
        "usage_limit_reached",
    )
}
_PARTS: dict[str, Callable[..., OutputPart]] = {
    name: getattr(_replies, name)
    for name in (
        "message",
        "reasoning",
        "function_call",
        "custom_tool_call",
        "web_search_call",
        "refusal",
        "compaction",
    )
}
_MODIFIERS = (
    "paced",
    "pause",
    "cut_after",
    "end_after",
    "malformed_after",
    "raw",
    "insert",
    "delayed",
    "with_headers",
    "with_line_ending",
    "close_socket",
    "binary",
)
_BYTES_MODIFIERS = ("raw", "binary")


def _call_parts(value: Any, where: str) -> tuple[list[Any], dict[str, Any]]:
    args = value.get("args", [])
    kwargs = value.get("kwargs", {})
    if not isinstance(args, list) or not isinstance(kwargs, dict):
        raise ValueError(f"{where}: 'args' must be a list and 'kwargs' an object")
    return args, kwargs


def _part(value: Any, where: str) -> Any:
    if not (isinstance(value, dict) and "part" in value):
        return value
    name = value["part"]
    builder = _PARTS.get(name)
    if builder is None:
        raise ValueError(f"{where}: unknown part {name!r}; choose one of {sorted(_PARTS)}")
    args, kwargs = _call_parts(value, where)
    return builder(*args, **kwargs)


def _modify(result: Reply, modifier: Any, where: str) -> Reply:
    kwargs: dict[str, Any]
    if isinstance(modifier, list) and modifier and isinstance(modifier[0], str):
        name, args, kwargs = modifier[0], list(modifier[1:]), {}
    elif isinstance(modifier, dict) and isinstance(modifier.get("call"), str):
        name = modifier["call"]
        args, kwargs = _call_parts(modifier, where)
    else:
        raise ValueError(f"{where}: a modifier is [NAME, arg...] or {{'call': NAME, ...}}")
    if name not in _MODIFIERS:
        raise ValueError(f"{where}: unknown modifier {name!r}; choose one of {list(_MODIFIERS)}")
    if name in _BYTES_MODIFIERS and args and isinstance(args[0], str):
        args[0] = args[0].encode()
    modified: Reply = getattr(result, name)(*args, **kwargs)
    return modified


def _entry(entry: Any, where: str) -> Reply:
    if isinstance(entry, str):
        return _replies.text_reply(entry)
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: expected a string or an object, got {entry!r}")
    if "events" in entry:
        events = entry["events"]
        if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
            raise ValueError(f"{where}: 'events' must be a list of objects")
        result = Reply.from_events(events)
    elif "reply" in entry:
        name = entry["reply"]
        builder = _BUILDERS.get(name)
        if builder is None:
            raise ValueError(f"{where}: unknown reply {name!r}; choose one of {sorted(_BUILDERS)}")
        args, kwargs = _call_parts(entry, where)
        result = builder(*[_part(arg, where) for arg in args], **kwargs)
    else:
        raise ValueError(f"{where}: an object needs 'reply' or 'events'")
    modifiers = entry.get("then", [])
    if not isinstance(modifiers, list):
        raise ValueError(f"{where}: 'then' must be a list of modifiers")
    for modifier in modifiers:
        result = _modify(result, modifier, where)
    return result


def replies_from_script(script: Any) -> list[Reply]:
    """Build the replies a script (the parsed JSON list) describes, in order.

    A script is a JSON list; each entry is one reply, queued in order:

    * a string: ``text_reply(that string)``;
    * ``{"events": [...]}``: :meth:`Reply.from_events` of those events;
    * ``{"reply": NAME, "args": [...], "kwargs": {...}}``: the reply builder ``NAME`` of
      :mod:`codex_open_client.testing` (``text_reply``, ``reply``, ``tool_call_reply``,
      ``json_reply``, ``failed_reply``, ``incomplete_reply``, ``error_event_reply``,
      ``error_frame_reply``, ``compaction_reply``, ``http_error``, ``rate_limited``,
      ``usage_limit_reached``). In ``args``, an object ``{"part": NAME, "args": [...], "kwargs":
      {...}}`` is an output part (``message``, ``reasoning``, ``function_call``,
      ``custom_tool_call``, ``web_search_call``, ``refusal``, ``compaction``), e.g. for ``reply``.

    Any entry object may add ``"then"``: modifiers applied in order, each ``[NAME, arg...]`` or
    ``{"call": NAME, "args": [...], "kwargs": {...}}`` (``paced``, ``pause``, ``cut_after``,
    ``end_after``, ``malformed_after``, ``raw``, ``insert``, ``delayed``, ``with_headers``,
    ``with_line_ending``, ``close_socket``, ``binary``; ``raw`` and ``binary`` take a string,
    sent as UTF-8). Example::

        ["Hello!",
         {"reply": "tool_call_reply", "args": ["shell", {"command": ["ls"]}]},
         {"reply": "reply", "args": [{"part": "reasoning"}, {"part": "message", "args": ["Done"]}],
          "then": [["paced", 0.01]]},
         {"reply": "http_error", "args": [500]},
         {"reply": "text_reply", "args": ["cut"], "then": [{"call": "cut_after", "args": [3]}]}]

    Raises:
        ValueError: The script is not a list, or an entry is not valid; the message names the
            entry (``entry 2: unknown reply 'foo'; ...``).
    """
    if not isinstance(script, list):
        raise ValueError("a reply script must be a JSON list of replies")
    replies = []
    for index, entry in enumerate(script):
        where = f"entry {index}"
        try:
            replies.append(_entry(entry, where))
        except TypeError as exc:  # wrong arguments for a builder or modifier
            raise ValueError(f"{where}: {exc}") from exc
    return replies


def load_script(path: str | Path) -> list[Reply]:
    """Read a reply script from a JSON file (format: :func:`replies_from_script`).

    Raises:
        OSError: The file cannot be read.
        ValueError: It is not valid JSON or not a valid script.
    """
    text = Path(path).read_text(encoding="utf-8")
    try:
        script = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{path}: not valid JSON: {exc}") from exc
    return replies_from_script(script)
