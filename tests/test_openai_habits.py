"""openai-python habits: with_raw_response, with_streaming_response, with_options, extra_*,
``AsyncClient.close()``, ``Model.id``; both clients, checked at the fake backend."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

import codex_open_client as c
from codex_open_client.testing import FakeCodexServer, http_error, text_reply

from .conftest import BASE, Api
from .test_client import _client_connections


class Person(pydantic.BaseModel):
    name: str
    age: int


def _raw_create(api: Api, **kwargs: Any) -> Any:
    params = {**BASE, **kwargs}
    if api.mode == "sync":
        return api.sync.responses.with_raw_response.create(**params)
    return api.run(api.aclient.responses.with_raw_response.create(**params))


def _events(api: Api, stream: Any) -> list[Any]:
    if api.mode == "sync":
        with stream:
            return list(stream)

    async def go() -> list[Any]:
        async with stream:
            return [event async for event in stream]

    return api.run(go())  # type: ignore[no-any-return]


def test_with_raw_response_create(api: Api, server: FakeCodexServer) -> None:
    """The HTTP answer (status, headers, request id, URL, method, retries) and .parse()."""
    server.queue(text_reply("raw hello"))
    raw = _raw_create(api)
    assert isinstance(raw, c.RawResponse)
    assert raw.status_code == 200
    assert raw.method == "POST"
    assert raw.url == f"{server.url}/responses"
    assert raw.request_id == raw.headers["X-Request-Id"] == raw.headers["x-request-id"]
    assert raw.retries_taken == 0
    response = raw.parse()
    assert isinstance(response, c.Response)
    assert response.output_text == "raw hello"
    assert raw.parse() is response
    assert "200" in repr(raw)


def test_with_raw_response_create_streamed(api: Api, server: FakeCodexServer) -> None:
    """With stream=True, .parse() is the stream itself, ready to iterate."""
    server.queue(text_reply("streamed raw"))
    raw = _raw_create(api, stream=True)
    assert raw.status_code == 200
    stream = raw.parse()
    expected = c.ResponseStream if api.mode == "sync" else c.AsyncResponseStream
    assert isinstance(stream, expected)
    events = _events(api, stream)
    assert isinstance(events[-1], c.ResponseCompletedEvent)
    assert raw.headers["x-request-id"]


def test_with_raw_response_retries_taken(make_api: Any, server: FakeCodexServer) -> None:
    """retries_taken counts the retries made before the answer."""
    for mode in ("sync", "async"):
        server.clear()
        api = make_api(mode, max_retries=1)
        server.queue(
            http_error(500, {"detail": "boom"}, headers={"Retry-After": "0"}), text_reply("second")
        )
        raw = _raw_create(api)
        assert raw.retries_taken == 1
        assert raw.parse().output_text == "second"


def test_with_raw_response_parse(api: Api, server: FakeCodexServer) -> None:
    """responses.with_raw_response.parse(): .parse() gives the ParsedResponse."""
    params = {**BASE, "text_format": Person}
    if api.mode == "sync":
        raw = api.sync.responses.with_raw_response.parse(**params)
    else:
        raw = api.run(api.aclient.responses.with_raw_response.parse(**params))
    assert raw.status_code == 200
    parsed = raw.parse()
    assert isinstance(parsed.output_parsed, Person)
    assert server.requests[-1].json["text"]["format"]["type"] == "json_schema"


def test_with_streaming_response_create(api: Api, server: FakeCodexServer) -> None:
    """A context manager: headers on entry, the body read by .parse(), closed on exit."""
    server.queue(text_reply("streaming raw"))
    if api.mode == "sync":
        with api.sync.responses.with_streaming_response.create(**BASE) as raw:
            assert isinstance(raw, c.StreamedRawResponse)
            request_id = raw.headers["x-request-id"]  # known before the body is read
            response = raw.parse()
    else:

        async def go() -> tuple[str, c.Response, Any]:
            async with api.aclient.responses.with_streaming_response.create(**BASE) as raw:
                assert isinstance(raw, c.AsyncStreamedRawResponse)
                request_id = raw.headers["x-request-id"]  # known before the body is read
                return request_id, await raw.parse(), raw

        request_id, response, raw = api.run(go())
    assert request_id
    assert raw.status_code == 200
    assert raw.request_id == request_id
    assert response.output_text == "streaming raw"


def test_with_streaming_response_create_streamed(api: Api, server: FakeCodexServer) -> None:
    """With stream=True, .parse() gives the stream to iterate inside the block."""
    server.queue(text_reply("one two"))
    if api.mode == "sync":
        with api.sync.responses.with_streaming_response.create(stream=True, **BASE) as raw:
            deltas = list(raw.parse().text_deltas())
    else:

        async def go() -> list[str]:
            streaming = api.aclient.responses.with_streaming_response
            async with streaming.create(stream=True, **BASE) as raw:
                stream = await raw.parse()
                return [delta async for delta in stream.text_deltas()]

        deltas = api.run(go())
    assert "".join(deltas) == "one two"


def test_with_streaming_response_parse_and_errors(api: Api, server: FakeCodexServer) -> None:
    """parse() through the streaming wrapper; an HTTP error raises on entering the block."""
    if api.mode == "sync":
        with api.sync.responses.with_streaming_response.parse(text_format=Person, **BASE) as raw:
            parsed = raw.parse()
        server.queue(http_error(400, {"detail": "bad"}))
        with (
            pytest.raises(c.InvalidRequestError),
            api.sync.responses.with_streaming_response.create(**BASE),
        ):
            pass
    else:

        async def go() -> Any:
            streaming = api.aclient.responses.with_streaming_response
            async with streaming.parse(text_format=Person, **BASE) as raw:
                result = await raw.parse()
            server.queue(http_error(400, {"detail": "bad"}))
            with pytest.raises(c.InvalidRequestError):
                async with streaming.create(**BASE):
                    pass
            return result

        parsed = api.run(go())
    assert isinstance(parsed.output_parsed, Person)


def test_with_options_changes_the_defaults_of_a_copy(api: Api, server: FakeCodexServer) -> None:
    """max_retries and default_headers of the copy apply to its calls only."""
    copy = api.client.with_options(max_retries=1, default_headers={"X-Copy": "yes"})
    assert isinstance(copy, type(api.client))
    assert copy.session_id == api.client.session_id
    server.queue(
        http_error(500, {"detail": "boom"}, headers={"Retry-After": "0"}), text_reply("retried")
    )
    if api.mode == "sync":
        assert copy.responses.create(**BASE).output_text == "retried"
    else:
        assert api.run(copy.responses.create(**BASE)).output_text == "retried"
    assert [r.headers.get("X-Copy") for r in server.requests] == ["yes", "yes"]
    server.queue(http_error(500, {"detail": "boom"}, headers={"Retry-After": "0"}))
    with pytest.raises(c.ServerError):
        api.create()  # the original keeps max_retries=0
    assert "X-Copy" not in server.requests[-1].headers
    assert len(server.requests) == 3


def test_with_options_timeout(api: Api, server: FakeCodexServer) -> None:
    """The copy's timeout bounds its waits; the original's is unchanged."""
    copy = api.client.with_options(timeout=0.2)
    server.queue(text_reply("late").delayed(1.0), text_reply("on time").delayed(0.3))
    with pytest.raises(c.APITimeoutError):
        if api.mode == "sync":
            copy.responses.create(**BASE)
        else:
            api.run(copy.responses.create(**BASE))
    assert api.create().output_text == "on time"


def test_with_options_shares_the_pool_and_closing_the_copy_keeps_it(
    api: Api, server: FakeCodexServer
) -> None:
    """The copy talks over the original's connection; closing the copy closes only the copy;
    closing the original closes the copies too."""
    copy = api.client.with_options(max_retries=0)
    server.queue(text_reply("original"), text_reply("copy"), text_reply("after"))
    assert api.create().output_text == "original"
    connections = _client_connections(server.port)
    assert len(connections) == 1

    def run(value: Any) -> Any:
        return value if api.mode == "sync" else api.run(value)

    assert run(copy.responses.create(**BASE)).output_text == "copy"
    assert _client_connections(server.port) == connections
    run(copy.close())
    with pytest.raises(RuntimeError, match="closed"):
        run(copy.responses.create(**BASE))
    assert api.create().output_text == "after"
    assert _client_connections(server.port) == connections
    other = api.client.with_options(max_retries=0)
    api.close()
    with pytest.raises(RuntimeError, match="with_options"):
        run(other.responses.create(**BASE))
    assert len(server.requests) == 3


@pytest.mark.parametrize("method", ["create", "stream", "parse"])
def test_extra_headers_query_and_body_reach_the_server(
    api: Api, server: FakeCodexServer, method: str
) -> None:
    """Passed through unchecked: headers replace the client's (any case), None leaves one out,
    the query joins the URL, the body keys are merged last."""
    extras = {
        "extra_headers": {"X-Custom": "1", "ORIGINATOR": "my_app", "session_id": None},
        "extra_query": {"debug": True, "n": 2},
        "extra_body": {"prompt_cache_key": "mine", "new_field": {"a": [1, 2]}},
    }
    params = {**BASE, **extras}
    if method == "create":
        api.create(**extras)
    elif method == "stream":
        api.text(**extras)
    elif api.mode == "sync":
        api.sync.responses.parse(text_format=Person, **params)
    else:
        api.run(api.aclient.responses.parse(text_format=Person, **params))
    request = server.requests[-1]
    assert request.headers["X-Custom"] == "1"
    assert request.headers.getall("originator") == ["my_app"]
    assert "session_id" not in request.headers
    assert request.headers["session-id"] == api.client.session_id
    assert request.query == {"debug": "true", "n": "2"}
    assert request.json["prompt_cache_key"] == "mine"
    assert request.json["new_field"] == {"a": [1, 2]}
    assert request.json["model"] == BASE["model"]


@pytest.mark.parametrize("name", ["Authorization", "authorization", "ChatGPT-Account-Id"])
def test_extra_headers_cannot_replace_the_credentials(
    api: Api, server: FakeCodexServer, name: str
) -> None:
    """A credential header in extra_headers is a ValueError before anything is sent (it would
    replace the client's, refreshed, credentials in silence)."""
    with pytest.raises(ValueError, match=f"extra_headers cannot set '{name}'.*access_token="):
        api.create(extra_headers={name: "Bearer mine"})
    assert server.requests == []


def test_extra_arguments_of_the_wrong_type(api: Api, server: FakeCodexServer) -> None:
    """Wrong shapes are named before anything is sent."""
    with pytest.raises(TypeError, match="extra_headers"):
        api.create(extra_headers={"X-Number": 1})
    with pytest.raises(TypeError, match="extra_query"):
        api.create(extra_query=["a"])
    with pytest.raises(TypeError, match="extra_body"):
        api.create(extra_body="{}")
    with pytest.raises(ValueError, match="extra_headers"):
        api.create(extra_headers={"X-Line": "a\nb"})
    assert server.requests == []


def test_extra_body_can_replace_the_input(api: Api, server: FakeCodexServer) -> None:
    """Merged last: even input can be replaced, and is sent as given."""
    item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "x"}]}
    api.create(extra_body={"input": [item]})
    assert server.requests[-1].json["input"] == [item]


def test_async_close_is_an_awaitable_alias_of_aclose(server: FakeCodexServer) -> None:
    """await client.close(), as typed in notebooks: closed, idempotent, like aclose()."""
    import asyncio

    async def main() -> None:
        client = c.AsyncClient(
            access_token=server.access_token, account_id=server.account_id, base_url=server.url
        )
        assert (await client.responses.create(**BASE)).output_text
        await client.close()
        await client.close()
        with pytest.raises(RuntimeError, match="closed"):
            await client.responses.create(**BASE)

    asyncio.run(main())


def test_model_id_is_the_slug(api: Api, server: FakeCodexServer) -> None:
    """model.id, as in openai-python, is the catalog slug."""
    models = api.call("models.list")
    assert models
    assert [model.id for model in models] == [model.slug for model in models]
