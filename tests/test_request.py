"""The sans-IO request builder: wire body, headers and argument checks."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

import codex_open_client as c
from codex_open_client._request import (
    USER_AGENT,
    ClientConfig,
    ResponseCreateParams,
    build_input,
    build_responses_request,
    check_create_params,
    make_config,
    spelled_out,
)

CONFIG = ClientConfig(session_id="sess-1")
BASE_PARAMS = {"model": "gpt-5.1-codex-mini", "instructions": "", "input": "Hi"}


def build(**kwargs: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "model": "gpt-5.1-codex-mini",
        "instructions": "Be brief.",
        "input": "Hi",
    }
    params.update(kwargs)
    request = build_responses_request(CONFIG, **params)
    assert request.json is not None
    return request.json


def test_body_has_fixed_values_and_string_input() -> None:
    """store false, stream true, a string input becomes one user message with input_text."""
    body = build()
    assert body["store"] is False
    assert body["stream"] is True
    assert body["model"] == "gpt-5.1-codex-mini"
    assert body["instructions"] == "Be brief."
    assert body["input"] == [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi"}]}
    ]
    assert body["prompt_cache_key"] == "sess-1"
    assert body["include"] == ["reasoning.encrypted_content"]  # always, as the CLI sends it
    assert "tools" not in body


def test_empty_instructions_are_left_out() -> None:
    """Like the current CLI, no instructions field when there are none."""
    assert "instructions" not in build(instructions="")


def test_headers_match_the_cli() -> None:
    """Originator, user agent, SSE accept and both session ids (credentials come per attempt)."""
    request = build_responses_request(CONFIG, model="m", instructions="", input="x")
    headers = request.headers
    assert "Authorization" not in headers
    assert headers["originator"] == "codex_cli_rs"
    assert headers["Accept"] == "text/event-stream"
    assert headers["Content-Type"] == "application/json"
    assert headers["session_id"] == headers["session-id"] == "sess-1"
    # As the CLI 0.169 names the conversation (cli-0.169 captures): thread and request id too.
    assert headers["thread-id"] == headers["x-client-request-id"] == "sess-1"
    assert headers["x-codex-window-id"] == "sess-1:0"
    assert headers["x-codex-beta-features"] == "remote_compaction_v2"  # on every request
    assert headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith(f"codex-open-client/{c.__version__} (")
    assert request.url == "https://chatgpt.com/backend-api/codex/responses"


def test_default_headers_override_and_no_account() -> None:
    """default_headers come last; no ChatGPT-Account-ID header without an account id."""
    config = make_config(
        access_token="t",
        account_id=None,
        base_url="http://localhost:1/x/",
        chatgpt_base_url=None,
        timeout=None,
        max_retries=None,
        default_headers={"originator": "my_app", "X-Extra": "1"},
        originator=None,
        session_id=None,
    )
    request = build_responses_request(config, model="m", instructions="", input="x")
    assert request.headers["originator"] == "my_app"
    assert request.headers["X-Extra"] == "1"
    assert "ChatGPT-Account-ID" not in request.headers
    assert request.url == "http://localhost:1/x/responses"
    assert request.timeout == 300.0
    assert request.max_retries == 2


def test_messages_from_strings_are_typed_by_role_and_system_becomes_developer() -> None:
    """The guide's dict input: assistant text is output_text, system is sent as developer."""
    body = build(
        input=[
            {"role": "system", "content": "Rules"},
            {"role": "user", "content": "Hello"},
            {"role": "assistant", "content": "Hi there!"},
            c.InputMessage(role="user", content="How are you?"),
        ]
    )
    assert body["input"] == [
        {
            "type": "message",
            "role": "developer",
            "content": [{"type": "input_text", "text": "Rules"}],
        },
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hello"}]},
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Hi there!"}],
        },
        {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "How are you?"}],
        },
    ]


def test_typed_parts_and_images() -> None:
    """InputText and InputImage parts go out with their wire types and detail."""
    body = build(
        input=[
            c.InputMessage(
                role="user",
                content=[
                    c.InputText(text="What's this?"),
                    c.InputImage(image_url="https://example.com/a.jpg", detail="high"),
                ],
            )
        ]
    )
    assert body["input"][0]["content"] == [
        {"type": "input_text", "text": "What's this?"},
        {"type": "input_image", "image_url": "https://example.com/a.jpg", "detail": "high"},
    ]


def test_output_items_replay_with_ids_and_reasoning_rules() -> None:
    """Earlier output items go back with their id; reasoning only with encrypted content."""
    message = c.ResponseOutputMessage(id="msg_1", content=[c.OutputText(text="Hi Alice")])
    call = c.ResponseFunctionToolCall(id="fc_1", call_id="call_1", name="f", arguments="{}")
    kept = c.ResponseReasoningItem(
        id="rs_1", summary=[c.ReasoningSummary(text="plan")], encrypted_content="gAAAA"
    )
    dropped = c.ResponseReasoningItem(id="rs_2", summary=[])
    unknown = c.UnknownItem(
        type="local_shell_call",  # type: ignore[arg-type]
        raw={"type": "local_shell_call", "id": "x", "z": [1]},
    )
    items = build_input(
        [message, kept, dropped, call, c.FunctionCallOutput(call_id="call_1", output="42"), unknown]
    )
    assert items == [
        {
            "type": "message",
            "id": "msg_1",
            "content": [{"type": "output_text", "text": "Hi Alice", "annotations": []}],
            "role": "assistant",
        },
        {
            "type": "reasoning",
            "id": "rs_1",
            "summary": [{"type": "summary_text", "text": "plan"}],
            "encrypted_content": "gAAAA",
        },
        {
            "type": "function_call",
            "call_id": "call_1",
            "name": "f",
            "arguments": "{}",
            "id": "fc_1",
        },
        {"type": "function_call_output", "call_id": "call_1", "output": "42"},
        {"type": "local_shell_call", "id": "x", "z": [1]},
    ]
    assert build_input([{"type": "reasoning", "id": "rs_3", "summary": []}]) == []


def test_reasoning_asks_for_encrypted_content_unless_include_given() -> None:
    """include=['reasoning.encrypted_content'] is the default; an explicit include wins."""
    body = build(reasoning=c.Reasoning(effort="high", summary="auto"))
    assert body["reasoning"] == {"effort": "high", "summary": "auto"}
    assert body["include"] == ["reasoning.encrypted_content"]
    assert build(reasoning={"effort": "low"}, include=[])["include"] == []


def test_tools_and_choices() -> None:
    """FunctionTool is strict by default; tool_choice, parallel calls, tier, text go through."""
    tool = c.FunctionTool(
        name="get_weather",
        description="Weather",
        parameters={
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
    )
    body = build(
        tools=[tool, {"type": "web_search"}],
        tool_choice="required",
        parallel_tool_calls=False,
        service_tier="flex",
        text=c.TextConfig(format=c.ResponseFormatJsonObject(), verbosity="low"),
        prompt_cache_key="k",
    )
    assert body["tools"][0] == {
        "type": "function",
        "name": "get_weather",
        "description": "Weather",
        "parameters": tool.parameters,
        "strict": True,
    }
    assert body["tools"][1] == {"type": "web_search"}
    assert body["tool_choice"] == "required"
    assert body["parallel_tool_calls"] is False
    assert body["service_tier"] == "flex"
    assert body["text"] == {"format": {"type": "json_object"}, "verbosity": "low"}
    assert body["prompt_cache_key"] == "k"
    assert build(tool_choice=tool)["tool_choice"] == {"type": "function", "name": "get_weather"}


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        pytest.param({"model": ""}, ValueError, "model", id="empty-model"),
        pytest.param({"model": None}, ValueError, "model", id="none-model"),
        pytest.param({"instructions": None}, TypeError, "instructions", id="none-instructions"),
        pytest.param({"input": 42}, TypeError, "input must be", id="int-input"),
        pytest.param({"input": {"role": "user"}}, TypeError, "input must be", id="dict-input"),
        pytest.param({"input": [3]}, TypeError, "input[0]", id="int-item"),
        pytest.param(
            {"input": [{"content": "x"}]}, ValueError, "input[0] needs a 'type'", id="no-type"
        ),
        pytest.param(
            {"input": [{"role": "bot", "content": "x"}]}, ValueError, "role", id="bad-role"
        ),
        pytest.param({"tool_choice": "sometimes"}, ValueError, "tool_choice", id="tool-choice"),
        pytest.param(
            {"reasoning": c.Reasoning(effort="extreme")},  # type: ignore[arg-type]
            ValueError,
            "effort",
            id="effort",
        ),
        pytest.param({"reasoning": {"summary": "long"}}, ValueError, "summary", id="summary"),
        pytest.param({"service_tier": "turbo"}, ValueError, "service_tier", id="tier"),
        pytest.param({"timeout": 0}, ValueError, "timeout", id="timeout"),
        pytest.param({"max_retries": -1}, ValueError, "max_retries", id="retries"),
        pytest.param(
            {"tools": [c.FunctionTool(name="f", parameters={"type": "object", "properties": {}})]},
            ValueError,
            "additionalProperties",
            id="strict-schema",
        ),
        pytest.param(
            {"text": c.TextConfig(verbosity="loud")},  # type: ignore[arg-type]
            ValueError,
            "verbosity",
            id="verbosity",
        ),
        pytest.param(
            {
                "input": [
                    c.InputMessage(
                        role="user",
                        content=[c.InputImage(image_url="u", detail="huge")],  # type: ignore[arg-type]
                    )
                ]
            },
            ValueError,
            "detail",
            id="detail",
        ),
    ],
)
def test_bad_arguments_name_the_argument(
    kwargs: dict[str, Any], error: type[Exception], words: str
) -> None:
    """Each bad argument raises before any request, with its name in the message."""
    with pytest.raises(error) as info:
        build(**kwargs)
    assert words in str(info.value)


def test_nested_strict_schema_is_checked_and_non_strict_is_free() -> None:
    """Nested objects of a strict tool need additionalProperties false; strict=False skips it."""
    nested = {
        "type": "object",
        "properties": {"where": {"type": "object", "properties": {"city": {"type": "string"}}}},
        "additionalProperties": False,
    }
    with pytest.raises(ValueError, match=r"parameters\.properties\.where"):
        build(tools=[c.FunctionTool(name="f", parameters=nested)])
    body = build(tools=[c.FunctionTool(name="f", parameters=nested, strict=False)])
    assert body["tools"][0]["strict"] is False


def test_config_checks_and_repr_hides_token() -> None:
    """Constructor arguments are checked; the token never shows in a repr."""
    with pytest.raises(ValueError, match="base_url"):
        c.AsyncClient(access_token="t", base_url="ftp://x")
    with pytest.raises(ValueError, match="timeout"):
        c.AsyncClient(access_token="t", timeout=-1)
    with pytest.raises(TypeError, match="access_token"):
        c.AsyncClient(access_token=123)  # type: ignore[arg-type]
    assert "tok-secret" not in repr(c.AsyncClient(access_token="tok-secret"))


_SKIPPED = c.ResponseReasoningItem(id="rs_1")  # no encrypted content: left out of the body


@pytest.mark.parametrize(
    ("kwargs", "where", "position"),
    [
        pytest.param({"input": "\ud800"}, "input", 0, id="input-string"),
        pytest.param({"input": "ok \udcff then"}, "input", 3, id="input-string-later"),
        pytest.param({"instructions": "Be \ud83d brief."}, "instructions", 3, id="instructions"),
        pytest.param({"model": "gpt\udfff"}, "model", 3, id="model"),
        pytest.param(
            {"input": [c.InputMessage(role="user", content=[c.InputText(text="a\ud800")])]},
            "input[0].content[0].text",
            1,
            id="typed-part",
        ),
        pytest.param(
            {"input": [_SKIPPED, {"role": "user", "content": ["fine", "x\ud800"]}]},
            "input[1].content[1].text",  # the caller's index, not the body's
            1,
            id="dict-part-after-a-left-out-item",
        ),
        pytest.param(
            {"input": [c.FunctionCallOutput(call_id="c1", output="\udc80")]},
            "input[0].output",
            0,
            id="tool-output",
        ),
        pytest.param(
            {"tools": [c.FunctionTool(name="f", description="Look \ud800 up", strict=False)]},
            "tools[0].description",
            5,
            id="tool-description",
        ),
        pytest.param(
            {"tools": [{"type": "function", "name": "f", "parameters": {"\ud800": {}}}]},
            "tools[0].parameters (a key)",
            0,
            id="schema-key",
        ),
        pytest.param({"prompt_cache_key": "k\ud800"}, "prompt_cache_key", 1, id="cache-key"),
    ],
)
def test_a_lone_surrogate_is_a_value_error_naming_the_argument(
    kwargs: dict[str, Any], where: str, position: int
) -> None:
    """Text UTF-8 cannot carry is refused by the builder (before anything is sent), with the
    argument, the character and its position, and the fix."""
    for _ in range(2):  # a typed item that failed keeps nothing that would let it through
        with pytest.raises(ValueError) as info:
            build(**kwargs)
        message = str(info.value)
        assert not isinstance(info.value, UnicodeError)
        assert message.startswith(f"{where} contains a lone surrogate ('\\")
        assert f"at position {position};" in message
        assert "cannot be sent as UTF-8" in message
        assert "errors='replace'" in message


def test_a_value_json_cannot_carry_names_its_argument() -> None:
    with pytest.raises(TypeError, match=r"^input cannot be sent as JSON: .*object"):
        build(input=[{"type": "function_call_output", "call_id": "c", "output": "", "x": object()}])
    with pytest.raises(TypeError, match=r"^tools cannot be sent as JSON"):
        build(tools=[{"type": "web_search", "filters": {1j: 2}}])


def test_compaction_request_helpers() -> None:
    """The trigger item, the compaction headers (turn metadata as JSON) and the body test a
    chaining transport uses to tell a compaction request."""
    import json

    from codex_open_client._request import (
        COMPACTION_TRIGGER,
        compaction_headers,
        is_compaction_request,
    )

    headers = compaction_headers("sess-1")
    assert json.loads(headers["x-codex-turn-metadata"]) == {
        "session_id": "sess-1",
        "thread_id": "sess-1",
        "request_kind": "compaction",
    }
    request = build_responses_request(
        CONFIG,
        model="m",
        instructions="",
        input=[{"role": "user", "content": "x"}, COMPACTION_TRIGGER],
    )
    assert request.json is not None
    assert request.json["input"][-1] == {"type": "compaction_trigger"}
    assert is_compaction_request(request.json)
    assert not is_compaction_request({"input": [{"type": "message"}]})
    assert not is_compaction_request({"input": []}) and not is_compaction_request(None)


def test_a_parsed_compaction_item_is_sent_as_it_came() -> None:
    """Its wire dict, unknown fields included; one built in Python sends its fields."""
    raw = {"type": "compaction", "id": "cmp_1", "encrypted_content": "e", "new_field": 1}
    parsed = c.ResponseCompactionItem.from_dict(raw)
    built = c.ResponseCompactionItem(encrypted_content="e")
    request = build_responses_request(CONFIG, model="m", instructions="", input=[parsed, built])
    assert request.json is not None
    assert request.json["input"] == [raw, {"type": "compaction", "encrypted_content": "e"}]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        (
            {"instructions": "", "input": "Hi"},
            "missing required keyword argument 'model': the model",
        ),
        ({"model": "m", "input": "Hi"}, "'instructions': the system prompt"),
        ({"model": "m", "instructions": ""}, "'input': the user message"),
        ({**BASE_PARAMS, "stream": True}, "unexpected keyword argument 'stream'; valid"),
        ({**BASE_PARAMS, "temperature": 0}, "the Codex backend rejects it"),
        ({**BASE_PARAMS, "colour": "red"}, "'colour'; valid arguments are: model, instructions"),
    ],
)
def test_create_params_are_checked_by_name(params: dict[str, Any], words: str) -> None:
    """The keyword checks of create()/stream()/parse() name the argument and the fix."""
    with pytest.raises(TypeError, match=words):
        check_create_params("stream", params)
    check_create_params("create", {**BASE_PARAMS, "transport": "sse", "tools": None})


def test_spelled_out_signature_lists_the_typed_dict() -> None:
    """**params becomes the TypedDict's keys: the required ones, the method's own, the rest."""

    def method(self: object, *, text_format: type, **params: Any) -> str:
        return ""

    signature = spelled_out(inspect.signature(method), ResponseCreateParams)
    names = list(signature.parameters)
    assert names[:5] == ["self", "model", "instructions", "input", "text_format"]
    assert names[5] == "tools"  # in the order of CREATE_PARAMS, not of the TypedDict's bases
    assert set(names[4:]) == {"text_format", *ResponseCreateParams.__optional_keys__}
    assert signature.return_annotation == "str"
    with pytest.raises(TypeError, match=r"a signature with \*\*params is needed"):
        spelled_out(inspect.signature(build_input), ResponseCreateParams)
