"""Stream an answer token by token, then read the final response (sync client)."""

from __future__ import annotations

import os

import codex_open_client

with codex_open_client.Client(
    access_token=os.environ["CODEX_ACCESS_TOKEN"],
    account_id=os.environ.get("CODEX_ACCOUNT_ID"),
    base_url=os.environ.get("CODEX_BASE_URL"),
) as client:
    with client.responses.stream(
        model="gpt-5.1-codex-mini",
        instructions="You are a helpful assistant.",
        input="Write a haiku about streams.",
    ) as stream:
        for text in stream.text_deltas():
            print(text, end="", flush=True)
        final = stream.get_final_response()
    print()
    print(f"{final.status}: {final.usage}")

    # Every event, typed: create(stream=True) sends the request at once.
    with client.responses.create(
        model="gpt-5.1-codex-mini", instructions="Be brief.", input="Hi!", stream=True
    ) as events:
        for event in events:
            print(event.type)
