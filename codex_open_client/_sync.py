"""The sync facade: ``Client`` runs ``AsyncClient``'s coroutines on one private event loop.

The loop lives in an anyio blocking portal on a daemon thread that the client owns, started on
first use (constructing a client does no I/O and starts no thread). Every method is a thin call
through that portal, so no request, retry or parsing logic exists twice.
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import os
import sys
import threading
import warnings
import weakref
from collections.abc import Awaitable, Callable, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar, overload

from anyio.from_thread import BlockingPortal, start_blocking_portal

from ._auth import LoginHandler, afinish_login, aget_token, alogin, arefresh, astart_login
from ._client import AsyncClient, AsyncResponses
from ._events import ResponseOutputTextDeltaEvent, ResponseStreamEvent
from ._models import InputItem, Response, Tool
from ._ratelimits import AccountUsage, RateLimits
from ._store import TokenStore
from ._stream import AsyncResponseStream
from ._tokens import Account

if TYPE_CHECKING:
    from collections.abc import Sequence

    from typing_extensions import Unpack

    from ._catalog import Model
    from ._client import ResponseCreateParams, ToolRunParams
    from ._conversation import AsyncConversation
    from ._structured import ParsedResponse
    from ._tools import ToolRunResult

__all__ = [
    "Client",
    "CodexClient",
    "Conversation",
    "Models",
    "ResponseStream",
    "Responses",
    "finish_login",
    "get_token",
    "login",
    "refresh",
    "start_login",
]

T = TypeVar("T")

# Objects inherited across fork() from the parent process, kept so that they are never
# finalized in the child (their cleanup would talk to the parent's event loop thread).
_INHERITED: list[object] = []

# How long a sync call interrupted by Ctrl-C waits for its task to close its connection.
_CANCEL_GRACE = 5.0


class _Portal:
    """One event loop thread, owned by one ``Client``; safe across ``fork()``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._portal: BlockingPortal | None = None
        self._context: contextlib.AbstractContextManager[BlockingPortal] | None = None
        self._pid = 0

    def get(self) -> BlockingPortal:
        portal = self._portal
        if portal is not None and self._pid == os.getpid():
            return portal
        with self._lock:
            if self._portal is None or self._pid != os.getpid():
                if self._context is not None:
                    # After fork() the parent's loop thread does not exist here. Its context
                    # must never be exited (or garbage collected, which exits it): that would
                    # wait forever for the missing thread. Keep it, untouched, and start anew.
                    _INHERITED.append(self._context)
                context = start_blocking_portal("asyncio", name="codex-open-client")
                self._portal = context.__enter__()
                self._context = context
                self._pid = os.getpid()
            return self._portal

    @property
    def running(self) -> bool:
        return self._portal is not None and self._pid == os.getpid()

    def call(self, func: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run ``func(*args)`` on the loop and wait; Ctrl-C cancels it and waits for cleanup."""
        finished = threading.Event()

        async def run() -> T:
            try:
                return await func(*args)
            finally:
                finished.set()

        future = self.get().start_task_soon(run)
        try:
            return future.result()
        except BaseException:
            if future.cancel():
                finished.wait(_CANCEL_GRACE)
            raise

    def stop(self) -> None:
        context, self._context, self._portal = self._context, None, None
        if context is not None and self._pid == os.getpid():
            context.__exit__(None, None, None)


def _finalize(portal: _Portal, client: AsyncClient, name: str) -> None:
    """Safety net for a ``Client`` that was never closed: stop its loop, never start one."""
    if sys.is_finalizing() or not portal.running:
        return
    try:
        warnings.warn(
            f"{name} was not closed; use `with Client(...) as client:` or call client.close()",
            ResourceWarning,
            stacklevel=1,
        )
    finally:  # the warning may be an error (-W error): the loop thread must stop anyway
        with contextlib.suppress(Exception):
            portal.call(client.aclose)
        portal.stop()


class Client:
    """Sync client for the ChatGPT Codex backend.

    ::

        with Client() as client:  # the Codex CLI's ~/.codex/auth.json, kept fresh
            response = client.responses.create(
                model="gpt-5.4", instructions="Be brief.", input="Hello!"
            )
            print(response.output_text)

    ``client.responses`` creates responses (``create``, ``stream``, ``parse``,
    ``run_tools``); ``client.models`` lists the model catalog; ``client.conversation(...)``
    keeps a multi-turn history; ``client.usage()`` and ``client.rate_limits`` report limits;
    ``client.account``, ``login()`` and ``logout()`` manage the sign-in.

    Takes the same keywords as ``AsyncClient`` (see ``help(AsyncClient)``: ``access_token``,
    ``base_url``, ``timeout``, ``max_retries``, ``codex_home``, ...) and runs the very same
    code on a private event loop thread. Use ``with Client(...) as client:`` or call
    ``client.close()``. It works in scripts and notebooks; in async code prefer
    ``AsyncClient``.
    """

    def __init__(
        self,
        *,
        access_token: str | None = None,
        account_id: str | None = None,
        base_url: str | None = None,
        chatgpt_base_url: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
        originator: str | None = None,
        session_id: str | None = None,
        token_path: str | os.PathLike[str] | None = None,
        codex_home: str | os.PathLike[str] | None = None,
        token_store: TokenStore | None = None,
        headless: bool = False,
        no_browser: bool = False,
        device_auth: bool = False,
        login_handler: LoginHandler | None = None,
        issuer: str | None = None,
        callback_port: int | None = None,
        client_version: str | None = None,
        max_connections: int | None = None,
        max_event_size: int | None = None,
    ) -> None:
        self._kwargs: dict[str, Any] = {
            "access_token": access_token,
            "account_id": account_id,
            "base_url": base_url,
            "chatgpt_base_url": chatgpt_base_url,
            "timeout": timeout,
            "max_retries": max_retries,
            "default_headers": default_headers,
            "originator": originator,
            "session_id": session_id,
            "token_path": token_path,
            "codex_home": codex_home,
            "token_store": token_store,
            "headless": headless,
            "no_browser": no_browser,
            "device_auth": device_auth,
            "login_handler": login_handler,
            "issuer": issuer,
            "callback_port": callback_port,
            "client_version": client_version,
            "max_connections": max_connections,
            "max_event_size": max_event_size,
        }
        self._async = AsyncClient(**self._kwargs)
        self._kwargs["session_id"] = self._async.session_id  # the same session after fork()
        self._config = self._async._config
        self._portal = _Portal()
        self._pid = os.getpid()
        self._closed = False
        self._finalizer = weakref.finalize(
            self, _finalize, self._portal, self._async, type(self).__name__
        )
        #: ``client.responses.create(...)``, ``.stream(...)``, ``.parse(...)``, ``.run_tools(...)``.
        self.responses = Responses(self)
        self._models = Models(self)

    @property
    def base_url(self) -> str:
        """The model API base URL."""
        return self._config.base_url

    @property
    def session_id(self) -> str:
        """The session id sent with every request."""
        return self._config.session_id

    @property
    def account(self) -> Account | None:
        """The signed-in account (email, plan, ids, token expiry); None before sign-in."""
        return self._aclient.account

    @property
    def models(self) -> Models:
        """``client.models.list()`` and ``client.models.retrieve(slug)``: the model catalog."""
        return self._models

    @property
    def rate_limits(self) -> RateLimits | None:
        """The last rate limits the backend reported (headers or events); None before any."""
        return self._aclient.rate_limits

    def usage(self) -> AccountUsage:
        """The account's plan, usage windows and credits (``GET /wham/usage``)."""
        return self._call(self._aclient.usage)

    def conversation(self, *, model: str, instructions: str, **defaults: Any) -> Conversation:
        """A multi-turn conversation that keeps its history; see ``Conversation``.

        ``defaults`` (reasoning, tools, text, ...) apply to every turn.
        """
        self._check_open()
        aconversation = self._aclient.conversation(
            model=model, instructions=instructions, **defaults
        )
        return Conversation(aconversation, self)

    def login(self) -> Account:
        """Sign in now with the configured flow and store the credentials."""
        return self._call(self._aclient.login)

    def logout(self) -> None:
        """Revoke the tokens, then delete the stored credentials."""
        self._call(self._aclient.logout)

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(
                f"This {type(self).__name__} is closed; create a new one "
                f"(tip: `with {type(self).__name__}(...) as client:`)"
            )

    @property
    def _aclient(self) -> AsyncClient:
        """The async client that does the work, new in a forked child."""
        if self._pid != os.getpid():
            # A forked child must not share the parent's connections: keep the inherited
            # client untouched (see _INHERITED) and use a new one.
            _INHERITED.append(self._async)
            self._async = AsyncClient(**self._kwargs)
            self._pid = os.getpid()
        return self._async

    def _call(self, func: Callable[..., Awaitable[T]], *args: Any) -> T:
        self._check_open()
        return self._portal.call(func, *args)

    def close(self) -> None:
        """Close the client, its connections and its loop thread. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._finalizer.detach()
        if self._portal.running:
            try:
                self._portal.call(self._aclient.aclose)
            finally:
                self._portal.stop()

    def __enter__(self) -> Client:
        if self._closed:
            raise RuntimeError(f"This {type(self).__name__} is closed; create a new one")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._async._repr_fields()})"


CodexClient = Client


class Responses:
    """``client.responses``: create model responses, streamed or not."""

    def __init__(self, client: Client) -> None:
        self._client = client

    @property
    def _async(self) -> AsyncResponses:
        return self._client._aclient.responses

    @overload
    def create(
        self, *, stream: Literal[False] = False, **params: Unpack[ResponseCreateParams]
    ) -> Response: ...

    @overload
    def create(
        self, *, stream: Literal[True], **params: Unpack[ResponseCreateParams]
    ) -> ResponseStream: ...

    @overload
    def create(
        self, *, stream: bool, **params: Unpack[ResponseCreateParams]
    ) -> Response | ResponseStream: ...

    def create(self, *, stream: bool = False, **params: Any) -> Response | ResponseStream:
        """Create a response.

        Returns the final ``Response``; with ``stream=True``, sends the request at once (an
        HTTP error raises here) and returns a ``ResponseStream`` to iterate.
        A ``response.failed`` raises the matching ``APIError``; ``response.incomplete``
        returns normally with ``status == "incomplete"``.
        """
        result = self._client._call(functools.partial(self._async.create, stream=stream, **params))
        if isinstance(result, AsyncResponseStream):
            return ResponseStream(result, self._client)
        return result

    def stream(self, **params: Unpack[ResponseCreateParams]) -> ResponseStream:
        """Create a streamed response, for ``with client.responses.stream(...) as stream:``.

        The request is sent when the ``with`` block is entered.
        """
        self._client._check_open()
        return ResponseStream(self._async.stream(**params), self._client)

    def parse(
        self, *, text_format: type[T], **params: Unpack[ResponseCreateParams]
    ) -> ParsedResponse[T]:
        """Create a response whose text is a JSON document of ``text_format``, parsed.

        ``text_format`` is a pydantic model (or, with pydantic installed, a dataclass or a
        TypedDict); its strict JSON schema is sent as ``text.format``. Returns a
        ``ParsedResponse`` with ``output_parsed``. A refusal raises ``RefusalError``, an
        incomplete response ``IncompleteResponseError``, a document that does not validate
        ``StructuredOutputError``. Needs ``pip install 'codex-open-client[pydantic]'``.
        """
        return self._client._call(
            functools.partial(self._async.parse, text_format=text_format, **params)
        )

    def run_tools(
        self,
        *,
        tools: Sequence[Callable[..., Any] | Tool],
        max_turns: int = 10,
        raise_tool_errors: bool = False,
        **params: Unpack[ToolRunParams],
    ) -> ToolRunResult:
        """Call the model, run the functions it asks for, feed the results back, repeat.

        ``tools`` mixes plain functions (sync or async; their schema comes from their type
        hints), ``FunctionTool``s and tool dicts. Stops when the model answers without
        calling a function and returns a ``ToolRunResult`` (``response``, ``output_text``,
        ``responses``, ``input``). A function that raises reports the error to the model,
        unless ``raise_tool_errors=True``. More than ``max_turns`` responses raise
        ``MaxTurnsExceededError``, which carries the result so far. Sync functions run on a
        worker thread, async ones on the client's event loop.
        """
        return self._client._call(
            functools.partial(
                self._async.run_tools,
                tools=tools,
                max_turns=max_turns,
                raise_tool_errors=raise_tool_errors,
                **params,
            )
        )


class Models:
    """``client.models``: the models this account can use (cached for five minutes)."""

    def __init__(self, client: Client) -> None:
        self._client = client

    @property
    def client_version(self) -> str:
        """The ``client_version`` sent to ``/models``."""
        return self._client._aclient.models.client_version

    def list(self, *, force_refresh: bool = False) -> builtins.list[Model]:
        """Every model of the catalog, in the backend's order (hidden ones included).

        Served from the cache for five minutes; ``force_refresh=True`` asks the backend now.
        """
        models = self._client._aclient.models
        return self._client._call(functools.partial(models.list, force_refresh=force_refresh))

    def retrieve(self, slug: str) -> Model:
        """The catalog entry of ``slug``; ``KeyError`` naming the known slugs when absent."""
        return self._client._call(self._client._aclient.models.retrieve, slug)


class Conversation:
    """A conversation: ``conversation.ask("...")`` sends the history plus the new input.

    Create it with ``client.conversation(model=..., instructions=..., **defaults)``; the
    defaults apply to every turn and each turn may override them. A turn joins ``history``
    only when its response completes, so a failed turn can simply be asked again.
    """

    def __init__(self, conversation: AsyncConversation, client: Client) -> None:
        self._async = conversation
        self._client = client

    @property
    def history(self) -> list[InputItem]:
        """Every item so far: the user's inputs and the model's outputs, in order (a copy)."""
        return self._async.history

    @property
    def session_id(self) -> str:
        """Sent as ``session_id`` and ``prompt_cache_key`` with every turn."""
        return self._async.session_id

    @property
    def model(self) -> str:
        """The model slug of every turn."""
        return self._async.model

    def ask(self, input: str | Sequence[InputItem], /, **overrides: Any) -> Response:
        """Send ``input`` after the history; return the ``Response`` and keep both."""
        return self._client._call(functools.partial(self._async.ask, input, **overrides))

    def stream(self, input: str | Sequence[InputItem], /, **overrides: Any) -> ResponseStream:
        """Like ``ask`` but streamed: ``with conversation.stream("...") as stream:``."""
        self._client._check_open()
        return ResponseStream(self._async.stream(input, **overrides), self._client)

    def clear(self) -> None:
        """Forget the history (the session id stays)."""
        self._async.clear()

    def __repr__(self) -> str:
        return repr(self._async).replace("AsyncConversation", "Conversation", 1)


def _close_abandoned(portal: _Portal, stream: AsyncResponseStream) -> None:
    """A ``ResponseStream`` dropped unclosed (e.g. after ``break``): release its connection."""
    if portal.running and not sys.is_finalizing():
        with contextlib.suppress(Exception):
            portal.get().start_task_soon(stream.aclose)


class ResponseStream:
    """The events of one response, as they arrive. Iterate it with ``for``.

    Use it as ``with`` (or call ``close()``) so the connection is released even when you stop
    early; ``get_final_response()`` drains what is left and returns the ``Response``.
    """

    def __init__(self, stream: AsyncResponseStream, client: Client) -> None:
        self._stream = stream
        self._client = client
        # Events arrive in batches: every event parsed so far, one thread crossing per batch.
        self._batch: list[ResponseStreamEvent] = []
        self._index = 0
        self._finalizer = weakref.finalize(self, _close_abandoned, client._portal, stream)

    @property
    def headers(self) -> Mapping[str, str]:
        """The HTTP response headers (rate limits, request id); empty before the request."""
        return self._stream.headers

    @property
    def response(self) -> Response:
        """The response as accumulated so far (final once the stream has ended)."""
        return self._stream.response

    @property
    def rate_limits(self) -> RateLimits | None:
        """The rate limits from the headers and ``codex.rate_limits`` events, when sent."""
        return self._stream.rate_limits

    def __iter__(self) -> Iterator[ResponseStreamEvent]:
        return self

    def __next__(self) -> ResponseStreamEvent:
        if self._index >= len(self._batch):
            self._batch = self._client._call(self._stream._next_batch)
            self._index = 0
            if not self._batch:
                raise StopIteration
        event = self._batch[self._index]
        self._index += 1
        return event

    def text_deltas(self) -> Iterator[str]:
        """Yield only the pieces of output text, as they arrive."""
        for event in self:
            if type(event) is ResponseOutputTextDeltaEvent:
                yield event.delta

    def get_final_response(self) -> Response:
        """Read the rest of the stream and return the final ``Response``."""
        self._batch, self._index = [], 0
        return self._client._call(self._stream.get_final_response)

    def close(self) -> None:
        """Close the stream and release its connection. Idempotent."""
        self._batch, self._index = [], 0
        self._finalizer.detach()
        if not self._client._closed:
            self._client._call(self._stream.aclose)

    def __enter__(self) -> ResponseStream:
        self._client._call(self._stream._open)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return repr(self._stream).replace("AsyncResponseStream", "ResponseStream", 1)


P = ParamSpec("P")


def _blocking(afunc: Callable[P, Awaitable[T]]) -> Callable[P, T]:
    """The sync twin of a module-level async function: runs it on a short-lived loop thread."""

    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        with start_blocking_portal("asyncio", name="codex-open-client-login") as portal:
            return portal.call(functools.partial(afunc, *args, **kwargs))

    functools.update_wrapper(run, afunc)
    run.__name__ = run.__qualname__ = afunc.__name__.removeprefix("a")
    return run


login = _blocking(alogin)
start_login = _blocking(astart_login)
finish_login = _blocking(afinish_login)
refresh = _blocking(arefresh)
get_token = _blocking(aget_token)
