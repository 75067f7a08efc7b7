"""Handling errors: every exception derives from CodexError and carries the details."""

from __future__ import annotations

import os

import codex_open_client
from codex_open_client import (
    APIConnectionError,
    AuthError,
    CodexError,
    ContextWindowError,
    QuotaExceededError,
    RateLimitError,
)

with codex_open_client.Client(
    access_token=os.environ["CODEX_ACCESS_TOKEN"],
    account_id=os.environ.get("CODEX_ACCOUNT_ID"),
    base_url=os.environ.get("CODEX_BASE_URL"),
    max_retries=3,  # connection errors, timeouts, 429 and 5xx are retried with backoff
    timeout=60,  # for connecting and for each wait for data; long streams never time out
) as client:
    try:
        response = client.responses.create(
            model="gpt-5.1-codex-mini", instructions="Be brief.", input="Hello!"
        )
        print(response.output_text)
    except ContextWindowError as exc:
        print("Too long for the model:", exc)
    except QuotaExceededError as exc:
        print(f"Usage limit reached on plan {exc.plan_type}; resets at {exc.resets_at}")
    except RateLimitError as exc:
        print(f"Rate limited; retry in {exc.retry_after}s")
    except AuthError as exc:
        print("Sign in again:", exc)
    except APIConnectionError as exc:
        print("Network problem:", exc)
    except CodexError as exc:
        print("Something else went wrong:", exc)

    try:
        client.responses.create(
            model="gpt-5.1-codex-mini", instructions="", input="x", temperature=0.2
        )  # type: ignore[call-overload]
    except TypeError as exc:
        print(exc)  # the backend rejects temperature: the SDK says so before sending anything
