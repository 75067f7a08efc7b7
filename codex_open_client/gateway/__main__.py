"""``python -m codex_open_client.gateway [--fake] [--host] [--port] [--api-key KEY]...``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._serve import add_serve_arguments, run_serve


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments and serve the gateway."""
    parser = argparse.ArgumentParser(
        prog="python -m codex_open_client.gateway",
        description="Serve the OpenAI-compatible gateway (the same as codex-open-client serve).",
    )
    parser.add_argument(
        "--fake", action="store_true", help="use the embedded fake backend (offline)"
    )
    parser.add_argument("--base-url", help="the Codex API (default: the real backend)")
    parser.add_argument("--chatgpt-base-url", help="the ChatGPT API (default: from --base-url)")
    parser.add_argument("--issuer", help="the OAuth issuer (default: https://auth.openai.com)")
    parser.add_argument("--codex-home", help="folder of auth.json (default: $CODEX_HOME)")
    add_serve_arguments(parser)
    return run_serve(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
