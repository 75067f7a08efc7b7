"""Developer tasks: ``nox -s tests lint typecheck examples bench``."""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "examples"]
ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")


def install(session: nox.Session, *args: str) -> None:
    """Install into the session's virtualenv; with --no-venv the current one is used as is."""
    if not isinstance(session.virtualenv, nox.virtualenv.PassthroughEnv):
        session.install(*args)


def install_groups(session: nox.Session, *groups: str, project: bool = True) -> None:
    """The package (editable) and these ``[dependency-groups]``, resolved here: any pip works
    (``pip install --group`` needs pip 25.1)."""
    requirements = nox.project.dependency_groups(PYPROJECT, *groups)
    install(session, *(("-e", ".") if project else ()), *requirements)


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite with coverage and its floor (the README's test command)."""
    install_groups(session, "test")
    session.run("python", "-m", "pytest", "--cov", "-n", "4", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff lint and format checks."""
    install_groups(session, "lint", project=False)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package, the tests and the examples (the tests need their tools)."""
    install_groups(session, "test", "lint")
    session.run("mypy", "--strict", "codex_open_client", "tests", "examples")


@nox.session
def examples(session: nox.Session) -> None:
    """Run every script in examples/ offline, against the fake backend; fail if any fails.

    CODEX_OPEN_CLIENT_FAKE=1 makes each example start the fake in its own process
    (examples/_support.py): no server to manage here.
    """
    install(session, "-e", ".[pydantic]", "pytest")
    failed = []
    for script in sorted((ROOT / "examples").glob("*.py")):
        if script.name.startswith("_"):
            continue  # the shared helper, not an example
        session.log(f"example: {script.name}")
        if script.name.startswith("test_"):  # a pytest module
            command = ["python", "-m", "pytest", "-q", str(script)]
        else:
            command = ["python", str(script)]
        try:
            session.run(*command, env={"CODEX_OPEN_CLIENT_FAKE": "1"})
        except nox.command.CommandFailed:
            failed.append(script.name)  # run the others too, then report them all
    if failed:
        session.error(f"examples failed: {', '.join(failed)}")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks: throughput, first-event latency and import time, side by side with openai."""
    install_groups(session, "bench")
    for script in (
        "bench_throughput.py",
        "bench_latency.py",
        "bench_import.py",
        "bench_history.py",
        "bench_accumulate.py",
        "bench_concurrency.py",
        "bench_json_paths.py",
        "bench_sync.py",
    ):
        session.run("python", str(ROOT / "tests" / "benchmarks" / script), *session.posargs)
