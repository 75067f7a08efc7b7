"""Shared by the examples: which backend they talk to.

By default every example uses your own ChatGPT sign-in, the ``~/.codex/auth.json`` that
``python -m codex_open_client login`` (or the Codex CLI) writes, and ``client_kwargs()``
returns ``{}``.

With ``CODEX_OPEN_CLIENT_FAKE=1`` they run offline instead: ``client_kwargs("name")`` starts
the SDK's fake backend (``codex_open_client.testing.FakeCodexServer``) in this process,
scripts answers that suit example ``name`` (a tool call for the tool examples, a retry for
the error example, ...), and returns the keywords that point a client at it. Only this file
reads the variable: the library itself never switches to the fake on its own.
"""

from __future__ import annotations

import atexit
import os
import re
import struct
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TypedDict

from codex_open_client.testing import (
    FakeCodexServer,
    RecordedRequest,
    Reply,
    function_call,
    http_error,
    json_reply,
    message,
    reasoning,
    reply,
    text_reply,
    tool_call_reply,
    usage_limit_reached,
)

__all__ = ["FAKE", "ClientKwargs", "client_kwargs", "sample_image"]

FAKE = os.environ.get("CODEX_OPEN_CLIENT_FAKE", "").strip().lower() not in ("", "0", "false", "no")
"""Whether the examples run against the in-process fake backend."""


class ClientKwargs(TypedDict, total=False):
    """What ``client_kwargs()`` returns: typed, so ``Client(**client_kwargs())`` type-checks."""

    base_url: str
    chatgpt_base_url: str
    access_token: str
    account_id: str


def client_kwargs(example: str = "") -> ClientKwargs:
    """Keyword arguments for ``Client(...)`` / ``AsyncClient(...)``.

    ``{}`` normally (your ``~/.codex`` credentials); with ``CODEX_OPEN_CLIENT_FAKE=1`` the
    ``base_url``, ``chatgpt_base_url``, ``access_token`` and ``account_id`` of a fake backend
    started for ``example`` (one of the names in ``_SCRIPTS`` below; ``""`` for the default
    answers). The fake stops when the script exits.
    """
    if not FAKE:
        return {}
    if example and example not in _SCRIPTS:
        raise ValueError(f"no fake script for example {example!r}; known: {sorted(_SCRIPTS)}")
    server = FakeCodexServer().start()
    atexit.register(server.stop)
    if example:
        _SCRIPTS[example](server)
    return ClientKwargs(
        base_url=server.url,
        chatgpt_base_url=server.chatgpt_base_url,
        access_token=server.access_token,
        account_id=server.account_id,
    )


def sample_image() -> Path:
    """A small PNG (a red square on white) in a temporary folder, removed at exit."""
    size, border = 32, 8

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    red, white = b"\xff\x00\x00", b"\xff\xff\xff"
    rows = b"".join(
        b"\x00"  # filter type "none" for each row
        + b"".join(
            red if border <= x < size - border and border <= y < size - border else white
            for x in range(size)
        )
        for y in range(size)
    )
    png = b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)),
            chunk(b"IDAT", zlib.compress(rows)),
            chunk(b"IEND", b""),
        ]
    )
    folder = tempfile.TemporaryDirectory(prefix="codex-example-")
    atexit.register(folder.cleanup)
    path = Path(folder.name) / "red-square.png"
    path.write_bytes(png)
    return path


# --------------------------------------------------------------------------------------------
# What the fake backend answers, per example. Only used with CODEX_OPEN_CLIENT_FAKE=1.


def _user_texts(request: RecordedRequest) -> list[str]:
    """The text of every user message in a request, oldest first."""
    items = request.json.get("input") or []
    texts: list[str] = []
    for item in items:
        if isinstance(item, dict) and item.get("role") == "user":
            content = item.get("content")
            if isinstance(content, str):
                texts.append(content)
            elif isinstance(content, list):
                texts.extend(p.get("text", "") for p in content if isinstance(p, dict))
    return texts


def _tool_outputs(request: RecordedRequest) -> list[str]:
    items = request.json.get("input") or []
    return [
        str(item.get("output"))
        for item in items
        if isinstance(item, dict) and item.get("type") == "function_call_output"
    ]


def _quickstart(server: FakeCodexServer) -> None:
    server.queue(text_reply("Hello! How can I help you today?"))


def _streaming(server: FakeCodexServer) -> None:
    haiku = "Bytes drift down the wire,\neach token a falling leaf;\nthe answer takes shape."
    server.queue(text_reply(haiku).paced(0.01))


def _multi_turn(server: FakeCodexServer) -> None:
    # Answers from the whole history, as a model would: the name is only in earlier turns.
    def answer(request: RecordedRequest) -> Reply:
        texts = _user_texts(request)
        names = [m.group(1) for t in texts if (m := re.search(r"[Mm]y name is (\w+)", t))]
        if names and texts[-1].endswith("name?"):
            return text_reply(f"Your name is {names[-1]}.")
        if names:
            return text_reply(f"Nice to meet you, {names[-1]}!")
        return text_reply("Hello! I don't know your name yet.")

    server.default_reply = answer


def _tool_calls(server: FakeCodexServer) -> None:
    server.queue(tool_call_reply("get_weather", {"city": "Paris"}))
    # The second request carries the function's output: answer with it.
    server.default_reply = lambda request: text_reply(
        f"In Paris it is {' '.join(_tool_outputs(request))}."
    )


def _tool_loop(server: FakeCodexServer) -> None:
    # Turn 1: two calls at once; turn 2: one more; then the answer from every output.
    server.queue(
        reply(
            function_call("get_weather", {"city": "Paris"}),
            function_call("get_weather", {"city": "Tokyo"}),
        ),
        reply(function_call("celsius_to_fahrenheit", {"celsius": 18})),
    )
    server.default_reply = lambda request: text_reply(
        "Here is what I found: " + "; ".join(_tool_outputs(request)) + "."
    )


def _structured_output(server: FakeCodexServer) -> None:
    server.queue(
        json_reply(
            {
                "name": "Ada Lovelace",
                "born": 1815,
                "occupations": ["mathematician", "writer"],
                "famous_for": "the first published computer program",
            }
        )
    )


def _images(server: FakeCodexServer) -> None:
    server.queue(text_reply("A red square centred on a white background."))


def _reasoning(server: FakeCodexServer) -> None:
    server.queue(
        reply(
            reasoning(
                [
                    "**Splitting the percentage**\n\n10% of 847 is 84.7 and 5% is 42.35.",
                    "**Adding up**\n\n84.7 + 42.35 = 127.05.",
                ]
            ),
            message("15% of 847 is 127.05."),
        ).paced(0.005)
    )


def _errors(server: FakeCodexServer) -> None:
    server.queue(
        http_error(500),  # the first try fails; the client retries by itself
        text_reply("Hello! (answered on the second try)"),
        usage_limit_reached(plan_type="plus"),  # the second question hits the usage limit
    )


def _concurrent_streams(server: FakeCodexServer) -> None:
    # Each answer names its question, and comes slowly enough for the streams to interleave.
    def answer(request: RecordedRequest) -> Reply:
        question = _user_texts(request)[-1]
        return text_reply(f"A short answer to {question!r}, streamed.").paced(0.01)

    server.default_reply = answer


def _web_relay(server: FakeCodexServer) -> None:
    answer = "Server-sent events carry each token to the browser as it arrives."
    server.queue(text_reply(answer).paced(0.01))


_SCRIPTS: dict[str, Callable[[FakeCodexServer], None]] = {
    "quickstart": _quickstart,
    "streaming": _streaming,
    "multi_turn": _multi_turn,
    "tool_calls": _tool_calls,
    "tool_loop": _tool_loop,
    "structured_output": _structured_output,
    "images": _images,
    "reasoning": _reasoning,
    "errors": _errors,
    "concurrent_streams": _concurrent_streams,
    "web_relay": _web_relay,
}
