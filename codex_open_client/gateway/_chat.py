"""``POST /v1/chat/completions``: OpenAI's Chat Completions on top of the Responses stream.

Requests become ``responses.create`` arguments: system and developer messages become the
``instructions`` (never a user turn), user content parts become ``input_text`` /
``input_image`` (``image_url``, data URLs included), assistant ``tool_calls`` become
``function_call`` items and ``tool`` messages ``function_call_output`` items.

Streamed answers keep OpenAI's invariants: the role comes first; each tool call has one
``index`` (its position among the calls), its ``id``, ``type`` and ``function.name`` once, in
its first delta, then ``arguments`` fragments that join to exactly the final arguments;
exactly one chunk has a ``finish_reason`` (``tool_calls`` whenever a call was made); with
``stream_options.include_usage`` every chunk has ``"usage": null`` and a last chunk with no
choices carries the usage; ``data: [DONE]`` ends the stream.

Reasoning summaries are off unless asked, with ``"reasoning_summary": "auto" | "concise" |
"detailed"`` (or ``"include_reasoning": true``, meaning ``"auto"``) in the body, e.g.
``extra_body={"reasoning_summary": "auto"}`` in openai-python; they then arrive as
``delta.reasoning_content`` (streamed) or ``message.reasoning_content``.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any

import attrs

from .._events import (
    ResponseCompletedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseIncompleteEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputTextDeltaEvent,
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseRefusalDeltaEvent,
    ResponseStreamEvent,
)
from .._models import (
    Response as CodexResponse,
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputRefusal,
    Usage,
)
from ._errors import invalid
from ._params import (
    CHAT_HANDLED,
    check_bool,
    check_dict,
    check_list,
    check_str,
    split_params,
)

__all__ = ["ChatChunker", "ChatRequest", "chat_completion", "parse_chat_request"]

REASONING_SUMMARIES = ("auto", "concise", "detailed")
_IMAGE_DETAILS = ("auto", "low", "high", "original")


@attrs.define
class ChatRequest:
    """A checked chat request: the ``responses.create`` arguments and the answer's options."""

    model: str
    params: dict[str, Any]
    stream: bool
    include_usage: bool
    reasoning: bool
    dropped: list[str]


def parse_chat_request(body: Mapping[str, Any], default_instructions: str) -> ChatRequest:
    """Check a chat request body and translate it; a 400 naming the field when it is wrong."""
    dropped = split_params(body, CHAT_HANDLED)
    model = check_str(body.get("model"), "model", required=True)
    assert model is not None
    if not model.strip():
        raise invalid("'model' must not be empty.", "model", "invalid_value")
    raw_messages = body.get("messages")
    if raw_messages is None:
        raise invalid(
            "Missing required parameter: 'messages'.", "messages", "missing_required_parameter"
        )
    messages = check_list(raw_messages, "messages")
    if not messages:
        raise invalid("'messages' must contain at least one message.", "messages", "empty_array")
    instructions, items = messages_to_input(messages)
    params: dict[str, Any] = {
        "model": model,
        "instructions": instructions or default_instructions,
        "input": items,
    }
    _refuse(body)
    n = body.get("n")
    if n is not None and n != 1:
        raise invalid(
            "Only n=1 is supported: the Codex backend returns one choice.", "n", "unsupported_value"
        )
    stream = bool(check_bool(body.get("stream"), "stream"))
    include_usage = False
    options = body.get("stream_options")
    if options is not None:
        options = check_dict(options, "stream_options")
        include_usage = bool(
            check_bool(options.get("include_usage"), "stream_options.include_usage")
        )
    if "tools" in body and body["tools"] is not None:
        tools = convert_tools(body["tools"])
        if tools:
            params["tools"] = tools
    if body.get("tool_choice") is not None:
        params["tool_choice"] = convert_tool_choice(body["tool_choice"])
    parallel = check_bool(body.get("parallel_tool_calls"), "parallel_tool_calls")
    if parallel is not None:
        params["parallel_tool_calls"] = parallel
    text: dict[str, Any] = {}
    if body.get("response_format") is not None:
        fmt = convert_response_format(body["response_format"])
        if fmt is not None:
            text["format"] = fmt
    verbosity = check_str(body.get("verbosity"), "verbosity")
    if verbosity is not None:
        text["verbosity"] = verbosity
    if text:
        params["text"] = text
    reasoning: dict[str, Any] = {}
    effort = check_str(body.get("reasoning_effort"), "reasoning_effort")
    if effort is not None:
        reasoning["effort"] = effort
    summary = check_str(body.get("reasoning_summary"), "reasoning_summary")
    if summary is None and check_bool(body.get("include_reasoning"), "include_reasoning"):
        summary = "auto"
    if summary is not None and summary != "none":
        if summary not in REASONING_SUMMARIES:
            raise invalid(
                f"'reasoning_summary' must be one of {', '.join(REASONING_SUMMARIES)} or none, "
                f"got {summary!r}.",
                "reasoning_summary",
                "invalid_value",
            )
        reasoning["summary"] = summary
    if reasoning:
        params["reasoning"] = reasoning
    tier = check_str(body.get("service_tier"), "service_tier")
    if tier is not None:
        params["service_tier"] = tier
    cache_key = check_str(body.get("prompt_cache_key"), "prompt_cache_key")
    if cache_key is not None:
        params["prompt_cache_key"] = cache_key
    return ChatRequest(
        model=model,
        params=params,
        stream=stream,
        include_usage=include_usage,
        reasoning="summary" in reasoning,
        dropped=dropped,
    )


def _refuse(body: Mapping[str, Any]) -> None:
    """Parameters whose absence would give the client something else than it asked for."""
    if body.get("logprobs"):
        raise invalid(
            "logprobs are not available through the Codex backend.",
            "logprobs",
            "unsupported_parameter",
        )
    if body.get("functions") is not None or body.get("function_call") is not None:
        name = "functions" if body.get("functions") is not None else "function_call"
        raise invalid(
            f"'{name}' is deprecated and not supported here; use 'tools' and 'tool_choice'.",
            name,
            "unsupported_parameter",
        )
    if body.get("audio") is not None:
        raise invalid(
            "Audio output is not supported by the Codex backend.", "audio", "unsupported_parameter"
        )
    modalities = body.get("modalities")
    if modalities is not None and modalities != ["text"]:
        raise invalid("Only the 'text' modality is supported.", "modalities", "unsupported_value")
    if body.get("web_search_options") is not None:
        raise invalid(
            "'web_search_options' is not supported on chat completions; use /v1/responses "
            "with a web_search tool.",
            "web_search_options",
            "unsupported_parameter",
        )


def _text_of(content: Any, path: str, *, allow_refusal: bool = False) -> str:
    """The text of a string content or a list of text parts."""
    if isinstance(content, str):
        return content
    parts = check_list(content, path)
    texts = []
    for index, part in enumerate(parts):
        part = check_dict(part, f"{path}[{index}]")
        kind = part.get("type")
        if kind == "text":
            text = check_str(part.get("text"), f"{path}[{index}].text", required=True)
            texts.append(text or "")
        elif kind == "refusal" and allow_refusal:
            continue
        else:
            raise invalid(
                f"Invalid value for '{path}[{index}].type': expected 'text', got {kind!r}.",
                f"{path}[{index}].type",
                "invalid_value",
            )
    return "".join(texts)


def _user_parts(content: Any, path: str) -> str | list[dict[str, Any]]:
    if isinstance(content, str):
        return content
    parts = check_list(content, path)
    out: list[dict[str, Any]] = []
    for index, part in enumerate(parts):
        where = f"{path}[{index}]"
        part = check_dict(part, where)
        kind = part.get("type")
        if kind == "text":
            text = check_str(part.get("text"), f"{where}.text", required=True)
            out.append({"type": "input_text", "text": text})
        elif kind == "image_url":
            image = part.get("image_url")
            if isinstance(image, str):
                url, detail = image, "auto"
            else:
                image = check_dict(image, f"{where}.image_url")
                url = check_str(image.get("url"), f"{where}.image_url.url", required=True) or ""
                detail = check_str(image.get("detail"), f"{where}.image_url.detail") or "auto"
            if not url.startswith(("https://", "http://", "data:image/")):
                raise invalid(
                    f"'{where}.image_url.url' must be an http(s) URL or a data:image/... URL.",
                    f"{where}.image_url.url",
                    "invalid_value",
                )
            if detail not in _IMAGE_DETAILS:
                raise invalid(
                    f"'{where}.image_url.detail' must be one of {', '.join(_IMAGE_DETAILS)}.",
                    f"{where}.image_url.detail",
                    "invalid_value",
                )
            out.append({"type": "input_image", "image_url": url, "detail": detail})
        else:
            raise invalid(
                f"Unsupported content part type {kind!r} in '{where}': the gateway takes "
                "'text' and 'image_url' parts.",
                f"{where}.type",
                "unsupported_value",
            )
    return out


def messages_to_input(messages: list[Any]) -> tuple[str, list[dict[str, Any]]]:
    """``(instructions, input items)`` for chat ``messages``."""
    instructions: list[str] = []
    items: list[dict[str, Any]] = []
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        message = check_dict(message, where)
        role = message.get("role")
        content = message.get("content")
        if role in ("system", "developer"):
            text = _text_of(content, f"{where}.content")
            if text:
                instructions.append(text)
        elif role == "user":
            if content is None:
                raise invalid(
                    f"Missing required parameter: '{where}.content'.",
                    f"{where}.content",
                    "missing_required_parameter",
                )
            items.append(
                {
                    "type": "message",
                    "role": "user",
                    "content": _user_parts(content, f"{where}.content"),
                }
            )
        elif role == "assistant":
            if content is not None:
                text = _text_of(content, f"{where}.content", allow_refusal=True)
                if text:
                    items.append({"type": "message", "role": "assistant", "content": text})
            calls = message.get("tool_calls")
            if calls is not None:
                for position, call in enumerate(check_list(calls, f"{where}.tool_calls")):
                    at = f"{where}.tool_calls[{position}]"
                    call = check_dict(call, at)
                    function = check_dict(call.get("function"), f"{at}.function")
                    call_id = check_str(call.get("id"), f"{at}.id", required=True)
                    name = check_str(function.get("name"), f"{at}.function.name", required=True)
                    arguments = check_str(function.get("arguments"), f"{at}.function.arguments")
                    items.append(
                        {
                            "type": "function_call",
                            "call_id": call_id,
                            "name": name,
                            "arguments": arguments or "",
                        }
                    )
        elif role == "tool":
            call_id = check_str(message.get("tool_call_id"), f"{where}.tool_call_id", required=True)
            output = _text_of(content if content is not None else "", f"{where}.content")
            items.append({"type": "function_call_output", "call_id": call_id, "output": output})
        else:
            raise invalid(
                f"Invalid value for '{where}.role': expected one of system, developer, user, "
                f"assistant, tool, got {role!r}.",
                f"{where}.role",
                "invalid_value",
            )
    return "\n\n".join(instructions), items


def convert_tools(value: Any) -> list[dict[str, Any]]:
    """Chat ``tools`` as Responses tools."""
    out = []
    for index, tool in enumerate(check_list(value, "tools")):
        where = f"tools[{index}]"
        tool = check_dict(tool, where)
        kind = tool.get("type", "function")
        if kind == "function":
            function = check_dict(tool.get("function"), f"{where}.function")
            name = check_str(function.get("name"), f"{where}.function.name", required=True)
            wire: dict[str, Any] = {"type": "function", "name": name}
            description = check_str(function.get("description"), f"{where}.function.description")
            if description is not None:
                wire["description"] = description
            parameters = function.get("parameters")
            wire["parameters"] = (
                check_dict(parameters, f"{where}.function.parameters")
                if parameters is not None
                else {"type": "object", "properties": {}}
            )
            wire["strict"] = bool(check_bool(function.get("strict"), f"{where}.function.strict"))
            out.append(wire)
        elif kind == "custom":
            custom = check_dict(tool.get("custom"), f"{where}.custom")
            name = check_str(custom.get("name"), f"{where}.custom.name", required=True)
            wire = {"type": "custom", "name": name}
            for key in ("description", "format"):
                if custom.get(key) is not None:
                    wire[key] = custom[key]
            out.append(wire)
        else:
            raise invalid(
                f"Invalid value for '{where}.type': expected 'function', got {kind!r}.",
                f"{where}.type",
                "invalid_value",
            )
    return out


def convert_tool_choice(value: Any) -> str | dict[str, Any]:
    """Chat ``tool_choice`` as the Responses one."""
    if isinstance(value, str):
        if value not in ("auto", "none", "required"):
            raise invalid(
                "Invalid value for 'tool_choice': expected auto, none, required or "
                f"{{'type': 'function', 'function': {{'name': ...}}}}, got {value!r}.",
                "tool_choice",
                "invalid_value",
            )
        return value
    choice = check_dict(value, "tool_choice")
    if choice.get("type") == "function":
        function = check_dict(choice.get("function"), "tool_choice.function")
        name = check_str(function.get("name"), "tool_choice.function.name", required=True)
        return {"type": "function", "name": name}
    if choice.get("type") == "custom":
        custom = check_dict(choice.get("custom"), "tool_choice.custom")
        name = check_str(custom.get("name"), "tool_choice.custom.name", required=True)
        return {"type": "custom", "name": name}
    raise invalid("Invalid value for 'tool_choice.type'.", "tool_choice.type", "invalid_value")


def convert_response_format(value: Any) -> dict[str, Any] | None:
    """Chat ``response_format`` as a Responses ``text.format`` (None for plain text)."""
    fmt = check_dict(value, "response_format")
    kind = fmt.get("type")
    if kind == "text":
        return None
    if kind == "json_object":
        return {"type": "json_object"}
    if kind == "json_schema":
        spec = check_dict(fmt.get("json_schema"), "response_format.json_schema")
        name = check_str(spec.get("name"), "response_format.json_schema.name", required=True)
        schema = spec.get("schema")
        wire: dict[str, Any] = {
            "type": "json_schema",
            "name": name,
            "schema": check_dict(schema, "response_format.json_schema.schema")
            if schema is not None
            else {"type": "object"},
        }
        strict = check_bool(spec.get("strict"), "response_format.json_schema.strict")
        wire["strict"] = bool(strict)
        description = check_str(spec.get("description"), "response_format.json_schema.description")
        if description is not None:
            wire["description"] = description
        return wire
    raise invalid(
        "Invalid value for 'response_format.type': expected text, json_object or json_schema, "
        f"got {kind!r}.",
        "response_format.type",
        "invalid_value",
    )


# --------------------------------------------------------------------------- answers


def completion_id() -> str:
    """A new ``chatcmpl-...`` id."""
    return "chatcmpl-" + secrets.token_urlsafe(18).replace("-", "A").replace("_", "B")


def chat_usage(usage: Usage | None) -> dict[str, Any] | None:
    """Responses usage in the Chat Completions shape."""
    if usage is None:
        return None
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens or usage.input_tokens + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.input_tokens_details.cached_tokens},
        "completion_tokens_details": {
            "reasoning_tokens": usage.output_tokens_details.reasoning_tokens
        },
    }


def finish_reason(response: CodexResponse, called: bool) -> str:
    """``stop``, ``tool_calls``, ``length`` or ``content_filter``."""
    if called:
        return "tool_calls"
    if response.status == "incomplete":
        reason = response.incomplete_details.reason if response.incomplete_details else None
        return "content_filter" if reason == "content_filter" else "length"
    return "stop"


def chat_completion(
    response: CodexResponse, request: ChatRequest, *, created: int | None = None
) -> dict[str, Any]:
    """The non-streamed ``chat.completion`` object for a final response."""
    texts: list[str] = []
    refusals: list[str] = []
    for item in response.output:
        if isinstance(item, ResponseOutputMessage):
            for part in item.content:
                if isinstance(part, ResponseOutputRefusal):
                    refusals.append(part.refusal)
                elif hasattr(part, "text"):
                    texts.append(part.text)
    calls = response.tool_calls
    message: dict[str, Any] = {
        "role": "assistant",
        "content": "".join(texts) if texts or not (calls or refusals) else None,
        "refusal": "".join(refusals) if refusals else None,
    }
    if calls:
        message["tool_calls"] = [
            {
                "id": call.call_id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in calls
        ]
    if request.reasoning and response.reasoning_summary is not None:
        message["reasoning_content"] = response.reasoning_summary.replace("\n", "\n\n")
    answer: dict[str, Any] = {
        "id": completion_id(),
        "object": "chat.completion",
        "created": created if created is not None else int(time.time()),
        "model": response.model or request.model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": finish_reason(response, bool(calls)),
            }
        ],
    }
    usage = chat_usage(response.usage)
    if usage is not None:
        answer["usage"] = usage
    return answer


class ChatChunker:
    """Turns the events of one response into ``chat.completion.chunk`` objects."""

    def __init__(self, request: ChatRequest) -> None:
        self._request = request
        self._id = completion_id()
        self._created = int(time.time())
        self._model = request.model
        self._started = False
        self._calls: dict[int, int] = {}  # output_index -> tool call index
        self._sent_args: dict[int, str] = {}  # tool call index -> arguments sent
        self._summary_key: tuple[int, int] | None = None
        self._reasoned = False

    @property
    def started(self) -> bool:
        """Whether a chunk was produced (the HTTP answer is committed)."""
        return self._started

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        chunk: dict[str, Any] = {
            "id": self._id,
            "object": "chat.completion.chunk",
            "created": self._created,
            "model": self._model,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if self._request.include_usage:
            chunk["usage"] = None
        return chunk

    def _start(self, out: list[dict[str, Any]]) -> None:
        if not self._started:
            self._started = True
            out.append(self._chunk({"role": "assistant", "content": "", "refusal": None}))

    def _call_start(
        self, output_index: int, call: ResponseFunctionToolCall, out: list[dict[str, Any]]
    ) -> int:
        index = self._calls.get(output_index)
        if index is None:
            index = self._calls[output_index] = len(self._calls)
            self._sent_args[index] = ""
            out.append(
                self._chunk(
                    {
                        "tool_calls": [
                            {
                                "index": index,
                                "id": call.call_id,
                                "type": "function",
                                "function": {"name": call.name, "arguments": ""},
                            }
                        ]
                    }
                )
            )
        return index

    def _args(self, index: int, fragment: str, out: list[dict[str, Any]]) -> None:
        if fragment:
            self._sent_args[index] += fragment
            out.append(
                self._chunk({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]})
            )

    def feed(self, event: ResponseStreamEvent) -> list[dict[str, Any]]:
        """The chunks for one upstream event (often none)."""
        out: list[dict[str, Any]] = []
        self._start(out)
        kind = type(event)
        if kind is ResponseOutputTextDeltaEvent:
            assert isinstance(event, ResponseOutputTextDeltaEvent)
            if event.delta:
                out.append(self._chunk({"content": event.delta}))
        elif kind is ResponseFunctionCallArgumentsDeltaEvent:
            assert isinstance(event, ResponseFunctionCallArgumentsDeltaEvent)
            index = self._calls.get(event.output_index)
            if index is not None:
                self._args(index, event.delta, out)
        elif kind is ResponseOutputItemAddedEvent:
            assert isinstance(event, ResponseOutputItemAddedEvent)
            if isinstance(event.item, ResponseFunctionToolCall):
                self._call_start(event.output_index, event.item, out)
        elif kind is ResponseOutputItemDoneEvent:
            assert isinstance(event, ResponseOutputItemDoneEvent)
            item = event.item
            if isinstance(item, ResponseFunctionToolCall):
                index = self._call_start(event.output_index, item, out)
                sent = self._sent_args[index]
                if item.arguments.startswith(sent):
                    self._args(index, item.arguments[len(sent) :], out)
        elif kind is ResponseRefusalDeltaEvent:
            assert isinstance(event, ResponseRefusalDeltaEvent)
            if event.delta:
                out.append(self._chunk({"refusal": event.delta}))
        elif kind is ResponseReasoningSummaryTextDeltaEvent and self._request.reasoning:
            assert isinstance(event, ResponseReasoningSummaryTextDeltaEvent)
            key = (event.output_index, event.summary_index)
            delta = event.delta
            if key != self._summary_key:
                if self._reasoned:
                    delta = "\n\n" + delta
                self._summary_key = key
            if delta:
                self._reasoned = True
                out.append(self._chunk({"reasoning_content": delta}))
        elif kind is ResponseCompletedEvent or kind is ResponseIncompleteEvent:
            pass  # finish() ends the stream, with the accumulated response
        return out

    def finish(self, response: CodexResponse) -> list[dict[str, Any]]:
        """The last chunks: the one ``finish_reason``, then the usage when asked."""
        out: list[dict[str, Any]] = []
        self._start(out)
        # A call the stream never announced (no added/done event) still reaches the client.
        for position, item in enumerate(response.output):
            if isinstance(item, ResponseFunctionToolCall) and position not in self._calls:
                index = self._call_start(position, item, out)
                self._args(index, item.arguments, out)
        out.append(self._chunk({}, finish_reason(response, bool(self._calls))))
        if self._request.include_usage:
            out.append(
                {
                    "id": self._id,
                    "object": "chat.completion.chunk",
                    "created": self._created,
                    "model": self._model,
                    "choices": [],
                    "usage": chat_usage(response.usage),
                }
            )
        return out
