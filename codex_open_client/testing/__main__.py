"""Run the fake Codex backend in the foreground: ``python -m codex_open_client.testing``."""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from ._replies import DEFAULT_REPLY_TEXT
from ._script import load_script
from ._server import FakeCodexServer

__all__ = ["main"]


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m codex_open_client.testing",
        description="Serve a fake ChatGPT Codex backend until Ctrl-C.",
        epilog="A --script file is a JSON list of replies, answered in order before the "
        'standard answer: "text" is a text reply; {"reply": NAME, "args": [...], "kwargs": '
        "{...}} calls a reply builder of codex_open_client.testing (text_reply, reply, "
        "tool_call_reply, http_error, failed_reply, compaction_reply, ...), where an argument "
        '{"part": NAME, "args": [...]} is an output part (message, reasoning, function_call, '
        '...); {"events": [...]} streams those events; "then": [[MODIFIER, arg...], ...] '
        "applies modifiers (paced, pause, cut_after, close_socket, ...). Full format: "
        "help(codex_open_client.testing.replies_from_script).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default: %(default)s)")
    parser.add_argument(
        "--port", type=int, default=8765, help="TCP port, 0 for a free one (default: %(default)s)"
    )
    parser.add_argument("--access-token", default="fake-access-token", help="accepted token")
    parser.add_argument("--account-id", default="acct_fake", help="account id to advertise")
    parser.add_argument(
        "--reply-text",
        default=DEFAULT_REPLY_TEXT,
        help="text of the answers; structured-output requests get a document of their schema "
        "(default: a greeting)",
    )
    parser.add_argument(
        "--script",
        metavar="FILE",
        help="JSON list of replies to answer first, in order (format below)",
    )
    parser.add_argument(
        "--no-websocket",
        action="store_true",
        help="answer WebSocket upgrades with 426 (clients fall back to HTTP)",
    )
    parser.add_argument(
        "--websocket-request-limit",
        type=int,
        metavar="N",
        help="answer the connection-limit error after N requests on one WebSocket",
    )
    args = parser.parse_args(argv)
    if args.script is not None:
        try:
            args.replies = load_script(args.script)
        except (OSError, ValueError) as exc:
            parser.error(f"--script: {exc}")
    else:
        args.replies = []
    return args


def _curl_example(server: FakeCodexServer) -> str:
    body = {
        "model": "gpt-5.4",
        "input": [{"role": "user", "content": [{"type": "input_text", "text": "hello"}]}],
        "store": False,
        "stream": True,
    }
    return " ".join(
        [
            "curl -N",
            shlex.quote(f"{server.url}/responses"),
            "-H",
            shlex.quote(f"Authorization: Bearer {server.access_token}"),
            "-H",
            shlex.quote(f"ChatGPT-Account-ID: {server.account_id}"),
            "-H 'Content-Type: application/json'",
            "-d",
            shlex.quote(json.dumps(body, separators=(",", ":"))),
        ]
    )


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Start the server, print how to reach it, serve until Ctrl-C (or SIGTERM), return 0."""
    args = _parse_args(argv)
    server = FakeCodexServer(
        host=args.host,
        port=args.port,
        access_token=args.access_token,
        account_id=args.account_id,
        reply_text=args.reply_text,
        websocket=not args.no_websocket,
        websocket_request_limit=args.websocket_request_limit,
    )
    server.queue(*args.replies)
    # Also when started in the background by a shell that ignores SIGINT for its jobs.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        server.start()
        print("Fake Codex backend is running.", flush=True)
        print(f"  base_url:         {server.url}", flush=True)
        if server.websocket:
            print(f"  websocket:        {server.websocket_url}", flush=True)
        if args.replies:
            print(f"  scripted replies: {len(args.replies)}", flush=True)
        print(f"  chatgpt_base_url: {server.chatgpt_base_url}", flush=True)
        print(f"  access_token:     {server.access_token}", flush=True)
        print(f"  account_id:       {server.account_id}", flush=True)
        print(f"  issuer:           {server.issuer}", flush=True)
        print("Try:", flush=True)
        print(f"  {_curl_example(server)}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
