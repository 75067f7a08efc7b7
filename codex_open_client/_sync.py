"""The sync facade: ``Client`` runs ``AsyncClient``'s coroutines on one private event loop.

The loop belongs to the client, created on first use (constructing a client does no I/O and
starts no thread). A call runs the loop in the calling thread whenever no other thread is
running it, so the common case crosses no thread at all; a helper thread, one per client,
runs it for the other cases. Every method is a thin call onto that loop, so no request, retry
or parsing logic exists twice.
"""

from __future__ import annotations

import builtins
import contextlib
import enum
import functools
import os
import re
import sys
import threading
import warnings
import weakref
from collections.abc import Awaitable, Callable, Iterator, Mapping
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, Generic, Literal, ParamSpec, TypeVar, cast, overload

from ._auth import LoginHandler, afinish_login, aget_token, alogin, arefresh, astart_login
from ._auth._store import TokenStore
from ._auth._tokens import Account
from ._client import AsyncClient, AsyncResponses, AsyncStreamedRawResponse, RawResponse
from ._models import InputItem, Response, Tool
from ._ratelimits import AccountUsage, RateLimits
from ._request import create_params_signature

# Streams and their events load with the first stream, not at import.
if TYPE_CHECKING:
    import asyncio
    import concurrent.futures
    import queue
    from collections.abc import Sequence

    from typing_extensions import TypeVarTuple, Unpack

    from ._catalog import Model
    from ._client import ResponseCreateParams, ToolRunParams
    from ._conversation import AsyncConversation
    from ._events import ResponseStreamEvent
    from ._stream import AsyncResponseStream
    from ._structured import ParsedResponse
    from ._tools import ToolRunResult

__all__ = [
    "Client",
    "CodexClient",
    "Conversation",
    "Models",
    "ResponseStream",
    "Responses",
    "StreamedRawResponse",
    "finish_login",
    "get_token",
    "login",
    "refresh",
    "start_login",
]

T = TypeVar("T")
if TYPE_CHECKING:
    # The arguments of a call onto the loop, checked against the function (as anyio's
    # BlockingPortal.call is typed); typing_extensions is only needed by the checker.
    Ts = TypeVarTuple("Ts")

# Objects inherited across fork() from the parent process, kept so that they are never
# finalized in the child (their cleanup would talk to the parent's event loop).
_INHERITED: list[object] = []

# How long a sync call interrupted by Ctrl-C waits for its task to close its connection.
_CANCEL_GRACE = 5.0

_CLOSED = "This Client is closed; create a new one"


async def _after_pending_io(
    func: Callable[[Unpack[Ts]], Awaitable[T]], args: tuple[Unpack[Ts]]
) -> T:
    import asyncio

    # The loop may have sat idle since the last call: let it see what arrived meanwhile
    # first, so that a keep-alive connection the server closed is not picked for this call.
    await asyncio.sleep(0)
    return await func(*args)


class _Interrupts:
    """Ctrl-C during a call run in this thread, as asyncio.Runner handles it.

    The first press cancels the call, which cleans up (closes its connection) as any cancelled
    task does; a second stops waiting for that. Both are deferred to the loop: a signal
    handler runs between any two bytecodes, inside the loop's own callbacks too, and acting
    there could leave asyncio or aiohttp half done. KeyboardInterrupt is raised once the loop
    has stopped.
    """

    def __init__(self, loop: Any) -> None:
        self.loop = loop
        self.count = 0
        self.task: Any = None

    def on_sigint(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1
        if self.task is not None:
            action = self.task.cancel if self.count == 1 else self.loop.stop
            self.loop.call_soon_threadsafe(action)


def _run_until_complete(
    loop: asyncio.AbstractEventLoop,
    coro: Awaitable[T],
    interrupts: _Interrupts | None = None,
) -> T:
    """``loop.run_until_complete(coro)``, undisturbed by a stop request left over by a run that
    an exception cut short just after its future completed (the loop would stop once, early).

    With ``interrupts``, a stop made by a second Ctrl-C is not such a leftover: it raises.
    """
    import asyncio

    future = asyncio.ensure_future(coro, loop=loop)
    while True:
        try:
            return loop.run_until_complete(future)
        except RuntimeError:
            if (
                future.done()
                or loop.is_closed()
                or loop.is_running()
                or (interrupts is not None and interrupts.count > 1)
            ):
                raise


def _retrieve(task: asyncio.Task[Any]) -> None:
    """Done callback of a task nobody awaits: its exception is not worth a log line."""
    if not task.cancelled():
        task.exception()


class _HandOff:
    """A call handed over to the thread that runs the loop, and its outcome."""

    __slots__ = ("args", "func", "future", "task")

    def __init__(self, func: Callable[..., Awaitable[Any]], args: tuple[Any, ...]) -> None:
        import concurrent.futures

        self.func = func
        self.args = args
        self.future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self.task: asyncio.Task[Any] | None = None

    def settle(self, task: asyncio.Task[Any]) -> None:
        if task.cancelled():  # by Ctrl-C (the caller has raised already) or by close()
            self.future.set_exception(RuntimeError(f"{_CLOSED} (the call was cancelled)"))
        elif (exc := task.exception()) is not None:
            self.future.set_exception(exc)
        else:
            self.future.set_result(task.result())

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()


class _Stop:
    """What the helper thread gets to close the loop: first ``final()``, if given."""

    __slots__ = ("final",)

    def __init__(self, final: Callable[[], Awaitable[object]] | None) -> None:
        self.final = final


class _Loop:
    """One ``Client``'s event loop, run by whichever thread needs it.

    A call takes the loop when no other thread is running it and runs it right in the calling
    thread until its coroutine is done: no thread hop, the common case. Otherwise (another
    thread is in a call on this client, the caller is inside an event loop of its own, or it is
    the main thread under an application's SIGINT handler) it hands its coroutine over and
    waits. The helper thread runs the loop whenever tasks are left that no caller is running it
    for: calls handed over, a stream dropped unclosed, a task that outlived an interrupted call.
    """

    def __init__(self) -> None:
        import asyncio
        import importlib
        import queue

        self.loop = asyncio.new_event_loop()
        # The C module under `signal`: the same functions without the enum conversions, which
        # cost about 15 us a call, as much as running the loop for a call.
        self._signal: Any = importlib.import_module("_signal")
        self.pid = os.getpid()
        self._owner = threading.Lock()  # held by the thread running the loop
        self._wakeups: queue.SimpleQueue[_Stop | None] = queue.SimpleQueue()
        self._handoffs: set[_HandOff] = set()
        self._stopping = False
        self._helper = threading.Thread(target=self._help, name="codex-open-client", daemon=True)
        self._helper.start()

    def call(self, func: Callable[[Unpack[Ts]], Awaitable[T]], args: tuple[Unpack[Ts]]) -> T:
        """Run ``func(*args)`` on the loop and wait; Ctrl-C cancels it and waits for cleanup."""
        import asyncio

        running = asyncio.events._get_running_loop()
        if running is None:
            here, catch_sigint = True, False
            if threading.current_thread() is threading.main_thread():
                # Ctrl-C must not raise inside the loop. Under Python's own handler the call
                # turns it into a cancellation; under an application's handler (which may
                # raise anywhere) the helper thread runs the call and this thread only waits.
                signals = self._signal
                handler = signals.getsignal(signals.SIGINT)
                catch_sigint = handler is signals.default_int_handler
                here = catch_sigint or not callable(handler)
            if here:
                interrupts = _Interrupts(self.loop)
                signals = self._signal
                previous = None
                try:
                    # Installed before the lock is taken: a Ctrl-C can then never land between
                    # taking the lock and the `try` that releases it (it would leak for good).
                    if catch_sigint:
                        previous = signals.signal(signals.SIGINT, interrupts.on_sigint)
                    if not interrupts.count and self._owner.acquire(blocking=False):
                        try:
                            return self._run_here(func, args, interrupts)
                        finally:
                            self._owner.release()
                finally:
                    if previous is not None:
                        signals.signal(signals.SIGINT, previous)
                if interrupts.count:
                    raise KeyboardInterrupt
        if running is self.loop:
            raise RuntimeError(
                "A Client cannot be used from its own event loop (from an async tool or a "
                "callback it runs): that would wait for itself. Use an AsyncClient there"
            )
        return self._hand_off(func, args)

    def _run_here(
        self,
        func: Callable[[Unpack[Ts]], Awaitable[T]],
        args: tuple[Unpack[Ts]],
        interrupts: _Interrupts,
    ) -> T:
        import asyncio

        if self._stopping:
            raise RuntimeError(_CLOSED)
        loop = self.loop
        task = loop.create_task(_after_pending_io(func, args))
        interrupts.task = task
        try:
            result = _run_until_complete(loop, task, interrupts)
        except BaseException:
            if not task.done() and interrupts.count < 2:
                # Raised inside the loop (SystemExit from a signal handler, ...): cancel the
                # call and let it clean up before raising.
                task.cancel()
                with contextlib.suppress(BaseException):
                    _run_until_complete(loop, asyncio.wait((task,), timeout=_CANCEL_GRACE))
            if asyncio.all_tasks(loop):
                # The call's cleanup after a second Ctrl-C, a shielded token refresh, ...:
                # the helper thread finishes them.
                self._wakeups.put(None)
            if interrupts.count:
                raise KeyboardInterrupt from None
            raise
        if interrupts.count:  # the call was done when Ctrl-C came: it still interrupts
            raise KeyboardInterrupt
        return result

    def _hand_off(self, func: Callable[[Unpack[Ts]], Awaitable[T]], args: tuple[Unpack[Ts]]) -> T:
        import concurrent.futures

        handoff = _HandOff(func, args)
        self._handoffs.add(handoff)
        try:
            try:
                self.loop.call_soon_threadsafe(self._start, handoff)
            except RuntimeError:  # the loop is closed
                raise RuntimeError(_CLOSED) from None
            self._wakeups.put(None)
            try:
                result: T = handoff.future.result()
                return result
            except BaseException:
                # Ctrl-C while waiting. Not started yet: cancelled, it never starts. Started:
                # cancel its task and wait for its cleanup.
                if not handoff.future.done() and not handoff.future.cancel():
                    with contextlib.suppress(RuntimeError):
                        self.loop.call_soon_threadsafe(handoff.cancel)
                    concurrent.futures.wait((handoff.future,), _CANCEL_GRACE)
                raise
        finally:
            self._handoffs.discard(handoff)

    def _start(self, handoff: _HandOff) -> None:
        if not handoff.future.set_running_or_notify_cancel():
            return  # cancelled before it started
        if self._stopping:
            handoff.future.set_exception(RuntimeError(_CLOSED))
            return
        handoff.task = self.loop.create_task(_after_pending_io(handoff.func, handoff.args))
        handoff.task.add_done_callback(handoff.settle)

    def submit(self, func: Callable[[], Awaitable[object]]) -> None:
        """Run ``func()`` on the loop soon, without waiting; safe from a finalizer."""
        with contextlib.suppress(RuntimeError):  # the loop is closed: nothing left to do
            self.loop.call_soon_threadsafe(self._start_detached, func)
            self._wakeups.put(None)

    def _start_detached(self, func: Callable[[], Awaitable[object]]) -> None:
        if not self._stopping:
            self.loop.create_task(_after_pending_io(func, ())).add_done_callback(_retrieve)

    def stop(self, final: Callable[[], Awaitable[object]] | None = None) -> None:
        """Run ``final()`` (errors ignored), end every task, close the loop, end the helper."""
        self._stopping = True
        import asyncio

        self._wakeups.put(_Stop(final))
        # Not from the helper itself, nor from a thread running the loop (which the helper
        # waits for): it stops once that thread lets go of the loop.
        if (
            threading.current_thread() is not self._helper
            and asyncio.events._get_running_loop() is not self.loop
        ):
            self._helper.join()

    def _help(self) -> None:
        loop = self.loop
        while True:
            wakeup = self._wakeups.get()
            with self._owner:
                if wakeup is None:
                    # Whatever a task raised is its caller's business; this thread goes on.
                    with contextlib.suppress(BaseException):
                        _run_until_complete(loop, self._drain())
                    continue
                try:
                    _run_until_complete(loop, self._finish(wakeup.final))
                finally:
                    loop.close()
                    for handoff in list(self._handoffs):
                        with contextlib.suppress(Exception):  # done or cancelled meanwhile
                            handoff.future.set_exception(RuntimeError(_CLOSED))
                return

    async def _drain(self) -> None:
        """Run the loop until no task is left (hand-offs queued before the wake-up included)."""
        import asyncio

        current = asyncio.current_task()
        while True:
            await asyncio.sleep(0)
            tasks = asyncio.all_tasks() - {current}
            if not tasks:
                return
            await asyncio.wait(tasks)

    async def _finish(self, final: Callable[[], Awaitable[object]] | None) -> None:
        import asyncio

        await asyncio.sleep(0)  # hand-offs queued meanwhile fail: closed
        if final is not None:
            with contextlib.suppress(Exception):
                await final()
        current = asyncio.current_task()
        tasks = asyncio.all_tasks() - {current}
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.loop.shutdown_asyncgens()
        await self.loop.shutdown_default_executor()


class _State(enum.Enum):
    """Where a ``Client`` is in its life, as httpx's ``ClientState``: its ``_Portal`` keeps it.

    Whether the loop runs in this process is not a state: after ``fork()`` a child sees the
    parent's loop as not started (``_Portal.running``) and starts its own on the next call.
    """

    # Calls are served. The loop starts with the first one (constructing a client does no
    # I/O or thread), and anew in a forked child.
    OPEN = "open"
    # close() is closing the connections: only its own call onto the loop still runs; every
    # other call raises RuntimeError.
    CLOSING = "closing"
    # Closed (by close() or the finalizer) and the loop stopped: every call raises
    # RuntimeError and nothing starts again.
    CLOSED = "closed"


class _Portal:
    """The state and the ``_Loop`` of one ``Client``: started on first use, new in a forked
    child. A ``with_options()`` copy has one of its own over its origin's: its own state, the
    origin's loop (``shared``)."""

    def __init__(self, shared: _Portal | None = None) -> None:
        self._lock = threading.Lock()
        self._loop: _Loop | None = None
        self.shared = shared
        self.state = _State.OPEN

    def get(self) -> _Loop:
        if self.shared is not None:
            return self.shared.get()
        loop = self._loop
        if loop is not None and loop.pid == os.getpid():
            return loop
        with self._lock:
            if self.state is _State.CLOSED:
                raise RuntimeError(_CLOSED)
            loop = self._loop
            if loop is None or loop.pid != os.getpid():
                if loop is not None:
                    # After fork() the parent's helper thread does not exist here, and the
                    # loop's selector is shared with the parent: keep it, untouched (it must
                    # not even be garbage collected), and start anew.
                    _INHERITED.append(loop)
                loop = self._loop = _Loop()
            return loop

    @property
    def running(self) -> bool:
        if self.shared is not None:
            return self.shared.running
        loop = self._loop
        return loop is not None and loop.pid == os.getpid()

    def call(self, func: Callable[[Unpack[Ts]], Awaitable[T]], *args: Unpack[Ts]) -> T:
        """Run ``func(*args)`` on the loop and wait; Ctrl-C cancels it and waits for cleanup."""
        return self.get().call(func, args)

    def submit(self, func: Callable[[], Awaitable[object]]) -> None:
        """Run ``func()`` soon on a loop already running; never starts one."""
        if self.shared is not None:
            self.shared.submit(func)
            return
        loop = self._loop
        if loop is not None and loop.pid == os.getpid():
            loop.submit(func)

    def stop(self, final: Callable[[], Awaitable[object]] | None = None) -> None:
        """Stop the loop (after ``final()``, if given); later calls raise ``RuntimeError``.

        A copy's portal only closes itself: the loop is its origin's.
        """
        with self._lock:
            self.state = _State.CLOSED
            loop, self._loop = self._loop, None
        if self.shared is not None or loop is None:
            return
        if loop.pid == os.getpid():
            loop.stop(final)
        else:
            _INHERITED.append(loop)


class _Owned:
    """The ``AsyncClient`` a ``Client`` uses in this process (a new one after ``fork()``)."""

    __slots__ = ("client", "pid")

    def __init__(self, client: AsyncClient) -> None:
        self.client = client
        self.pid = os.getpid()


def _finalize(portal: _Portal, owned: _Owned, name: str) -> None:
    """Safety net for a ``Client`` that was never closed: stop its loop, never start one."""
    if sys.is_finalizing():
        return
    if not portal.running:
        portal.stop()  # never started, or inherited by a forked child: left untouched
        return
    try:
        warnings.warn(
            f"{name} was not closed; use `with Client(...) as client:` or call client.close()",
            ResourceWarning,
            stacklevel=1,
        )
    finally:  # the warning may be an error (-W error): the loop must stop anyway
        # Never the parent's AsyncClient in a forked child: its connections are the parent's.
        portal.stop(owned.client.aclose if owned.pid == os.getpid() else None)


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
    code on a private event loop: in the calling thread when no other thread is in a call,
    else on the client's own thread. Use ``with Client(...) as client:`` or call
    ``client.close()``. It works in scripts, threads and notebooks; in async code prefer
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
        transport: Literal["sse", "websocket", "auto"] = "sse",
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
            "transport": transport,
        }
        self._async = AsyncClient(**self._kwargs)
        self._kwargs["session_id"] = self._async.session_id  # the same session after fork()
        self._config = self._async._config
        self._portal = _Portal()  # and with it the client's state
        self._owned = _Owned(self._async)
        # A with_options() copy: the Client it was made from, and the options it changed.
        self._origin: Client | None = None
        self._options: dict[str, Any] = {}
        self._base: AsyncClient | None = None  # the origin's AsyncClient the copy's came from
        self._finalizer = weakref.finalize(
            self, _finalize, self._portal, self._owned, type(self).__name__
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
    def account_id(self) -> str | None:
        """The ChatGPT account id sent with requests; None before sign-in.

        Read from the store (a short blocking file read) when not loaded yet.
        """
        return self._aclient.account_id

    @property
    def token(self) -> str:
        """A valid access token (read-only): ``client.get_token()``.

        Loaded from the store, refreshed when it expires within 5 minutes, or from a sign-in
        (the configured flow) when there are no credentials, as the next request would.
        """
        return self.get_token()

    def get_token(self) -> str:
        """A valid access token, as the next request would send it.

        Loaded from the store, refreshed when it expires within 5 minutes, or from a sign-in
        (the configured flow) when there are no credentials.
        """
        return self._call(self._aclient.get_token)

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

    @property
    def _closed(self) -> bool:
        """Closed, or closing: calls made now raise ``RuntimeError``."""
        return self._portal.state is not _State.OPEN

    def _check_open(self) -> None:
        """``RuntimeError`` if this client (or the one it was copied from) is closed: the one
        guard of every call, with the same messages as ``AsyncClient._check_open``."""
        if self._closed:
            raise RuntimeError(
                f"This {type(self).__name__} is closed; create a new one "
                f"(tip: `with {type(self).__name__}(...) as client:`)"
            )
        if self._origin is not None and self._origin._closed:
            raise RuntimeError(
                f"The {type(self).__name__} this one was made from with with_options() is "
                "closed, and with it the connections they shared; create a new one"
            )

    def with_options(
        self,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> Client:
        """A copy of this client with other defaults, as openai-python's ``with_options``.

        The copy shares this client's connection pool, event loop, credentials (and their
        refreshes) and session id; ``default_headers`` are added to this client's. Closing
        the copy leaves the connections open (they belong to this client); closing this
        client closes them, and the copies with them. Nothing is sent.
        """
        self._check_open()
        origin = self._origin or self
        options = {**self._options}
        if timeout is not None:
            options["timeout"] = timeout
        if max_retries is not None:
            options["max_retries"] = max_retries
        if default_headers is not None:
            options["default_headers"] = {**options.get("default_headers", {}), **default_headers}
        base = origin._aclient
        aclient = base.with_options(**options)
        copy = object.__new__(type(self))
        copy.__dict__.update(origin.__dict__)  # the loop, the kwargs, the fork bookkeeping
        copy._origin = origin
        copy._options = options
        copy._base = base
        copy._async = aclient
        copy._config = aclient._config
        copy._portal = _Portal(shared=origin._portal)
        copy.responses = Responses(copy)
        copy._models = Models(copy)
        return copy

    @property
    def _aclient(self) -> AsyncClient:
        """The async client that does the work, new in a forked child."""
        origin = self._origin
        if origin is not None:
            base = origin._aclient
            if base is not self._base:  # the origin's is new, in a forked child
                self._async = base.with_options(**self._options)
                self._base = base
            return self._async
        if self._owned.pid != os.getpid():
            # A forked child must not share the parent's connections: keep the inherited
            # client untouched (see _INHERITED) and use a new one.
            _INHERITED.append(self._async)
            self._async = AsyncClient(**self._kwargs)
            self._owned.client, self._owned.pid = self._async, os.getpid()
        return self._async

    def _call(self, func: Callable[[Unpack[Ts]], Awaitable[T]], *args: Unpack[Ts]) -> T:
        self._check_open()
        return self._portal.call(func, *args)

    def close(self) -> None:
        """Close the client, its connections, its event loop and its thread. Idempotent.

        A copy made by ``with_options()`` only closes itself: the rest is its origin's.
        """
        portal = self._portal
        if portal.state is not _State.OPEN:
            return
        if portal.shared is not None:
            # A with_options() copy: the loop and the connections are its origin's. Closing
            # the async copy does no I/O, so it needs no call onto the loop.
            portal.stop()
            self._async._closed = True
            return
        portal.state = _State.CLOSING
        self._finalizer.detach()
        try:
            if portal.running:
                portal.call(self._aclient.aclose)
        finally:
            # aclose() again (a no-op once done) in case the call above could not run it.
            portal.stop(self._aclient.aclose)

    def __enter__(self) -> Client:
        self._check_open()
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

    @create_params_signature
    def create(self, *, stream: bool = False, **params: Any) -> Response | ResponseStream:
        """Create a response.

        Returns the final ``Response``; with ``stream=True``, sends the request at once (an
        HTTP error raises here) and returns a ``ResponseStream`` to iterate.
        A ``response.failed`` raises the matching ``APIError``; ``response.incomplete``
        returns normally with ``status == "incomplete"``.
        """
        result = self._client._call(functools.partial(self._async.create, stream=stream, **params))
        if isinstance(result, Response):
            return result
        return ResponseStream(result, self._client)

    @create_params_signature
    def stream(self, **params: Unpack[ResponseCreateParams]) -> ResponseStream:
        """Create a streamed response, for ``with client.responses.stream(...) as s:``.

        The request is sent when the ``with`` block is entered.
        """
        self._client._check_open()
        return ResponseStream(self._async.stream(**params), self._client)

    @property
    def with_raw_response(self) -> ResponsesWithRawResponse:
        """``create()`` and ``parse()`` returning a ``RawResponse``: the HTTP status and
        headers, and ``.parse()`` for what the method returns (openai-python's habit)."""
        return ResponsesWithRawResponse(self)

    @property
    def with_streaming_response(self) -> ResponsesWithStreamingResponse:
        """``create()`` and ``parse()`` as ``with`` blocks: the status and headers as soon as
        they arrive, the body read by ``.parse()`` (openai-python's habit)."""
        return ResponsesWithStreamingResponse(self)

    @create_params_signature
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

    def compact(self, **params: Unpack[ResponseCreateParams]) -> list[InputItem]:
        """Compact a history (``input``) into its messages and one encrypted ``compaction``
        item, as the Codex CLI does when a conversation nears the context window.

        Takes the arguments of ``create()`` (the model, instructions and tools of the
        conversation) and returns the new history: pass it as ``input=`` (with the next
        message appended) to continue. Speaks remote compaction v2 (a streamed request whose
        input ends with ``{"type": "compaction_trigger"}``), and the older ``POST
        /responses/compact`` only when the backend refuses that.
        """
        return self._client._call(functools.partial(self._async.compact, **params))


class ResponsesWithRawResponse:
    """``client.responses.with_raw_response``: ``create()`` and ``parse()`` giving a
    ``RawResponse``."""

    def __init__(self, responses: Responses) -> None:
        self._responses = responses

    @overload
    def create(
        self, *, stream: Literal[False] = False, **params: Unpack[ResponseCreateParams]
    ) -> RawResponse[Response]: ...

    @overload
    def create(
        self, *, stream: Literal[True], **params: Unpack[ResponseCreateParams]
    ) -> RawResponse[ResponseStream]: ...

    @overload
    def create(
        self, *, stream: bool, **params: Unpack[ResponseCreateParams]
    ) -> RawResponse[Response | ResponseStream]: ...

    @create_params_signature
    def create(self, *, stream: bool = False, **params: Any) -> RawResponse[Any]:
        """``responses.create(...)``, with the HTTP answer: ``.parse()`` gives its result."""
        client = self._responses._client
        raw = client._call(
            functools.partial(
                self._responses._async.with_raw_response.create, stream=stream, **params
            )
        )
        if not stream:
            return raw
        astream = cast("AsyncResponseStream", raw.parse())
        return RawResponse(raw._http_stream, ResponseStream(astream, client))

    @create_params_signature
    def parse(
        self, *, text_format: type[T], **params: Unpack[ResponseCreateParams]
    ) -> RawResponse[ParsedResponse[T]]:
        """``responses.parse(...)``, with the HTTP answer: ``.parse()`` gives its result."""
        raw = self._responses._async.with_raw_response
        return self._responses._client._call(
            functools.partial(raw.parse, text_format=text_format, **params)
        )


class StreamedRawResponse(Generic[T]):
    """The value of ``with responses.with_streaming_response.create(...) as raw:``.

    The status and headers are known on entry; the body is read by ``raw.parse()`` (the
    ``Response``; with ``stream=True`` the stream itself, to iterate inside the block).
    Leaving the block closes the stream.
    """

    def __init__(self, raw: AsyncStreamedRawResponse[Any], client: Client, stream: bool) -> None:
        self._raw = raw
        self._client = client
        self._stream = stream
        self._wrapper: ResponseStream | None = None

    @property
    def headers(self) -> Mapping[str, str]:
        """The HTTP response headers (case-insensitive)."""
        return self._raw.headers

    @property
    def status_code(self) -> int:
        """The HTTP status of the answer (200: errors raise instead)."""
        return self._raw.status_code

    @property
    def url(self) -> str:
        """The URL the request was sent to."""
        return self._raw.url

    @property
    def method(self) -> str:
        """The HTTP method, ``POST``."""
        return self._raw.method

    @property
    def request_id(self) -> str | None:
        """``x-request-id`` (or ``x-oai-request-id``): quote it when reporting a problem."""
        return self._raw.request_id

    @property
    def retries_taken(self) -> int:
        """How many times the request was retried before this answer."""
        return self._raw.retries_taken

    def parse(self) -> T:
        """Read the body: the ``Response`` (or the stream, or the ``ParsedResponse``)."""
        if self._stream:
            if self._wrapper is None:
                self._wrapper = ResponseStream(self._raw._http_stream, self._client)
            return cast(T, self._wrapper)
        return cast(T, self._client._call(self._raw.parse))

    def __repr__(self) -> str:
        return f"<StreamedRawResponse [{self.status_code}] {self.method} {self.url}>"


class _StreamingContext(Generic[T]):
    """``with``: send the request on entry, close the stream on exit."""

    def __init__(self, context: Any, client: Client, stream: bool) -> None:
        self._context = context
        self._client = client
        self._stream = stream

    def __enter__(self) -> StreamedRawResponse[T]:
        raw = self._client._call(self._context.__aenter__)
        return StreamedRawResponse(raw, self._client, self._stream)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._client._closed:
            self._client._call(self._context.__aexit__, None, None, None)


class ResponsesWithStreamingResponse:
    """``client.responses.with_streaming_response``: ``create()`` and ``parse()`` as
    ``with`` blocks giving a ``StreamedRawResponse``."""

    def __init__(self, responses: Responses) -> None:
        self._responses = responses

    @overload
    def create(
        self, *, stream: Literal[False] = False, **params: Unpack[ResponseCreateParams]
    ) -> _StreamingContext[Response]: ...

    @overload
    def create(
        self, *, stream: Literal[True], **params: Unpack[ResponseCreateParams]
    ) -> _StreamingContext[ResponseStream]: ...

    @overload
    def create(
        self, *, stream: bool, **params: Unpack[ResponseCreateParams]
    ) -> _StreamingContext[Response | ResponseStream]: ...

    @create_params_signature
    def create(self, *, stream: bool = False, **params: Any) -> _StreamingContext[Any]:
        """``with ...create(...) as raw:``; ``raw.parse()`` reads the body."""
        self._responses._client._check_open()
        context = self._responses._async.with_streaming_response.create(stream=stream, **params)
        return _StreamingContext(context, self._responses._client, stream)

    @create_params_signature
    def parse(
        self, *, text_format: type[T], **params: Unpack[ResponseCreateParams]
    ) -> _StreamingContext[ParsedResponse[T]]:
        """``with ...parse(...) as raw:``; ``raw.parse()`` gives the ``ParsedResponse``."""
        self._responses._client._check_open()
        streaming = self._responses._async.with_streaming_response
        context = streaming.parse(text_format=text_format, **params)
        return _StreamingContext(context, self._responses._client, False)


class Models:
    """``client.models``: the models this account can use, from ``GET {base_url}/models``.

    The catalog is cached for five minutes, then revalidated with its ETag (a 304 keeps it).
    """

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
    defaults (``reasoning``, ``tools``, ``text``, ...) apply to every turn and each turn may
    override them. A turn joins ``history`` only when its response completes, so a failed
    turn can simply be asked again.

    ``auto_compact=True`` compacts the history (``compact()``) before a turn once a response
    (since the last compaction) used the model's ``auto_compact_token_limit`` tokens (from the
    model catalog, capped at 90% of its context window as the CLI does); ``auto_compact=<int>``
    sets that threshold. ``ask()`` and ``stream()`` do it before they send the turn (a
    stream when it is opened: on ``with`` or its first event).

    When a response asks for tools, the backend's ``x-codex-turn-state`` is sent back with
    the follow-up that answers them (input without a user message), as the CLI does.

    ``transport=`` (``"sse"``, ``"websocket"`` or ``"auto"``) overrides the client's for
    this conversation's turns (and each ``ask(..., transport=...)`` for one turn). Over
    WebSocket, each new socket first gets a ``generate: false`` request with only the leading
    developer message, as the CLI does; the turn then chains on it with
    ``previous_response_id``. ``prewarm=False`` turns that off.
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
        """Sent as ``session-id`` and ``prompt_cache_key`` with every turn."""
        return self._async.session_id

    @property
    def model(self) -> str:
        """The model slug of every turn."""
        return self._async.model

    def ask(self, input: str | Sequence[InputItem], /, **overrides: Any) -> Response:
        """Send ``input`` after the history; return the ``Response`` and keep both."""
        return self._client._call(functools.partial(self._async.ask, input, **overrides))

    def stream(self, input: str | Sequence[InputItem], /, **overrides: Any) -> ResponseStream:
        """Like ``ask`` but streamed: ``with conversation.stream("...") as stream:``.

        A due compaction runs when the stream is opened, before the turn is sent. The turn
        joins the history when the stream reaches its final event.
        """
        self._client._check_open()
        return ResponseStream(self._async.stream(input, **overrides), self._client)

    def compact(self, **overrides: Any) -> list[InputItem]:
        """Compact the history now (``responses.compact``): its messages and one encrypted
        ``compaction`` item replace it. Returns the new history (a copy)."""
        return self._client._call(functools.partial(self._async.compact, **overrides))

    def clear(self) -> None:
        """Forget the history (the session id stays)."""
        self._async.clear()

    def __repr__(self) -> str:
        return repr(self._async).replace("AsyncConversation", "Conversation", 1)


def _close_abandoned(portal: _Portal, stream: AsyncResponseStream) -> None:
    """A ``ResponseStream`` dropped unclosed (e.g. after ``break``): release its connection."""
    if not sys.is_finalizing():
        portal.submit(stream.aclose)


class ResponseStream:
    """The events of one response, as they arrive. Iterate it with ``for``.

    Use it as ``with`` (or call ``close()``) so the connection is released even when you stop
    early; ``get_final_response()`` drains what is left and returns the ``Response``.

    A loop picks up where the previous one stopped: after a ``break``, the next loop goes on
    with the next event. Events are not kept once handed out, so a new loop over a stream
    already read to its end (by a loop or by ``get_final_response()``), or closed before its
    end, raises ``RuntimeError`` saying so; one that ended with an error raises that again.
    """

    def __init__(self, stream: AsyncResponseStream, client: Client) -> None:
        self._stream = stream
        self._client = client
        # Events arrive in batches: every event parsed so far, one call onto the loop per batch.
        self._batch: list[ResponseStreamEvent] = []
        self._index = 0
        self._closed_early = False
        # The async stream stops at its first terminal event (its last event) and releases its
        # connection there. After it nothing can come and closing has nothing left to do, so
        # neither the end nor close() nor get_final_response() needs another call.
        self._ended = False
        self._finalizer = weakref.finalize(self, _close_abandoned, client._portal, stream)

    @property
    def headers(self) -> Mapping[str, str]:
        """The HTTP response headers (rate limits, request id); empty before the request.

        Over WebSocket, the upgrade's. Headers that a ``response.metadata`` event carries
        (``x-codex-turn-state``, ``openai-model``) are added as it arrives.
        """
        return self._stream.headers

    @property
    def response(self) -> Response:
        """The response as accumulated so far (final once the stream has ended)."""
        return self._stream.response

    @property
    def rate_limits(self) -> RateLimits | None:
        """The rate limits from the headers and ``codex.rate_limits`` events, when sent."""
        return self._stream.rate_limits

    def __iter__(self) -> ResponseStream:
        if self._closed_early or (self._ended and self._index >= len(self._batch)):
            # A new loop with nothing left to give: say so rather than give nothing.
            from ._stream import ALREADY_READ, CLOSED_EARLY

            raise RuntimeError(CLOSED_EARLY if self._closed_early else ALREADY_READ)
        return self

    def __next__(self) -> ResponseStreamEvent:
        if self._index >= len(self._batch):
            if self._ended:
                raise StopIteration
            self._batch = self._client._call(self._stream._next_batch)
            self._index = 0
            # The async stream finishes at its terminal event, the last of its last batch.
            if not self._batch or self._stream._finished:
                self._end()
            if not self._batch:
                raise StopIteration
        event = self._batch[self._index]
        self._index += 1
        return event

    def _end(self) -> None:
        self._ended = True
        self._finalizer.detach()

    def text_deltas(self) -> Iterator[str]:
        """Yield only the pieces of output text, as they arrive."""
        from ._events import ResponseOutputTextDeltaEvent

        for event in self:
            if type(event) is ResponseOutputTextDeltaEvent:
                yield event.delta

    def get_final_response(self) -> Response:
        """Read the rest of the stream and return the final ``Response``."""
        self._batch, self._index = [], 0
        if self._ended:
            return self._stream.response
        response = self._client._call(self._stream.get_final_response)
        self._end()  # it has ended: a loop now says so (a failure above is raised again)
        return response

    def close(self) -> None:
        """Close the stream and release its connection. Idempotent.

        Events not handed out yet are dropped; closed before its end, the stream cannot be
        iterated again (a loop raises ``RuntimeError``).
        """
        if not self._ended or self._index < len(self._batch):
            self._closed_early = True
        self._batch, self._index = [], 0
        self._finalizer.detach()
        if not self._ended and not self._client._closed:
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
        from anyio.from_thread import start_blocking_portal

        with start_blocking_portal("asyncio", name="codex-open-client-login") as portal:
            return portal.call(functools.partial(afunc, *args, **kwargs))

    functools.update_wrapper(run, afunc)
    run.__name__ = run.__qualname__ = afunc.__name__.removeprefix("a")
    # The docstring names the sync twins of its module's async functions (``finish_login``).
    run.__doc__ = re.sub(
        r"``a(\w+)``",
        lambda m: f"``{m[1]}``" if _is_async_function(afunc.__globals__.get(m[0][2:-2])) else m[0],
        afunc.__doc__ or "",
    )
    return run


def _is_async_function(obj: object) -> bool:
    import inspect

    return inspect.iscoroutinefunction(obj)


login = _blocking(alogin)
start_login = _blocking(astart_login)
finish_login = _blocking(afinish_login)
refresh = _blocking(arefresh)
get_token = _blocking(aget_token)
