"""A user module under ``mypy --strict`` and pyright (strict): narrowing on ``.type`` works.

``tests/typing/narrowing.py`` tells events, items and content parts apart every way users do
(``==`` on ``.type``, ``match`` on ``.type``, class patterns) with ``assert_type``; both checkers
must find nothing. ``tests/typing/wrong.py`` holds deliberate mistakes, each marked ``# ERROR``:
both checkers must report exactly those lines, so the clean run cannot pass vacuously.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
TYPING = ROOT / "tests" / "typing"
NARROWING = TYPING / "narrowing.py"
WRONG = TYPING / "wrong.py"

# A cold mypy run (no cache yet, as in CI) takes 5-15 s here, more on a busy machine.
pytestmark = pytest.mark.timeout(300)


def marked_lines(path: Path) -> set[int]:
    """The line numbers (1-based) that carry an ``# ERROR`` marker."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return {number for number, line in enumerate(lines, 1) if line.endswith("# ERROR")}


def _environment() -> dict[str, str]:
    # The repository root comes first, so the checkers read this tree's package whatever
    # the editable install does.
    env = dict(os.environ)
    env["MYPYPATH"] = str(ROOT)
    # pyright runs the version it ships (no download, no check for a newer one).
    env.pop("PYRIGHT_PYTHON_FORCE_VERSION", None)
    env["PYRIGHT_PYTHON_IGNORE_WARNINGS"] = "1"
    return env


@pytest.fixture(scope="module")
def mypy_errors() -> dict[str, set[int]]:
    """Lines with mypy errors, by file name, for both modules in one run."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--follow-imports=silent",  # the package itself is checked by its own mypy run
            "--no-error-summary",
            "--show-absolute-path",
            str(NARROWING),
            str(WRONG),
        ],
        cwd=ROOT,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    errors: dict[str, set[int]] = {}
    for line in result.stdout.splitlines():
        match = re.match(r"(.+?):(\d+): error:", line)
        if match:
            errors.setdefault(Path(match[1]).name, set()).add(int(match[2]))
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert errors or result.returncode == 0, result.stdout + result.stderr
    return errors


@pytest.fixture(scope="module")
def pyright_errors() -> dict[str, set[int]]:
    """Lines with pyright errors (strict, per ``tests/typing/pyrightconfig.json``), by file."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pyright",
            "--outputjson",
            "--pythonpath",
            sys.executable,
            "-p",
            str(TYPING),
            str(NARROWING),
            str(WRONG),
        ],
        cwd=ROOT,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = json.loads(result.stdout)
    assert report["summary"]["filesAnalyzed"] == 2, result.stdout
    errors: dict[str, set[int]] = {}
    for diagnostic in report["generalDiagnostics"]:
        if diagnostic["severity"] == "error":
            line = diagnostic["range"]["start"]["line"] + 1
            errors.setdefault(Path(diagnostic["file"]).name, set()).add(line)
    return errors


def test_narrowing_module_is_clean_under_mypy_strict(mypy_errors: dict[str, set[int]]) -> None:
    """Every narrowing style gives the exact class under mypy --strict."""
    assert mypy_errors.get("narrowing.py", set()) == set()


def test_narrowing_module_is_clean_under_pyright_strict(
    pyright_errors: dict[str, set[int]],
) -> None:
    """Every narrowing style gives the exact class under pyright strict."""
    assert pyright_errors.get("narrowing.py", set()) == set()


def test_mypy_reports_each_deliberate_mistake(mypy_errors: dict[str, set[int]]) -> None:
    """mypy saw the package: each wrong line is an error, and nothing else is."""
    expected = marked_lines(WRONG)
    assert len(expected) >= 4
    assert mypy_errors.get("wrong.py") == expected


def test_pyright_reports_each_deliberate_mistake(pyright_errors: dict[str, set[int]]) -> None:
    """pyright saw the package: each wrong line is an error, and nothing else is."""
    assert pyright_errors.get("wrong.py") == marked_lines(WRONG)
