"""The sign-in flows: two-step, browser (with a local callback server), headless, handler, device.

Each flow ends in the same code exchange and returns new ``Credentials``; storing them is the
caller's job. Instructions for the user go to stderr (``out=``), never stdout.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import inspect
import logging
import os
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, TextIO, Union

import anyio.to_thread

from .._exceptions import CodexError
from .._request import DEFAULT_ORIGINATOR
from .._transport import Transport
from ._oauth import (
    DEVICE_CODE_TIMEOUT,
    LoginError,
    authorize_url,
    callback_state_matches,
    device_redirect_uri,
    exchange_code,
    new_pkce,
    new_state,
    parse_callback,
    poll_device_code,
    request_device_code,
)
from ._tokens import DEFAULT_CALLBACK_PORT, DEFAULT_ISSUER, FALLBACK_CALLBACK_PORT, Credentials

if TYPE_CHECKING:
    from aiohttp import web

__all__ = [
    "PendingLogin",
    "afinish_login",
    "astart_login",
    "run_browser_login",
    "run_device_login",
    "run_handler_login",
    "run_headless_login",
]

logger = logging.getLogger("codex_open_client")

CALLBACK_PATH = "/auth/callback"
BROWSER_TIMEOUT = 600.0
_RESTART = "Start the sign-in again."

#: ``handler(url) -> callback_url``, sync or async.
LoginHandler = Callable[[str], Union[str, Awaitable[str]]]
#: Opens a URL in a browser, sync or async (``webbrowser.open`` by default).
UrlOpener = Callable[[str], object]


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _say(out: TextIO | None, text: str) -> None:
    stream = out if out is not None else sys.stderr
    if stream is None:  # pythonw: no console at all
        return
    stream.write(text + "\n")
    stream.flush()


@contextlib.asynccontextmanager
async def _transport(transport: Transport | None) -> AsyncIterator[Transport]:
    """The caller's transport, or one owned (and closed) here."""
    if transport is not None:
        yield transport
        return
    owned = Transport()
    try:
        yield owned
    finally:
        await owned.aclose()


# --------------------------------------------------------------------------- two-step


class PendingLogin:
    """A sign-in waiting for its callback: send the user to ``url``, then call ``afinish_login``.

    Finishing succeeds once; a failed attempt (a wrong URL pasted) may be retried.
    """

    __slots__ = ("_issuer", "_redirect_uri", "_state", "_status", "_url", "_verifier")

    def __init__(
        self, *, url: str, redirect_uri: str, issuer: str, state: str, verifier: str
    ) -> None:
        self._url = url
        self._redirect_uri = redirect_uri
        self._issuer = issuer
        self._state = state
        self._verifier = verifier
        self._status = "open"  # then "finishing" during an attempt, "done" after a success

    @property
    def url(self) -> str:
        """The authorize URL to open in a browser."""
        return self._url

    @property
    def redirect_uri(self) -> str:
        """Where the browser is sent back to, with ``code`` and ``state``."""
        return self._redirect_uri

    @property
    def issuer(self) -> str:
        """The OAuth issuer the code is exchanged with."""
        return self._issuer

    @property
    def finished(self) -> bool:
        """True once ``afinish_login`` succeeded with this sign-in."""
        return self._status == "done"

    def __repr__(self) -> str:
        return (
            f"PendingLogin(issuer={self.issuer!r}, redirect_uri={self.redirect_uri!r}, "
            f"finished={self.finished})"
        )


async def astart_login(
    *,
    issuer: str = DEFAULT_ISSUER,
    callback_port: int = DEFAULT_CALLBACK_PORT,
    originator: str = DEFAULT_ORIGINATOR,
) -> PendingLogin:
    """Begin a sign-in (no I/O): fresh PKCE and state, and the authorize URL."""
    issuer = issuer.rstrip("/")
    redirect_uri = f"http://localhost:{callback_port}{CALLBACK_PATH}"
    pkce = new_pkce()
    state = new_state()
    url = authorize_url(
        issuer=issuer, redirect_uri=redirect_uri, pkce=pkce, state=state, originator=originator
    )
    return PendingLogin(
        url=url, redirect_uri=redirect_uri, issuer=issuer, state=state, verifier=pkce.verifier
    )


async def afinish_login(
    pending: PendingLogin, callback_url: str, *, transport: Transport | None = None
) -> Credentials:
    """Check the redirect URL against ``pending``, exchange its code, return the credentials."""
    if not isinstance(pending, PendingLogin):
        raise TypeError(f"expected the PendingLogin from astart_login(), got {pending!r}")
    if not isinstance(callback_url, str):
        raise TypeError(
            "callback_url must be the URL the browser was redirected to, as a str, got "
            f"{type(callback_url).__name__}"
        )
    if pending._status == "done":
        raise LoginError(
            "This sign-in has already been finished: a PendingLogin is single-use; "
            "call start_login() again for a new one",
            code="login_already_finished",
        )
    if pending._status == "finishing":
        raise LoginError(
            "This sign-in is being finished by another call already", code="login_in_progress"
        )
    pending._status = "finishing"
    try:
        code = parse_callback(callback_url, state=pending._state)
        async with _transport(transport) as http:
            data = await exchange_code(
                http,
                issuer=pending.issuer,
                code=code,
                redirect_uri=pending.redirect_uri,
                verifier=pending._verifier,
            )
        credentials = Credentials.from_token_response(data, now=_now())
    except BaseException:
        pending._status = "open"
        raise
    pending._status = "done"
    logger.info("signed in to account %s", credentials.account_id)
    return credentials


# --------------------------------------------------------------------------- browser


def _bind(port: int) -> socket.socket:
    """A socket on 127.0.0.1: ``port``, else the fallback port when ``port`` is the default."""
    candidates = [port]
    if port == DEFAULT_CALLBACK_PORT:
        candidates.append(FALLBACK_CALLBACK_PORT)
    error: OSError | None = None
    for candidate in candidates:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            if os.name != "nt":  # on Windows this option would let two servers share a port
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", candidate))
        except OSError as exc:
            sock.close()
            error = exc
            continue
        return sock
    tried = " or ".join(str(candidate) for candidate in candidates)
    raise LoginError(
        f"Cannot start the sign-in callback server on 127.0.0.1 port {tried}: {error}. "
        "Another sign-in may be running (finish or stop it), or pass callback_port=... "
        "(the redirect URI must then be allowed by the issuer), or use the headless or "
        "device code sign-in",
        code="callback_port_busy",
    )


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 36em; margin: 4em auto">
<h1>{title}</h1><p>{text}</p></body></html>
"""


def _page(status: int, title: str, text: str) -> web.Response:
    from aiohttp import web

    body = _PAGE.format(title=html.escape(title), text=html.escape(text))
    return web.Response(
        status=status,
        text=body,
        content_type="text/html",
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


async def _open_browser(url: str, open_url: UrlOpener | None) -> bool:
    """Open ``url``; False when no browser could be opened."""
    try:
        if open_url is None:
            import webbrowser

            return bool(await anyio.to_thread.run_sync(webbrowser.open, url))
        result = open_url(url)
        if inspect.isawaitable(result):
            result = await result
    except Exception as exc:
        logger.warning("could not open a browser: %s", exc)
        return False
    return result is not False


async def run_browser_login(
    *,
    issuer: str = DEFAULT_ISSUER,
    callback_port: int = DEFAULT_CALLBACK_PORT,
    originator: str = DEFAULT_ORIGINATOR,
    no_browser: bool = False,
    transport: Transport | None = None,
    timeout: float = BROWSER_TIMEOUT,  # noqa: ASYNC109 (the sign-in's time limit)
    open_url: UrlOpener | None = None,
    out: TextIO | None = None,
) -> Credentials:
    """Sign in through a browser and a one-shot callback server on 127.0.0.1.

    The first callback with this sign-in's state ends it; others get a 400 page and are ignored.
    ``callback_port`` 1455 falls back to 1457 when busy; 0 takes any free port (tests).
    ``open_url`` replaces ``webbrowser.open``; ``no_browser`` only prints the URL.
    """
    from aiohttp import web

    sock = _bind(callback_port)
    port: int = sock.getsockname()[1]
    pending = await astart_login(issuer=issuer, callback_port=port, originator=originator)
    done: asyncio.Future[Credentials] = asyncio.get_running_loop().create_future()
    answered = False
    forged = 0

    async def on_callback(request: web.Request) -> web.StreamResponse:
        nonlocal answered, forged
        url = str(request.rel_url)
        if not callback_state_matches(url, state=pending._state):
            # Any web page can send the browser here: only the issuer's redirect knows the
            # state, so the rest neither ends the sign-in nor counts as its one callback.
            # One warning per sign-in: a page sending many must not flood the log.
            forged += 1
            logger.log(
                logging.WARNING if forged == 1 else logging.DEBUG,
                "ignored a sign-in callback whose state does not match this sign-in (%d so "
                "far; later ones are logged at DEBUG)",
                forged,
            )
            return _page(
                400,
                "State mismatch",
                "This address does not belong to the sign-in in progress (a stale tab, an "
                "older attempt, or a request from another site). The sign-in is still waiting: "
                "finish it in the tab it opened.",
            )
        if answered or done.done():
            return _page(409, "Sign-in already finished", "You can close this tab.")
        answered = True
        outcome: Credentials | BaseException
        try:
            outcome = await afinish_login(pending, url, transport=transport)
        except LoginError as exc:
            outcome = exc
            response = _page(400, "Sign-in failed", f"{exc.message} You can close this tab.")
        except CodexError as exc:
            outcome = exc
            response = _page(502, "Sign-in failed", f"{exc} You can close this tab.")
        except Exception as exc:
            outcome = exc
            response = _page(500, "Sign-in failed", "Unexpected error; see the terminal.")
        else:
            response = _page(
                200,
                "Signed in to ChatGPT",
                "You can close this tab and go back to your program.",
            )
        try:
            # Answer the browser before the flow (and this server) ends.
            await response.prepare(request)
            await response.write_eof()
        finally:  # a browser that went away must not leave the flow waiting
            if not done.done():
                if isinstance(outcome, BaseException):
                    done.set_exception(outcome)
                else:
                    done.set_result(outcome)
        return response

    app = web.Application()
    app.router.add_get(CALLBACK_PATH, on_callback, allow_head=False)
    # No access log: the callback's query string holds the authorization code.
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    try:
        await runner.setup()
        await web.SockSite(runner, sock).start()
        logger.debug("sign-in callback server listening on 127.0.0.1:%d", port)
        if no_browser:
            _say(out, f"Open this URL in a browser to sign in to ChatGPT:\n\n{pending.url}\n")
        else:
            _say(
                out,
                f"Opening a browser to sign in to ChatGPT (callback on http://localhost:{port})."
                f"\nIf it does not open, open this URL yourself:\n\n{pending.url}\n",
            )
            if not await _open_browser(pending.url, open_url):
                _say(out, "Could not open a browser: open the URL above yourself.")
        try:
            return await asyncio.wait_for(done, timeout)
        except asyncio.TimeoutError:
            raise LoginError(
                f"Sign-in timed out after {timeout:g} s: no browser came back to "
                f"{pending.redirect_uri}. {_RESTART}",
                code="timeout",
            ) from None
    finally:
        await runner.cleanup()
        sock.close()


# --------------------------------------------------------------------------- headless

_MAX_EMPTY_LINES = 5


async def run_headless_login(
    *,
    issuer: str = DEFAULT_ISSUER,
    callback_port: int = DEFAULT_CALLBACK_PORT,
    originator: str = DEFAULT_ORIGINATOR,
    transport: Transport | None = None,
    read_line: Callable[[str], str] | None = None,
    out: TextIO | None = None,
) -> Credentials:
    """Sign in with no local server: print the URL, read the pasted redirect URL.

    ``read_line(prompt)`` (default ``input``) runs in a worker thread.
    """
    pending = await astart_login(issuer=issuer, callback_port=callback_port, originator=originator)
    _say(
        out,
        "Open this URL in a browser on any device and sign in to ChatGPT:\n\n"
        f"{pending.url}\n\n"
        f"The browser then goes to {pending.redirect_uri}?code=... and shows an error page "
        "(nothing listens there): copy that whole address from the address bar and paste it "
        "below.",
    )
    reader = read_line if read_line is not None else input
    for _ in range(_MAX_EMPTY_LINES):
        try:
            line = await anyio.to_thread.run_sync(reader, "Redirect URL: ", abandon_on_cancel=True)
        except EOFError:
            break
        if line.strip():
            return await afinish_login(pending, line.strip(), transport=transport)
    raise LoginError(f"No redirect URL was pasted. {_RESTART}", code="no_input")


# --------------------------------------------------------------------------- handler


async def run_handler_login(
    handler: LoginHandler,
    *,
    issuer: str = DEFAULT_ISSUER,
    callback_port: int = DEFAULT_CALLBACK_PORT,
    originator: str = DEFAULT_ORIGINATOR,
    transport: Transport | None = None,
) -> Credentials:
    """Sign in through ``handler(url) -> callback_url``.

    An async handler is awaited; a sync one runs in a worker thread, so it may block (wait
    for a user, a bot message).
    """
    pending = await astart_login(issuer=issuer, callback_port=callback_port, originator=originator)
    result: object
    if inspect.iscoroutinefunction(handler):
        result = handler(pending.url)
    else:
        result = await anyio.to_thread.run_sync(handler, pending.url, abandon_on_cancel=True)
    if inspect.isawaitable(result):
        result = await result
    if not isinstance(result, str):
        raise TypeError(
            "login_handler(url) must return the URL the browser was redirected to, as a str; "
            f"it returned {type(result).__name__}"
        )
    return await afinish_login(pending, result, transport=transport)


# --------------------------------------------------------------------------- device code


async def run_device_login(
    *,
    issuer: str = DEFAULT_ISSUER,
    originator: str = DEFAULT_ORIGINATOR,
    transport: Transport | None = None,
    timeout: float = DEVICE_CODE_TIMEOUT,  # noqa: ASYNC109 (the code's lifetime)
    out: TextIO | None = None,
) -> Credentials:
    """Sign in with a one-time code typed at the issuer's device page (15-minute limit).

    ``originator`` is accepted for symmetry with the other flows; this flow does not send it.
    """
    issuer = issuer.rstrip("/")
    async with _transport(transport) as http:
        device = await request_device_code(http, issuer=issuer)
        _say(
            out,
            f"To sign in to ChatGPT, open this URL in a browser on any device:\n\n"
            f"    {device.verification_url}\n\nand enter this one-time code:\n\n"
            f"    {device.user_code}\n\n"
            "The code expires in 15 minutes. Never share it: whoever enters it gets your "
            "account.",
        )
        approved = await poll_device_code(http, issuer=issuer, device_code=device, timeout=timeout)
        data = await exchange_code(
            http,
            issuer=issuer,
            code=approved["authorization_code"],
            redirect_uri=device_redirect_uri(issuer),
            verifier=approved["code_verifier"],
        )
    credentials = Credentials.from_token_response(data, now=_now())
    logger.info("signed in to account %s", credentials.account_id)
    return credentials
