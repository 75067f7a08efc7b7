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


def _account_command(args: argparse.Namespace) -> int:
    """``login``, ``logout`` and ``whoami``: the credentials the SDK and the Codex CLI share."""
    from ._exceptions import CodexError
    from ._sync import Client

    client = Client(
        codex_home=args.codex_home,
        issuer=args.issuer,
        headless=getattr(args, "headless", False),
        no_browser=getattr(args, "no_browser", False),
        device_auth=getattr(args, "device_auth", False),
    )
    try:
        with client:
            if args.command == "login":
                signed_in = client.login()
                print(f"Signed in as {signed_in.email or signed_in.account_id}.")
            elif args.command == "logout":
                client.logout()
                print("Signed out.")
            else:
                account = client.account
                if account is None:
                    print("Not signed in: run `python -m codex_open_client login`.")
                    return 1
                print(
                    f"{account.email or '-'}  plan {account.plan_type or '-'}  account "
                    f"{account.account_id or '-'}  token expires {account.expires_at or '-'}"
                )
    except CodexError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
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
    for name, help_text in (
        ("login", "sign in to ChatGPT and store the credentials (Codex CLI format)"),
        ("logout", "revoke and delete the stored credentials"),
        ("whoami", "show the signed-in account"),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--codex-home", help="folder of auth.json (default: $CODEX_HOME)")
        command.add_argument("--issuer", help="OAuth issuer (default: https://auth.openai.com)")
        if name == "login":
            command.add_argument("--headless", action="store_true", help="paste the redirect URL")
            command.add_argument("--no-browser", action="store_true", help="print the URL only")
            command.add_argument("--device-auth", action="store_true", help="use a device code")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo(args.prompt, delay=args.delay)
    if args.command in ("login", "logout", "whoami"):
        return _account_command(args)
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover - argparse exits first
    return 2


if __name__ == "__main__":
    sys.exit(main())
