"""Mapping HTTP answers and in-stream errors to the exception tree."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

import codex_open_client as c
from codex_open_client._exceptions import (
    error_from_status,
    error_from_stream,
    parse_retry_after,
    redact,
)


def status_error(status: int, body: object, **headers: str) -> c.APIError:
    content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return error_from_status(status, content, headers, "http://x/responses")


def test_tree() -> None:
    """The class tree kept from the reference SDK."""
    assert issubclass(c.APIError, c.CodexError)
    for cls in (
        c.AuthError,
        c.InvalidRequestError,
        c.RateLimitError,
        c.QuotaExceededError,
        c.ServerError,
    ):
        assert issubclass(cls, c.APIError)
    assert issubclass(c.ContextWindowError, c.InvalidRequestError)
    assert issubclass(c.APITimeoutError, c.APIConnectionError)
    assert issubclass(c.APIConnectionError, c.CodexError)
    assert issubclass(c.StreamError, c.CodexError)


@pytest.mark.parametrize(
    ("status", "body", "cls", "code"),
    [
        (400, {"detail": "Store must be set to false"}, c.InvalidRequestError, None),
        (404, {"detail": "Not Found"}, c.InvalidRequestError, None),
        (
            400,
            {"error": {"code": "context_length_exceeded", "message": "too long"}},
            c.ContextWindowError,
            "context_length_exceeded",
        ),
        (401, {"detail": "Unauthorized"}, c.AuthError, None),
        (403, {"error": {"message": "nope"}}, c.AuthError, None),
        (
            429,
            {"error": {"type": "rate_limit_exceeded", "message": "slow down"}},
            c.RateLimitError,
            "rate_limit_exceeded",
        ),
        (
            429,
            {
                "error": {
                    "type": "usage_limit_reached",
                    "message": "The usage limit has been reached",
                    "plan_type": "plus",
                    "resets_at": 1775317531,
                }
            },
            c.QuotaExceededError,
            "usage_limit_reached",
        ),
        (
            429,
            {"error": {"type": "usage_not_included", "message": "x"}},
            c.QuotaExceededError,
            "usage_not_included",
        ),
        (500, {"error": {"message": "internal"}}, c.ServerError, None),
        (
            503,
            {"error": {"code": "server_is_overloaded", "message": "busy"}},
            c.ServerError,
            "server_is_overloaded",
        ),
    ],
)
def test_status_mapping(status: int, body: object, cls: type[c.APIError], code: str | None) -> None:
    """Status and body pick the class; code, status and body are kept."""
    error = status_error(status, body, **{"x-request-id": "req_9"})
    assert type(error) is cls
    assert error.status_code == status
    assert error.code == code
    assert error.body == body
    assert error.request_id == "req_9"
    assert f"HTTP {status}" in str(error)


def test_quota_fields() -> None:
    """usage_limit_reached carries resets_at and plan_type."""
    error = status_error(
        429,
        {"error": {"type": "usage_limit_reached", "plan_type": "plus", "resets_at": 1775317531}},
    )
    assert isinstance(error, c.QuotaExceededError)
    assert error.resets_at == datetime.fromtimestamp(1775317531, timezone.utc)
    assert error.plan_type == "plus"


def test_html_block_page_gives_one_line_with_hint() -> None:
    """A Cloudflare HTML 403: one line with status, a short snippet and a hint."""
    page = (
        "<!DOCTYPE html>\n<html><head><title>Just a moment...</title></head>"
        + "x" * 5000
        + "</html>"
    )
    error = status_error(403, page, **{"content-type": "text/html"})
    message = str(error)
    assert isinstance(error, c.AuthError)
    assert "\n" not in message
    assert "HTTP 403" in message and "text/html" in message and "Cloudflare" in message
    assert "Just a moment" in message
    assert len(message) < 500
    assert error.body == page


def test_fastapi_validation_list() -> None:
    """{"detail": [...]} validation lists become readable messages."""
    error = status_error(422, {"detail": [{"msg": "field required"}, {"msg": "bad"}]})
    assert "field required; bad" in str(error)


@pytest.mark.parametrize(
    ("headers", "message", "expected"),
    [
        ({"retry-after-ms": "28"}, "", 0.028),
        ({"retry-after": "3"}, "", 3.0),
        ({}, "Rate limit reached. Please try again in 1.5s.", 1.5),
        ({}, "try again in 28ms", 0.028),
        ({}, "Try again in 35 seconds", 35.0),
        ({}, "Rate limit reached for gpt-5. Please try again in 20s.", 20.0),
        ({}, "Please try again in 2m3s.", 123.0),
        ({}, "try again in 250ms", 0.25),
        ({}, "try again in 1 minute and 30 seconds", 90.0),
        ({}, "try again in 1h2m", 3720.0),
        ({}, "no hint", None),
    ],
)
def test_retry_after(headers: dict[str, str], message: str, expected: float | None) -> None:
    """Retry-After headers and "try again in" messages, in that order."""
    delay = parse_retry_after(headers, message)
    if expected is None:
        assert delay is None
    else:
        assert delay == pytest.approx(expected)


def test_429_retry_after_header() -> None:
    """A 429's retry_after comes from the headers or the message."""
    error = status_error(429, {"error": {"message": "try again in 2s"}})
    assert isinstance(error, c.RateLimitError)
    assert error.retry_after == 2.0
    error = status_error(429, {"detail": "x"}, **{"retry-after": "7"})
    assert isinstance(error, c.RateLimitError)
    assert error.retry_after == 7.0


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("context_length_exceeded", c.ContextWindowError),
        ("insufficient_quota", c.QuotaExceededError),
        ("usage_not_included", c.QuotaExceededError),
        ("usage_limit_reached", c.QuotaExceededError),
        ("rate_limit_exceeded", c.RateLimitError),
        ("invalid_prompt", c.InvalidRequestError),
        ("cyber_policy", c.InvalidRequestError),
        ("server_is_overloaded", c.ServerError),
        ("slow_down", c.ServerError),
        ("server_error", c.ServerError),
        ("something_new", c.ServerError),
    ],
)
def test_stream_error_mapping(code: str, cls: type[c.APIError]) -> None:
    """In-stream error codes map to the same classes, carrying the failed response."""
    response = c.Response(id="resp_1", status="failed")
    error = error_from_stream({"code": code, "message": "Please try again in 11.054s"}, response)
    assert type(error) is cls
    assert error.code == code
    assert error.status_code is None
    assert error.response is response
    if isinstance(error, c.RateLimitError):
        assert error.retry_after == pytest.approx(11.054)


def test_an_impossible_reset_time_is_dropped_not_raised() -> None:
    """A milliseconds (or garbage) resets_at must not turn the error into a ValueError."""
    body = {"error": {"type": "usage_limit_reached", "resets_at": 10**13}}
    error = status_error(429, body)
    assert isinstance(error, c.QuotaExceededError)
    assert error.resets_at is None
    in_stream = c._exceptions.error_from_stream(
        {"code": "usage_limit_reached", "resets_at": 10**13}
    )
    assert isinstance(in_stream, c.QuotaExceededError) and in_stream.resets_at is None


def test_login_error_is_an_auth_error_and_a_runtime_error() -> None:
    """0.2.2 raised RuntimeError for sign-in failures: ``except RuntimeError`` still catches."""
    assert issubclass(c.LoginError, c.AuthError)
    assert issubclass(c.LoginError, c.CodexError)
    assert issubclass(c.LoginError, RuntimeError)
    assert c.LoginError.__module__ == "codex_open_client"
    assert "LoginError" in c.__all__


SECRET = "eyJhbGciOi.JIUzI1NiJ9/abc+def"


def _escaped(text: str) -> str:
    return "".join(f"\\u{ord(char):04x}" for char in text)


@pytest.mark.parametrize(
    "spelling",
    [
        pytest.param(SECRET, id="literal"),
        pytest.param(_escaped(SECRET), id="all-escaped"),
        pytest.param(_escaped(SECRET).upper().replace("\\U", "\\u"), id="upper-hex"),
        pytest.param(SECRET[:3] + _escaped(SECRET[3:9]) + SECRET[9:], id="mixed"),
        pytest.param(SECRET.replace("/", "\\/"), id="escaped-slash"),
    ],
)
def test_redact_catches_every_json_spelling(spelling: str) -> None:
    """Raw bodies spell a secret in many ways; each one is replaced, the rest kept."""
    text = f'{{"a":"x {spelling} y","b":"\\\\u0041 and {spelling}"}}'
    redacted = redact(text, [SECRET])
    assert json.loads(redacted) == {"a": "x [redacted] y", "b": "\\u0041 and [redacted]"}


def test_redact_leaves_an_escaped_backslash_alone() -> None:
    """``\\\\u0041`` is a backslash and "u0041", not "A": no secret is made up from it."""
    secret = "Abcdefghij"
    text = "\\\\u0041bcdefghij"
    assert redact(text, [secret]) == text


def test_redact_decodes_surrogate_pairs() -> None:
    """A secret with a character beyond the BMP, escaped as a surrogate pair."""
    secret = "token-\U0001f600-tail"
    assert redact(json.dumps(secret), [secret]) == '"[redacted]"'


def test_redact_cut_replaces_the_beginning_of_a_secret_at_the_end() -> None:
    """A head cut inside a secret: with ``cut`` its first characters (8 or more) go too."""
    secret = "abcdefghijklmnopqrstuvwxyz"
    assert redact(f"head {secret[:12]}", [secret], cut=True) == "head [redacted]"
    assert redact(f"head {secret[:7]}", [secret], cut=True) == f"head {secret[:7]}"
    assert redact(f"head {secret[:12]}", [secret]) == f"head {secret[:12]}"


def test_redact_keeps_short_strings_and_json_shapes() -> None:
    """Strings under 8 characters are not credentials; dicts and lists keep their shape."""
    value = {"k": [SECRET, 1, None, {"n": f"a{SECRET}b"}], SECRET: True}
    assert redact(value, [SECRET, "short", None]) == {
        "k": ["[redacted]", 1, None, {"n": "a[redacted]b"}],
        "[redacted]": True,
    }
    assert redact("a short one", ["short"]) == "a short one"


def test_status_errors_redact_headers_and_decoded_bodies() -> None:
    """Content-Type and request id are redacted; an escaped echo is gone from body and str."""
    content = f'{{"error":{{"message":"echo {_escaped(SECRET)}"}}}}'.encode()
    error = error_from_status(400, content, {"x-request-id": f"r-{SECRET}"}, "u", [SECRET])
    assert error.request_id == "r-[redacted]"
    assert error.body == {"error": {"message": "echo [redacted]"}}
    assert str(error) == "HTTP 400 from u: echo [redacted]"
    page = error_from_status(
        500, b"<html>x</html>", {"content-type": f"text/html; {SECRET}"}, "u", [SECRET]
    )
    assert SECRET not in str(page) and "text/html; [redacted]" in str(page)
