"""``serve``: the bind rule, the keys from flags and environment, and real server processes."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import openai
import pytest

from codex_open_client.gateway._serve import (
    add_serve_arguments,
    check_bind,
    parse_api_keys,
    run_serve,
)
from codex_open_client.testing import FakeCodexServer

MODEL = "gpt-5.1-codex-mini"


def test_check_bind() -> None:
    """Loopback is open; any other address needs at least one key."""
    for host in ("127.0.0.1", "::1", "localhost", "127.0.0.2"):
        assert check_bind(host, []) is None
    reason = check_bind("0.0.0.0", [])
    assert reason is not None and "--api-key" in reason and "CODEX_GATEWAY_API_KEYS" in reason
    assert check_bind("0.0.0.0", ["k"]) is None
    assert check_bind("192.168.1.5", []) is not None


def test_parse_api_keys() -> None:
    """Keys come from the flags and from CODEX_GATEWAY_API_KEYS (comma-separated), deduplicated."""
    env = {"CODEX_GATEWAY_API_KEYS": " k2, k3 ,,k1"}
    assert parse_api_keys(["k1", " "], env) == ["k1", "k2", "k3"]
    assert parse_api_keys(None, {}) == []


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODEX_")}
    env["PYTHONWARNINGS"] = "error"
    env.update(extra)
    return env


def test_non_loopback_without_key_refuses_to_start(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`serve --host 0.0.0.0` without a key exits 2 with a one-line reason, listening nowhere."""
    monkeypatch.delenv("CODEX_GATEWAY_API_KEYS", raising=False)
    args = _parse(["--fake", "--host", "0.0.0.0"])
    assert run_serve(args) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "refusing to listen on 0.0.0.0 without an API key" in lines[0]
    assert run_serve(_parse(["--fake", "--allowed-origin", "localhost:3000"])) == 2
    assert "must be an origin such as" in capsys.readouterr().err
    monkeypatch.setenv("CODEX_GATEWAY_API_KEYS", "k1")
    assert run_serve(_parse(["--codex-home", "/nonexistent-home", "--host", "0.0.0.0"])) == 3


def test_not_signed_in_refuses_to_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No stored credentials: exit 3 instead of a sign-in the server could never finish."""
    monkeypatch.delenv("CODEX_GATEWAY_API_KEYS", raising=False)
    assert run_serve(_parse(["--codex-home", str(tmp_path), "--port", "0"])) == 3
    assert "not signed in: run `codex-open-client login` first" in capsys.readouterr().err


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fake", action="store_true")
    parser.add_argument("--codex-home")
    add_serve_arguments(parser)
    return parser.parse_args(argv)


# The gateway's own entry point, and the package's command line.
GATEWAY = ("-m", "codex_open_client.gateway")
CLI_SERVE = ("-m", "codex_open_client", "serve")


class Served:
    """``python -m codex_open_client.gateway ...`` as a process; ``port`` once it listens."""

    def __init__(
        self, *args: str, env: dict[str, str] | None = None, entry: tuple[str, ...] = GATEWAY
    ) -> None:
        self.process = subprocess.Popen(
            [sys.executable, *entry, "--port", "0", *args],
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env or _env(),
            # A group of its own: stop() can kill the workers too, which hold the stderr pipe.
            start_new_session=True,
        )
        self.lines: list[str] = []
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)
            if "listening on http://" in line:
                self.port = int(line.rsplit(":", 1)[1].split("/")[0])
                break
        else:
            raise AssertionError(f"the gateway did not start: {self.lines}")
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(20)
        finally:
            # Whatever is left of the group (the master past its wait, orphaned spawn workers)
            # is killed, so the pipe reaches EOF and the drainer ends instead of blocking close().
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
            self._drainer.join(5)
            if not self._drainer.is_alive():
                assert self.process.stderr is not None
                self.process.stderr.close()


@pytest.mark.parametrize("entry", [GATEWAY, CLI_SERVE], ids=["gateway", "cli"])
def test_serve_fake(tmp_path: Path, entry: tuple[str, ...]) -> None:
    """`--fake` serves the embedded fake backend; an API key is then required; Ctrl-C stops it.

    The same through `codex-open-client serve` (the global --fake after the command)."""
    served = Served(
        "--fake", "--api-key", "secret-key", env=_env(CODEX_HOME=str(tmp_path)), entry=entry
    )
    try:
        url = f"http://127.0.0.1:{served.port}/v1"
        with openai.OpenAI(base_url=url, api_key="secret-key", max_retries=0) as client:
            answer = client.chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": "Hi"}]
            )
            assert answer.choices[0].message.content
        wrong = openai.OpenAI(base_url=url, api_key="wrong", max_retries=0)
        with wrong, pytest.raises(openai.AuthenticationError):
            wrong.models.list()
    finally:
        assert served.stop() == 130
    log = "".join(served.lines)
    assert "POST /v1/chat/completions 200 model=gpt-5.1-codex-mini" in log
    assert "secret-key" not in log


def _pids(lines: list[str]) -> set[str]:
    return {line.split()[2] for line in list(lines) if "POST /v1/chat/completions 200" in line}


@pytest.fixture
def expired_home(tmp_path: Path, server: FakeCodexServer) -> Iterator[Path]:
    """A CODEX_HOME whose access token has expired (its refresh token is still good)."""
    path = tmp_path / "auth.json"
    path.write_text(json.dumps(server.mint_credentials(expires_in=-60)), encoding="utf-8")
    path.chmod(0o600)
    yield tmp_path


def test_workers_share_one_sign_in(expired_home: Path, server: FakeCodexServer) -> None:
    """2 workers on one port, an expired token, 20 concurrent requests: one refresh, all served."""
    server.refresh_delay = 0.2  # widen the race window between the workers
    served = Served(
        "--workers",
        "2",
        "--base-url",
        server.url,
        "--chatgpt-base-url",
        server.chatgpt_base_url,
        "--issuer",
        server.issuer,
        "--codex-home",
        str(expired_home),
    )
    try:
        url = f"http://127.0.0.1:{served.port}/v1"

        def ask(index: int) -> Any:
            with openai.OpenAI(base_url=url, api_key="unused", max_retries=0) as client:
                return client.chat.completions.create(
                    model=MODEL, messages=[{"role": "user", "content": f"Hi {index}"}]
                )

        with ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(ask, range(20)))
        assert all(answer.choices[0].message.content for answer in answers)
        assert server.refresh_count == 1
        # Both workers served (each access-log line starts with the date, time and pid).
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and len(_pids(served.lines)) < 2:
            time.sleep(0.05)
        assert len(_pids(served.lines)) == 2
        # Each worker keeps its served responses in memory: the ready line says so.
        assert "previous_response_id is honoured only by the worker" in "".join(served.lines)
    finally:
        server.refresh_delay = 0.0
        served.stop()
