"""Async quickstart: the same question with ``AsyncClient`` (aiohttp, asyncio)."""

from __future__ import annotations

import asyncio

from _support import client_kwargs

import codex_open_client


async def main() -> None:
    # An AsyncClient belongs to the event loop that first uses it: create it inside main().
    async with codex_open_client.AsyncClient(**client_kwargs("quickstart")) as client:
        response = await client.responses.create(
            model="gpt-5.1-codex-mini",
            instructions="You are a helpful assistant.",
            input="Hello!",
        )
        print(response.output_text)
        print(f"status={response.status} id={response.id}")


asyncio.run(main())
