"""Sans-IO rate-limit snapshots: from response headers, ``codex.rate_limits`` and ``/wham/usage``.

Plain values in, frozen attrs values out; nothing here performs I/O or raises on a malformed
value (it is ignored). Times are aware UTC datetimes. ``to_dict()`` gives the fields (times as
ISO 8601 strings, ``None`` left out) and ``from_dict()`` reads them back.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from attrs import field, frozen

from ._wire import Wire

if TYPE_CHECKING:
    from ._events import CodexRateLimitsEvent, CodexRateLimitWindow

__all__ = [
    "AccountUsage",
    "AdditionalRateLimit",
    "Credits",
    "RateLimitFamily",
    "RateLimitWindow",
    "RateLimits",
    "account_usage_from_payload",
    "rate_limits_from_event",
    "rate_limits_from_headers",
]

DEFAULT_LIMIT_ID = "codex"

_FLOAT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INT = re.compile(r"[+-]?\d+")
_WINDOW_SUFFIXES = ("used-percent", "window-minutes", "reset-at", "reset-after-seconds")
_USED_SUFFIX = "-primary-used-percent"
_CREDITS_HEADERS = (
    "x-codex-credits-has-credits",
    "x-codex-credits-unlimited",
    "x-codex-credits-balance",
)
_OTHER_HEADERS = ("x-codex-active-limit", "x-codex-plan-type", "x-codex-promo-message")


def _time_repr(value: datetime | None) -> str:
    return "None" if value is None else value.isoformat()


@frozen(kw_only=True)
class RateLimitWindow(Wire):
    """One rate-limit window: the share used, its length and when it resets."""

    used_percent: float
    window_minutes: int | None = None
    resets_at: datetime | None = field(default=None, repr=_time_repr)

    def resets_in(self, now: datetime | None = None) -> timedelta | None:
        """Time left until the window resets (never negative), or None when unknown."""
        if self.resets_at is None:
            return None
        current = datetime.now(timezone.utc) if now is None else now
        return max(self.resets_at - current, timedelta(0))


@frozen(kw_only=True)
class Credits(Wire):
    """The account's credits; ``balance`` is kept as sent (``"0"``, ``"$3.42"``)."""

    has_credits: bool = False
    unlimited: bool = False
    balance: str | None = None


@frozen(kw_only=True)
class RateLimitFamily(Wire):
    """The windows of one metered limit (``codex``, ``codex_secondary``, ...)."""

    limit_id: str
    limit_name: str | None = None
    primary: RateLimitWindow | None = None
    secondary: RateLimitWindow | None = None


@frozen(kw_only=True)
class RateLimits(Wire):
    """A rate-limit snapshot: the ``codex`` windows, every family, credits and plan."""

    primary: RateLimitWindow | None = None
    secondary: RateLimitWindow | None = None
    families: dict[str, RateLimitFamily] = field(factory=dict)
    credits: Credits | None = None
    active_limit: str | None = None
    plan_type: str | None = None
    promo_message: str | None = None

    @property
    def resets_at(self) -> datetime | None:
        """When the active family's exhausted (else most used) window resets, if known."""
        family = None
        if self.active_limit:
            family = self.families.get(_limit_id(self.active_limit))
        if family is None:
            family = self.families.get(DEFAULT_LIMIT_ID)
        if family is not None:
            windows = [w for w in (family.primary, family.secondary) if w is not None]
        else:
            windows = [w for w in (self.primary, self.secondary) if w is not None]
        if not windows:
            return None
        exhausted = [w.resets_at for w in windows if w.used_percent >= 100]
        if exhausted:
            # Every exhausted window must reset before requests go through again.
            known = [at for at in exhausted if at is not None]
            return max(known) if len(known) == len(exhausted) else None
        most_used = max(windows, key=lambda w: w.used_percent)
        return most_used.resets_at


@frozen(kw_only=True)
class AdditionalRateLimit(Wire):
    """A further metered limit reported by ``/wham/usage`` (e.g. ``code_review``)."""

    limit_name: str | None = None
    metered_feature: str | None = None
    allowed: bool | None = None
    limit_reached: bool | None = None
    primary: RateLimitWindow | None = None
    secondary: RateLimitWindow | None = None


@frozen(kw_only=True)
class AccountUsage(Wire):
    """The account's usage and limits from ``/wham/usage``; ``raw`` is the whole payload."""

    plan_type: str | None = None
    allowed: bool | None = None
    limit_reached: bool | None = None
    primary: RateLimitWindow | None = None
    secondary: RateLimitWindow | None = None
    credits: Credits | None = None
    additional: list[AdditionalRateLimit] = field(factory=list)
    rate_limit_reached_type: str | None = None
    raw: dict[str, Any] = field(factory=dict, repr=False)


# --------------------------------------------------------------------------------------------
# Plain-value helpers


def _limit_id(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def _parse_float(text: str | None) -> float | None:
    if text is None or not _FLOAT.fullmatch(text):
        return None
    value = float(text)
    return value if value == value and abs(value) != float("inf") else None


def _parse_int(text: str | None) -> int | None:
    if text is None:
        return None
    if _INT.fullmatch(text):
        return int(text)
    value = _parse_float(text)
    return int(value) if value is not None and value.is_integer() else None


def _parse_bool(text: str | None) -> bool | None:
    if text is None:
        return None
    lowered = text.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    return None


def unix_to_datetime(seconds: float | None) -> datetime | None:
    """Unix seconds as an aware UTC datetime; None for None or an impossible value."""
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


# --------------------------------------------------------------------------------------------
# Headers


def _header_window(headers: Mapping[str, str], base: str, now: float) -> RateLimitWindow | None:
    used = _parse_float(headers.get(f"{base}-used-percent"))
    if used is None:
        return None
    minutes = _parse_int(headers.get(f"{base}-window-minutes"))
    reset_at = _parse_float(headers.get(f"{base}-reset-at"))
    if reset_at is None:
        # Servers older than CLI 0.48 only send the relative form.
        after = _parse_float(headers.get(f"{base}-reset-after-seconds"))
        reset_at = None if after is None else now + after
    resets_at = unix_to_datetime(reset_at)
    # As the CLI: a zero window with no length and no reset time is "not reported".
    if used == 0 and not minutes and resets_at is None:
        return None
    return RateLimitWindow(used_percent=used, window_minutes=minutes, resets_at=resets_at)


def _header_family(
    headers: Mapping[str, str], limit_id: str, prefix: str, now: float
) -> RateLimitFamily:
    return RateLimitFamily(
        limit_id=limit_id,
        limit_name=_text(headers.get(f"{prefix}-limit-name")),
        primary=_header_window(headers, f"{prefix}-primary", now),
        secondary=_header_window(headers, f"{prefix}-secondary", now),
    )


def rate_limits_from_headers(
    headers: Mapping[str, str], *, now: float | None = None
) -> RateLimits | None:
    """Parse the ``x-codex-*`` rate-limit headers of a response (wire protocol §4.4).

    Header names match in any case. Families besides ``codex`` are found from any
    ``x-<id>-primary-used-percent`` header. ``now`` (unix seconds, default the clock) anchors
    ``…-reset-after-seconds`` when no ``…-reset-at`` is sent. Returns None when the response
    carries no rate-limit header at all.
    """
    lowered: dict[str, str] = {}
    for name, value in headers.items():
        lowered.setdefault(name.lower(), value.strip())
    anchor = time.time() if now is None else now

    families: dict[str, RateLimitFamily] = {}
    codex_names = [
        f"x-codex-{window}-{suffix}"
        for window in ("primary", "secondary")
        for suffix in _WINDOW_SUFFIXES
    ]
    codex_names.append("x-codex-limit-name")
    if any(name in lowered for name in codex_names):
        families[DEFAULT_LIMIT_ID] = _header_family(lowered, DEFAULT_LIMIT_ID, "x-codex", anchor)
    discovered: dict[str, str] = {}
    for name in lowered:
        if not (name.startswith("x-") and name.endswith(_USED_SUFFIX)):
            continue
        middle = name[2 : -len(_USED_SUFFIX)]
        limit_id = _limit_id(middle)
        if middle and limit_id != DEFAULT_LIMIT_ID:
            discovered.setdefault(limit_id, f"x-{middle}")
    for limit_id in sorted(discovered):
        families[limit_id] = _header_family(lowered, limit_id, discovered[limit_id], anchor)

    has_credits = any(name in lowered for name in _CREDITS_HEADERS)
    if not families and not has_credits and not any(name in lowered for name in _OTHER_HEADERS):
        return None
    credits = None
    if has_credits:
        credits = Credits(
            has_credits=bool(_parse_bool(lowered.get("x-codex-credits-has-credits"))),
            unlimited=bool(_parse_bool(lowered.get("x-codex-credits-unlimited"))),
            balance=_text(lowered.get("x-codex-credits-balance")),
        )
    codex = families.get(DEFAULT_LIMIT_ID)
    return RateLimits(
        primary=codex.primary if codex else None,
        secondary=codex.secondary if codex else None,
        families=families,
        credits=credits,
        active_limit=_text(lowered.get("x-codex-active-limit")),
        plan_type=_text(lowered.get("x-codex-plan-type")),
        promo_message=_text(lowered.get("x-codex-promo-message")),
    )


# --------------------------------------------------------------------------------------------
# The codex.rate_limits event


def _event_window(window: CodexRateLimitWindow | None) -> RateLimitWindow | None:
    # As with headers, a window without its used share is not reported.
    if window is None or window.used_percent is None:
        return None
    return RateLimitWindow(
        used_percent=float(window.used_percent),
        window_minutes=window.window_minutes,
        resets_at=unix_to_datetime(window.reset_at),
    )


def rate_limits_from_event(
    event: CodexRateLimitsEvent, previous: RateLimits | None = None
) -> RateLimits:
    """Merge a ``codex.rate_limits`` event into ``previous`` and return the new snapshot.

    The event's family (``metered_limit_name``, else ``limit_name``, else ``codex``) is
    replaced; other families, the active limit and the promo message are kept. Credits and
    plan type are updated when the event sends them.
    """
    base = previous if previous is not None else RateLimits()
    families = dict(base.families)
    limit_id = _limit_id(event.metered_limit_name or event.limit_name or "") or DEFAULT_LIMIT_ID
    if event.rate_limits is not None:
        before = families.get(limit_id)
        families[limit_id] = RateLimitFamily(
            limit_id=limit_id,
            limit_name=event.limit_name or (before.limit_name if before else None),
            primary=_event_window(event.rate_limits.primary),
            secondary=_event_window(event.rate_limits.secondary),
        )
    credits = base.credits
    if event.credits is not None:
        sent, old = event.credits, base.credits or Credits()
        credits = Credits(
            has_credits=old.has_credits if sent.has_credits is None else sent.has_credits,
            unlimited=old.unlimited if sent.unlimited is None else sent.unlimited,
            balance=old.balance if sent.balance is None else sent.balance,
        )
    codex = families.get(DEFAULT_LIMIT_ID)
    return RateLimits(
        primary=codex.primary if codex else base.primary,
        secondary=codex.secondary if codex else base.secondary,
        families=families,
        credits=credits,
        active_limit=base.active_limit,
        plan_type=event.plan_type if event.plan_type is not None else base.plan_type,
        promo_message=base.promo_message,
    )


# --------------------------------------------------------------------------------------------
# /wham/usage


def _json_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if number == number and abs(number) != float("inf") else None


def _json_bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _json_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _usage_window(value: Any, now: float) -> RateLimitWindow | None:
    if not isinstance(value, Mapping):
        return None
    used = _json_number(value.get("used_percent"))
    if used is None:
        return None
    seconds = _json_number(value.get("limit_window_seconds"))
    reset_at = _json_number(value.get("reset_at"))
    if reset_at is None:
        after = _json_number(value.get("reset_after_seconds"))
        reset_at = None if after is None else now + after
    return RateLimitWindow(
        used_percent=used,
        window_minutes=None if seconds is None else int(seconds // 60),
        resets_at=unix_to_datetime(reset_at),
    )


def _additional(
    limit: Mapping[str, Any], now: float, *, limit_name: str | None, metered_feature: str | None
) -> AdditionalRateLimit:
    # Entries of additional_rate_limits nest the windows under "rate_limit"; accept both shapes.
    status = _mapping(limit.get("rate_limit")) if "rate_limit" in limit else limit
    return AdditionalRateLimit(
        limit_name=limit_name,
        metered_feature=metered_feature,
        allowed=_json_bool(status.get("allowed")),
        limit_reached=_json_bool(status.get("limit_reached")),
        primary=_usage_window(status.get("primary_window"), now),
        secondary=_usage_window(status.get("secondary_window"), now),
    )


def _usage_credits(value: Any) -> Credits | None:
    if not isinstance(value, Mapping):
        return None
    balance = value.get("balance")
    if _json_number(balance) is not None:
        balance = str(balance)
    return Credits(
        has_credits=bool(_json_bool(value.get("has_credits"))),
        unlimited=bool(_json_bool(value.get("unlimited"))),
        balance=_json_str(balance),
    )


def account_usage_from_payload(
    payload: Mapping[str, Any], *, now: float | None = None
) -> AccountUsage:
    """Parse a ``/wham/usage`` payload (wire protocol §8); missing or odd values become None.

    ``limit_window_seconds`` becomes ``window_minutes``; ``reset_after_seconds`` is anchored
    at ``now`` (unix seconds, default the clock) when no ``reset_at`` is sent.
    """
    anchor = time.time() if now is None else now
    rate_limit = _mapping(payload.get("rate_limit"))
    entries = payload.get("additional_rate_limits")
    additional = [
        _additional(
            entry,
            anchor,
            limit_name=_json_str(entry.get("limit_name")),
            metered_feature=_json_str(entry.get("metered_feature")),
        )
        for entry in (entries if isinstance(entries, list) else ())
        if isinstance(entry, Mapping)
    ]
    code_review = payload.get("code_review_rate_limit")
    if isinstance(code_review, Mapping):
        additional.append(
            _additional(
                code_review,
                anchor,
                limit_name="code_review",
                metered_feature=_json_str(code_review.get("metered_feature")),
            )
        )
    reached = payload.get("rate_limit_reached_type")
    if isinstance(reached, Mapping):
        reached = reached.get("type")
    return AccountUsage(
        plan_type=_json_str(payload.get("plan_type")),
        allowed=_json_bool(rate_limit.get("allowed")),
        limit_reached=_json_bool(rate_limit.get("limit_reached")),
        primary=_usage_window(rate_limit.get("primary_window"), anchor),
        secondary=_usage_window(rate_limit.get("secondary_window"), anchor),
        credits=_usage_credits(payload.get("credits")),
        additional=additional,
        rate_limit_reached_type=_json_str(reached),
        raw=dict(payload),
    )
