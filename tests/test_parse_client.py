"""``responses.parse()`` through both clients against the fake backend."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
from typing import Any

import pytest
from pydantic import BaseModel

import codex_open_client as c
from codex_open_client.testing import (
    FakeCodexServer,
    incomplete_reply,
    json_reply,
    refusal,
    reply,
    text_reply,
)

from .conftest import BASE, Api


class Address(BaseModel):
    city: str
    country: str


class Person(BaseModel):
    """A person found in the text."""

    name: str
    age: int | None = None
    address: Address


@dataclasses.dataclass
class Point:
    x: int
    y: int


def parse(api: Api, **kwargs: Any) -> Any:
    return api.call("responses.parse", **{**BASE, **kwargs})


def test_parse_sends_a_strict_schema_and_returns_the_model(
    api: Api, server: FakeCodexServer
) -> None:
    document = {"name": "Alice", "age": 30, "address": {"city": "Paris", "country": "France"}}
    server.queue(json_reply(document))
    parsed = parse(api, text_format=Person, text=c.TextConfig(verbosity="low"))
    assert isinstance(parsed, c.ParsedResponse)
    assert parsed.output_parsed == Person.model_validate(document)
    assert parsed.output_text == parsed.response.output_text
    assert parsed.id == parsed.response.id and parsed.status == "completed"
    assert parsed.usage is not None and parsed.rate_limits is not None

    text = server.requests[-1].json["text"]
    assert text["verbosity"] == "low"
    fmt = text["format"]
    assert (fmt["type"], fmt["name"], fmt["strict"]) == ("json_schema", "Person", True)
    assert fmt["description"] == "A person found in the text."

    def objects(node: Any) -> list[dict[str, Any]]:
        found = []
        if isinstance(node, dict):
            if node.get("type") == "object":
                found.append(node)
            for value in node.values():
                found.extend(objects(value))
        elif isinstance(node, list):
            for value in node:
                found.extend(objects(value))
        return found

    schema = fmt["schema"]
    for obj in objects(schema):
        assert obj["additionalProperties"] is False
        assert obj["required"] == list(obj["properties"])
    assert "age" in schema["required"]  # optional fields are required (and nullable)
    for ref in [v for o in objects(schema) for v in _refs(o)]:
        name = ref.removeprefix("#/$defs/")
        assert name in schema["$defs"]


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_the_fake_answers_any_schema_by_default(api: Api) -> None:
    """No queued reply: the fake returns an example document that validates."""
    parsed = parse(api, text_format=Person)
    assert isinstance(parsed.output_parsed, Person)
    point = parse(api, text_format=Point)
    assert isinstance(point.output_parsed, Point)
    many = parse(api, text_format=list[Point])
    assert isinstance(many.output_parsed, list) and isinstance(many.output_parsed[0], Point)


def test_refusal_incomplete_and_invalid_documents_raise_clear_errors(
    api: Api, server: FakeCodexServer
) -> None:
    server.queue(reply(refusal("I can't share that.")))
    with pytest.raises(c.RefusalError) as refused:
        parse(api, text_format=Person)
    assert refused.value.refusal == "I can't share that."
    assert "I can't share that." in str(refused.value)
    assert isinstance(refused.value.response, c.Response)

    server.queue(incomplete_reply('{"name": "Al', reason="max_output_tokens"))
    with pytest.raises(c.IncompleteResponseError) as incomplete:
        parse(api, text_format=Person)
    assert incomplete.value.reason == "max_output_tokens"

    server.queue(text_reply('{"name": 5}'))
    with pytest.raises(c.StructuredOutputError) as invalid:
        parse(api, text_format=Person)
    message = str(invalid.value)
    assert "Person" in message and len(message) < 800
    assert invalid.value.__cause__ is not None

    server.queue(text_reply("not json at all"))
    with pytest.raises(c.StructuredOutputError, match="Person"):
        parse(api, text_format=Person)


def test_parse_argument_errors(api: Api, server: FakeCodexServer) -> None:
    both = c.TextConfig(format=c.ResponseFormatJsonObject())
    with pytest.raises(TypeError, match="text_format"):
        parse(api, text_format=Person, text=both)
    with pytest.raises(TypeError, match="text_format"):
        parse(api, text_format=Person, text={"format": {"type": "json_object"}})
    with pytest.raises(TypeError, match="stream"):
        parse(api, text_format=Person, stream=True)
    assert server.requests == []


def test_without_pydantic_parse_names_the_extra(server: FakeCodexServer) -> None:
    """A process where pydantic cannot be imported: a clear ImportError, nothing sent."""
    code = textwrap.dedent(
        f"""
        import sys
        sys.modules["pydantic"] = None  # what an uninstalled package looks like
        import dataclasses
        import codex_open_client as c

        @dataclasses.dataclass
        class P:
            x: int

        with c.Client(access_token={server.access_token!r}, base_url={server.url!r}) as client:
            try:
                client.responses.parse(
                    model="gpt-5.1-codex-mini", instructions="x", input="x", text_format=P
                )
            except ImportError as exc:
                print("ImportError:", exc)
            # create() and plain JSON schemas need no pydantic.
            answer = client.responses.create(model="gpt-5.1-codex-mini", instructions="", input="x")
            print(answer.status)
        """
    )
    before = len(server.requests)
    run = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert run.returncode == 0, run.stderr
    assert "codex-open-client[pydantic]" in run.stdout
    assert run.stdout.strip().endswith("completed")
    assert len(server.requests) == before + 1  # only the create() call reached the server
