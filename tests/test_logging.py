"""Logging: requests, retries and stream ends at DEBUG, tokens never shown."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap

import pytest

from codex_open_client.testing import FakeCodexServer, http_error

from .conftest import Api


def test_requests_retries_and_stream_ends_are_logged_without_tokens(
    make_api: object, server: FakeCodexServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.queue(http_error(500))
    api: Api = make_api("async", max_retries=1)  # type: ignore[operator]
    with caplog.at_level(logging.DEBUG, logger="codex_open_client"):
        response = api.create()
    text = caplog.text
    assert "POST " in text and "/responses" in text
    assert "retrying" in text
    assert f"stream ended: {response.id} completed" in text
    assert server.access_token not in text


def test_environment_variable_turns_on_debug_logging(server: FakeCodexServer) -> None:
    code = textwrap.dedent(
        f"""
        import codex_open_client as c
        with c.Client(access_token={server.access_token!r}, base_url={server.url!r}) as client:
            client.responses.create(model="gpt-5.4", instructions="", input="hi")
        """
    )
    env = {**os.environ, "CODEX_OPEN_CLIENT_LOG": "debug"}
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert run.returncode == 0, run.stderr
    assert "codex_open_client DEBUG POST" in run.stderr
    assert "stream ended" in run.stderr
    assert server.access_token not in run.stderr
    quiet = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in env.items() if k != "CODEX_OPEN_CLIENT_LOG"},
    )
    assert quiet.returncode == 0 and quiet.stderr == ""
