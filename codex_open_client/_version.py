"""The package version: the single source of truth (pyproject.toml reads it from here)."""

from __future__ import annotations

VERSION = "0.3.0.dev0"
