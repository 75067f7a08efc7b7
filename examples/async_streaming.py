"""Streaming with ``AsyncClient``: text deltas as they arrive, then every event typed."""

from __future__ import annotations

import asyncio

from _support import client_kwargs

import codex_open_client


async def main() -> None:
    async with codex_open_client.AsyncClient(**client_kwargs("streaming")) as client:
        # The request is sent when `async with` starts; leaving the block closes the stream.
        async with client.responses.stream(
            model="gpt-5.1-codex-mini",
            instructions="You are a poet.",
            input="Write a haiku about streams.",
        ) as stream:
            async for text in stream.text_deltas():
                print(text, end="", flush=True)
            final = await stream.get_final_response()
        print()
        print(f"[{final.status}, {final.usage.output_tokens if final.usage else '?'} tokens]")

        # create(stream=True) sends the request at once (HTTP errors raise here) and returns
        # the stream of typed events; `event.type` is the wire type ("unknown" for a type this
        # version does not know: its wire name is then `event.wire_type`).
        stream = await client.responses.create(
            model="gpt-5.1-codex-mini", instructions="Be brief.", input="Hi!", stream=True
        )
        async with stream:
            async for event in stream:
                if isinstance(event, codex_open_client.ResponseCompletedEvent):
                    print("completed:", event.response.id)
                elif not isinstance(event, codex_open_client.ResponseOutputTextDeltaEvent):
                    print("event:", event.type)


asyncio.run(main())
