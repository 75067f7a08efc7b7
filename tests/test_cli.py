"""The ``codex-open-client`` command line, against fake backends.

Most runs call ``main(argv)`` in this process with the environment swapped and stdin, stdout
and stderr captured (fast); the few that need a real process (the entry point, streaming to a
pipe, Ctrl-C, a closed pipe) run ``python -m codex_open_client``. Scripted scenarios use the
session ``FakeCodexServer`` through ``CODEX_BASE_URL`` and ``CODEX_ACCESS_TOKEN``; ``--fake``
runs use the CLI's own in-process fake. Every run has its own empty ``HOME`` and
``CODEX_HOME``, so nothing can read or write the real ``~/.codex``.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from codex_open_client._cli import build_parser, main
from codex_open_client._version import VERSION
from codex_open_client.testing import (
    FakeCodexServer,
    http_error,
    incomplete_reply,
    message,
    rate_limited,
    reasoning,
    reply,
    text_reply,
    usage_limit_reached,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
COMMAND = [sys.executable, "-W", "error", "-m", "codex_open_client"]
PREFIX = "codex-open-client: error: "


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A clean environment: no CODEX_* settings, and empty HOME and CODEX_HOME folders."""
    home, codex_home = tmp_path / "home", tmp_path / "codex-home"
    home.mkdir()
    codex_home.mkdir()
    clean = {key: value for key, value in os.environ.items() if not key.startswith("CODEX_")}
    return {**clean, "HOME": str(home), "CODEX_HOME": str(codex_home)}


@pytest.fixture
def served(env: dict[str, str], server: FakeCodexServer) -> dict[str, str]:
    """The environment pointing the CLI at the session fake backend, with its token."""
    return {
        **env,
        "CODEX_BASE_URL": server.url,
        "CODEX_ACCESS_TOKEN": server.access_token,
        "CODEX_ACCOUNT_ID": server.account_id,
    }


def run(
    *args: str, env: Mapping[str, str], input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``main(args)`` in this process, with ``env`` as the whole environment."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with (
        mock.patch.dict(os.environ, env, clear=True),
        mock.patch.object(sys, "stdin", io.StringIO(input or "")),
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
    ):
        status = main(list(args))
    return subprocess.CompletedProcess(list(args), status, stdout.getvalue(), stderr.getvalue())


def run_process(
    *args: str, env: Mapping[str, str], input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m codex_open_client`` in a subprocess."""
    return subprocess.run(
        [*COMMAND, *args],
        cwd=REPO_ROOT,
        env=dict(env),
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a failed run (no traceback)."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(PREFIX)
    return lines[0]


def assert_empty(*folders: str) -> None:
    for folder in folders:
        assert list(Path(folder).iterdir()) == [], f"{folder} was written to"


def held_reply(gate: threading.Event, deltas: list[str]) -> Any:
    """A reply that sends its first text delta, then waits for ``gate``."""
    answer = reply(message("".join(deltas), deltas=deltas))
    types = [event["type"] for event in answer.events]
    return answer.hold(gate, after=types.index("response.output_text.delta") + 1)


@pytest.fixture
def sigint_default() -> Iterator[None]:
    """Children start with SIGINT at its default, even when this process ignores it."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


class Child:
    """A CLI subprocess whose stdout is read as it arrives."""

    def __init__(self, *args: str, env: Mapping[str, str]) -> None:
        self.process = subprocess.Popen(
            [*COMMAND, *args],
            cwd=REPO_ROOT,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.chunks: queue.Queue[bytes] = queue.Queue()
        self.reader = threading.Thread(target=self._pump, daemon=True)
        self.reader.start()

    def _pump(self) -> None:
        stdout = self.process.stdout
        assert isinstance(stdout, io.BufferedReader)  # unbuffered text would block in read()
        with stdout:
            while chunk := stdout.read1(4096):
                self.chunks.put(chunk)

    def read_until(self, text: bytes) -> bytes:
        seen = b""
        while text not in seen:
            seen += self.chunks.get(timeout=20)
        return seen

    def finish(self) -> tuple[int, bytes, str]:
        """Wait for the exit: status, the rest of stdout, stderr."""
        status = self.process.wait(timeout=20)
        self.reader.join(10)
        rest = b""
        while not self.chunks.empty():
            rest += self.chunks.get()
        assert self.process.stderr is not None
        with self.process.stderr:
            stderr = self.process.stderr.read().decode()
        return status, rest, stderr

    def close(self) -> None:
        """Kill the child if it still runs and release its pipes."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.reader.join(10)
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()


# --------------------------------------------------------------------------- usage


def test_main_returns_the_status_instead_of_exiting(capsys: pytest.CaptureFixture[str]) -> None:
    """main() returns 0 for --help and 2 for a usage error; it never raises SystemExit."""
    assert main(["--help"]) == 0
    assert "ask" in capsys.readouterr().out
    assert main(["no-such-command"]) == 2
    assert "unknown command 'no-such-command'" in capsys.readouterr().err
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"codex-open-client {VERSION}\n"


class _ReaderLeavesOnce(io.StringIO):
    """A stdout whose reader goes away at the first write; later writes are kept."""

    broken = True

    def write(self, text: str) -> int:
        if self.broken:
            self.broken = False
            raise BrokenPipeError
        return super().write(text)


def test_each_run_of_main_starts_with_no_line_open(env: dict[str, str]) -> None:
    """A run cut off mid-line (broken pipe) leaves nothing behind: the next run in the same
    process, on the same stdout, does not finish a line it never began."""
    stdout, stderr = _ReaderLeavesOnce(), io.StringIO()
    with (
        mock.patch.dict(os.environ, env, clear=True),
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
    ):
        assert main(["--fake", "ask", "Hi"]) == 141
        assert main(["--fake", "ask", "-m", "no-such-model", "Hi"]) == 1
    assert stdout.getvalue() == ""
    assert "HTTP 400" in stderr.getvalue()


@pytest.mark.parametrize(
    ("args", "usage"),
    [
        ([], "codex-open-client [options] COMMAND [ARGS]"),
        (["ask"], "codex-open-client ask [options] PROMPT"),
        (["ask", "hi", "--reasoning", "enormous"], "codex-open-client ask [options] PROMPT"),
        (["--max-retries", "-1", "status"], "codex-open-client [options] COMMAND [ARGS]"),
        (["status", "--max-retries", "-1"], "codex-open-client status [options]"),
        (["ask", "--timeout", "0", "hi"], "codex-open-client ask [options] PROMPT"),
        (
            ["--fake", "--base-url", "http://127.0.0.1:1/backend-api/codex", "status"],
            "codex-open-client [options] COMMAND [ARGS]",
        ),
        (
            ["status", "--fake", "--base-url", "http://127.0.0.1:1/backend-api/codex"],
            "codex-open-client [options] COMMAND [ARGS]",
        ),
        (["login", "--device", "--headless"], "codex-open-client login [--headless"),
        (["ask", "--no-such-flag", "hi"], "codex-open-client ask [options] PROMPT"),
    ],
    ids=[
        "no-command",
        "no-prompt",
        "bad-effort",
        "bad-retries",
        "bad-retries-after",
        "bad-timeout-after",
        "fake-and-url",
        "fake-and-url-after",
        "two-flows",
        "unknown-flag",
    ],
)
def test_usage_errors_exit_2(args: list[str], usage: str, env: dict[str, str]) -> None:
    """The usage of the command, one error line, and where to find help; status 2."""
    result = run(*args, env=env)
    assert result.returncode == 2, result.stderr
    error, hint = result.stderr.splitlines()[-2:]
    assert result.stderr.startswith(f"usage: {usage}")
    assert error.startswith(PREFIX)
    command = usage.split(" [")[0]
    assert hint == f"Run '{command} --help' for help."
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_usage_error_and_version_from_the_real_entry_point(env: dict[str, str]) -> None:
    """``python -m codex_open_client``: the same messages and statuses as ``main()``."""
    typo = run_process("aks", "hi", env=env)
    assert typo.returncode == 2
    assert typo.stderr.splitlines()[1:] == [
        f"{PREFIX}unknown command 'aks' (did you mean 'ask'?)",
        "Run 'codex-open-client --help' for help.",
    ]
    version = run_process("--version", env=env)
    assert (version.returncode, version.stdout) == (0, f"codex-open-client {VERSION}\n")


def test_help_lists_commands_options_and_examples(env: dict[str, str]) -> None:
    """Like gh, httpie and llm: a short usage line, the commands, the options, examples."""
    top = run("--help", env=env)
    assert top.returncode == 0
    lines = top.stdout.splitlines()
    assert lines[0] == "usage: codex-open-client [options] COMMAND [ARGS]"
    sections = [line for line in lines if line.endswith(":") and not line.startswith(" ")]
    assert sections == [
        "options:",
        "commands:",
        "global options (before or after the command):",
        "examples:",
        "environment:",
        "exit status:",
    ]
    assert "  COMMAND" not in lines  # no placeholder row above the commands
    assert any(line.split()[:2] == ["ask", "ask"] for line in lines)
    assert "  codex-open-client login" in lines
    assert lines[-1] == "Run 'codex-open-client COMMAND --help' for the options of a command."
    ask = run("ask", "--help", env=env)
    assert ask.returncode == 0
    assert ask.stdout.startswith("usage: codex-open-client ask [options] PROMPT\n")
    for text in ("--reasoning EFFORT", "--timeout SECONDS", "--fake", "examples:"):
        assert text in ask.stdout
    assert "gpt-5.1-codex-mini" in ask.stdout  # never split at a hyphen


def test_global_options_are_taken_after_the_command_too() -> None:
    """Before or after the command; given in both places, the later one wins."""
    parser = build_parser()
    after = parser.parse_args(["ask", "--timeout", "5", "--debug", "--max-retries", "1", "hi"])
    assert (after.timeout, after.debug, after.max_retries, after.prompt) == (5.0, True, 1, "hi")
    before = parser.parse_args(["--timeout", "7", "--fake", "ask", "hi"])
    assert (before.timeout, before.fake, before.max_retries) == (7.0, True, None)
    both = parser.parse_args(["--timeout", "7", "ask", "--timeout", "5", "hi"])
    assert both.timeout == 5.0
    assert parser.parse_args(["models", "--codex-home", "/x"]).codex_home == "/x"


def test_a_global_option_after_the_command_is_used(
    served: dict[str, str], server: FakeCodexServer
) -> None:
    """``ask --timeout 5 hi`` runs; ``--max-retries 0`` after the command overrides 2 before."""
    result = run("ask", "--timeout", "5", "Hi", env=served)
    assert (result.returncode, result.stdout) == (0, "Hello from the fake Codex backend!\n")
    server.clear()
    server.queue(http_error(500), http_error(500), http_error(500))
    failed = run("--max-retries", "2", "ask", "--max-retries", "0", "Hi", env=served)
    assert failed.returncode == 1
    assert len(server.requests) == 1


# --------------------------------------------------------------------------- --fake


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["login"], "Signed in as user@example.com (plus plan) on the fake backend"),
        (["login", "--device"], "Signed in as user@example.com"),
        (["login", "--headless"], "Signed in as user@example.com"),
        (["logout"], "Signed out."),
        (["status"], "user@example.com"),
        (["models"], "gpt-5.1-codex-mini"),
        (["usage"], "credits"),
        (["ask", "Hi"], "Hello from the fake Codex backend!"),
    ],
    ids=["login", "login-device", "login-headless", "logout", "status", "models", "usage", "ask"],
)
def test_fake_commands_work_offline_and_leave_home_alone(
    args: list[str], expected: str, env: dict[str, str]
) -> None:
    """--fake signs in against its own fake, in a temporary folder: HOME stays empty."""
    result = run("--fake", *args, env=env)
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout
    assert "Traceback" not in result.stderr
    assert_empty(env["HOME"], env["CODEX_HOME"])


def test_fake_refuses_an_unknown_model_like_the_backend(env: dict[str, str]) -> None:
    """The fake checks the model against its catalog: the backend's 400, status 1, a hint."""
    result = run("--fake", "ask", "-m", "no-such-model", "Hi", env=env)
    assert result.returncode == 1
    assert result.stdout == ""
    error, hint = result.stderr.splitlines()
    assert error.startswith(PREFIX + "HTTP 400")
    assert (
        "The 'no-such-model' model is not supported when using Codex with a ChatGPT account."
        in error
    )
    assert hint == "Run 'codex-open-client models' for the models this account can use."
    known = run("--fake", "ask", "-m", "gpt-5.4", "Hi", env=env)
    assert known.returncode == 0, known.stderr


@pytest.mark.parametrize("stream", [[], ["--no-stream"]], ids=["stream", "no-stream"])
def test_fake_summary_prints_the_reasoning_summary(env: dict[str, str], stream: list[str]) -> None:
    """``--fake ask --summary``: the fake's reasoning summary on stderr, the answer on stdout."""
    result = run("--fake", "ask", "--summary", *stream, "Hi", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Hello from the fake Codex backend!\n"
    assert result.stderr == "**Answering the user**\n\nThe request is simple; reply directly.\n"


def test_fake_ask_in_a_real_process(env: dict[str, str]) -> None:
    """The installed entry point end to end: ``python -m codex_open_client --fake ask``."""
    result = run_process("ask", "--fake", "--summary", "Hi", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Hello from the fake Codex backend!\n"
    assert "**Answering the user**" in result.stderr
    assert_empty(env["HOME"], env["CODEX_HOME"])


def test_fake_status_and_usage_show_the_windows(env: dict[str, str]) -> None:
    status = run("--fake", "status", env=env)
    assert status.returncode == 0, status.stderr
    for text in ("plan", "plus", "acct_fake", "token expires", "primary (5h)", "% used"):
        assert text in status.stdout
    usage = run("--fake", "usage", env=env)
    assert usage.returncode == 0, usage.stderr
    for text in ("plus", "primary (5h)", "secondary (7d)", "resets", "credits"):
        assert text in usage.stdout


def test_fake_models_is_a_table(env: dict[str, str]) -> None:
    result = run("--fake", "models", env=env)
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["SLUG", "NAME", "CONTEXT", "REASONING", "DEFAULT"]
    mini = next(row.split() for row in rows if row.startswith("gpt-5.1-codex-mini "))
    assert mini[2] == "272,000" and "medium" in mini[3].split(",") and mini[4] == "medium"


def test_stored_credentials_status_then_logout(
    env: dict[str, str], server: FakeCodexServer
) -> None:
    """Without --fake the credentials are $CODEX_HOME/auth.json; logout revokes and deletes."""
    auth = Path(env["CODEX_HOME"]) / "auth.json"
    auth.write_text(json.dumps(server.mint_credentials()))
    auth.chmod(0o600)  # private, as a real sign-in writes it (else a warning, an error here)
    flags = ["--base-url", server.url, "--issuer", server.issuer]
    status = run(*flags, "status", env=env)
    assert status.returncode == 0, status.stderr
    assert "user@example.com" in status.stdout and "primary (5h)" in status.stdout
    assert [r.path for r in server.requests] == ["/backend-api/wham/usage"]
    # logout ignores $CODEX_ACCESS_TOKEN: it is about the stored sign-in
    logout = run(*flags, "logout", env={**env, "CODEX_ACCESS_TOKEN": "other-token"})
    assert logout.returncode == 0, logout.stderr
    assert logout.stdout == "Signed out.\n"
    assert not auth.exists()
    assert server.revoked and "other-token" not in server.revoked


# --------------------------------------------------------------------------- ask


def test_ask_streams_text_before_the_response_ends(
    served: dict[str, str], server: FakeCodexServer
) -> None:
    """The first delta is on stdout while the server still holds the rest of the answer."""
    gate = threading.Event()
    server.queue(held_reply(gate, ["Hello ", "there ", "world"]))
    child = Child("ask", "Hi", env=served)
    try:
        first = child.read_until(b"Hello ")
        assert child.process.poll() is None
        gate.set()
        status, rest, stderr = child.finish()
    finally:
        gate.set()
        child.close()
    assert status == 0, stderr
    assert (first + rest).decode() == "Hello there world\n"
    assert stderr == ""


def test_ask_reads_the_prompt_from_stdin_and_the_model_from_env(
    served: dict[str, str], server: FakeCodexServer
) -> None:
    result = run("ask", "-", env={**served, "CODEX_MODEL": "gpt-5.4"}, input="Prompt from stdin\n")
    assert result.returncode == 0, result.stderr
    body = server.requests[-1].json
    assert body["model"] == "gpt-5.4"
    assert "Prompt from stdin" in json.dumps(body["input"])
    assert body["instructions"] == "You are a helpful assistant."
    override = run("ask", "Hi", "-m", "gpt-5.3-codex", "-i", "Be terse.", env=served)
    assert override.returncode == 0, override.stderr
    assert server.requests[-1].json["model"] == "gpt-5.3-codex"
    assert server.requests[-1].json["instructions"] == "Be terse."


def test_ask_json_prints_the_final_response(
    served: dict[str, str], server: FakeCodexServer
) -> None:
    server.queue(text_reply("Forty-two."))
    result = run("ask", "Hi", "--json", env=served)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["output_text"] == "Forty-two."
    assert data["status"] == "completed"
    assert data["output"][-1]["content"][0]["text"] == "Forty-two."


def test_ask_schema_sends_a_strict_json_schema(
    served: dict[str, str], server: FakeCodexServer, tmp_path: Path
) -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}},
        "required": ["name"],
        "additionalProperties": False,
    }
    path = tmp_path / "person.json"
    path.write_text(json.dumps(schema))
    server.queue(text_reply('{"name": "Ann"}'))
    result = run("ask", "Who?", "--schema", str(path), "--no-stream", env=served)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"name": "Ann"}
    sent = server.requests[-1].json["text"]["format"]
    assert sent == {"type": "json_schema", "name": "person", "schema": schema, "strict": True}
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert run("ask", "Who?", "--schema", str(bad), env=served).returncode == 2


def test_ask_image_sends_a_data_url(
    served: dict[str, str], server: FakeCodexServer, tmp_path: Path
) -> None:
    pixels = b"\x89PNG\r\n\x1a\n fake image bytes"
    path = tmp_path / "picture.png"
    path.write_bytes(pixels)
    result = run("ask", "What is this?", "--image", str(path), env=served)
    assert result.returncode == 0, result.stderr
    (item,) = server.requests[-1].json["input"]
    parts = {part["type"]: part for part in item["content"]}
    assert parts["input_text"]["text"] == "What is this?"
    prefix = "data:image/png;base64,"
    assert parts["input_image"]["image_url"].startswith(prefix)
    assert base64.b64decode(parts["input_image"]["image_url"][len(prefix) :]) == pixels
    missing = run("ask", "Hi", "--image", str(tmp_path / "nope.png"), env=served)
    assert missing.returncode == 2
    assert "nope.png" in one_error_line(missing)


def test_ask_reasoning_summary_goes_to_stderr(
    served: dict[str, str], server: FakeCodexServer
) -> None:
    server.queue(reply(reasoning(["Thinking about it"]), message("The answer.")))
    result = run("ask", "Hi", "--reasoning", "high", "--summary", env=served)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "The answer.\n"
    assert result.stderr == "Thinking about it\n"
    assert server.requests[-1].json["reasoning"] == {"effort": "high", "summary": "auto"}


def test_ask_no_stream_prints_the_summary_then_the_answer(
    served: dict[str, str], server: FakeCodexServer
) -> None:
    """``--no-stream --summary``: the whole summary on stderr, then the whole answer."""
    server.queue(reply(reasoning(["Thinking about it"]), message("The answer.")))
    result = run("ask", "Hi", "--summary", "--no-stream", env=served)
    assert result.returncode == 0, result.stderr
    assert (result.stdout, result.stderr) == ("The answer.\n", "Thinking about it\n")


@pytest.mark.parametrize("stream", [[], ["--no-stream"]], ids=["stream", "no-stream"])
def test_an_incomplete_answer_is_printed_and_exits_1(
    served: dict[str, str], server: FakeCodexServer, stream: list[str]
) -> None:
    """What came is printed (its line finished), then why it stopped short, status 1."""
    server.queue(incomplete_reply("Cut sh", reason="max_output_tokens"))
    result = run("ask", "Hi", *stream, env=served)
    assert result.returncode == 1
    assert result.stdout == "Cut sh\n"
    assert one_error_line(result) == PREFIX + "the response is incomplete (max_output_tokens)"


def test_an_empty_prompt_is_a_usage_error(served: dict[str, str], server: FakeCodexServer) -> None:
    """Blank, as an argument or on stdin: status 2, and nothing is sent."""
    for args, text in ((["ask", "  "], None), (["ask", "-"], "\n")):
        result = run(*args, env=served, input=text)
        assert result.returncode == 2
        assert one_error_line(result) == PREFIX + "the prompt is empty"
    assert server.requests == []


def test_ask_schema_must_be_an_object(served: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text("[]")
    result = run("ask", "Who?", "--schema", str(path), env=served)
    assert result.returncode == 2
    assert one_error_line(result).endswith(": a JSON schema must be an object")


def test_chatgpt_base_url_is_where_usage_is_read(
    served: dict[str, str], server: FakeCodexServer
) -> None:
    """``--chatgpt-base-url`` wins over the one derived from ``--base-url``."""
    dead = f"http://127.0.0.1:{free_port()}/backend-api/codex"
    flags = ["--base-url", dead, "--chatgpt-base-url", server.chatgpt_base_url]
    result = run(*flags, "usage", env=served)
    assert result.returncode == 0, result.stderr
    assert "credits" in result.stdout
    assert [r.path for r in server.requests] == ["/backend-api/wham/usage"]


def test_logout_without_a_sign_in_has_nothing_to_do(env: dict[str, str]) -> None:
    result = run("logout", env=env)
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "Not signed in: nothing to do.\n",
        "",
    )
    assert_empty(env["HOME"], env["CODEX_HOME"])


# --------------------------------------------------------------------------- errors


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.parametrize(
    ("answer", "status", "fragment"),
    [
        (usage_limit_reached(), 4, "usage limit"),
        (rate_limited(), 4, "Rate limit reached"),
        (http_error(400, {"detail": "Unsupported parameter: x"}), 1, "Unsupported parameter"),
        (http_error(500), 1, "HTTP 500"),
        (http_error(401), 3, "HTTP 401"),
    ],
    ids=["quota", "rate-limit", "invalid", "server", "unauthorized"],
)
def test_api_errors_exit_with_their_status_and_one_line(
    answer: Any, status: int, fragment: str, served: dict[str, str], server: FakeCodexServer
) -> None:
    server.queue(answer)
    result = run("--max-retries", "0", "ask", "Hi", env=served)
    assert result.returncode == status
    assert fragment in one_error_line(result)
    assert result.stdout == ""


def test_not_signed_in_exits_3(env: dict[str, str]) -> None:
    """No stored credentials and no token: a hint to sign in, no sign-in attempt."""
    for command in (["ask", "Hi"], ["status"], ["models"], ["usage"]):
        result = run(*command, env=env)
        assert result.returncode == 3, result.stderr
        assert "not signed in" in one_error_line(result)
    assert_empty(env["HOME"], env["CODEX_HOME"])


def test_network_error_exits_5(served: dict[str, str]) -> None:
    base_url = f"http://127.0.0.1:{free_port()}/backend-api/codex"
    result = run("--max-retries", "0", "--base-url", base_url, "ask", "Hi", env=served)
    assert result.returncode == 5
    assert "Connection error" in one_error_line(result)


def test_debug_shows_the_traceback_and_the_sdk_log(
    served: dict[str, str], server: FakeCodexServer
) -> None:
    server.queue(http_error(400, {"detail": "Unsupported parameter: x"}))
    result = run("--debug", "--max-retries", "0", "ask", "Hi", env=served)
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "codex_open_client DEBUG" in result.stderr
    assert result.stderr.splitlines()[-1].startswith(PREFIX + "HTTP 400")


@pytest.mark.usefixtures("sigint_default")
def test_ctrl_c_stops_the_stream_and_exits_130(
    served: dict[str, str], server: FakeCodexServer
) -> None:
    gate = threading.Event()  # never set: the answer is held until the client leaves
    server.queue(held_reply(gate, ["Partial ", "answer"]))
    child = Child("ask", "Hi", env=served)
    try:
        child.read_until(b"Partial ")
        child.process.send_signal(signal.SIGINT)
        status, rest, stderr = child.finish()
    finally:
        child.close()
    assert status == 130
    assert rest == b"\n"  # the partial line is finished
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert server.wait_for_disconnects(1) == 1


def test_broken_pipe_exits_quietly(served: dict[str, str], server: FakeCodexServer) -> None:
    """``| head -c 5``: the reader goes away mid-stream; no error message, status 141."""
    gate = threading.Event()
    server.queue(held_reply(gate, ["First ", "second ", "third"]))
    process = subprocess.Popen(
        [*COMMAND, "ask", "Hi"],
        cwd=REPO_ROOT,
        env=served,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.read(6) == b"First "
        process.stdout.close()
        gate.set()
        status = process.wait(timeout=20)
        with process.stderr:
            stderr = process.stderr.read().decode()
    finally:
        gate.set()
        if process.poll() is None:
            process.kill()
            process.wait(10)
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()
    assert status == 141
    assert stderr == ""


# --------------------------------------------------------------------------- --transport


@pytest.mark.parametrize("where", ["before", "after"])
def test_ask_transport_websocket_goes_over_the_socket(
    served: dict[str, str], server: FakeCodexServer, where: str
) -> None:
    args = ["--transport", "websocket", "ask", "Hi"] if where == "before" else ["ask", "Hi"]
    if where == "after":
        args += ["--transport", "websocket"]
    result = run(*args, env=served)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert [r.transport for r in server.requests] == ["websocket"]
    assert len(server.websocket_handshakes) == 1


def test_ask_defaults_to_sse(served: dict[str, str], server: FakeCodexServer) -> None:
    result = run("ask", "Hi", env=served)
    assert result.returncode == 0, result.stderr
    assert [r.transport for r in server.requests] == ["http"]


def test_transport_refuses_other_values(served: dict[str, str]) -> None:
    result = run("ask", "Hi", "--transport", "ws", env=served)
    assert result.returncode != 0
    assert "websocket" in result.stderr and "auto" in result.stderr


@pytest.mark.parametrize("transport", ["sse", "websocket", "auto"])
def test_demo_takes_the_transport(transport: str) -> None:
    result = run("demo", "--delay", "0", "--transport", transport, "Hi", env={})
    assert result.returncode == 0, result.stderr
    assert "status completed" in result.stdout
