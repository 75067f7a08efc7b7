"""Structured output: format_for, text_config_for, parse_response and ParsedResponse."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any, Literal, Optional

import pydantic
import pytest
from typing_extensions import TypedDict

from codex_open_client._exceptions import (
    IncompleteResponseError,
    RefusalError,
    StructuredOutputError,
)
from codex_open_client._models import (
    IncompleteDetails,
    OutputText,
    ReasoningSummary,
    Response,
    ResponseError,
    ResponseFormatJsonSchema,
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputRefusal,
    ResponseReasoningItem,
    TextConfig,
    Usage,
)
from codex_open_client._structured import (
    PYDANTIC_MISSING,
    ParsedResponse,
    format_for,
    parse_response,
    require_pydantic,
    text_config_for,
)

from .conftest import run_without_pydantic


class Weather(pydantic.BaseModel):
    """Today's weather in one city."""

    city: str
    celsius: float
    sky: Literal["clear", "cloudy", "rain"]
    wind: Optional[int] = None  # noqa: UP045


class Bare(pydantic.BaseModel):
    value: int


@dataclasses.dataclass
class Item:
    """One line of a receipt."""

    name: str
    price: float


class Receipt(TypedDict):
    shop: str
    items: list[Item]


def assert_strict(schema: dict[str, Any]) -> None:
    """Every object closed and fully required."""
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("type") == "object" or "properties" in node:
                assert node["additionalProperties"] is False
                assert node["required"] == list(node["properties"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def response_with(*content: OutputText | ResponseOutputRefusal, **fields: Any) -> Response:
    fields.setdefault("status", "completed")
    return Response(
        id="resp_1",
        model="gpt-5.1-codex-mini",
        output=[ResponseOutputMessage(id="msg_1", content=list(content))],
        **fields,
    )


# --------------------------------------------------------------------------- format_for


def test_format_for_a_pydantic_model() -> None:
    fmt = format_for(Weather)
    assert isinstance(fmt, ResponseFormatJsonSchema)
    assert fmt.name == "Weather"
    assert fmt.strict is True
    assert fmt.type == "json_schema"
    assert fmt.description == "Today's weather in one city."
    assert fmt.schema["type"] == "object"
    assert fmt.schema["required"] == ["city", "celsius", "sky", "wind"]
    assert "default" not in fmt.schema["properties"]["wind"]
    assert_strict(fmt.schema)
    assert format_for(Bare).description is None


def test_format_for_a_dataclass_and_a_typeddict() -> None:
    item = format_for(Item)
    assert item.name == "Item"
    assert item.description == "One line of a receipt."
    assert item.schema["required"] == ["name", "price"]
    assert_strict(item.schema)
    receipt = format_for(Receipt)
    assert receipt.name == "Receipt"
    assert receipt.description is None
    assert receipt.schema["properties"]["items"]["items"] == {"$ref": "#/$defs/Item"}
    assert_strict(receipt.schema)


def test_format_for_a_list_wraps_it_in_an_object() -> None:
    fmt = format_for(list[Item])
    assert fmt.name == "list_Item"
    assert fmt.description is None  # not list's docstring
    assert fmt.schema["type"] == "object"
    assert fmt.schema["required"] == ["result"]
    result = fmt.schema["properties"]["result"]
    assert result["type"] == "array"
    assert result["items"] == {"$ref": "#/$defs/Item"}
    assert "Item" in fmt.schema["$defs"]
    assert_strict(fmt.schema)


def test_format_name_is_sanitized() -> None:
    odd = pydantic.create_model("Odd name! with/slashes", value=(int, ...))
    assert format_for(odd).name == "Odd_name_with_slashes"
    long = pydantic.create_model("N" * 100, value=(int, ...))
    assert format_for(long).name == "N" * 64


def test_format_for_returns_a_fresh_schema_each_time() -> None:
    first = format_for(Weather)
    first.schema["properties"].clear()
    assert format_for(Weather).schema["properties"]


def test_format_for_refuses_what_strict_mode_cannot_express() -> None:
    class Bag(pydantic.BaseModel):
        counts: dict[str, int]

    with pytest.raises(TypeError, match="free-form keys"):
        format_for(Bag)


# --------------------------------------------------------------------------- text_config_for


def test_text_config_for() -> None:
    config = text_config_for(Weather, None)
    assert config.format == format_for(Weather)
    assert config.verbosity is None
    assert text_config_for(Weather, TextConfig(verbosity="low")).verbosity == "low"
    assert text_config_for(Weather, {"verbosity": "high"}).verbosity == "high"
    assert text_config_for(Weather, {"verbosity": "high", "format": None}).verbosity == "high"


@pytest.mark.parametrize(
    "text",
    [
        TextConfig(format=format_for(Bare)),
        {"format": {"type": "json_object"}},
    ],
)
def test_text_config_for_refuses_two_formats(text: Any) -> None:
    with pytest.raises(
        TypeError, match=re.escape("pass either text_format or text.format, not both")
    ):
        text_config_for(Weather, text)


def test_text_config_for_bad_text() -> None:
    with pytest.raises(TypeError, match="unknown keys: colour"):
        text_config_for(Weather, {"colour": "red"})
    with pytest.raises(TypeError, match="TextConfig or a dict"):
        text_config_for(Weather, "json")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- parse_response


def test_parse_response_into_a_model() -> None:
    text = '{"city": "Oslo", "celsius": -3, "sky": "clear", "wind": null}'
    response = response_with(OutputText(text=text[:20]), OutputText(text=text[20:]))
    parsed = parse_response(response, Weather)
    assert isinstance(parsed, ParsedResponse)
    assert parsed.output_parsed == Weather(city="Oslo", celsius=-3.0, sky="clear")
    assert parsed.response is response


def test_parse_response_into_a_dataclass_typeddict_and_list() -> None:
    item = parse_response(response_with(OutputText(text='{"name": "tea", "price": 2}')), Item)
    assert item.output_parsed == Item(name="tea", price=2.0)
    text = '{"shop": "A", "items": [{"name": "tea", "price": 2.5}]}'
    receipt = parse_response(response_with(OutputText(text=text)), Receipt)
    assert receipt.output_parsed == {"shop": "A", "items": [Item(name="tea", price=2.5)]}
    text = '{"result": [{"name": "tea", "price": 2.5}, {"name": "jam", "price": 4}]}'
    items = parse_response(response_with(OutputText(text=text)), list[Item])
    assert items.output_parsed == [Item("tea", 2.5), Item("jam", 4.0)]


def test_refusal_raises_refusal_error() -> None:
    response = response_with(ResponseOutputRefusal(refusal="I can't help with that."))
    with pytest.raises(RefusalError) as info:
        parse_response(response, Weather)
    assert info.value.refusal == "I can't help with that."
    assert "I can't help with that." in str(info.value)
    assert "Weather" in str(info.value)
    assert info.value.response is response
    assert isinstance(info.value, StructuredOutputError)


def test_incomplete_raises_incomplete_response_error() -> None:
    response = response_with(
        OutputText(text='{"city": "Os'),
        status="incomplete",
        incomplete_details=IncompleteDetails(reason="max_output_tokens"),
    )
    with pytest.raises(IncompleteResponseError) as info:
        parse_response(response, Weather)
    assert info.value.reason == "max_output_tokens"
    assert "max_output_tokens" in str(info.value)
    assert info.value.response is response


def test_empty_text_raises() -> None:
    response = response_with(OutputText(text="  "))
    with pytest.raises(StructuredOutputError, match="no text to parse as Weather") as info:
        parse_response(response, Weather)
    assert type(info.value) is StructuredOutputError
    assert info.value.response is response


def test_invalid_json_raises_a_short_error_with_the_cause() -> None:
    text = '{"city": "Oslo", "celsius": ' + "9" * 500
    response = response_with(OutputText(text=text))
    with pytest.raises(StructuredOutputError) as info:
        parse_response(response, Weather)
    message = str(info.value)
    assert type(info.value) is StructuredOutputError
    assert message.startswith("The response is not a valid Weather: Invalid JSON")
    assert "\n" not in message
    assert len(message) < 450
    assert repr(text[:200] + "…") in message
    assert isinstance(info.value.__cause__, pydantic.ValidationError)
    assert info.value.response is response


def test_validation_failure_names_the_first_problems() -> None:
    text = json.dumps({"city": 1, "celsius": "hot", "sky": "green", "wind": "strong"})
    with pytest.raises(StructuredOutputError) as info:
        parse_response(response_with(OutputText(text=text)), Weather)
    message = str(info.value)
    assert message.startswith("The response is not a valid Weather: city: Input should be")
    assert "celsius: " in message and "sky: " in message
    assert "wind" not in message.split("Text:")[0]  # only the first three problems
    assert "and 1 more" in message
    assert message.endswith(f"Text: {text!r}")
    assert "\n" not in message
    assert isinstance(info.value.__cause__, pydantic.ValidationError)


def test_validation_failure_of_a_wrapped_list_hides_the_wrapper() -> None:
    text = '{"result": [{"name": "tea"}]}'
    with pytest.raises(
        StructuredOutputError, match=r"not a valid list\[Item\]: 0\.price: Field required"
    ):
        parse_response(response_with(OutputText(text=text)), list[Item])


# --------------------------------------------------------------------------- ParsedResponse


def test_parsed_response_delegates_to_the_response() -> None:
    usage = Usage(input_tokens=3, output_tokens=4, total_tokens=7)
    call = ResponseFunctionToolCall(call_id="c1", name="f", arguments="{}")
    response = Response(
        id="resp_9",
        model="gpt-5.1",
        status="completed",
        usage=usage,
        error=ResponseError(message="none"),
        incomplete_details=IncompleteDetails(reason=None),
        created_at=1700000000.0,
        output=[
            ResponseReasoningItem(summary=[ReasoningSummary(text="thought")]),
            ResponseOutputMessage(content=[OutputText(text='{"value": 5}')]),
            call,
        ],
    )
    parsed = parse_response(response, Bare)
    assert parsed.output_parsed == Bare(value=5)
    assert parsed.id == "resp_9"
    assert parsed.model == "gpt-5.1"
    assert parsed.output == response.output
    assert parsed.status == "completed"
    assert parsed.usage is usage
    assert parsed.error == ResponseError(message="none")
    assert parsed.incomplete_details == IncompleteDetails(reason=None)
    assert parsed.created_at == 1700000000.0
    assert parsed.output_text == '{"value": 5}'
    assert parsed.reasoning_summary == "thought"
    assert parsed.tool_calls == [call]
    with pytest.raises(AttributeError):
        parsed.output_parsed = Bare(value=6)  # type: ignore[misc]


# --------------------------------------------------------------------------- without pydantic


def test_require_pydantic_returns_the_module() -> None:
    assert require_pydantic() is pydantic
    assert "pip install 'codex-open-client[pydantic]'" in PYDANTIC_MISSING


def test_without_pydantic_the_error_names_the_extra() -> None:
    result = run_without_pydantic(
        """
        import dataclasses
        from codex_open_client._structured import format_for, require_pydantic

        @dataclasses.dataclass
        class Item:
            name: str

        for call in (require_pydantic, lambda: format_for(Item)):
            try:
                call()
            except ImportError as exc:
                print(type(exc).__name__, type(exc.__cause__).__name__, '|', exc)
        """
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    for line in lines:
        kinds, message = line.split(" | ")
        assert kinds == "ImportError ModuleNotFoundError"
        assert message == PYDANTIC_MISSING
        assert "needs pydantic: pip install 'codex-open-client[pydantic]'" in message
