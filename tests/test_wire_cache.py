"""The wire form of frozen models is computed once: the cache is invisible and always right."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import pickle
import re
import types
import typing
from typing import Any

import attrs
import pytest
from hypothesis import given, settings, strategies as st

import codex_open_client as c
from codex_open_client import _models
from codex_open_client._request import (
    ClientConfig,
    Request,
    build_input,
    build_responses_request,
    wire_of,
)
from codex_open_client._serde import unstructure
from codex_open_client.testing import (
    FakeCodexServer,
    function_call,
    message,
    reasoning,
    reply,
    text_reply,
)

from .conftest import BASE, Api

CONFIG = ClientConfig(session_id="sess-1")
MODELS = sorted(
    (
        cls
        for cls in vars(_models).values()
        if isinstance(cls, type) and issubclass(cls, _models._Model) and attrs.has(cls)
    ),
    key=lambda cls: cls.__name__,
)
INPUT_MODELS = [cls for cls in typing.get_args(c.InputItem) if attrs.has(cls)]

# ------------------------------------------------------------------- strategies

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


def strategy(kind: Any) -> st.SearchStrategy[Any]:
    """Values of a model field's type, every optional field filled in (Any is JSON)."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if kind is Any:
        return _JSON
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(strategy(arg) for arg in args))
    if origin is list:
        return st.lists(strategy(args[0]), max_size=3)
    if origin is dict:
        return st.dictionaries(st.text(max_size=5), strategy(args[1]), max_size=3)
    if kind is float:
        return st.floats(allow_nan=False)  # NaN is not equal to itself
    if attrs.has(kind):
        return model(kind)
    return st.from_type(kind)


def model(cls: type[Any]) -> st.SearchStrategy[Any]:
    attrs.resolve_types(cls)
    fields = {f.name: strategy(f.type) for f in attrs.fields(cls) if f.init and f.name != "type"}
    if cls is c.InputMessage:
        parts = st.text(max_size=4) | model(c.InputText) | model(c.InputImage) | _JSON
        fields["content"] = st.text(max_size=8) | st.lists(parts, max_size=3)
    if cls in (c.UnknownItem, _models.UnknownContent):
        fields["raw"] = st.dictionaries(st.text(max_size=5), _JSON, max_size=3).map(
            lambda raw: {**raw, "type": "some_new_type"}
        )
    return st.builds(cls, **fields)


# ------------------------------------------------------------------- the cache itself


@pytest.mark.parametrize("cls", MODELS, ids=lambda cls: cls.__name__)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_the_kept_wire_dict_is_the_converters(cls: type[Any], data: st.DataObject) -> None:
    """For every model: the wire dict kept on it is what cattrs makes of it, computed once."""
    item = data.draw(model(cls))
    first = wire_of(item)
    assert first == unstructure(item)
    assert wire_of(item) is first  # kept, not computed again
    twin = copy.copy(item)  # equal, but a new instance: computes its own
    assert twin == item
    assert wire_of(twin) == first
    if cls not in (c.UnknownItem, _models.UnknownContent):  # those are their raw dict
        assert wire_of(twin) is not first


@pytest.mark.parametrize("cls", INPUT_MODELS, ids=lambda cls: cls.__name__)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_a_typed_item_is_sent_as_its_wire_dict_would_be(
    cls: type[Any], data: st.DataObject
) -> None:
    """A typed item goes out exactly like the converter's dict of it given as a dict, on the
    first request and on every later one (from the kept form)."""
    item = data.draw(model(cls))
    try:
        expected = [item.raw] if cls is c.UnknownItem else build_input([unstructure(item)])
    except (TypeError, ValueError) as exc:  # refused alike, every time
        for _ in range(2):
            with pytest.raises(type(exc)) as info:
                build_input([item])
            assert str(info.value) == str(exc)
        return
    assert build_input([item]) == expected
    assert build_input([item]) == expected
    assert build_input([item, item]) == expected * 2


@settings(max_examples=150, deadline=None)
@given(
    history=st.lists(
        st.one_of(*(model(cls) for cls in INPUT_MODELS))
        | st.one_of(*(model(cls) for cls in INPUT_MODELS)).map(unstructure)  # as dicts
        | st.builds(
            lambda text, role: {"role": role, "content": text},
            st.text(max_size=8),
            st.sampled_from(["user", "assistant", "system"]),
        )
        | st.builds(
            lambda call_id, output: {
                "type": "function_call_output",
                "call_id": call_id,
                "output": output,
            },
            st.text(max_size=4),
            st.text(max_size=8),
        ),
        max_size=8,
    )
)
def test_a_body_is_its_json_whatever_mix_of_kept_and_new_items(history: list[Any]) -> None:
    """Typed items' bytes are encoded once and spliced in; the body is still exactly the JSON
    of the request's dict, on the first turn and on later ones with more items."""
    for turn in (history, [*history, c.InputMessage(role="user", content="next")], history):
        with contextlib.suppress(TypeError, ValueError):  # a refused item: nothing to encode
            request = build_responses_request(CONFIG, model="m", instructions="", input=turn)
            assert (
                request.body
                == json.dumps(request.json, ensure_ascii=False, separators=(",", ":")).encode()
            )


def test_the_cache_stays_out_of_repr_equality_hashing_pickling_and_the_converter() -> None:
    call = c.ResponseFunctionToolCall(call_id="c1", name="f", arguments="{}", id="fc_1")
    fresh = c.ResponseFunctionToolCall(call_id="c1", name="f", arguments="{}", id="fc_1")
    before = (repr(call), hash(call), unstructure(call), attrs.asdict(call))
    build_input([call])
    assert wire_of(call) is wire_of(call)
    assert (repr(call), hash(call), unstructure(call), attrs.asdict(call)) == before
    assert call == fresh and hash(call) == hash(fresh)
    assert [f.name for f in attrs.fields(type(call))] == [
        "call_id", "name", "arguments", "id", "namespace", "status", "type",
    ]  # fmt: skip
    for clone in (pickle.loads(pickle.dumps(call)), copy.copy(call), copy.deepcopy(call)):
        assert clone == call
        assert not any(hasattr(clone, name) for name in ("_encoded", "_sent", "_wire"))
    assert not hasattr(fresh, "_sent")  # nothing is computed before it is needed
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        call._sent = None


def test_an_evolved_item_computes_its_own_wire_dict() -> None:
    item = c.ResponseReasoningItem(id="rs_1", encrypted_content="enc-old")
    assert build_input([item])[0]["encrypted_content"] == "enc-old"
    evolved = attrs.evolve(item, encrypted_content="enc-new")
    assert not any(hasattr(evolved, name) for name in ("_encoded", "_sent", "_wire"))
    assert build_input([evolved])[0]["encrypted_content"] == "enc-new"
    for version, text in ((item, b"enc-old"), (evolved, b"enc-new"), (item, b"enc-old")):
        body = build_responses_request(CONFIG, model="m", instructions="", input=[version]).body
        assert body is not None and text in body
    assert wire_of(evolved)["encrypted_content"] == "enc-new"
    assert build_input([attrs.evolve(item, encrypted_content=None)]) == []  # left out
    assert build_input([item])[0]["encrypted_content"] == "enc-old"

    message_item = c.InputMessage(role="user", content="old")
    build_input([message_item])
    renamed = attrs.evolve(message_item, role="system", content="new")
    assert build_input([renamed]) == [
        {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "new"}]}
    ]


def test_a_bad_typed_item_is_refused_every_time() -> None:
    """Only a good outcome is kept: a refused item is refused again, with its own index."""
    bad = c.FunctionCallOutput(call_id="c1", output=3)  # type: ignore[arg-type]
    for index in (0, 1):
        with pytest.raises(TypeError, match=rf"input\[{index}\]\.output must be a string"):
            build_input([c.InputMessage(role="user", content="x")] * index + [bad])
    assert not hasattr(bad, "_sent")


def test_the_same_items_in_two_requests_give_independent_bodies() -> None:
    """Each body gets its own item dicts: changing one body changes neither the other nor
    what the items keep (and so nor the next request)."""
    history: list[Any] = [
        c.InputMessage(role="system", content="Be brief."),
        c.ResponseReasoningItem(
            id="rs_1", summary=[c.ReasoningSummary(text="hm")], encrypted_content="enc"
        ),
        c.ResponseOutputMessage(id="msg_1", content=[c.OutputText(text="Hi")]),
        c.ResponseFunctionToolCall(call_id="c1", name="f", arguments="{}"),
        c.FunctionCallOutput(call_id="c1", output="42"),
        c.UnknownItem(raw={"type": "local_shell_call", "id": "x"}),
    ]
    tool = c.FunctionTool(
        name="f", parameters={"type": "object", "properties": {}, "additionalProperties": False}
    )
    params: dict[str, Any] = {
        "model": "m",
        "instructions": "",
        "input": history,
        "tools": [tool],
        "reasoning": c.Reasoning(effort="low", summary="none"),
        "text": c.TextConfig(format=c.ResponseFormatJsonObject(), verbosity="low"),
    }
    one = build_responses_request(CONFIG, **params)
    two = build_responses_request(CONFIG, **params)
    assert one.json is not None and two.json is not None
    assert one.json == two.json and one.body == two.body
    pristine = copy.deepcopy(two.json)
    sent = one.body
    for key in ("input", "tools"):
        for mine, theirs in zip(one.json[key], two.json[key], strict=True):
            assert mine is not theirs
            mine.clear()
            mine["type"] = "changed"
    one.json["reasoning"]["effort"] = "high"
    one.json["text"].clear()
    assert two.json == pristine
    assert one.body == sent  # the bytes were encoded when the request was built
    again = build_responses_request(CONFIG, **params)
    assert again.json == pristine and again.body == sent
    assert [wire_of(item) for item in history] == [unstructure(item) for item in history]


def test_the_callers_dicts_are_never_changed() -> None:
    part = {"type": "input_text", "text": "hello"}
    items: list[Any] = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [part, "and more"]},
        {"type": "message", "role": "assistant", "content": "Hi"},
        {"type": "reasoning", "id": "rs_1", "summary": []},  # left out: nothing to replay
        {"type": "function_call_output", "call_id": "c1", "output": "42"},
    ]
    tools: list[Any] = [{"type": "function", "name": "f", "parameters": {}, "strict": False}]
    reasoning_config = {"effort": "low", "summary": "none"}
    snapshot = copy.deepcopy((items, tools, reasoning_config))
    request = build_responses_request(
        CONFIG, model="m", instructions="", input=items, tools=tools, reasoning=reasoning_config
    )
    assert request.json is not None
    assert (items, tools, reasoning_config) == snapshot
    body_items = request.json["input"]
    assert [i["role"] for i in body_items if i["type"] == "message"] == [
        "developer", "user", "assistant",
    ]  # fmt: skip
    assert all(sent is not given for sent in body_items for given in items)
    assert request.json["tools"][0] is not tools[0]
    assert request.json["reasoning"] == {"effort": "low"}  # "none" left out of the copy only
    for item in body_items:
        item.clear()
    assert (items, tools, reasoning_config) == snapshot


def test_request_body_is_its_json_encoded() -> None:
    request = build_responses_request(CONFIG, model="m", instructions="", input="héllo ☃")
    assert request.json is not None and request.body is not None
    assert request.body.decode("utf-8").count("héllo ☃") == 1  # UTF-8, not \u escapes
    assert json.loads(request.body) == request.json
    assert (
        request.body == json.dumps(request.json, ensure_ascii=False, separators=(",", ":")).encode()
    )
    # A request built by hand gets its body from its json too.
    built = Request(method="POST", url="u", headers={}, json={"a": 1}, timeout=1, max_retries=0)
    assert built.body == b'{"a":1}'
    assert Request(method="GET", url="u", headers={}, timeout=1, max_retries=0).body is None


def test_a_turn_converts_only_its_new_items(api: Api, server: FakeCodexServer) -> None:
    """Turn after turn, the history's items keep the wire dicts of their first turn."""
    server.queue(
        reply(reasoning(["a"], encrypted_content="enc-1"), message("one")),
        reply(function_call("lookup", {"key": "k"}, call_id="c1")),
        text_reply("three"),
    )
    tool = c.FunctionTool.from_function(lookup)
    conversation = api.client.conversation(
        model="gpt-5.1-codex-mini", instructions="", tools=[tool]
    )
    kept: dict[int, Any] = {}
    for text in ("first", "second", "third"):
        result = conversation.ask(text)
        if api.mode == "async":
            api.run(result)
        for item in [*conversation.history, tool]:
            if id(item) in kept:
                assert item._sent is kept[id(item)]  # not converted again
            elif hasattr(item, "_sent"):
                kept[id(item)] = item._sent
    # Every item sent at least once kept its form; only the last answer was never sent.
    assert len(kept) == 1 + len(conversation.history) - 1
    sent = [r.json for r in server.requests if r.path.endswith("/responses")]
    assert len(sent[-1]["input"]) == len(conversation.history) - 1


# ------------------------------------------------------------------- byte-identical bodies

_IDS = re.compile(rb'"((?:msg|rs|fc|ctc|ws)_[0-9a-f]{48}|call_[0-9a-f]{24})"')


def normalized(server: FakeCodexServer, session_id: str) -> list[bytes]:
    """The bodies as sent, with the fake's random item ids and the session id made stable."""
    names: dict[bytes, bytes] = {}

    def rename(match: re.Match[bytes]) -> bytes:
        return b'"%s"' % names.setdefault(match.group(1), b"id-%d" % len(names))

    return [
        _IDS.sub(rename, r.body).replace(session_id.encode(), b"SESSION")
        for r in server.requests
        if r.path.endswith("/responses")
    ]


def lookup(key: str) -> str:
    """Look a key up.

    Args:
        key: The key.
    """
    return f"value of {key}"


def conversation_scenario(api: Api, server: FakeCodexServer) -> list[bytes]:
    server.queue(
        reply(reasoning(["**Name** noted"], encrypted_content="enc-1"), message("Hi Alice!")),
        reply(function_call("lookup", {"key": "é/ü"}, call_id="c1")),
        text_reply("It is 42 ☃."),
    )
    conversation = api.client.conversation(
        model="gpt-5.1-codex-mini",
        instructions="You are helpful.",
        reasoning=c.Reasoning(effort="low", summary="auto"),
        text=c.TextConfig(verbosity="low"),
        tools=[c.FunctionTool.from_function(lookup)],
    )
    turns: list[Any] = [
        "My name is Alice.",
        [
            c.InputMessage(role="system", content=[c.InputText(text="Be nice.")]),
            {"role": "user", "content": "Look up é/ü."},
        ],
        [c.FunctionCallOutput(call_id="c1", output="42"), "Thanks!"],
    ]
    for turn in turns:
        if not isinstance(turn, str):
            turn = [
                c.InputMessage(role="user", content=t) if isinstance(t, str) else t for t in turn
            ]
        result = conversation.ask(turn)
        if api.mode == "async":
            api.run(result)
    return normalized(server, conversation.session_id)


def run_tools_scenario(api: Api, server: FakeCodexServer) -> list[bytes]:
    server.queue(
        reply(
            reasoning(["Two lookups"], encrypted_content="enc-tools"),
            function_call("lookup", {"key": "a"}, call_id="c1"),
            function_call("lookup", {"key": "b"}, call_id="c2"),
        ),
        reply(function_call("lookup", {"key": "c"}, call_id="c3")),
        text_reply("All done."),
    )
    api.call(
        "responses.run_tools",
        **{
            **BASE,
            "input": [
                c.InputMessage(role="user", content="Go"),
                {"role": "user", "content": "Now."},
            ],
        },
        tools=[lookup, {"type": "web_search"}],
        tool_choice="required",
    )
    return normalized(server, api.client.session_id)


# The bodies these scenarios sent before history items kept their wire form (commit 7322c15,
# which encoded with json.dumps in the transport): length and sha256 prefix of each.
CONVERSATION_BODIES = [
    (574, "be3d1103cc283fa682e94ab2e996d09a"),
    (1018, "54050c6933f6e1eb767dadef2404a84e"),
    (1286, "4691b5399befacb3d3d241b1b71ea514"),
]
RUN_TOOLS_BODIES = [
    (614, "6041abf38a5c095b6d5befced4adbc1e"),
    (1108, "fce6e5e50885c0ca733abd9cf2676566"),
    (1296, "ddf6a25c3f440718d634d0c7c0a46db9"),
]


def fingerprints(bodies: list[bytes]) -> list[tuple[int, str]]:
    return [(len(body), hashlib.sha256(body).hexdigest()[:32]) for body in bodies]


def test_conversation_bodies_are_byte_identical_to_before(
    api: Api, server: FakeCodexServer
) -> None:
    bodies = conversation_scenario(api, server)
    assert fingerprints(bodies) == CONVERSATION_BODIES, b"\n".join(bodies).decode()


def test_run_tools_bodies_are_byte_identical_to_before(api: Api, server: FakeCodexServer) -> None:
    bodies = run_tools_scenario(api, server)
    assert fingerprints(bodies) == RUN_TOOLS_BODIES, b"\n".join(bodies).decode()
