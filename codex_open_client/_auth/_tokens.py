"""Credentials in the Codex CLI's ``auth.json`` format, and the claims inside their JWTs (sans-IO).

``auth.json`` as the CLI writes it::

    {
      "auth_mode": "chatgpt",
      "OPENAI_API_KEY": null,
      "tokens": {"id_token": "<JWT>", "access_token": "<JWT>", "refresh_token": "...",
                 "account_id": "..."},
      "last_refresh": "2026-04-27T12:34:56.123456Z"
    }

``Credentials`` keeps the whole dict it was read from, so keys this package does not know
survive a write. The flat file codex-open-client 0.2.2 wrote (``access_token``,
``refresh_token``, ``expires_at``, ``id_token``, ``token_type``, ``scope`` at the top level) is
read too; it is written back in the CLI's format. JWT signatures are never checked: the
tokens are only read for their claims.
No token ever appears in a repr or an exception message.
"""

from __future__ import annotations

import base64
import copy
import os
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from attrs import field, frozen

from .. import _json
from .._exceptions import AuthError

__all__ = [
    "AUTH_CLAIM",
    "CLIENT_ID",
    "DEFAULT_CALLBACK_PORT",
    "DEFAULT_ISSUER",
    "FALLBACK_CALLBACK_PORT",
    "PROFILE_CLAIM",
    "REFRESH_MARGIN",
    "SCOPES",
    "STALE_AFTER",
    "Account",
    "Credentials",
    "decode_jwt_claims",
    "default_token_path",
    "format_rfc3339",
    "get_account_id",
    "is_flat_auth_json",
    "parse_rfc3339",
]

CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"
DEFAULT_ISSUER = "https://auth.openai.com"
DEFAULT_CALLBACK_PORT = 1455
FALLBACK_CALLBACK_PORT = 1457
SCOPES = "openid profile email offline_access api.connectors.read api.connectors.invoke"
AUTH_CLAIM = "https://api.openai.com/auth"
PROFILE_CLAIM = "https://api.openai.com/profile"
#: Refresh this long before the access token expires (earlier than the CLI, to spare a 401).
REFRESH_MARGIN = timedelta(minutes=5)
#: Without an ``exp`` claim, refresh when ``last_refresh`` is older than this (the CLI's rule).
STALE_AFTER = timedelta(days=8)
#: The deepest nesting accepted in ``auth.json`` (the CLI's format has 2 levels): deeper
#: content could not even be copied without a ``RecursionError``.
MAX_NESTING = 64

# The token fields of 0.2.2's flat file (its ``TokenData``), not kept when it is rewritten.
_FLAT_KEYS = ("access_token", "refresh_token", "expires_at", "token_type", "id_token", "scope")

_B64URL = re.compile(r"[A-Za-z0-9_-]+")
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})"
)

# --------------------------------------------------------------------------- helpers


def decode_jwt_claims(token: str | None) -> dict[str, Any] | None:
    """The payload of a JWT as a dict, or None when ``token`` is not one.

    Like the CLI: exactly three non-empty dot-separated parts and a base64url (unpadded)
    JSON object as the payload. The signature is not checked.
    """
    if not isinstance(token, str):
        return None
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        return None
    payload = parts[1]
    if not _B64URL.fullmatch(payload):
        return None
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = _json.loads(raw.decode("utf-8"))
    # binascii.Error, UnicodeDecodeError and bad (or too deeply nested) JSON are ValueErrors.
    except ValueError:
        return None
    return claims if isinstance(claims, dict) else None


def get_account_id(token: str) -> str | None:
    """The ChatGPT account id in the claims of ``token`` (a JWT), or None (0.2.2's helper).

    Reads ``chatgpt_account_id`` (else ``account_id``) of the ``https://api.openai.com/auth``
    claim; the signature is not checked.
    """
    claims = decode_jwt_claims(token) or {}
    return _claim(claims, AUTH_CLAIM, "chatgpt_account_id") or _claim(
        claims, AUTH_CLAIM, "account_id"
    )


def is_flat_auth_json(data: object) -> bool:
    """Whether ``data`` is the flat file of codex-open-client 0.2.2, not the CLI's format."""
    return (
        isinstance(data, dict)
        and "access_token" in data
        and "tokens" not in data
        and "auth_mode" not in data
    )


def _check_nesting(data: object) -> None:
    """Raise ``ValueError`` when ``data`` nests deeper than ``MAX_NESTING`` (no recursion)."""
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = list(value.values())
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth >= MAX_NESTING:
            raise ValueError(f"the content is nested more than {MAX_NESTING} levels deep")
        stack.extend((child, depth + 1) for child in children)


def _epoch(value: object, name: str) -> datetime | None:
    """Seconds since the epoch (0.2.2's ``expires_at``) as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} is not a number of seconds since the epoch")
    try:
        return datetime.fromtimestamp(value, timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"{name} is out of range") from None


def parse_rfc3339(value: str) -> datetime:
    """An RFC 3339 timestamp as an aware UTC datetime (fractions past microseconds dropped).

    Accepts what the CLI writes (chrono: 0 to 9 fraction digits and ``Z``) and any offset.
    """
    match = _RFC3339.fullmatch(value.strip())
    if match is None:
        raise ValueError("not an RFC 3339 timestamp")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, zone = match.group(7) or "", match.group(8)
    micro = int((fraction + "000000")[:6])
    if zone in ("Z", "z"):
        tz = timezone.utc
    else:
        sign = 1 if zone[0] == "+" else -1
        tz = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    try:
        # A leap second (:60) is read as :59.
        when = datetime(year, month, day, hour, minute, min(second, 59), micro, tzinfo=tz)
        return when.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError("timestamp out of range") from None


def format_rfc3339(value: datetime) -> str:
    """``value`` in the CLI's ``last_refresh`` format: UTC, microseconds, ``Z``."""
    v = _aware(value).astimezone(timezone.utc)
    return (
        f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}"
        f".{v.microsecond:06d}Z"
    )


def default_token_path(codex_home: str | os.PathLike[str] | None = None) -> Path:
    """``auth.json`` in ``codex_home``, else in ``$CODEX_HOME``, else in ``~/.codex``."""
    if codex_home is not None:
        home = Path(codex_home).expanduser()
    elif os.environ.get("CODEX_HOME"):
        home = Path(os.environ["CODEX_HOME"]).expanduser()
    else:
        home = Path.home() / ".codex"
    return home / "auth.json"


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("expected a timezone-aware datetime, e.g. datetime.now(timezone.utc)")
    return value


def _expiry(token: str | None) -> datetime | None:
    exp = (decode_jwt_claims(token) or {}).get("exp")
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        return None
    try:
        return datetime.fromtimestamp(exp, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _claim(claims: dict[str, Any], name: str, key: str) -> str | None:
    inner = claims.get(name)
    return _text(inner.get(key)) if isinstance(inner, dict) else None


def _account_id_claim(id_token: str | None) -> str | None:
    return _claim(decode_jwt_claims(id_token) or {}, AUTH_CLAIM, "chatgpt_account_id")


def _optional_token(tokens: dict[str, Any], key: str, where: str = "tokens.") -> str | None:
    value = tokens.get(key)
    if value is None or isinstance(value, str):
        return value or None
    raise ValueError(f"{where}{key} is not a string")


# --------------------------------------------------------------------------- models


@frozen(kw_only=True)
class Account:
    """The signed-in ChatGPT account, read from the token claims.

    ``expires_at`` is when the access token expires (aware, UTC), or None when it has no
    ``exp`` claim.
    """

    email: str | None = None
    plan_type: str | None = None
    account_id: str | None = None
    user_id: str | None = None
    expires_at: datetime | None = None


@frozen(kw_only=True)
class Credentials:
    """ChatGPT OAuth tokens, as stored in the Codex CLI's ``auth.json``.

    Build them with ``from_auth_json`` or ``from_token_response``; ``to_auth_json`` gives the
    file's content back, with every key this package does not know left as it was.
    ``expires_at=`` (aware) tells when an access token without a JWT ``exp`` expires.
    """

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    id_token: str | None = field(default=None, repr=False)
    #: Sent as ``ChatGPT-Account-ID``.
    account_id: str | None = None
    #: When the tokens were last obtained (aware).
    last_refresh: datetime | None = None
    #: The whole ``auth.json`` dict as read: unknown keys survive a write. Not compared:
    #: credentials are equal when their tokens, account and last_refresh are.
    raw: dict[str, Any] = field(factory=dict, repr=False, eq=False)
    # ``expires_at=``: when the access token expires if its JWT has no ``exp`` claim (0.2.2's
    # flat file records it; the CLI's format has no such field, so it is not written).
    _expires_at: datetime | None = field(default=None, repr=False, eq=False)

    # ----------------------------------------------------------------------- building

    @classmethod
    def from_auth_json(cls, data: dict[str, Any]) -> Credentials | None:
        """Credentials from the content of ``auth.json``.

        None when the file holds no ChatGPT tokens (API-key mode, or no access token).
        Raises ``ValueError`` (naming the field, never a value) when a field is malformed,
        e.g. an ``id_token`` that is not a JWT, which the CLI refuses too. The flat format of
        codex-open-client 0.2.2 is read as well (``is_flat_auth_json``).
        """
        if not isinstance(data, dict):
            raise ValueError("the content is not a JSON object")
        _check_nesting(data)
        if is_flat_auth_json(data):
            return cls._from_flat(data)
        mode = data.get("auth_mode") or ("apikey" if data.get("OPENAI_API_KEY") else "chatgpt")
        tokens = data.get("tokens")
        if mode == "apikey" or tokens is None:
            return None
        if not isinstance(tokens, dict):
            raise ValueError("tokens is not an object")
        access_token = _optional_token(tokens, "access_token")
        if access_token is None:
            return None
        id_token = _optional_token(tokens, "id_token")
        if id_token is not None and decode_jwt_claims(id_token) is None:
            raise ValueError("tokens.id_token is not a valid JWT")
        refresh_token = _optional_token(tokens, "refresh_token")
        account_id = _optional_token(tokens, "account_id") or _account_id_claim(id_token)
        stamp = data.get("last_refresh")
        last_refresh: datetime | None = None
        if stamp is not None:
            if not isinstance(stamp, str):
                raise ValueError("last_refresh is not a string")
            try:
                last_refresh = parse_rfc3339(stamp)
            except ValueError:
                raise ValueError("last_refresh is not an RFC 3339 timestamp") from None
        return cls(
            access_token=access_token,
            refresh_token=refresh_token,
            id_token=id_token,
            account_id=account_id,
            last_refresh=last_refresh,
            raw=copy.deepcopy(data),
        )

    @classmethod
    def _from_flat(cls, data: dict[str, Any]) -> Credentials | None:
        """Credentials from 0.2.2's flat file; its token fields are not kept in ``raw``."""
        access_token = _optional_token(data, "access_token", where="")
        if access_token is None:
            return None
        id_token = _optional_token(data, "id_token", where="")
        if id_token is not None and decode_jwt_claims(id_token) is None:
            raise ValueError("id_token is not a valid JWT")
        return cls(
            access_token=access_token,
            refresh_token=_optional_token(data, "refresh_token", where=""),
            id_token=id_token,
            # 0.2.2 read the account id from the access token's claims.
            account_id=_account_id_claim(id_token) or get_account_id(access_token),
            expires_at=_epoch(data.get("expires_at"), "expires_at"),
            raw={k: copy.deepcopy(v) for k, v in data.items() if k not in _FLAT_KEYS},
        )

    @classmethod
    def from_token_response(
        cls,
        data: dict[str, Any],
        *,
        now: datetime,
        previous: Credentials | None = None,
    ) -> Credentials:
        """Credentials from a token endpoint answer (``access_token``, ``id_token``, ...).

        Tokens the answer leaves out are kept from ``previous`` (a refresh may return only
        some of them); ``last_refresh`` becomes ``now`` (aware). ``account_id`` stays the
        previous one, else comes from the id token, as the CLI does.
        """
        now = _aware(now)
        if previous is not None:
            base_access: str | None = previous.access_token
            base_refresh, base_id = previous.refresh_token, previous.id_token
        else:
            base_access = base_refresh = base_id = None
        access_token = _text(data.get("access_token")) or base_access
        if access_token is None:
            raise AuthError("The token endpoint answered without an access_token")
        id_token = _text(data.get("id_token")) or base_id
        if id_token is not None and decode_jwt_claims(id_token) is None:
            raise AuthError("The token endpoint answered with an id_token that is not a JWT")
        account_id = previous.account_id if previous is not None else None
        return cls(
            access_token=access_token,
            refresh_token=_text(data.get("refresh_token")) or base_refresh,
            id_token=id_token,
            account_id=account_id or _account_id_claim(id_token),
            last_refresh=now.astimezone(timezone.utc),
            raw=copy.deepcopy(previous.raw) if previous is not None else {},
        )

    @classmethod
    def from_access_token(cls, access_token: str, *, account_id: str | None = None) -> Credentials:
        """Credentials holding only an access token (used as is: nothing to refresh with).

        Without ``account_id``, the token's own claim gives it (as ``get_account_id`` reads
        it), so ``ChatGPT-Account-ID`` is sent as it would be from ``auth.json``.
        """
        return cls(access_token=access_token, account_id=account_id or get_account_id(access_token))

    def to_auth_json(self) -> dict[str, Any]:
        """The ``auth.json`` content, in the CLI's format, with unknown keys preserved."""
        data = copy.deepcopy(self.raw)
        data["auth_mode"] = "chatgpt"
        data["OPENAI_API_KEY"] = data.get("OPENAI_API_KEY")
        tokens = data.get("tokens")
        if not isinstance(tokens, dict):
            tokens = {}
        tokens["id_token"] = self.id_token
        tokens["access_token"] = self.access_token
        # The CLI requires a string here; an empty one reads back as "no refresh token".
        tokens["refresh_token"] = self.refresh_token or ""
        tokens["account_id"] = self.account_id
        data["tokens"] = tokens
        if self.last_refresh is None:
            data.pop("last_refresh", None)
        elif not self._same_stamp(data.get("last_refresh")):
            data["last_refresh"] = format_rfc3339(self.last_refresh)
        return data

    def _same_stamp(self, stamp: object) -> bool:
        """Whether ``stamp`` (from the file) already says ``last_refresh``: then it stays as is."""
        if not isinstance(stamp, str) or self.last_refresh is None:
            return False
        try:
            return parse_rfc3339(stamp) == self.last_refresh
        except ValueError:
            return False

    # ----------------------------------------------------------------------- reading

    @property
    def expires_at(self) -> datetime | None:
        """When the access token expires (its JWT ``exp``, aware UTC), or None if unknown.

        Without an ``exp`` claim: the ``expires_at`` the credentials were built with (0.2.2's
        flat file records one), if any.
        """
        return _expiry(self.access_token) or self._expires_at

    @property
    def account(self) -> Account:
        """The account the tokens belong to (id token claims, then access token claims)."""
        claims = [
            decode_jwt_claims(self.id_token) or {},
            decode_jwt_claims(self.access_token) or {},
        ]

        def first(*getters: tuple[str | None, str]) -> str | None:
            for source in claims:
                for name, key in getters:
                    value = _text(source.get(key)) if name is None else _claim(source, name, key)
                    if value is not None:
                        return value
            return None

        return Account(
            email=first((None, "email"), (PROFILE_CLAIM, "email")),
            plan_type=first((AUTH_CLAIM, "chatgpt_plan_type")),
            account_id=self.account_id,
            user_id=first((AUTH_CLAIM, "chatgpt_user_id"), (AUTH_CLAIM, "user_id")),
            expires_at=self.expires_at,
        )

    def needs_refresh(self, now: datetime) -> bool:
        """Whether to refresh before using the access token at ``now`` (aware).

        With an ``exp`` claim: within ``REFRESH_MARGIN`` of it. Without: when ``last_refresh``
        is older than ``STALE_AFTER`` (never, when that is unknown too).
        """
        now = _aware(now)
        expires_at = self.expires_at
        if expires_at is not None:
            return expires_at - REFRESH_MARGIN <= now
        if self.last_refresh is None:
            return False
        return self.last_refresh < now - STALE_AFTER

    def usable(self, now: datetime) -> bool:
        """Whether the access token can still be sent at ``now`` (aware): not yet expired."""
        now = _aware(now)
        expires_at = self.expires_at
        return bool(self.access_token) and (expires_at is None or expires_at > now)
