"""Every request parameter through both clients, and the ones the backend refuses."""

from __future__ import annotations

import pytest

import codex_open_client as c
from codex_open_client.testing import FakeCodexServer

from .conftest import Api


@pytest.mark.parametrize("effort", ["none", "minimal", "low", "medium", "high", "xhigh"])
def test_every_reasoning_effort(api: Api, server: FakeCodexServer, effort: str) -> None:
    api.create(reasoning=c.Reasoning(effort=effort))  # type: ignore[arg-type]
    assert server.requests[-1].json["reasoning"] == {"effort": effort}


@pytest.mark.parametrize("summary", ["auto", "concise", "detailed", "none"])
def test_every_reasoning_summary(api: Api, server: FakeCodexServer, summary: str) -> None:
    api.create(reasoning={"effort": "low", "summary": summary})
    sent = {"effort": "low"} if summary == "none" else {"effort": "low", "summary": summary}
    assert server.requests[-1].json["reasoning"] == sent  # the CLI omits summary "none"


def test_the_other_parameters_reach_the_wire(api: Api, server: FakeCodexServer) -> None:
    api.create(
        service_tier="flex",
        include=["reasoning.encrypted_content"],
        prompt_cache_key="cache-1",
        text=c.TextConfig(verbosity="high"),
        parallel_tool_calls=False,
        timeout=30,
    )
    body = server.requests[-1].json
    assert body["service_tier"] == "flex"
    assert body["include"] == ["reasoning.encrypted_content"]
    assert body["prompt_cache_key"] == "cache-1"
    assert body["text"] == {"verbosity": "high"}
    api.create(service_tier="fast")  # the CLI's name for the priority tier
    assert server.requests[-1].json["service_tier"] == "priority"
    with pytest.raises(ValueError, match="service_tier"):
        api.create(service_tier="turbo")
    with pytest.raises(ValueError, match="verbosity"):
        api.create(text=c.TextConfig(verbosity="loud"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name", ["max_output_tokens", "temperature", "top_p", "previous_response_id", "metadata"]
)
def test_refused_parameters_never_leave(api: Api, server: FakeCodexServer, name: str) -> None:
    with pytest.raises(TypeError, match=f"'{name}': the Codex backend rejects it"):
        api.create(**{name: 1})
    assert server.requests == []


def test_text_formats(api: Api, server: FakeCodexServer) -> None:
    api.create(text=c.TextConfig(format=c.ResponseFormatText(), verbosity="medium"))
    assert server.requests[-1].json["text"] == {"format": {"type": "text"}, "verbosity": "medium"}
    api.create(text=c.TextConfig(format=c.ResponseFormatJsonObject()))
    assert server.requests[-1].json["text"] == {"format": {"type": "json_object"}}


def test_reasoning_content_only_comes_back_when_asked(api: Api, server: FakeCodexServer) -> None:
    """The fake, like the backend, sends encrypted_content only for include=[...encrypted...];
    without it the reasoning cannot be replayed and is left out of the next request."""
    from codex_open_client.testing import message, reasoning, reply

    server.queue(reply(reasoning(["hm"], encrypted_content="enc"), message("a")))
    first = api.create(include=[])
    (item,) = [i for i in first.output if isinstance(i, c.ResponseReasoningItem)]
    assert item.encrypted_content is None
    api.create(input=[*first.output, c.InputMessage(role="user", content="next")])
    assert [i["type"] for i in server.requests[-1].json["input"]] == ["message", "message"]


@pytest.mark.parametrize(
    ("kwargs", "where"),
    [
        pytest.param({"input": "\ud800"}, "input", id="input"),
        pytest.param({"instructions": "Be \udcff brief."}, "instructions", id="instructions"),
        pytest.param(
            {"input": [c.InputMessage(role="user", content=[c.InputText(text="a\ud800")])]},
            r"input\[0\]\.content\[0\]\.text",
            id="message-part",
        ),
        pytest.param(
            {"tools": [c.FunctionTool(name="f", description="\ud800", strict=False)]},
            r"tools\[0\]\.description",
            id="tool-description",
        ),
    ],
)
def test_a_lone_surrogate_never_leaves(
    api: Api, server: FakeCodexServer, kwargs: dict[str, object], where: str
) -> None:
    """A ValueError naming the argument, from create(), stream() and a conversation turn;
    the server receives nothing, and the client goes on working."""
    pattern = rf"^{where} contains a lone surrogate \('\\ud[89a-f][0-9a-f]{{2}}'\) at position"
    with pytest.raises(ValueError, match=pattern):
        api.create(**kwargs)
    with pytest.raises(ValueError, match=pattern):
        api.text(**kwargs)
    if "input" in kwargs:
        conversation = api.client.conversation(model="gpt-5.1-codex-mini", instructions="")
        # A turn's string is a message of the history by then.
        with pytest.raises(ValueError, match=r"^input\[0\]\.content\[0\]\.text contains a lone"):
            result = conversation.ask(kwargs["input"])
            if api.mode == "async":
                api.run(result)
        assert conversation.history == []
    assert server.requests == []
    assert api.create().output_text  # nothing is left broken
