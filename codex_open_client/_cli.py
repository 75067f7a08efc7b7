"""The ``codex-open-client`` command line (also ``python -m codex_open_client``).

Commands (the ``COMMANDS`` list): ``login``, ``logout``, ``status`` (alias ``whoami``),
``models``, ``usage``, ``ask``, ``demo`` and ``serve`` (the gateway). The global options
(``--fake``, ``--debug``, ``--timeout``...) go before or after the command. ``--fake`` runs
any command against an in-process fake backend with throwaway credentials, so everything works
offline and nothing touches ``~/.codex``.

Exit status: 0 success, 1 any other error, 2 usage, 3 authentication, 4 rate or usage limit,
5 network, 130 interrupted (Ctrl-C), 141 broken pipe on stdout. Errors are one line on stderr;
``--debug`` adds the traceback and the SDK's DEBUG log.
"""

# ruff: noqa: T201 (a command line prints)

from __future__ import annotations

import argparse
import contextlib
import difflib
import json
import logging
import os
import re
import sys
import tempfile
import textwrap
import traceback
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import attrs

if TYPE_CHECKING:
    from ._auth._tokens import Account
    from ._models import InputItem, Response
    from ._ratelimits import AccountUsage, Credits
    from ._sync import Client
    from .testing import FakeCodexServer

__all__ = ["COMMANDS", "DEFAULT_MODEL", "DEMO_ANSWER", "DEMO_MODEL", "Command", "main"]

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

# How the backend refuses a model the account cannot use (a retired or misspelled slug).
_UNSUPPORTED_MODEL = "model is not supported when using Codex"
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
            transport=_transport(args),
        ) as client:
            yield client


def _transport(args: argparse.Namespace) -> Any:
    """``--transport`` (default ``sse``)."""
    return getattr(args, "transport", None) or "sse"


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
            transport=_transport(args),
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
        from ._auth._tokens import default_token_path

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


def demo(prompt: str, *, delay: float, transport: Any = "sse") -> int:
    """Start the fake backend in-process and stream an answer to the terminal."""
    from ._sync import Client
    from .testing import FakeCodexServer, message, reply

    with FakeCodexServer() as server:
        server.queue(reply(message(DEMO_ANSWER, deltas=_words(DEMO_ANSWER))).paced(delay))
        with Client(
            access_token=server.access_token,
            account_id=server.account_id,
            base_url=server.url,
            transport=transport,
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
    return demo(args.prompt, delay=args.delay, transport=_transport(args))


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


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Epilogs as written (examples keep their lines); help wrapped at spaces only, so a
    model slug such as ``gpt-5.1-codex-mini`` is never split at a hyphen."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=28)

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)

    def _format_action(self, action: argparse.Action) -> str:
        if isinstance(action, argparse._SubParsersAction):
            # The commands themselves, without a "COMMAND" line above them.
            return "".join(self._format_action(sub) for sub in action._get_subactions())
        return super()._format_action(action)


class _Parser(argparse.ArgumentParser):
    """Usage errors as one ``codex-open-client: error:`` line after the usage, with a hint."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands: dict[str, argparse.ArgumentParser] = {}
        """The parser of each command (and alias), to report its own usage errors."""

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: None = None
    ) -> argparse.Namespace:
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            # argparse reports them with the top-level usage; the command's reads better.
            owner = self.commands.get(getattr(parsed, "command", None) or "", self)
            owner.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed

    def error(self, message: str) -> NoReturn:
        chosen = re.match(r"argument COMMAND: invalid choice: '([^']*)'", message)
        if message == "the following arguments are required: COMMAND":
            names = [command.name for command in COMMANDS]
            message = f"a command is needed: {', '.join(names[:-1])} or {names[-1]}"
        elif chosen:
            word = chosen.group(1)
            names = [name for command in COMMANDS for name in (command.name, *command.aliases)]
            close = difflib.get_close_matches(word, names, n=1)
            message = f"unknown command {word!r}"
            if close:
                message += f" (did you mean {close[0]!r}?)"
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{PROG}: error: {message}\nRun '{self.prog} --help' for help.\n")


def _add_global_options(parser: argparse.ArgumentParser, *, after_command: bool) -> None:
    """The options every command takes, before it or after it (where the later one wins).

    After the command their defaults are SUPPRESS, so an option given only before the
    command is not reset by the subcommand's parser.
    """
    title = "global options (before or after the command)"
    group = parser.add_argument_group(title)

    def add(*flags: str, **kwargs: Any) -> None:
        if after_command:
            kwargs["default"] = argparse.SUPPRESS
        group.add_argument(*flags, **kwargs)

    add(
        "--fake",
        action="store_true",
        help="run against an in-process fake backend, signed in with throwaway credentials "
        "(offline; never touches ~/.codex)",
    )
    add("--debug", action="store_true", help="show tracebacks and the SDK's DEBUG log on stderr")
    add(
        "--base-url",
        metavar="URL",
        help="the Codex API (default: $CODEX_BASE_URL, else https://chatgpt.com/backend-api/codex)",
    )
    add(
        "--chatgpt-base-url",
        metavar="URL",
        help="the ChatGPT API, for usage (default: --base-url without /codex)",
    )
    add("--issuer", metavar="URL", help="the OAuth issuer (default: https://auth.openai.com)")
    add(
        "--codex-home",
        metavar="DIR",
        help="folder of auth.json (default: $CODEX_HOME, else ~/.codex)",
    )
    add(
        "--timeout",
        type=_positive_float,
        metavar="SECONDS",
        help="seconds to wait for data (default: 300)",
    )
    add(
        "--max-retries", type=_count, metavar="N", help="retries of transient failures (default: 2)"
    )
    add(
        "--transport",
        choices=("sse", "websocket", "auto"),
        help="sse (HTTP, the default), websocket (the Codex CLI's own), or auto (WebSocket, "
        "else SSE)",
    )


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    """A command without options of its own."""


def _login_arguments(parser: argparse.ArgumentParser) -> None:
    flow = parser.add_mutually_exclusive_group()
    flow.add_argument(
        "--headless", action="store_true", help="no local callback: paste the redirect URL"
    )
    flow.add_argument(
        "--device", "--device-auth", action="store_true", help="sign in with a one-time code"
    )
    flow.add_argument("--no-browser", action="store_true", help="print the URL, open no browser")


def _models_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--refresh", action="store_true", help="skip the catalog cache")


def _ask_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("prompt", metavar="PROMPT", help="the question; - reads it from stdin")
    parser.add_argument(
        "-m",
        "--model",
        default=os.environ.get("CODEX_MODEL") or DEFAULT_MODEL,
        help=f"model slug, see `{PROG} models` (default: $CODEX_MODEL, else {DEFAULT_MODEL})",
    )
    parser.add_argument(
        "-i",
        "--instructions",
        metavar="TEXT",
        default=DEFAULT_INSTRUCTIONS,
        help="the system prompt (default: %(default)r)",
    )
    parser.add_argument(
        "--reasoning",
        choices=REASONING_EFFORTS,
        metavar="EFFORT",
        help=f"reasoning effort: {', '.join(REASONING_EFFORTS)}",
    )
    parser.add_argument(
        "--summary",
        action="store_const",
        const="auto",
        help="ask for a reasoning summary and stream it to stderr",
    )
    parser.add_argument(
        "--image", action="append", metavar="PATH", help="attach an image file (repeatable)"
    )
    parser.add_argument(
        "--schema", metavar="FILE", help="answer as JSON matching this JSON schema file"
    )
    parser.add_argument(
        "--no-stream", action="store_true", help="print the answer once it is complete"
    )
    parser.add_argument(
        "--json", action="store_true", help="print the final response as JSON on stdout"
    )


def _demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "prompt",
        nargs="?",
        default="Say hello!",
        metavar="PROMPT",
        help="the question (default: %(default)r)",
    )
    parser.add_argument(
        "--delay",
        type=float,
        default=0.04,
        metavar="SECONDS",
        help="seconds between tokens (default: %(default)s)",
    )


def _serve_arguments(parser: argparse.ArgumentParser) -> None:
    from .gateway._serve import add_serve_arguments

    add_serve_arguments(parser)


def _cmd_serve(args: argparse.Namespace) -> int:
    # The gateway opens its own client (and handles --fake itself): no _open_client here.
    from .gateway._serve import run_serve

    return run_serve(args)


@attrs.frozen(kw_only=True)
class Command:
    """One subcommand: its name, one-line help, usage, examples, its options and its code."""

    name: str
    help: str
    run: Callable[[argparse.Namespace], int]
    arguments: Callable[[argparse.ArgumentParser], None] = _no_arguments
    usage: str = "[options]"
    description: str | None = None
    examples: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


# The subcommands, in the order of the help. A new one (such as the gateway's `serve`) is one
# more entry: its options go in its own `arguments` function, the global ones come by themselves.
COMMANDS: tuple[Command, ...] = (
    Command(
        name="login",
        help="sign in to ChatGPT and store the credentials",
        run=_cmd_login,
        arguments=_login_arguments,
        usage="[--headless | --device | --no-browser] [options]",
        description="Sign in to ChatGPT and store the credentials in auth.json (shared with "
        "the Codex CLI, both ways).",
        examples=("login", "login --device            # on a machine without a browser"),
    ),
    Command(
        name="logout",
        help="revoke and delete the stored credentials",
        run=_cmd_logout,
    ),
    Command(
        name="status",
        aliases=("whoami",),
        help="the signed-in account and its rate-limit windows",
        run=_cmd_status,
    ),
    Command(
        name="models",
        help="the models this account can use",
        run=_cmd_models,
        arguments=_models_arguments,
    ),
    Command(
        name="usage",
        help="plan, rate-limit windows and credits",
        run=_cmd_usage,
    ),
    Command(
        name="ask",
        help="ask a question and stream the answer",
        run=_cmd_ask,
        arguments=_ask_arguments,
        usage="[options] PROMPT",
        description="Ask a question and stream the answer to stdout; reasoning summaries "
        "(--summary) go to stderr.",
        examples=(
            'ask "Explain Python\'s GIL in two sentences."',
            'ask -m gpt-5.4 --reasoning high --summary "Plan a 3-day trip to Rome"',
            'git diff | codex-open-client ask -i "Review this diff." -',
            'ask --schema person.json --no-stream "John Smith is 30."',
            "--fake ask hi              # offline, against the built-in fake backend",
        ),
    ),
    Command(
        name="demo",
        help="stream an answer from the embedded fake backend (offline, no account)",
        run=_cmd_demo,
        arguments=_demo_arguments,
        usage="[--delay SECONDS] [PROMPT]",
    ),
    Command(
        name="serve",
        help="an OpenAI-compatible gateway on this sign-in (/v1/responses, /v1/chat/...)",
        run=_cmd_serve,
        arguments=_serve_arguments,
        usage="[--host HOST] [--port N] [--api-key KEY]... [--workers N] [options]",
        description="Serve OpenAI's API (/v1/responses, /v1/chat/completions, /v1/models) "
        "and the Codex-native endpoints on this sign-in, for any OpenAI client or tool.",
        examples=(
            "serve                        # http://127.0.0.1:8000/v1, loopback only",
            'serve --host 0.0.0.0 --api-key "$KEY" --workers 4',
            "--fake serve --port 0        # offline, on the built-in fake backend",
        ),
    ),
)

_EXAMPLES = (
    "login",
    'ask "Explain Python\'s GIL in two sentences."',
    'echo "Summarise this" | codex-open-client ask -',
    "status --timeout 10",
    "--fake ask --summary hi       # offline: the built-in fake backend",
)

_EPILOG = f"""\
environment:
  CODEX_HOME                  folder of auth.json (default: ~/.codex)
  CODEX_BASE_URL              the Codex API
  CODEX_ACCESS_TOKEN          use this token as is (with CODEX_ACCOUNT_ID)
  CODEX_MODEL                 the default model of ask

exit status:
  0 ok, 1 error (such as a refused request), 2 usage, 3 sign-in, 4 rate or usage limit,
  5 network, 130 interrupted (Ctrl-C), 141 broken pipe

Run '{PROG} COMMAND --help' for the options of a command."""


def _examples(lines: Sequence[str]) -> str:
    return "examples:\n" + "\n".join(
        f"  {line}" if line.startswith(("git ", "echo ")) else f"  {PROG} {line}" for line in lines
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (reads CODEX_MODEL for the default model of ``ask``)."""
    from ._version import VERSION

    parser = _Parser(
        prog=PROG,
        usage=f"{PROG} [options] COMMAND [ARGS]",
        description="Use your ChatGPT subscription (the Codex backend) from the terminal.",
        epilog=f"{_examples(_EXAMPLES)}\n\n{_EPILOG}",
        formatter_class=_Formatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"{PROG} {VERSION}", help="show the version and exit"
    )
    commands = parser.add_subparsers(
        title="commands", dest="command", required=True, metavar="COMMAND"
    )
    _add_global_options(parser, after_command=False)
    for command in COMMANDS:
        sub = commands.add_parser(
            command.name,
            prog=f"{PROG} {command.name}",
            aliases=list(command.aliases),
            help=command.help,
            usage=f"{PROG} {command.name} {command.usage}",
            description=textwrap.fill(
                command.description or f"{command.help[0].upper()}{command.help[1:]}.", 78
            ),
            epilog=_examples(command.examples) if command.examples else None,
            formatter_class=_Formatter,
        )
        command.arguments(sub)
        _add_global_options(sub, after_command=True)
        sub.set_defaults(run=command.run)
        for name in (command.name, *command.aliases):
            parser.commands[name] = sub
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
    from ._exceptions import (
        APIError,
        CodexError,
        InvalidRequestError,
        QuotaExceededError,
        RateLimitError,
    )

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
    text = f"{message} ({'; '.join(extra)})" if extra else message
    if isinstance(exc, InvalidRequestError) and _UNSUPPORTED_MODEL in message:
        text += f"\nRun '{PROG} models' for the models this account can use."
    return text


def _silence_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null so the exit flush stays quiet."""
    with contextlib.suppress(OSError, ValueError):
        fileno = sys.stdout.fileno()  # first: a stdout without a file (captured) keeps no fd open
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, fileno)
        finally:
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
    # A fresh start for each run: main() may run many times in one process (the tests do).
    _lines.open.clear()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
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
                parser.error(f"--fake cannot be combined with {clash[0]}")
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if not args.fake:
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
