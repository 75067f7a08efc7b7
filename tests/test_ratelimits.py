"""Sans-IO rate limits: response headers, the ``codex.rate_limits`` event and ``/wham/usage``."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from codex_open_client._events import (
    CodexCredits,
    CodexRateLimits,
    CodexRateLimitsEvent,
    CodexRateLimitWindow,
)
from codex_open_client._ratelimits import (
    AccountUsage,
    AdditionalRateLimit,
    Credits,
    RateLimitFamily,
    RateLimits,
    RateLimitWindow,
    account_usage_from_payload,
    rate_limits_from_event,
    rate_limits_from_headers,
)
from codex_open_client.testing._replies import rate_limit_headers, rate_limit_snapshot

NOW = 1_704_067_200  # 2024-01-01T00:00:00Z


def utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


def window(snap: dict[str, Any]) -> RateLimitWindow:
    return RateLimitWindow(
        used_percent=snap["used_percent"],
        window_minutes=snap["window_minutes"],
        resets_at=utc(snap["reset_at"]),
    )


# --------------------------------------------------------------------------------------------
# Headers


def test_fake_backend_headers_match_its_snapshot() -> None:
    """The headers the fake backend sends parse into the values of its snapshot."""
    snap = rate_limit_snapshot(NOW)
    headers = CIMultiDictProxy(CIMultiDict(rate_limit_headers(NOW)))
    limits = rate_limits_from_headers(headers)
    assert limits is not None
    primary, secondary = window(snap["primary"]), window(snap["secondary"])
    assert limits.primary == primary
    assert limits.secondary == secondary
    codex = RateLimitFamily(limit_id="codex", primary=primary, secondary=secondary)
    assert limits.families == {"codex": codex}
    assert limits.credits == Credits(has_credits=False, unlimited=False, balance="0")
    assert snap["plan_type"] == limits.plan_type == "plus"
    assert limits.active_limit is None
    assert limits.promo_message is None
    assert isinstance(limits.primary, RateLimitWindow)
    assert isinstance(limits.primary.used_percent, float)
    # Nothing is exhausted: the most used window (the weekly one, 34%) decides.
    assert limits.resets_at == utc(NOW + 4 * 86400)


def test_fake_backend_headers_with_exhausted_primary() -> None:
    """With the primary window at 100%, ``resets_at`` is when that window resets."""
    headers = rate_limit_headers(NOW, primary_used_percent=100)
    limits = rate_limits_from_headers(headers)
    assert limits is not None
    assert limits.primary is not None
    assert limits.primary.used_percent == 100.0
    assert limits.resets_at == utc(NOW + 2 * 3600)


def test_other_families() -> None:
    """Families are found from ``x-<id>-primary-used-percent``; ids are lowercased, - to _."""
    headers = {
        "x-codex-primary-used-percent": "5",
        "x-codex-secondary-primary-used-percent": "40.5",
        "x-codex-secondary-primary-window-minutes": "300",
        "X-Codex-BengalFox-Primary-Used-Percent": "75",
        "x-codex-bengalfox-primary-reset-at": str(NOW + 60),
        "x-codex-bengalfox-secondary-used-percent": "10",
        "x-codex-bengalfox-secondary-window-minutes": "10080",
        "x-codex-bengalfox-limit-name": " gpt-5.2-codex-sonic ",
    }
    limits = rate_limits_from_headers(headers)
    assert limits is not None
    assert list(limits.families) == ["codex", "codex_bengalfox", "codex_secondary"]
    assert limits.families["codex_secondary"] == RateLimitFamily(
        limit_id="codex_secondary",
        primary=RateLimitWindow(used_percent=40.5, window_minutes=300),
    )
    assert limits.families["codex_bengalfox"] == RateLimitFamily(
        limit_id="codex_bengalfox",
        limit_name="gpt-5.2-codex-sonic",
        primary=RateLimitWindow(used_percent=75.0, resets_at=utc(NOW + 60)),
        secondary=RateLimitWindow(used_percent=10.0, window_minutes=10080),
    )
    assert limits.primary == RateLimitWindow(used_percent=5.0)
    assert limits.secondary is None
    assert limits.credits is None


def test_family_without_codex_headers() -> None:
    """Another family alone gives no ``codex`` family and no top-level windows."""
    limits = rate_limits_from_headers({"x-premium-primary-used-percent": "3"})
    assert limits is not None
    premium = RateLimitFamily(limit_id="premium", primary=RateLimitWindow(used_percent=3.0))
    assert limits.families == {"premium": premium}
    assert limits.primary is None


@pytest.mark.parametrize(
    ("extra", "present"),
    [
        pytest.param({}, False, id="zero-alone"),
        pytest.param({"x-codex-primary-window-minutes": "0"}, False, id="zero-minutes"),
        pytest.param({"x-codex-primary-window-minutes": "300"}, True, id="minutes"),
        pytest.param({"x-codex-primary-reset-at": str(NOW)}, True, id="reset-at"),
        pytest.param({"x-codex-primary-reset-after-seconds": "0"}, True, id="reset-after"),
    ],
)
def test_window_present_rules(extra: dict[str, str], present: bool) -> None:
    """A 0% window counts only with a non-zero length or a reset time."""
    limits = rate_limits_from_headers({"x-codex-primary-used-percent": "0", **extra}, now=NOW)
    assert limits is not None
    assert present == (limits.primary is not None)
    assert "codex" in limits.families


def test_window_needs_used_percent() -> None:
    """Without ``used-percent`` (or with a malformed one) there is no window."""
    limits = rate_limits_from_headers(
        {
            "x-codex-primary-window-minutes": "300",
            "x-codex-primary-reset-at": str(NOW),
            "x-codex-secondary-used-percent": "lots",
            "x-codex-secondary-window-minutes": "10080",
        }
    )
    assert limits is not None
    assert limits.primary is None
    assert limits.secondary is None
    assert limits.families["codex"] == RateLimitFamily(limit_id="codex")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("1", True),
        ("false", False),
        ("False", False),
        ("FALSE", False),
        ("0", False),
        (" True ", True),
    ],
)
def test_credits_booleans(text: str, expected: bool) -> None:
    """Credits booleans are true/false/1/0 in any case."""
    limits = rate_limits_from_headers(
        {"x-codex-credits-has-credits": text, "x-codex-credits-unlimited": text}
    )
    assert limits is not None
    assert limits.credits == Credits(has_credits=expected, unlimited=expected)


def test_credits_balance_and_bad_boolean() -> None:
    """The balance is kept as sent; an unknown boolean falls back to False."""
    limits = rate_limits_from_headers(
        {
            "x-codex-credits-has-credits": "yes",
            "x-codex-credits-unlimited": "true",
            "x-codex-credits-balance": "$3.42",
        }
    )
    assert limits is not None
    assert limits.credits == Credits(has_credits=False, unlimited=True, balance="$3.42")
    assert limits.families == {}


def test_malformed_values_are_ignored() -> None:
    """Malformed numbers never raise: the value is dropped."""
    limits = rate_limits_from_headers(
        {
            "x-codex-primary-used-percent": "12.5",
            "x-codex-primary-window-minutes": "five hours",
            "x-codex-primary-reset-at": "tomorrow",
            "x-codex-secondary-used-percent": "nan",
            "x-codex-secondary-window-minutes": "10080",
            "x-other-primary-used-percent": "1_000",
            "x-third-primary-used-percent": "50",
            "x-third-primary-reset-at": "1e300",
            "x-third-primary-window-minutes": "300.0",
        }
    )
    assert limits is not None
    assert limits.primary == RateLimitWindow(used_percent=12.5)
    assert limits.secondary is None
    assert limits.families["other"] == RateLimitFamily(limit_id="other")
    third = limits.families["third"].primary
    assert third == RateLimitWindow(used_percent=50.0, window_minutes=300)


def test_reset_after_seconds_fallback() -> None:
    """Only ``reset-after-seconds`` sent: ``resets_at`` is counted from ``now``."""
    limits = rate_limits_from_headers(
        {
            "x-codex-primary-used-percent": "20",
            "x-codex-primary-reset-after-seconds": "90",
            "x-codex-secondary-used-percent": "30",
            "x-codex-secondary-reset-after-seconds": "10",
            "x-codex-secondary-reset-at": str(NOW + 500),
        },
        now=NOW,
    )
    assert limits is not None
    assert limits.primary is not None and limits.secondary is not None
    assert limits.primary.resets_at == utc(NOW + 90)
    assert limits.secondary.resets_at == utc(NOW + 500)  # reset-at wins


def test_reset_after_seconds_uses_the_clock() -> None:
    """Without ``now`` the relative reset is anchored at the current time."""
    before = datetime.now(timezone.utc)
    limits = rate_limits_from_headers(
        {"x-codex-primary-used-percent": "1", "x-codex-primary-reset-after-seconds": "3600"}
    )
    after = datetime.now(timezone.utc)
    assert limits is not None and limits.primary is not None
    resets_at = limits.primary.resets_at
    assert resets_at is not None
    assert before + timedelta(hours=1) - timedelta(seconds=1) <= resets_at
    assert resets_at <= after + timedelta(hours=1) + timedelta(seconds=1)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="empty"),
        pytest.param({"content-type": "text/event-stream", "x-request-id": "r"}, id="unrelated"),
        pytest.param({"x-models-etag": '"abc"'}, id="etag"),
    ],
)
def test_no_rate_limit_headers(headers: dict[str, str]) -> None:
    """No rate-limit header at all gives None."""
    assert rate_limits_from_headers(headers) is None


def test_plain_dict_with_mixed_casing() -> None:
    """A plain dict is matched case-insensitively."""
    limits = rate_limits_from_headers(
        {
            "X-Codex-Primary-Used-Percent": "100",
            "x-CODEX-primary-RESET-AT": str(NOW + 30),
            "X-CODEX-ACTIVE-LIMIT": "codex",
            "X-Codex-Plan-Type": "pro",
            "x-codex-promo-message": "Try Pro",
        }
    )
    assert limits is not None
    assert limits.primary == RateLimitWindow(used_percent=100.0, resets_at=utc(NOW + 30))
    assert limits.active_limit == "codex"
    assert limits.plan_type == "pro"
    assert limits.promo_message == "Try Pro"
    assert limits.resets_at == utc(NOW + 30)


def test_only_plan_or_active_limit_is_a_snapshot() -> None:
    """The plan type alone is rate-limit information too."""
    limits = rate_limits_from_headers({"x-codex-plan-type": "plus"})
    assert limits == RateLimits(plan_type="plus")


def test_resets_at_follows_the_active_family() -> None:
    """``resets_at`` looks at the family named by ``x-codex-active-limit``."""
    headers = {
        "x-codex-primary-used-percent": "100",
        "x-codex-primary-reset-at": str(NOW + 100),
        "x-codex-bengalfox-primary-used-percent": "100",
        "x-codex-bengalfox-primary-reset-at": str(NOW + 200),
        "x-codex-bengalfox-secondary-used-percent": "100",
        "x-codex-bengalfox-secondary-reset-at": str(NOW + 900),
    }
    limits = rate_limits_from_headers({**headers, "x-codex-active-limit": "codex-bengalfox"})
    assert limits is not None
    assert limits.resets_at == utc(NOW + 900)  # both exhausted: the later reset
    limits = rate_limits_from_headers({**headers, "x-codex-active-limit": "premium"})
    assert limits is not None
    assert limits.resets_at == utc(NOW + 100)  # unknown family: codex


def test_resets_at_unknown() -> None:
    """No windows, or an exhausted window without a reset time: None."""
    assert RateLimits().resets_at is None
    limits = rate_limits_from_headers(
        {
            "x-codex-primary-used-percent": "100",
            "x-codex-secondary-used-percent": "100",
            "x-codex-secondary-reset-at": str(NOW),
        }
    )
    assert limits is not None
    assert limits.resets_at is None


def test_aware_datetimes_and_resets_in() -> None:
    """Times are aware UTC datetimes; ``resets_in`` never goes negative."""
    w = RateLimitWindow(used_percent=1.0, resets_at=utc(NOW + 90))
    assert w.resets_at is not None
    assert w.resets_at.tzinfo == timezone.utc
    assert w.resets_in(utc(NOW)) == timedelta(seconds=90)
    assert w.resets_in(utc(NOW + 1000)) == timedelta(0)
    assert RateLimitWindow(used_percent=1.0).resets_in() is None
    assert w.resets_in() == timedelta(0)  # 2024 is in the past


def test_reprs_are_readable() -> None:
    """Reset times show as ISO 8601."""
    w = RateLimitWindow(used_percent=12.0, window_minutes=300, resets_at=utc(NOW))
    expected = (
        "RateLimitWindow(used_percent=12.0, window_minutes=300, "
        "resets_at=2024-01-01T00:00:00+00:00)"
    )
    assert repr(w) == expected
    assert "raw" not in repr(AccountUsage(raw={"secret": 1}))


# --------------------------------------------------------------------------------------------
# The codex.rate_limits event


def event(**kwargs: Any) -> CodexRateLimitsEvent:
    return CodexRateLimitsEvent(**kwargs)


def test_event_without_previous() -> None:
    """The fake backend's event becomes a snapshot with the codex family."""
    snap = rate_limit_snapshot(NOW)
    ev = event(
        plan_type="plus",
        rate_limits=CodexRateLimits(
            allowed=True,
            limit_reached=False,
            primary=CodexRateLimitWindow(**snap["primary"]),
            secondary=CodexRateLimitWindow(**snap["secondary"]),
        ),
        credits=CodexCredits(has_credits=True, unlimited=False, balance="$3.42"),
        metered_limit_name="codex",
    )
    limits = rate_limits_from_event(ev)
    primary, secondary = window(snap["primary"]), window(snap["secondary"])
    assert limits == RateLimits(
        primary=primary,
        secondary=secondary,
        families={"codex": RateLimitFamily(limit_id="codex", primary=primary, secondary=secondary)},
        credits=Credits(has_credits=True, balance="$3.42"),
        plan_type="plus",
    )


def test_event_merges_into_previous() -> None:
    """The event's family is replaced; other families, active limit and promo are kept."""
    previous = rate_limits_from_headers(
        {
            **rate_limit_headers(NOW),
            "x-codex-bengalfox-primary-used-percent": "50",
            "x-codex-bengalfox-limit-name": "gpt-5.2-codex-sonic",
            "x-codex-active-limit": "codex",
            "x-codex-promo-message": "hello",
        }
    )
    assert previous is not None
    ev = event(
        rate_limits=CodexRateLimits(
            primary=CodexRateLimitWindow(used_percent=60, window_minutes=300, reset_at=NOW + 5),
        ),
        metered_limit_name="Codex-BengalFox",
    )
    limits = rate_limits_from_event(ev, previous)
    assert limits.families["codex_bengalfox"] == RateLimitFamily(
        limit_id="codex_bengalfox",
        limit_name="gpt-5.2-codex-sonic",
        primary=RateLimitWindow(used_percent=60.0, window_minutes=300, resets_at=utc(NOW + 5)),
    )
    assert limits.families["codex"] == previous.families["codex"]
    assert limits.primary == previous.primary
    assert limits.secondary == previous.secondary
    assert limits.credits == previous.credits
    assert limits.plan_type == "plus"
    assert limits.active_limit == "codex"
    assert limits.promo_message == "hello"
    # The previous snapshot is left alone.
    assert previous.families["codex_bengalfox"].primary == RateLimitWindow(used_percent=50.0)


def test_event_updates_codex_credits_and_plan() -> None:
    """A codex event replaces the top-level windows; credits and plan update when sent."""
    previous = rate_limits_from_headers(rate_limit_headers(NOW))
    assert previous is not None
    ev = event(
        plan_type="pro",
        rate_limits=CodexRateLimits(
            primary=CodexRateLimitWindow(used_percent=99.5, reset_at=NOW + 10),
            secondary=CodexRateLimitWindow(window_minutes=10080),  # no share: not reported
        ),
        credits=CodexCredits(unlimited=True),
    )
    limits = rate_limits_from_event(ev, previous)
    assert limits.primary == RateLimitWindow(used_percent=99.5, resets_at=utc(NOW + 10))
    assert limits.secondary is None
    assert limits.credits == Credits(has_credits=False, unlimited=True, balance="0")
    assert limits.plan_type == "pro"


def test_event_limit_id_from_limit_name() -> None:
    """Without ``metered_limit_name`` the id comes from ``limit_name``."""
    ev = event(
        rate_limits=CodexRateLimits(primary=CodexRateLimitWindow(used_percent=1)),
        limit_name="codex-other",
    )
    limits = rate_limits_from_event(ev)
    assert list(limits.families) == ["codex_other"]
    assert limits.families["codex_other"].limit_name == "codex-other"
    assert limits.primary is None


def test_event_without_rate_limits_keeps_windows() -> None:
    """An event with only credits keeps every family."""
    previous = rate_limits_from_headers(rate_limit_headers(NOW))
    assert previous is not None
    limits = rate_limits_from_event(event(credits=CodexCredits(balance="$1")), previous)
    assert limits.families == previous.families
    assert limits.primary == previous.primary
    assert limits.credits == Credits(balance="$1")


# --------------------------------------------------------------------------------------------
# /wham/usage


def fake_usage_payload(now: int) -> dict[str, Any]:
    """The payload shape of the fake backend's ``_handle_usage``."""
    snap = rate_limit_snapshot(now)

    def usage_window(limit: dict[str, Any]) -> dict[str, Any]:
        return {
            "used_percent": round(limit["used_percent"]),
            "limit_window_seconds": limit["window_minutes"] * 60,
            "reset_after_seconds": limit["reset_at"] - now,
            "reset_at": limit["reset_at"],
        }

    return {
        "plan_type": snap["plan_type"],
        "rate_limit": {
            "allowed": True,
            "limit_reached": False,
            "primary_window": usage_window(snap["primary"]),
            "secondary_window": usage_window(snap["secondary"]),
        },
        "credits": snap["credits"],
        "additional_rate_limits": [],
        "rate_limit_reached_type": None,
    }


def test_usage_fake_payload() -> None:
    """The fake backend's ``/wham/usage`` payload."""
    payload = fake_usage_payload(NOW)
    usage = account_usage_from_payload(payload)
    snap = rate_limit_snapshot(NOW)
    assert usage == AccountUsage(
        plan_type="plus",
        allowed=True,
        limit_reached=False,
        primary=window(snap["primary"]),
        secondary=window(snap["secondary"]),
        credits=Credits(has_credits=False, unlimited=False, balance="0"),
        raw=payload,
    )
    assert usage.primary is not None
    assert isinstance(usage.primary.used_percent, float)
    assert usage.raw == payload


def test_usage_full_payload() -> None:
    """Additional limits, the code review limit and a reached type given as an object."""
    payload: dict[str, Any] = {
        "plan_type": "pro",
        "rate_limit": {
            "allowed": False,
            "limit_reached": True,
            "primary_window": {
                "used_percent": 100,
                "limit_window_seconds": 18000,
                "reset_after_seconds": 120,
            },
            "secondary_window": None,
        },
        "credits": {
            "has_credits": True,
            "unlimited": False,
            "balance": 12.5,
            "approx_local_messages": [10, 20],
        },
        "additional_rate_limits": [
            {
                "limit_name": "gpt-5.2-codex-sonic",
                "metered_feature": "codex_bengalfox",
                "rate_limit": {
                    "allowed": True,
                    "limit_reached": False,
                    "primary_window": {
                        "used_percent": 7,
                        "limit_window_seconds": 604800,
                        "reset_at": NOW + 3600,
                    },
                },
            },
            "not an object",
        ],
        "code_review_rate_limit": {
            "allowed": True,
            "limit_reached": False,
            "primary_window": {"used_percent": 0, "limit_window_seconds": 604800},
            "secondary_window": None,
        },
        "rate_limit_reached_type": {"type": "workspace_member_usage_limit_reached"},
    }
    usage = account_usage_from_payload(payload, now=NOW)
    assert usage == AccountUsage(
        plan_type="pro",
        allowed=False,
        limit_reached=True,
        primary=RateLimitWindow(used_percent=100.0, window_minutes=300, resets_at=utc(NOW + 120)),
        credits=Credits(has_credits=True, balance="12.5"),
        additional=[
            AdditionalRateLimit(
                limit_name="gpt-5.2-codex-sonic",
                metered_feature="codex_bengalfox",
                allowed=True,
                limit_reached=False,
                primary=RateLimitWindow(
                    used_percent=7.0, window_minutes=10080, resets_at=utc(NOW + 3600)
                ),
            ),
            AdditionalRateLimit(
                limit_name="code_review",
                allowed=True,
                limit_reached=False,
                primary=RateLimitWindow(used_percent=0.0, window_minutes=10080),
            ),
        ],
        rate_limit_reached_type="workspace_member_usage_limit_reached",
        raw=payload,
    )


@pytest.mark.parametrize(
    ("reached", "expected"),
    [
        ({"type": "rate_limit_reached"}, "rate_limit_reached"),
        ("rate_limit_reached", "rate_limit_reached"),
        (None, None),
        ({"kind": "x"}, None),
        (3, None),
    ],
)
def test_usage_reached_type_shapes(reached: Any, expected: str | None) -> None:
    """``rate_limit_reached_type`` may be an object, a string or null."""
    usage = account_usage_from_payload({"rate_limit_reached_type": reached})
    assert usage.rate_limit_reached_type == expected


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({}, id="empty"),
        pytest.param(
            {
                "plan_type": None,
                "rate_limit": None,
                "credits": None,
                "additional_rate_limits": None,
                "code_review_rate_limit": None,
            },
            id="nulls",
        ),
        pytest.param(
            {
                "plan_type": 5,
                "rate_limit": {
                    "allowed": "yes",
                    "primary_window": {"used_percent": "12"},
                    "secondary_window": [],
                },
                "credits": "lots",
                "additional_rate_limits": {"not": "a list"},
                "code_review_rate_limit": [],
            },
            id="wrong-types",
        ),
    ],
)
def test_usage_tolerates_missing_and_odd_values(payload: dict[str, Any]) -> None:
    """Missing, null or odd values give None, never an error."""
    assert account_usage_from_payload(payload) == AccountUsage(raw=payload)


def test_usage_reset_after_uses_the_clock() -> None:
    """``reset_after_seconds`` without ``now`` is counted from the current time."""
    before = datetime.now(timezone.utc)
    usage = account_usage_from_payload(
        {"rate_limit": {"primary_window": {"used_percent": 3, "reset_after_seconds": 60}}}
    )
    assert usage.primary is not None and usage.primary.resets_at is not None
    assert usage.primary.resets_at.tzinfo == timezone.utc
    assert before + timedelta(seconds=59) <= usage.primary.resets_at
    assert usage.primary.resets_at <= datetime.now(timezone.utc) + timedelta(seconds=61)
