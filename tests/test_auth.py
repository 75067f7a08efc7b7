"""Sign-in, stored credentials and refresh, end to end against the fake backend's OAuth server."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import codex_open_client as c
from codex_open_client.testing import FakeCodexServer

BASE: dict[str, Any] = {"model": "gpt-5.1-codex-mini", "instructions": "", "input": "Hello!"}
JWT = re.compile(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]*")


@pytest.fixture(autouse=True)
def _no_token_in_any_log(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test of this module runs with DEBUG logs, and no token may show in them."""
    caplog.set_level(logging.DEBUG)
    yield
    assert not JWT.search(caplog.text)


def seed(server: FakeCodexServer, path: Path, *, expires_in: float) -> dict[str, Any]:
    """Write CLI-format credentials minted by the fake issuer to ``path``."""
    data = server.mint_credentials(expires_in=expires_in)
    data["unknown_top_level"] = {"kept": True}
    data["tokens"]["unknown_inside"] = "kept too"
    path.write_text(json.dumps(data, indent=2))
    path.chmod(0o600)  # as the CLI writes it: a 0644 file warns (InsecureCredentialsWarning)
    return data


async def browser(url: str) -> str:
    """Play the user's browser: follow the authorize URL to the redirect with code and state."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(url, allow_redirects=False) as response,
    ):
        assert response.status in (302, 303)
        return response.headers["Location"]


def sync_browser(url: str) -> str:
    return asyncio.run(browser(url))


def oauth_post(server: FakeCodexServer, path: str, body: dict[str, Any]) -> int:
    """POST JSON to the fake issuer, as another program sharing the account would."""

    async def go() -> int:
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{server.issuer}{path}", json=body) as response,
        ):
            await response.read()
            return response.status

    return asyncio.run(go())


def revoke_token(server: FakeCodexServer, token: str) -> None:
    assert (
        oauth_post(server, "/oauth/revoke", {"token": token, "token_type_hint": "access_token"})
        == 200
    )


def use_refresh_token(server: FakeCodexServer, token: str) -> None:
    body = {
        "client_id": "app_EMoamEEZ73f0CkXaXp7hrann",
        "grant_type": "refresh_token",
        "refresh_token": token,
    }
    assert oauth_post(server, "/oauth/token", body) == 200


def client_kwargs(server: FakeCodexServer, path: Path) -> dict[str, Any]:
    return {"base_url": server.url, "token_path": path, "issuer": server.issuer, "max_retries": 0}


def test_concurrent_requests_with_an_expired_token_refresh_once(
    server: FakeCodexServer, tmp_path: Path
) -> None:
    """20 concurrent requests with an expired token: exactly one refresh; all 20 succeed."""
    path = tmp_path / "auth.json"
    seed(server, path, expires_in=-60)
    before = server.refresh_count

    async def main() -> list[str]:
        async with c.AsyncClient(**client_kwargs(server, path)) as client:
            responses = await asyncio.gather(*(client.responses.create(**BASE) for _ in range(20)))
            return [r.output_text for r in responses]

    texts = asyncio.run(main())
    assert len(texts) == 20 and all(texts)
    assert server.refresh_count == before + 1
    saved = json.loads(path.read_text())
    assert saved["unknown_top_level"] == {"kept": True}
    assert saved["tokens"]["unknown_inside"] == "kept too"
    assert saved["auth_mode"] == "chatgpt"
    assert saved["last_refresh"].endswith("Z")


def test_four_processes_share_one_auth_json_and_refresh_once(
    server: FakeCodexServer, tmp_path: Path
) -> None:
    """4 processes, one expired auth.json: one refresh in total, all succeed, file valid."""
    path = tmp_path / "auth.json"
    seed(server, path, expires_in=-60)
    before = server.refresh_count
    script = textwrap.dedent(
        f"""
        import codex_open_client as c
        with c.Client(base_url={server.url!r}, token_path={str(path)!r},
                      issuer={server.issuer!r}, max_retries=0) as client:
            for _ in range(3):
                assert client.responses.create(
                    model="gpt-5.1-codex-mini", instructions="", input="hi"
                ).output_text
        """
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    for process in processes:
        _, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
    assert server.refresh_count == before + 1
    data = json.loads(path.read_text())
    credentials = c.Credentials.from_auth_json(data)
    assert credentials is not None and not credentials.needs_refresh(
        __import__("datetime").datetime.now(__import__("datetime").timezone.utc)
    )
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_a_401_reloads_the_store_then_refreshes(server: FakeCodexServer, tmp_path: Path) -> None:
    """A token revoked server-side: the client refreshes once and the request succeeds."""
    path = tmp_path / "auth.json"
    data = seed(server, path, expires_in=3600)
    before = server.refresh_count
    with c.Client(**client_kwargs(server, path)) as client:
        assert client.responses.create(**BASE).output_text
        revoke_token(server, data["tokens"]["access_token"])
        assert client.responses.create(**BASE).output_text
    assert server.refresh_count == before + 1


def test_a_reused_refresh_token_is_a_clear_auth_error(
    server: FakeCodexServer, tmp_path: Path
) -> None:
    """A refresh token already used elsewhere: AuthError saying to sign in again, no loop."""
    path = tmp_path / "auth.json"
    data = seed(server, path, expires_in=-60)
    use_refresh_token(server, data["tokens"]["refresh_token"])
    before = server.refresh_count
    with c.Client(**client_kwargs(server, path)) as client:
        for _ in range(2):
            with pytest.raises(c.AuthError, match="sign in again"):
                client.responses.create(**BASE)
    assert server.refresh_count - before == 1  # the second call did not try again


def test_no_credentials_and_no_terminal_says_how_to_sign_in(
    server: FakeCodexServer, tmp_path: Path
) -> None:
    """Without credentials, a terminal or a handler: AuthError naming the sign-in command."""
    with c.Client(**client_kwargs(server, tmp_path / "auth.json")) as client:
        assert client.account is None
        with pytest.raises(c.AuthError, match="python -m codex_open_client login"):
            client.responses.create(**BASE)
    assert server.requests == []


def test_first_request_signs_in_with_the_handler(server: FakeCodexServer, tmp_path: Path) -> None:
    """A login_handler signs in on the first request; auth.json is written in CLI format."""
    path = tmp_path / "home" / "auth.json"
    urls: list[str] = []

    def handler(url: str) -> str:
        urls.append(url)
        return sync_browser(url)

    with c.Client(**client_kwargs(server, path), login_handler=handler, callback_port=0) as client:
        assert client.responses.create(**BASE).output_text
        account = client.account
    assert account is not None and account.account_id == server.account_id
    assert account.expires_at is not None and account.expires_at.tzinfo is not None
    assert len(urls) == 1 and "code_challenge_method=S256" in urls[0]
    data = json.loads(path.read_text())
    assert set(data) >= {"auth_mode", "OPENAI_API_KEY", "tokens", "last_refresh"}
    assert set(data["tokens"]) == {"id_token", "access_token", "refresh_token", "account_id"}
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_async_handler_login_and_logout(server: FakeCodexServer, tmp_path: Path) -> None:
    """AsyncClient.login() with an async handler, then logout() revokes and deletes."""
    path = tmp_path / "auth.json"

    async def main() -> None:
        async with c.AsyncClient(
            **client_kwargs(server, path), login_handler=browser, callback_port=0
        ) as client:
            account = await client.login()
            assert account.email
            assert path.exists()
            assert (await client.responses.create(**BASE)).output_text
            await client.logout()
            assert not path.exists()
            assert client.account is None

    asyncio.run(main())
    assert server.revoked


def test_module_functions_sync_and_async(server: FakeCodexServer, tmp_path: Path) -> None:
    """login/get_token/refresh/start_login/finish_login and their async twins."""
    path = tmp_path / "auth.json"
    credentials = c.login(
        login_handler=sync_browser, token_path=path, issuer=server.issuer, callback_port=0
    )
    assert path.exists()
    token = c.get_token(token_path=path, issuer=server.issuer)
    assert token == credentials.access_token
    refreshed = c.refresh(token_path=path, issuer=server.issuer)
    assert refreshed.access_token != credentials.access_token
    pending = c.start_login(issuer=server.issuer, callback_port=0)
    finished = c.finish_login(pending, callback_url=sync_browser(pending.url), token_path=path)
    assert finished.account.account_id == server.account_id
    with pytest.raises(c.AuthError):
        c.finish_login(pending, callback_url=sync_browser(pending.url), token_path=path)

    async def main() -> None:
        pending = await c.astart_login(issuer=server.issuer, callback_port=0)
        await c.afinish_login(pending, callback_url=await browser(pending.url), token_path=path)
        assert await c.aget_token(token_path=path, issuer=server.issuer)
        assert (await c.arefresh(token_path=path, issuer=server.issuer)).access_token

    asyncio.run(main())


def test_memory_store_and_access_token_modes(server: FakeCodexServer) -> None:
    """MemoryTokenStore keeps credentials in memory; access_token= works as before."""
    store = c.MemoryTokenStore()
    with c.Client(
        base_url=server.url,
        token_store=store,
        issuer=server.issuer,
        login_handler=sync_browser,
        callback_port=0,
    ) as client:
        assert client.responses.create(**BASE).output_text
    assert store.load() is not None
    with pytest.raises(TypeError, match="access_token"):
        c.Client(access_token="x", token_store=store)


def test_no_token_in_logs_reprs_or_errors(
    server: FakeCodexServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Across sign-in, refresh and a failed refresh: no token in logs, reprs or messages."""
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "auth.json"
    seeded = seed(server, path, expires_in=-60)
    texts: list[str] = []
    with c.Client(**client_kwargs(server, path)) as client:
        client.responses.create(**BASE)
        texts += [repr(client), repr(client.account)]
    refreshed = json.loads(path.read_text())
    stored = c.FileTokenStore(path).load()
    texts += [repr(stored), str(stored), repr(c.FileTokenStore(path))]
    second = tmp_path / "second.json"
    data = seed(server, second, expires_in=-60)
    use_refresh_token(server, data["tokens"]["refresh_token"])
    with c.Client(**client_kwargs(server, second)) as client:
        with pytest.raises(c.AuthError) as info:
            client.responses.create(**BASE)
        texts += [str(info.value), repr(info.value), repr(info.value.body)]
    secrets = set()
    for source in (seeded, refreshed, data):
        secrets |= {v for k, v in source["tokens"].items() if k != "account_id" and v}
    blob = caplog.text + "\n".join(texts)
    assert caplog.records
    for secret in secrets:
        assert secret not in blob


def test_a_401_uses_tokens_another_client_already_refreshed(
    server: FakeCodexServer, tmp_path: Path
) -> None:
    """After a 401, tokens refreshed by someone else are read from the store: no new refresh."""
    path = tmp_path / "auth.json"
    data = seed(server, path, expires_in=3600)
    with c.Client(**client_kwargs(server, path)) as client:
        assert client.responses.create(**BASE).output_text
        c.refresh(token_path=path, issuer=server.issuer)  # another program refreshes
        before = server.refresh_count
        revoke_token(server, data["tokens"]["access_token"])
        assert client.responses.create(**BASE).output_text
    assert server.refresh_count == before


def test_a_transient_refresh_failure_keeps_a_valid_token(
    server: FakeCodexServer, tmp_path: Path
) -> None:
    """A 503 from the token endpoint while the token is still valid: the request goes on."""
    from codex_open_client.testing import http_error

    path = tmp_path / "auth.json"
    data = seed(server, path, expires_in=60)  # inside the refresh margin, not expired
    server.queue_refresh(http_error(503, {"error": "temporarily_unavailable"}))
    before = server.refresh_count
    with c.Client(**client_kwargs(server, path)) as client:
        assert client.responses.create(**BASE).output_text
    assert server.refresh_count == before + 1
    assert json.loads(path.read_text())["tokens"]["access_token"] == data["tokens"]["access_token"]


def test_a_401_after_another_account_signed_in_keeps_that_sign_in(
    server: FakeCodexServer, tmp_path: Path
) -> None:
    """The store now holds another account: AuthError, and that account's file is untouched."""
    path = tmp_path / "auth.json"
    first = seed(server, path, expires_in=3600)
    with c.Client(**client_kwargs(server, path)) as client:
        assert client.responses.create(**BASE).output_text
        other = server.mint_credentials(expires_in=3600)
        other["tokens"]["account_id"] = "acct_someone_else"
        path.write_text(json.dumps(other))
        revoke_token(server, first["tokens"]["access_token"])
        with pytest.raises(c.AuthError, match="another account"):
            client.responses.create(**BASE)
    assert json.loads(path.read_text())["tokens"]["account_id"] == "acct_someone_else"


def test_transient_refresh_failures_do_not_multiply(
    server: FakeCodexServer, tmp_path: Path
) -> None:
    """20 requests, a still-valid token, a failing token endpoint: one refresh attempt."""
    from codex_open_client.testing import http_error

    path = tmp_path / "auth.json"
    seed(server, path, expires_in=60)
    server.queue_refresh(*(http_error(503, {"error": "unavailable"}) for _ in range(20)))
    before = server.refresh_count

    async def main() -> None:
        async with c.AsyncClient(**client_kwargs(server, path)) as client:
            responses = await asyncio.gather(*(client.responses.create(**BASE) for _ in range(20)))
            assert all(r.output_text for r in responses)

    asyncio.run(main())
    assert server.refresh_count == before + 1


def test_a_new_sign_in_on_disk_heals_a_dead_refresh_token(
    server: FakeCodexServer, tmp_path: Path
) -> None:
    """After refresh_token_reused, credentials signed in again elsewhere are picked up."""
    path = tmp_path / "auth.json"
    data = seed(server, path, expires_in=-60)
    use_refresh_token(server, data["tokens"]["refresh_token"])
    with c.Client(**client_kwargs(server, path)) as client:
        with pytest.raises(c.AuthError, match="sign in again"):
            client.responses.create(**BASE)
        seed(server, path, expires_in=3600)  # e.g. `codex login` in another terminal
        assert client.responses.create(**BASE).output_text


def test_cancelling_a_refresh_keeps_its_tokens_and_frees_the_lock(
    server: FakeCodexServer, tmp_path: Path
) -> None:
    """A request cancelled during its refresh: the rotated tokens are saved, the lock freed."""
    path = tmp_path / "auth.json"
    seed(server, path, expires_in=-60)
    server.refresh_delay = 1.0
    before = server.refresh_count
    try:

        async def main() -> None:
            async with c.AsyncClient(**client_kwargs(server, path)) as client:
                with pytest.raises(asyncio.TimeoutError):
                    await asyncio.wait_for(client.responses.create(**BASE), 0.3)
                response = await asyncio.wait_for(client.responses.create(**BASE), 20)
                assert response.output_text

        asyncio.run(main())
    finally:
        server.refresh_delay = 0.0
    assert server.refresh_count == before + 1


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX terminal")
def test_first_request_in_a_terminal_runs_the_browser_flow(
    server: FakeCodexServer, tmp_path: Path
) -> None:
    """With a terminal attached and no credentials, the first request signs in (no_browser)."""
    import pty

    path = tmp_path / "auth.json"
    script = textwrap.dedent(
        f"""
        import codex_open_client as c
        with c.Client(base_url={server.url!r}, token_path={str(path)!r}, issuer={server.issuer!r},
                      no_browser=True, callback_port=0, max_retries=0) as client:
            print("ANSWER", client.responses.create(
                model="gpt-5.1-codex-mini", instructions="", input="hi"
            ).output_text, flush=True)
        """
    )
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=secondary,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(secondary)
    try:
        assert process.stderr is not None and process.stdout is not None
        url = ""
        while not url:
            line = process.stderr.readline()
            assert line, "the child ended without printing the sign-in URL"
            if line.startswith(server.issuer + "/oauth/authorize?"):
                url = line.strip()
        callback = sync_browser(url)

        async def follow() -> int:
            async with aiohttp.ClientSession() as session, session.get(callback) as response:
                return response.status

        assert asyncio.run(follow()) == 200
        out, err = process.communicate(timeout=30)
    finally:
        os.close(primary)
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "ANSWER " in out
    assert json.loads(path.read_text())["tokens"]["account_id"] == server.account_id
