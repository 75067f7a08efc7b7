"""Every Python snippet of the README runs against the fake backend."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

import codex_open_client
from codex_open_client.testing import FakeCodexServer, text_reply

README = Path(__file__).parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
# Snippets that need the user's own credentials (~/.codex/auth.json, access_token=...) are
# covered by examples/, which run against the fake backend with real values.
RUNNABLE = [
    b
    for b in BLOCKS
    if "Path.home()" not in b and "access_token=..." not in b and "needs a ChatGPT account" not in b
]


def test_readme_has_snippets() -> None:
    """The README shows code, and most of it is runnable here."""
    assert len(BLOCKS) >= 10
    assert len(RUNNABLE) >= len(BLOCKS) - 3


@pytest.mark.parametrize("code", RUNNABLE, ids=[f"block{i}" for i in range(len(RUNNABLE))])
def test_readme_snippet_runs(code: str, server: FakeCodexServer) -> None:
    """The snippet runs with `client` connected to the fake backend."""
    if "json.loads(response.output_text)" in code:
        server.queue(text_reply('{"name": "John Smith", "age": 30}'))
    with codex_open_client.Client(
        access_token=server.access_token,
        account_id=server.account_id,
        base_url=server.url,
        chatgpt_base_url=server.chatgpt_base_url,
    ) as client:
        namespace = {"client": client, "codex_open_client": codex_open_client, "json": json}
        root, ours = logging.getLogger(), logging.getLogger("codex_open_client")
        handlers, level = list(root.handlers), ours.level
        try:
            exec(compile(code, str(README), "exec"), namespace)
        finally:  # the logging snippet configures logging: undo it for the other tests
            root.handlers[:] = handlers
            ours.setLevel(level)
    assert server.requests or "FakeCodexServer()" in code or "logging" in code
