"""Developer tasks: ``nox -s tests lint typecheck examples bench``."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "examples"]
ROOT = Path(__file__).parent


def install(session: nox.Session, *args: str) -> None:
    """Install into the session's virtualenv; with --no-venv the current one is used as is."""
    if not isinstance(session.virtualenv, nox.virtualenv.PassthroughEnv):
        session.install(*args)


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite (the README's test command)."""
    install(session, "-e", ".[dev]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff lint and format checks."""
    install(session, "-e", ".[dev]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package."""
    install(session, "-e", ".[dev]")
    session.run("mypy", "--strict", "codex_open_client")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@nox.session
def examples(session: nox.Session) -> None:
    """Run every script in examples/ against the fake backend."""
    install(session, "-e", ".")
    port = _free_port()
    passthrough = isinstance(session.virtualenv, nox.virtualenv.PassthroughEnv)
    python = sys.executable if passthrough else str(Path(session.bin) / "python")
    server = subprocess.Popen(
        [python, "-m", "codex_open_client.testing", "--port", str(port)],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    session.error("the fake backend did not start")
                time.sleep(0.1)
        env = {
            "CODEX_BASE_URL": f"http://127.0.0.1:{port}/backend-api/codex",
            "CODEX_ACCESS_TOKEN": "fake-access-token",
            "CODEX_ACCOUNT_ID": "acct_fake",
        }
        for script in sorted((ROOT / "examples").glob("*.py")):
            session.log(f"example: {script.name}")
            session.run("python", str(script), env=env)
    finally:
        server.terminate()
        server.wait(10)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks: throughput, first-event latency and import time, side by side with openai."""
    install(session, "-e", ".[bench]")
    for script in ("bench_throughput.py", "bench_latency.py", "bench_import.py"):
        session.run("python", str(ROOT / "tests" / "benchmarks" / script), *session.posargs)
