"""The public surface: exports, aliases, signatures shared by the sync and async clients."""

from __future__ import annotations

import inspect
import subprocess
import sys
import types

import codex_open_client as c
from codex_open_client._client import CREATE_PARAMS
from codex_open_client._request import build_responses_request


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
        "codex_open_client._oauth",
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
