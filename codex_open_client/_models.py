"""Wire models: request configuration, input items, output items and the ``Response``.

Every model is a frozen attrs class whose ``type`` attribute holds its wire type string (a
``Literal``, so that comparing ``item.type`` narrows a union). Fields the backend may omit
default to ``None``; unknown item types become ``UnknownItem`` (``type`` ``"unknown"``), which
keeps the raw dict so nothing the server sent is lost.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from typing import Any, Literal, Union

from attrs import field, frozen

from . import _json
from ._exceptions import ToolArgumentsError
from ._ratelimits import RateLimits
from ._wire import Wire

#: Field metadata of attributes that are not part of the wire format (never sent or read).
LOCAL = {"local": True}

__all__ = [
    "ContentPart",
    "CustomTool",
    "CustomToolCallOutput",
    "FunctionCallOutput",
    "FunctionTool",
    "ImageGenerationTool",
    "IncompleteDetails",
    "InputImage",
    "InputItem",
    "InputMessage",
    "InputText",
    "InputTokensDetails",
    "OutputContent",
    "OutputItem",
    "OutputText",
    "OutputTokensDetails",
    "Reasoning",
    "ReasoningSummary",
    "ReasoningText",
    "Response",
    "ResponseCompactionItem",
    "ResponseCustomToolCall",
    "ResponseError",
    "ResponseFormatJsonObject",
    "ResponseFormatJsonSchema",
    "ResponseFormatText",
    "ResponseFunctionToolCall",
    "ResponseImageGenerationCall",
    "ResponseOutputMessage",
    "ResponseOutputRefusal",
    "ResponseReasoningItem",
    "ResponseWebSearchCall",
    "TextConfig",
    "Tool",
    "UnknownContent",
    "UnknownItem",
    "Usage",
    "WebSearchTool",
]

ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh"]
REASONING_EFFORTS: tuple[str, ...] = ("none", "minimal", "low", "medium", "high", "xhigh")
REASONING_SUMMARIES: tuple[str, ...] = ("auto", "concise", "detailed", "none")
IMAGE_DETAILS: tuple[str, ...] = ("auto", "low", "high", "original")
VERBOSITIES: tuple[str, ...] = ("low", "medium", "high")


class _Model(Wire):
    """Base of every model: slots the request builder fills once, as models are frozen.

    ``_source`` (from ``Wire``) is the dict the model was parsed from, for ``to_dict()``;
    ``_wire`` keeps the model's unstructured wire dict, ``_sent`` the checked dict a request
    body gets a copy of (None for an item left out of requests), ``_encoded`` that dict as
    JSON bytes. They are not attrs fields, so they stay out of ``repr``, equality, hashing,
    pickling, copies, ``attrs.evolve`` and the converter: a new instance starts without them
    and computes its own.
    """

    __slots__ = ("_encoded", "_sent", "_wire")
    _encoded: bytes
    _sent: dict[str, Any] | None
    _wire: dict[str, Any]


_IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}

# --------------------------------------------------------------------------- configuration


@frozen(kw_only=True)
class Reasoning(_Model):
    """Extended thinking: ``effort`` (none .. xhigh) and ``summary`` (auto, concise, detailed)."""

    effort: ReasoningEffort | None = None
    summary: Literal["auto", "concise", "detailed", "none"] | None = None


@frozen(kw_only=True)
class ResponseFormatText(_Model):
    """Plain text output (the default)."""

    type: Literal["text"] = "text"


@frozen(kw_only=True)
class ResponseFormatJsonObject(_Model):
    """Free-form JSON output."""

    type: Literal["json_object"] = "json_object"


@frozen(kw_only=True)
class ResponseFormatJsonSchema(_Model):
    """JSON output constrained to ``schema`` (strict by default, as the backend expects)."""

    name: str
    schema: dict[str, Any]
    description: str | None = None
    strict: bool | None = True
    type: Literal["json_schema"] = "json_schema"


FormatConfig = Union[ResponseFormatText, ResponseFormatJsonObject, ResponseFormatJsonSchema]


@frozen(kw_only=True)
class TextConfig(_Model):
    """Text output configuration: a response ``format`` and a ``verbosity``."""

    format: FormatConfig | dict[str, Any] | None = None
    verbosity: Literal["low", "medium", "high"] | None = None


@frozen(kw_only=True)
class FunctionTool(_Model):
    """A function the model may call. ``parameters`` is a JSON schema.

    ``strict`` defaults to True: the backend then demands ``"additionalProperties": false``
    on every object of the schema and every property listed in ``required``.
    """

    name: str
    description: str | None = None
    parameters: dict[str, Any] = field(factory=dict)
    strict: bool = True
    type: Literal["function"] = "function"

    @classmethod
    def from_function(cls, fn: Callable[..., Any]) -> FunctionTool:
        """A tool for ``fn``: its name, its docstring, a strict schema from its type hints.

        Plain types (str, int, float, bool, None, list, dict, Literal, Optional, enums,
        dataclasses, TypedDicts) need nothing more; other types need pydantic
        (``pip install 'codex-open-client[pydantic]'``). ``Args:`` in the docstring and
        ``Annotated[T, "..."]`` describe the parameters. Strict mode cannot express a
        ``dict[str, X]`` (free-form keys), so a function taking one gets ``strict=False``.
        """
        from ._functions import function_tool_parts

        name, description, parameters, strict = function_tool_parts(fn)
        return cls(name=name, description=description, parameters=parameters, strict=strict)


@frozen(kw_only=True)
class CustomTool(_Model):
    """A freeform tool: the model sends raw text (``input``) instead of JSON arguments.

    ``format`` may constrain that text, e.g. a Lark grammar:
    ``{"type": "grammar", "syntax": "lark", "definition": "..."}``.
    """

    name: str
    description: str | None = None
    format: dict[str, Any] | None = None
    type: Literal["custom"] = "custom"


@frozen(kw_only=True)
class WebSearchTool(_Model):
    """The backend's built-in web search; results arrive as ``ResponseWebSearchCall`` items."""

    external_web_access: bool | None = None
    filters: dict[str, Any] | None = None
    user_location: dict[str, Any] | None = None
    search_context_size: Literal["low", "medium", "high"] | None = None
    search_content_types: list[str] | None = None
    type: Literal["web_search"] = "web_search"


@frozen(kw_only=True)
class ImageGenerationTool(_Model):
    """The backend's built-in image generation; images arrive as ``ResponseImageGenerationCall``."""

    output_format: str | None = None
    type: Literal["image_generation"] = "image_generation"


Tool = Union[FunctionTool, CustomTool, WebSearchTool, ImageGenerationTool, dict[str, Any]]

# --------------------------------------------------------------------------- input


@frozen(kw_only=True)
class InputText(_Model):
    """A text part of an input message."""

    text: str
    type: Literal["input_text"] = "input_text"


@frozen(kw_only=True)
class InputImage(_Model):
    """An image part: an ``https:`` URL or a ``data:`` URL, with a ``detail`` level."""

    image_url: str
    detail: Literal["auto", "low", "high", "original"] = "auto"
    type: Literal["input_image"] = "input_image"

    @classmethod
    def from_path(
        cls,
        path: str | os.PathLike[str],
        *,
        detail: Literal["auto", "low", "high", "original"] = "auto",
    ) -> InputImage:
        """An image read from a local file, sent as a base64 ``data:`` URL.

        The media type comes from the file's extension (PNG, JPEG, GIF, WebP, ...).
        """
        if detail not in IMAGE_DETAILS:
            raise ValueError(f"detail must be one of {IMAGE_DETAILS}, got {detail!r}")
        import mimetypes

        extension = os.path.splitext(os.fspath(path))[1].lower()
        # Known here first: mimetypes lacks .webp before Python 3.13 without a mime.types file.
        media_type = _IMAGE_TYPES.get(extension) or mimetypes.guess_type(os.fspath(path))[0]
        if media_type is None or not media_type.startswith("image/"):
            raise ValueError(
                f"InputImage.from_path({os.fspath(path)!r}): cannot tell the image type from "
                "the file name; use a .png, .jpg, .gif or .webp name, or build the data URL "
                "yourself: InputImage(image_url='data:image/png;base64,...')"
            )
        with open(path, "rb") as file:
            data = base64.b64encode(file.read()).decode("ascii")
        return cls(image_url=f"data:{media_type};base64,{data}", detail=detail)


ContentPart = Union[InputText, InputImage]


@frozen(kw_only=True)
class InputMessage(_Model):
    """A message to the model. ``content`` is a string or a list of parts.

    Role ``system`` is sent as ``developer``: the backend refuses system messages.
    """

    role: Literal["user", "assistant", "system", "developer"]
    content: str | list[ContentPart] | list[Any]
    type: Literal["message"] = "message"


@frozen(kw_only=True)
class FunctionCallOutput(_Model):
    """The result of a function call, sent back to the model."""

    call_id: str
    output: str | list[ContentPart]
    type: Literal["function_call_output"] = "function_call_output"


@frozen(kw_only=True)
class CustomToolCallOutput(_Model):
    """The result of a custom (freeform) tool call, sent back to the model."""

    call_id: str
    output: str | list[ContentPart]
    name: str | None = None
    type: Literal["custom_tool_call_output"] = "custom_tool_call_output"


# --------------------------------------------------------------------------- output


@frozen(kw_only=True)
class OutputText(_Model):
    """Text produced by the model."""

    text: str
    annotations: list[Any] = field(factory=list)
    type: Literal["output_text"] = "output_text"


@frozen(kw_only=True)
class ResponseOutputRefusal(_Model):
    """A refusal produced by the model instead of text."""

    refusal: str
    type: Literal["refusal"] = "refusal"


def _unknown_init(self: Any) -> None:
    # ``type`` stays "unknown" so that checking it narrows; a caller passing the wire type
    # (``UnknownItem(type="x", raw={"type": "x"})``, as before) is accepted for compatibility.
    if self.type != "unknown":
        if self.type != self.wire_type:
            raise ValueError(
                f"{type(self).__name__}: type is always 'unknown' (the wire type is "
                f"raw['type'], here {self.wire_type!r}); got type={self.type!r}"
            )
        object.__setattr__(self, "type", "unknown")


def _wire_type(raw: dict[str, Any]) -> str:
    kind = raw.get("type")
    return kind if isinstance(kind, str) else ""


@frozen(kw_only=True)
class UnknownContent(_Model):
    """A content part of a type this version does not know; ``raw`` keeps it whole.

    ``type`` is always ``"unknown"``; ``wire_type`` is the type the backend sent.
    """

    raw: dict[str, Any]
    type: Literal["unknown"] = "unknown"

    __attrs_post_init__ = _unknown_init

    @property
    def wire_type(self) -> str:
        """The part's wire type, ``raw["type"]`` ("" when it has none)."""
        return _wire_type(self.raw)


OutputContent = Union[OutputText, ResponseOutputRefusal, UnknownContent]


@frozen(kw_only=True)
class ResponseOutputMessage(_Model):
    """An assistant message in the output."""

    id: str | None = None
    content: list[OutputContent] = field(factory=list)
    role: Literal["assistant"] = "assistant"
    status: str | None = None
    phase: str | None = None
    type: Literal["message"] = "message"


@frozen(kw_only=True)
class ResponseFunctionToolCall(_Model):
    """A function call requested by the model; ``arguments`` is a JSON string."""

    call_id: str
    name: str
    arguments: str = ""
    id: str | None = None
    namespace: str | None = None
    status: str | None = None
    type: Literal["function_call"] = "function_call"

    def parsed_arguments(self) -> dict[str, Any]:
        """``arguments`` decoded from JSON ("" is ``{}``).

        Raises ``ToolArgumentsError`` (a ``ValueError``) when they are not a JSON object.
        """
        return parse_arguments(self)


_EXCERPT = 80  # characters of bad arguments quoted in an error


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= _EXCERPT else flat[: _EXCERPT - 1] + "…")


def parse_arguments(call: ResponseFunctionToolCall) -> dict[str, Any]:
    """Decode a function call's ``arguments``: a JSON object, ``""`` meaning ``{}``.

    Raises ``ToolArgumentsError`` (a ``ValueError``) naming the tool and the call when the text
    is not valid JSON or not an object.
    """
    text = call.arguments
    where = f"the arguments of the call of tool {call.name!r} (call_id {call.call_id!r})"
    if not text.strip():
        return {}
    try:
        value = _json.loads(text)
    except ValueError as exc:  # bad JSON, or nested too deeply to decode
        problem = getattr(exc, "msg", None) or str(exc)
        raise ToolArgumentsError(
            f"{where} are not valid JSON ({problem}): {_excerpt(text)}",
            name=call.name,
            call_id=call.call_id,
            arguments=text,
        ) from None
    if not isinstance(value, dict):
        raise ToolArgumentsError(
            f"{where} must be a JSON object, got {type(value).__name__}: {_excerpt(text)}",
            name=call.name,
            call_id=call.call_id,
            arguments=text,
        )
    return value


@frozen(kw_only=True)
class ResponseCustomToolCall(_Model):
    """A call of a custom (freeform) tool; ``input`` is raw text."""

    call_id: str
    name: str
    input: str = ""
    id: str | None = None
    status: str | None = None
    type: Literal["custom_tool_call"] = "custom_tool_call"


@frozen(kw_only=True)
class ReasoningSummary(_Model):
    """One section of a reasoning summary."""

    text: str
    type: Literal["summary_text"] = "summary_text"


@frozen(kw_only=True)
class ReasoningText(_Model):
    """Raw reasoning text (only some models send it)."""

    text: str
    type: Literal["reasoning_text"] = "reasoning_text"


@frozen(kw_only=True)
class ResponseReasoningItem(_Model):
    """The model's reasoning: summaries, and ``encrypted_content`` to replay it next turn."""

    id: str | None = None
    summary: list[ReasoningSummary] = field(factory=list)
    content: list[ReasoningText] | None = None
    encrypted_content: str | None = None
    status: str | None = None
    type: Literal["reasoning"] = "reasoning"


@frozen(kw_only=True)
class ResponseWebSearchCall(_Model):
    """A web search the backend ran; ``action`` describes it (search, open_page, ...)."""

    id: str | None = None
    status: str | None = None
    action: dict[str, Any] | None = None
    type: Literal["web_search_call"] = "web_search_call"


@frozen(kw_only=True)
class ResponseImageGenerationCall(_Model):
    """An image the backend generated; ``result`` is base64 image data."""

    id: str | None = None
    status: str | None = None
    result: str | None = None
    revised_prompt: str | None = None
    type: Literal["image_generation_call"] = "image_generation_call"


@frozen(kw_only=True)
class ResponseCompactionItem(_Model):
    """The compacted history: an opaque, encrypted summary (``responses.compact()``).

    Sent back as input exactly as the backend gave it; it is tied to the account.
    """

    encrypted_content: str
    id: str | None = None
    type: Literal["compaction"] = "compaction"


@frozen(kw_only=True)
class UnknownItem(_Model):
    """An item of a type this version does not know; sent back as input unchanged (``raw``).

    ``type`` is always ``"unknown"``; ``wire_type`` is the type the backend sent.
    """

    raw: dict[str, Any]
    type: Literal["unknown"] = "unknown"

    __attrs_post_init__ = _unknown_init

    @property
    def wire_type(self) -> str:
        """The item's wire type, ``raw["type"]`` ("" when it has none)."""
        return _wire_type(self.raw)


OutputItem = Union[
    ResponseOutputMessage,
    ResponseFunctionToolCall,
    ResponseCustomToolCall,
    ResponseReasoningItem,
    ResponseWebSearchCall,
    ResponseImageGenerationCall,
    ResponseCompactionItem,
    UnknownItem,
]

InputItem = Union[
    InputMessage,
    FunctionCallOutput,
    CustomToolCallOutput,
    ResponseOutputMessage,
    ResponseFunctionToolCall,
    ResponseCustomToolCall,
    ResponseReasoningItem,
    ResponseWebSearchCall,
    ResponseImageGenerationCall,
    ResponseCompactionItem,
    UnknownItem,
    dict[str, Any],
]

# --------------------------------------------------------------------------- response


@frozen(kw_only=True)
class InputTokensDetails(_Model):
    """Breakdown of input tokens."""

    cached_tokens: int = 0


@frozen(kw_only=True)
class OutputTokensDetails(_Model):
    """Breakdown of output tokens."""

    reasoning_tokens: int = 0


@frozen(kw_only=True)
class Usage(_Model):
    """Token counts of one response."""

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    input_tokens_details: InputTokensDetails = field(factory=InputTokensDetails)
    output_tokens_details: OutputTokensDetails = field(factory=OutputTokensDetails)


@frozen(kw_only=True)
class ResponseError(_Model):
    """Why a response failed: a machine ``code`` and a human ``message``."""

    code: str | None = None
    message: str = ""
    type: str | None = None
    plan_type: str | None = None
    resets_at: int | None = None


@frozen(kw_only=True)
class IncompleteDetails(_Model):
    """Why a response is incomplete (e.g. ``max_output_tokens``)."""

    reason: str | None = None


@frozen(kw_only=True)
class Response(_Model):
    """A model response. ``output_text`` and friends are computed from ``output``.

    ``to_dict()``/``to_json()`` give its wire JSON (what the backend sent, unknown fields kept)
    and ``Response.from_dict()`` reads it back.
    """

    id: str | None = None
    model: str | None = None
    output: list[OutputItem] = field(factory=list)
    status: str | None = None
    """``"completed"``, ``"failed"``, ``"incomplete"`` (or ``"in_progress"`` while streaming)."""
    usage: Usage | None = None
    error: ResponseError | None = None
    incomplete_details: IncompleteDetails | None = None
    created_at: float | None = None
    rate_limits: RateLimits | None = field(default=None, eq=False, metadata=LOCAL)
    """The rate limits the backend reported with this response (not part of its JSON)."""
    # The dict parsed from, as on every model, but a field: ``attrs.evolve`` (the stream
    # completes the terminal response's output, adds rate limits) keeps its unknown fields.
    _source: dict[str, Any] | None = field(
        default=None, alias="_source", eq=False, repr=False, metadata=LOCAL
    )

    @property
    def output_text(self) -> str:
        """The text of every output message, joined with ""."""
        return "".join(
            part.text
            for item in self.output
            if isinstance(item, ResponseOutputMessage)
            for part in item.content
            if isinstance(part, OutputText)
        )

    @property
    def reasoning_summary(self) -> str | None:
        """Every reasoning summary section, joined with "\\n"; None when there is none."""
        texts = [
            part.text
            for item in self.output
            if isinstance(item, ResponseReasoningItem)
            for part in item.summary
        ]
        return "\n".join(texts) if texts else None

    @property
    def tool_calls(self) -> list[ResponseFunctionToolCall]:
        """The function calls the model asked for, in order."""
        return [item for item in self.output if isinstance(item, ResponseFunctionToolCall)]
