"""The hand-written sync facade cannot drift from the async API it runs.

Every sync/async pair is found by name (a class ``AsyncX`` or ``_AsyncX`` of the package has
its twin ``X`` in ``_sync``; an exported coroutine function ``afunc`` has its twin ``func``),
so a new async class or method without a sync twin fails here. For each pair, every public
member (plus the protocol dunders) must exist on both sides, with the same kind, the same
signature (parameter names, kinds, defaults and annotations, every ``@overload`` too) and the
same docstring, once the async side's wording is turned into the sync one the way httpcore's
``unasync`` does it. The sync side is compared as it is written: a sync docstring that still
says ``await`` fails. Deliberate differences are listed below, each with its reason.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import re
import subprocess
import sys
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import codex_open_client as c
from codex_open_client import _sync
from codex_open_client.testing import FakeCodexServer, text_reply

from .conftest import Api
from .test_conversation import ask, is_compaction, usage

# --- Deliberate differences ------------------------------------------------------------------

#: Members of an async class with no sync twin.
ASYNC_ONLY: dict[tuple[str, str], str] = {
    # openai's and Jupyter users' habit: `await client.close()`. The sync close() is the twin
    # of aclose(), so there is nothing left for this alias to pair with.
    ("AsyncClient", "close"): "an alias of aclose()",
}

#: Members of a sync class with no async twin.
SYNC_ONLY: dict[tuple[str, str], str] = {}

#: Pairs whose constructors are compared: the ones users call. The other sync classes wrap
#: the async object their client hands them, so their ``__init__`` takes that object.
CONSTRUCTED_BY_USERS = {"Client"}

#: Docstrings that say something true of one side only ("" is the class's own docstring).
DOCSTRINGS_DIFFER: dict[tuple[str, str], str] = {
    # AsyncClient documents the constructor keywords; Client shows a `with` example and
    # points to help(AsyncClient) for them, and says where its event loop runs.
    ("Client", ""): "the sync client's loop and thread, and its example",
    # A property cannot await, so the async one never refreshes; the sync one can wait.
    ("Client", "token"): "only the sync property refreshes",
    # The sync close() also stops the client's event loop and thread.
    ("Client", "close"): "the loop and thread",
    # The sync copy shares the event loop as well.
    ("Client", "with_options"): "the shared event loop",
    # Only under the sync client do async tools run on another loop than the caller's.
    ("Responses", "run_tools"): "where sync and async tool functions run",
}

# --- The async wording and its sync twin (unasync's table) -------------------------------------

# The module functions' names (afinish_login -> finish_login, ...), filled in below.
_FUNCTION_TWINS: dict[str, str] = {}

_UNASYNC: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bawait\s+"), ""),
    (re.compile(r"\basync\s+(for|with|def)\b"), r"\1"),
    (re.compile(r"\baclose\b"), "close"),
    # "an ``AsyncResponseStream``" -> "a ``ResponseStream``" (no sync name starts with a vowel)
    (re.compile(r"\ban(\s+``|\s+)(_?)Async(?=[A-Z])"), r"a\1\2"),
    # AsyncClient -> Client, _AsyncStreamingContext -> _StreamingContext, AsyncIterator -> ...
    (re.compile(r"\b(_?)Async(?=[A-Z])"), r"\1"),
]

# `def f() -> Awaitable[T]` on the async side is `def f() -> T` on the sync side.
_COROUTINE_RETURN = re.compile(r"^(?:Awaitable\[|Coroutine\[Any,\s*Any,\s*)(.*)\]$")

#: Async member names and their sync twins; other names are the same on both sides.
MEMBER_TWINS = {
    "aclose": "close",
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "__aiter__": "__iter__",
    "__anext__": "__next__",
}

#: Dunders compared when a class defines them (others come from ``object`` or are internal).
PROTOCOL_DUNDERS = {
    "__aenter__",
    "__aexit__",
    "__aiter__",
    "__anext__",
    "__enter__",
    "__exit__",
    "__iter__",
    "__next__",
    "__call__",
    "__len__",
    "__bool__",
    "__contains__",
    "__getitem__",
    "__repr__",
    "__str__",
}


def unasync(text: str) -> str:
    """The async wording of a docstring or an annotation, in the sync one."""
    for pattern, replacement in _UNASYNC:
        text = pattern.sub(replacement, text)
    for async_name, sync_name in _FUNCTION_TWINS.items():
        text = re.sub(rf"\b{async_name}\b", sync_name, text)
    return text


def _paragraphs(doc: str | None) -> str:
    """A docstring with each paragraph on one line: the line breaks are the author's, free."""
    text = inspect.cleandoc(doc or "")
    return "\n\n".join(" ".join(part.split()) for part in re.split(r"\n\s*\n", text) if part)


def _annotation(annotation: object, *, is_async: bool) -> str:
    if annotation is inspect.Parameter.empty:
        return "-"
    text = annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)
    text = " ".join(text.split())
    if is_async:
        text = unasync(text)
    return text


def describe(func: Callable[..., Any], *, is_async: bool, returns: bool = True) -> list[str]:
    """Each parameter (kind, name, annotation, default) and the return annotation, as text."""
    signature = inspect.signature(func)
    lines = [
        f"{p.kind.name} {p.name}"
        # `self` is the class on each side, however it is annotated.
        + ("" if p.name == "self" else f": {_annotation(p.annotation, is_async=is_async)}")
        + ("" if p.default is inspect.Parameter.empty else f" = {p.default!r}")
        for p in signature.parameters.values()
    ]
    if returns:
        annotation = _annotation(signature.return_annotation, is_async=is_async)
        if is_async and not (inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func)):
            annotation = _COROUTINE_RETURN.sub(r"\1", annotation)
        lines.append(f"-> {annotation}")
    return lines


def _overloads(func: Callable[..., Any]) -> list[Callable[..., Any]]:
    # typing.get_overloads is Python 3.11+; on 3.10 only the implementations are compared.
    get_overloads = getattr(typing, "get_overloads", None)
    return [] if get_overloads is None else list(get_overloads(func))


def _kind(member: object) -> str:
    if isinstance(member, property):
        return "property"
    if isinstance(member, staticmethod):
        return "staticmethod"
    if isinstance(member, classmethod):
        return "classmethod"
    if inspect.isfunction(member):
        return "method"
    return type(member).__name__


def _members(cls: type) -> set[str]:
    names = {name for name in dir(cls) if not name.startswith("_")}
    for name in PROTOCOL_DUNDERS:
        if any(name in vars(base) for base in cls.__mro__ if base is not object):
            names.add(name)
    return names


def compare_functions(
    label: str, sync_func: Callable[..., Any], async_func: Callable[..., Any]
) -> list[str]:
    """What differs between a sync function (or method) and its async twin."""
    problems = []
    if inspect.iscoroutinefunction(sync_func) or inspect.isasyncgenfunction(sync_func):
        problems.append(f"{label}: the sync side is async")
    sync_sig = describe(sync_func, is_async=False)
    async_sig = describe(async_func, is_async=True)
    if sync_sig != async_sig:
        problems.append(f"{label}: signature {sync_sig} != async {async_sig}")
    sync_overloads = [describe(f, is_async=False) for f in _overloads(sync_func)]
    async_overloads = [describe(f, is_async=True) for f in _overloads(async_func)]
    if sync_overloads != async_overloads:
        problems.append(f"{label}: overloads {sync_overloads} != async {async_overloads}")
    return problems


def compare_docs(
    label: str, key: tuple[str, str], sync_obj: object, async_obj: object
) -> list[str]:
    """Whether two docstrings match once the async one is worded for sync (or differ on purpose)."""
    sync_doc = _paragraphs(getattr(sync_obj, "__doc__", None))
    async_doc = _paragraphs(unasync(getattr(async_obj, "__doc__", None) or ""))
    if key in DOCSTRINGS_DIFFER:
        if sync_doc == async_doc:
            return [f"{label}: docstrings match now; drop it from DOCSTRINGS_DIFFER"]
        return [] if sync_doc else [f"{label}: no sync docstring"]
    if sync_doc != async_doc:
        return [f"{label}: docstring\n  sync:  {sync_doc!r}\n  async: {async_doc!r}"]
    return []


def compare_classes(sync_cls: type, async_cls: type) -> list[str]:
    """Every difference between a sync class and its async twin that is not listed above."""
    sync_name = sync_cls.__name__
    problems = compare_docs(sync_name, (sync_name, ""), sync_cls, async_cls)
    if sync_name in CONSTRUCTED_BY_USERS:
        problems += compare_functions(
            f"{sync_name}.__init__", vars(sync_cls)["__init__"], vars(async_cls)["__init__"]
        )
    async_members = _members(async_cls)
    expected = set()
    for async_member in sorted(async_members):
        if (async_cls.__name__, async_member) in ASYNC_ONLY:
            continue
        member = MEMBER_TWINS.get(async_member, async_member)
        expected.add(member)
        label = f"{sync_name}.{member}"
        if not hasattr(sync_cls, member):
            problems.append(f"{label}: missing (the twin of {async_cls.__name__}.{async_member})")
            continue
        sync_static = inspect.getattr_static(sync_cls, member)
        async_static = inspect.getattr_static(async_cls, async_member)
        if _kind(sync_static) != _kind(async_static):
            problems.append(f"{label}: a {_kind(sync_static)}, async a {_kind(async_static)}")
            continue
        if isinstance(sync_static, property):
            assert isinstance(async_static, property)
            assert sync_static.fget is not None and async_static.fget is not None
            if (sync_static.fset is None) != (async_static.fset is None):
                problems.append(f"{label}: settable on one side only")
            sync_type = describe(sync_static.fget, is_async=False)[-1]
            async_type = describe(async_static.fget, is_async=True)[-1]
            if sync_type != async_type:
                problems.append(f"{label}: type {sync_type} != async {async_type}")
        elif callable(sync_static) or isinstance(sync_static, (staticmethod, classmethod)):
            problems += compare_functions(
                label, getattr(sync_cls, member), getattr(async_cls, async_member)
            )
        if not member.startswith("__"):
            problems += compare_docs(label, (sync_name, member), sync_static, async_static)
    for member in sorted(_members(sync_cls) - expected):
        if (sync_name, member) not in SYNC_ONLY:
            problems.append(f"{sync_name}.{member}: no async twin")
    return problems


# --- The pairs -------------------------------------------------------------------------------

_ASYNC_CLASS = re.compile(r"_?Async[A-Z]\w*")


def async_classes() -> dict[str, type]:
    """Every ``AsyncX``/``_AsyncX`` class defined in the package's modules, by name."""
    found: dict[str, type] = {}
    # The private modules and subpackages (_auth/); testing/ and gateway/ are not facades,
    # and __main__ is the CLI's entry.
    names = [
        info.name
        for info in pkgutil.walk_packages(c.__path__, "codex_open_client.")
        if info.name.split(".")[1].startswith("_") and not info.name.endswith("__main__")
    ]
    for name in names:
        module = importlib.import_module(name)
        for obj in vars(module).values():
            if (
                inspect.isclass(obj)
                and obj.__module__.startswith("codex_open_client")
                and _ASYNC_CLASS.fullmatch(obj.__name__)
            ):
                found[obj.__name__] = obj
    return found


def class_pairs() -> list[tuple[type | None, type]]:
    """Each async class and its sync twin (None when there is none)."""
    pairs: list[tuple[type | None, type]] = []
    for name, async_cls in sorted(async_classes().items()):
        pairs.append((getattr(_sync, name.replace("Async", "", 1), None), async_cls))
    return pairs


def function_pairs() -> list[tuple[str, str]]:
    """The exported coroutine functions and their sync twins' names."""
    return [
        (name, name[1:])
        for name in sorted(c.__all__)
        if inspect.iscoroutinefunction(getattr(c, name))
    ]


_FUNCTION_TWINS.update(function_pairs())


# --- The tests -------------------------------------------------------------------------------


def test_every_known_pair_is_found() -> None:
    """The pairs the facade has today are all found by name (so the search is not empty)."""
    found = {async_cls.__name__ for _, async_cls in class_pairs()}
    assert {
        "AsyncClient",
        "AsyncConversation",
        "AsyncModels",
        "AsyncResponseStream",
        "AsyncResponses",
        "AsyncResponsesWithRawResponse",
        "AsyncResponsesWithStreamingResponse",
        "AsyncStreamedRawResponse",
        "_AsyncStreamingContext",
    } <= found
    assert {"alogin", "astart_login", "afinish_login", "arefresh", "aget_token"} <= {
        name for name, _ in function_pairs()
    }


@pytest.mark.parametrize(
    ("sync_cls", "async_cls"), class_pairs(), ids=lambda cls: getattr(cls, "__name__", "")
)
def test_sync_class_matches_its_async_twin(sync_cls: type | None, async_cls: type) -> None:
    """Same members, kinds, signatures and (sync-worded) docstrings as the async class."""
    assert sync_cls is not None, f"{async_cls.__name__} has no sync twin in _sync"
    assert compare_classes(sync_cls, async_cls) == []


@pytest.mark.parametrize(("async_name", "sync_name"), function_pairs())
def test_sync_function_matches_its_async_twin(async_name: str, sync_name: str) -> None:
    """``login`` and ``alogin`` (and the others) have one signature and docstring."""
    assert sync_name in c.__all__, f"{async_name} has no exported sync twin {sync_name}"
    sync_func, async_func = getattr(c, sync_name), getattr(c, async_name)
    assert getattr(_sync, sync_name) is sync_func
    problems = compare_functions(sync_name, sync_func, async_func)
    problems += compare_docs(sync_name, ("", sync_name), sync_func, async_func)
    assert problems == []


def test_client_instance_attributes_match() -> None:
    """Attributes set on the instance (``responses``) exist on both, as twin types."""
    twins = {async_cls: sync_cls for sync_cls, async_cls in class_pairs() if sync_cls}
    client = c.Client(access_token="token", account_id="account")
    try:
        aclient = c.AsyncClient(access_token="token", account_id="account")
        sync_attrs = {n: type(v) for n, v in vars(client).items() if not n.startswith("_")}
        async_attrs = {n: type(v) for n, v in vars(aclient).items() if not n.startswith("_")}
        assert set(sync_attrs) == set(async_attrs) == {"responses"}
        for name, async_type in async_attrs.items():
            assert sync_attrs[name] is twins.get(async_type, async_type)
    finally:
        client.close()


def test_deliberate_differences_name_real_members() -> None:
    """Each listed difference names a pair and a member that exist (no stale entries)."""
    pairs = {
        sync_cls.__name__: (sync_cls, async_cls)
        for sync_cls, async_cls in class_pairs()
        if sync_cls
    }
    by_async = {async_cls.__name__: async_cls for _, async_cls in pairs.values()}
    for async_name, member in ASYNC_ONLY:
        assert hasattr(by_async[async_name], member)
    for sync_name, member in [*SYNC_ONLY, *DOCSTRINGS_DIFFER]:
        owner = pairs[sync_name][0] if sync_name else c  # "": a module function
        assert not member or hasattr(owner, member), (sync_name, member)
    assert set(pairs) >= CONSTRUCTED_BY_USERS


def test_a_conversation_stream_compacts_when_opened_on_both_clients(
    api: Api, server: FakeCodexServer
) -> None:
    """``conversation.stream()`` sends nothing, sync as async: a due compaction runs when the
    stream is opened (here by its first event), then the turn, as the docstrings say."""
    conversation = api.client.conversation(
        model="gpt-5.1-codex-mini", instructions="You are helpful.", auto_compact=1000
    )
    server.queue(text_reply("one", usage=usage(5000)))
    ask(api, conversation, "first")
    stream = conversation.stream("second")
    assert [is_compaction(r) for r in server.answered_requests] == [False]
    if api.mode == "sync":
        text = "".join(stream.text_deltas())
    else:

        async def read() -> str:
            return "".join([delta async for delta in stream.text_deltas()])

        text = api.run(read())
    assert text
    assert [is_compaction(r) for r in server.answered_requests] == [False, True, False]


# --- The comparison itself sees drift ----------------------------------------------------------


class _Stream:
    pass


class _AsyncStream:
    pass


class _AsyncThing:
    """Send it with ``async with thing:``, or ``await thing.send()``; an ``AsyncThing``."""

    @property
    def size(self) -> int:
        """How big."""
        return 0

    async def send(self, data: bytes, *, retries: int = 2) -> _AsyncStream:
        """Send ``data``; ``await thing.aclose()`` after."""
        return _AsyncStream()

    async def aclose(self) -> None:
        """Close it."""

    async def extra(self) -> None:
        """Only here."""


class _Thing:
    """Send it with ``with thing:``, or ``thing.send()``; a ``Thing``."""

    @property
    def size(self) -> int:
        """How big."""
        return 0

    def send(self, data: bytes, *, retries: int = 2) -> _Stream:
        """Send ``data``; ``thing.close()`` after."""
        return _Stream()

    def close(self) -> None:
        """Close it."""

    def extra(self) -> None:
        """Only here."""


def _drifted(**members: Any) -> type:
    members.setdefault("__doc__", _Thing.__doc__)
    return type("_Thing", (_Thing,), members)


def test_the_comparison_passes_twins_and_sees_each_kind_of_drift() -> None:
    """Twins pass; a changed default, annotation, kind, name, docstring, or a coroutine on
    the sync side, or a missing or extra member, each fail."""
    assert compare_classes(_Thing, _AsyncThing) == []

    def default(self: Any, data: bytes, *, retries: int = 3) -> _Stream:
        """Send ``data``; ``thing.close()`` after."""
        return _Stream()

    def annotation(self: Any, data: str, *, retries: int = 2) -> _Stream:
        """Send ``data``; ``thing.close()`` after."""
        return _Stream()

    def positional(self: Any, data: bytes, retries: int = 2) -> _Stream:
        """Send ``data``; ``thing.close()`` after."""
        return _Stream()

    def doc(self: Any, data: bytes, *, retries: int = 2) -> _Stream:
        """Send ``data``; ``await thing.close()`` after."""
        return _Stream()

    async def coroutine(self: Any, data: bytes, *, retries: int = 2) -> _Stream:
        """Send ``data``; ``thing.close()`` after."""
        return _Stream()

    for func in (default, annotation, positional, doc, coroutine):
        problems = compare_classes(_drifted(send=func), _AsyncThing)
        assert len(problems) == 1 and problems[0].startswith("_Thing.send:"), func.__name__
    assert compare_classes(_drifted(size=3), _AsyncThing) == [
        "_Thing.size: a int, async a property"
    ]
    assert compare_classes(_drifted(__doc__="Other."), _AsyncThing)[0].startswith("_Thing:")
    assert compare_classes(_drifted(more=lambda self: None), _AsyncThing) == [
        "_Thing.more: no async twin"
    ]
    missing = type("_Thing", (), {"__doc__": _Thing.__doc__, "size": _Thing.size})
    assert [p.split(":")[0] for p in compare_classes(missing, _AsyncThing)] == [
        "_Thing.close",
        "_Thing.extra",
        "_Thing.send",
    ]


# --- _Portal.call checks its arguments -----------------------------------------------------------

ROOT = Path(__file__).parent.parent

_PORTAL_CALLS = """
from codex_open_client._sync import Client, _Portal


async def fetch(url: str, retries: int) -> bytes:
    return b""


async def nothing() -> None:
    return None


portal = _Portal()
body: bytes = portal.call(fetch, "https://example.com", 2)
portal.call(nothing)
portal.call(fetch, "https://example.com", "2")  # ERROR
portal.call(fetch, "https://example.com")  # ERROR
portal.call(nothing, 1)  # ERROR
text: str = portal.call(fetch, "https://example.com", 2)  # ERROR
client = Client()
client._call(fetch, 1, 2)  # ERROR
"""


@pytest.mark.timeout(300)  # a cold mypy run takes 5-15 s here, more on a busy machine
def test_portal_calls_are_type_checked(tmp_path: Path) -> None:
    """``portal.call(func, *args)`` checks ``args`` (and the result) against ``func``."""
    source = tmp_path / "portal_calls.py"
    source.write_text(_PORTAL_CALLS, encoding="utf-8")
    expected = {n for n, line in enumerate(_PORTAL_CALLS.splitlines(), 1) if "# ERROR" in line}
    env = {**os.environ, "MYPYPATH": str(ROOT)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--follow-imports=silent",
            "--no-error-summary",
            "--cache-dir",
            str(tmp_path / "cache"),
            str(source),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    errors = {
        int(match.group(1))
        for match in re.finditer(r"portal_calls\.py:(\d+): error:", result.stdout)
    }
    assert errors == expected, result.stdout + result.stderr
