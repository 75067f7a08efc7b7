"""The package docstring maps the pipeline: every private module is named there, and exists."""

from __future__ import annotations

import re
from pathlib import Path

import codex_open_client

ROOT = Path(codex_open_client.__file__).parent
# Not stages of anything: the version string and the ``python -m`` entry point.
UNMAPPED = {"_version", "__main__", "__init__"}


def _named() -> set[str]:
    doc = codex_open_client.__doc__ or ""
    return set(re.findall(r"\b(_[a-z_]+)(?:\.py|/)", doc)) | set(re.findall(r"\b([a-z]+)/", doc))


def test_every_private_module_is_on_the_map() -> None:
    modules = {path.stem for path in ROOT.glob("*.py")} - UNMAPPED
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    missing = (modules | packages) - _named()
    assert not missing, f"add these to the package docstring's map: {sorted(missing)}"


def test_every_module_on_the_map_exists() -> None:
    stale = {
        name
        for name in _named()
        if not (ROOT / f"{name}.py").exists() and not (ROOT / name / "__init__.py").exists()
    }
    assert not stale, f"the package docstring names modules that do not exist: {sorted(stale)}"


def test_the_map_names_the_stages_in_call_order() -> None:
    doc = codex_open_client.__doc__ or ""
    stages = [line.split()[0] for line in doc.splitlines() if re.match(r"    [a-z-]+ +_", line)]
    assert stages == ["call", "request", "sign-in", "send", "retry", "decode", "type", "collect"]
