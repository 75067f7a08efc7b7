"""Tests for ``_oauth``: the sans-IO helpers, and the token-endpoint calls over real sockets."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import re
import socket
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timezone
from types import TracebackType
from typing import TypeVar
from urllib.parse import parse_qsl, urlsplit

import pytest
from aiohttp import web

from codex_open_client._auth._oauth import (
    DeviceCode,
    LoginError,
    Pkce,
    RefreshError,
    _interval,
    authorize_url,
    callback_state_matches,
    device_redirect_uri,
    exchange_code,
    new_pkce,
    new_state,
    parse_callback,
    poll_device_code,
    refresh_token_request,
    refresh_url,
    request_device_code,
    revoke,
    revoke_url,
    token_url,
)
from codex_open_client._auth._tokens import CLIENT_ID, SCOPES, Credentials
from codex_open_client._exceptions import APIConnectionError, AuthError
from codex_open_client._transport import Transport

T = TypeVar("T")

ISSUER = "https://auth.example.com"
REDIRECT = "http://localhost:1455/auth/callback"
SECRET_REFRESH = "rt_SECRET-refresh-token-value"
SECRET_ACCESS = "at_SECRET-access-token-value"
B64URL = re.compile(r"^[A-Za-z0-9_-]+$")


def run(factory: Callable[[], Awaitable[T]]) -> T:
    """Run an async test body on a fresh event loop."""

    async def main() -> T:
        return await factory()

    return asyncio.run(main())


@pytest.fixture(autouse=True)
def _no_override_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests start without the URL override variables a developer may have set."""
    monkeypatch.delenv("CODEX_REFRESH_TOKEN_URL_OVERRIDE", raising=False)
    monkeypatch.delenv("CODEX_REVOKE_TOKEN_URL_OVERRIDE", raising=False)


@pytest.fixture(autouse=True)
def _debug_logs_hold_no_secret(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test logs at DEBUG; no secret used in this module may appear in the log."""
    caplog.set_level(logging.DEBUG)
    yield
    for secret in (SECRET_REFRESH, SECRET_ACCESS, "eyJ"):
        assert secret not in caplog.text


class Canned:
    """A tiny real HTTP server answering queued ``(status, body)`` pairs and recording requests.

    The last answer repeats once the queue is down to one.
    """

    def __init__(self, *answers: tuple[int, object]) -> None:
        self.answers = list(answers)
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.append((request.method, request.path_qs, dict(request.headers), body))
        status, payload = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(payload, (dict, list)):
            return web.json_response(payload, status=status)
        if isinstance(payload, bytes):
            return web.Response(status=status, body=payload)
        return web.Response(status=status, text=str(payload), content_type="text/html")

    async def __aenter__(self) -> Canned:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


async def with_transport(body: Callable[[Transport], Awaitable[T]]) -> T:
    """Run ``body`` with a transport that is closed afterwards."""
    transport = Transport()
    try:
        return await body(transport)
    finally:
        await transport.aclose()


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def credentials(refresh_token: str | None = SECRET_REFRESH) -> Credentials:
    """Credentials holding the module's secret tokens."""
    data = {"access_token": SECRET_ACCESS}
    if refresh_token is not None:
        data["refresh_token"] = refresh_token
    return Credentials.from_token_response(data, now=datetime.now(timezone.utc))


# --------------------------------------------------------------------------- PKCE and state


def test_pkce_verifier_is_86_base64url_chars_and_challenge_is_its_s256() -> None:
    """The verifier is 64 random bytes as base64url (86 chars); the challenge is its SHA-256."""
    pkce = new_pkce()
    assert len(pkce.verifier) == 86
    assert B64URL.match(pkce.verifier)
    digest = hashlib.sha256(pkce.verifier.encode()).digest()
    assert pkce.challenge == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert len(pkce.challenge) == 43
    assert new_pkce().verifier != pkce.verifier


def test_pkce_repr_hides_the_verifier() -> None:
    """The verifier is secret: it is not in the repr."""
    pkce = new_pkce()
    assert pkce.verifier not in repr(pkce)
    assert pkce.challenge in repr(pkce)


def test_state_is_32_random_bytes_base64url() -> None:
    """The state is 43 base64url characters, different each time."""
    state = new_state()
    assert len(state) == 43
    assert B64URL.match(state)
    assert new_state() != state


# --------------------------------------------------------------------------- authorize URL


def test_authorize_url_has_exactly_the_cli_parameters_in_order() -> None:
    """The parameters, their order and their values are the Codex CLI's."""
    pkce = Pkce(verifier="v" * 86, challenge="CHALLENGE_abc-123")
    url = authorize_url(
        issuer=ISSUER,
        redirect_uri=REDIRECT,
        pkce=pkce,
        state="STATE_xyz",
        originator="codex_cli_rs",
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{ISSUER}/oauth/authorize"
    assert parse_qsl(parts.query) == [
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("scope", SCOPES),
        ("code_challenge", "CHALLENGE_abc-123"),
        ("code_challenge_method", "S256"),
        ("id_token_add_organizations", "true"),
        ("codex_cli_simplified_flow", "true"),
        ("state", "STATE_xyz"),
        ("originator", "codex_cli_rs"),
    ]
    assert CLIENT_ID == "app_EMoamEEZ73f0CkXaXp7hrann"
    assert SCOPES == "openid profile email offline_access api.connectors.read api.connectors.invoke"
    assert "audience" not in url and "prompt=" not in url


def test_authorize_url_percent_encodes_values_like_the_cli() -> None:
    """Values are percent-encoded with nothing reserved left raw (spaces as %20, not +)."""
    pkce = Pkce(verifier="v" * 86, challenge="c")
    url = authorize_url(
        issuer=ISSUER + "/", redirect_uri=REDIRECT, pkce=pkce, state="s", originator="my app/1"
    )
    assert url.startswith(f"{ISSUER}/oauth/authorize?response_type=code&")
    assert "redirect_uri=http%3A%2F%2Flocalhost%3A1455%2Fauth%2Fcallback&" in url
    assert "scope=openid%20profile%20email%20offline_access%20api.connectors.read%20" in url
    assert url.endswith("&state=s&originator=my%20app%2F1")
    assert pkce.verifier not in url


# --------------------------------------------------------------------------- callback


def test_parse_callback_returns_the_code_when_state_matches() -> None:
    """A redirect URL with the right state gives its code; a bare query string works too."""
    assert parse_callback(f"{REDIRECT}?code=abc&state=S1", state="S1") == "abc"
    assert parse_callback("  code=abc%2Fdef&state=S1\n", state="S1") == "abc/def"


@pytest.mark.parametrize(
    "url",
    [
        pytest.param(f"{REDIRECT}?code=abc&state=OTHER", id="other-state"),
        pytest.param(f"{REDIRECT}?code=abc", id="no-state"),
        pytest.param(f"{REDIRECT}?code=abc&state=", id="empty-state"),
        pytest.param(f"{REDIRECT}?error=access_denied&state=OTHER", id="error-with-other-state"),
    ],
)
def test_parse_callback_rejects_a_state_mismatch(url: str) -> None:
    """A missing or different state fails with state_mismatch, before anything else."""
    with pytest.raises(LoginError, match="State mismatch") as info:
        parse_callback(url, state="S1")
    assert info.value.code == "state_mismatch"
    assert isinstance(info.value, AuthError)


def test_parse_callback_explains_a_missing_codex_entitlement() -> None:
    """access_denied with missing_codex_entitlement says Codex is not enabled."""
    url = f"{REDIRECT}?error=access_denied&error_description=missing_codex_entitlement&state=S"
    with pytest.raises(LoginError, match="Codex is not enabled for your workspace") as info:
        parse_callback(url, state="S")
    assert info.value.code == "missing_codex_entitlement"


def test_parse_callback_reports_other_errors_with_their_description() -> None:
    """Any other error names the error and its description."""
    url = f"{REDIRECT}?error=access_denied&error_description=User%20cancelled&state=S"
    with pytest.raises(LoginError, match="access_denied: User cancelled") as info:
        parse_callback(url, state="S")
    assert info.value.code == "access_denied"


@pytest.mark.parametrize(
    ("url", "code"),
    [
        pytest.param(f"{REDIRECT}?state=S", "missing_code", id="no-code"),
        pytest.param(f"{REDIRECT}?code=&state=S", "missing_code", id="empty-code"),
        pytest.param("hello", "invalid_callback", id="not-a-url"),
        pytest.param(REDIRECT, "invalid_callback", id="no-query"),
        pytest.param("http://[x/?code=c&state=S", "invalid_callback", id="unparsable-url"),
        pytest.param("code=c&state=\ud800", "state_mismatch", id="lone-surrogate-state"),
    ],
)
def test_parse_callback_rejects_a_url_without_a_code(url: str, code: str) -> None:
    """A URL without a code, or not a redirect URL at all, fails clearly."""
    with pytest.raises(LoginError) as info:
        parse_callback(url, state="S")
    assert info.value.code == code


@pytest.mark.parametrize(
    ("url", "matches"),
    [
        pytest.param("/auth/callback?code=c&state=S1", True, id="right"),
        pytest.param("/auth/callback?state=S1", True, id="right-without-code"),
        pytest.param("/auth/callback?error=access_denied&state=S1", True, id="right-with-error"),
        pytest.param("/auth/callback?state=x", False, id="other"),
        pytest.param("/auth/callback?state=S", False, id="prefix"),
        pytest.param("/auth/callback?code=c", False, id="none"),
        pytest.param("/auth/callback?state=&code=c", False, id="empty"),
        pytest.param("/auth/callback?state=x&state=S1", False, id="first-value-counts"),
        pytest.param("/auth/callback", False, id="no-query"),
        pytest.param("http://[x/?state=S1", False, id="unparsable"),
    ],
)
def test_callback_state_matches_only_this_sign_in(url: str, matches: bool) -> None:
    """The browser flow's first check: the state, as parse_callback reads it."""
    assert callback_state_matches(url, state="S1") is matches


# --------------------------------------------------------------------------- URLs and overrides


def test_endpoint_urls_default_to_the_issuer() -> None:
    """Without overrides every endpoint hangs off the issuer (a trailing slash is ignored)."""
    assert token_url(ISSUER + "/") == f"{ISSUER}/oauth/token"
    assert refresh_url(ISSUER) == f"{ISSUER}/oauth/token"
    assert revoke_url(ISSUER) == f"{ISSUER}/oauth/revoke"
    assert device_redirect_uri(ISSUER) == f"{ISSUER}/deviceauth/callback"


def test_refresh_override_moves_refresh_and_revoke_but_not_the_code_exchange(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CODEX_REFRESH_TOKEN_URL_OVERRIDE is the refresh URL; revoke takes its origin."""
    monkeypatch.setenv("CODEX_REFRESH_TOKEN_URL_OVERRIDE", "http://proxy:8080/custom/token?x=1")
    assert refresh_url(ISSUER) == "http://proxy:8080/custom/token?x=1"
    assert revoke_url(ISSUER) == "http://proxy:8080/oauth/revoke"
    assert token_url(ISSUER) == f"{ISSUER}/oauth/token"


def test_revoke_override_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    """CODEX_REVOKE_TOKEN_URL_OVERRIDE beats the one derived from the refresh override."""
    monkeypatch.setenv("CODEX_REFRESH_TOKEN_URL_OVERRIDE", "http://proxy:8080/custom/token")
    monkeypatch.setenv("CODEX_REVOKE_TOKEN_URL_OVERRIDE", "http://other/revoke-here")
    assert revoke_url(ISSUER) == "http://other/revoke-here"


def test_blank_overrides_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    """An override set to blanks counts as unset."""
    monkeypatch.setenv("CODEX_REFRESH_TOKEN_URL_OVERRIDE", "  ")
    monkeypatch.setenv("CODEX_REVOKE_TOKEN_URL_OVERRIDE", "")
    assert refresh_url(ISSUER) == f"{ISSUER}/oauth/token"
    assert revoke_url(ISSUER) == f"{ISSUER}/oauth/revoke"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        pytest.param("5", 5.0, id="string"),
        pytest.param(" 2 ", 2.0, id="padded-string"),
        pytest.param("0.5", 0.5, id="fraction"),
        pytest.param(3, 3.0, id="number"),
        pytest.param("soon", 5.0, id="garbage"),
        pytest.param(None, 5.0, id="missing"),
        pytest.param("-1", 5.0, id="negative"),
        pytest.param("nan", 5.0, id="nan"),
        pytest.param(True, 5.0, id="bool"),
    ],
)
def test_device_interval_is_parsed_from_a_string(value: object, seconds: float) -> None:
    """The poll interval comes as a string; anything unusable means the default 5 s."""
    assert _interval(value) == seconds


# --------------------------------------------------------------------------- code exchange


def test_exchange_code_is_a_form_post_with_the_cli_fields() -> None:
    """The code exchange posts the five form fields, in order, and returns the JSON."""
    tokens = {"id_token": "i", "access_token": "a", "refresh_token": "r", "extra": 1}

    async def body() -> None:
        async with Canned((200, tokens)) as canned:
            data = await with_transport(
                lambda t: exchange_code(
                    t, issuer=canned.url, code="CODE", redirect_uri=REDIRECT, verifier="VERIFIER"
                )
            )
        assert data == tokens
        method, path, headers, sent = canned.requests[0]
        assert (method, path) == ("POST", "/oauth/token")
        assert headers["Content-Type"] == "application/x-www-form-urlencoded"
        assert parse_qsl(sent.decode()) == [
            ("grant_type", "authorization_code"),
            ("code", "CODE"),
            ("redirect_uri", REDIRECT),
            ("client_id", CLIENT_ID),
            ("code_verifier", "VERIFIER"),
        ]

    run(body)


@pytest.mark.parametrize(
    ("answer", "code", "text"),
    [
        pytest.param(
            (400, {"error": "invalid_grant", "error_description": "bad verifier VERIFIER"}),
            "invalid_grant",
            "invalid_grant: bad verifier [redacted]",
            id="string-error",
        ),
        pytest.param(
            (400, {"error": {"code": "bad_code", "message": "code ac_CODE_0123 is unknown"}}),
            "bad_code",
            "bad_code: code [redacted] is unknown",
            id="object-error",
        ),
        pytest.param((503, "<html>down</html>"), None, "HTTP 503: <html>down</html>", id="html"),
        pytest.param((200, {"no": "tokens"}), None, "without an access token", id="no-token"),
        pytest.param((200, b"not json"), None, "without an access token", id="not-json"),
    ],
)
def test_exchange_code_errors_are_login_errors_without_secrets(
    answer: tuple[int, object], code: str | None, text: str
) -> None:
    """A refused exchange raises LoginError with the server's reason, code and verifier scrubbed.

    (Codes are long; redaction leaves strings under 8 characters alone.)
    """

    async def body() -> None:
        async with Canned(answer) as canned:
            with pytest.raises(LoginError) as info:
                await with_transport(
                    lambda t: exchange_code(
                        t,
                        issuer=canned.url,
                        code="ac_CODE_0123",
                        redirect_uri=REDIRECT,
                        verifier="VERIFIER",
                    )
                )
        error = info.value
        assert text in str(error)
        assert error.code == code
        assert error.status_code == answer[0]
        assert "VERIFIER" not in str(error) and "CODE" not in str(error)
        assert "VERIFIER" not in repr(error.body) and "CODE" not in repr(error.body)
        if isinstance(error.body, dict):  # kept, with the secrets redacted
            assert "[redacted]" in repr(error.body)

    run(body)


# --------------------------------------------------------------------------- refresh


def test_refresh_is_a_json_post_with_the_cli_body_and_given_headers() -> None:
    """Refresh posts JSON {client_id, grant_type, refresh_token} with the caller's headers."""

    async def body() -> None:
        async with Canned((200, {"access_token": "new"})) as canned:
            data = await with_transport(
                lambda t: refresh_token_request(
                    t,
                    url=canned.url + "/oauth/token",
                    refresh_token=SECRET_REFRESH,
                    headers={"originator": "codex_cli_rs"},
                )
            )
        assert data == {"access_token": "new"}
        method, path, headers, sent = canned.requests[0]
        assert (method, path) == ("POST", "/oauth/token")
        assert headers["Content-Type"] == "application/json"
        assert headers["originator"] == "codex_cli_rs"
        assert json.loads(sent) == {
            "client_id": CLIENT_ID,
            "grant_type": "refresh_token",
            "refresh_token": SECRET_REFRESH,
        }
        assert list(json.loads(sent)) == ["client_id", "grant_type", "refresh_token"]

    run(body)


REUSED = "Your access token could not be refreshed because your refresh token was already used."


@pytest.mark.parametrize(
    ("answer", "permanent", "code", "text"),
    [
        pytest.param(
            (401, {"error": {"code": "refresh_token_expired"}}),
            True,
            "refresh_token_expired",
            "because your refresh token has expired. Please log out and sign in again.",
            id="expired",
        ),
        pytest.param(
            (401, {"error": {"code": "refresh_token_reused", "message": "already used"}}),
            True,
            "refresh_token_reused",
            REUSED,
            id="reused",
        ),
        pytest.param(
            (400, {"error": "refresh_token_invalidated"}),
            True,
            "refresh_token_invalidated",
            "because your refresh token was revoked. Please log out and sign in again.",
            id="revoked-string-error-400",
        ),
        pytest.param(
            (400, {"code": "REFRESH_TOKEN_REUSED"}),
            True,
            "refresh_token_reused",
            REUSED,
            id="top-level-code-uppercase",
        ),
        pytest.param(
            (401, {"error": {"code": "something_else"}}),
            True,
            "something_else",
            "Your access token could not be refreshed. Please log out and sign in again.",
            id="other-401",
        ),
        pytest.param(
            (500, {"error": {"message": "boom"}}),
            False,
            None,
            "Failed to refresh token: 500: boom",
            id="5xx",
        ),
        pytest.param(
            (502, "<html>Bad gateway</html>"),
            False,
            None,
            "Failed to refresh token: 502: <html>Bad gateway</html>",
            id="html-502",
        ),
        pytest.param(
            (400, {"error": {"code": "invalid_request", "message": "nope"}}),
            False,
            "invalid_request",
            "Failed to refresh token: 400: nope",
            id="other-400",
        ),
        pytest.param(
            (200, b"[1, 2]"),
            False,
            None,
            "Failed to refresh token: 200: the answer is not a JSON object",
            id="200-not-an-object",
        ),
    ],
)
def test_refresh_failures_are_classified_like_the_cli(
    answer: tuple[int, object], permanent: bool, code: str | None, text: str
) -> None:
    """401 or a known code is permanent (sign in again); anything else is transient."""

    async def body() -> None:
        async with Canned(answer) as canned:
            with pytest.raises(RefreshError) as info:
                await with_transport(
                    lambda t: refresh_token_request(t, url=canned.url, refresh_token=SECRET_REFRESH)
                )
        error = info.value
        assert isinstance(error, AuthError)
        assert error.permanent is permanent
        assert error.code == code
        assert error.status_code == answer[0]
        assert text in error.message

    run(body)


def test_refresh_error_never_echoes_the_refresh_token() -> None:
    """A server that echoes the refresh token back does not get it into the exception."""
    echo = {"error": {"message": f"bad token {SECRET_REFRESH}"}}

    async def body() -> None:
        async with Canned((500, echo)) as canned:
            with pytest.raises(RefreshError) as info:
                await with_transport(
                    lambda t: refresh_token_request(t, url=canned.url, refresh_token=SECRET_REFRESH)
                )
        assert SECRET_REFRESH not in str(info.value)
        assert SECRET_REFRESH not in repr(info.value.body)
        assert "bad token [redacted]" in str(info.value)

    run(body)


def test_refresh_network_failure_raises_a_connection_error() -> None:
    """No answer at all is an APIConnectionError (transient), naming no token."""

    async def body() -> None:
        with pytest.raises(APIConnectionError) as info:
            await with_transport(
                lambda t: refresh_token_request(
                    t,
                    url=f"http://127.0.0.1:{free_port()}/oauth/token",
                    refresh_token=SECRET_REFRESH,
                )
            )
        assert SECRET_REFRESH not in str(info.value)

    run(body)


def _escaped(text: str) -> str:
    """``text`` with every character as a JSON ``\\uXXXX`` escape (a valid JSON spelling)."""
    return "".join(f"\\u{ord(char):04x}" for char in text)


def test_refresh_error_never_echoes_an_escaped_refresh_token() -> None:
    """The token spelled with \\u escapes: redacted from the message and the decoded body."""
    raw = f'{{"error":{{"message":"bad token {_escaped(SECRET_REFRESH)}","code":"x"}}}}'

    async def body() -> None:
        async with Canned((500, raw.encode())) as canned:
            with pytest.raises(RefreshError) as info:
                await with_transport(
                    lambda t: refresh_token_request(t, url=canned.url, refresh_token=SECRET_REFRESH)
                )
        error = info.value
        for shown in (str(error), error.message, repr(error.body)):
            assert SECRET_REFRESH not in shown
            assert _escaped(SECRET_REFRESH) not in shown
        assert error.body == {"error": {"message": "bad token [redacted]", "code": "x"}}
        assert "bad token [redacted]" in str(error)

    run(body)


def test_exchange_error_keeps_the_body_with_the_code_redacted() -> None:
    """An echoed code (here half escaped) is redacted from the body, which is kept."""
    code = "ac_CODE_0123456789"
    echo = code[:6] + _escaped(code[6:])
    raw = f'{{"error":"invalid_grant","error_description":"unknown code {echo}"}}'

    async def body() -> None:
        async with Canned((400, raw.encode())) as canned:
            with pytest.raises(LoginError) as info:
                await with_transport(
                    lambda t: exchange_code(
                        t, issuer=canned.url, code=code, redirect_uri=REDIRECT, verifier="V" * 86
                    )
                )
        error = info.value
        assert error.body == {
            "error": "invalid_grant",
            "error_description": "unknown code [redacted]",
        }
        assert "invalid_grant: unknown code [redacted]" in str(error)
        assert code not in str(error) and code not in repr(error.body)

    run(body)


@pytest.mark.parametrize("status", [200, 400])
def test_a_token_endpoint_answer_nested_too_deeply_is_an_auth_error(status: int) -> None:
    """100,000 nested brackets: the malformed-answer error of each call, no RecursionError."""
    nested = b"[" * 100_000 + b"]" * 100_000

    async def body() -> None:
        async with Canned((status, nested)) as canned:
            with pytest.raises(LoginError) as login:
                await with_transport(
                    lambda t: exchange_code(
                        t, issuer=canned.url, code="c" * 20, redirect_uri=REDIRECT, verifier="v"
                    )
                )
            with pytest.raises(RefreshError) as refresh:
                await with_transport(
                    lambda t: refresh_token_request(t, url=canned.url, refresh_token=SECRET_REFRESH)
                )
        if status == 200:
            assert "without an access token" in str(login.value)
            assert "not a JSON object" in str(refresh.value)
        else:
            assert "refused the authorization code (HTTP 400" in str(login.value)
            assert "Failed to refresh token: 400" in str(refresh.value)
        assert login.value.status_code == refresh.value.status_code == status

    run(body)


def test_device_code_answers_nested_too_deeply_are_login_errors() -> None:
    """The device-code calls decode through the same guarded JSON decoder."""
    nested = b'{"a":' * 100_000 + b"1" + b"}" * 100_000

    async def body() -> None:
        async with Canned((200, nested)) as canned:
            with pytest.raises(LoginError, match="without a device code"):
                await with_transport(lambda t: request_device_code(t, issuer=canned.url))

    run(body)


# --------------------------------------------------------------------------- revoke


def test_revoke_sends_the_refresh_token_with_the_client_id() -> None:
    """With a refresh token, revoke sends it with its hint and the client id."""

    async def body() -> None:
        async with Canned((200, {})) as canned:
            ok = await with_transport(
                lambda t: revoke(t, url=canned.url + "/oauth/revoke", credentials=credentials())
            )
        assert ok is True
        method, path, headers, sent = canned.requests[0]
        assert (method, path) == ("POST", "/oauth/revoke")
        assert headers["Content-Type"] == "application/json"
        assert json.loads(sent) == {
            "token": SECRET_REFRESH,
            "token_type_hint": "refresh_token",
            "client_id": CLIENT_ID,
        }

    run(body)


def test_revoke_falls_back_to_the_access_token_without_client_id() -> None:
    """Without a refresh token the access token is revoked, with no client id."""

    async def body() -> None:
        async with Canned((200, {})) as canned:
            await with_transport(
                lambda t: revoke(t, url=canned.url, credentials=credentials(refresh_token=None))
            )
        assert json.loads(canned.requests[0][3]) == {
            "token": SECRET_ACCESS,
            "token_type_hint": "access_token",
        }

    run(body)


def test_revoke_is_best_effort(caplog: pytest.LogCaptureFixture) -> None:
    """An error answer or no server at all is logged (without the token), never raised."""

    async def body() -> tuple[bool, bool]:
        async with Canned((500, {"error": SECRET_REFRESH})) as canned:
            refused = await with_transport(
                lambda t: revoke(t, url=canned.url, credentials=credentials())
            )
        unreachable = await with_transport(
            lambda t: revoke(t, url=f"http://127.0.0.1:{free_port()}/", credentials=credentials())
        )
        return refused, unreachable

    assert run(body) == (False, False)
    assert "could not revoke the refresh_token: HTTP 500" in caplog.text
    assert caplog.text.count("could not revoke") == 2


# --------------------------------------------------------------------------- device code


def test_request_device_code_reads_the_code_and_the_string_interval() -> None:
    """The user code (or its alias usercode) and the interval string are read."""

    async def body() -> None:
        answer = {"device_auth_id": "DEV", "usercode": "ABCD-1234", "interval": "7"}
        async with Canned((200, answer)) as canned:
            device = await with_transport(lambda t: request_device_code(t, issuer=canned.url))
        assert device == DeviceCode(
            device_auth_id="DEV",
            user_code="ABCD-1234",
            interval=7.0,
            verification_url=f"{canned.url}/codex/device",
        )
        assert "DEV" not in repr(device)
        method, path, _, sent = canned.requests[0]
        assert (method, path) == ("POST", "/api/accounts/deviceauth/usercode")
        assert json.loads(sent) == {"client_id": CLIENT_ID}

    run(body)


def test_request_device_code_404_means_not_enabled() -> None:
    """A 404 says device code sign-in is not enabled on that server."""

    async def body() -> None:
        async with Canned((404, {"detail": "Not Found"})) as canned:
            with pytest.raises(LoginError, match="not enabled") as info:
                await with_transport(lambda t: request_device_code(t, issuer=canned.url))
        assert info.value.code == "device_code_not_enabled"

    run(body)


def test_poll_device_code_keeps_polling_while_pending() -> None:
    """403 and 404 mean pending: polling goes on at the interval until a 200."""
    approved = {"authorization_code": "AC", "code_challenge": "CH", "code_verifier": "CV"}
    device = DeviceCode(device_auth_id="DEV", user_code="U", interval=0.01, verification_url="x")

    async def body() -> None:
        async with Canned((403, {}), (404, {}), (200, approved)) as canned:
            data = await with_transport(
                lambda t: poll_device_code(t, issuer=canned.url, device_code=device)
            )
        assert data == approved
        assert [(m, p) for m, p, _, _ in canned.requests] == [
            ("POST", "/api/accounts/deviceauth/token")
        ] * 3
        assert json.loads(canned.requests[0][3]) == {"device_auth_id": "DEV", "user_code": "U"}

    run(body)


def test_poll_device_code_times_out() -> None:
    """A code never approved fails after the time limit."""
    device = DeviceCode(device_auth_id="DEV", user_code="U", interval=0.05, verification_url="x")

    async def body() -> None:
        async with Canned((403, {})) as canned:
            with pytest.raises(LoginError, match="timed out") as info:
                await with_transport(
                    lambda t: poll_device_code(
                        t, issuer=canned.url, device_code=device, timeout=0.2
                    )
                )
        assert info.value.code == "timeout"
        assert 3 <= len(canned.requests) <= 8

    run(body)


def test_poll_device_code_fails_on_another_status() -> None:
    """Any status other than 200, 403 or 404 ends the sign-in."""
    device = DeviceCode(device_auth_id="DEV", user_code="U", interval=0.01, verification_url="x")

    async def body() -> None:
        async with Canned((400, {"error": "expired_token"})) as canned:
            with pytest.raises(LoginError, match="HTTP 400") as info:
                await with_transport(
                    lambda t: poll_device_code(t, issuer=canned.url, device_code=device)
                )
        assert info.value.code == "expired_token"

    run(body)
