"""Command line: ``python -m codex_open_client demo``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]

DEMO_MODEL = "gpt-5.1-codex-mini"
DEMO_ANSWER = (
    "Hello! This answer streams from the fake Codex backend embedded in codex-open-client, "
    "token by token, over a real socket on 127.0.0.1. Point the same code at the real backend "
    "and your ChatGPT subscription answers instead."
)


def _words(text: str) -> list[str]:
    """Split text into word-sized deltas, the way the backend streams tokens."""
    pieces = text.split(" ")
    return [piece + " " for piece in pieces[:-1]] + pieces[-1:]


def demo(prompt: str, *, delay: float) -> int:
    """Start the fake backend in-process and stream an answer to the terminal."""
    from ._sync import Client
    from .testing import FakeCodexServer, message, reply

    with FakeCodexServer() as server:
        server.queue(reply(message(DEMO_ANSWER, deltas=_words(DEMO_ANSWER))).paced(delay))
        with Client(
            access_token=server.access_token, account_id=server.account_id, base_url=server.url
        ) as client:
            print(f"> {prompt}\n")
            with client.responses.stream(
                model=DEMO_MODEL, instructions="You are a helpful assistant.", input=prompt
            ) as stream:
                for delta in stream.text_deltas():
                    print(delta, end="", flush=True)
                response = stream.get_final_response()
    print("\n")
    usage = response.usage
    if usage is not None:
        print(
            f"usage: {usage.input_tokens} input tokens "
            f"({usage.input_tokens_details.cached_tokens} cached) + {usage.output_tokens} output "
            f"tokens ({usage.output_tokens_details.reasoning_tokens} reasoning) = "
            f"{usage.total_tokens} total, model {response.model}, status {response.status}"
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m codex_open_client`` and the ``codex-open-client`` script."""
    parser = argparse.ArgumentParser(
        prog="python -m codex_open_client", description="codex-open-client command line"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser(
        "demo", help="stream an answer from the embedded fake backend (offline, no account)"
    )
    demo_parser.add_argument("prompt", nargs="?", default="Say hello!", help="the question")
    demo_parser.add_argument(
        "--delay", type=float, default=0.04, help="seconds between tokens (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo(args.prompt, delay=args.delay)
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover - argparse exits first
    return 2


if __name__ == "__main__":
    sys.exit(main())
