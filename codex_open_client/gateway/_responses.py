"""``POST /v1/responses``: OpenAI's Responses API, on the Codex backend.

The request is checked and sent through ``responses.create``; every backend-unsupported
parameter follows its rule (``_params``). A missing ``instructions`` is filled (the backend
requires one). ``previous_response_id`` is expanded from the gateway's ``ResponseStore``
into full input, and an id it does not have is answered with OpenAI's
``previous_response_not_found`` 400 before anything goes upstream.

The answer is the accumulated response (items from ``response.output_item.done``), never the
backend's often-empty ``response.completed.output``. Streamed, the events are framed as
OpenAI frames them (``event: <type>`` then ``data: <json>``), numbered by
``sequence_number`` from 0, with the lifecycle events carrying an OpenAI ``Response``
object; the backend's own ``codex.*`` and ``response.metadata`` events are left out.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from .._events import (
    CodexRateLimitsEvent,
    ResponseCompletedEvent,
    ResponseCreatedEvent,
    ResponseFailedEvent,
    ResponseIncompleteEvent,
    ResponseInProgressEvent,
    ResponseMetadataEvent,
    ResponseOutputTextDeltaEvent,
    ResponseOutputTextDoneEvent,
    ResponseStreamEvent,
    UnknownEvent,
)
from .._models import Response as CodexResponse
from .._serde import unstructure
from ._errors import GatewayError, invalid
from ._params import (
    RESPONSES_HANDLED,
    check_bool,
    check_dict,
    check_list,
    check_str,
    split_params,
)

__all__ = ["ResponsesRequest", "ResponsesStreamer", "openai_response", "parse_responses_request"]

_PASSED = ("tools", "tool_choice", "parallel_tool_calls", "reasoning", "text", "include")
_LIFECYCLE = (ResponseCreatedEvent, ResponseInProgressEvent)
_TERMINAL = (ResponseCompletedEvent, ResponseIncompleteEvent, ResponseFailedEvent)


@attrs.define
class ResponsesRequest:
    """A checked Responses request: the ``responses.create`` arguments and what to echo."""

    model: str
    params: dict[str, Any]
    input_items: list[dict[str, Any]]
    stream: bool
    store: bool
    previous_response_id: str | None
    instructions: str | None
    metadata: dict[str, Any]
    dropped: list[str]
    echo: dict[str, Any]


def _input_items(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": value}]
    items = check_list(value, "input")
    out = []
    for index, item in enumerate(items):
        item = check_dict(item, f"input[{index}]")
        if "type" not in item and "role" in item:
            item = {"type": "message", **item}
        if item.get("type") == "message" and item.get("role") == "system":
            item = {**item, "role": "developer"}  # the backend refuses system messages
        if item.get("type") == "item_reference":
            raise invalid(
                "Item references are not supported: the Codex backend stores nothing; send "
                "the items, or use previous_response_id.",
                f"input[{index}]",
                "unsupported_value",
            )
        out.append(item)
    return out


def parse_responses_request(body: Mapping[str, Any], default_instructions: str) -> ResponsesRequest:
    """Check a Responses request body; a 400 naming the field when it is wrong."""
    dropped = split_params(body, RESPONSES_HANDLED)
    model = check_str(body.get("model"), "model", required=True)
    assert model is not None
    if not model.strip():
        raise invalid("'model' must not be empty.", "model", "invalid_value")
    if body.get("background"):
        raise invalid(
            "Background responses are not supported by the gateway.",
            "background",
            "unsupported_parameter",
        )
    for name in ("conversation", "prompt"):
        if body.get(name) is not None:
            raise invalid(
                f"'{name}' is not supported by the gateway.", name, "unsupported_parameter"
            )
    if body.get("input") is None:
        raise invalid("Missing required parameter: 'input'.", "input", "missing_required_parameter")
    items = _input_items(body["input"])
    instructions = check_str(body.get("instructions"), "instructions")
    params: dict[str, Any] = {"model": model, "instructions": instructions or default_instructions}
    for name in _PASSED:
        if body.get(name) is not None:
            params[name] = body[name]
    if "reasoning" in params:
        params["reasoning"] = check_dict(params["reasoning"], "reasoning")
    if "text" in params:
        params["text"] = check_dict(params["text"], "text")
    if "tools" in params:
        check_list(params["tools"], "tools")
    tier = check_str(body.get("service_tier"), "service_tier")
    if tier is not None:
        params["service_tier"] = tier
    cache_key = check_str(body.get("prompt_cache_key"), "prompt_cache_key")
    if cache_key is not None:
        params["prompt_cache_key"] = cache_key
    metadata = body.get("metadata")
    store = check_bool(body.get("store"), "store")
    echo = {
        "tools": params.get("tools", []),
        "tool_choice": params.get("tool_choice", "auto"),
        "parallel_tool_calls": params.get("parallel_tool_calls", True),
        "text": params.get("text") or {"format": {"type": "text"}},
        "reasoning": params.get("reasoning"),
        "temperature": None,
        "top_p": None,
        "max_output_tokens": None,
    }
    return ResponsesRequest(
        model=model,
        params=params,
        input_items=items,
        stream=bool(check_bool(body.get("stream"), "stream")),
        store=store is not False,
        previous_response_id=check_str(body.get("previous_response_id"), "previous_response_id"),
        instructions=instructions,
        metadata=metadata if isinstance(metadata, dict) else {},
        dropped=dropped,
        echo=echo,
    )


def previous_not_found(response_id: str) -> GatewayError:
    """OpenAI's error for an unknown ``previous_response_id``."""
    return GatewayError(
        400,
        f"Previous response with id '{response_id}' not found.",
        param="previous_response_id",
        code="previous_response_not_found",
    )


def output_items(response: CodexResponse) -> list[dict[str, Any]]:
    """The response's output items as OpenAI-shaped dicts (ids and statuses filled)."""
    items: list[dict[str, Any]] = []
    for item in response.output:
        wire = unstructure(item)
        if not isinstance(wire, dict):
            continue
        wire = dict(wire)
        kind = wire.get("type")
        if kind == "message":
            wire.setdefault("id", "msg_" + secrets.token_hex(12))
            wire.setdefault("status", "completed")
            wire.setdefault("content", [])
            wire.pop("phase", None)
        elif kind == "function_call":
            wire.setdefault("status", "completed")
        elif kind == "reasoning":
            wire.setdefault("id", "rs_" + secrets.token_hex(12))
            wire.setdefault("summary", [])
        items.append(wire)
    return items


def openai_usage(response: CodexResponse) -> dict[str, Any] | None:
    """The usage object OpenAI's ``Response`` carries."""
    usage = response.usage
    if usage is None:
        return None
    return {
        "input_tokens": usage.input_tokens,
        # cache_write_tokens: required by recent openai types; the backend does not report it.
        "input_tokens_details": {
            "cached_tokens": usage.input_tokens_details.cached_tokens,
            "cache_write_tokens": 0,
        },
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.output_tokens_details.reasoning_tokens},
        "total_tokens": usage.total_tokens or usage.input_tokens + usage.output_tokens,
    }


def openai_response(
    response: CodexResponse,
    request: ResponsesRequest,
    *,
    response_id: str,
    created_at: int,
    status: str | None = None,
    output: list[dict[str, Any]] | None = None,
    error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An OpenAI ``Response`` object for ``response`` (the accumulated one)."""
    incomplete = response.incomplete_details
    body: dict[str, Any] = {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "status": status or response.status or "completed",
        "error": error,
        "incomplete_details": {"reason": incomplete.reason} if incomplete is not None else None,
        "instructions": request.instructions,
        "metadata": request.metadata,
        "model": response.model or request.model,
        "output": output_items(response) if output is None else output,
        "previous_response_id": request.previous_response_id,
        "usage": openai_usage(response),
        **request.echo,
    }
    return body


class ResponsesStreamer:
    """Turns the events of one upstream stream into OpenAI-framed SSE frames."""

    def __init__(self, request: ResponsesRequest) -> None:
        self._request = request
        self._sequence = 0
        self.response_id = "resp_" + secrets.token_hex(24)
        self.created_at = int(time.time())
        self._created = False

    @property
    def started(self) -> bool:
        """Whether a frame was produced (the HTTP answer is committed)."""
        return self._sequence > 0

    def frame(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Number ``payload``."""
        payload["sequence_number"] = self._sequence
        self._sequence += 1
        return payload

    def _lifecycle(
        self, kind: str, response: CodexResponse, status: str, **extra: Any
    ) -> dict[str, Any]:
        body = openai_response(
            response,
            self._request,
            response_id=self.response_id,
            created_at=self.created_at,
            status=status,
            **extra,
        )
        return self.frame({"type": kind, "response": body})

    def feed(
        self, event: ResponseStreamEvent, snapshot: Callable[[], CodexResponse]
    ) -> list[dict[str, Any]]:
        """The frames for one upstream event; ``snapshot()`` is the response so far."""
        kind = type(event)
        if kind is ResponseOutputTextDeltaEvent and self._created:
            # Nearly every event of a stream: built by hand, not through the converter.
            assert isinstance(event, ResponseOutputTextDeltaEvent)
            return [
                self.frame(
                    {
                        "type": "response.output_text.delta",
                        "item_id": event.item_id or "",
                        "output_index": event.output_index,
                        "content_index": event.content_index,
                        "delta": event.delta,
                        "logprobs": [],
                    }
                )
            ]
        if kind is CodexRateLimitsEvent or kind is ResponseMetadataEvent:
            return []
        if kind is UnknownEvent:
            assert isinstance(event, UnknownEvent)
            if event.wire_type.startswith("codex."):  # the backend's own, not OpenAI's
                return []
            return [self.frame(dict(event.raw))]
        if kind in _LIFECYCLE:
            if kind is ResponseCreatedEvent:
                if self._created:
                    return []
                self._created = True
                return [self._lifecycle("response.created", snapshot(), "in_progress", output=[])]
            return [self._lifecycle("response.in_progress", snapshot(), "in_progress", output=[])]
        if kind in _TERMINAL:
            return []  # finish() sends the terminal event with the accumulated output
        out = []
        if not self._created:
            self._created = True
            out.append(self._lifecycle("response.created", snapshot(), "in_progress", output=[]))
        wire = unstructure(event)
        if not isinstance(wire, dict):
            return out
        wire = dict(wire)
        if kind is ResponseOutputTextDeltaEvent or kind is ResponseOutputTextDoneEvent:
            wire.setdefault("logprobs", [])
        if "item" in wire and isinstance(wire["item"], dict):
            item = dict(wire["item"])
            item.pop("phase", None)
            if item.get("type") == "message":
                item.setdefault("status", "in_progress")
            wire["item"] = item
        out.append(self.frame(wire))
        return out

    def finish(self, response: CodexResponse) -> list[dict[str, Any]]:
        """The terminal event, with the accumulated response."""
        out = []
        if not self._created:
            self._created = True
            out.append(self._lifecycle("response.created", response, "in_progress", output=[]))
        kind = "response.incomplete" if response.status == "incomplete" else "response.completed"
        out.append(self._lifecycle(kind, response, response.status or "completed"))
        return out

    def fail(self, response: CodexResponse, error: GatewayError) -> list[dict[str, Any]]:
        """An ``error`` event, then ``response.failed`` with the partial response."""
        out = [
            self.frame(
                {
                    "type": "error",
                    "code": error.code,
                    "message": error.message,
                    "param": error.param,
                }
            )
        ]
        out.append(
            self._lifecycle(
                "response.failed",
                response,
                "failed",
                error={"code": error.code or "server_error", "message": error.message},
            )
        )
        return out
