"""Serialisation: ``to_dict()``, ``to_json()`` and ``from_dict()`` of every model and event.

``to_dict()`` is the wire shape: exactly what the backend sent for a parsed object (unknown
fields kept), the request form for an object built in Python. ``from_dict(to_dict(x)) == x``.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given, settings, strategies as st

import codex_open_client as c
from codex_open_client._events import EVENT_CLASSES, structure_event
from codex_open_client._request import build_input
from codex_open_client._wire import Wire
from codex_open_client.testing import FakeCodexServer, text_reply, tool_call_reply
from tests.conftest import Api

# JSON values the backend might add in a field this version does not know.
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)
_TEXT = st.text(max_size=8)
_ID = st.none() | st.text(min_size=1, max_size=6)


def _extra(known: set[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Fields this version does not model (never one of ``known``)."""
    return st.dictionaries(
        st.sampled_from(["logprobs", "object", "zz_new", "meta", "obfuscation"]).filter(
            lambda key: key not in known
        ),
        _JSON,
        max_size=2,
    )


@st.composite
def wire_content(draw: st.DrawFn) -> dict[str, Any]:
    """A content part as the backend sends it: known kinds, unknown kinds, extra fields."""
    kind = draw(st.sampled_from(["output_text", "refusal", "output_audio"]))
    part: dict[str, Any] = {"type": kind}
    if kind == "output_text":
        part["text"] = draw(_TEXT)
        if draw(st.booleans()):
            part["annotations"] = draw(st.lists(_JSON, max_size=2))
    elif kind == "refusal":
        part["refusal"] = draw(_TEXT)
    else:
        part["data"] = draw(_TEXT)
    return {**part, **draw(_extra(set(part) | {"annotations"}))}


@st.composite
def wire_item(draw: st.DrawFn) -> dict[str, Any]:
    """An output item as the backend sends it, optional fields present or not."""
    kind = draw(
        st.sampled_from(["message", "function_call", "reasoning", "local_shell_call", "oops"])
    )
    item: dict[str, Any] = {"type": kind}
    if kind == "message":
        item["content"] = draw(st.lists(wire_content(), max_size=3))
        item["role"] = "assistant"
    elif kind == "function_call":
        item.update(call_id=draw(_TEXT), name=draw(_TEXT), arguments=draw(_TEXT))
    elif kind == "reasoning":
        item["summary"] = [
            {"type": "summary_text", "text": text} for text in draw(st.lists(_TEXT, max_size=2))
        ]
        if draw(st.booleans()):
            item["encrypted_content"] = draw(_TEXT)
    elif kind == "local_shell_call":
        item["action"] = draw(_JSON)
    else:  # a known type whose payload does not fit: kept whole as an UnknownItem
        item["type"] = "function_call"
        item["call_id"] = 7
    for key in ("id", "status"):
        if draw(st.booleans()):
            item[key] = draw(_ID)
    return {**item, **draw(_extra(set(item) | {"id", "status", "arguments", "summary"}))}


@st.composite
def wire_response(draw: st.DrawFn) -> dict[str, Any]:
    """A response object as the backend sends it (the fields it has, unknown ones too)."""
    data: dict[str, Any] = {"id": draw(_TEXT), "output": draw(st.lists(wire_item(), max_size=4))}
    if draw(st.booleans()):
        data["created_at"] = draw(st.integers(0, 2**40) | st.floats(0, 2**40))
    if draw(st.booleans()):
        data["status"] = draw(st.sampled_from(["completed", "failed", "incomplete", None]))
    if draw(st.booleans()):
        data["model"] = draw(_TEXT)
    if draw(st.booleans()):
        data["usage"] = {
            "input_tokens": draw(st.integers(0, 10**6)),
            "output_tokens": draw(st.integers(0, 10**6)),
            "total_tokens": draw(st.integers(0, 10**6)),
            "input_tokens_details": {"cached_tokens": draw(st.integers(0, 10**6))},
            **draw(_extra(set())),
        }
    if draw(st.booleans()):
        data["error"] = draw(st.none() | st.builds(lambda m: {"code": "x", "message": m}, _TEXT))
    if draw(st.booleans()):
        data["incomplete_details"] = draw(st.none() | st.just({"reason": "max_output_tokens"}))
    data.update(draw(st.dictionaries(st.sampled_from(["object", "tools", "instructions"]), _JSON)))
    return data


@settings(max_examples=100, deadline=None)
@given(wire_response())
def test_a_parsed_response_gives_back_exactly_what_was_sent(data: dict[str, Any]) -> None:
    """to_dict() is the dict parsed, unknown fields and items kept; from_dict() inverts it."""
    response = c.Response.from_dict(data)
    assert response.to_dict() == data
    assert json.loads(response.to_json()) == data
    assert json.loads(response.to_json(indent=2)) == data
    again = c.Response.from_dict(response.to_dict())
    assert again == response
    assert again.to_dict() == data


_PARTS = st.one_of(
    st.builds(c.OutputText, text=_TEXT, annotations=st.lists(_JSON, max_size=2)),
    st.builds(c.ResponseOutputRefusal, refusal=_TEXT),
    st.builds(c.UnknownContent, raw=st.builds(lambda d: {"type": "output_audio", "d": d}, _TEXT)),
)
_ITEMS = st.one_of(
    st.builds(c.ResponseOutputMessage, id=_ID, content=st.lists(_PARTS, max_size=3), status=_ID),
    st.builds(
        c.ResponseFunctionToolCall,
        call_id=_TEXT,
        name=_TEXT,
        arguments=_TEXT,
        id=_ID,
        namespace=_ID,
    ),
    st.builds(c.ResponseCustomToolCall, call_id=_TEXT, name=_TEXT, input=_TEXT, id=_ID),
    st.builds(
        c.ResponseReasoningItem,
        id=_ID,
        summary=st.lists(st.builds(c.ReasoningSummary, text=_TEXT), max_size=2),
        content=st.none() | st.lists(st.builds(c.ReasoningText, text=_TEXT), max_size=2),
        encrypted_content=_ID,
    ),
    st.builds(c.ResponseWebSearchCall, id=_ID, action=st.none() | st.just({"type": "search"})),
    st.builds(c.ResponseImageGenerationCall, id=_ID, result=_ID, revised_prompt=_ID),
    st.builds(c.UnknownItem, raw=st.builds(lambda v: {"type": "local_shell_call", "v": v}, _JSON)),
)
_RESPONSES = st.builds(
    c.Response,
    id=_ID,
    model=_ID,
    output=st.lists(_ITEMS, max_size=4),
    status=st.none() | st.sampled_from(["completed", "failed", "incomplete"]),
    usage=st.none()
    | st.builds(
        c.Usage,
        input_tokens=st.integers(0, 10**6),
        output_tokens=st.integers(0, 10**6),
        total_tokens=st.integers(0, 10**6),
        input_tokens_details=st.builds(c.InputTokensDetails, cached_tokens=st.integers(0, 99)),
        output_tokens_details=st.builds(c.OutputTokensDetails, reasoning_tokens=st.integers(0, 9)),
    ),
    error=st.none() | st.builds(c.ResponseError, code=_ID, message=_TEXT),
    incomplete_details=st.none() | st.builds(c.IncompleteDetails, reason=_ID),
    created_at=st.none() | st.floats(0, 2**40),
)


@settings(max_examples=100, deadline=None)
@given(_RESPONSES)
def test_a_response_built_in_python_round_trips(response: c.Response) -> None:
    """from_dict(to_dict(x)) == x and the JSON text parses back to the same dict."""
    data = response.to_dict()
    assert c.Response.from_dict(data) == response
    assert json.loads(response.to_json()) == data
    assert json.loads(json.dumps(data)) == data
    # The same dict a request would carry for the items (to_dict uses the converter).
    for item, wire in zip(response.output, data["output"], strict=True):
        assert wire == (item.raw if isinstance(item, c.UnknownItem) else item.to_dict())


def _event_sample(cls: type[Any], draw: st.DrawFn) -> dict[str, Any]:
    data: dict[str, Any] = {"type": attrs.fields_dict(cls)["type"].default}
    for field in attrs.fields(cls):
        if field.name == "type":
            continue
        required = field.default is attrs.NOTHING
        if not required and not draw(st.booleans()):
            continue
        if field.name == "response":
            data[field.name] = draw(wire_response())
        elif field.name == "item":
            data[field.name] = draw(wire_item())
        elif field.name == "part":
            data[field.name] = draw(st.none() | wire_content())
        elif "index" in field.name or field.name == "sequence_number":
            data[field.name] = draw(st.integers(0, 10**6))
        elif field.name in ("headers", "metadata"):
            data[field.name] = draw(st.none() | st.dictionaries(_TEXT, _JSON, max_size=2))
        elif field.name in ("rate_limits", "credits"):
            data[field.name] = draw(st.none() | st.just({"primary": {"used_percent": 4}}))
        else:
            data[field.name] = draw(st.none() | _TEXT) if not required else draw(_TEXT)
    if cls is c.ResponseReasoningSummaryPartAddedEvent and data.get("part") is not None:
        data["part"] = {"type": "summary_text", "text": "x"}
    if cls is c.ResponseReasoningSummaryPartDoneEvent and data.get("part") is not None:
        data["part"] = {"type": "summary_text", "text": "y"}
    return {**data, **draw(_extra(set(data)))}


@st.composite
def wire_event(draw: st.DrawFn) -> dict[str, Any]:
    """Any event the backend sends, unknown fields included, or an event of an unknown type."""
    cls = draw(st.sampled_from([*EVENT_CLASSES, None]))
    if cls is None:
        return {"type": "response.brand_new", "payload": draw(_JSON)}
    return _event_sample(cls, draw)


@settings(max_examples=120, deadline=None)
@given(wire_event())
def test_a_parsed_event_gives_back_exactly_what_was_sent(data: dict[str, Any]) -> None:
    """Every event class (and UnknownEvent): to_dict() is the payload, from_dict() inverts it."""
    event = structure_event(data)
    assert event.to_dict() == data
    assert json.loads(event.to_json()) == data
    assert c.event_from_dict(event.to_dict()) == event
    assert type(event).from_dict(event.to_dict()) == event


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda cls: cls.__name__)
def test_an_event_built_in_python_round_trips(cls: type[Any]) -> None:
    """Events built in Python have a wire dict too: type first, None left out."""
    required = {
        field.name: (
            c.Response(id="r")
            if field.name == "response"
            else c.ResponseFunctionToolCall(call_id="c", name="f")
            if field.name == "item"
            else "x"
        )
        for field in attrs.fields(cls)
        if field.default is attrs.NOTHING
    }
    event = cls(**required, sequence_number=3)
    data = event.to_dict()
    assert next(iter(data)) == "type"
    assert data["type"] == event.type
    assert None not in data.values()
    assert cls.from_dict(data) == event
    assert c.event_from_dict(data) == event


def test_unknown_values_are_their_raw_dict() -> None:
    """Unknown events, items and parts serialise as what was sent; type is always 'unknown'."""
    raw = {"type": "response.brand_new", "x": [1, {"y": None}]}
    event = c.event_from_dict(raw)
    assert isinstance(event, c.UnknownEvent)
    assert event.type == "unknown"
    assert event.wire_type == "response.brand_new"
    assert event.to_dict() == raw
    item = c.UnknownItem.from_dict({"type": "local_shell_call", "id": "x"})
    assert (item.type, item.wire_type) == ("unknown", "local_shell_call")
    assert item.to_json() == '{"type":"local_shell_call","id":"x"}'
    part = c.UnknownContent(raw={"type": "output_audio"})
    assert c.UnknownContent.from_dict(part.to_dict()) == part
    assert c.UnknownContent(raw={}).wire_type == ""


def test_to_dict_is_a_new_dict_each_time() -> None:
    """Changing what to_dict() returned changes neither the object nor the caller's dict."""
    data: dict[str, Any] = {
        "id": "r",
        "output": [{"type": "message", "content": [], "extra": {"a": [1]}}],
    }
    response = c.Response.from_dict(data)
    data["output"][0]["extra"]["a"].append(2)  # from_dict copied it
    first = response.to_dict()
    first["output"][0]["extra"]["a"].append(3)
    first["id"] = "changed"
    assert response.to_dict() == {
        "id": "r",
        "output": [{"type": "message", "content": [], "extra": {"a": [1]}}],
    }


def test_an_evolved_response_keeps_unknown_fields_and_shows_its_changes() -> None:
    """attrs.evolve keeps the source of a Response: changed fields win, the rest is kept."""
    data = {
        "id": "r",
        "object": "response",
        "created_at": 1700000000,
        "status": "in_progress",
        "error": None,
        "output": [],
        "tools": [{"type": "function", "name": "f"}],
    }
    response = c.Response.from_dict(data)
    assert response.created_at == 1700000000.0
    assert response.to_dict() == data  # 1700000000 stays an int
    message = c.ResponseOutputMessage(content=[c.OutputText(text="hi")])
    done = attrs.evolve(response, status="completed", output=[message], error=None)
    assert done.to_dict() == {
        **data,
        "status": "completed",
        "output": [message.to_dict()],
    }
    cleared = attrs.evolve(response, status=None, usage=c.Usage(input_tokens=2))
    assert "status" not in cleared.to_dict()
    assert cleared.to_dict()["usage"]["input_tokens"] == 2
    assert c.Response.from_dict(done.to_dict()) == done


def test_from_dict_refuses_what_does_not_fit() -> None:
    """Not a mapping: TypeError; another type's dict or a missing field: ValueError."""
    with pytest.raises(TypeError, match=r"Response.from_dict\(\) takes a dict, got list"):
        c.Response.from_dict([])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'function_call', not 'message'"):
        c.ResponseOutputMessage.from_dict({"type": "function_call"})
    with pytest.raises(ValueError, match=r"ResponseFunctionToolCall\.from_dict"):
        c.ResponseFunctionToolCall.from_dict({"type": "function_call", "name": "f"})
    with pytest.raises(TypeError, match="event_from_dict"):
        c.event_from_dict("{}")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="indent"):
        c.Response().to_json(indent="  ")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="type is always 'unknown'"):
        c.UnknownItem(type="other", raw={"type": "local_shell_call"})  # type: ignore[arg-type]


# Not wire models: credentials (secrets, never dumped by accident), the account read from
# them, and results wrapping a Response with Python values (serialise their .response).
NOT_WIRE = {"Account", "Credentials", "ParsedResponse", "ToolRunResult"}


def test_every_public_model_and_event_serialises() -> None:
    """Every public attrs class has to_dict, to_json and from_dict."""
    classes = [
        getattr(c, name)
        for name in c.__all__
        if isinstance(getattr(c, name), type) and attrs.has(getattr(c, name))
    ]
    assert len(classes) > 60
    missing = [cls.__name__ for cls in classes if not issubclass(cls, Wire)]
    assert sorted(missing) == sorted(NOT_WIRE)


def test_rate_limits_and_usage_round_trip() -> None:
    """Rate-limit snapshots: times as ISO 8601 strings, read back equal."""
    reset = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    window = c.RateLimitWindow(used_percent=40.0, window_minutes=300, resets_at=reset)
    limits = c.RateLimits(
        primary=window,
        families={"codex": c.RateLimitFamily(limit_id="codex", primary=window)},
        credits=c.Credits(has_credits=True, balance="3"),
        plan_type="plus",
    )
    data = limits.to_dict()
    assert data["primary"] == {
        "used_percent": 40.0,
        "window_minutes": 300,
        "resets_at": "2026-01-02T03:04:05+00:00",
    }
    assert c.RateLimits.from_dict(json.loads(limits.to_json())) == limits
    assert c.RateLimits.from_dict(data).primary.resets_in(reset) == timedelta(0)  # type: ignore[union-attr]
    usage = c.AccountUsage(plan_type="pro", primary=window, raw={"plan_type": "pro", "z": 1})
    assert c.AccountUsage.from_dict(usage.to_dict()) == usage


def test_catalog_models_round_trip() -> None:
    """A catalog model's to_dict() is its entry as sent; from_dict() reads an entry."""
    entry = {
        "slug": "gpt-5",
        "display_name": "GPT-5",
        "supported_reasoning_levels": [{"effort": "low", "description": "fast"}],
        "something_new": {"a": 1},
    }
    model = c.Model.from_dict(entry)
    assert model.reasoning_levels == ["low"]
    assert model.to_dict() == entry
    assert c.Model.from_dict(model.to_dict()) == model
    built = c.Model(slug="x", reasoning_levels=["high"])
    again = c.Model.from_dict(built.to_dict())
    assert (again.slug, again.reasoning_levels) == ("x", ["high"])
    with pytest.raises(ValueError, match=r"Model\.from_dict"):
        c.Model.from_dict({"display_name": "no slug"})


def test_parsed_items_go_back_as_input_without_their_unknown_fields() -> None:
    """to_dict() keeps what the backend sent; a request still sends the known fields only."""
    sent = {
        "type": "message",
        "id": "msg_1",
        "role": "assistant",
        "content": [{"type": "output_text", "text": "hi", "annotations": [], "logprobs": []}],
        "zz": 1,
    }
    message = c.ResponseOutputMessage.from_dict(sent)
    assert message.to_dict() == sent
    (wire,) = build_input([message])
    assert "zz" not in wire
    assert "logprobs" not in wire["content"][0]
    unknown = c.UnknownItem.from_dict({"type": "local_shell_call", "id": "x"})
    assert build_input([unknown]) == [{"type": "local_shell_call", "id": "x"}]


def test_a_streamed_response_and_its_events_serialise_as_sent(
    api: Api, server: FakeCodexServer
) -> None:
    """Over a real socket: each event's to_dict() is the payload sent; the final response
    keeps the terminal response's unknown fields and gets its items from the stream."""
    model = "gpt-5.1-codex-mini"  # the request's: the fake fills it in otherwise
    reply = text_reply("Hello there", model=model).insert(
        {"type": "response.brand_new", "payload": {"x": 1}}, after=2
    )
    sent = [step for step in reply.steps if isinstance(step, dict)]
    server.queue(reply)
    events, final = api.stream()
    dicts = [event.to_dict() for event in events]
    # The fake numbers the events as it sends them; the rest is the reply's payloads.
    assert [d.pop("sequence_number") for d in dicts] == list(range(len(sent)))
    assert dicts == sent
    data = final.to_dict()
    completed = next(e for e in sent if e["type"] == "response.completed")["response"]
    assert {key: data[key] for key in completed if key != "output"} == {
        key: value for key, value in completed.items() if key != "output"
    }
    assert data["object"] == "response"
    done = [e["item"] for e in sent if e["type"] == "response.output_item.done"]
    assert data["output"] == done
    assert json.loads(json.dumps(data)) == data
    assert c.Response.from_dict(data) == final
    assert c.Response.from_dict(json.loads(final.to_json())).output_text == "Hello there"


def test_a_streamed_tool_call_round_trips(api: Api, server: FakeCodexServer) -> None:
    """A function call of a stream survives to_json() and from_dict()."""
    server.queue(tool_call_reply("get_weather", {"city": "Paris"}))
    _, final = api.stream()
    again = c.Response.from_dict(json.loads(final.to_json()))
    assert again == final
    assert again.tool_calls[0].parsed_arguments() == {"city": "Paris"}
