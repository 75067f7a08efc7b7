"""Multi-turn: the backend stores nothing, so each turn sends the history again.

Two ways: by hand (the guide's pattern: pass earlier output back as input), or with
``client.conversation(...)``, which keeps the history for you.
"""

from __future__ import annotations

from _support import client_kwargs

import codex_open_client
from codex_open_client import InputMessage, Reasoning

MODEL = "gpt-5.1-codex-mini"

with codex_open_client.Client(**client_kwargs("multi_turn")) as client:
    # 1. By hand. `first.output` holds the assistant's items (reasoning included, with its
    #    encrypted content, so the model keeps its train of thought); send them back as they are.
    first = client.responses.create(
        model=MODEL,
        instructions="You are helpful.",
        input="My name is Alice.",
        reasoning=Reasoning(effort="low", summary="auto"),
    )
    second = client.responses.create(
        model=MODEL,
        instructions="You are helpful.",
        input=[
            InputMessage(role="user", content="My name is Alice."),
            *first.output,
            InputMessage(role="user", content="What's my name?"),
        ],
    )
    print("by hand:", first.output_text, "/", second.output_text)

    # 2. A conversation: it appends each turn (your input and the model's output) to its
    #    history once the response completes, and uses one session id as the prompt-cache key.
    chat = client.conversation(model=MODEL, instructions="You are helpful.")
    print("conversation:", chat.ask("Hi, my name is Bob.").output_text, end=" / ")
    # Streaming works too; the turn joins the history when the stream ends.
    with chat.stream("What's my name?") as stream:
        for text in stream.text_deltas():
            print(text, end="", flush=True)
    print()
    print(f"history: {len(chat.history)} items")
