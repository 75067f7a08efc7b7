"""Tests for ``_tokens``: JWT claims, the CLI's auth.json format, expiry and refresh rules."""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, strategies as st

from codex_open_client._auth._tokens import (
    AUTH_CLAIM,
    MAX_NESTING,
    PROFILE_CLAIM,
    REFRESH_MARGIN,
    STALE_AFTER,
    Account,
    Credentials,
    decode_jwt_claims,
    default_token_path,
    format_rfc3339,
    get_account_id,
    is_flat_auth_json,
    parse_rfc3339,
)
from codex_open_client._exceptions import AuthError

NOW = datetime(2026, 4, 27, 12, 0, 0, tzinfo=timezone.utc)
# Every token made here contains this marker, so a leak is easy to spot.
SECRET = "SeCrEt"
REFRESH_TOKEN = f"rt_{SECRET}_refresh_0001"
LAST_REFRESH_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(claims: dict[str, Any], *, signature: str = f"sig_{SECRET}") -> str:
    """A short unsigned JWT carrying ``claims`` (the signature is never checked)."""
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{b64(json.dumps(claims).encode())}.{signature}"


def id_token(account_id: str | None = "acc-1", **claims: Any) -> str:
    auth: dict[str, Any] = {"chatgpt_plan_type": "plus", "chatgpt_user_id": "user-1"}
    if account_id is not None:
        auth["chatgpt_account_id"] = account_id
    return jwt({"email": "ada@example.com", AUTH_CLAIM: auth, **claims})


def access_token(exp: datetime | None = NOW + timedelta(hours=1), **claims: Any) -> str:
    if exp is not None:
        claims["exp"] = int(exp.timestamp())
    return jwt({"sub": "user-1", **claims})


def account_token(**claim: str) -> str:
    """An access token whose OpenAI auth claim (AUTH_CLAIM) is ``claim``."""
    claims: dict[str, Any] = {AUTH_CLAIM: claim}
    return access_token(**claims)


def cli_auth_json(**overrides: Any) -> dict[str, Any]:
    """An auth.json dict as the Codex CLI writes it, with keys this package does not know."""
    data: dict[str, Any] = {
        "auth_mode": "chatgpt",
        "OPENAI_API_KEY": None,
        "tokens": {
            "id_token": id_token(),
            "access_token": access_token(),
            "refresh_token": REFRESH_TOKEN,
            "account_id": "acc-1",
            "future_token_field": {"kept": [1, 2, 3]},
        },
        "last_refresh": "2026-04-27T11:59:58.123456Z",
        "agent_identity": None,
        "some_new_setting": {"nested": True, "list": ["a", 1, None]},
    }
    data.update(overrides)
    return data


def credentials(**kwargs: Any) -> Credentials:
    values: dict[str, Any] = {
        "access_token": access_token(),
        "refresh_token": REFRESH_TOKEN,
        "id_token": id_token(),
        "account_id": "acc-1",
        "last_refresh": NOW,
    }
    values.update(kwargs)
    return Credentials(**values)


def secrets_of(creds: Credentials) -> list[str]:
    return [t for t in (creds.access_token, creds.refresh_token, creds.id_token) if t]


# --------------------------------------------------------------------------- JWT claims


def test_decode_jwt_claims_reads_the_payload_of_a_three_part_token() -> None:
    """A header.payload.signature token gives its payload as a dict; the signature is ignored."""
    assert decode_jwt_claims(jwt({"a": 1, "b": {"c": "d"}})) == {"a": 1, "b": {"c": "d"}}
    assert decode_jwt_claims(jwt({"a": 1}, signature="anything")) == {"a": 1}


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        "opaque-access-token",
        "a.b",
        "a.b.c.d",
        f"{b64(b'{}')}..sig",
        f".{b64(b'{}')}.sig",
        f"h.{b64(b'{}')}.",
        f"h.{b64(b'{}')}==.sig",  # padded: the CLI's decoder refuses padding
        "h.not*base64.sig",
        f"h.{b64(b'not json')}.sig",
        f"h.{b64(b'[1, 2]')}.sig",
        f"h.{b64(bytes([0xFF, 0xFE]))}.sig",
        "h.a.sig",  # one base64 character cannot encode a byte
    ],
)
def test_decode_jwt_claims_is_none_for_anything_but_a_jwt(token: str | None) -> None:
    """Wrong part count, empty parts, padding, bad base64, or a payload that is not an object."""
    assert decode_jwt_claims(token) is None


def test_decode_jwt_claims_of_a_deeply_nested_payload_is_none() -> None:
    """A hostile token nested 100,000 deep is not a JWT, not a RecursionError."""
    payload = base64.urlsafe_b64encode(b"[" * 100_000).rstrip(b"=").decode()
    assert decode_jwt_claims(f"e30.{payload}.sig") is None


# Integers within 64 bits: orjson decodes larger ones as floats, _json's documented difference
# (no token carries one; the CLI's serde_json reads claims as i64/u64 too).
_CLAIM_INTS = st.integers(-(2**63), 2**64 - 1)


@given(st.dictionaries(st.text(), st.one_of(st.none(), _CLAIM_INTS, st.text()), max_size=5))
def test_decode_jwt_claims_round_trips_any_object(claims: dict[str, Any]) -> None:
    """Any JSON object survives encoding as a JWT payload and decoding."""
    assert decode_jwt_claims(jwt(claims)) == claims


# --------------------------------------------------------------------------- RFC 3339


def test_rfc3339_parses_what_the_cli_writes() -> None:
    """Z or an offset, 0 to 9 fraction digits (nanoseconds cut to microseconds), aware UTC."""
    assert parse_rfc3339("2026-04-27T12:34:56Z") == datetime(
        2026, 4, 27, 12, 34, 56, tzinfo=timezone.utc
    )
    assert parse_rfc3339("2026-04-27T12:34:56.123456789Z").microsecond == 123456
    assert parse_rfc3339("2026-04-27T12:34:56.5Z").microsecond == 500000
    shifted = parse_rfc3339("2026-04-27T14:34:56.123+02:00")
    assert shifted == datetime(2026, 4, 27, 12, 34, 56, 123000, tzinfo=timezone.utc)
    assert shifted.tzinfo == timezone.utc
    for bad in ("yesterday", "2026-04-27", "2026-04-27T12:34:56", "2026-13-01T00:00:00Z"):
        with pytest.raises(ValueError):
            parse_rfc3339(bad)


def test_format_rfc3339_is_utc_with_microseconds_and_z() -> None:
    """The CLI's last_refresh shape, converted to UTC from any zone; naive datetimes refused."""
    assert format_rfc3339(datetime(2026, 4, 27, 12, 34, 56, 123456, tzinfo=timezone.utc)) == (
        "2026-04-27T12:34:56.123456Z"
    )
    plus_two = timezone(timedelta(hours=2))
    assert format_rfc3339(datetime(2026, 4, 27, 14, 0, tzinfo=plus_two)) == (
        "2026-04-27T12:00:00.000000Z"
    )
    with pytest.raises(ValueError):
        format_rfc3339(datetime(2026, 4, 27))


@given(st.datetimes(timezones=st.just(timezone.utc)))
def test_rfc3339_round_trip(when: datetime) -> None:
    """Formatting then parsing gives the same instant."""
    text = format_rfc3339(when)
    assert LAST_REFRESH_RE.fullmatch(text)
    assert parse_rfc3339(text) == when


# --------------------------------------------------------------------------- auth.json format


def test_cli_file_round_trips_with_unknown_keys_and_exact_shape() -> None:
    """A CLI-written dict loads, and to_auth_json gives back the same dict, key order included."""
    data = cli_auth_json()
    creds = Credentials.from_auth_json(data)
    assert creds is not None
    assert creds.access_token == data["tokens"]["access_token"]
    assert creds.refresh_token == REFRESH_TOKEN
    assert creds.id_token == data["tokens"]["id_token"]
    assert creds.account_id == "acc-1"
    assert creds.last_refresh == datetime(2026, 4, 27, 11, 59, 58, 123456, tzinfo=timezone.utc)
    out = creds.to_auth_json()
    assert out == data
    assert list(out) == list(data)
    assert list(out["tokens"]) == list(data["tokens"])
    assert json.dumps(out, indent=2) == json.dumps(data, indent=2)


def test_from_auth_json_does_not_share_the_callers_dict() -> None:
    """The input is copied: changing it later, or the output, leaves the credentials alone."""
    data = cli_auth_json()
    creds = Credentials.from_auth_json(data)
    assert creds is not None
    data["some_new_setting"]["nested"] = False
    out = creds.to_auth_json()
    assert out["some_new_setting"]["nested"] is True
    out["some_new_setting"]["nested"] = "changed"
    assert creds.to_auth_json()["some_new_setting"]["nested"] is True


def test_nanosecond_last_refresh_is_kept_verbatim_when_unchanged() -> None:
    """A last_refresh with 9 digits (chrono) is written back as it was, not rounded."""
    data = cli_auth_json(last_refresh="2026-04-27T11:59:58.123456789Z")
    creds = Credentials.from_auth_json(data)
    assert creds is not None
    assert creds.to_auth_json()["last_refresh"] == "2026-04-27T11:59:58.123456789Z"


def test_openai_api_key_is_kept_or_written_as_null() -> None:
    """OPENAI_API_KEY is always written: the stored value, else null."""
    with_key = Credentials.from_auth_json(cli_auth_json(OPENAI_API_KEY="sk-kept"))
    assert with_key is not None
    assert with_key.to_auth_json()["OPENAI_API_KEY"] == "sk-kept"
    data = cli_auth_json()
    del data["OPENAI_API_KEY"]
    without = Credentials.from_auth_json(data)
    assert without is not None
    out = without.to_auth_json()
    assert "OPENAI_API_KEY" in out
    assert out["OPENAI_API_KEY"] is None


def test_new_credentials_are_written_in_exactly_the_cli_format() -> None:
    """Fresh credentials give auth_mode, OPENAI_API_KEY, tokens, last_refresh, in that order."""
    creds = Credentials.from_token_response(
        {"id_token": id_token(), "access_token": access_token(), "refresh_token": REFRESH_TOKEN},
        now=datetime(2026, 4, 27, 12, 34, 56, 123456, tzinfo=timezone.utc),
    )
    assert creds.to_auth_json() == {
        "auth_mode": "chatgpt",
        "OPENAI_API_KEY": None,
        "tokens": {
            "id_token": creds.id_token,
            "access_token": creds.access_token,
            "refresh_token": REFRESH_TOKEN,
            "account_id": "acc-1",
        },
        "last_refresh": "2026-04-27T12:34:56.123456Z",
    }
    assert list(creds.to_auth_json()) == ["auth_mode", "OPENAI_API_KEY", "tokens", "last_refresh"]
    assert list(creds.to_auth_json()["tokens"]) == [
        "id_token",
        "access_token",
        "refresh_token",
        "account_id",
    ]


def test_a_changed_last_refresh_is_written_in_the_cli_format() -> None:
    """After a refresh, last_refresh is RFC 3339 UTC with microseconds and Z."""
    previous = Credentials.from_auth_json(cli_auth_json())
    assert previous is not None
    when = datetime(2026, 5, 1, 8, 0, 0, 7, tzinfo=timezone(timedelta(hours=-4)))
    refreshed = Credentials.from_token_response(
        {"access_token": access_token()}, now=when, previous=previous
    )
    stamp = refreshed.to_auth_json()["last_refresh"]
    assert stamp == "2026-05-01T12:00:00.000007Z"
    assert LAST_REFRESH_RE.fullmatch(stamp)


def test_missing_refresh_token_is_written_as_an_empty_string() -> None:
    """The CLI needs a string there; an empty one reads back as no refresh token."""
    creds = credentials(refresh_token=None)
    out = creds.to_auth_json()
    assert out["tokens"]["refresh_token"] == ""
    again = Credentials.from_auth_json(out)
    assert again is not None
    assert again.refresh_token is None


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"auth_mode": "chatgpt", "OPENAI_API_KEY": None, "tokens": None},
        {"OPENAI_API_KEY": "sk-abc", "tokens": None},
        {"OPENAI_API_KEY": "sk-abc", "tokens": {"access_token": "x", "refresh_token": "y"}},
        {"auth_mode": "apikey", "OPENAI_API_KEY": "sk-abc"},
        {"auth_mode": "chatgpt", "tokens": {"access_token": "", "refresh_token": "y"}},
        {"auth_mode": "chatgpt", "tokens": {"refresh_token": "y"}},
    ],
)
def test_from_auth_json_is_none_without_chatgpt_tokens(data: dict[str, Any]) -> None:
    """No tokens object, API-key mode, or no access token: nothing to sign in with."""
    assert Credentials.from_auth_json(data) is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([], "JSON object"),
        ({"tokens": "nope"}, "tokens"),
        ({"tokens": {"access_token": 42}}, "tokens.access_token"),
        ({"tokens": {"access_token": "a", "refresh_token": 1}}, "tokens.refresh_token"),
        ({"tokens": {"access_token": "a", "id_token": f"not-a-jwt-{SECRET}"}}, "tokens.id_token"),
        ({"tokens": {"access_token": "a", "id_token": f"x.{SECRET}.y"}}, "tokens.id_token"),
        ({"tokens": {"access_token": "a"}, "last_refresh": 5}, "last_refresh"),
        ({"tokens": {"access_token": "a"}, "last_refresh": "monday"}, "last_refresh"),
    ],
)
def test_from_auth_json_refuses_malformed_fields_without_quoting_them(
    data: Any, field: str
) -> None:
    """A malformed field raises ValueError naming the field, never its value."""
    with pytest.raises(ValueError, match=re.escape(field)) as info:
        Credentials.from_auth_json(data)
    assert SECRET not in str(info.value)


def nested(depth: int) -> Any:
    """A list ``depth`` levels deep."""
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


def test_from_auth_json_refuses_content_nested_too_deeply() -> None:
    """Deeper than MAX_NESTING (a copy would raise RecursionError): ValueError saying so."""
    # The file itself is a level, and so is the value of "deep".
    assert Credentials.from_auth_json(cli_auth_json(deep=nested(MAX_NESTING - 1))) is not None
    with pytest.raises(ValueError, match="nested more than 64 levels deep"):
        Credentials.from_auth_json(cli_auth_json(deep=nested(MAX_NESTING)))
    with pytest.raises(ValueError, match="nested more than 64 levels deep"):
        Credentials.from_auth_json(cli_auth_json(deep=nested(900)))


# --------------------------------------------------------------------------- 0.2.2's file


def flat_auth_json(**overrides: Any) -> dict[str, Any]:
    """The flat auth.json of codex-open-client 0.2.2 (its TokenData, None values left out)."""
    data: dict[str, Any] = {
        "access_token": access_token(),
        "refresh_token": REFRESH_TOKEN,
        "expires_at": (NOW + timedelta(hours=1)).timestamp(),
        "token_type": "Bearer",
        "id_token": id_token(),
        "scope": "openid profile email offline_access",
    }
    data.update(overrides)
    return data


def test_is_flat_auth_json() -> None:
    """Top-level access_token and neither tokens nor auth_mode: 0.2.2's flat file."""
    assert is_flat_auth_json(flat_auth_json())
    assert is_flat_auth_json({"access_token": "a"})
    assert not is_flat_auth_json(cli_auth_json())
    assert not is_flat_auth_json({"access_token": "a", "tokens": None})
    assert not is_flat_auth_json({"access_token": "a", "auth_mode": "chatgpt"})
    assert not is_flat_auth_json({"OPENAI_API_KEY": "sk"})
    assert not is_flat_auth_json([])


def test_a_flat_022_file_gives_its_tokens() -> None:
    """Tokens, account (from the id token) and expiry come from 0.2.2's fields."""
    data = flat_auth_json()
    creds = Credentials.from_auth_json(data)
    assert creds is not None
    assert creds.access_token == data["access_token"]
    assert creds.refresh_token == REFRESH_TOKEN
    assert creds.id_token == data["id_token"]
    assert creds.account_id == "acc-1"
    assert creds.last_refresh is None
    assert creds.expires_at == NOW + timedelta(hours=1)
    assert not creds.needs_refresh(NOW)


def test_a_flat_022_file_is_written_in_the_cli_format() -> None:
    """to_auth_json of flat credentials: the CLI's shape; 0.2.2's token fields gone, extras kept."""
    creds = Credentials.from_auth_json(flat_auth_json(extra_from_server={"kept": [1]}))
    assert creds is not None
    assert creds.to_auth_json() == {
        "auth_mode": "chatgpt",
        "OPENAI_API_KEY": None,
        "tokens": {
            "id_token": creds.id_token,
            "access_token": creds.access_token,
            "refresh_token": REFRESH_TOKEN,
            "account_id": "acc-1",
        },
        "extra_from_server": {"kept": [1]},
    }
    refreshed = Credentials.from_token_response(
        {"access_token": access_token(), "refresh_token": "rt-new"}, now=NOW, previous=creds
    )
    written = refreshed.to_auth_json()
    assert written["tokens"]["refresh_token"] == "rt-new"
    assert written["last_refresh"] == "2026-04-27T12:00:00.000000Z"
    assert Credentials.from_auth_json(written) == refreshed


def test_a_flat_opaque_token_expires_at_its_expires_at() -> None:
    """An access token without exp: 0.2.2's expires_at says when to refresh; a JWT exp wins."""
    expired = Credentials.from_auth_json(
        flat_auth_json(access_token="opaque", expires_at=(NOW - timedelta(minutes=1)).timestamp())
    )
    assert expired is not None
    assert expired.expires_at == NOW - timedelta(minutes=1)
    assert expired.needs_refresh(NOW) and not expired.usable(NOW)
    later = Credentials.from_auth_json(
        flat_auth_json(access_token="opaque", expires_at=(NOW + timedelta(days=1)).timestamp())
    )
    assert later is not None and not later.needs_refresh(NOW)
    jwt_wins = Credentials.from_auth_json(flat_auth_json(expires_at=0))
    assert jwt_wins is not None and jwt_wins.expires_at == NOW + timedelta(hours=1)
    unknown = Credentials.from_auth_json({"access_token": "opaque"})
    assert unknown is not None and unknown.expires_at is None


def test_a_flat_file_without_id_token_reads_the_account_from_the_access_token() -> None:
    """As 0.2.2's get_account_id: the access token's chatgpt_account_id."""
    token = account_token(chatgpt_account_id="acc-from-access")
    creds = Credentials.from_auth_json({"access_token": token, "refresh_token": "r"})
    assert creds is not None and creds.account_id == "acc-from-access"
    assert Credentials.from_auth_json({"access_token": ""}) is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"access_token": 42}, "access_token"),
        ({"refresh_token": [SECRET]}, "refresh_token"),
        ({"id_token": f"not-a-jwt-{SECRET}"}, "id_token"),
        ({"expires_at": f"{SECRET}-soon"}, "expires_at"),
        ({"expires_at": True}, "expires_at"),
        ({"expires_at": 1e300}, "expires_at"),
        ({"expires_at": float("nan")}, "expires_at"),
    ],
)
def test_a_flat_file_with_malformed_fields_is_refused_without_quoting_them(
    overrides: dict[str, Any], field: str
) -> None:
    """ValueError naming the field of 0.2.2's file, never its value."""
    with pytest.raises(ValueError, match=re.escape(field)) as info:
        Credentials.from_auth_json(flat_auth_json(**overrides))
    assert SECRET not in str(info.value)
    assert "tokens." not in str(info.value)


def test_get_account_id() -> None:
    """0.2.2's get_account_id(token): chatgpt_account_id, else account_id, else None."""
    assert get_account_id(account_token(chatgpt_account_id="a1")) == "a1"
    assert get_account_id(account_token(account_id="a2")) == "a2"
    assert get_account_id(access_token()) is None
    assert get_account_id(f"opaque-{SECRET}") is None


# --------------------------------------------------------------------------- account


def test_account_id_comes_from_tokens_else_from_the_id_token_claim() -> None:
    """tokens.account_id wins; when null, the id token's chatgpt_account_id is used."""
    explicit = Credentials.from_auth_json(cli_auth_json())
    assert explicit is not None
    assert explicit.account_id == "acc-1"
    data = cli_auth_json()
    data["tokens"]["account_id"] = "acc-explicit"
    assert (Credentials.from_auth_json(data) or credentials()).account_id == "acc-explicit"
    data["tokens"]["account_id"] = None
    data["tokens"]["id_token"] = id_token(account_id="acc-from-claim")
    from_claim = Credentials.from_auth_json(data)
    assert from_claim is not None
    assert from_claim.account_id == "acc-from-claim"
    assert from_claim.to_auth_json()["tokens"]["account_id"] == "acc-from-claim"
    data["tokens"]["id_token"] = id_token(account_id=None)
    assert (Credentials.from_auth_json(data) or credentials()).account_id is None


def test_account_reads_the_claims() -> None:
    """email, plan_type, user_id from the id token; expires_at (aware UTC) from the access token."""
    exp = datetime(2026, 4, 27, 13, 0, 0, tzinfo=timezone.utc)
    account = credentials(access_token=access_token(exp)).account
    assert account == Account(
        email="ada@example.com",
        plan_type="plus",
        account_id="acc-1",
        user_id="user-1",
        expires_at=exp,
    )
    assert account.expires_at is not None
    assert account.expires_at.tzinfo is not None
    assert account.expires_at.utcoffset() == timedelta(0)


def test_account_email_falls_back_to_the_profile_claim_and_user_id_to_user_id() -> None:
    """Without a top-level email, the profile claim's; without chatgpt_user_id, user_id."""
    token = jwt(
        {
            PROFILE_CLAIM: {"email": "grace@example.com"},
            AUTH_CLAIM: {"user_id": "user-legacy", "chatgpt_account_id": "acc-9"},
        }
    )
    account = credentials(id_token=token, account_id=None, access_token="opaque").account
    assert account.email == "grace@example.com"
    assert account.user_id == "user-legacy"
    assert account.plan_type is None
    assert account.account_id is None  # the credentials' field, set when they were built
    assert account.expires_at is None


def test_account_of_an_access_token_alone_reads_its_claims() -> None:
    """from_access_token (no id token): the access token's own claims fill the account."""
    auth_claim: Any = {"chatgpt_plan_type": "pro", "user_id": "u-7"}
    token = access_token(email="lin@example.com", **{AUTH_CLAIM: auth_claim})
    creds = Credentials.from_access_token(token, account_id="acc-7")
    assert creds.refresh_token is None
    assert creds.last_refresh is None
    assert creds.account == Account(
        email="lin@example.com",
        plan_type="pro",
        account_id="acc-7",
        user_id="u-7",
        expires_at=creds.expires_at,
    )
    assert creds.expires_at == datetime.fromtimestamp(
        int((NOW + timedelta(hours=1)).timestamp()), timezone.utc
    )
    opaque = Credentials.from_access_token("opaque-token")
    assert opaque.account == Account()


# --------------------------------------------------------------------------- refresh rules


def test_needs_refresh_within_the_margin_before_exp() -> None:
    """With exp: refresh once exp - REFRESH_MARGIN <= now, whatever last_refresh says."""
    assert timedelta(minutes=5) == REFRESH_MARGIN
    creds = credentials(access_token=access_token(NOW + timedelta(minutes=30)), last_refresh=None)
    assert not creds.needs_refresh(NOW)
    assert not creds.needs_refresh(NOW + timedelta(minutes=24, seconds=59))
    assert creds.needs_refresh(NOW + timedelta(minutes=25))
    assert creds.needs_refresh(NOW + timedelta(hours=2))
    long_lived = credentials(
        access_token=access_token(NOW + timedelta(days=60)), last_refresh=NOW - timedelta(days=30)
    )
    assert not long_lived.needs_refresh(NOW)  # exp decides, not the 8-day rule


def test_without_exp_refresh_when_last_refresh_is_older_than_8_days() -> None:
    """No exp: stale after 8 days since last_refresh; no last_refresh either: never."""
    assert timedelta(days=8) == STALE_AFTER
    creds = credentials(access_token="opaque", last_refresh=NOW)
    assert not creds.needs_refresh(NOW + timedelta(days=7))
    assert not creds.needs_refresh(NOW + timedelta(days=8))
    assert creds.needs_refresh(NOW + timedelta(days=8, seconds=1))
    assert not credentials(access_token="opaque", last_refresh=None).needs_refresh(
        NOW + timedelta(days=365)
    )
    no_exp_jwt = credentials(access_token=access_token(None), last_refresh=NOW)
    assert no_exp_jwt.needs_refresh(NOW + timedelta(days=9))


def test_usable_until_the_access_token_expires() -> None:
    """usable(now): exp > now, or no exp at all."""
    creds = credentials(access_token=access_token(NOW + timedelta(minutes=1)))
    assert creds.usable(NOW)
    assert creds.needs_refresh(NOW)  # inside the margin, but still usable
    assert not creds.usable(NOW + timedelta(minutes=1))
    assert not creds.usable(NOW + timedelta(hours=1))
    assert credentials(access_token="opaque").usable(NOW + timedelta(days=1000))


def test_naive_datetimes_are_refused() -> None:
    """now must be aware: a naive datetime raises ValueError rather than guessing a zone."""
    naive = datetime(2026, 4, 27, 12, 0)
    creds = credentials()
    for call in (creds.needs_refresh, creds.usable):
        with pytest.raises(ValueError, match="timezone-aware"):
            call(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        Credentials.from_token_response({"access_token": "a"}, now=naive)


@pytest.mark.parametrize("exp", [True, "1700000000", 10**20, -(10**20), None])
def test_unusable_exp_claims_mean_no_expiry(exp: Any) -> None:
    """exp that is not a number (or out of range) is treated as absent."""
    creds = credentials(access_token=jwt({"exp": exp}))
    assert creds.expires_at is None


# --------------------------------------------------------------------------- token responses


def test_from_token_response_builds_new_credentials() -> None:
    """A full answer: all three tokens, account_id from the id token, last_refresh = now."""
    data = {"id_token": id_token("acc-new"), "access_token": access_token(), "refresh_token": "r1"}
    creds = Credentials.from_token_response(data, now=NOW)
    assert creds.access_token == data["access_token"]
    assert creds.id_token == data["id_token"]
    assert creds.refresh_token == "r1"
    assert creds.account_id == "acc-new"
    assert creds.last_refresh == NOW
    assert creds.raw == {}


def test_from_token_response_keeps_what_the_answer_leaves_out() -> None:
    """Missing tokens keep the previous values; present ones replace them; raw is carried over."""
    previous = Credentials.from_auth_json(cli_auth_json())
    assert previous is not None
    new_access = access_token(NOW + timedelta(hours=2))
    later = NOW + timedelta(days=1)
    only_access = Credentials.from_token_response(
        {"access_token": new_access, "refresh_token": None, "id_token": ""},
        now=later,
        previous=previous,
    )
    assert only_access.access_token == new_access
    assert only_access.refresh_token == previous.refresh_token
    assert only_access.id_token == previous.id_token
    assert only_access.account_id == "acc-1"
    assert only_access.last_refresh == later
    out = only_access.to_auth_json()
    assert out["some_new_setting"] == {"nested": True, "list": ["a", 1, None]}
    assert out["tokens"]["future_token_field"] == {"kept": [1, 2, 3]}
    assert out["tokens"]["access_token"] == new_access
    assert out["last_refresh"] == format_rfc3339(later)

    rotated = Credentials.from_token_response(
        {"refresh_token": "r2", "id_token": id_token("acc-other")}, now=later, previous=previous
    )
    assert rotated.access_token == previous.access_token
    assert rotated.refresh_token == "r2"
    assert rotated.id_token != previous.id_token
    assert rotated.account_id == "acc-1"  # the account stays the previous one, as in the CLI
    assert previous.to_auth_json() == cli_auth_json()  # the previous credentials are unchanged


def test_from_token_response_errors_do_not_quote_tokens() -> None:
    """No access token at all, or an id token that is not a JWT: AuthError without token text."""
    with pytest.raises(AuthError, match="access_token") as missing:
        Credentials.from_token_response({"refresh_token": REFRESH_TOKEN}, now=NOW)
    with pytest.raises(AuthError, match="id_token") as bad:
        Credentials.from_token_response(
            {"access_token": access_token(), "id_token": f"bad-{SECRET}"}, now=NOW
        )
    for info in (missing, bad):
        assert SECRET not in str(info.value)
        assert SECRET not in repr(info.value)


# --------------------------------------------------------------------------- paths


def test_default_token_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """codex_home, else $CODEX_HOME, else ~/.codex; then auth.json."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CODEX_HOME", raising=False)
    assert default_token_path() == tmp_path / "home" / ".codex" / "auth.json"
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "env-home"))
    assert default_token_path() == tmp_path / "env-home" / "auth.json"
    assert default_token_path(tmp_path / "explicit") == tmp_path / "explicit" / "auth.json"
    assert default_token_path(str(tmp_path)) == tmp_path / "auth.json"
    assert default_token_path("~/other") == tmp_path / "home" / "other" / "auth.json"
    monkeypatch.setenv("CODEX_HOME", "")
    assert default_token_path() == tmp_path / "home" / ".codex" / "auth.json"


# --------------------------------------------------------------------------- no leaks


def test_no_token_in_reprs() -> None:
    """repr and str of Credentials and Account show the account, never a token."""
    creds = Credentials.from_auth_json(cli_auth_json())
    assert creds is not None
    fresh = Credentials.from_token_response(
        {"access_token": access_token(), "refresh_token": REFRESH_TOKEN, "id_token": id_token()},
        now=NOW,
    )
    for value in (creds, fresh, Credentials.from_access_token(access_token())):
        for text in (repr(value), str(value), repr(value.account), str(value.account)):
            assert SECRET not in text
            for token in secrets_of(value):
                assert token not in text
    assert "acc-1" in repr(creds)


def test_credentials_are_hashable_and_compare_by_value() -> None:
    """Credentials hash and compare by their fields; raw (the other keys of the file) is not."""
    a = Credentials.from_auth_json(cli_auth_json())
    b = Credentials.from_auth_json(cli_auth_json(some_new_setting="different"))
    assert a is not None
    assert a == b
    assert hash(a) == hash(b)
    assert a != credentials()
    assert a != Credentials.from_auth_json(cli_auth_json(last_refresh="2026-04-27T11:59:59Z"))
