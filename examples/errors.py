"""Errors and retries: what to catch, and what the client already retries for you.

Every exception derives from ``CodexError``. Connection errors, timeouts, 5xx and 429 are
retried with exponential backoff (``max_retries``); a usage limit is not, since waiting
seconds will not help: ``QuotaExceededError`` says when it resets.
"""

from __future__ import annotations

import logging

from _support import client_kwargs

import codex_open_client
from codex_open_client import (
    APIConnectionError,
    AuthError,
    CodexError,
    ContextWindowError,
    QuotaExceededError,
    RateLimitError,
)

# Retries are logged at INFO: show them, to see one happen.
logging.basicConfig(format="%(name)s: %(message)s")
logging.getLogger("codex_open_client").setLevel(logging.INFO)


def ask(
    client: codex_open_client.Client,
    question: str,
    timeout: float | None = None,  # None: the client's setting
    max_retries: int | None = None,
) -> None:
    try:
        response = client.responses.create(
            model="gpt-5.1-codex-mini",
            instructions="Be brief.",
            input=question,
            timeout=timeout,
            max_retries=max_retries,
        )
        print(f"{question} -> {response.output_text}")
    except ContextWindowError:  # a kind of InvalidRequestError (400): the input is too long
        print("Too long for the model: shorten the input.")
    except QuotaExceededError as exc:  # the plan's limit: retrying soon would not help
        print(f"Usage limit reached on plan {exc.plan_type}; it resets at {exc.resets_at}.")
    except RateLimitError as exc:  # still limited after every retry
        print(f"Rate limited; try again in {exc.retry_after}s.")
    except AuthError as exc:  # no valid sign-in: run `python -m codex_open_client login`
        print("Sign in again:", exc)
    except APIConnectionError as exc:  # no answer at all (APITimeoutError is one of these)
        print("Network problem:", exc)
    except CodexError as exc:  # anything else: exc.status_code, exc.code, exc.request_id...
        print("Something else went wrong:", exc)


with codex_open_client.Client(
    **client_kwargs("errors"),
    max_retries=3,  # per client (default 2)...
    timeout=60,  # seconds to connect and for each wait for data; never cuts a healthy stream
) as client:
    ask(client, "Hello!")
    ask(client, "And again?", timeout=10, max_retries=0)  # ...or per call

    # Bad arguments fail before anything is sent, naming the fix.
    try:
        client.responses.create(  # type: ignore[call-overload]
            model="gpt-5.1-codex-mini", instructions="", input="x", temperature=0.2
        )
    except TypeError as exc:
        print("TypeError:", exc)
