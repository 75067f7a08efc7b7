"""The async client: one call, one stream, and several questions at once."""

from __future__ import annotations

import asyncio
import os

import codex_open_client


async def main() -> None:
    async with codex_open_client.AsyncClient(
        access_token=os.environ["CODEX_ACCESS_TOKEN"],
        account_id=os.environ.get("CODEX_ACCOUNT_ID"),
        base_url=os.environ.get("CODEX_BASE_URL"),
    ) as client:
        stream = await client.responses.create(
            model="gpt-5.1-codex-mini",
            instructions="You are a helpful assistant.",
            input="Hello!",
            stream=True,
        )
        async with stream:
            async for event in stream:
                if isinstance(event, codex_open_client.ResponseOutputTextDeltaEvent):
                    print(event.delta, end="", flush=True)
        print()

        questions = ["What is 2 + 2?", "Name a prime number.", "Say hi in French."]
        answers = await asyncio.gather(
            *(
                client.responses.create(
                    model="gpt-5.1-codex-mini", instructions="Be brief.", input=question
                )
                for question in questions
            )
        )
        for question, answer in zip(questions, answers, strict=True):
            print(f"{question} -> {answer.output_text}")


asyncio.run(main())
