"""Quickstart: ask one question with the sync client and print the answer.

Sign in once with ``python -m codex_open_client login`` (or the Codex CLI), then run
``python examples/quickstart.py``. Every example also runs offline against the fake backend:
``CODEX_OPEN_CLIENT_FAKE=1 python examples/quickstart.py`` (see ``_support.py``).
"""

from __future__ import annotations

from _support import client_kwargs

import codex_open_client

# No arguments means: the credentials in ~/.codex/auth.json, refreshed as needed.
# The `with` block closes the client's connections (and its private event-loop thread).
with codex_open_client.Client(**client_kwargs("quickstart")) as client:
    response = client.responses.create(
        model="gpt-5.1-codex-mini",
        instructions="You are a helpful assistant.",  # required; "" for none
        input="Hello!",
    )
    print(response.output_text)
    # Token counts: useful to watch prompt caching (cached_tokens) and reasoning costs.
    usage = response.usage
    if usage is not None:
        print(
            f"tokens: {usage.input_tokens} in ({usage.input_tokens_details.cached_tokens} "
            f"cached), {usage.output_tokens} out"
        )
