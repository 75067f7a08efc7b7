# pyright: strict
"""A user module: a params dict typed ``ResponseCreateParams`` is passed on as ``**params``.

Not a test module: ``tests/test_typing.py`` runs ``mypy --strict`` and pyright (strict) on it
and expects no error, and also runs these functions against the fake backend.
"""

from __future__ import annotations

from typing_extensions import assert_type

from codex_open_client import (
    AsyncClient,
    AsyncResponseStream,
    Client,
    Reasoning,
    Response,
    ResponseCreateParams,
    ResponseStream,
    ToolRunParams,
)


def settings(model: str) -> ResponseCreateParams:
    """The keys every call shares, built once (the optional ones may be left out)."""
    return {"model": model, "instructions": "You are helpful.", "input": "Hello!"}


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def create(client: Client, model: str) -> list[str]:
    """``create(**params)``, streamed or not, ``stream(**params)`` and ``run_tools``."""
    params: ResponseCreateParams = {
        "model": model,
        "instructions": "You are helpful.",
        "input": "Hello!",
        "reasoning": Reasoning(effort="low"),
    }
    response = client.responses.create(**params)
    assert_type(response, Response)
    texts = [response.output_text]
    # With **params, mypy infers Any for stream=True (the values hold dict[str, Any], so by its
    # overload rule the stream: bool overload matches too); pyright infers ResponseStream.
    streamed: ResponseStream = client.responses.create(stream=True, **settings(model))
    with streamed:
        texts.append(streamed.get_final_response().output_text)
    with client.responses.stream(**params) as stream:
        texts.append(stream.get_final_response().output_text)
    tool_params: ToolRunParams = {"model": model, "instructions": "", "input": "1 + 2?"}
    texts.append(client.responses.run_tools(tools=[add], **tool_params).output_text)
    return texts


async def acreate(client: AsyncClient, model: str) -> list[str]:
    """The same with ``AsyncClient``."""
    params: ResponseCreateParams = {
        "model": model,
        "instructions": "You are helpful.",
        "input": "Hello!",
        "reasoning": Reasoning(effort="low"),
    }
    response = await client.responses.create(**params)
    assert_type(response, Response)
    texts = [response.output_text]
    streamed: AsyncResponseStream = await client.responses.create(stream=True, **settings(model))
    async with streamed:
        texts.append((await streamed.get_final_response()).output_text)
    async with client.responses.stream(**params) as stream:
        texts.append((await stream.get_final_response()).output_text)
    tool_params: ToolRunParams = {"model": model, "instructions": "", "input": "1 + 2?"}
    texts.append((await client.responses.run_tools(tools=[add], **tool_params)).output_text)
    return texts
