"""Multi-turn conversation: feed the previous output back as input, as the guide shows."""

from __future__ import annotations

import os

import codex_open_client
from codex_open_client import InputMessage, Reasoning

with codex_open_client.Client(
    access_token=os.environ["CODEX_ACCESS_TOKEN"],
    account_id=os.environ.get("CODEX_ACCOUNT_ID"),
    base_url=os.environ.get("CODEX_BASE_URL"),
) as client:
    first = client.responses.create(
        model="gpt-5.1-codex-mini",
        instructions="You are helpful.",
        input="My name is Alice.",
        reasoning=Reasoning(effort="low", summary="auto"),
    )
    second = client.responses.create(
        model="gpt-5.1-codex-mini",
        instructions="You are helpful.",
        input=[
            InputMessage(role="user", content="My name is Alice."),
            *first.output,  # reasoning is replayed with its encrypted content, no filter needed
            InputMessage(role="user", content="What's my name?"),
        ],
    )
    print(second.output_text)

    # Plain dicts work too, in any mix with typed items.
    third = client.responses.create(
        model="gpt-5.1-codex-mini",
        instructions="Be brief.",
        input=[
            {"role": "user", "content": "Hello"},
            {"role": "assistant", "content": "Hi there!"},
            {"role": "user", "content": "How are you?"},
        ],
    )
    print(third.output_text)
