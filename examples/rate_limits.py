"""Rate limits and usage: how much of your plan's windows you have used, and the models.

A ChatGPT plan meters Codex use in windows (a short one, e.g. 5 hours, and a weekly one).
Every response reports them; ``client.usage()`` asks for them directly.
"""

from __future__ import annotations

from datetime import timedelta

from _support import client_kwargs

import codex_open_client
from codex_open_client import RateLimitWindow


def show(label: str, window: RateLimitWindow | None) -> None:
    if window is None:
        return
    hours = f"{window.window_minutes / 60:g} h" if window.window_minutes else "?"
    left = window.resets_in()  # a timedelta, or None when the backend did not say
    resets = f"resets in {timedelta(seconds=round(left.total_seconds()))}" if left else ""
    print(f"  {label}: {window.used_percent:g}% of the {hours} window used; {resets}")


with codex_open_client.Client(**client_kwargs()) as client:
    response = client.responses.create(
        model="gpt-5.1-codex-mini", instructions="Be brief.", input="Hello!"
    )
    # The limits that came with this response (headers and the codex.rate_limits event)...
    limits = response.rate_limits
    if limits is not None:
        print(f"with the response (plan {limits.plan_type}):")
        show("primary", limits.primary)
        show("secondary", limits.secondary)
    # ...and the client keeps the latest it saw, for a status line without another request.
    if client.rate_limits is not None:
        print("client.rate_limits: the most used window resets at", client.rate_limits.resets_at)

    # The account's usage, asked directly (GET /wham/usage): works before any request too.
    usage = client.usage()
    print(f"account usage (plan {usage.plan_type}, limit reached: {usage.limit_reached}):")
    show("primary", usage.primary)
    show("secondary", usage.secondary)
    if usage.credits is not None:
        print(f"  credits: {usage.credits.balance} (unlimited: {usage.credits.unlimited})")

    # The models this account can use, cached for five minutes.
    print("models:")
    for model in client.models.list():
        if model.visibility != "hide":  # hidden ones are for internal use
            efforts = "/".join(model.reasoning_levels) or "-"
            print(f"  {model.slug}: context {model.context_window}, reasoning {efforts}")
