"""The quality gates stay wired: dev tools, coverage floor, strict config, pre-commit, CI.

Nothing here downloads anything: the pre-commit hooks are local (the virtualenv's tools), and
their configuration is only validated, not run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from dependency_groups import resolve
from packaging.requirements import Requirement

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib  # with dependency-groups on Python 3.10

REPO_ROOT = Path(__file__).resolve().parents[1]
PYPROJECT: dict[str, Any] = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text("utf-8"))
CI = (REPO_ROOT / ".ci" / "run").read_text("utf-8")
README = (REPO_ROOT / "README.md").read_text("utf-8")
# The README's test command: the quick start's "2. The tests." line.
TEST_COMMAND = "python -m pytest --cov -n 4"


def normalised(requirements: Any) -> set[str]:
    return {str(Requirement(text)) for text in requirements}


def pytest_here(*args: str, cwd: Path = REPO_ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m pytest ARGS`` in the repository, in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_dev_extra_is_the_dev_group_flattened() -> None:
    """``pip install -e '.[dev]'`` (any pip) installs what ``--group dev`` (pip 25.1) does."""
    groups = PYPROJECT["dependency-groups"]
    extra = PYPROJECT["project"]["optional-dependencies"]["dev"]
    assert normalised(extra) == normalised(resolve(groups, "dev"))
    names = [Requirement(text).name for text in extra]
    assert names == sorted(names), "keep the dev extra sorted"
    assert normalised(resolve(groups, "test")) >= {"pytest>=8.0", "pytest-cov>=7"}
    assert normalised(PYPROJECT["project"]["optional-dependencies"]["bench"]) == normalised(
        resolve(groups, "bench")
    )


def test_an_unknown_ini_option_is_a_config_error() -> None:
    """--strict-config: without pytest-timeout, ``timeout = 60`` stops the run with one clear
    line (exit 4), not a warning turned INTERNALERROR."""
    result = pytest_here("-p", "no:timeout", "--collect-only", "-q", "tests/test_retry.py")
    assert result.returncode == 4, result.stdout + result.stderr
    assert "ERROR: Unknown config option: timeout" in result.stderr
    assert "INTERNALERROR" not in result.stdout + result.stderr


def test_cov_measures_branches_and_enforces_the_floor(tmp_path: Path) -> None:
    """``--cov`` alone measures the package with branches (the coverage config), and any run
    under the floor fails: here one module, only imported."""
    coverage = PYPROJECT["tool"]["coverage"]
    assert coverage["run"] == {"source": ["codex_open_client"], "branch": True}
    floor = coverage["report"]["fail_under"]
    assert 80 <= floor < 100
    result = pytest_here(
        "--cov=codex_open_client._request",  # imported, its bodies never run: far under the floor
        "-q",
        "tests/test_dev_tools.py::test_ci_and_nox_run_the_readme_test_command",
        COVERAGE_FILE=str(tmp_path / "coverage"),
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"Required test coverage of {floor:.1f}% not reached" in result.stdout
    line = re.search(r"^codex_open_client/_request\.py .* (\d+)%", result.stdout, re.M)
    assert line is not None, result.stdout
    assert int(line[1]) < floor
    assert "BrPart" in result.stdout  # the branch columns


def test_ci_and_nox_run_the_readme_test_command() -> None:
    """The README's test command is what CI runs first, and what ``nox -s tests`` runs."""
    assert f"-e '.[dev]' && {TEST_COMMAND}\n" in README
    assert f"\nrun {TEST_COMMAND}\n" in CI
    nox_command = '"python", "-m", "pytest", "--cov", "-n", "4"'
    assert nox_command in (REPO_ROOT / "noxfile.py").read_text("utf-8")


def test_pre_commit_runs_the_ci_checks_with_local_tools() -> None:
    """Every hook is local (the virtualenv's ruff and mypy, nothing to download) and matches a
    check of .ci/run; the configuration is valid for pre-commit."""
    config = yaml.safe_load((REPO_ROOT / ".pre-commit-config.yaml").read_text("utf-8"))
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    hooks = {hook["id"]: hook for hook in config["repos"][0]["hooks"]}
    assert {hook["language"] for hook in hooks.values()} == {"system"}
    assert set(hooks) == {"ruff-check", "ruff-format", "mypy"}
    assert hooks["mypy"]["entry"] == "mypy --strict codex_open_client tests examples"
    assert hooks["mypy"]["pass_filenames"] is False
    for check in (
        "ruff check .",
        "ruff format --check .",
        "mypy --strict codex_open_client tests examples",
    ):
        assert f"\nrun {check}\n" in CI
    valid = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert valid.returncode == 0, valid.stdout + valid.stderr
