"""Rate limits end to end: on responses, streams, the client and errors; ``client.usage()``."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

import pytest

import codex_open_client as c
from codex_open_client.testing import (
    FakeCodexServer,
    failed_reply,
    http_error,
    message,
    rate_limited,
    reply,
    text_reply,
    usage_limit_reached,
)

from .conftest import BASE, Api


def at(unix: float) -> datetime:
    return datetime.fromtimestamp(int(unix), timezone.utc)


def test_response_stream_and_client_carry_the_header_snapshot(
    api: Api, server: FakeCodexServer
) -> None:
    """Every family, window, reset time and credit of the x-codex-* headers."""
    now = int(time.time())
    reset_primary, reset_secondary = now + 600, now + 86400
    headers = {
        "x-codex-primary-used-percent": "42.5",
        "x-codex-primary-window-minutes": "300",
        "x-codex-primary-reset-at": str(reset_primary),
        "x-codex-secondary-used-percent": "7",
        "x-codex-secondary-window-minutes": "10080",
        "x-codex-secondary-reset-at": str(reset_secondary),
        "x-codex-bengalfox-primary-used-percent": "99",
        "x-codex-bengalfox-primary-window-minutes": "60",
        "x-codex-bengalfox-primary-reset-at": str(now + 60),
        "x-codex-bengalfox-limit-name": "gpt-5.2-codex-sonic",
        "x-codex-credits-has-credits": "True",
        "x-codex-credits-unlimited": "false",
        "x-codex-credits-balance": "$3.42",
        "x-codex-active-limit": "codex",
        "x-codex-plan-type": "pro",
    }
    assert api.client.rate_limits is None
    server.queue(reply(message("hi"), rate_limits_event=False).with_headers(headers))
    response = api.create()
    limits = response.rate_limits
    assert isinstance(limits, c.RateLimits)
    assert limits.primary == c.RateLimitWindow(
        used_percent=42.5, window_minutes=300, resets_at=at(reset_primary)
    )
    assert limits.secondary == c.RateLimitWindow(
        used_percent=7.0, window_minutes=10080, resets_at=at(reset_secondary)
    )
    assert isinstance(limits.primary.used_percent, float)
    assert limits.primary.resets_at is not None and limits.primary.resets_at.tzinfo is not None
    sonic = limits.families["codex_bengalfox"]
    assert sonic.limit_name == "gpt-5.2-codex-sonic"
    assert sonic.primary is not None and sonic.primary.used_percent == 99.0
    assert limits.credits == c.Credits(has_credits=True, unlimited=False, balance="$3.42")
    assert limits.active_limit == "codex"
    assert limits.plan_type == "pro"
    assert api.client.rate_limits == limits

    # The stream has them before its first event; the client keeps the last one seen.
    server.queue(text_reply("again", rate_limits_event=False))
    if api.mode == "sync":
        with api.sync.responses.stream(**BASE) as stream:
            first_limits = stream.rate_limits
            final = stream.get_final_response()
    else:

        async def go() -> Any:
            async with api.aclient.responses.stream(**BASE) as stream:
                return stream.rate_limits, await stream.get_final_response()

        first_limits, final = api.run(go())
    assert first_limits is not None and first_limits.primary is not None
    assert first_limits.primary.used_percent == 12.0  # the fake's default headers
    assert final.rate_limits == first_limits
    assert api.client.rate_limits == first_limits


def test_the_rate_limits_event_updates_the_snapshot(api: Api, server: FakeCodexServer) -> None:
    """A codex.rate_limits event in the stream wins over the headers it follows."""
    event = {
        "type": "codex.rate_limits",
        "plan_type": "plus",
        "rate_limits": {
            "allowed": True,
            "limit_reached": False,
            "primary": {"used_percent": 55.5, "window_minutes": 300, "reset_at": 1900000000},
            "secondary": None,
        },
        "credits": {"has_credits": True, "unlimited": True, "balance": "12"},
        "metered_limit_name": "codex",
    }
    server.queue(reply(message("hi"), rate_limits_event=False).insert(event, after=0))
    events, response = api.stream()
    assert any(isinstance(e, c.CodexRateLimitsEvent) for e in events)
    limits = response.rate_limits
    assert limits is not None and limits.primary is not None
    assert limits.primary.used_percent == 55.5
    assert limits.primary.resets_at == at(1900000000)
    assert limits.credits is not None and limits.credits.unlimited is True
    assert api.client.rate_limits == limits


def test_rate_limit_error_carries_the_snapshot_and_reset(api: Api, server: FakeCodexServer) -> None:
    now = int(time.time())
    headers = {
        "x-codex-primary-used-percent": "100",
        "x-codex-primary-window-minutes": "300",
        "x-codex-primary-reset-at": str(now + 120),
        "x-codex-active-limit": "codex",
    }
    server.queue(rate_limited(headers=headers))
    with pytest.raises(c.RateLimitError) as info:
        api.create()
    error = info.value
    assert error.rate_limits is not None and error.rate_limits.primary is not None
    assert error.rate_limits.primary.used_percent == 100.0
    assert error.resets_at == at(now + 120)
    assert api.client.rate_limits == error.rate_limits


def test_quota_error_carries_the_snapshot_and_reset(api: Api, server: FakeCodexServer) -> None:
    reset = int(time.time()) + 3600
    server.queue(usage_limit_reached(plan_type="plus", resets_at=reset))
    with pytest.raises(c.QuotaExceededError) as info:
        api.create()
    error = info.value
    assert error.resets_at == at(reset)
    assert error.plan_type == "plus"
    assert error.rate_limits is not None and error.rate_limits.primary is not None
    assert error.rate_limits.primary.used_percent == 100.0
    assert error.rate_limits.active_limit == "codex"


def test_in_stream_quota_failure_carries_the_stream_snapshot(
    api: Api, server: FakeCodexServer
) -> None:
    """usage_limit_reached inside a 200 stream: the snapshot comes from its headers."""
    server.queue(failed_reply("usage_limit_reached", "The usage limit has been reached"))
    with pytest.raises(c.QuotaExceededError) as info:
        api.create()
    limits = info.value.rate_limits
    assert limits is not None and limits.secondary is not None
    assert limits.secondary.window_minutes == 10080
    assert info.value.resets_at == limits.resets_at


def test_usage(api: Api, server: FakeCodexServer) -> None:
    """GET {chatgpt_base_url}/wham/usage as an AccountUsage with the same window type."""
    usage = api.call("usage")
    assert isinstance(usage, c.AccountUsage)
    assert usage.plan_type == "plus"
    assert usage.primary is not None and usage.secondary is not None
    assert isinstance(usage.primary, c.RateLimitWindow)
    assert usage.primary.window_minutes == 300
    assert usage.secondary.window_minutes == 10080
    assert usage.primary.resets_at is not None and usage.primary.resets_at.tzinfo is not None
    assert usage.credits == c.Credits(has_credits=False, unlimited=False, balance="0")
    assert usage.additional == []
    request = server.requests[-1]
    assert request.method == "GET" and request.path == "/backend-api/wham/usage"
    assert request.headers["Authorization"] == f"Bearer {server.access_token}"
    assert request.headers["ChatGPT-Account-ID"] == server.account_id


def test_usage_errors(api: Api, server: FakeCodexServer) -> None:
    server.queue_for("usage", http_error(401, {"detail": "Unauthorized"}))
    with pytest.raises(c.AuthError) as info:
        api.call("usage")
    assert server.access_token not in str(info.value)


def test_usage_on_a_base_without_backend_api_uses_the_codex_path(
    make_api: Any, server: FakeCodexServer
) -> None:
    """The CLI's rule: a chatgpt_base_url without /backend-api uses /api/codex/usage."""
    api = make_api("sync", chatgpt_base_url=server.issuer)
    with pytest.raises(c.InvalidRequestError):  # the fake serves only the wham path
        api.call("usage")
    assert server.requests[-1].path == "/api/codex/usage"
