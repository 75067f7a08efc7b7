"""The sans-IO retry policy."""

from __future__ import annotations

import random

import pytest

import codex_open_client as c
from codex_open_client._retry import MAX_DELAY, MAX_SERVER_DELAY, is_retryable, retry_delay


def test_what_is_retried() -> None:
    """Connection errors, timeouts, broken streams, 5xx and 429 are; 4xx and quota are not."""
    assert is_retryable(c.APIConnectionError("x"))
    assert is_retryable(c.APITimeoutError("x"))
    assert is_retryable(c.StreamError("x"))
    assert is_retryable(c.ServerError("x", status_code=503))
    assert is_retryable(c.RateLimitError("x", status_code=429))
    assert not is_retryable(c.QuotaExceededError("x", status_code=429))
    assert not is_retryable(c.InvalidRequestError("x", status_code=400))
    assert not is_retryable(c.AuthError("x", status_code=401))
    assert not is_retryable(c.ContextWindowError("x"))


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    """Exponential backoff from 0.25 s with jitter in [75%, 100%], at most MAX_DELAY."""
    random.seed(7)
    error = c.ServerError("x")
    delays = [retry_delay(n, error) for n in range(8)]
    for n, delay in enumerate(delays):
        assert delay is not None
        nominal = min(MAX_DELAY, 0.25 * 2**n)
        assert 0.75 * nominal <= delay <= nominal
    assert len({round(d, 6) for d in delays if d is not None}) == len(delays)  # jittered


@pytest.mark.parametrize(
    ("asked", "expected"), [(0.028, 0.028), (7.0, 7.0), (MAX_SERVER_DELAY + 1, None)]
)
def test_server_delay_wins_up_to_the_cap(asked: float, expected: float | None) -> None:
    """The server's retry_after is used as is; beyond the cap there is no retry."""
    assert retry_delay(0, c.RateLimitError("x", retry_after=asked)) == expected
