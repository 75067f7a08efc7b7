"""``python -m codex_open_client``: the ``codex-open-client`` command line (see ``_cli``)."""

from __future__ import annotations

from ._cli import DEMO_ANSWER, DEMO_MODEL, main

__all__ = ["DEMO_ANSWER", "DEMO_MODEL", "main"]

if __name__ == "__main__":
    raise SystemExit(main())
