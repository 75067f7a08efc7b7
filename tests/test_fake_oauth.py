"""Tests for the fake ChatGPT sign-in server of ``FakeCodexServer``, with plain HTTP clients."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import aiohttp
import pytest

from codex_open_client.testing import FakeCodexServer, http_error

from .test_fake_server import Result

CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"
AUTH_CLAIM = "https://api.openai.com/auth"
PROFILE_CLAIM = "https://api.openai.com/profile"
SCOPES = "openid profile email offline_access api.connectors.read api.connectors.invoke"
REDIRECT_URI = "http://localhost:1455/auth/callback"
BODY = {"model": "gpt-5.4", "input": "hi", "store": False, "stream": True}


def call(
    method: str,
    url: str,
    *,
    json_body: Any = None,
    form: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Result:
    """One request with urllib; HTTP errors are returned, not raised."""
    sent = dict(headers or {})
    data = None
    if json_body is not None:
        data = json.dumps(json_body).encode()
        sent["Content-Type"] = "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=data, headers=sent, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Result(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Result(error.code, dict(error.headers), error.read())


def b64url(data: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def new_pkce() -> tuple[str, str]:
    """A PKCE verifier (86 characters) and its S256 challenge, computed independently."""
    verifier = b64url(secrets.token_bytes(64))
    return verifier, b64url(hashlib.sha256(verifier.encode()).digest())


def claims(token: str) -> dict[str, Any]:
    """The payload of a JWT (signature not checked)."""
    parts = token.split(".")
    assert len(parts) == 3
    assert all(parts)
    payload = parts[1]
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert isinstance(decoded, dict)
    return decoded


def authorize_params(challenge: str, state: str, **changes: str | None) -> dict[str, str]:
    """The Codex CLI's authorize parameters, in its order, with some changed or removed."""
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": SCOPES,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "id_token_add_organizations": "true",
        "codex_cli_simplified_flow": "true",
        "state": state,
        "originator": "codex_cli_rs",
        **changes,
    }
    return {name: value for name, value in params.items() if value is not None}


def authorize(server: FakeCodexServer, params: Mapping[str, str]) -> Result:
    """GET /oauth/authorize without following the redirect (nothing listens on localhost)."""

    async def go() -> Result:
        url = f"{server.issuer}/oauth/authorize?{urllib.parse.urlencode(params)}"
        async with (
            aiohttp.ClientSession() as session,
            session.get(url, allow_redirects=False) as response,
        ):
            return Result(response.status, dict(response.headers), await response.read())

    return asyncio.run(go())


def redirect_query(result: Result) -> dict[str, str]:
    """The query of the Location header of a redirect to the callback."""
    assert result.status == 302
    location = urllib.parse.urlsplit(result.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    return dict(urllib.parse.parse_qsl(location.query))


def get_code(server: FakeCodexServer, challenge: str) -> str:
    """Run the authorize step and return the authorization code."""
    query = redirect_query(authorize(server, authorize_params(challenge, "st")))
    return query["code"]


def exchange(
    server: FakeCodexServer,
    code: str,
    verifier: str,
    redirect_uri: str = REDIRECT_URI,
    client_id: str = CLIENT_ID,
) -> Result:
    """The code exchange, a form POST as the CLI sends it."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": client_id,
        "code_verifier": verifier,
    }
    return call("POST", f"{server.issuer}/oauth/token", form=form)


def sign_in(server: FakeCodexServer) -> dict[str, Any]:
    """Authorize and exchange; return the token response."""
    verifier, challenge = new_pkce()
    result = exchange(server, get_code(server, challenge), verifier)
    assert result.status == 200
    tokens: dict[str, Any] = result.json
    return tokens


def refresh(server: FakeCodexServer, refresh_token: str) -> Result:
    """The refresh grant, a JSON POST as the CLI sends it."""
    body = {"client_id": CLIENT_ID, "grant_type": "refresh_token", "refresh_token": refresh_token}
    return call("POST", f"{server.issuer}/oauth/token", json_body=body)


def responses_status(server: FakeCodexServer, token: str) -> int:
    """POST /responses with ``token`` and return the status (the body is read fully)."""
    result = call(
        "POST",
        f"{server.url}/responses",
        json_body=BODY,
        headers={"Authorization": f"Bearer {token}", "ChatGPT-Account-ID": server.account_id},
    )
    return result.status


def models_status(server: FakeCodexServer, token: str) -> int:
    """GET /models with ``token`` and return the status."""
    headers = {"Authorization": f"Bearer {token}"}
    return call("GET", f"{server.url}/models", headers=headers).status


@pytest.fixture
def server() -> Iterator[FakeCodexServer]:
    """A running fake backend of its own (tests change its settings)."""
    with FakeCodexServer() as fake:
        yield fake


# ---------------------------------------------------------------------------------------------
# authorize and code exchange


def test_issuer_is_the_server_origin(server: FakeCodexServer) -> None:
    """The issuer is http://127.0.0.1:{port}, the same port as the Codex backend."""
    assert server.issuer == f"http://127.0.0.1:{server.port}"
    assert server.url.startswith(server.issuer)


def test_authorize_redirects_with_code_and_state(server: FakeCodexServer) -> None:
    """A well-formed authorize request is approved at once: 302 to the callback."""
    _, challenge = new_pkce()
    result = authorize(server, authorize_params(challenge, "state-123"))
    query = redirect_query(result)
    assert set(query) == {"code", "state"}
    assert query["state"] == "state-123"
    assert query["code"]
    assert server.requests[-1].path == "/oauth/authorize"


def test_authorize_keeps_the_callback_port(server: FakeCodexServer) -> None:
    """Any localhost port is accepted and kept in the redirect."""
    _, challenge = new_pkce()
    uri = "http://localhost:50123/auth/callback"
    result = authorize(server, authorize_params(challenge, "s", redirect_uri=uri))
    assert result.status == 302
    assert result.headers["Location"].startswith(f"{uri}?code=")


@pytest.mark.parametrize(
    "changes",
    [
        {"client_id": "someone-else"},
        {"client_id": None},
        {"redirect_uri": "http://127.0.0.1:1455/auth/callback"},
        {"redirect_uri": "https://evil.example/auth/callback"},
        {"redirect_uri": "http://localhost:1455/other"},
        {"redirect_uri": None},
    ],
)
def test_authorize_refuses_unknown_clients_and_redirects(
    server: FakeCodexServer, changes: dict[str, str | None]
) -> None:
    """A wrong client_id or redirect_uri is a 400 and never a redirect."""
    _, challenge = new_pkce()
    result = authorize(server, authorize_params(challenge, "s", **changes))
    assert result.status == 400
    assert "Location" not in result.headers
    assert result.json["error"] in {"invalid_client", "invalid_request"}


@pytest.mark.parametrize(
    "changes",
    [
        {"response_type": "token"},
        {"code_challenge_method": "plain"},
        {"code_challenge_method": None},
        {"code_challenge": None},
        {"code_challenge": "too-short"},
        {"scope": "openid profile email"},
    ],
)
def test_authorize_reports_bad_parameters_to_the_callback(
    server: FakeCodexServer, changes: dict[str, str | None]
) -> None:
    """Other problems redirect back with error=invalid_request and the state, without a code."""
    _, challenge = new_pkce()
    query = redirect_query(authorize(server, authorize_params(challenge, "st", **changes)))
    assert query["error"] == "invalid_request"
    assert query["error_description"]
    assert query["state"] == "st"
    assert "code" not in query


def test_authorize_requires_state(server: FakeCodexServer) -> None:
    """Without a state there is no code."""
    _, challenge = new_pkce()
    params = authorize_params(challenge, "")
    del params["state"]
    query = redirect_query(authorize(server, params))
    assert query["error"] == "invalid_request"
    assert "code" not in query


def test_authorize_error_setting_denies(server: FakeCodexServer) -> None:
    """``authorize_error`` makes the server redirect back with that error."""
    server.authorize_error = ("access_denied", "missing_codex_entitlement")
    _, challenge = new_pkce()
    query = redirect_query(authorize(server, authorize_params(challenge, "st")))
    assert query == {
        "error": "access_denied",
        "error_description": "missing_codex_entitlement",
        "state": "st",
    }


def test_code_exchange_issues_tokens(server: FakeCodexServer) -> None:
    """The right verifier gets id, access and refresh tokens; the code is single use."""
    verifier, challenge = new_pkce()
    assert len(verifier) == 86
    code = get_code(server, challenge)
    result = exchange(server, code, verifier)
    assert result.status == 200
    assert result.headers["Content-Type"].startswith("application/json")
    tokens = result.json
    assert {"id_token", "access_token", "refresh_token"} <= set(tokens)
    assert tokens["token_type"] == "Bearer"
    assert 3590 <= tokens["expires_in"] <= 3600
    claims(tokens["id_token"])
    claims(tokens["access_token"])
    assert tokens["refresh_token"].count(".") == 0  # opaque
    again = exchange(server, code, verifier)
    assert again.status == 400
    assert again.json["error"] == "invalid_grant"
    assert server.refresh_count == 0
    sent = server.requests[-1]
    assert sent.path == "/oauth/token"
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_code_exchange_with_wrong_verifier_fails(server: FakeCodexServer) -> None:
    """A verifier that does not hash to the challenge is 400 invalid_grant; the right one works."""
    verifier, challenge = new_pkce()
    code = get_code(server, challenge)
    other, _ = new_pkce()
    result = exchange(server, code, other)
    assert result.status == 400
    assert result.json["error"] == "invalid_grant"
    assert "code_verifier" in result.json["error_description"]
    assert exchange(server, code, verifier).status == 200


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("code", "ac_unknown", "invalid_grant"),
        ("redirect_uri", "http://localhost:1457/auth/callback", "invalid_grant"),
        ("client_id", "someone-else", "invalid_client"),
        ("code", "", "invalid_request"),
        ("code_verifier", "", "invalid_request"),
    ],
)
def test_code_exchange_checks_every_field(
    server: FakeCodexServer, field: str, value: str, error: str
) -> None:
    """An unknown code, another redirect_uri or client_id, or a missing value is refused."""
    verifier, challenge = new_pkce()
    form = {
        "grant_type": "authorization_code",
        "code": get_code(server, challenge),
        "redirect_uri": REDIRECT_URI,
        "client_id": CLIENT_ID,
        "code_verifier": verifier,
        field: value,
    }
    result = call("POST", f"{server.issuer}/oauth/token", form=form)
    assert result.status == 400
    assert result.json["error"] == error


def test_code_exchange_must_be_a_form(server: FakeCodexServer) -> None:
    """The code exchange sent as JSON is refused: the CLI sends a form."""
    verifier, challenge = new_pkce()
    body = {
        "grant_type": "authorization_code",
        "code": get_code(server, challenge),
        "redirect_uri": REDIRECT_URI,
        "client_id": CLIENT_ID,
        "code_verifier": verifier,
    }
    result = call("POST", f"{server.issuer}/oauth/token", json_body=body)
    assert result.status == 400
    assert result.json["error"] == "invalid_request"
    unknown = call("POST", f"{server.issuer}/oauth/token", form={"grant_type": "password"})
    assert unknown.json["error"] == "unsupported_grant_type"
    plain = call("POST", f"{server.issuer}/oauth/token", headers={"Content-Type": "text/plain"})
    assert plain.status == 400


def test_oauth_paths_check_methods(server: FakeCodexServer) -> None:
    """The sign-in endpoints answer 405 to the wrong method."""
    assert call("GET", f"{server.issuer}/oauth/token").status == 405
    assert call("POST", f"{server.issuer}/oauth/authorize", json_body={}).status == 405


# ---------------------------------------------------------------------------------------------
# tokens


def test_minted_tokens_carry_the_claims(server: FakeCodexServer) -> None:
    """id and access tokens are JWTs with exp, email and the auth claim from the settings."""
    server.account_id = "acct_123"
    server.email = "ada@example.com"
    server.plan_type = "pro"
    server.user_id = "user-ada"
    before = int(time.time())
    tokens = sign_in(server)
    after = int(time.time())
    id_claims = claims(tokens["id_token"])
    access_claims = claims(tokens["access_token"])
    auth = {
        "chatgpt_account_id": "acct_123",
        "chatgpt_plan_type": "pro",
        "chatgpt_user_id": "user-ada",
        "user_id": "user-ada",
    }
    for token_claims in (id_claims, access_claims):
        assert token_claims[AUTH_CLAIM] == auth
        assert token_claims["email"] == "ada@example.com"
        assert token_claims["iss"] == server.issuer
        assert before <= token_claims["iat"] <= after
        assert before + 3600 <= token_claims["exp"] <= after + 3600
    assert access_claims[PROFILE_CLAIM]["email"] == "ada@example.com"
    assert id_claims["aud"] == [CLIENT_ID]
    header = json.loads(base64.urlsafe_b64decode(tokens["access_token"].split(".")[0] + "=="))
    assert header == {"alg": "HS256", "typ": "JWT"}


def test_token_lifetime_setting(server: FakeCodexServer) -> None:
    """``token_lifetime`` sets the exp of minted tokens."""
    server.token_lifetime = 120
    tokens = sign_in(server)
    exp = claims(tokens["access_token"])["exp"]
    assert exp - 121 <= time.time() <= exp - 118


def test_mint_credentials_is_the_cli_auth_json_format(server: FakeCodexServer) -> None:
    """mint_credentials() returns an auth.json dict whose tokens work."""
    data = server.mint_credentials()
    assert set(data) == {"auth_mode", "OPENAI_API_KEY", "tokens", "last_refresh"}
    assert data["auth_mode"] == "chatgpt"
    assert data["OPENAI_API_KEY"] is None
    tokens = data["tokens"]
    assert set(tokens) == {"id_token", "access_token", "refresh_token", "account_id"}
    assert tokens["account_id"] == server.account_id
    assert claims(tokens["id_token"])[AUTH_CLAIM]["chatgpt_account_id"] == server.account_id
    last_refresh = data["last_refresh"]
    assert last_refresh.endswith("Z")
    parsed = datetime.strptime(last_refresh, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    assert abs(datetime.now(timezone.utc) - parsed) < timedelta(seconds=5)
    assert json.loads(json.dumps(data)) == data
    assert responses_status(server, tokens["access_token"]) == 200
    assert refresh(server, tokens["refresh_token"]).status == 200


def test_mint_credentials_expires_in(server: FakeCodexServer) -> None:
    """expires_in sets exp; zero or less gives an expired access token with a usable refresh."""
    fresh = server.mint_credentials(expires_in=60)["tokens"]
    assert 55 <= claims(fresh["access_token"])["exp"] - time.time() <= 60
    expired = server.mint_credentials(expires_in=-60)["tokens"]
    assert claims(expired["access_token"])["exp"] < time.time()
    assert responses_status(server, expired["access_token"]) == 401
    renewed = refresh(server, expired["refresh_token"])
    assert renewed.status == 200
    assert responses_status(server, renewed.json["access_token"]) == 200


def test_mint_credentials_needs_a_running_server() -> None:
    """The issuer includes the port, so minting needs a started server."""
    with pytest.raises(RuntimeError):
        FakeCodexServer().mint_credentials()


# ---------------------------------------------------------------------------------------------
# the backend accepts minted tokens


def test_backend_accepts_minted_access_tokens(server: FakeCodexServer) -> None:
    """/responses and /models accept a minted access token and still the fixed one."""
    tokens = sign_in(server)
    assert responses_status(server, tokens["access_token"]) == 200
    assert models_status(server, tokens["access_token"]) == 200
    assert responses_status(server, server.access_token) == 200
    assert models_status(server, server.access_token) == 200


def test_backend_rejects_expired_and_unknown_tokens(server: FakeCodexServer) -> None:
    """An expired, tampered, foreign or id token is 401 Unauthorized."""
    server.token_lifetime = 0
    expired = sign_in(server)["access_token"]
    server.token_lifetime = 3600
    tokens = sign_in(server)
    header, _, signature = tokens["access_token"].split(".")
    forged_claims = {**claims(tokens["access_token"]), "exp": int(time.time()) + 10**6}
    forged = f"{header}.{b64url(json.dumps(forged_claims).encode())}.{signature}"
    with FakeCodexServer() as other:
        foreign = other.mint_credentials()["tokens"]["access_token"]
    for token in (expired, forged, foreign, tokens["id_token"], tokens["refresh_token"], "x.y.z"):
        result = call(
            "POST",
            f"{server.url}/responses",
            json_body=BODY,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert result.status == 401
        assert result.json == {"detail": "Unauthorized"}
        assert models_status(server, token) == 401


def test_access_token_expires_after_its_lifetime(server: FakeCodexServer) -> None:
    """With a one-second lifetime, a token works at first and is refused once exp passes."""
    server.token_lifetime = 1
    token = server.mint_credentials()["tokens"]["access_token"]
    exp = claims(token)["exp"]
    if time.time() < exp - 0.2:  # exp is whole seconds: the token may live less than 1 s
        assert responses_status(server, token) == 200
    time.sleep(max(0.0, exp - time.time()) + 0.05)
    assert responses_status(server, token) == 401


# ---------------------------------------------------------------------------------------------
# refresh


def test_refresh_rotates_and_detects_reuse(server: FakeCodexServer) -> None:
    """A refresh gives new tokens; the old refresh token then fails with refresh_token_reused."""
    first = sign_in(server)
    result = refresh(server, first["refresh_token"])
    assert result.status == 200
    second = result.json
    assert {"id_token", "access_token", "refresh_token"} <= set(second)
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["id_token"] != first["id_token"]
    reused = refresh(server, first["refresh_token"])
    assert reused.status == 401
    assert reused.json["error"]["code"] == "refresh_token_reused"
    assert "already been used" in reused.json["error"]["message"]
    assert refresh(server, second["refresh_token"]).status == 200
    assert server.refresh_count == 3
    # Rotation does not revoke access tokens: they live until they expire.
    assert responses_status(server, first["access_token"]) == 200


def test_refresh_with_unknown_token_is_invalidated(server: FakeCodexServer) -> None:
    """An unknown refresh token is 401 refresh_token_invalidated and still counted."""
    result = refresh(server, "rt_unknown")
    assert result.status == 401
    assert result.json["error"]["code"] == "refresh_token_invalidated"
    assert server.refresh_count == 1


def test_refresh_request_shape_is_checked(server: FakeCodexServer) -> None:
    """A form-encoded refresh, another client_id or a missing token is refused with 400."""
    token = server.mint_credentials()["tokens"]["refresh_token"]
    form = {"client_id": CLIENT_ID, "grant_type": "refresh_token", "refresh_token": token}
    as_form = call("POST", f"{server.issuer}/oauth/token", form=form)
    assert as_form.status == 400
    assert as_form.json["error"] == "invalid_request"
    body = {"grant_type": "refresh_token", "refresh_token": token, "client_id": "other"}
    wrong_client = call("POST", f"{server.issuer}/oauth/token", json_body=body)
    assert wrong_client.status == 400
    body = {"grant_type": "refresh_token", "client_id": CLIENT_ID}
    missing = call("POST", f"{server.issuer}/oauth/token", json_body=body)
    assert missing.status == 400
    assert server.refresh_count == 3
    # None of these used the token up.
    assert refresh(server, token).status == 200
    sent = server.requests[-1]
    assert sent.json == {
        "client_id": CLIENT_ID,
        "grant_type": "refresh_token",
        "refresh_token": token,
    }


def test_concurrent_refreshes_with_one_token_succeed_once(server: FakeCodexServer) -> None:
    """Of many simultaneous refreshes with the same token, exactly one wins."""
    token = server.mint_credentials()["tokens"]["refresh_token"]
    server.refresh_delay = 0.05

    async def go() -> list[int]:
        body = {"client_id": CLIENT_ID, "grant_type": "refresh_token", "refresh_token": token}
        async with aiohttp.ClientSession() as session:

            async def one() -> int:
                async with session.post(f"{server.issuer}/oauth/token", json=body) as response:
                    await response.read()
                    return response.status

            return list(await asyncio.gather(*(one() for _ in range(20))))

    statuses = asyncio.run(go())
    assert sorted(statuses) == [200] + [401] * 19
    assert server.refresh_count == 20


def test_refresh_count_is_safe_across_threads(server: FakeCodexServer) -> None:
    """Refreshes from several threads are all counted."""
    tokens = [server.mint_credentials()["tokens"]["refresh_token"] for _ in range(8)]
    statuses: list[int] = []
    lock = threading.Lock()

    def worker(token: str) -> None:
        status = refresh(server, token).status
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=worker, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 8
    assert server.refresh_count == 8


def test_queue_refresh_scripts_failures(server: FakeCodexServer) -> None:
    """Queued replies answer the next refreshes, count, and leave the token usable."""
    token = server.mint_credentials()["tokens"]["refresh_token"]
    expired = {"error": {"code": "refresh_token_expired"}}
    server.queue_refresh(http_error(503), http_error(401, expired))
    assert refresh(server, token).status == 503
    result = refresh(server, token)
    assert result.status == 401
    assert result.json == expired
    assert refresh(server, token).status == 200
    assert server.refresh_count == 3
    with pytest.raises(TypeError):
        server.queue_refresh("nope")  # type: ignore[arg-type]


def test_refresh_delay_holds_the_answer(server: FakeCodexServer) -> None:
    """``refresh_delay`` delays refresh answers only."""
    token = server.mint_credentials()["tokens"]["refresh_token"]
    server.refresh_delay = 0.3
    started = time.monotonic()
    assert refresh(server, token).status == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    sign_in(server)
    assert time.monotonic() - started < 0.3


# ---------------------------------------------------------------------------------------------
# revoke


def test_revoke_refresh_token(server: FakeCodexServer) -> None:
    """A revoked refresh token can no longer refresh; revoked lists it."""
    tokens = server.mint_credentials()["tokens"]
    body = {
        "token": tokens["refresh_token"],
        "token_type_hint": "refresh_token",
        "client_id": CLIENT_ID,
    }
    result = call("POST", f"{server.issuer}/oauth/revoke", json_body=body)
    assert result.status == 200
    assert result.json == {}
    assert server.revoked == [tokens["refresh_token"]]
    refused = refresh(server, tokens["refresh_token"])
    assert refused.status == 401
    assert refused.json["error"]["code"] == "refresh_token_invalidated"
    assert responses_status(server, tokens["access_token"]) == 200


def test_revoke_access_token_and_unknown_token(server: FakeCodexServer) -> None:
    """A revoked access token is refused by the backend; unknown tokens revoke fine."""
    access = server.mint_credentials()["tokens"]["access_token"]
    body = {"token": access, "token_type_hint": "access_token"}
    assert call("POST", f"{server.issuer}/oauth/revoke", json_body=body).status == 200
    assert responses_status(server, access) == 401
    unknown = {"token": "whatever", "token_type_hint": "refresh_token", "client_id": CLIENT_ID}
    assert call("POST", f"{server.issuer}/oauth/revoke", json_body=unknown).status == 200
    assert server.revoked == [access, "whatever"]
    missing = call("POST", f"{server.issuer}/oauth/revoke", json_body={})
    assert missing.status == 400
    as_form = call("POST", f"{server.issuer}/oauth/revoke", form={"token": "t"})
    assert as_form.status == 400
    assert server.revoked == [access, "whatever"]


# ---------------------------------------------------------------------------------------------
# device code


def request_device_code(server: FakeCodexServer) -> dict[str, Any]:
    """POST /api/accounts/deviceauth/usercode."""
    result = call(
        "POST",
        f"{server.issuer}/api/accounts/deviceauth/usercode",
        json_body={"client_id": CLIENT_ID},
    )
    assert result.status == 200
    data: dict[str, Any] = result.json
    return data


def poll(server: FakeCodexServer, device: Mapping[str, Any]) -> Result:
    """POST /api/accounts/deviceauth/token once."""
    body = {"device_auth_id": device["device_auth_id"], "user_code": device["user_code"]}
    return call("POST", f"{server.issuer}/api/accounts/deviceauth/token", json_body=body)


def test_device_code_pending_then_approved(server: FakeCodexServer) -> None:
    """Polls are 403 until the code is approved, then give a code to exchange."""
    device = request_device_code(server)
    assert set(device) == {"device_auth_id", "user_code", "interval"}
    assert device["interval"] == "1"
    assert server.wait_for_device_code() == device["user_code"]
    assert poll(server, device).status == 403
    assert poll(server, device).status == 403
    server.approve_device_code(device["user_code"])
    result = poll(server, device)
    assert result.status == 200
    approval = result.json
    assert set(approval) == {"authorization_code", "code_challenge", "code_verifier"}
    verifier = approval["code_verifier"]
    assert len(verifier) == 86
    assert b64url(hashlib.sha256(verifier.encode()).digest()) == approval["code_challenge"]
    callback = f"{server.issuer}/deviceauth/callback"
    assert exchange(server, approval["authorization_code"], verifier, REDIRECT_URI).status == 400
    tokens = exchange(server, approval["authorization_code"], verifier, callback)
    assert tokens.status == 200
    assert responses_status(server, tokens.json["access_token"]) == 200
    with pytest.raises(TimeoutError):
        server.wait_for_device_code(timeout=0.05)


def test_device_code_auto_approve(server: FakeCodexServer) -> None:
    """With device_auto_approve=2, the third poll succeeds."""
    server.device_auto_approve = 2
    server.device_poll_interval = 0.05
    device = request_device_code(server)
    assert device["interval"] == "0.05"
    assert [poll(server, device).status for _ in range(4)] == [403, 403, 200, 200]


def test_device_code_errors(server: FakeCodexServer) -> None:
    """Unknown device codes and client ids are refused; approving an unknown code raises."""
    result = call(
        "POST",
        f"{server.issuer}/api/accounts/deviceauth/usercode",
        json_body={"client_id": "other"},
    )
    assert result.status == 400
    device = request_device_code(server)
    assert poll(server, {**device, "user_code": "WRONG-CODE"}).status == 400
    assert poll(server, {**device, "device_auth_id": "nope"}).status == 400
    with pytest.raises(ValueError):
        server.approve_device_code("NOPE-NOPE")


def test_device_code_waiting_from_another_thread(server: FakeCodexServer) -> None:
    """A test thread can wait for the code a client requested and approve it."""
    results: list[int] = []

    def client() -> None:
        device = request_device_code(server)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            status = poll(server, device).status
            if status != 403:
                results.append(status)
                return
            time.sleep(0.02)

    thread = threading.Thread(target=client)
    thread.start()
    server.approve_device_code(server.wait_for_device_code(timeout=5))
    thread.join()
    assert results == [200]


# ---------------------------------------------------------------------------------------------
# clear and repr


def test_clear_keeps_issued_tokens(server: FakeCodexServer) -> None:
    """clear() resets the counters and logs; minted tokens keep working, used ones stay used."""
    kept = server.mint_credentials()["tokens"]
    used = server.mint_credentials()["tokens"]
    assert refresh(server, used["refresh_token"]).status == 200
    call("POST", f"{server.issuer}/oauth/revoke", json_body={"token": "t"})
    server.queue_refresh(http_error(503))
    server.clear()
    assert server.refresh_count == 0
    assert server.revoked == []
    assert server.requests == []
    assert responses_status(server, kept["access_token"]) == 200
    assert refresh(server, kept["refresh_token"]).status == 200  # the 503 was forgotten
    assert refresh(server, used["refresh_token"]).json["error"]["code"] == "refresh_token_reused"


def test_clear_forgets_pending_codes(server: FakeCodexServer) -> None:
    """Authorization and device codes from before clear() are no longer valid."""
    verifier, challenge = new_pkce()
    code = get_code(server, challenge)
    device = request_device_code(server)
    server.clear()
    assert exchange(server, code, verifier).status == 400
    assert poll(server, device).status == 400
    with pytest.raises(TimeoutError):
        server.wait_for_device_code(timeout=0.05)


def test_tokens_survive_a_restart() -> None:
    """A stopped and restarted server still accepts the tokens it minted."""
    server = FakeCodexServer()
    with server:
        tokens = server.mint_credentials()["tokens"]
    with server:
        assert responses_status(server, tokens["access_token"]) == 200
        assert refresh(server, tokens["refresh_token"]).status == 200


def test_repr_shows_no_tokens(server: FakeCodexServer) -> None:
    """The server's repr names no token."""
    tokens = sign_in(server)
    call("POST", f"{server.issuer}/oauth/revoke", json_body={"token": tokens["refresh_token"]})
    text = repr(server)
    for name in ("id_token", "access_token", "refresh_token"):
        assert tokens[name] not in text
    assert server.access_token not in text
