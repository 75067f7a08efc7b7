"""Tests for ``_login``: every sign-in flow end to end against the fake OAuth server."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import logging
import re
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import aiohttp
import pytest

from codex_open_client._auth._login import (
    PendingLogin,
    _bind,
    afinish_login,
    astart_login,
    run_browser_login,
    run_device_login,
    run_handler_login,
    run_headless_login,
)
from codex_open_client._auth._oauth import (
    LoginError,
    RefreshError,
    exchange_code,
    new_pkce,
    refresh_token_request,
    refresh_url,
)
from codex_open_client._auth._tokens import CLIENT_ID, SCOPES, Credentials
from codex_open_client._exceptions import AuthError
from codex_open_client._transport import Transport
from codex_open_client.testing import FakeCodexServer

from .test_oauth import run, with_transport

AUTHORIZE_URL = re.compile(r"http://\S+/oauth/authorize\?\S+")


class Secrets:
    """Token strings met during a test, checked against the captured log afterwards."""

    def __init__(self) -> None:
        self.values: list[str] = []

    def add(self, credentials: Credentials) -> Credentials:
        for value in (credentials.access_token, credentials.refresh_token, credentials.id_token):
            if value:
                self.values.append(value)
        return credentials


@pytest.fixture(autouse=True)
def secrets(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> Iterator[Secrets]:
    """Log at DEBUG; afterwards no token seen in the test may be in the log."""
    monkeypatch.delenv("CODEX_REFRESH_TOKEN_URL_OVERRIDE", raising=False)
    monkeypatch.delenv("CODEX_REVOKE_TOKEN_URL_OVERRIDE", raising=False)
    caplog.set_level(logging.DEBUG)
    seen = Secrets()
    yield seen
    for value in seen.values:
        assert value not in caplog.text
    assert "eyJ" not in caplog.text  # no JWT at all


# --------------------------------------------------------------------------- the browser's part


async def authorize(url: str) -> str:
    """Play the browser at the issuer: the Location it redirects to (not followed)."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(url, allow_redirects=False) as response,
    ):
        assert response.status == 302, await response.text()
        return response.headers["Location"]


async def visit(url: str, method: str = "GET") -> tuple[int, str]:
    """Play the browser at the local callback server: status and page."""
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url, allow_redirects=False) as response,
    ):
        return response.status, await response.text()


class Screen(io.StringIO):
    """The terminal: what a flow printed, and a way to wait until something shows up."""

    def __init__(self) -> None:
        super().__init__()
        self._changed: asyncio.Event | None = None

    def write(self, text: str) -> int:
        written = super().write(text)
        if self._changed is not None:
            self._changed.set()
        return written

    async def wait_for(self, pattern: re.Pattern[str]) -> re.Match[str]:
        """The first match of ``pattern`` in the output, once it is there."""
        self._changed = asyncio.Event()
        while (match := pattern.search(self.getvalue())) is None:
            await self._changed.wait()
            self._changed.clear()
        return match


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def authorize_blocking(url: str) -> str:
    """``authorize`` for sync code (worker threads): urllib, redirects not followed."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(url, timeout=10).close()
    except urllib.error.HTTPError as exc:
        with exc:
            assert exc.code == 302
            return str(exc.headers["Location"])
    raise AssertionError("the issuer did not redirect")


def with_state(url: str, state: str) -> str:
    """``url`` with its ``state`` parameter replaced."""
    parts = urlsplit(url)
    query = re.sub(r"(^|&)state=[^&]*", rf"\1state={state}", parts.query)
    return urlunsplit(parts._replace(query=query))


def refused(port: int) -> bool:
    """True when nothing listens on 127.0.0.1:port."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def port_of(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


# --------------------------------------------------------------------------- two-step


def test_start_login_builds_the_pending_sign_in_without_io() -> None:
    """astart_login gives the CLI's authorize URL, its redirect URI and a hidden state/verifier."""
    pending = run(lambda: astart_login(issuer="https://auth.example.com/"))
    assert pending.issuer == "https://auth.example.com"
    assert pending.redirect_uri == "http://localhost:1455/auth/callback"
    params = parse_qs(urlsplit(pending.url).query)
    assert params["client_id"] == [CLIENT_ID]
    assert params["scope"] == [SCOPES]
    assert params["redirect_uri"] == [pending.redirect_uri]
    assert params["originator"] == ["codex_cli_rs"]
    assert params["state"] == [pending._state]
    assert len(pending._verifier) == 86
    digest = hashlib.sha256(pending._verifier.encode()).digest()
    assert params["code_challenge"] == [base64.urlsafe_b64encode(digest).rstrip(b"=").decode()]
    assert pending._state not in repr(pending)
    assert pending._verifier not in repr(pending)
    assert not pending.finished


def test_two_step_login_succeeds_once(server: FakeCodexServer, secrets: Secrets) -> None:
    """start, browser at the issuer, finish with the redirect URL: credentials; reuse fails."""

    async def body() -> None:
        pending = await astart_login(issuer=server.issuer)
        location = await authorize(pending.url)
        assert location.startswith(pending.redirect_uri + "?")
        credentials = secrets.add(await afinish_login(pending, location))
        assert credentials.access_token and credentials.refresh_token and credentials.id_token
        assert credentials.account_id == server.account_id
        assert credentials.last_refresh is not None
        assert pending.finished
        with pytest.raises(LoginError, match="single-use") as info:
            await afinish_login(pending, location)
        assert info.value.code == "login_already_finished"

    run(body)


def test_finish_with_a_state_mismatch_fails_and_may_be_retried(
    server: FakeCodexServer, secrets: Secrets
) -> None:
    """A redirect URL with another state fails; the right URL still works afterwards."""

    async def body() -> None:
        pending = await astart_login(issuer=server.issuer)
        location = await authorize(pending.url)
        with pytest.raises(LoginError, match="State mismatch") as info:
            await afinish_login(pending, with_state(location, "forged"))
        assert info.value.code == "state_mismatch"
        assert not pending.finished
        secrets.add(await afinish_login(pending, location))

    run(body)


def test_finish_rejects_wrong_argument_types() -> None:
    """Passing something else than a PendingLogin or a str URL is a TypeError."""

    async def body() -> None:
        pending = await astart_login()
        with pytest.raises(TypeError, match="PendingLogin"):
            await afinish_login("nope", "x")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="callback_url"):
            await afinish_login(pending, None)  # type: ignore[arg-type]

    run(body)


def test_wrong_pkce_verifier_is_refused_by_the_token_endpoint(server: FakeCodexServer) -> None:
    """Exchanging a code with another verifier fails with the endpoint's invalid_grant."""

    async def body() -> None:
        pending = await astart_login(issuer=server.issuer)
        location = await authorize(pending.url)
        code = parse_qs(urlsplit(location).query)["code"][0]
        wrong = new_pkce().verifier
        with pytest.raises(LoginError, match="refused the authorization code") as info:
            await with_transport(
                lambda t: exchange_code(
                    t,
                    issuer=server.issuer,
                    code=code,
                    redirect_uri=pending.redirect_uri,
                    verifier=wrong,
                )
            )
        assert info.value.code == "invalid_grant"
        assert info.value.status_code == 400
        assert wrong not in str(info.value) and code not in str(info.value)

    run(body)


def test_reused_refresh_token_is_a_permanent_failure(
    server: FakeCodexServer, secrets: Secrets
) -> None:
    """A rotated refresh token works once; using it again is refresh_token_reused, permanent."""

    async def body() -> None:
        pending = await astart_login(issuer=server.issuer)
        credentials = secrets.add(await afinish_login(pending, await authorize(pending.url)))
        assert credentials.refresh_token is not None
        old = credentials.refresh_token

        async def refresh(transport: Transport) -> dict[str, Any]:
            return await refresh_token_request(
                transport, url=refresh_url(server.issuer), refresh_token=old
            )

        data = await with_transport(refresh)
        secrets.values += [str(value) for key, value in data.items() if key.endswith("token")]
        assert data["refresh_token"] != old
        with pytest.raises(RefreshError, match="already used") as info:
            await with_transport(refresh)
        assert info.value.permanent
        assert info.value.code == "refresh_token_reused"
        assert info.value.status_code == 401
        assert old not in str(info.value)

    run(body)


# --------------------------------------------------------------------------- browser


def test_browser_login_end_to_end(server: FakeCodexServer, secrets: Secrets) -> None:
    """The opener gets the URL, the browser comes back to the callback, a success page shows."""
    out = io.StringIO()
    browser: list[asyncio.Task[tuple[int, str]]] = []
    opened: list[str] = []

    def open_url(url: str) -> bool:
        opened.append(url)

        async def play() -> tuple[int, str]:
            return await visit(await authorize(url))

        browser.append(asyncio.create_task(play()))
        return True

    async def body() -> None:
        credentials = secrets.add(
            await run_browser_login(
                issuer=server.issuer, callback_port=0, open_url=open_url, out=out
            )
        )
        assert credentials.account_id == server.account_id
        status, page = await browser[0]
        assert status == 200
        assert "Signed in" in page
        (url,) = opened
        assert url in out.getvalue()
        redirect = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        assert redirect.startswith("http://localhost:") and redirect.endswith("/auth/callback")
        assert refused(port_of(redirect))  # the server shut down after its one callback

    run(body)


def test_browser_login_no_browser_prints_the_url(server: FakeCodexServer, secrets: Secrets) -> None:
    """no_browser opens nothing: the URL is printed, and the user's browser does the rest."""
    out = Screen()
    opened: list[str] = []

    async def user() -> tuple[int, str]:
        match = await out.wait_for(AUTHORIZE_URL)
        return await visit(await authorize(match.group(0)))

    async def body() -> None:
        task = asyncio.create_task(user())
        credentials = await run_browser_login(
            issuer=server.issuer, callback_port=0, no_browser=True, open_url=opened.append, out=out
        )
        secrets.add(credentials)
        assert (await task)[0] == 200
        assert opened == []

    run(body)


def state_of(url: str) -> str:
    """The ``state`` parameter of an authorize URL."""
    return parse_qs(urlsplit(url).query)["state"][0]


def redirect_of(url: str) -> str:
    """The ``redirect_uri`` parameter of an authorize URL: the local callback."""
    return parse_qs(urlsplit(url).query)["redirect_uri"][0]


def test_browser_login_ignores_forged_callbacks_until_the_real_one(
    server: FakeCodexServer, secrets: Secrets
) -> None:
    """Callbacks with a wrong or no state get 400 "State mismatch"; the login keeps waiting."""
    opened: list[str] = []
    ready = asyncio.Event()

    def open_url(url: str) -> bool:
        opened.append(url)
        ready.set()
        return True

    async def body() -> None:
        login = asyncio.create_task(
            run_browser_login(
                issuer=server.issuer, callback_port=0, open_url=open_url, out=io.StringIO()
            )
        )
        await ready.wait()
        (url,) = opened
        callback = redirect_of(url)
        # What any web page can make the browser send, knowing the port but not the state.
        forged = [
            f"{callback}?state=x",
            f"{callback}?code=stolen&state=x",
            f"{callback}?code=c",
            f"{callback}?code=c&state=",
            f"{callback}?error=access_denied&state=x",
            f"{callback}?state=x&state={state_of(url)}",  # the first value counts
            callback,
        ]
        for attempt in forged:
            status, page = await visit(attempt)
            assert status == 400, attempt
            assert "State mismatch" in page
            assert "still waiting" in page
        await asyncio.sleep(0.2)  # time for a wrongly ended login to end
        assert not login.done()
        assert not refused(port_of(callback))
        status, page = await visit(await authorize(url))
        assert (status, "Signed in" in page) == (200, True)
        credentials = secrets.add(await login)
        assert credentials.account_id == server.account_id
        assert refused(port_of(callback))

    run(body)


def test_browser_login_a_valid_callback_without_a_code_ends_it(server: FakeCodexServer) -> None:
    """After a forged callback, the right state with no code ends the login: missing_code."""
    pages: list[tuple[int, str]] = []

    async def play(url: str) -> None:
        pages.append(await visit(f"{redirect_of(url)}?state=forged"))
        pages.append(await visit(f"{redirect_of(url)}?state={state_of(url)}"))

    async def body() -> None:
        with pytest.raises(LoginError, match="no authorization code") as info:
            await run_browser_login(
                issuer=server.issuer, callback_port=0, open_url=play, out=io.StringIO()
            )
        assert info.value.code == "missing_code"
        assert isinstance(info.value, AuthError)
        (forged_status, forged_page), (status, page) = pages
        assert (forged_status, "State mismatch" in forged_page) == (400, True)
        assert status == 400
        assert "no authorization code" in page

    run(body)


def test_browser_login_an_issuer_error_after_a_forged_callback_ends_it(
    server: FakeCodexServer,
) -> None:
    """A forged callback first, then the issuer's error redirect: that error ends the login."""
    pages: list[tuple[int, str]] = []

    async def play(url: str) -> None:
        location = await authorize(url)
        pages.append(await visit(with_state(location, "forged")))
        pages.append(await visit(location))

    async def body() -> None:
        with pytest.raises(LoginError, match="access_denied: User cancelled") as info:
            await run_browser_login(
                issuer=server.issuer, callback_port=0, open_url=play, out=io.StringIO()
            )
        assert info.value.code == "access_denied"
        assert [status for status, _ in pages] == [400, 400]
        assert "State mismatch" in pages[0][1]
        assert "User cancelled" in pages[1][1]

    server.authorize_error = ("access_denied", "User cancelled")
    try:
        run(body)
    finally:
        server.authorize_error = None


def test_forged_callbacks_warn_once_per_sign_in(
    server: FakeCodexServer, secrets: Secrets, caplog: pytest.LogCaptureFixture
) -> None:
    """A page spamming the callback gets one WARNING per sign-in; the rest go to DEBUG."""

    async def play(url: str) -> None:
        for n in range(5):
            status, _ = await visit(f"{redirect_of(url)}?state=forged-{n}")
            assert status == 400
        await visit(await authorize(url))

    async def sign_in() -> None:
        secrets.add(
            await run_browser_login(
                issuer=server.issuer, callback_port=0, open_url=play, out=io.StringIO()
            )
        )

    def forged_records() -> list[logging.LogRecord]:
        return [r for r in caplog.records if "state does not match" in r.getMessage()]

    run(sign_in)
    levels = [record.levelno for record in forged_records()]
    assert levels == [logging.WARNING] + [logging.DEBUG] * 4
    caplog.clear()
    run(sign_in)  # a new sign-in warns again, once
    assert [record.levelno for record in forged_records()] == levels


def test_a_failed_browser_login_is_caught_as_runtime_error(server: FakeCodexServer) -> None:
    """0.2.2 users wrote ``except RuntimeError``: a LoginError from a real flow is one."""
    import codex_open_client as c

    async def play(url: str) -> None:
        await visit(f"{redirect_of(url)}?state={state_of(url)}")  # the right state, no code

    async def body() -> None:
        try:
            await run_browser_login(
                issuer=server.issuer, callback_port=0, open_url=play, out=io.StringIO()
            )
        except RuntimeError as exc:
            assert isinstance(exc, c.LoginError) and isinstance(exc, c.AuthError)
            assert exc.code == "missing_code"
        else:
            raise AssertionError("the sign-in did not fail")

    run(body)


def test_browser_login_accepts_one_valid_callback(
    server: FakeCodexServer, secrets: Secrets
) -> None:
    """Two valid callbacks at once: one is exchanged and signs in, the other gets 409."""
    pages: list[tuple[int, str]] = []

    async def play(url: str) -> None:
        location = await authorize(url)
        pages.extend(await asyncio.gather(visit(location), visit(location)))

    async def body() -> None:
        secrets.add(
            await run_browser_login(
                issuer=server.issuer, callback_port=0, open_url=play, out=io.StringIO()
            )
        )

    run(body)
    assert sorted(status for status, _ in pages) == [200, 409]
    assert any("already finished" in page for _, page in pages)


def test_browser_login_reports_a_missing_codex_entitlement(server: FakeCodexServer) -> None:
    """The issuer denying access for a missing entitlement: an error page and a clear error."""
    pages: list[tuple[int, str]] = []

    async def play(url: str) -> None:
        pages.append(await visit(await authorize(url)))

    async def body() -> None:
        with pytest.raises(LoginError, match="Codex is not enabled") as info:
            await run_browser_login(
                issuer=server.issuer, callback_port=0, open_url=play, out=io.StringIO()
            )
        assert info.value.code == "missing_codex_entitlement"
        ((status, page),) = pages
        assert status == 400
        assert "Codex is not enabled" in page

    server.authorize_error = ("access_denied", "missing_codex_entitlement")
    try:
        run(body)
    finally:
        server.authorize_error = None


def test_callback_server_answers_only_its_callback_path(
    server: FakeCodexServer, secrets: Secrets
) -> None:
    """Other paths and methods get 404/405 and do not end the login; the callback does."""
    answers: list[tuple[int, str]] = []

    async def play(url: str) -> None:
        location = await authorize(url)
        origin = location.split("/auth/callback")[0]
        for path in ("/", "/success", "/auth/callbackx", "/cancel", "/auth/callback/x"):
            answers.append(await visit(origin + path))
        answers.append(await visit(location, method="POST"))
        answers.append(await visit(location, method="HEAD"))
        answers.append(await visit(location))

    async def body() -> None:
        secrets.add(
            await run_browser_login(
                issuer=server.issuer, callback_port=0, open_url=play, out=io.StringIO()
            )
        )

    run(body)
    assert [status for status, _ in answers] == [404] * 5 + [405, 405, 200]


def test_browser_login_times_out_and_closes_its_server(server: FakeCodexServer) -> None:
    """No callback within the timeout: a clear error, and the port is released."""
    out = io.StringIO()

    async def body() -> None:
        with pytest.raises(LoginError, match="timed out") as info:
            await run_browser_login(
                issuer=server.issuer, callback_port=0, no_browser=True, timeout=0.2, out=out
            )
        assert info.value.code == "timeout"
        match = AUTHORIZE_URL.search(out.getvalue())
        assert match is not None
        redirect = parse_qs(urlsplit(match.group(0)).query)["redirect_uri"][0]
        assert refused(port_of(redirect))

    run(body)


def test_callback_server_binds_loopback_only() -> None:
    """The callback socket is bound to 127.0.0.1, never to all interfaces."""
    with _bind(0) as sock:
        assert sock.getsockname()[0] == "127.0.0.1"


def test_default_port_falls_back_to_1457_when_busy() -> None:
    """With 1455 taken, the callback server uses 1457."""
    holder = socket.socket()
    try:
        try:
            holder.bind(("127.0.0.1", 1455))
            holder.listen()
        except OSError:
            pytest.skip("port 1455 is in use on this machine")
        try:
            sock = _bind(1455)
        except LoginError:
            pytest.skip("port 1457 is in use on this machine")
        with sock:
            assert sock.getsockname() == ("127.0.0.1", 1457)
    finally:
        holder.close()


def test_a_busy_explicit_port_is_a_clear_error() -> None:
    """Another port given explicitly and busy: an error naming it, no silent other port."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(LoginError, match=f"port {port}:") as info:
            _bind(port)
        assert info.value.code == "callback_port_busy"


# --------------------------------------------------------------------------- handler


def test_sync_handler_login(server: FakeCodexServer, secrets: Secrets) -> None:
    """A sync handler (run in a worker thread, so it may block) returns the callback URL."""
    urls: list[str] = []

    def handler(url: str) -> str:
        urls.append(url)
        return authorize_blocking(url)

    async def body() -> Credentials:
        return await run_handler_login(handler, issuer=server.issuer, callback_port=0)

    credentials = secrets.add(run(body))
    assert credentials.account_id == server.account_id
    assert len(urls) == 1 and urls[0].startswith(server.issuer + "/oauth/authorize?")


def test_async_handler_login(server: FakeCodexServer, secrets: Secrets) -> None:
    """An async handler is awaited."""

    async def handler(url: str) -> str:
        return await authorize(url)

    async def body() -> Credentials:
        return await run_handler_login(handler, issuer=server.issuer)

    assert secrets.add(run(body)).account_id == server.account_id


def test_handler_returning_an_awaitable_from_a_sync_callable(
    server: FakeCodexServer, secrets: Secrets
) -> None:
    """A plain callable returning a coroutine (a lambda around an async function) works."""

    async def body() -> Credentials:
        return await run_handler_login(lambda url: authorize(url), issuer=server.issuer)

    secrets.add(run(body))


def test_handler_returning_no_url_is_a_type_error(server: FakeCodexServer) -> None:
    """A handler that returns something else than a str fails with a TypeError naming it."""

    async def body() -> None:
        with pytest.raises(TypeError, match="returned NoneType"):
            await run_handler_login(lambda url: None, issuer=server.issuer)  # type: ignore[arg-type,return-value]

    run(body)


def test_handler_with_a_forged_url_fails_on_state(server: FakeCodexServer) -> None:
    """The handler's URL is checked like any other: a wrong state fails."""

    async def handler(url: str) -> str:
        return with_state(await authorize(url), "forged")

    async def body() -> None:
        with pytest.raises(LoginError, match="State mismatch"):
            await run_handler_login(handler, issuer=server.issuer)

    run(body)


# --------------------------------------------------------------------------- headless


def test_headless_login_reads_the_pasted_url(server: FakeCodexServer, secrets: Secrets) -> None:
    """The URL is printed; empty lines are skipped; the pasted redirect URL finishes the login."""
    out = io.StringIO()
    prompts: list[str] = []

    def read_line(prompt: str) -> str:
        prompts.append(prompt)
        if len(prompts) == 1:
            return "   "
        match = AUTHORIZE_URL.search(out.getvalue())
        assert match is not None
        return "  " + authorize_blocking(match.group(0)) + "\n"

    async def body() -> Credentials:
        return await run_headless_login(
            issuer=server.issuer, callback_port=1455, read_line=read_line, out=out
        )

    credentials = secrets.add(run(body))
    assert credentials.account_id == server.account_id
    assert prompts == ["Redirect URL: ", "Redirect URL: "]
    assert "http://localhost:1455/auth/callback" in out.getvalue()


def test_headless_login_end_of_input_fails(server: FakeCodexServer) -> None:
    """End of input (Ctrl-D) before any URL: a clear error."""

    def read_line(prompt: str) -> str:
        raise EOFError

    async def body() -> None:
        with pytest.raises(LoginError, match="No redirect URL") as info:
            await run_headless_login(issuer=server.issuer, read_line=read_line, out=io.StringIO())
        assert info.value.code == "no_input"

    run(body)


def test_headless_login_rejects_a_url_from_another_sign_in(server: FakeCodexServer) -> None:
    """A pasted URL with another state fails with state_mismatch."""
    out = io.StringIO()

    def read_line(prompt: str) -> str:
        match = AUTHORIZE_URL.search(out.getvalue())
        assert match is not None
        return with_state(authorize_blocking(match.group(0)), "old")

    async def body() -> None:
        with pytest.raises(LoginError, match="State mismatch"):
            await run_headless_login(issuer=server.issuer, read_line=read_line, out=out)

    run(body)


# --------------------------------------------------------------------------- device code


def test_device_login_polls_until_approved(server: FakeCodexServer, secrets: Secrets) -> None:
    """The URL and code are printed; a poll answered "pending" comes first, then the tokens."""
    out = Screen()

    async def user() -> str:
        match = await out.wait_for(re.compile(r"one-time code:\s+(\S+)"))
        # The code request and two polls: the first one was surely answered "pending".
        await asyncio.to_thread(server.wait_for_requests, 3)
        server.approve_device_code(match.group(1))
        return match.group(1)

    async def body() -> None:
        task = asyncio.create_task(user())
        credentials = secrets.add(await run_device_login(issuer=server.issuer, out=out))
        code = await task
        assert credentials.account_id == server.account_id
        assert f"{server.issuer}/codex/device" in out.getvalue()
        assert code in out.getvalue()
        paths = [request.path for request in server.requests]
        assert paths[0] == "/api/accounts/deviceauth/usercode"
        assert paths.count("/api/accounts/deviceauth/token") >= 2
        assert paths[-1] == "/oauth/token"

    server.device_poll_interval = 0.05
    try:
        run(body)
    finally:
        server.device_poll_interval = 1.0


def test_device_login_times_out(server: FakeCodexServer) -> None:
    """A code nobody approves ends with a timeout error."""

    async def body() -> None:
        with pytest.raises(LoginError, match="timed out"):
            await run_device_login(issuer=server.issuer, timeout=0.3, out=io.StringIO())

    run(body)


# --------------------------------------------------------------------------- security


def test_no_token_in_reprs_or_error_texts(server: FakeCodexServer, secrets: Secrets) -> None:
    """After a sign-in and a failed reuse, no token is in a repr or an exception text."""

    async def body() -> tuple[Credentials, PendingLogin, list[BaseException]]:
        pending = await astart_login(issuer=server.issuer)
        location = await authorize(pending.url)
        credentials = secrets.add(await afinish_login(pending, location))
        errors: list[BaseException] = []
        for attempt in (
            afinish_login(pending, location),
            with_transport(
                lambda t: refresh_token_request(
                    t,
                    url=refresh_url(server.issuer),
                    refresh_token="x" + str(credentials.refresh_token),
                )
            ),
        ):
            try:
                await attempt
            except AuthError as exc:
                errors.append(exc)
        return credentials, pending, errors

    credentials, pending, errors = run(body)
    assert len(errors) == 2
    texts = [repr(credentials), str(credentials), repr(pending)]
    texts += [str(error) for error in errors] + [repr(error) for error in errors]
    for value in secrets.values:
        for text in texts:
            assert value not in text
