"""The real Codex CLI (``codex exec``) completes a tool turn through the gateway's passthrough.

The CLI runs as a subprocess with its own ``CODEX_HOME``: a custom provider whose ``base_url``
is the gateway's ``/backend-api/codex``, signed in with the gateway's API key, which is an
access token minted by a second fake (so the backend fake would refuse it): either a ChatGPT
``auth.json`` with that token (``requires_openai_auth``) or the key in an environment variable
(``env_key``, the README's recipe). The gateway must replace the CLI's credentials with its own
sign-in. ``.ci/run`` installs the CLI (``npm install -g @openai/codex@0.169.0``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codex_open_client.testing import FakeCodexServer, text_reply, tool_call_reply

from .test_gateway import GatewayThread

CLI_VERSION = "0.169.0"
CLI_ACCOUNT = "acct_cli_own"
FINAL = "The command printed hi."
KEY_VARIABLE = "GATEWAY_API_KEY"
# Said with an API key (env_key), which does not fetch the catalog: harmless for the turn.
NO_METADATA = "Model metadata for `gpt-5.4` not found."
# The CLI's extras that are not the turn (plugins, apps, analytics, in-app updates) stay off.
EXTRAS = """
[analytics]
enabled = false

[features]
plugins = false
apps = false
remote_plugin = false
in_app_updates = false
"""


def _codex() -> str:
    path = shutil.which("codex")
    if path is None:
        pytest.fail(
            "The real Codex CLI ('codex') is not on PATH; .ci/run installs it "
            f"(npm install -g @openai/codex@{CLI_VERSION})."
        )
    return path


@pytest.fixture(scope="module")
def cli_auth() -> Iterator[dict[str, Any]]:
    """The CLI's own sign-in, minted by another fake: the backend fake refuses its tokens."""
    with FakeCodexServer(account_id=CLI_ACCOUNT) as elsewhere:
        yield elsewhere.mint_credentials()


@pytest.fixture(scope="module")
def gateway(_server: FakeCodexServer, cli_auth: dict[str, Any]) -> Iterator[GatewayThread]:
    thread = GatewayThread(_server, api_keys=[cli_auth["tokens"]["access_token"]])
    yield thread
    thread.stop()


def _codex_home(
    root: Path, gateway: GatewayThread, auth: dict[str, Any], *, env_key: bool, websockets: bool
) -> Path:
    """A ``CODEX_HOME`` whose provider is the gateway.

    ``env_key``: the README's recipe, the gateway key in an environment variable. Otherwise
    ``requires_openai_auth`` with a ChatGPT ``auth.json`` whose access token is that key.
    """
    home = root / "codex-home"
    home.mkdir()
    if env_key:
        credentials = f'env_key = "{KEY_VARIABLE}"'
    else:
        credentials = "requires_openai_auth = true"
        auth_file = home / "auth.json"
        auth_file.write_text(json.dumps(auth))
        auth_file.chmod(0o600)
    (home / "config.toml").write_text(
        f"""
model = "gpt-5.4"
model_provider = "gateway"
chatgpt_base_url = "{gateway.url}/backend-api/"

[model_providers.gateway]
name = "gateway"
base_url = "{gateway.url}/backend-api/codex"
wire_api = "responses"
{credentials}
supports_websockets = {"true" if websockets else "false"}
request_max_retries = 0
stream_max_retries = 0
{EXTRAS}"""
    )
    return home


def _run_exec(
    home: Path, workdir: Path, key: str
) -> tuple[subprocess.CompletedProcess[str], list[Any]]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("CODEX_", "OPENAI_"))
    }
    # HOME too: nothing of the machine's own Codex setup is read, nothing of the test's left.
    env.update(
        {
            "CODEX_HOME": str(home),
            "HOME": str(home.parent),
            "RUST_LOG": "off",
            "NO_COLOR": "1",
            KEY_VARIABLE: key,
        }
    )
    done = subprocess.run(
        [
            _codex(),
            "exec",
            "--json",
            "--skip-git-repo-check",
            "--dangerously-bypass-approvals-and-sandbox",
            "-C",
            str(workdir),
            "Run echo hi, then tell me what it printed.",
        ],
        env=env,
        cwd=workdir,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=45,
    )
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return done, events


@pytest.mark.parametrize(
    ("env_key", "websockets", "backend_websocket"),
    [
        pytest.param(False, False, True, id="http"),
        pytest.param(False, True, True, id="websocket"),
        pytest.param(False, True, False, id="websocket-refused-426"),
        pytest.param(True, False, True, id="env-key-http"),
        pytest.param(True, True, True, id="env-key-websocket"),
    ],
)
def test_codex_exec_tool_turn_through_passthrough(
    gateway: GatewayThread,
    server: FakeCodexServer,
    cli_auth: dict[str, Any],
    tmp_path: Path,
    env_key: bool,
    websockets: bool,
    backend_websocket: bool,
) -> None:
    """`codex exec` runs `exec_command` and answers, on the gateway's sign-in only.

    websocket: the CLI's Responses WebSocket is relayed (prewarm, turn and tool output on one
    socket). websocket-refused-426: the backend answers the upgrade 426, the gateway relays
    it and the CLI falls back to HTTP at once, without an error item. env-key: the CLI signs
    in to the gateway with the key alone (no ``auth.json``).
    """
    workdir = tmp_path / "work"
    workdir.mkdir()
    home = _codex_home(tmp_path, gateway, cli_auth, env_key=env_key, websockets=websockets)
    cli_token = cli_auth["tokens"]["access_token"]
    assert cli_token != server.access_token
    server.queue(
        tool_call_reply(
            "exec_command",
            {"cmd": "echo hi", "workdir": str(workdir), "yield_time_ms": 2000},
            call_id="call_cli_echo",
        ),
        text_reply(FINAL),
    )
    server.websocket = backend_websocket
    try:
        done, events = _run_exec(home, workdir, cli_token)
    finally:
        server.websocket = True
    report = f"rc={done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr[-4000:]}"
    assert done.returncode == 0, report
    assert server.queued == 0, report

    commands = [
        e["item"]
        for e in events
        if e.get("type") == "item.completed" and e["item"].get("type") == "command_execution"
    ]
    assert [(c["exit_code"], c["aggregated_output"]) for c in commands] == [(0, "hi\n")], report
    messages = [
        e["item"]["text"]
        for e in events
        if e.get("type") == "item.completed" and e["item"].get("type") == "agent_message"
    ]
    assert messages == [FINAL], report
    assert events[-1]["type"] == "turn.completed", report
    # No error, not even an item (the CLI reports a WebSocket fallback other than 426 as one).
    errors = [
        e
        for e in events
        if "error" in (e.get("type"), e.get("item", {}).get("type"))
        and not (env_key and e.get("item", {}).get("message", "").startswith(NO_METADATA))
    ]
    assert errors == [], report

    turns = [
        r
        for r in server.requests
        if r.path == "/backend-api/codex/responses"
        and isinstance(r.json, dict)
        and r.json.get("generate") is not False
    ]
    assert len(turns) == 2, [(r.transport, r.path) for r in server.requests]
    transport = "websocket" if websockets and backend_websocket else "http"
    assert [r.transport for r in turns] == [transport, transport]
    outputs = [item for item in turns[1].input if item.get("type") == "function_call_output"]
    assert [item["call_id"] for item in outputs] == ["call_cli_echo"]
    assert "hi" in outputs[0]["output"]
    if websockets:
        handshakes = server.websocket_handshakes
        assert len(handshakes) == 1
        assert (handshakes[0].socket_id is not None) is backend_websocket

    # Everything that reached the backend carries the gateway's sign-in, never the CLI's.
    cli_secrets = [
        cli_auth["tokens"][name] for name in ("access_token", "id_token", "refresh_token")
    ]
    seen = [*server.requests, *server.websocket_handshakes]
    assert seen
    for request in seen:
        assert request.headers["Authorization"] == f"Bearer {server.access_token}"
        assert request.headers["ChatGPT-Account-ID"] == server.account_id
        headers = json.dumps(dict(request.headers.items()))
        for secret in cli_secrets:
            assert secret not in headers
            assert secret.encode() not in request.body
        assert CLI_ACCOUNT not in headers
