"""Every code example of the Responses guide and of the Structured Output guide runs.

Each ``*_EXAMPLE`` string below is an example of the user's guide "Responses" or of the reference
SDK's "Structured Output" guide, copied verbatim: the same statements, names and arguments (the
guide page lost its indentation, which is restored). Each runs against the fake backend twice:

* as is, with ``client`` a ``codex_open_client.Client``;
* translated to async, with ``client`` a ``codex_open_client.AsyncClient``: the one change is
  ``await`` before every ``client.responses.create(`` / ``client.responses.parse(`` call, run
  with top-level await (see ``_asyncify``).

The tests then check what the example printed and what reached the fake backend. The guide's
tables (parameters, detail levels, the ``Response`` object) have no code of their own: they are
covered by the plain tests at the end, in both modes too.
"""

from __future__ import annotations

import ast
import asyncio
import base64
import json
import re
import struct
import types
import warnings
import zlib
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import codex_open_client
from codex_open_client.testing import (
    DEFAULT_REPLY_TEXT,
    FakeCodexServer,
    example_document,
    function_call,
    json_reply,
    message,
    reasoning,
    reply,
    text_reply,
    tool_call_reply,
)

from .conftest import BASE, Api

# --------------------------------------------------------------------------------------------
# Running an example


def _asyncify(code: str) -> str:
    """The async translation of a sync example: every response call is awaited."""
    translated, calls = re.subn(
        r"\bclient\.responses\.(create|parse)\(", r"await client.responses.\1(", code
    )
    assert calls, "the example makes no responses call"
    return translated


class Runner:
    """Run an example with ``client`` connected to the fake backend, sync or async."""

    def __init__(self, mode: str, server: FakeCodexServer) -> None:
        self.mode = mode
        self.server = server

    def __call__(self, code: str, section: str, **names: Any) -> dict[str, Any]:
        """Run ``code`` and return its namespace (``response``, ``parsed``, ``data``, ...).

        The namespace has what the guide's examples assume is imported: ``codex_open_client``,
        ``json`` and pydantic's ``BaseModel``, plus ``names``.
        """
        namespace: dict[str, Any] = {
            "__name__": "guide_example",
            "codex_open_client": codex_open_client,
            "json": json,
            "BaseModel": BaseModel,
            **names,
        }
        # Only the client construction differs from the guide's ``client = Client()``.
        credentials: dict[str, Any] = {
            "access_token": self.server.access_token,
            "account_id": self.server.account_id,
            "base_url": self.server.url,
            "chatgpt_base_url": self.server.chatgpt_base_url,
        }
        # dont_inherit: the example is compiled like a user's script, without this module's
        # ``from __future__ import annotations``.
        if self.mode == "sync":
            compiled = compile(code, f"<guide: {section}>", "exec", dont_inherit=True)
            with codex_open_client.Client(**credentials) as client:
                namespace["client"] = client
                exec(compiled, namespace)
            return namespace

        compiled = compile(
            _asyncify(code),
            f"<guide: {section} (async)>",
            "exec",
            flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
            dont_inherit=True,
        )

        async def main() -> None:
            async with codex_open_client.AsyncClient(**credentials) as client:
                namespace["client"] = client
                # Code with top-level await runs as a coroutine, in the module namespace.
                await types.FunctionType(compiled, namespace)()

        asyncio.run(main())
        return namespace


@pytest.fixture(params=["sync", "async"])
def run(request: pytest.FixtureRequest, server: FakeCodexServer) -> Runner:
    return Runner(request.param, server)


def printed(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return capsys.readouterr().out.splitlines()


def user_message(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def model_requests(server: FakeCodexServer) -> list[Any]:
    return [r for r in server.requests if r.path.endswith("/models")]


def test_async_translation_only_adds_await() -> None:
    code = 'parsed = client.responses.parse(\n    model="m",\n)\nx = client.responses.create(\n'
    assert _asyncify(code) == (
        'parsed = await client.responses.parse(\n    model="m",\n)\n'
        "x = await client.responses.create(\n"
    )


# --------------------------------------------------------------------------------------------
# Responses guide: Basic Usage

BASIC_USAGE_EXAMPLE = """
response = client.responses.create(
    model="gpt-5.1-codex-mini",
    instructions="You are a helpful assistant.",
    input="Hello!",
)
print(response.output_text) # joined text from all output messages
print(response.usage) # Usage(input_tokens=..., output_tokens=..., total_tokens=...)
"""


def test_basic_usage(run: Runner, server: FakeCodexServer, capsys: Any) -> None:
    server.queue(text_reply("Hi! How can I help?", usage={"input_tokens": 12, "output_tokens": 7}))
    ns = run(BASIC_USAGE_EXAMPLE, "Basic Usage")

    text, usage = printed(capsys)
    assert text == "Hi! How can I help?"
    assert usage.startswith("Usage(input_tokens=12, output_tokens=7, total_tokens=19")
    assert isinstance(ns["response"], codex_open_client.Response)
    body = server.requests[-1].json
    assert body["model"] == "gpt-5.1-codex-mini"
    assert body["instructions"] == "You are a helpful assistant."
    assert body["input"] == [user_message("Hello!")]
    assert body["store"] is False
    assert body["stream"] is True


# --------------------------------------------------------------------------------------------
# Responses guide: Multi-Turn Conversations

MULTI_TURN_EXAMPLE = """
response1 = client.responses.create(
    model="gpt-5.1-codex-mini",
    instructions="You are helpful.",
    input="My name is Alice.",
)
response2 = client.responses.create(
    model="gpt-5.1-codex-mini",
    instructions="You are helpful.",
    input=[
        codex_open_client.InputMessage(role="user", content="My name is Alice."),
        *response1.output,
        codex_open_client.InputMessage(role="user", content="What's my name?"),
    ],
)
print(response2.output_text) # "Your name is Alice."
"""


def test_multi_turn(run: Runner, server: FakeCodexServer, capsys: Any) -> None:
    """The first turn's output goes back as is, reasoning included.

    The guide's note "Filter reasoning items in multi-turn" is outdated: reasoning items keep
    their ``encrypted_content``, so they can be replayed with ``store=false``, and are.
    """
    thought = reasoning(["**Greeting Alice**\n\nThe user introduced herself as Alice."])
    said = message("Nice to meet you, Alice!")
    server.queue(reply(thought, said), text_reply("Your name is Alice."))
    ns = run(MULTI_TURN_EXAMPLE, "Multi-Turn Conversations")

    assert printed(capsys) == ["Your name is Alice."]
    first, second = (r.json for r in server.requests[-2:])
    assert first["input"] == [user_message("My name is Alice.")]
    assert [type(item) for item in ns["response1"].output] == [
        codex_open_client.ResponseReasoningItem,
        codex_open_client.ResponseOutputMessage,
    ]
    # The output items are replayed exactly as the backend sent them: ids, status, the
    # reasoning's encrypted content.
    assert thought.item["encrypted_content"]
    assert second["input"] == [
        user_message("My name is Alice."),
        thought.item,
        said.item,
        user_message("What's my name?"),
    ]
    assert ns["response2"].status == "completed"


# --------------------------------------------------------------------------------------------
# Responses guide: Dict-Based Input

DICT_INPUT_EXAMPLE = """
response = client.responses.create(
    model="gpt-5.1-codex-mini",
    instructions="Be brief.",
    input=[
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": "Hi there!"},
        {"role": "user", "content": "How are you?"},
    ],
)
"""


def test_dict_based_input(run: Runner, server: FakeCodexServer) -> None:
    server.queue(text_reply("Fine, thanks."))
    ns = run(DICT_INPUT_EXAMPLE, "Dict-Based Input")

    assert ns["response"].output_text == "Fine, thanks."
    body = server.requests[-1].json
    assert body["instructions"] == "Be brief."
    assert body["input"] == [
        user_message("Hello"),
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Hi there!"}],
        },
        user_message("How are you?"),
    ]


# --------------------------------------------------------------------------------------------
# Responses guide: Reasoning

REASONING_EXAMPLE = """
response = client.responses.create(
    model="gpt-5.1-codex-mini",
    instructions="Think step by step.",
    input="What is 15% of 847?",
    reasoning=codex_open_client.Reasoning(effort="high", summary="auto"),
)
print(response.reasoning_summary) # summary of the thinking process
print(response.output_text) # final answer
"""


def test_reasoning(run: Runner, server: FakeCodexServer, capsys: Any) -> None:
    summary = ["**Computing the percentage**", "0.15 x 847 = 127.05"]
    server.queue(reply(reasoning(summary), message("15% of 847 is 127.05.")))
    ns = run(REASONING_EXAMPLE, "Reasoning")

    assert printed(capsys) == [*summary, "15% of 847 is 127.05."]
    assert ns["response"].reasoning_summary == "**Computing the percentage**\n0.15 x 847 = 127.05"
    body = server.requests[-1].json
    assert body["reasoning"] == {"effort": "high", "summary": "auto"}
    # Asked for, so that the reasoning can be replayed on the next turn.
    assert body["include"] == ["reasoning.encrypted_content"]


# --------------------------------------------------------------------------------------------
# Responses guide: Image Input

IMAGE_URL_EXAMPLE = """
response = client.responses.create(
    model="gpt-5.1-codex-mini",
    instructions="Describe what you see.",
    input=[
        codex_open_client.InputMessage(role="user", content=[
            codex_open_client.InputText(text="What's in this image?"),
            codex_open_client.InputImage(image_url="https://example.com/photo.jpg"),
        ]),
    ],
)
"""

IMAGE_FILE_EXAMPLE = """
import base64

with open("screenshot.png", "rb") as f:
    data_url = "data:image/png;base64," + base64.b64encode(f.read()).decode()

response = client.responses.create(
    model="gpt-5.1-codex-mini",
    instructions="Describe the screenshot.",
    input=[
        codex_open_client.InputMessage(role="user", content=[
            codex_open_client.InputText(text="What's in this screenshot?"),
            codex_open_client.InputImage(image_url=data_url),
        ]),
    ],
)
"""


def image_message(text: str, image_url: str, detail: str = "auto") -> dict[str, Any]:
    return {
        "type": "message",
        "role": "user",
        "content": [
            {"type": "input_text", "text": text},
            {"type": "input_image", "image_url": image_url, "detail": detail},
        ],
    }


def tiny_png() -> bytes:
    """A valid 1x1 white PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_image_input_from_url(run: Runner, server: FakeCodexServer) -> None:
    server.queue(text_reply("A photo."))
    ns = run(IMAGE_URL_EXAMPLE, "Image Input")

    assert ns["response"].output_text == "A photo."
    body = server.requests[-1].json
    assert body["instructions"] == "Describe what you see."
    assert body["input"] == [
        image_message("What's in this image?", "https://example.com/photo.jpg")
    ]
    assert not model_requests(server)  # only detail="original" looks at the catalog


def test_image_input_from_a_local_file(
    run: Runner, server: FakeCodexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    png = tiny_png()
    (tmp_path / "screenshot.png").write_bytes(png)
    monkeypatch.chdir(tmp_path)
    server.queue(text_reply("A white pixel."))
    ns = run(IMAGE_FILE_EXAMPLE, "Image Input (local files)")

    assert ns["response"].output_text == "A white pixel."
    expected_url = "data:image/png;base64," + base64.b64encode(png).decode()
    assert ns["data_url"] == expected_url
    assert server.requests[-1].json["input"] == [
        image_message("What's in this screenshot?", expected_url)
    ]


# Responses guide: Detail Levels. The guide has a table, no code: this is the URL example with
# the ``detail`` the table describes (and the model as a variable).
DETAIL_LEVEL_EXAMPLE = """
response = client.responses.create(
    model=MODEL,
    instructions="Describe what you see.",
    input=[
        codex_open_client.InputMessage(role="user", content=[
            codex_open_client.InputText(text="What's in this image?"),
            codex_open_client.InputImage(image_url="https://example.com/photo.jpg", detail=DETAIL),
        ]),
    ],
)
"""


@pytest.mark.parametrize("detail", ["auto", "low", "high"])
def test_detail_levels(run: Runner, server: FakeCodexServer, detail: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run(DETAIL_LEVEL_EXAMPLE, "Detail Levels", MODEL="gpt-5.1-codex-mini", DETAIL=detail)
    sent = server.requests[-1].json["input"][0]["content"][1]
    assert sent == {
        "type": "input_image",
        "image_url": "https://example.com/photo.jpg",
        "detail": detail,
    }
    assert not model_requests(server)


def test_detail_original_warns_on_an_older_model(run: Runner, server: FakeCodexServer) -> None:
    """ "original" requires gpt-5.4 or newer: the SDK warns, and still sends what was asked."""
    with pytest.warns(codex_open_client.UnsupportedImageDetailWarning, match="gpt-5.1-codex-mini"):
        ns = run(
            DETAIL_LEVEL_EXAMPLE, "Detail Levels", MODEL="gpt-5.1-codex-mini", DETAIL="original"
        )
    assert ns["response"].output_text == DEFAULT_REPLY_TEXT
    assert server.requests[-1].json["input"][0]["content"][1]["detail"] == "original"


def test_detail_original_is_quiet_on_gpt_5_4(run: Runner, server: FakeCodexServer) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run(DETAIL_LEVEL_EXAMPLE, "Detail Levels", MODEL="gpt-5.4", DETAIL="original")
    body = server.requests[-1].json
    assert body["model"] == "gpt-5.4"
    assert body["input"][0]["content"][1]["detail"] == "original"
    assert len(model_requests(server)) == 1  # the catalog says gpt-5.4 supports it


# --------------------------------------------------------------------------------------------
# Structured Output guide: parse() with a pydantic model

PARSE_EXAMPLE = """
class Person(BaseModel):
    name: str
    age: int
    city: str

parsed = client.responses.parse(
    model="gpt-5.1-codex-mini",
    instructions="Extract the person info.",
    input="John Smith is 30 years old and lives in New York.",
    text_format=Person,
)
print(parsed.output_parsed)       # Person(name='John Smith', age=30, city='New York')
print(parsed.output_parsed.name)  # "John Smith"
print(parsed.output_parsed.age)   # 30
"""

NESTED_EXAMPLE = """
class Address(BaseModel):
    city: str
    country: str

class Person(BaseModel):
    name: str
    address: Address

parsed = client.responses.parse(
    model="gpt-5.1-codex-mini",
    instructions="Extract the person info.",
    input="Alice lives in Paris, France.",
    text_format=Person,
)
print(parsed.output_parsed.address.city)     # "Paris"
print(parsed.output_parsed.address.country)  # "France"
"""

LIST_EXAMPLE = """
class ExtractedColors(BaseModel):
    colors: list[str]

parsed = client.responses.parse(
    model="gpt-5.1-codex-mini",
    instructions="Extract all colors mentioned.",
    input="The sky is blue and the grass is green.",
    text_format=ExtractedColors,
)
print(parsed.output_parsed.colors)  # ["blue", "green"]
"""


def sent_format(server: FakeCodexServer) -> dict[str, Any]:
    fmt: dict[str, Any] = server.requests[-1].json["text"]["format"]
    return fmt


def test_parse_a_pydantic_model(run: Runner, server: FakeCodexServer, capsys: Any) -> None:
    answer = json_reply({"name": "John Smith", "age": 30, "city": "New York"})
    server.queue(answer)
    ns = run(PARSE_EXAMPLE, "Structured Output: parse()")

    # print() of a pydantic model shows its fields; the guide's comment shows its repr().
    assert printed(capsys) == ["name='John Smith' age=30 city='New York'", "John Smith", "30"]
    parsed, person = ns["parsed"], ns["Person"]
    assert isinstance(parsed, codex_open_client.ParsedResponse)
    assert parsed.output_parsed == person(name="John Smith", age=30, city="New York")
    assert repr(parsed.output_parsed) == "Person(name='John Smith', age=30, city='New York')"
    assert json.loads(parsed.output_text) == {"name": "John Smith", "age": 30, "city": "New York"}
    assert parsed.id == answer.response_id
    assert parsed.status == "completed"
    assert parsed.usage is not None
    assert parsed.usage.input_tokens == 128
    assert parsed.usage.total_tokens == parsed.usage.input_tokens + parsed.usage.output_tokens

    body = server.requests[-1].json
    assert body["instructions"] == "Extract the person info."
    assert body["input"] == [user_message("John Smith is 30 years old and lives in New York.")]
    fmt = sent_format(server)
    assert (fmt["type"], fmt["name"], fmt["strict"]) == ("json_schema", "Person", True)
    schema = fmt["schema"]
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["name", "age", "city"]
    assert {k: v["type"] for k, v in schema["properties"].items()} == {
        "name": "string",
        "age": "integer",
        "city": "string",
    }


def test_parse_a_nested_model(run: Runner, server: FakeCodexServer, capsys: Any) -> None:
    server.queue(json_reply({"name": "Alice", "address": {"city": "Paris", "country": "France"}}))
    ns = run(NESTED_EXAMPLE, "Structured Output: nested models")

    assert printed(capsys) == ["Paris", "France"]
    assert ns["parsed"].output_parsed == ns["Person"](
        name="Alice", address=ns["Address"](city="Paris", country="France")
    )
    schema = sent_format(server)["schema"]
    assert schema["required"] == ["name", "address"]
    assert schema["properties"]["address"] == {"$ref": "#/$defs/Address"}
    address = schema["$defs"]["Address"]
    assert address["required"] == ["city", "country"]
    assert address["additionalProperties"] is False


def test_parse_a_list_field(run: Runner, server: FakeCodexServer, capsys: Any) -> None:
    server.queue(json_reply({"colors": ["blue", "green"]}))
    ns = run(LIST_EXAMPLE, "Structured Output: lists")

    assert printed(capsys) == ["['blue', 'green']"]
    assert ns["parsed"].output_parsed.colors == ["blue", "green"]
    fmt = sent_format(server)
    assert fmt["name"] == "ExtractedColors"
    assert fmt["schema"]["properties"]["colors"]["type"] == "array"
    assert fmt["schema"]["properties"]["colors"]["items"] == {"type": "string"}


def test_parse_answers_with_the_servers_example_document(
    run: Runner, server: FakeCodexServer
) -> None:
    """Without a scripted answer the fake backend fills in the schema: parse() validates it."""
    ns = run(NESTED_EXAMPLE, "Structured Output: nested models")
    expected = example_document(sent_format(server)["schema"])
    assert ns["parsed"].output_parsed.model_dump() == expected


# parse() with the other create() parameters: reasoning and the text verbosity.
PARSE_WITH_OPTIONS_EXAMPLE = """
class Person(BaseModel):
    name: str
    age: int
    city: str

parsed = client.responses.parse(
    model="gpt-5.1-codex-mini",
    instructions="Extract the person info.",
    input="John Smith is 30 years old and lives in New York.",
    text_format=Person,
    reasoning=codex_open_client.Reasoning(effort="high", summary="auto"),
    text=codex_open_client.TextConfig(verbosity="low"),
)
print(parsed.reasoning_summary)
print(parsed.output_parsed.city)
"""


def test_parse_with_reasoning_and_verbosity(
    run: Runner, server: FakeCodexServer, capsys: Any
) -> None:
    document = {"name": "John Smith", "age": 30, "city": "New York"}
    server.queue(reply(reasoning(["**Extracting the fields**"]), message(json.dumps(document))))
    ns = run(PARSE_WITH_OPTIONS_EXAMPLE, "Structured Output: parse() with reasoning")

    assert printed(capsys) == ["**Extracting the fields**", "New York"]
    assert ns["parsed"].output_parsed.model_dump() == document
    body = server.requests[-1].json
    assert body["reasoning"] == {"effort": "high", "summary": "auto"}
    assert body["include"] == ["reasoning.encrypted_content"]
    assert body["text"]["verbosity"] == "low"
    assert body["text"]["format"]["name"] == "Person"
    assert set(body["text"]) == {"format", "verbosity"}


PARSE_WITH_TWO_FORMATS_EXAMPLE = """
class Person(BaseModel):
    name: str

for text in (
    codex_open_client.TextConfig(format=codex_open_client.ResponseFormatJsonObject()),
    {"format": {"type": "json_object"}},
):
    try:
        client.responses.parse(
            model="gpt-5.1-codex-mini",
            instructions="Extract the person info.",
            input="John Smith is 30 years old.",
            text_format=Person,
            text=text,
        )
    except TypeError as exc:
        print(exc)
"""


def test_parse_refuses_two_formats(run: Runner, server: FakeCodexServer, capsys: Any) -> None:
    """text_format and text.format both set the format: a TypeError, and nothing is sent."""
    run(PARSE_WITH_TWO_FORMATS_EXAMPLE, "Structured Output: text_format and text.format")
    assert printed(capsys) == ["pass either text_format or text.format, not both"] * 2
    assert not server.requests


# --------------------------------------------------------------------------------------------
# Structured Output guide: manual formats with create()

JSON_SCHEMA_EXAMPLE = """
response = client.responses.create(
    model="gpt-5.1-codex-mini",
    instructions="Extract the person info.",
    input="John Smith is 30 years old.",
    text=codex_open_client.TextConfig(
        format=codex_open_client.ResponseFormatJsonSchema(
            name="person",
            schema={
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "age": {"type": "integer"},
                },
                "required": ["name", "age"],
                "additionalProperties": False,
            },
            strict=True,
        ),
    ),
)
data = json.loads(response.output_text)
print(data["name"])  # "John Smith"
"""

JSON_OBJECT_EXAMPLE = """
response = client.responses.create(
    model="gpt-5.1-codex-mini",
    instructions="Reply with a JSON object.",
    input="List 3 colors. Respond in JSON.",
    text=codex_open_client.TextConfig(
        format=codex_open_client.ResponseFormatJsonObject(),
    ),
)
data = json.loads(response.output_text)
"""

# The guide's dict form of the format, with a real schema in place of its ``{...}``.
DICT_FORMAT_EXAMPLE = """
response = client.responses.create(
    model="gpt-5.1-codex-mini",
    instructions="Extract the person info.",
    input="John Smith is 30 years old.",
    text=codex_open_client.TextConfig(format={
        "type": "json_schema",
        "name": "person",
        "schema": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "age": {"type": "integer"},
            },
            "required": ["name", "age"],
            "additionalProperties": False,
        },
        "strict": True,
    }),
)
data = json.loads(response.output_text)
"""

PERSON_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}


def test_json_schema_format(run: Runner, server: FakeCodexServer, capsys: Any) -> None:
    server.queue(json_reply({"name": "John Smith", "age": 30}))
    ns = run(JSON_SCHEMA_EXAMPLE, "Structured Output: ResponseFormatJsonSchema")

    assert printed(capsys) == ["John Smith"]
    assert ns["data"] == {"name": "John Smith", "age": 30}
    assert server.requests[-1].json["text"] == {
        "format": {"type": "json_schema", "name": "person", "schema": PERSON_SCHEMA, "strict": True}
    }


def test_json_object_format(run: Runner, server: FakeCodexServer) -> None:
    server.queue(json_reply({"colors": ["red", "green", "blue"]}))
    ns = run(JSON_OBJECT_EXAMPLE, "Structured Output: ResponseFormatJsonObject")

    assert ns["data"] == {"colors": ["red", "green", "blue"]}
    body = server.requests[-1].json
    assert body["text"] == {"format": {"type": "json_object"}}
    assert body["instructions"] == "Reply with a JSON object."


def test_json_object_format_with_the_servers_default(run: Runner, server: FakeCodexServer) -> None:
    ns = run(JSON_OBJECT_EXAMPLE, "Structured Output: ResponseFormatJsonObject")
    assert ns["data"] == {"answer": DEFAULT_REPLY_TEXT}


def test_dict_format(run: Runner, server: FakeCodexServer) -> None:
    """The format as a plain dict; the fake backend answers with a document of the schema."""
    ns = run(DICT_FORMAT_EXAMPLE, "Structured Output: format as a dict")

    assert ns["data"] == example_document(PERSON_SCHEMA)
    assert set(ns["data"]) == {"name", "age"}
    assert server.requests[-1].json["text"] == {
        "format": {"type": "json_schema", "name": "person", "schema": PERSON_SCHEMA, "strict": True}
    }


# --------------------------------------------------------------------------------------------
# Responses guide: Parameters (a table: each optional parameter is passed, in both modes)

WEATHER_TOOL = codex_open_client.FunctionTool(
    name="get_weather",
    description="Get the weather for a city.",
    parameters={
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
)


@pytest.mark.parametrize(
    ("params", "wire"),
    [
        pytest.param({"tool_choice": "auto"}, {"tool_choice": "auto"}, id="tool_choice=auto"),
        pytest.param({"tool_choice": "none"}, {"tool_choice": "none"}, id="tool_choice=none"),
        pytest.param(
            {"tool_choice": "required", "tools": [WEATHER_TOOL]},
            {"tool_choice": "required"},
            id="tool_choice=required",
        ),
        pytest.param(
            {"parallel_tool_calls": True}, {"parallel_tool_calls": True}, id="parallel=True"
        ),
        pytest.param(
            {"parallel_tool_calls": False}, {"parallel_tool_calls": False}, id="parallel=False"
        ),
        pytest.param(
            {"reasoning": codex_open_client.Reasoning(effort="high", summary="auto")},
            {
                "reasoning": {"effort": "high", "summary": "auto"},
                "include": ["reasoning.encrypted_content"],
            },
            id="reasoning",
        ),
        pytest.param(
            {"text": codex_open_client.TextConfig(verbosity="low")},
            {"text": {"verbosity": "low"}},
            id="text",
        ),
        pytest.param({"service_tier": "auto"}, {"service_tier": "auto"}, id="service_tier=auto"),
        pytest.param({"service_tier": "flex"}, {"service_tier": "flex"}, id="service_tier=flex"),
        pytest.param(
            {"service_tier": "priority"}, {"service_tier": "priority"}, id="service_tier=priority"
        ),
    ],
)
def test_optional_parameter_reaches_the_wire(
    api: Api, server: FakeCodexServer, params: dict[str, Any], wire: dict[str, Any]
) -> None:
    response = api.create(**params)
    assert response.output_text == DEFAULT_REPLY_TEXT
    body = server.requests[-1].json
    assert {name: body.get(name) for name in wire} == wire


def test_parameter_tools(api: Api, server: FakeCodexServer) -> None:
    server.queue(tool_call_reply("get_weather", {"city": "Paris"}, call_id="call_1"))
    response = api.create(input="Weather in Paris?", tools=[WEATHER_TOOL])

    assert server.requests[-1].json["tools"] == [
        {
            "type": "function",
            "name": "get_weather",
            "description": "Get the weather for a city.",
            "parameters": WEATHER_TOOL.parameters,
            "strict": True,
        }
    ]
    [call] = response.tool_calls
    assert (call.name, call.call_id, json.loads(call.arguments)) == (
        "get_weather",
        "call_1",
        {"city": "Paris"},
    )


def test_parameter_stream(api: Api, server: FakeCodexServer) -> None:
    """stream=True returns a ResponseStream (AsyncResponseStream for AsyncClient)."""
    server.queue(text_reply("Streamed hello"))
    params: dict[str, Any] = dict(BASE)
    if api.mode == "sync":
        stream = api.sync.responses.create(stream=True, **params)
        assert isinstance(stream, codex_open_client.ResponseStream)
        with stream:
            events = list(stream)
            final = stream.get_final_response()
    else:

        async def go() -> tuple[list[Any], codex_open_client.Response]:
            stream = await api.aclient.responses.create(stream=True, **params)
            assert isinstance(stream, codex_open_client.AsyncResponseStream)
            async with stream:
                return [event async for event in stream], await stream.get_final_response()

        events, final = api.run(go())
    assert final.output_text == "Streamed hello"
    assert isinstance(events[-1], codex_open_client.ResponseCompletedEvent)
    assert server.requests[-1].json["stream"] is True


def test_parameter_timeout(api: Api, server: FakeCodexServer) -> None:
    """timeout is per request: it never reaches the wire, and it is enforced."""
    response = api.create(timeout=30.0)
    assert response.output_text == DEFAULT_REPLY_TEXT
    assert "timeout" not in server.requests[-1].json

    server.queue(text_reply().delayed(1.0))
    with pytest.raises(codex_open_client.APITimeoutError):
        api.create(timeout=0.1)  # the client of the fixture does not retry
    server.wait_for_disconnects(1)  # the delayed reply notices, before the next test


# --------------------------------------------------------------------------------------------
# Responses guide: Response Object (a table of properties)


def test_response_object_properties(api: Api, server: FakeCodexServer) -> None:
    thought = reasoning(["**Checking the weather**", "A tool call is needed."])
    server.queue(
        reply(
            thought,
            message("Let me check."),
            function_call("get_weather", {"city": "Paris"}, call_id="call_7"),
            usage={"input_tokens": 50, "output_tokens": 20},
        )
    )
    response = api.create(tools=[WEATHER_TOOL])

    assert response.output_text == "Let me check."
    assert response.reasoning_summary == "**Checking the weather**\nA tool call is needed."
    [call] = response.tool_calls
    assert isinstance(call, codex_open_client.ResponseFunctionToolCall)
    assert (call.name, call.call_id, call.arguments) == (
        "get_weather",
        "call_7",
        '{"city":"Paris"}',
    )
    assert [type(item) for item in response.output] == [
        codex_open_client.ResponseReasoningItem,
        codex_open_client.ResponseOutputMessage,
        codex_open_client.ResponseFunctionToolCall,
    ]
    first = response.output[0]
    assert isinstance(first, codex_open_client.ResponseReasoningItem)
    assert first.id == thought.item["id"]
    assert isinstance(response.usage, codex_open_client.Usage)
    assert (response.usage.input_tokens, response.usage.output_tokens) == (50, 20)
    assert response.usage.total_tokens == 70
    assert response.status == "completed"


def test_response_object_without_reasoning_or_tools(api: Api, server: FakeCodexServer) -> None:
    response = api.create()
    assert response.output_text == DEFAULT_REPLY_TEXT
    assert response.reasoning_summary is None
    assert response.tool_calls == []
    assert response.status == "completed"
