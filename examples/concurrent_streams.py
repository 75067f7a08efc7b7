"""Many streams at once on one ``AsyncClient``, in an anyio task group.

One client is enough: it pools connections and shares one token refresh between all tasks.
Create one per program (per event loop), not one per request.
"""

from __future__ import annotations

import anyio
from _support import client_kwargs

import codex_open_client

QUESTIONS = ["What is a monad?", "Why is the sky blue?", "What is TCP?", "Who wrote Dune?"]


async def answer(client: codex_open_client.AsyncClient, n: int, answers: dict[int, str]) -> None:
    parts = []
    async with client.responses.stream(
        model="gpt-5.1-codex-mini", instructions="One sentence.", input=QUESTIONS[n]
    ) as stream:
        async for text in stream.text_deltas():
            parts.append(text)
            print(f"[{n}]", end="", flush=True)  # the streams interleave as their text arrives
    answers[n] = "".join(parts)


async def main() -> None:
    answers: dict[int, str] = {}
    # The task group ends when every task has; if one fails, it cancels the others (their
    # streams close cleanly) and raises. Wrap it in anyio.fail_after(...) to bound the batch.
    async with (
        codex_open_client.AsyncClient(**client_kwargs("concurrent_streams")) as client,
        anyio.create_task_group() as group,
    ):
        for n in range(len(QUESTIONS)):
            group.start_soon(answer, client, n, answers)
    print()
    for n, question in enumerate(QUESTIONS):
        print(f"{question} -> {answers[n]}")


anyio.run(main)  # asyncio underneath: AsyncClient runs on aiohttp
