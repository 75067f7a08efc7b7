"""User modules under ``mypy --strict`` and pyright (strict): narrowing on ``.type`` works, and
a params dict typed ``ResponseCreateParams`` passes as ``create(**params)``.

``tests/typing/narrowing.py`` tells events, items and content parts apart every way users do
(``==`` on ``.type``, ``match`` on ``.type``, class patterns) with ``assert_type``;
``tests/typing/params.py`` builds ``ResponseCreateParams``/``ToolRunParams`` dicts and calls
``create``, ``stream`` and ``run_tools`` with them (and runs here against the fake backend). Both
checkers must find nothing in either. ``tests/typing/wrong.py`` holds deliberate mistakes, each
marked ``# ERROR``: both checkers must report exactly those lines, so the clean runs cannot pass
vacuously.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from codex_open_client.testing import FakeCodexServer, text_reply, tool_call_reply

from .conftest import Api

ROOT = Path(__file__).parent.parent
TYPING = ROOT / "tests" / "typing"
NARROWING = TYPING / "narrowing.py"
PARAMS = TYPING / "params.py"
WRONG = TYPING / "wrong.py"
CLEAN = (NARROWING, PARAMS)

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
            *map(str, CLEAN),
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
            *map(str, CLEAN),
            str(WRONG),
        ],
        cwd=ROOT,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = json.loads(result.stdout)
    assert report["summary"]["filesAnalyzed"] == len(CLEAN) + 1, result.stdout
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


def test_params_module_is_clean_under_mypy_strict(mypy_errors: dict[str, set[int]]) -> None:
    """``params: ResponseCreateParams = {...}; create(**params)`` type-checks under mypy."""
    assert mypy_errors.get("params.py", set()) == set()


def test_params_module_is_clean_under_pyright_strict(
    pyright_errors: dict[str, set[int]],
) -> None:
    """``params: ResponseCreateParams = {...}; create(**params)`` type-checks under pyright."""
    assert pyright_errors.get("params.py", set()) == set()


def _params_module() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("typing_params", PARAMS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_typed_params_module_runs(api: Api, server: FakeCodexServer) -> None:
    """What ``params.py`` type-checks also works: each call sends its dict's keys."""
    module = _params_module()
    for text in ("plain", "streamed", "stream()"):
        server.queue(text_reply(text))
    server.queue(tool_call_reply("add", {"a": 1, "b": 2}), text_reply("3"))
    model = "gpt-5.1-codex-mini"
    if api.mode == "sync":
        texts = module.create(api.sync, model)
    else:
        texts = api.run(module.acreate(api.aclient, model))
    assert texts == ["plain", "streamed", "stream()", "3"]
    bodies = [request.json for request in server.answered_requests]
    assert [body["model"] for body in bodies] == [model] * 5
    assert bodies[0]["reasoning"] == {"effort": "low"}
    assert bodies[0]["input"][0]["content"] == [{"type": "input_text", "text": "Hello!"}]
    assert [tool["name"] for tool in bodies[3]["tools"]] == ["add"]


def test_mypy_reports_each_deliberate_mistake(mypy_errors: dict[str, set[int]]) -> None:
    """mypy saw the package: each wrong line is an error, and nothing else is."""
    expected = marked_lines(WRONG)
    assert len(expected) >= 4
    assert mypy_errors.get("wrong.py") == expected


def test_pyright_reports_each_deliberate_mistake(pyright_errors: dict[str, set[int]]) -> None:
    """pyright saw the package: each wrong line is an error, and nothing else is."""
    assert pyright_errors.get("wrong.py") == marked_lines(WRONG)
