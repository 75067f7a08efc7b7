"""Streaming with the sync client: print the answer as it is written, then the final response."""

from __future__ import annotations

from _support import client_kwargs

import codex_open_client

with codex_open_client.Client(**client_kwargs("streaming")) as client:
    # stream() sends the request when the `with` block starts; leaving the block (even with
    # `break` or an exception) closes the HTTP response and returns the connection.
    with client.responses.stream(
        model="gpt-5.1-codex-mini",
        instructions="You are a poet.",
        input="Write a haiku about streams.",
    ) as stream:
        for text in stream.text_deltas():  # only the text; iterate `stream` for every event
            print(text, end="", flush=True)
        final = stream.get_final_response()  # the whole Response, built from the events
    print()
    print(f"[{final.status}, {final.usage.output_tokens if final.usage else '?'} tokens]")

    # Every event, typed. create(stream=True) sends the request at once, so an HTTP error
    # (bad token, usage limit) raises here rather than in the loop.
    with client.responses.create(
        model="gpt-5.1-codex-mini", instructions="Be brief.", input="Hi!", stream=True
    ) as events:
        for event in events:
            if isinstance(event, codex_open_client.ResponseOutputTextDeltaEvent):
                continue  # the text itself, as above
            # "unknown" for a type this version does not know; its wire name: .wire_type.
            print("event:", event.type)
