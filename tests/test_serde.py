"""The converter: every event type structures to its class; unknowns keep the raw dict."""

from __future__ import annotations

import typing

import attrs
import pytest
from hypothesis import given, settings, strategies as st

import codex_open_client as c
from codex_open_client._events import EVENT_CLASSES, _direct_delta_builder, structure_event
from codex_open_client._serde import converter, unstructure
from codex_open_client._wire import Wire

WIRE_TYPES = {
    "response.created", "response.in_progress", "response.completed", "response.failed",
    "response.incomplete", "response.output_item.added", "response.output_item.done",
    "response.content_part.added", "response.content_part.done", "response.output_text.delta",
    "response.output_text.done", "response.refusal.delta", "response.refusal.done",
    "response.function_call_arguments.delta",
    "response.function_call_arguments.done", "response.reasoning_summary_part.added",
    "response.reasoning_summary_part.done", "response.reasoning_summary_text.delta",
    "response.reasoning_summary_text.done", "response.reasoning_text.delta",
    "response.reasoning_text.done", "response.custom_tool_call_input.delta",
    "response.custom_tool_call_input.done", "response.metadata", "codex.rate_limits", "error",
}  # fmt: skip


def sample(cls: type[typing.Any]) -> dict[str, typing.Any]:
    """A minimal wire dict for an event class: its type plus its required fields."""
    data: dict[str, typing.Any] = {"type": attrs.fields_dict(cls)["type"].default}
    for field in attrs.fields(cls):
        if field.default is attrs.NOTHING:
            data[field.name] = (
                {"id": "resp_1", "output": []}
                if field.name == "response"
                else (
                    {"type": "message", "id": "msg_1", "content": []}
                    if field.name == "item"
                    else "x"
                )
            )
    return data


def test_every_backend_event_type_has_a_class() -> None:
    """Every event type of the wire reference (and the standard ones) has a class."""
    tags = {attrs.fields_dict(cls)["type"].default for cls in EVENT_CLASSES}
    assert tags == WIRE_TYPES


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda cls: cls.__name__)
def test_each_event_structures_to_its_class(cls: type[typing.Any]) -> None:
    """Each wire event becomes its own class, with type holding the wire string."""
    data = sample(cls)
    event = structure_event({**data, "sequence_number": 4, "unknown_future_field": 1})
    assert type(event) is cls
    assert not isinstance(event, c.UnknownEvent)  # (narrows: the others have sequence_number)
    assert event.type == data["type"]
    assert event.sequence_number == 4


def test_unknown_and_malformed_events_keep_the_raw_dict() -> None:
    """Unknown types and payloads that do not fit become UnknownEvent with the raw dict."""
    raw = {"type": "response.brand_new", "x": [1, 2]}
    assert structure_event(raw) == c.UnknownEvent(raw=raw)
    bad = {"type": "response.output_text.delta"}  # no delta
    assert structure_event(bad) == c.UnknownEvent(raw=bad)
    typeless = {"hello": 1}
    assert structure_event(typeless) == c.UnknownEvent(raw=typeless)


def _structure_union(data: dict[str, typing.Any], union: typing.Any) -> typing.Any:
    """``converter.structure`` into a union alias (cattrs types its target as ``type[T]``)."""
    return converter.structure(data, union)


def test_unknown_values_have_type_unknown_and_their_wire_type_apart() -> None:
    """type is "unknown" (so that comparing .type narrows); wire_type is what was sent."""
    event = structure_event({"type": "response.brand_new", "x": 1})
    assert (event.type, event.wire_type) == ("unknown", "response.brand_new")  # type: ignore[union-attr]
    assert structure_event({"hello": 1}).wire_type == ""  # type: ignore[union-attr]
    item = _structure_union({"type": "local_shell_call", "id": "x"}, c.OutputItem)
    assert (item.type, item.wire_type) == ("unknown", "local_shell_call")
    part = _structure_union({"type": "output_audio"}, c.OutputContent)
    assert (part.type, part.wire_type) == ("unknown", "output_audio")
    # The wire type as ``type=`` (how they were built before) is still accepted.
    legacy = c.UnknownItem(type="local_shell_call", raw={"type": "local_shell_call"})  # type: ignore[arg-type]
    assert legacy == c.UnknownItem(raw={"type": "local_shell_call"})
    assert legacy.type == "unknown"
    with pytest.raises(ValueError, match="type is always 'unknown'"):
        c.UnknownEvent(type="x", raw={"type": "y"})  # type: ignore[arg-type]


def test_rate_limits_event_is_typed() -> None:
    """codex.rate_limits becomes typed windows and credits."""
    event = structure_event(
        {
            "type": "codex.rate_limits",
            "plan_type": "plus",
            "rate_limits": {
                "allowed": True,
                "limit_reached": False,
                "primary": {"used_percent": 12.5, "window_minutes": 300, "reset_at": 1704069000},
            },
            "credits": {"has_credits": True, "unlimited": False, "balance": "$3.42"},
            "metered_limit_name": "codex",
        }
    )
    assert isinstance(event, c.CodexRateLimitsEvent)
    assert event.rate_limits is not None and event.rate_limits.primary is not None
    assert event.rate_limits.primary.used_percent == 12.5
    assert event.credits == c.CodexCredits(has_credits=True, unlimited=False, balance="$3.42")


@pytest.mark.parametrize(
    ("item", "cls"),
    [
        (
            {
                "type": "message",
                "id": "m",
                "role": "assistant",
                "content": [
                    {"type": "output_text", "text": "t", "annotations": []},
                    {"type": "refusal", "refusal": "no"},
                ],
            },
            c.ResponseOutputMessage,
        ),
        (
            {
                "type": "function_call",
                "id": "fc",
                "call_id": "c",
                "name": "f",
                "arguments": "{}",
                "status": "completed",
            },
            c.ResponseFunctionToolCall,
        ),
        (
            {
                "type": "custom_tool_call",
                "id": "ct",
                "call_id": "c",
                "name": "apply_patch",
                "input": "*** Begin",
            },
            c.ResponseCustomToolCall,
        ),
        (
            {
                "type": "reasoning",
                "id": "rs",
                "summary": [{"type": "summary_text", "text": "s"}],
                "content": [{"type": "reasoning_text", "text": "r"}],
                "encrypted_content": "gAAA",
            },
            c.ResponseReasoningItem,
        ),
        (
            {
                "type": "web_search_call",
                "id": "ws",
                "status": "completed",
                "action": {"type": "search", "query": "q"},
            },
            c.ResponseWebSearchCall,
        ),
        (
            {
                "type": "image_generation_call",
                "id": "ig",
                "status": "completed",
                "result": "aGk=",
                "revised_prompt": "p",
            },
            c.ResponseImageGenerationCall,
        ),
    ],
)
def test_output_items_round_trip(item: dict[str, typing.Any], cls: type[typing.Any]) -> None:
    """Output items structure to their class and unstructure back to the same wire dict."""
    event = structure_event({"type": "response.output_item.done", "output_index": 0, "item": item})
    assert isinstance(event, c.ResponseOutputItemDoneEvent)
    assert type(event.item) is cls
    assert unstructure(event.item) == item


def test_unknown_content_part_is_kept() -> None:
    """A content part of an unknown type is kept whole inside a known message."""
    part = {"type": "output_audio", "data": "..."}
    event = structure_event(
        {"type": "response.output_item.done", "item": {"type": "message", "content": [part]}}
    )
    assert isinstance(event, c.ResponseOutputItemDoneEvent)
    assert isinstance(event.item, c.ResponseOutputMessage)
    assert event.item.content == [c.UnknownContent(raw=part)]
    assert unstructure(event.item)["content"] == [part]


# ----------------------------------------------------------------------- direct delta builders

_DeltaEvent = (
    c.ResponseOutputTextDeltaEvent
    | c.ResponseReasoningSummaryTextDeltaEvent
    | c.ResponseReasoningTextDeltaEvent
)
_DELTA_CLASSES: dict[str, tuple[type[_DeltaEvent], str]] = {
    "response.output_text.delta": (c.ResponseOutputTextDeltaEvent, "content_index"),
    "response.reasoning_summary_text.delta": (
        c.ResponseReasoningSummaryTextDeltaEvent,
        "summary_index",
    ),
    "response.reasoning_text.delta": (c.ResponseReasoningTextDeltaEvent, "content_index"),
}
_ANY_JSON = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)


@st.composite
def delta_payloads(draw: st.DrawFn) -> dict[str, typing.Any]:
    """Delta events as the wire may bring them: mostly right, sometimes of the wrong shape."""
    tag = draw(st.sampled_from(sorted(_DELTA_CLASSES)))
    _, index_name = _DELTA_CLASSES[tag]
    data: dict[str, typing.Any] = {"type": tag}
    good: dict[str, st.SearchStrategy[typing.Any]] = {
        "delta": st.text(max_size=8),
        "item_id": st.one_of(st.none(), st.text(max_size=8)),
        "output_index": st.integers(0, 10**6),
        index_name: st.integers(0, 100),
        "sequence_number": st.one_of(st.none(), st.integers(0, 10**9)),
        "logprobs": st.just([]),
    }
    for name, values in good.items():
        presence = draw(st.sampled_from(["right", "right", "right", "missing", "wrong"]))
        if presence == "right":
            data[name] = draw(values)
        elif presence == "wrong":
            data[name] = draw(_ANY_JSON)
    return data


def _via_converter(data: dict[str, typing.Any]) -> typing.Any:
    """What the generic cattrs path gives (structure_event's rule without the shortcut)."""
    cls, _ = _DELTA_CLASSES[data["type"]]
    try:
        return converter.structure(data, cls)
    except Exception:
        return c.UnknownEvent(raw=data)


@settings(max_examples=250, deadline=None)
@given(delta_payloads())
def test_direct_delta_builders_give_exactly_what_the_converter_gives(
    data: dict[str, typing.Any],
) -> None:
    """Same class, same fields, same Unknown fallback: no validation is loosened."""
    direct = structure_event(data)
    expected = _via_converter(data)
    assert type(direct) is type(expected)
    assert direct == expected
    if not isinstance(direct, c.UnknownEvent):
        assert attrs.asdict(direct) == attrs.asdict(expected)
        assert hash(direct) == hash(expected)


def test_direct_delta_builders_refuse_classes_that_grew_an_init_step() -> None:
    """The shortcut skips __init__, so a validator on a delta class must stop it at import."""

    @attrs.frozen(kw_only=True)
    class Validated:
        delta: str = attrs.field(validator=attrs.validators.instance_of(str))
        item_id: str | None = None
        output_index: int = 0
        content_index: int = 0
        sequence_number: int | None = None
        type: str = "x.delta"

    with pytest.raises(TypeError, match="direct construction"):
        _direct_delta_builder(Validated, "content_index")


def test_direct_delta_builders_take_their_defaults_from_the_class() -> None:
    """A field's default changed on the class is the default of the shortcut too."""

    @attrs.frozen(kw_only=True)
    class Shifted(Wire):
        delta: str
        item_id: str | None = "item_0"
        output_index: int = 7
        content_index: int = 3
        sequence_number: int | None = None
        type: str = "x.delta"

    build = _direct_delta_builder(Shifted, "content_index")
    built = build({"type": "x.delta", "delta": "hi"})
    assert isinstance(built, Shifted)
    assert built == Shifted(delta="hi")
    assert (built.item_id, built.output_index, built.content_index) == ("item_0", 7, 3)
    assert built.to_dict() == {"type": "x.delta", "delta": "hi"}


@pytest.mark.parametrize("tag", sorted(_DELTA_CLASSES))
def test_direct_delta_builders_agree_with_the_class_defaults(tag: str) -> None:
    """A minimal delta built by the shortcut equals the class built with its own defaults."""
    cls, _ = _DELTA_CLASSES[tag]
    event = structure_event({"type": tag, "delta": "x"})
    assert type(event) is cls
    assert event == cls(delta="x")


@pytest.mark.parametrize(
    "union", [c.ResponseStreamEvent, c.OutputItem, c.OutputContent, c.InputItem, c.Tool]
)
def test_every_member_of_a_tagged_union_has_a_literal_type(union: typing.Any) -> None:
    """A ``type`` of plain ``str`` in a union would stop ``.type`` comparisons narrowing it."""
    members = [m for m in typing.get_args(union) if attrs.has(m)]
    assert members
    for member in members:
        attrs.resolve_types(member)
        kind = attrs.fields_dict(member)["type"]
        assert typing.get_origin(kind.type) is typing.Literal, member.__name__
        assert typing.get_args(kind.type) == (kind.default,), member.__name__
