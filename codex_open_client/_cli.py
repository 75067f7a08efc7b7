"""The ``codex-open-client`` command line (also ``python -m codex_open_client``).

Commands: ``login``, ``logout``, ``status`` (alias ``whoami``), ``models``, ``usage``,
``ask`` and ``demo``. ``--fake`` runs any of them against an in-process fake backend with
throwaway credentials, so everything works offline and nothing touches ``~/.codex``.

Exit status: 0 success, 1 any other error, 2 usage, 3 authentication, 4 rate or usage limit,
5 network, 130 interrupted (Ctrl-C), 141 broken pipe on stdout. Errors are one line on stderr;
``--debug`` adds the traceback and the SDK's DEBUG log.
"""

# ruff: noqa: T201 (a command line prints)

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import sys
import tempfile
import traceback
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from ._models import InputItem, Response
    from ._ratelimits import AccountUsage, Credits
    from ._sync import Client
    from ._tokens import Account
    from .testing import FakeCodexServer

__all__ = ["DEFAULT_MODEL", "DEMO_ANSWER", "DEMO_MODEL", "main"]

PROG = "codex-open-client"
DEFAULT_MODEL = "gpt-5.1-codex-mini"
DEFAULT_INSTRUCTIONS = "You are a helpful assistant."
REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_LIMIT = 4
EXIT_NETWORK = 5
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a process killed by the signal reports

DEMO_MODEL = DEFAULT_MODEL
DEMO_ANSWER = (
    "Hello! This answer streams from the fake Codex backend embedded in codex-open-client, "
    "token by token, over a real socket on 127.0.0.1. Point the same code at the real backend "
    "and your ChatGPT subscription answers instead."
)

_NOT_SIGNED_IN = f"not signed in: run `{PROG} login` (or `codex login`) first"


class CliError(Exception):
    """A problem the command line reports as one line, with its exit status."""

    def __init__(self, message: str, status: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.status = status


# --------------------------------------------------------------------------- output


class _Lines:
    """Remembers whether stdout and stderr end a line, to finish it before an error."""

    def __init__(self) -> None:
        self.open: dict[int, bool] = {}

    def write(self, stream: TextIO, text: str) -> None:
        if text:
            # Noted first: Ctrl-C may interrupt right after the write.
            self.open[id(stream)] = not text.endswith("\n")
            stream.write(text)
            stream.flush()

    def finish(self, stream: TextIO) -> None:
        if self.open.get(id(stream)):
            self.write(stream, "\n")


_lines = _Lines()


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _duration(seconds: float) -> str:
    """A short human duration: ``45s``, ``12m``, ``3h 5m``, ``2d 4h``."""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m" if minutes else f"{seconds}s"


def _when(moment: datetime | None) -> str:
    """A local time with the distance from now, e.g. ``2026-05-01 14:00 (in 2h)``."""
    if moment is None:
        return "-"
    now = datetime.now(timezone.utc)
    delta = (moment - now).total_seconds()
    relative = f"in {_duration(delta)}" if delta >= 0 else f"{_duration(-delta)} ago"
    return f"{moment.astimezone().strftime('%Y-%m-%d %H:%M %Z').strip()} ({relative})"


def _window_name(window_minutes: int | None) -> str:
    if not window_minutes:
        return "?"
    if window_minutes % 1440 == 0:
        return f"{window_minutes // 1440}d"
    if window_minutes % 60 == 0:
        return f"{window_minutes // 60}h"
    return f"{window_minutes}m"


def _window_rows(usage: AccountUsage) -> list[list[str]]:
    rows = []
    for name, window in (("primary", usage.primary), ("secondary", usage.secondary)):
        if window is None:
            continue
        label = f"{name} ({_window_name(window.window_minutes)})"
        rows.append([label, f"{window.used_percent:g}% used, resets {_when(window.resets_at)}"])
    return rows


def _credits_text(credits: Credits | None) -> str:
    if credits is None:
        return "-"
    if credits.unlimited:
        return "unlimited"
    if not credits.has_credits:
        return "none"
    return f"balance {credits.balance}" if credits.balance is not None else "yes"


# --------------------------------------------------------------------------- client


def _fake_browser(url: str) -> str:
    """Play the user in the fake sign-in: open the authorize URL, return the redirect."""
    import urllib.error
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as answer:
            location = answer.headers.get("Location")
    except urllib.error.HTTPError as exc:
        with exc:
            location = exc.headers.get("Location")
    if not location:
        raise CliError("the fake sign-in server did not redirect back", EXIT_AUTH)
    return str(location)


def _write_fake_credentials(server: FakeCodexServer, home: str) -> None:
    path = Path(home) / "auth.json"
    path.write_text(json.dumps(server.mint_credentials()), encoding="utf-8")
    path.chmod(0o600)


@contextlib.contextmanager
def _fake_client(args: argparse.Namespace, *, signed_in: bool) -> Iterator[Client]:
    """A client of an in-process fake backend, its credentials in a temporary folder."""
    from ._sync import Client
    from .testing import FakeCodexServer

    with (
        FakeCodexServer() as server,
        tempfile.TemporaryDirectory(prefix="codex-open-client-fake-") as home,
    ):
        if signed_in:
            _write_fake_credentials(server, home)
        device = bool(getattr(args, "device", False))
        if device:
            server.device_poll_interval = 0.05
            server.device_auto_approve = 0
        with Client(
            base_url=server.url,
            chatgpt_base_url=server.chatgpt_base_url,
            issuer=server.issuer,
            codex_home=home,
            callback_port=0,
            device_auth=device,
            login_handler=None if device else _fake_browser,
            timeout=args.timeout,
            max_retries=args.max_retries,
        ) as client:
            yield client


def _chatgpt_base_url(args: argparse.Namespace) -> str | None:
    if args.chatgpt_base_url:
        return str(args.chatgpt_base_url)
    base_url: str | None = args.base_url
    if base_url and base_url.rstrip("/").endswith("/codex"):
        return base_url.rstrip("/").removesuffix("/codex")
    return None


@contextlib.contextmanager
def _real_client(args: argparse.Namespace, *, use_env_token: bool) -> Iterator[Client]:
    from ._sync import Client

    access_token = (os.environ.get("CODEX_ACCESS_TOKEN") or None) if use_env_token else None
    account_id = (os.environ.get("CODEX_ACCOUNT_ID") or None) if access_token else None
    try:
        client = Client(
            access_token=access_token,
            account_id=account_id,
            base_url=args.base_url,
            chatgpt_base_url=_chatgpt_base_url(args),
            issuer=args.issuer,
            codex_home=None if access_token else args.codex_home,
            headless=bool(getattr(args, "headless", False)),
            no_browser=bool(getattr(args, "no_browser", False)),
            device_auth=bool(getattr(args, "device", False)),
            timeout=args.timeout,
            max_retries=args.max_retries,
        )
    except (TypeError, ValueError) as exc:
        raise CliError(str(exc), EXIT_USAGE) from exc
    with client:
        yield client


def _open_client(
    args: argparse.Namespace, *, signed_in: bool = True, stored_only: bool = False
) -> contextlib.AbstractContextManager[Client]:
    """The client for a command.

    ``signed_in=False`` (``login``): the fake starts without credentials. ``stored_only``
    (``login``, ``logout``): the stored credentials, never ``$CODEX_ACCESS_TOKEN``.
    """
    if args.fake:
        return _fake_client(args, signed_in=signed_in)
    return _real_client(args, use_env_token=not stored_only)


def _require_account(client: Client) -> Account:
    account = client.account
    if account is None:
        raise CliError(_NOT_SIGNED_IN, EXIT_AUTH)
    return account


# --------------------------------------------------------------------------- commands


def _cmd_login(args: argparse.Namespace) -> int:
    with _open_client(args, signed_in=False, stored_only=True) as client:
        account = client.login()
    who = account.email or account.account_id or "your account"
    plan = f" ({account.plan_type} plan)" if account.plan_type else ""
    if args.fake:
        where = "on the fake backend (temporary credentials, deleted on exit)"
    else:
        from ._tokens import default_token_path

        where = f"(credentials saved in {default_token_path(args.codex_home)})"
    print(f"Signed in as {who}{plan} {where}.")
    return EXIT_OK


def _cmd_logout(args: argparse.Namespace) -> int:
    with _open_client(args, stored_only=True) as client:
        was_signed_in = client.account is not None
        client.logout()
    print("Signed out." if was_signed_in else "Not signed in: nothing to do.")
    return EXIT_OK


def _cmd_status(args: argparse.Namespace) -> int:
    with _open_client(args) as client:
        account = _require_account(client)
        expires = account.expires_at
        rows = [
            ["account", account.email or "-"],
            ["plan", account.plan_type or "-"],
            ["account id", account.account_id or "-"],
            ["token expires", _when(expires) if expires is not None else "-"],
        ]
        try:
            usage = client.usage()
        except BaseException:
            print(_table(rows), flush=True)  # what is known, before the error
            raise
    print(_table(rows + _window_rows(usage)))
    return EXIT_OK


def _cmd_models(args: argparse.Namespace) -> int:
    with _open_client(args) as client:
        _require_account(client)
        models = client.models.list(force_refresh=args.refresh)
    rows = [["SLUG", "NAME", "CONTEXT", "REASONING", "DEFAULT"]]
    for model in models:
        rows.append(
            [
                model.slug,
                model.display_name or model.slug,
                f"{model.context_window:,}" if model.context_window else "-",
                ",".join(model.reasoning_levels) or "-",
                model.default_reasoning_level or "-",
            ]
        )
    print(_table(rows))
    return EXIT_OK


def _cmd_usage(args: argparse.Namespace) -> int:
    with _open_client(args) as client:
        _require_account(client)
        usage = client.usage()
    rows = [["plan", usage.plan_type or "-"], *_window_rows(usage)]
    rows.append(["credits", _credits_text(usage.credits)])
    print(_table(rows))
    return EXIT_OK


def _read_prompt(prompt: str) -> str:
    if prompt == "-":
        prompt = sys.stdin.read()
    if not prompt.strip():
        raise CliError("the prompt is empty", EXIT_USAGE)
    return prompt


def _build_input(prompt: str, images: Sequence[str]) -> str | list[InputItem]:
    if not images:
        return prompt
    from ._models import InputImage, InputMessage, InputText

    parts: list[Any] = [InputText(text=prompt)]
    for path in images:
        try:
            parts.append(InputImage.from_path(path))
        except (OSError, ValueError) as exc:
            raise CliError(f"--image {path}: {exc}", EXIT_USAGE) from exc
    return [InputMessage(role="user", content=parts)]


def _schema_format(path: str) -> Any:
    from ._models import ResponseFormatJsonSchema, TextConfig

    try:
        schema = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CliError(f"--schema {path}: {exc}", EXIT_USAGE) from exc
    if not isinstance(schema, dict):
        raise CliError(f"--schema {path}: a JSON schema must be an object", EXIT_USAGE)
    # The backend wants a name of letters, digits, _ and - (at most 64).
    name = re.sub(r"[^A-Za-z0-9_-]", "_", Path(path).stem)[:64] or "output"
    return TextConfig(format=ResponseFormatJsonSchema(name=name, schema=schema, strict=True))


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _print_json(response: Response) -> None:
    from ._serde import unstructure

    data = unstructure(response)
    if isinstance(data, dict):
        data["output_text"] = response.output_text
    _lines.write(sys.stdout, json.dumps(data, indent=2, ensure_ascii=False, default=_json_default))
    _lines.write(sys.stdout, "\n")


def _stream_answer(client: Client, params: dict[str, Any], *, show_text: bool) -> Response:
    """Stream the answer: text to stdout, reasoning summaries to stderr, as they arrive."""
    from ._events import (
        ResponseOutputTextDeltaEvent,
        ResponseReasoningSummaryPartDoneEvent,
        ResponseReasoningSummaryTextDeltaEvent,
    )

    with client.responses.stream(**params) as stream:
        for event in stream:
            if isinstance(event, ResponseOutputTextDeltaEvent):
                if show_text:
                    _lines.write(sys.stdout, event.delta)
            elif isinstance(event, ResponseReasoningSummaryTextDeltaEvent):
                _lines.write(sys.stderr, event.delta)
            elif isinstance(event, ResponseReasoningSummaryPartDoneEvent):
                _lines.write(sys.stderr, "\n")
        return stream.get_final_response()


def _cmd_ask(args: argparse.Namespace) -> int:
    prompt = _read_prompt(args.prompt)
    params: dict[str, Any] = {
        "model": args.model,
        "instructions": args.instructions,
        "input": _build_input(prompt, args.image or ()),
    }
    if args.reasoning or args.summary:
        from ._models import Reasoning

        params["reasoning"] = Reasoning(effort=args.reasoning, summary=args.summary)
    if args.schema:
        params["text"] = _schema_format(args.schema)
    with _open_client(args) as client:
        _require_account(client)
        if args.no_stream:
            response = client.responses.create(**params)
            if args.summary and response.reasoning_summary:
                _lines.write(sys.stderr, response.reasoning_summary + "\n")
            if not args.json:
                _lines.write(sys.stdout, response.output_text)
        else:
            response = _stream_answer(client, params, show_text=not args.json)
    if args.json:
        _print_json(response)
    else:
        _lines.finish(sys.stdout)
    if response.status == "incomplete":
        details = response.incomplete_details
        reason = details.reason if details is not None and details.reason else "unknown reason"
        raise CliError(f"the response is incomplete ({reason})")
    return EXIT_OK


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
                model=DEMO_MODEL, instructions=DEFAULT_INSTRUCTIONS, input=prompt
            ) as stream:
                for delta in stream.text_deltas():
                    _lines.write(sys.stdout, delta)
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
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    return demo(args.prompt, delay=args.delay)


# --------------------------------------------------------------------------- parser


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (reads CODEX_BASE_URL and CODEX_MODEL for its defaults)."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Use your ChatGPT subscription (the Codex backend) from the terminal.",
        epilog=(
            "exit status: 0 ok, 1 error, 2 usage, 3 authentication, 4 rate or usage limit, "
            "5 network, 130 interrupted, 141 broken pipe. Environment: CODEX_HOME "
            "(credentials folder), CODEX_BASE_URL, CODEX_ACCESS_TOKEN and CODEX_ACCOUNT_ID "
            "(use a token as is), CODEX_MODEL (default model of ask)."
        ),
    )
    parser.add_argument(
        "--fake",
        action="store_true",
        help="run against an in-process fake backend, signed in with throwaway credentials "
        "(offline; never touches ~/.codex)",
    )
    parser.add_argument(
        "--debug", action="store_true", help="show tracebacks and the SDK's DEBUG log on stderr"
    )
    parser.add_argument(
        "--base-url",
        help="the Codex API (default: $CODEX_BASE_URL, else https://chatgpt.com/backend-api/codex)",
    )
    parser.add_argument(
        "--chatgpt-base-url",
        help="the ChatGPT API for usage (default: --base-url without /codex)",
    )
    parser.add_argument("--issuer", help="the OAuth issuer (default: https://auth.openai.com)")
    parser.add_argument(
        "--codex-home", help="folder of auth.json (default: $CODEX_HOME, else ~/.codex)"
    )
    parser.add_argument(
        "--timeout", type=_positive_float, help="seconds to wait for data (default: 300)"
    )
    parser.add_argument(
        "--max-retries", type=_count, help="retries of transient failures (default: 2)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    login = commands.add_parser("login", help="sign in to ChatGPT and store the credentials")
    flow = login.add_mutually_exclusive_group()
    flow.add_argument(
        "--headless", action="store_true", help="no local callback: paste the redirect URL"
    )
    flow.add_argument(
        "--device", "--device-auth", action="store_true", help="sign in with a one-time code"
    )
    flow.add_argument("--no-browser", action="store_true", help="print the URL, open no browser")
    login.set_defaults(run=_cmd_login)

    logout = commands.add_parser("logout", help="revoke and delete the stored credentials")
    logout.set_defaults(run=_cmd_logout)

    status = commands.add_parser(
        "status", aliases=["whoami"], help="the signed-in account and its rate-limit windows"
    )
    status.set_defaults(run=_cmd_status)

    models = commands.add_parser("models", help="the models this account can use")
    models.add_argument("--refresh", action="store_true", help="skip the catalog cache")
    models.set_defaults(run=_cmd_models)

    usage = commands.add_parser("usage", help="plan, rate-limit windows and credits")
    usage.set_defaults(run=_cmd_usage)

    ask = commands.add_parser("ask", help="ask a question and stream the answer")
    ask.add_argument("prompt", metavar="PROMPT", help="the question; - reads it from stdin")
    ask.add_argument(
        "-m",
        "--model",
        default=os.environ.get("CODEX_MODEL") or DEFAULT_MODEL,
        help=f"model slug (default: $CODEX_MODEL, else {DEFAULT_MODEL})",
    )
    ask.add_argument(
        "-i",
        "--instructions",
        default=DEFAULT_INSTRUCTIONS,
        help="the system prompt (default: %(default)r)",
    )
    ask.add_argument("--reasoning", choices=REASONING_EFFORTS, help="reasoning effort")
    ask.add_argument(
        "--summary",
        action="store_const",
        const="auto",
        help="ask for a reasoning summary and stream it to stderr",
    )
    ask.add_argument(
        "--image", action="append", metavar="PATH", help="attach an image file (repeatable)"
    )
    ask.add_argument(
        "--schema", metavar="FILE", help="answer as JSON matching this JSON schema file"
    )
    ask.add_argument(
        "--no-stream", action="store_true", help="print the answer once it is complete"
    )
    ask.add_argument(
        "--json", action="store_true", help="print the final response as JSON on stdout"
    )
    ask.set_defaults(run=_cmd_ask)

    demo_parser = commands.add_parser(
        "demo", help="stream an answer from the embedded fake backend (offline, no account)"
    )
    demo_parser.add_argument("prompt", nargs="?", default="Say hello!", help="the question")
    demo_parser.add_argument(
        "--delay", type=float, default=0.04, help="seconds between tokens (default: %(default)s)"
    )
    demo_parser.set_defaults(run=_cmd_demo)
    return parser


# --------------------------------------------------------------------------- errors


def _exit_status(exc: BaseException) -> int:
    from ._exceptions import APIConnectionError, AuthError, QuotaExceededError, RateLimitError

    if isinstance(exc, CliError):
        return exc.status
    if isinstance(exc, AuthError):
        return EXIT_AUTH
    if isinstance(exc, (RateLimitError, QuotaExceededError)):
        return EXIT_LIMIT
    if isinstance(exc, APIConnectionError):
        return EXIT_NETWORK
    return EXIT_ERROR


def _describe(exc: BaseException) -> str:
    from ._exceptions import APIError, CodexError, QuotaExceededError, RateLimitError

    if isinstance(exc, CliError):
        return str(exc)
    if not isinstance(exc, CodexError):
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    message = " ".join(str(exc).split()) or type(exc).__name__
    extra = []
    if isinstance(exc, QuotaExceededError) and exc.resets_at is not None:
        extra.append(f"resets {_when(exc.resets_at)}")
    if isinstance(exc, RateLimitError) and exc.retry_after is not None:
        extra.append(f"retry after {exc.retry_after:g}s")
    if isinstance(exc, APIError) and exc.request_id:
        extra.append(f"request id {exc.request_id}")
    return f"{message} ({'; '.join(extra)})" if extra else message


def _silence_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null so the exit flush stays quiet."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


@contextlib.contextmanager
def _logging(debug: bool) -> Iterator[None]:
    """The SDK's log on stderr: warnings only, or everything with ``--debug``."""
    logger = logging.getLogger("codex_open_client")
    handler = logging.StreamHandler(sys.stderr)
    if debug:
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s: %(message)s"))
    else:
        handler.setFormatter(logging.Formatter(f"{PROG}: %(levelname)s: %(message)s"))
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if debug else logging.WARNING)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.fake:
        # The fake is self-contained: $CODEX_* settings are ignored, explicit flags refused.
        clash = [
            flag
            for flag, value in (
                ("--base-url", args.base_url),
                ("--chatgpt-base-url", args.chatgpt_base_url),
                ("--issuer", args.issuer),
                ("--codex-home", args.codex_home),
            )
            if value
        ]
        if clash:
            parser.print_usage(sys.stderr)
            print(f"{PROG}: error: --fake cannot be combined with {clash[0]}", file=sys.stderr)
            return EXIT_USAGE
    else:
        args.base_url = args.base_url or os.environ.get("CODEX_BASE_URL") or None
    with _logging(args.debug):
        try:
            status: int = args.run(args)
            return status
        except KeyboardInterrupt:
            _finish_lines()
            return EXIT_INTERRUPTED
        except BrokenPipeError:
            _silence_stdout()
            return EXIT_BROKEN_PIPE
        except Exception as exc:
            _finish_lines()
            if args.debug:
                traceback.print_exc(file=sys.stderr)
            message = _describe(exc)
            if args.debug or isinstance(exc, CliError):
                print(f"{PROG}: error: {message}", file=sys.stderr)
            else:
                hint = "" if _is_expected(exc) else " (run with --debug for the traceback)"
                print(f"{PROG}: error: {message}{hint}", file=sys.stderr)
            return _exit_status(exc)


def _is_expected(exc: BaseException) -> bool:
    from ._exceptions import CodexError

    return isinstance(exc, (CliError, CodexError))


def _finish_lines() -> None:
    with contextlib.suppress(OSError, ValueError):
        _lines.finish(sys.stdout)
