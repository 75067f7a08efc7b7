"""The public surface: exports, aliases, signatures shared by the sync and async clients."""

from __future__ import annotations

import inspect
import pydoc
import subprocess
import sys
import types
import typing
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import codex_open_client as c
from codex_open_client._request import (
    CALL_PARAMS,
    CREATE_PARAMS,
    REQUIRED_PARAMS,
    build_responses_request,
)


def test_all_is_sorted_complete_and_public() -> None:
    """__all__ is sorted, every name exists, and public classes report the package module."""
    assert c.__all__ == sorted(c.__all__)
    for name in c.__all__:
        assert hasattr(c, name), name
    assert c.Client.__module__ == "codex_open_client"
    assert repr(c.Usage()).startswith("Usage(")
    public = {
        name
        for name, value in vars(c).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name not in {"annotations", "Any", "TYPE_CHECKING"}
    }
    assert public <= set(c.__all__), public - set(c.__all__)


def test_dir_lists_every_public_name_before_any_is_used() -> None:
    """dir() (and so completion) shows the lazily loaded names too, in a fresh interpreter."""
    code = (
        "import codex_open_client as c; names = dir(c); "
        "print(sorted(set(c.__all__) - set(names)), '__version__' in names, names == sorted(names))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]", "True", "True"]


def test_every_public_event_name_is_reachable_from_the_package() -> None:
    """A name added to the events module's __all__ cannot be forgotten in the lazy table."""
    from codex_open_client import _events

    assert set(_events.__all__) <= set(c._LAZY), set(_events.__all__) - set(c._LAZY)
    assert set(c._LAZY) <= set(c.__all__)


def test_warnings_live_with_the_exceptions() -> None:
    """UnsupportedImageDetailWarning is defined in _exceptions, exported as before."""
    from codex_open_client import _exceptions

    assert c.UnsupportedImageDetailWarning is _exceptions.UnsupportedImageDetailWarning
    assert "UnsupportedImageDetailWarning" in _exceptions.__all__
    assert issubclass(c.UnsupportedImageDetailWarning, UserWarning)
    assert c.UnsupportedImageDetailWarning.__module__ == "codex_open_client"
    assert "UnsupportedImageDetailWarning" in (_exceptions.__doc__ or "")


def test_aliases_and_version() -> None:
    """CodexClient and AsyncCodexClient are aliases; __version__ is the package version."""
    assert c.CodexClient is c.Client
    assert c.AsyncCodexClient is c.AsyncClient
    from importlib.metadata import version

    assert c.__version__ == version("codex-open-client")


def test_sync_and_async_constructors_match() -> None:
    """Client and AsyncClient take the same keywords."""
    sync = inspect.signature(c.Client.__init__).parameters
    async_ = inspect.signature(c.AsyncClient.__init__).parameters
    assert list(sync) == list(async_)
    assert [p.default for p in sync.values()] == [p.default for p in async_.values()]


def test_create_params_match_the_builder() -> None:
    """The keyword list of create() is exactly what the request builder takes (plus stream)."""
    builder = [p for p in inspect.signature(build_responses_request).parameters if p != "config"]
    assert sorted(CREATE_PARAMS) == sorted([*builder, "stream"])
    assert (*CREATE_PARAMS, "transport") == CALL_PARAMS


def test_params_types_are_runtime_classes_with_every_keyword() -> None:
    """ResponseCreateParams (and ToolRunParams) are importable TypedDicts whose keys are what
    create() takes besides stream=, with the right required keys even at runtime."""
    keys = set(c.ResponseCreateParams.__annotations__)
    assert keys == set(CALL_PARAMS) - {"stream"}
    assert set(c.ToolRunParams.__annotations__) == keys - {"tools"}
    assert c.ResponseCreateParams.__required_keys__ == set(REQUIRED_PARAMS)
    assert c.ToolRunParams.__required_keys__ == set(REQUIRED_PARAMS)
    assert typing.is_typeddict(c.ResponseCreateParams)
    assert c.ResponseCreateParams.__module__ == "codex_open_client"
    hints = typing.get_type_hints(c.ResponseCreateParams)  # the annotations resolve
    assert hints["max_retries"] == int | None
    params: c.ResponseCreateParams = {"model": "m", "instructions": "", "input": "Hi"}
    assert params == {"model": "m", "instructions": "", "input": "Hi"}


def _create_methods() -> Iterator[tuple[str, Callable[..., Any], set[str]]]:
    """(name, bound method, the keywords of the method's own) of both clients."""
    sync = c.Client(access_token="token", account_id="account")
    aclient = c.AsyncClient(access_token="token", account_id="account")
    try:
        for client in (sync, aclient):
            responses: Any = client.responses
            kind = type(client).__name__
            yield f"{kind}.responses.create", responses.create, {"stream"}
            yield f"{kind}.responses.stream", responses.stream, set()
            yield f"{kind}.responses.parse", responses.parse, {"text_format"}
            for variant in ("with_raw_response", "with_streaming_response"):
                wrapper = getattr(responses, variant)
                yield f"{kind}.responses.{variant}.create", wrapper.create, {"stream"}
                yield f"{kind}.responses.{variant}.parse", wrapper.parse, {"text_format"}
    finally:
        sync.close()


def test_help_lists_every_create_parameter() -> None:
    """help(client.responses.create) (stream, parse, and the raw-response variants, of both
    clients) shows each keyword of CREATE_PARAMS and transport= instead of **params."""
    seen = 0
    for name, method, own in _create_methods():
        expected = {*CALL_PARAMS, *own} - ({"stream"} - own)
        signature = inspect.signature(method)
        parameters = signature.parameters
        assert set(parameters) == expected, name
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters.values()), name
        assert [n for n in parameters if n in REQUIRED_PARAMS] == list(REQUIRED_PARAMS), name
        assert all(parameters[n].default is inspect.Parameter.empty for n in REQUIRED_PARAMS)
        optional = expected - set(REQUIRED_PARAMS) - own
        assert all(parameters[n].default is None for n in optional), name
        assert parameters["max_retries"].annotation == "int | None", name
        first_line = pydoc.plain(pydoc.render_doc(method)).splitlines()[2]
        assert "**params" not in first_line, name
        for keyword in expected:
            assert f"{keyword}: " in first_line, (name, keyword)
        assert (method.__doc__ or "").strip(), name  # the docstring is still there
        seen += 1
    assert seen == 14


def test_create_keyword_errors_still_name_the_fix() -> None:
    """The spelled-out signature is only shown: a missing or unknown keyword still gets the
    message with its fix, not Python's own."""
    with c.Client(access_token="token", account_id="account") as client:
        with pytest.raises(TypeError, match="missing required keyword argument 'input'"):
            client.responses.stream(model="m", instructions="")  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="the Codex backend rejects it"):
            client.responses.stream(  # type: ignore[call-arg]
                model="m", instructions="", input="x", temperature=1
            )


def test_methods_match() -> None:
    """The sync classes offer the same public methods as the async ones."""
    pairs = [
        (c.Client, c.AsyncClient),
        (c.Responses, c.AsyncResponses),
        (c.ResponseStream, c.AsyncResponseStream),
        (c.Models, c.AsyncModels),
        (c.Conversation, c.AsyncConversation),
    ]
    for sync_cls, async_cls in pairs:
        sync_names = {n for n in dir(sync_cls) if not n.startswith("_")}
        async_names = {n for n in dir(async_cls) if not n.startswith("_")}
        if "aclose" in async_names:
            # sync close() is async aclose(); AsyncClient.close() is an alias of aclose()
            # (openai's and Jupyter users' habit), with no sync twin of its own.
            async_names.discard("close")
        assert {"aclose" if n == "close" else n for n in sync_names} == async_names


def test_import_does_not_load_aiohttp_or_pydantic() -> None:
    """Importing the package stays light: aiohttp is loaded on first request; no pydantic."""
    code = (
        "import sys, codex_open_client; print('aiohttp' in sys.modules, 'pydantic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_import_does_not_load_streams_or_the_loop_thread() -> None:
    """Events, the stream, OAuth (and asyncio), WebSocket code and anyio's portal load with the
    first stream or sign-in."""
    lazy = [
        "codex_open_client._events",
        "codex_open_client._stream",
        "codex_open_client._accumulate",
        "codex_open_client._auth._oauth",
        "codex_open_client._websocket",
        "codex_open_client._wsproto",
        "asyncio",
        "anyio.from_thread",
    ]
    code = f"import sys, codex_open_client; print([m for m in {lazy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    # ... and asking for an event class loads it, already published under the package.
    code = "import codex_open_client as c; print(c.ResponseCompletedEvent.__module__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "codex_open_client"


def test_every_public_name_has_a_docstring() -> None:
    """help(codex_open_client.X) explains every public class, function, method and property."""
    import inspect

    missing = []
    for name in c.__all__:
        obj = getattr(c, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        if not (obj.__doc__ or "").strip():
            missing.append(name)
        if inspect.isclass(obj):
            for attr, value in vars(obj).items():
                member = value.fget if isinstance(value, property) else value
                if attr.startswith("_") or not (inspect.isfunction(member) or callable(member)):
                    continue
                if not (getattr(member, "__doc__", "") or "").strip():
                    missing.append(f"{name}.{attr}")
    assert missing == []
