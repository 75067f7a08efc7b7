"""Every script in examples/ runs offline (CODEX_OPEN_CLIENT_FAKE=1) and prints what it should.

The scripts run as subprocesses, all at once, with warnings turned into errors and an empty
CODEX_HOME, so that none of them can reach for real credentials.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples"

# What each example must print (stdout), besides exiting with 0.
EXPECTED: dict[str, list[str]] = {
    "quickstart.py": ["Hello! How can I help you today?", "tokens: 128 in (0 cached)"],
    "async_quickstart.py": ["Hello! How can I help you today?", "status=completed id=resp_"],
    "streaming.py": ["each token a falling leaf", "[completed, ", "event: response.completed"],
    "async_streaming.py": ["each token a falling leaf", "[completed, ", "completed: resp_"],
    "multi_turn.py": [
        "by hand: Nice to meet you, Alice! / Your name is Alice.",
        "conversation: Nice to meet you, Bob! / Your name is Bob.",
        "history: 4 items",
    ],
    "tool_calls.py": ["model called get_weather({'city': 'Paris'})", "In Paris it is 18°C, sunny."],
    "tool_loop.py": [
        "turn 1: get_weather({'city': 'Tokyo'})",
        "turn 2: celsius_to_fahrenheit({'celsius': 18})",
        '"celsius": 24.5',
        "64.4",
        "3 responses, 8 history items",
    ],
    "structured_output.py": [
        "Person(name='Ada Lovelace', born=1815",
        "Ada Lovelace, born 1815: mathematician, writer",
    ],
    "images.py": ["red-square.png: A red square centred on a white background."],
    "reasoning.py": [
        "[thinking] **Splitting the percentage**",
        "[thinking] **Adding up**",
        "[answer] 15% of 847 is 127.05.",
        "2 summary sections",
        "reasoning tokens: ",
    ],
    "errors.py": [
        "Hello! -> Hello! (answered on the second try)",
        "Usage limit reached on plan plus; it resets at 20",
        "TypeError: create() got an unexpected keyword argument 'temperature'",
    ],
    "rate_limits.py": [
        "with the response (plan plus):",
        "primary: 12% of the 5 h window used; resets in ",
        "secondary: 34% of the 168 h window used",
        "client.rate_limits: the most used window resets at 20",
        "account usage (plan plus, limit reached: False):",
        "gpt-5.1-codex-mini: context ",
    ],
    "concurrent_streams.py": [
        "[0]",
        "[3]",
        "What is a monad? -> A short answer to 'What is a monad?', streamed.",
        "Who wrote Dune? -> A short answer to 'Who wrote Dune?', streamed.",
    ],
    "web_relay.py": [
        "-> 200 text/event-stream",
        'data: " arrives."',
        "answer: Server-sent events carry each token to the browser as it arrives.",
    ],
    "test_with_fake_server.py": ["5 passed"],
}
# What must appear on stderr (the errors example logs its retry there).
EXPECTED_STDERR = {"errors.py": ["retrying POST ", "(retry 1 of 3): HTTP 500"]}


def example_scripts() -> list[str]:
    return sorted(p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))


def run(name: str, codex_home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "CODEX_"))}
    env.update(
        CODEX_OPEN_CLIENT_FAKE="1",
        CODEX_HOME=str(codex_home),  # empty: a script that ignored the fake would fail
        PYTHONIOENCODING="utf-8",
    )
    script = str(EXAMPLES / name)
    if name.startswith("test_"):
        command = [sys.executable, "-W", "error", "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        command.append(script)
    else:
        command = [sys.executable, "-W", "error", script]
    return subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        encoding="utf-8",
        timeout=50,
        check=False,
    )


@pytest.fixture(scope="module")
def results(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, subprocess.CompletedProcess[str]]]:
    """Every example's outcome, run in parallel (each waits mostly on its fake backend)."""
    home = tmp_path_factory.mktemp("codex-home")
    names = example_scripts()
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        outcomes = dict(zip(names, pool.map(lambda name: run(name, home), names), strict=True))
    yield outcomes
    assert not any(home.iterdir()), "an example wrote credentials"


def test_every_example_is_checked() -> None:
    assert set(example_scripts()) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs(name: str, results: dict[str, subprocess.CompletedProcess[str]]) -> None:
    result = results[name]
    report = (
        f"{name} exited {result.returncode}\n"
        f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )
    assert result.returncode == 0, report
    for text in EXPECTED[name]:
        assert text in result.stdout, f"{text!r} missing\n{report}"
    for text in EXPECTED_STDERR.get(name, []):
        assert text in result.stderr, f"{text!r} missing from stderr\n{report}"
    # -W error: a warning (an unclosed client or session, a deprecation) would show here.
    for bad in ("Traceback", "Warning", "Exception ignored", "Unclosed", "Task was destroyed"):
        assert bad not in result.stderr, f"{bad!r} on stderr\n{report}"
