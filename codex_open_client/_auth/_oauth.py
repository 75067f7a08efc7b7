"""ChatGPT OAuth: PKCE, the authorize URL, the callback, and the few token-endpoint calls.

The helpers at the top do no I/O. The calls below them go through a ``Transport`` and return
the decoded JSON; every failure raises an ``AuthError`` subclass whose message names what went
wrong and what to do, and never contains a token, a code or a verifier.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import math
import os
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlsplit, urlunsplit

from attrs import field, frozen

from .._exceptions import AuthError, CodexError, redact
from .._json import loads
from ._tokens import CLIENT_ID, SCOPES, Credentials

if TYPE_CHECKING:
    from .._transport import Transport

__all__ = [
    "DeviceCode",
    "LoginError",
    "Pkce",
    "RefreshError",
    "authorize_url",
    "callback_state_matches",
    "device_redirect_uri",
    "exchange_code",
    "new_pkce",
    "new_state",
    "parse_callback",
    "poll_device_code",
    "refresh_token_request",
    "refresh_url",
    "request_device_code",
    "revoke",
    "revoke_url",
    "token_url",
]

logger = logging.getLogger("codex_open_client")

REFRESH_URL_ENV = "CODEX_REFRESH_TOKEN_URL_OVERRIDE"
REVOKE_URL_ENV = "CODEX_REVOKE_TOKEN_URL_OVERRIDE"
DEVICE_CODE_TIMEOUT = 15 * 60.0  # the one-time code expires after 15 minutes
_DEFAULT_DEVICE_INTERVAL = 5.0
_REVOKE_TIMEOUT = 10.0
_RESTART = "Start the sign-in again."


class LoginError(AuthError, RuntimeError):
    """Signing in failed: a bad callback, a refused code, a timeout. ``code`` says which.

    Also a ``RuntimeError``, which is what 0.2.2 raised, so its ``except RuntimeError`` works.
    """


class RefreshError(AuthError):
    """The access token could not be refreshed.

    ``permanent`` is True when the refresh token is dead (expired, already used, revoked, or
    the token endpoint answered 401): only signing in again helps, so do not retry. Otherwise
    the failure is transient (a 5xx, a proxy) and a later refresh may work.
    """

    def __init__(self, message: str, *, permanent: bool, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.permanent = permanent


# --------------------------------------------------------------------------- sans-IO


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@frozen(kw_only=True)
class Pkce:
    """A PKCE pair: the secret ``verifier`` and its S256 ``challenge``."""

    verifier: str = field(repr=False)
    challenge: str


def new_pkce() -> Pkce:
    """A fresh PKCE pair: 64 random bytes as base64url (86 characters), and its SHA-256."""
    verifier = _b64url(secrets.token_bytes(64))
    challenge = _b64url(hashlib.sha256(verifier.encode("ascii")).digest())
    return Pkce(verifier=verifier, challenge=challenge)


def new_state() -> str:
    """A fresh ``state``: 32 random bytes as base64url without padding."""
    return _b64url(secrets.token_bytes(32))


def authorize_url(
    *, issuer: str, redirect_uri: str, pkce: Pkce, state: str, originator: str
) -> str:
    """The browser URL that starts a sign-in, with exactly the Codex CLI's parameters."""
    params = (
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", redirect_uri),
        ("scope", SCOPES),
        ("code_challenge", pkce.challenge),
        ("code_challenge_method", "S256"),
        ("id_token_add_organizations", "true"),
        ("codex_cli_simplified_flow", "true"),
        ("state", state),
        ("originator", originator),
    )
    query = "&".join(f"{name}={quote(value, safe='')}" for name, value in params)
    return f"{issuer.rstrip('/')}/oauth/authorize?{query}"


def _callback_params(url: str) -> dict[str, str]:
    """The query parameters of a callback URL (or of a bare query string), first values only."""
    text = url.strip()
    try:
        query = urlsplit(text).query if "?" in text else text
    except ValueError:  # e.g. "http://[x/?code=...": not a URL at all
        return {}
    return {name: values[0] for name, values in parse_qs(query).items() if values}


def _state_matches(params: Mapping[str, str], state: str) -> bool:
    # surrogatepass: a pasted URL may hold a lone surrogate, which is a mismatch, not a crash.
    given = params.get("state", "").encode("utf-8", "surrogatepass")
    return secrets.compare_digest(given, state.encode("utf-8", "surrogatepass"))


def callback_state_matches(url: str, *, state: str) -> bool:
    """Whether the callback URL carries ``state``: the callback belongs to this sign-in.

    Any web page can make a browser send a request to the local callback server; only the
    issuer's redirect knows the state.
    """
    return _state_matches(_callback_params(url), state)


def parse_callback(url: str, *, state: str) -> str:
    """The authorization code in the URL the browser was sent back to, after checking ``state``.

    Accepts the whole URL, or just its query string.
    """
    params = _callback_params(url)
    if not params:
        raise LoginError(
            "That is not the sign-in redirect URL: expected one with ?code=...&state=... "
            "(the address the browser ended on after signing in)",
            code="invalid_callback",
        )
    if not _state_matches(params, state):
        raise LoginError(
            "State mismatch: the redirect URL does not belong to this sign-in (a stale tab, "
            f"an older attempt, or a forged request). {_RESTART}",
            code="state_mismatch",
        )
    error = params.get("error")
    if error:
        description = params.get("error_description", "")
        if error == "access_denied" and "missing_codex_entitlement" in description:
            raise LoginError(
                "Codex is not enabled for your workspace: ask your ChatGPT workspace admin "
                "for access, or sign in with another account",
                code="missing_codex_entitlement",
            )
        detail = f"{error}: {description}" if description else error
        raise LoginError(f"Sign-in failed: {detail}. {_RESTART}", code=error)
    code = params.get("code")
    if not code:
        raise LoginError(
            f"The redirect URL has no authorization code. {_RESTART}", code="missing_code"
        )
    return code


def token_url(issuer: str) -> str:
    """The token endpoint used for the code exchange."""
    return f"{issuer.rstrip('/')}/oauth/token"


def _env_url(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def refresh_url(issuer: str) -> str:
    """The refresh endpoint: ``$CODEX_REFRESH_TOKEN_URL_OVERRIDE``, else the token endpoint."""
    return _env_url(REFRESH_URL_ENV) or token_url(issuer)


def revoke_url(issuer: str) -> str:
    """The revoke endpoint, overridable the way the Codex CLI does it."""
    override = _env_url(REVOKE_URL_ENV)
    if override:
        return override
    refresh_override = _env_url(REFRESH_URL_ENV)
    if refresh_override:
        parts = urlsplit(refresh_override)
        return urlunsplit((parts.scheme, parts.netloc, "/oauth/revoke", "", ""))
    return f"{issuer.rstrip('/')}/oauth/revoke"


def device_redirect_uri(issuer: str) -> str:
    """The ``redirect_uri`` of the code exchange that ends a device-code sign-in."""
    return f"{issuer.rstrip('/')}/deviceauth/callback"


def _decode(content: bytes) -> object:
    """The JSON answer, or None when it is not JSON (nested too deeply included)."""
    try:
        return loads(content.decode("utf-8"))
    except ValueError:
        return None


def _request_id(headers: Mapping[str, str], secret_values: tuple[str, ...]) -> str | None:
    value: str | None = redact(
        headers.get("x-request-id") or headers.get("x-oai-request-id"), secret_values
    )
    return value


def _oauth_error(
    body: object, content: bytes, secret_values: tuple[str, ...] = ()
) -> tuple[str | None, str]:
    """The error code and message of a token endpoint error, in its several shapes.

    ``secret_values`` are redacted from both, in case the server echoes one back.
    """
    code: str | None = None
    message = ""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            raw = error.get("code") or error.get("type")
            code = str(raw) if raw else None
            message = str(error.get("message") or "")
        elif isinstance(error, str):
            code = error
        if code is None and isinstance(body.get("code"), str):
            code = body["code"]
        description = body.get("error_description")
        if isinstance(description, str) and description:
            message = f"{message} {description}".strip()
        if not message and isinstance(body.get("message"), str):
            message = body["message"]
    elif content.strip():
        text = redact(content.decode("utf-8", "replace"), secret_values, cut=True)
        message = " ".join(text.split())[:200]
    return redact(code, secret_values), redact(message, secret_values)


# --------------------------------------------------------------------------- calls


async def exchange_code(
    transport: Transport,
    *,
    issuer: str,
    code: str,
    redirect_uri: str,
    verifier: str,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """Trade an authorization code for tokens (form POST); the JSON answer."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": CLIENT_ID,
        "code_verifier": verifier,
    }
    secret_values = (code, verifier)
    status, headers, content = await transport.fetch(
        "POST", token_url(issuer), form=form, timeout=timeout, secrets=secret_values
    )
    body = _decode(content)
    if status >= 400:
        body = redact(body, secret_values)
        error_code, detail = _oauth_error(body, content, secret_values)
        shown = f"{error_code}: {detail}" if error_code and detail else error_code or detail
        raise LoginError(
            f"Sign-in failed: the token endpoint refused the authorization code "
            f"(HTTP {status}{': ' + shown if shown else ''}). {_RESTART}",
            status_code=status,
            code=error_code,
            body=body,
            request_id=_request_id(headers, secret_values),
        )
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        raise LoginError(
            f"Sign-in failed: the token endpoint answered HTTP {status} without an access "
            f"token (check issuer=). {_RESTART}",
            status_code=status,
        )
    return body


_PERMANENT_MESSAGES = {
    "refresh_token_expired": "because your refresh token has expired",
    "refresh_token_reused": "because your refresh token was already used",
    "refresh_token_invalidated": "because your refresh token was revoked",
}


async def refresh_token_request(
    transport: Transport,
    *,
    url: str,
    refresh_token: str,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """Refresh (JSON POST); the JSON answer, whose every field is optional.

    Raises ``RefreshError`` with ``permanent`` set as the Codex CLI classifies the failure;
    network failures raise ``APIConnectionError`` (transient too).
    """
    payload = {
        "client_id": CLIENT_ID,
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
    }
    secret_values = (refresh_token,)
    status, response_headers, content = await transport.fetch(
        "POST", url, headers=headers, json_body=payload, timeout=timeout, secrets=secret_values
    )
    body = _decode(content)
    request_id = _request_id(response_headers, secret_values)
    if status >= 400:
        body = redact(body, secret_values)
        error_code, detail = _oauth_error(body, content, secret_values)
        code = error_code.lower() if error_code else None
        kwargs: dict[str, Any] = {
            "status_code": status,
            "code": code,
            "body": body,
            "request_id": request_id,
        }
        if code in _PERMANENT_MESSAGES or status == 401:
            reason = _PERMANENT_MESSAGES.get(code or "")
            middle = f" {reason}" if reason else ""
            message = (
                f"Your access token could not be refreshed{middle}. "
                "Please log out and sign in again."
            )
            raise RefreshError(message, permanent=True, **kwargs)
        shown = detail or "no details"
        raise RefreshError(f"Failed to refresh token: {status}: {shown}", permanent=False, **kwargs)
    if not isinstance(body, dict):
        raise RefreshError(
            f"Failed to refresh token: {status}: the answer is not a JSON object",
            permanent=False,
            status_code=status,
            request_id=request_id,
        )
    return body


async def revoke(
    transport: Transport, *, url: str, credentials: Credentials, timeout: float = _REVOKE_TIMEOUT
) -> bool:
    """Revoke the refresh token (else the access token), best effort: True if it worked."""
    if credentials.refresh_token:
        payload = {
            "token": credentials.refresh_token,
            "token_type_hint": "refresh_token",
            "client_id": CLIENT_ID,
        }
    else:
        payload = {"token": credentials.access_token, "token_type_hint": "access_token"}
    try:
        status, _, _ = await transport.fetch(
            "POST", url, json_body=payload, timeout=timeout, secrets=(payload["token"],)
        )
    except CodexError as exc:
        logger.warning("could not revoke the %s: %s", payload["token_type_hint"], exc)
        return False
    if status >= 400:
        logger.warning("could not revoke the %s: HTTP %s", payload["token_type_hint"], status)
        return False
    return True


@frozen(kw_only=True)
class DeviceCode:
    """A device-code sign-in in progress: show ``verification_url`` and ``user_code``."""

    device_auth_id: str = field(repr=False)
    user_code: str
    interval: float
    verification_url: str


def _interval(value: object) -> float:
    """The poll interval, which the server sends as a string such as ``"5"``."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return _DEFAULT_DEVICE_INTERVAL
    try:
        seconds = float(value.strip() if isinstance(value, str) else value)
    except ValueError:
        return _DEFAULT_DEVICE_INTERVAL
    return seconds if math.isfinite(seconds) and seconds >= 0 else _DEFAULT_DEVICE_INTERVAL


async def request_device_code(
    transport: Transport, *, issuer: str, timeout: float = 30.0
) -> DeviceCode:
    """Ask for a one-time code the user types at ``{issuer}/codex/device``."""
    issuer = issuer.rstrip("/")
    status, _, content = await transport.fetch(
        "POST",
        f"{issuer}/api/accounts/deviceauth/usercode",
        json_body={"client_id": CLIENT_ID},
        timeout=timeout,
    )
    if status == 404:
        raise LoginError(
            f"Device code sign-in is not enabled for this Codex server ({issuer}); "
            "use the browser or headless sign-in instead",
            status_code=status,
            code="device_code_not_enabled",
        )
    body = _decode(content)
    if status >= 400:
        error_code, detail = _oauth_error(body, content)
        raise LoginError(
            f"Could not start a device code sign-in: HTTP {status}"
            f"{': ' + detail if detail else ''}",
            status_code=status,
            code=error_code,
            body=body,
        )
    if not isinstance(body, dict):
        body = {}
    device_auth_id = body.get("device_auth_id")
    user_code = body.get("user_code") or body.get("usercode")
    if not isinstance(device_auth_id, str) or not isinstance(user_code, str):
        raise LoginError(
            f"Could not start a device code sign-in: HTTP {status} without a device code "
            "(check issuer=)",
            status_code=status,
        )
    return DeviceCode(
        device_auth_id=device_auth_id,
        user_code=user_code,
        interval=_interval(body.get("interval")),
        verification_url=f"{issuer}/codex/device",
    )


async def poll_device_code(
    transport: Transport,
    *,
    issuer: str,
    device_code: DeviceCode,
    timeout: float = DEVICE_CODE_TIMEOUT,
) -> dict[str, Any]:
    """Poll until the user approved the code: ``{authorization_code, code_verifier, ...}``."""
    url = f"{issuer.rstrip('/')}/api/accounts/deviceauth/token"
    payload = {"device_auth_id": device_code.device_auth_id, "user_code": device_code.user_code}
    secret_values = (device_code.device_auth_id,)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        status, _, content = await transport.fetch(
            "POST", url, json_body=payload, secrets=secret_values
        )
        if status == 200:
            body = _decode(content)
            if (
                isinstance(body, dict)
                and isinstance(body.get("authorization_code"), str)
                and isinstance(body.get("code_verifier"), str)
            ):
                return body
            raise LoginError(
                "Device code sign-in failed: the server approved the code but sent no "
                f"authorization code. {_RESTART}",
                status_code=status,
            )
        if status not in (403, 404):  # 403 and 404 mean "not approved yet"
            error_code, detail = _oauth_error(_decode(content), content, secret_values)
            raise LoginError(
                f"Device code sign-in failed: HTTP {status}{': ' + detail if detail else ''}. "
                f"{_RESTART}",
                status_code=status,
                code=error_code,
            )
        remaining = deadline - loop.time()
        if remaining <= 0:
            minutes = f"{timeout / 60:g} minutes" if timeout >= 60 else f"{timeout:g} s"
            raise LoginError(
                f"Device code sign-in timed out: the code was not approved within {minutes}. "
                f"{_RESTART}",
                code="timeout",
            )
        await asyncio.sleep(min(device_code.interval, remaining))
