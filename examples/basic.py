"""Ask one question and print the answer and the token usage (sync client).

Run against the fake backend: ``python -m codex_open_client.testing`` in one terminal, then
``CODEX_BASE_URL=http://127.0.0.1:8765/backend-api/codex CODEX_ACCESS_TOKEN=fake-access-token
python examples/basic.py``. Without CODEX_BASE_URL it talks to the real backend.
"""

from __future__ import annotations

import os

import codex_open_client

with codex_open_client.Client(
    access_token=os.environ["CODEX_ACCESS_TOKEN"],
    account_id=os.environ.get("CODEX_ACCOUNT_ID"),
    base_url=os.environ.get("CODEX_BASE_URL"),
) as client:
    response = client.responses.create(
        model="gpt-5.1-codex-mini",
        instructions="You are a helpful assistant.",
        input="Hello!",
    )
    print(response.output_text)
    print(response.usage)
