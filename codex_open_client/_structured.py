"""Structured output for ``responses.parse()``: the request's format and the parsed result.

``text_config_for`` turns ``text_format`` (a pydantic model, or with pydantic a dataclass,
TypedDict, ``list[X]`` ...) into the request's ``text`` setting, with a strict JSON schema;
``parse_response`` validates the answer's text against the same type. The backend wants an
object at the root of the schema, so a type whose schema is not an object (``list[X]``, a
union) is sent wrapped as ``{"result": ...}`` and unwrapped when parsed.

Nothing here does I/O; pydantic is imported only when a function needs it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any, Generic, TypeVar, get_args, get_origin

from attrs import frozen

from ._exceptions import IncompleteResponseError, RefusalError, StructuredOutputError
from ._models import (
    IncompleteDetails,
    OutputItem,
    Response,
    ResponseError,
    ResponseFormatJsonSchema,
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputRefusal,
    TextConfig,
    Usage,
)
from ._ratelimits import RateLimits
from ._schema import class_description, remember, strict_schema, type_adapter, type_name

__all__ = [
    "PYDANTIC_MISSING",
    "ParsedResponse",
    "format_for",
    "parse_response",
    "require_pydantic",
    "text_config_for",
]

T = TypeVar("T")

PYDANTIC_MISSING = (
    "Structured output (responses.parse() with text_format) needs pydantic: "
    "pip install 'codex-open-client[pydantic]'"
)
_WRAPPER_KEY = "result"
_SNIPPET = 200
_PROBLEMS_SHOWN = 3


def require_pydantic() -> ModuleType:
    """The ``pydantic`` module; ``ImportError`` naming the extra to install without it."""
    try:
        import pydantic
    except ImportError as exc:
        raise ImportError(PYDANTIC_MISSING) from exc
    return pydantic


# --------------------------------------------------------------------------- the format


@frozen(kw_only=True)
class _Plan:
    """How one ``text_format`` is sent and parsed."""

    name: str
    label: str  # for messages: list[Item] rather than the format's list_Item
    description: str | None
    schema: dict[str, Any]
    validate_json: Callable[[str], Any]
    wrapped: bool


# One plan per type: building a schema and a validator takes milliseconds.
_PLANS: dict[Any, _Plan] = {}


def _plan(text_format: Any) -> _Plan:
    try:
        plan = _PLANS.get(text_format)
    except TypeError:  # unhashable: no cache
        return _make_plan(text_format)
    if plan is None:
        plan = remember(_PLANS, text_format, _make_plan(text_format))
    return plan


def _make_plan(text_format: Any) -> _Plan:
    pydantic = require_pydantic()
    name = _format_name(text_format)
    validate: Callable[[str], Any]
    try:
        if isinstance(text_format, type) and issubclass(text_format, pydantic.BaseModel):
            model: Any = text_format
            raw = model.model_json_schema()
            validate = model.model_validate_json
        else:
            adapter = type_adapter(text_format)
            raw = adapter.json_schema()
            validate = adapter.validate_json
    except pydantic.PydanticUserError as exc:
        raise TypeError(f"cannot use {name} as text_format: {exc}") from exc
    schema = strict_schema(raw)
    wrapped = schema.get("type") != "object"
    if wrapped:
        wrapper = pydantic.create_model(name, **{_WRAPPER_KEY: (text_format, ...)})
        schema = strict_schema(wrapper.model_json_schema())
        validate = wrapper.model_validate_json
    return _Plan(
        name=name,
        label=type_name(text_format),
        description=class_description(text_format),
        schema=schema,
        validate_json=validate,
        wrapped=wrapped,
    )


def format_for(text_format: type[Any]) -> ResponseFormatJsonSchema:
    """The strict ``json_schema`` response format for ``text_format``. Needs pydantic.

    A pydantic model's schema comes from ``model_json_schema()``, any other type's from
    ``pydantic.TypeAdapter``. ``name`` is the type's name; ``description`` its docstring.
    """
    plan = _plan(text_format)
    return ResponseFormatJsonSchema(
        name=plan.name,
        schema=copy.deepcopy(plan.schema),  # the caller may change it; the cache must not
        description=plan.description,
        strict=True,
    )


def _format_name(tp: Any) -> str:
    """A name the backend accepts (``^[a-zA-Z0-9_-]{1,64}$``), from the type's name."""
    name = re.sub(r"[^a-zA-Z0-9_-]+", "_", _readable_name(tp)).strip("_")
    return name[:64] or "output"


def _readable_name(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is None:
        return str(getattr(tp, "__name__", "") or "output")
    parts = [_readable_name(arg) for arg in get_args(tp) if arg is not Ellipsis]
    head = getattr(origin, "__name__", None) or getattr(origin, "_name", None) or "Union"
    if head == "Annotated" and parts:
        return parts[0]
    return "_".join([str(head), *parts])


def text_config_for(
    text_format: type[Any], text: TextConfig | Mapping[str, Any] | None
) -> TextConfig:
    """The request's ``text`` for ``parse()``: ``text_format``'s format, ``text``'s verbosity.

    Raises ``TypeError`` when ``text`` sets a format too.
    """
    if text is None:
        verbosity = None
    elif isinstance(text, TextConfig):
        if text.format is not None:
            raise TypeError("pass either text_format or text.format, not both")
        verbosity = text.verbosity
    elif isinstance(text, Mapping):
        if text.get("format") is not None:
            raise TypeError("pass either text_format or text.format, not both")
        unknown = sorted(set(text) - {"format", "verbosity"})
        if unknown:
            raise TypeError(f"text has unknown keys: {', '.join(unknown)}")
        verbosity = text.get("verbosity")
    else:
        raise TypeError(f"text must be a TextConfig or a dict, got {type(text).__name__}")
    return TextConfig(format=format_for(text_format), verbosity=verbosity)


# --------------------------------------------------------------------------- the result


@frozen(kw_only=True)
class ParsedResponse(Generic[T]):
    """What ``responses.parse()`` returns: the ``Response`` and its parsed document.

    ``output_parsed`` is an instance of ``text_format``; the response's own fields
    (``id``, ``output``, ``usage``, ``output_text`` ...) are available here too.
    """

    response: Response
    output_parsed: T

    @property
    def id(self) -> str | None:
        """The response id."""
        return self.response.id

    @property
    def model(self) -> str | None:
        """The model that answered."""
        return self.response.model

    @property
    def output(self) -> list[OutputItem]:
        """The output items."""
        return self.response.output

    @property
    def status(self) -> str | None:
        """The response status, ``"completed"`` once parsed."""
        return self.response.status

    @property
    def usage(self) -> Usage | None:
        """Token counts."""
        return self.response.usage

    @property
    def error(self) -> ResponseError | None:
        """The response's error, if any."""
        return self.response.error

    @property
    def incomplete_details(self) -> IncompleteDetails | None:
        """Why the response is incomplete, if it is."""
        return self.response.incomplete_details

    @property
    def created_at(self) -> float | None:
        """When the response was created (Unix time)."""
        return self.response.created_at

    @property
    def output_text(self) -> str:
        """The raw text the document was parsed from."""
        return self.response.output_text

    @property
    def reasoning_summary(self) -> str | None:
        """The reasoning summary, if any."""
        return self.response.reasoning_summary

    @property
    def tool_calls(self) -> list[ResponseFunctionToolCall]:
        """The function calls the model asked for."""
        return self.response.tool_calls

    @property
    def rate_limits(self) -> RateLimits | None:
        """The rate limits the backend reported with the response."""
        return self.response.rate_limits


def parse_response(response: Response, text_format: type[T]) -> ParsedResponse[T]:
    """Validate ``response``'s text as ``text_format``. Needs pydantic.

    Raises ``RefusalError`` when the model refused, ``IncompleteResponseError`` when the
    response stopped early, ``StructuredOutputError`` when the text is empty, not JSON or
    not a valid ``text_format`` (the pydantic error is the ``__cause__``).
    """
    plan = _plan(text_format)
    refusals = [
        part.refusal
        for item in response.output
        if isinstance(item, ResponseOutputMessage)
        for part in item.content
        if isinstance(part, ResponseOutputRefusal)
    ]
    if refusals:
        refusal = "\n".join(refusals)
        raise RefusalError(
            f"The model refused ({plan.label} expected): {_snippet(refusal, 500)!r}",
            response=response,
            refusal=refusal,
        )
    if response.status == "incomplete":
        reason = response.incomplete_details.reason if response.incomplete_details else None
        raise IncompleteResponseError(
            f"The response is incomplete ({reason or 'no reason given'}): "
            f"the {plan.label} document may be cut short",
            response=response,
            reason=reason,
        )
    text = response.output_text
    if not text.strip():
        raise StructuredOutputError(
            f"The response has no text to parse as {plan.label} (status: {response.status})",
            response=response,
        )
    pydantic = require_pydantic()
    try:
        parsed = plan.validate_json(text)
    except pydantic.ValidationError as exc:
        raise StructuredOutputError(
            f"The response is not a valid {plan.label}: {_problems(exc, plan.wrapped)}. "
            f"Text: {_snippet(text, _SNIPPET)!r}",
            response=response,
        ) from exc
    if plan.wrapped:
        parsed = getattr(parsed, _WRAPPER_KEY)
    return ParsedResponse(response=response, output_parsed=parsed)


def _problems(exc: Any, wrapped: bool) -> str:
    """The first few validation problems, one short phrase each."""
    errors = exc.errors(include_url=False)
    phrases = []
    for error in errors[:_PROBLEMS_SHOWN]:
        if error.get("type") == "json_invalid":
            phrases.append(str(error.get("msg", "invalid JSON")))
            continue
        loc = list(error.get("loc", ()))
        if wrapped and loc[:1] == [_WRAPPER_KEY]:
            loc = loc[1:]
        where = ".".join(str(part) for part in loc) or "(document)"
        phrases.append(f"{where}: {error.get('msg', 'invalid')}")
    more = len(errors) - _PROBLEMS_SHOWN
    if more > 0:
        phrases.append(f"and {more} more")
    return "; ".join(phrases)


def _snippet(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
