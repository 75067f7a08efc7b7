"""The fake backend's OAuth authority: JWTs, PKCE, refresh-token rotation, revoke, device codes.

This module does no I/O: :class:`OAuthAuthority` keeps the token tables and turns one recorded
request into one :class:`Answer`; :class:`~codex_open_client.testing.FakeCodexServer` routes
the HTTP requests to it. All state is guarded by one lock, because the server thread writes it
while test threads read it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Literal

import attrs

from ._replies import Reply

CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"
AUTH_CLAIM = "https://api.openai.com/auth"
PROFILE_CLAIM = "https://api.openai.com/profile"
API_AUDIENCE = "https://api.openai.com/v1"
SCOPES = ("openid", "profile", "email", "offline_access")
DEVICE_CALLBACK_PATH = "/deviceauth/callback"

_CODE_LIFETIME_SECONDS = 600.0
_REUSED_MESSAGE = (
    "Your refresh token has already been used to generate a new access token. "
    "Please try signing in again."
)
_INVALIDATED_MESSAGE = "Your refresh token was revoked or is not valid. Please sign in again."
_B64URL_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_USER_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

_RefreshState = Literal["active", "used", "revoked"]


def b64url(data: bytes) -> str:
    """Base64url without padding, as JWTs and PKCE use it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge of a PKCE verifier."""
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def rfc3339_now() -> str:
    """Now in the Codex CLI's ``last_refresh`` format: UTC, microseconds, ``Z``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@attrs.frozen(kw_only=True)
class Identity:
    """Who the minted tokens are for, read from the server's settings at minting time."""

    issuer: str
    account_id: str
    email: str
    plan_type: str
    user_id: str
    lifetime: float


@attrs.frozen(kw_only=True)
class Answer:
    """One HTTP answer: a JSON payload, or a redirect when ``location`` is set."""

    status: int
    payload: Any = None
    location: str | None = None


def _oauth_error(status: int, error: str, description: str) -> Answer:
    return Answer(status=status, payload={"error": error, "error_description": description})


def _refresh_error(code: str, message: str) -> Answer:
    # The shape of the real token endpoint's refresh failures (OpenAI API error object).
    error = {"message": message, "type": "invalid_request_error", "param": None, "code": code}
    return Answer(status=401, payload={"error": error})


@attrs.define(kw_only=True)
class _Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    expires_at: float


@attrs.define(kw_only=True)
class _Device:
    device_auth_id: str
    user_code: str
    polls: int = 0
    approval: dict[str, str] | None = None


def _media_type(headers: Mapping[str, str]) -> str:
    return headers.get("Content-Type", "").split(";")[0].strip().lower()


def _form(body: bytes) -> dict[str, str]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return {}
    return {name: values[0] for name, values in urllib.parse.parse_qs(text).items()}


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _text(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    return value if isinstance(value, str) else ""


def _is_loopback_callback(redirect_uri: str) -> bool:
    """Whether ``redirect_uri`` is ``http://localhost:{port}/auth/callback``, as the CLI sends."""
    try:
        parts = urllib.parse.urlsplit(redirect_uri)
        port = parts.port
    except ValueError:
        return False
    return (
        parts.scheme == "http"
        and parts.hostname == "localhost"
        and port is not None
        and parts.path == "/auth/callback"
        and not parts.query
        and not parts.fragment
    )


def _with_query(url: str, params: Mapping[str, str]) -> str:
    separator = "&" if urllib.parse.urlsplit(url).query else "?"
    return f"{url}{separator}{urllib.parse.urlencode(params)}"


class OAuthAuthority:
    """Token tables and the OAuth endpoint logic of one fake server."""

    def __init__(self) -> None:
        # A fresh signing key per server: tokens minted by another server never verify here.
        self._key = secrets.token_bytes(32)
        self._changed = threading.Condition(threading.Lock())
        self._codes: dict[str, _Grant] = {}
        self._refresh: dict[str, _RefreshState] = {}
        self._revoked_access: set[str] = set()
        self._revoked_log: list[str] = []
        self._devices: dict[str, _Device] = {}
        self._refresh_replies: deque[Reply] = deque()
        self._refresh_count = 0

    # -- inspection ----------------------------------------------------------------------------

    @property
    def refresh_count(self) -> int:
        with self._changed:
            return self._refresh_count

    @property
    def revoked(self) -> list[str]:
        with self._changed:
            return list(self._revoked_log)

    def clear(self) -> None:
        """Forget the history and the scripts; issued tokens keep their state."""
        with self._changed:
            self._refresh_count = 0
            self._revoked_log.clear()
            self._refresh_replies.clear()
            self._codes.clear()
            self._devices.clear()

    def queue_refresh(self, replies: tuple[Reply, ...]) -> None:
        with self._changed:
            self._refresh_replies.extend(replies)

    # -- tokens --------------------------------------------------------------------------------

    def _sign(self, claims: Mapping[str, Any]) -> str:
        header = b64url(b'{"alg":"HS256","typ":"JWT"}')
        payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = f"{header}.{payload}"
        signature = hmac.new(self._key, signing_input.encode("ascii"), hashlib.sha256).digest()
        return f"{signing_input}.{b64url(signature)}"

    def _verified_claims(self, token: str) -> dict[str, Any] | None:
        parts = token.split(".")
        if len(parts) != 3:
            return None
        header, payload, signature = parts
        expected = hmac.new(self._key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        try:
            if not hmac.compare_digest(_b64url_decode(signature), expected):
                return None
            claims = json.loads(_b64url_decode(payload))
        except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
            return None
        return claims if isinstance(claims, dict) else None

    def mint(self, identity: Identity, expires_in: float | None = None) -> dict[str, Any]:
        """New id, access and refresh tokens, as the token endpoint returns them."""
        lifetime = identity.lifetime if expires_in is None else expires_in
        now = time.time()
        iat = int(now)
        exp = int(now + lifetime)
        auth = {
            "chatgpt_account_id": identity.account_id,
            "chatgpt_plan_type": identity.plan_type,
            "chatgpt_user_id": identity.user_id,
            "user_id": identity.user_id,
        }
        common = {
            "iss": identity.issuer,
            "sub": identity.user_id,
            "iat": iat,
            "exp": exp,
            "email": identity.email,
        }
        id_token = self._sign(
            {
                **common,
                "aud": [CLIENT_ID],
                "jti": secrets.token_hex(16),
                "email_verified": True,
                AUTH_CLAIM: auth,
            }
        )
        access_token = self._sign(
            {
                **common,
                "aud": [API_AUDIENCE],
                "client_id": CLIENT_ID,
                "jti": secrets.token_hex(16),
                "scp": list(SCOPES),
                AUTH_CLAIM: auth,
                PROFILE_CLAIM: {"email": identity.email, "email_verified": True},
            }
        )
        refresh_token = f"rt_{secrets.token_urlsafe(32)}"
        with self._changed:
            self._refresh[refresh_token] = "active"
        return {
            "id_token": id_token,
            "access_token": access_token,
            "refresh_token": refresh_token,
            "expires_in": max(0, exp - iat),
            "token_type": "Bearer",
            "scope": " ".join(SCOPES),
        }

    def accepts(self, token: str) -> bool:
        """Whether ``token`` is an unexpired, unrevoked access token minted here."""
        claims = self._verified_claims(token)
        if claims is None or API_AUDIENCE not in claims.get("aud", ()):
            return False
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or exp <= time.time():
            return False
        with self._changed:
            return token not in self._revoked_access

    # -- endpoints -----------------------------------------------------------------------------

    def authorize(self, query: Mapping[str, str], deny: tuple[str, str] | None = None) -> Answer:
        """``GET /oauth/authorize``: approve at once and redirect back with a code."""
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != CLIENT_ID:
            return _oauth_error(400, "invalid_client", "unknown client_id")
        if not _is_loopback_callback(redirect_uri):
            return _oauth_error(
                400,
                "invalid_request",
                "redirect_uri must be http://localhost:{port}/auth/callback",
            )
        state = query.get("state", "")
        problem = self._authorize_problem(query)

        def back(params: dict[str, str]) -> Answer:
            if state:
                params["state"] = state
            return Answer(status=302, location=_with_query(redirect_uri, params))

        if problem is not None:
            return back({"error": "invalid_request", "error_description": problem})
        if deny is not None:
            return back({"error": deny[0], "error_description": deny[1]})
        code = self._new_code(redirect_uri, query["code_challenge"])
        return back({"code": code})

    @staticmethod
    def _authorize_problem(query: Mapping[str, str]) -> str | None:
        if query.get("response_type") != "code":
            return "response_type must be code"
        scopes = query.get("scope", "").split()
        if "openid" not in scopes or "offline_access" not in scopes:
            return "scope must include openid and offline_access"
        if query.get("code_challenge_method") != "S256":
            return "code_challenge_method must be S256"
        challenge = query.get("code_challenge", "")
        if len(challenge) != 43 or not set(challenge) <= _B64URL_ALPHABET:
            return "code_challenge must be a base64url SHA-256 digest"
        if not query.get("state"):
            return "state is required"
        return None

    def _new_code(self, redirect_uri: str, challenge: str) -> str:
        code = f"ac_{secrets.token_urlsafe(32)}"
        grant = _Grant(
            client_id=CLIENT_ID,
            redirect_uri=redirect_uri,
            challenge=challenge,
            expires_at=time.time() + _CODE_LIFETIME_SECONDS,
        )
        with self._changed:
            self._codes[code] = grant
        return code

    def is_refresh_grant(self, headers: Mapping[str, str], body: bytes) -> bool:
        """Whether a token request asks for a refresh (in either encoding)."""
        if _media_type(headers) == "application/json":
            params: Mapping[str, Any] = _json_object(body) or {}
        else:
            params = _form(body)
        return params.get("grant_type") == "refresh_token"

    def token(self, headers: Mapping[str, str], body: bytes, identity: Identity) -> Answer | Reply:
        """``POST /oauth/token``: the code exchange (a form) or a refresh (JSON)."""
        media_type = _media_type(headers)
        if media_type == "application/x-www-form-urlencoded":
            form = _form(body)
            grant_type = form.get("grant_type")
            if grant_type == "authorization_code":
                return self._exchange(form, identity)
            if grant_type == "refresh_token":
                self._count_refresh()
                return _oauth_error(400, "invalid_request", "send the refresh grant as JSON")
        elif media_type == "application/json":
            params = _json_object(body)
            if params is None:
                return _oauth_error(400, "invalid_request", "the body is not a JSON object")
            grant_type = params.get("grant_type")
            if grant_type == "refresh_token":
                return self._refresh_grant(params, identity)
            if grant_type == "authorization_code":
                return _oauth_error(400, "invalid_request", "send the code exchange as a form")
        else:
            return _oauth_error(400, "invalid_request", "unsupported Content-Type")
        return _oauth_error(400, "unsupported_grant_type", "unsupported grant_type")

    def _exchange(self, form: Mapping[str, str], identity: Identity) -> Answer:
        code = form.get("code", "")
        verifier = form.get("code_verifier", "")
        if not code or not verifier or not form.get("redirect_uri"):
            return _oauth_error(
                400, "invalid_request", "code, redirect_uri and code_verifier are required"
            )
        if form.get("client_id") != CLIENT_ID:
            return _oauth_error(400, "invalid_client", "unknown client_id")
        with self._changed:
            grant = self._codes.get(code)
            if grant is None or grant.expires_at <= time.time():
                return _oauth_error(
                    400, "invalid_grant", "the authorization code is invalid or expired"
                )
            if grant.redirect_uri != form["redirect_uri"]:
                return _oauth_error(400, "invalid_grant", "redirect_uri does not match")
            if not hmac.compare_digest(pkce_challenge(verifier), grant.challenge):
                return _oauth_error(
                    400, "invalid_grant", "code_verifier does not match the code_challenge"
                )
            del self._codes[code]
        return Answer(status=200, payload=self.mint(identity))

    def _count_refresh(self) -> None:
        with self._changed:
            self._refresh_count += 1

    def _refresh_grant(self, params: Mapping[str, Any], identity: Identity) -> Answer | Reply:
        with self._changed:
            self._refresh_count += 1
            if self._refresh_replies:
                return self._refresh_replies.popleft()
        if params.get("client_id") != CLIENT_ID:
            return _oauth_error(400, "invalid_client", "unknown client_id")
        token = _text(params, "refresh_token")
        if not token:
            return _oauth_error(400, "invalid_request", "refresh_token is required")
        with self._changed:
            state = self._refresh.get(token)
            if state == "active":
                self._refresh[token] = "used"
        if state == "used":
            return _refresh_error("refresh_token_reused", _REUSED_MESSAGE)
        if state != "active":
            return _refresh_error("refresh_token_invalidated", _INVALIDATED_MESSAGE)
        return Answer(status=200, payload=self.mint(identity))

    def revoke(self, headers: Mapping[str, str], body: bytes) -> Answer:
        """``POST /oauth/revoke`` (JSON, as the CLI sends it); unknown tokens are fine."""
        if _media_type(headers) != "application/json":
            return _oauth_error(400, "invalid_request", "send the revocation as JSON")
        params = _json_object(body) or {}
        token = _text(params, "token")
        if not token:
            return _oauth_error(400, "invalid_request", "token is required")
        with self._changed:
            self._revoked_log.append(token)
            if token in self._refresh:
                self._refresh[token] = "revoked"
            else:
                self._revoked_access.add(token)
        return Answer(status=200, payload={})

    # -- device code ---------------------------------------------------------------------------

    def device_usercode(self, body: bytes, interval: float) -> Answer:
        """``POST /api/accounts/deviceauth/usercode``: a new device code, pending approval."""
        params = _json_object(body) or {}
        if params.get("client_id") != CLIENT_ID:
            return _oauth_error(400, "invalid_client", "unknown client_id")
        letters = [secrets.choice(_USER_CODE_ALPHABET) for _ in range(8)]
        device = _Device(
            device_auth_id=f"deviceauth_{secrets.token_urlsafe(16)}",
            user_code=f"{''.join(letters[:4])}-{''.join(letters[4:])}",
        )
        with self._changed:
            self._devices[device.device_auth_id] = device
            self._changed.notify_all()
        seconds = f"{interval:g}"
        return Answer(
            status=200,
            payload={
                "device_auth_id": device.device_auth_id,
                "user_code": device.user_code,
                "interval": seconds,
            },
        )

    def device_token(self, body: bytes, issuer: str, auto_approve: int | None) -> Answer:
        """``POST /api/accounts/deviceauth/token``: 403 while pending, then the code."""
        params = _json_object(body) or {}
        with self._changed:
            device = self._devices.get(_text(params, "device_auth_id"))
            if device is None or device.user_code != params.get("user_code"):
                return _oauth_error(400, "invalid_request", "unknown device code")
            if (
                device.approval is None
                and auto_approve is not None
                and device.polls >= auto_approve
            ):
                self._approve(device, issuer)
            device.polls += 1
            self._changed.notify_all()
            if device.approval is None:
                return Answer(
                    status=403,
                    payload={
                        "error": "authorization_pending",
                        "error_description": "the user has not approved the code yet",
                    },
                )
            return Answer(status=200, payload=dict(device.approval))

    def _approve(self, device: _Device, issuer: str) -> None:
        verifier = b64url(secrets.token_bytes(64))
        challenge = pkce_challenge(verifier)
        code = f"ac_{secrets.token_urlsafe(32)}"
        self._codes[code] = _Grant(
            client_id=CLIENT_ID,
            redirect_uri=f"{issuer}{DEVICE_CALLBACK_PATH}",
            challenge=challenge,
            expires_at=time.time() + _CODE_LIFETIME_SECONDS,
        )
        device.approval = {
            "authorization_code": code,
            "code_challenge": challenge,
            "code_verifier": verifier,
        }

    def approve_device_code(self, user_code: str, issuer: str) -> None:
        with self._changed:
            for device in self._devices.values():
                if device.user_code == user_code:
                    if device.approval is None:
                        self._approve(device, issuer)
                    return
        raise ValueError("no device code with this user code was requested")

    def wait_for_device_code(self, timeout: float) -> str:
        def pending() -> str | None:
            for device in self._devices.values():
                if device.approval is None:
                    return device.user_code
            return None

        with self._changed:
            if not self._changed.wait_for(lambda: pending() is not None, timeout):
                raise TimeoutError(f"no device code was requested within {timeout}s")
            code = pending()
            assert code is not None
            return code
