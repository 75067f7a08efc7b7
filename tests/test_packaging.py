"""Packaging: the wheel's content, and an editable install that type checkers can see.

The editable install is made by pip itself (``pip install -e``) with this environment's build
backend (``--no-build-isolation``, so hatchling comes from the dev extra and nothing is
downloaded) into a fresh, empty virtual environment (``--prefix``), as a user's project has;
mypy and pyright, run from here, then check a user module against that environment.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from codex_open_client._version import VERSION

REPO_ROOT = Path(__file__).resolve().parents[1]

USER_MODULE = """\
from __future__ import annotations

import codex_open_client
from codex_open_client.testing import FakeCodexServer


def main() -> None:
    with FakeCodexServer() as server:
        client = codex_open_client.Client(base_url=server.url, max_retries="many")
        reply = client.responses.create(model="gpt-5.4", instructions="", input="Hi")
        reveal_type(reply.output_text)
"""


def pip(*args: str, cwd: Path) -> None:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    subprocess.run(
        [sys.executable, "-m", "pip", *args, "--quiet", "--no-deps", "--no-index"],
        cwd=cwd,
        env=env,
        check=True,
        timeout=120,
    )


def installed_here() -> list[str]:
    """What this environment's site-packages holds of codex-open-client."""
    purelib = Path(sysconfig.get_paths()["purelib"])
    return sorted(path.name for path in purelib.iterdir() if "codex_open_client" in path.name)


def site_packages(venv: Path) -> Path:
    (path,) = (venv / "lib").glob("python3*/site-packages")
    return path


@pytest.fixture(scope="module")
def user_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A fresh venv with ``pip install -e <this repo>``, and a project folder using the package.

    Returns the venv's interpreter and the project folder (holding ``app.py``).
    """
    root = tmp_path_factory.mktemp("packaging")
    venv = root / "user-venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60
    )
    ours = installed_here()
    # --ignore-installed: without it pip uninstalls this environment's own codex-open-client
    # before installing into the prefix.
    pip(
        "install",
        "--no-build-isolation",
        "--ignore-installed",
        "--prefix",
        str(venv),
        "-e",
        str(REPO_ROOT),
        cwd=root,
    )
    assert installed_here() == ours  # this environment's install is left alone
    project = root / "project"
    project.mkdir()
    (project / "app.py").write_text(USER_MODULE)
    return venv / "bin" / "python", project


def test_editable_install_is_a_static_path(user_project: tuple[Path, Path]) -> None:
    """A ``.pth`` file with the checkout's path (what type checkers follow), and the script."""
    python, _ = user_project
    installed = site_packages(python.parent.parent)
    (pth,) = installed.glob("*codex_open_client*.pth")
    assert pth.read_text().strip() == str(REPO_ROOT)
    assert not list(installed.glob("*editable*finder*"))  # no import hook
    (entry_points,) = installed.glob("codex_open_client-*.dist-info/entry_points.txt")
    assert "codex-open-client = codex_open_client.__main__:main" in entry_points.read_text()


def test_editable_install_is_seen_by_mypy(user_project: tuple[Path, Path], tmp_path: Path) -> None:
    """After ``pip install -e``, mypy in a user's project sees the package's types.

    With setuptools' editable install (an import hook) this was ``import-not-found``.
    """
    python, project = user_project
    env = {key: value for key, value in os.environ.items() if key != "MYPYPATH"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--python-executable",
            str(python),
            "--cache-dir",
            str(tmp_path / "mypy-cache"),
            "app.py",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert "import-not-found" not in output, output
    assert re.search(r'^app\.py:11: note: Revealed type is "(builtins\.)?str"$', output, re.M), (
        output
    )
    errors = [line for line in output.splitlines() if ": error:" in line]
    assert len(errors) == 1, output
    assert errors[0].startswith('app.py:9: error: Argument "max_retries" to "Client"')
    assert errors[0].endswith("[arg-type]")
    assert result.returncode == 1


def test_editable_install_is_seen_by_pyright(user_project: tuple[Path, Path]) -> None:
    """The same under pyright (``reportMissingImports`` with setuptools' editable install)."""
    python, project = user_project
    env = dict(os.environ)
    env.pop("PYRIGHT_PYTHON_FORCE_VERSION", None)  # the version it ships: no download
    env["PYRIGHT_PYTHON_IGNORE_WARNINGS"] = "1"
    result = subprocess.run(
        [sys.executable, "-m", "pyright", "--outputjson", "--pythonpath", str(python), "app.py"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(result.stdout)
    found = [
        (d["severity"], d["range"]["start"]["line"] + 1, d.get("rule"), d["message"])
        for d in report["generalDiagnostics"]
    ]
    errors = [item for item in found if item[0] == "error"]
    assert [(line, rule) for _, line, rule, _ in errors] == [(9, "reportArgumentType")], found
    assert ("information", 11, None, 'Type of "reply.output_text" is "str"') in found, found


def test_wheel_holds_the_package_its_types_and_the_command(tmp_path: Path) -> None:
    """The wheel: every subpackage, ``py.typed``, the ``codex-open-client`` script, no tests."""
    pip("wheel", "--no-build-isolation", "--wheel-dir", str(tmp_path), str(REPO_ROOT), cwd=tmp_path)
    (wheel,) = tmp_path.glob("codex_open_client-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        dist_info = f"codex_open_client-{VERSION}.dist-info"
        entry_points = archive.read(f"{dist_info}/entry_points.txt").decode()
        metadata = archive.read(f"{dist_info}/METADATA").decode()
    for name in (
        "codex_open_client/__init__.py",
        "codex_open_client/py.typed",
        "codex_open_client/_version.py",
        "codex_open_client/testing/__init__.py",
        "codex_open_client/testing/__main__.py",
        f"{dist_info}/licenses/LICENSE",
    ):
        assert name in names
    assert {name.split("/")[0] for name in names} == {"codex_open_client", dist_info}
    assert not any("__pycache__" in name for name in names)
    assert "codex-open-client = codex_open_client.__main__:main" in entry_points
    assert f"Version: {VERSION}\n" in metadata
    assert "Requires-Dist: aiohttp>=3.14.4\n" in metadata
    assert "Description-Content-Type: text/markdown" in metadata
