"""Users of codex-open-client 0.2.2: their credentials file and the names they call still work.

0.2.2 stored a flat ``auth.json`` (its ``TokenData``: ``access_token``, ``refresh_token``,
``expires_at`` in epoch seconds, ``token_type``, ``id_token``, ``scope``; None values left out;
``json.dumps(indent=2)`` plus a newline, mode from the umask). It is read as is and written in
the Codex CLI's format at the next save.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import stat
import time
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import codex_open_client as c
from codex_open_client.testing import FakeCodexServer

from .conftest import Api

JWT = re.compile(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]*")
FLAT_KEYS = {"access_token", "refresh_token", "expires_at", "token_type", "id_token", "scope"}


@pytest.fixture(autouse=True)
def _no_token_in_any_log(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test runs with DEBUG logs, and no token may show in them."""
    caplog.set_level(logging.DEBUG)
    yield
    assert not JWT.search(caplog.text)


def write_022_file(
    server: FakeCodexServer, path: Path, *, expires_in: float, mode: int = 0o600
) -> dict[str, Any]:
    """Write tokens of the fake issuer to ``path`` exactly as 0.2.2's ``save_tokens`` did."""
    tokens = server.mint_credentials(expires_in=expires_in)["tokens"]
    data = {
        "access_token": tokens["access_token"],
        "refresh_token": tokens["refresh_token"],
        "expires_at": time.time() + expires_in,
        "token_type": "Bearer",
        "id_token": tokens["id_token"],
        "scope": "openid profile email offline_access",
    }
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    path.chmod(mode)
    return data


class NoSignIn:
    """A login handler that records being asked: none of these tests may need a sign-in."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, url: str) -> str:
        self.asked.append(url)
        raise AssertionError("a sign-in was asked for")


def file_client(mode: str, server: FakeCodexServer, path: Path, **kwargs: Any) -> Api:
    """A client (sync or async) on the credentials file ``path``, signing in never."""
    return Api(
        mode,
        server,
        access_token=None,
        account_id=None,
        token_path=path,
        issuer=server.issuer,
        **kwargs,
    )


def sent_token(server: FakeCodexServer) -> str:
    """The bearer token of the last ``POST /responses``."""
    request = [r for r in server.requests if r.path.endswith("/responses")][-1]
    authorization = request.headers["Authorization"]
    assert authorization.startswith("Bearer ")
    return authorization.removeprefix("Bearer ")


def revoke(server: FakeCodexServer, token: str) -> None:
    """Revoke an access token at the fake issuer, as a sign-out elsewhere would."""

    async def go() -> int:
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{server.issuer}/oauth/revoke", json={"token": token}) as response,
        ):
            await response.read()
            return response.status

    assert asyncio.run(go()) == 200


def assert_cli_format(path: Path, *, access_token: str, account_id: str) -> dict[str, Any]:
    """``path`` is the CLI's auth.json (mode 0600, no temporary file left) with these tokens."""
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["auth_mode"] == "chatgpt"
    assert data["OPENAI_API_KEY"] is None
    assert set(data["tokens"]) == {"id_token", "access_token", "refresh_token", "account_id"}
    assert data["tokens"]["access_token"] == access_token
    assert data["tokens"]["account_id"] == account_id
    assert data["tokens"]["refresh_token"].startswith("rt_")
    assert data["last_refresh"].endswith("Z")
    assert not FLAT_KEYS & set(data), "the flat token fields must not stay at the top level"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert sorted(os.listdir(path.parent)) == sorted(
        name for name in (path.name, path.name + ".lock") if (path.parent / name).exists()
    )
    return data  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- the flat file


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_022_file_is_used_without_sign_in_and_migrated_by_the_next_refresh(
    server: FakeCodexServer, tmp_path: Path, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    """0.2.2's file (0644, as its umask left it): its token is sent, no sign-in; a refresh
    rewrites it in the CLI's format (0600) with the new tokens."""
    path = tmp_path / "auth.json"
    flat = write_022_file(server, path, expires_in=3600, mode=0o644)
    original = path.read_text(encoding="utf-8")
    handler = NoSignIn()
    api = file_client(mode, server, path, login_handler=handler)
    try:
        with pytest.warns(c.InsecureCredentialsWarning, match="chmod 600"):
            assert api.create().output_text
        assert sent_token(server) == flat["access_token"]
        assert path.read_text(encoding="utf-8") == original  # reading writes nothing
        assert "format of codex-open-client 0.2.2" in caplog.text

        # The token is revoked elsewhere: the 401 makes the client refresh, which saves.
        refreshes = server.refresh_count
        revoke(server, flat["access_token"])
        assert api.create().output_text
        assert server.refresh_count == refreshes + 1
        new_token = sent_token(server)
        assert new_token != flat["access_token"]
        saved = assert_cli_format(path, access_token=new_token, account_id=server.account_id)
        assert saved["tokens"]["refresh_token"] != flat["refresh_token"]
        assert handler.asked == []
    finally:
        api.dispose()


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_expired_022_file_refreshes_with_its_refresh_token(
    server: FakeCodexServer, tmp_path: Path, mode: str
) -> None:
    """An expired 0.2.2 token: refreshed with the file's refresh token, saved in CLI format."""
    path = tmp_path / "auth.json"
    flat = write_022_file(server, path, expires_in=-60)
    handler = NoSignIn()
    refreshes = server.refresh_count
    api = file_client(mode, server, path, login_handler=handler)
    try:
        assert api.create().output_text
    finally:
        api.dispose()
    assert server.refresh_count == refreshes + 1
    new_token = sent_token(server)
    assert new_token != flat["access_token"]
    assert_cli_format(path, access_token=new_token, account_id=server.account_id)
    assert handler.asked == []
    # The file's refresh token was the one used (refresh tokens are single-use).
    with pytest.raises(c.AuthError, match="already used"):
        c.refresh(flat["refresh_token"], tmp_path / "elsewhere.json", issuer=server.issuer)


def test_the_migrated_file_is_read_by_a_new_client_and_keeps_unknown_keys(
    server: FakeCodexServer, tmp_path: Path
) -> None:
    """After the migration, a new client reads the CLI file; 0.2.2's extra keys are kept."""
    path = tmp_path / "auth.json"
    flat = write_022_file(server, path, expires_in=-60)
    path.write_text(json.dumps({**flat, "note": {"kept": True}}, indent=2), encoding="utf-8")
    c.refresh(token_path=path, issuer=server.issuer)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["note"] == {"kept": True}
    with c.Client(
        base_url=server.url, token_path=path, issuer=server.issuer, login_handler=NoSignIn()
    ) as client:
        assert client.responses.create(model="gpt-5.1-codex-mini", instructions="", input="hi")
    assert sent_token(server) == saved["tokens"]["access_token"]


# --------------------------------------------------------------------------- client.token


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_token_and_account_id_of_a_client_with_an_access_token(mode: str, make_api: Any) -> None:
    """``access_token=``: ``client.token`` is it, ``client.account_id`` the one given."""
    api = make_api(mode, access_token="tok-given", account_id="acct-given")
    assert api.client.token == "tok-given"
    assert api.client.account_id == "acct-given"
    assert api.call("get_token") == "tok-given"
    with pytest.raises(AttributeError):
        api.client.token = "other"
    with pytest.raises(AttributeError):
        api.client.account_id = "other"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_access_token_alone_gives_its_own_account_id(
    server: FakeCodexServer, make_api: Any, mode: str
) -> None:
    """``access_token=`` without ``account_id=``: the token's claim is the account sent."""
    token = server.mint_credentials()["tokens"]["access_token"]
    api = make_api(mode, access_token=token, account_id=None)
    assert api.client.account_id == server.account_id
    api.create()
    assert server.requests[-1].headers["ChatGPT-Account-ID"] == server.account_id


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_token_and_account_id_before_any_request_come_from_the_file(
    server: FakeCodexServer, tmp_path: Path, mode: str
) -> None:
    """Before any request, both read the stored credentials; the token is the one then sent."""
    path = tmp_path / "auth.json"
    flat = write_022_file(server, path, expires_in=3600)
    api = file_client(mode, server, path, login_handler=NoSignIn())
    try:
        assert api.client.token == flat["access_token"]
        assert api.client.account_id == server.account_id
        assert c.get_account_id(api.client.token) == server.account_id
        api.create()
        assert sent_token(server) == api.client.token
    finally:
        api.dispose()


def test_sync_token_is_refreshed_when_stale(server: FakeCodexServer, tmp_path: Path) -> None:
    """``Client.token`` is valid when read: an expired stored token is refreshed first."""
    path = tmp_path / "auth.json"
    flat = write_022_file(server, path, expires_in=-60)
    refreshes = server.refresh_count
    with c.Client(
        base_url=server.url, token_path=path, issuer=server.issuer, login_handler=NoSignIn()
    ) as client:
        token = client.token
        assert token != flat["access_token"]
        assert server.refresh_count == refreshes + 1
        assert client.token == token  # valid now: no second refresh
        assert server.refresh_count == refreshes + 1
    assert json.loads(path.read_text())["tokens"]["access_token"] == token


def test_async_token_is_what_is_held_and_get_token_refreshes(
    server: FakeCodexServer, tmp_path: Path
) -> None:
    """``AsyncClient.token`` cannot await: the held token; ``await get_token()`` refreshes."""
    path = tmp_path / "auth.json"
    flat = write_022_file(server, path, expires_in=-60)
    refreshes = server.refresh_count

    async def main() -> None:
        async with c.AsyncClient(
            base_url=server.url, token_path=path, issuer=server.issuer, login_handler=NoSignIn()
        ) as client:
            assert client.token == flat["access_token"]
            assert server.refresh_count == refreshes
            fresh = await client.get_token()
            assert fresh != flat["access_token"]
            assert client.token == fresh
            assert server.refresh_count == refreshes + 1

    asyncio.run(main())


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_token_without_credentials_is_an_auth_error(
    server: FakeCodexServer, tmp_path: Path, mode: str
) -> None:
    """No credentials and no way to sign in: ``AuthError`` saying how to sign in."""
    api = file_client(mode, server, tmp_path / "missing" / "auth.json")
    try:
        with pytest.raises(c.AuthError, match="Not signed in"):
            api.client.token  # noqa: B018
        assert api.client.account_id is None
    finally:
        api.dispose()


# --------------------------------------------------------------------------- module helpers


def test_build_headers_are_the_headers_a_client_sends(server: FakeCodexServer) -> None:
    """``build_headers(token)`` gives exactly what the client sends (0.2.2's helper)."""
    token = server.mint_credentials()["tokens"]["access_token"]
    headers = c.build_headers(token, session_id="sess-1")
    assert headers["Authorization"] == f"Bearer {token}"
    assert headers["ChatGPT-Account-ID"] == server.account_id  # read from the token
    assert headers["originator"] == "codex_cli_rs"
    with c.Client(
        base_url=server.url,
        access_token=token,
        account_id=server.account_id,
        session_id="sess-1",
    ) as client:
        client.responses.create(model="gpt-5.1-codex-mini", instructions="", input="hi")
    sent = server.requests[-1].headers
    added_by_http = {"host", "content-length", "accept-encoding"}
    assert {k.lower() for k in sent} - added_by_http == {k.lower() for k in headers}
    assert all(sent[name] == value for name, value in headers.items())
    # A new session id per call unless one is given; the account can be given too.
    assert c.build_headers(token)["session_id"] != c.build_headers(token)["session_id"]
    assert c.build_headers("opaque", account_id="acct")["ChatGPT-Account-ID"] == "acct"
    assert "ChatGPT-Account-ID" not in c.build_headers("opaque")


@pytest.mark.parametrize("token", [None, "", 42])
def test_build_headers_refuses_what_is_not_a_token(token: Any) -> None:
    """Not a token: a ``TypeError`` naming the argument."""
    with pytest.raises(TypeError, match="token must be"):
        c.build_headers(token)


def test_get_account_id_reads_the_token_claims(server: FakeCodexServer) -> None:
    """``get_account_id(token)``: the claim's account id, or None for anything else."""
    token = server.mint_credentials()["tokens"]["access_token"]
    assert c.get_account_id(token) == server.account_id
    assert c.get_account_id("not-a-jwt") is None
    assert c.get_account_id("a.b.c") is None


def test_positional_refresh_of_022_works(server: FakeCodexServer, tmp_path: Path) -> None:
    """0.2.2's ``refresh(refresh_token, path)``: refreshes and stores in the CLI's format."""
    path = tmp_path / "auth.json"
    flat = write_022_file(server, path, expires_in=3600)
    refreshed = c.refresh(flat["refresh_token"], path, issuer=server.issuer)
    assert isinstance(refreshed, c.Credentials)
    assert refreshed.access_token != flat["access_token"]
    assert refreshed.expires_at is not None
    assert_cli_format(path, access_token=refreshed.access_token, account_id=server.account_id)

    # With nothing stored, the given refresh token is used and the result stored.
    other = tmp_path / "other" / "auth.json"
    refresh_token = server.mint_credentials()["tokens"]["refresh_token"]
    new = asyncio.run(c.arefresh(refresh_token, other, issuer=server.issuer))
    assert_cli_format(other, access_token=new.access_token, account_id=server.account_id)


def test_positional_refresh_refuses_two_paths(tmp_path: Path) -> None:
    """The path given twice: a ``TypeError`` naming ``token_path=``, before any request."""
    with pytest.raises(TypeError, match="token_path="):
        c.refresh("rt", tmp_path / "a.json", token_path=tmp_path / "b.json")
    with pytest.raises(TypeError, match="refresh_token must be"):
        c.refresh(42, tmp_path / "a.json")  # type: ignore[arg-type]


def test_format_config_is_exported_as_0_2_2_named_it() -> None:
    """``FormatConfig``: the union of the three ``text.format`` classes."""
    assert set(typing.get_args(c.FormatConfig)) == {
        c.ResponseFormatText,
        c.ResponseFormatJsonObject,
        c.ResponseFormatJsonSchema,
    }
    fmt: c.FormatConfig = c.ResponseFormatJsonObject()
    assert c.TextConfig(format=fmt).format == fmt
