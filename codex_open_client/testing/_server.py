"""A fake ChatGPT Codex backend served by aiohttp on its own thread and event loop."""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import time
import uuid
from collections import deque
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Literal

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from ._documents import example_document
from ._models_catalog import catalog_etag, default_model_catalog
from ._oauth import Answer, Identity, OAuthAuthority, rfc3339_now
from ._replies import (
    DEFAULT_REPLY_TEXT,
    Reply,
    _Cut,
    _End,
    _Hold,
    _Malformed,
    _Pause,
    _Raw,
    compaction,
    compaction_reply,
    message,
    rate_limit_headers,
    rate_limit_snapshot,
    reasoning,
    reply,
    text_reply,
)
from ._requests import (
    _MAX_REQUEST_BYTES,
    RecordedRequest,
    ReplyFactory,
    _call_factory,
    _FactoryError,
    _parse_json,
    _validate_body,
    _validate_compact_body,
)
from ._writing import _encode_json, _Outcome, _without_encrypted_content, wait_watching

__all__ = ["FakeCodexServer"]

_CODEX_PREFIX = "/backend-api/codex"
_RESPONSES_PATH = f"{_CODEX_PREFIX}/responses"
_COMPACT_PATH = f"{_CODEX_PREFIX}/responses/compact"
_MODELS_PATH = f"{_CODEX_PREFIX}/models"
_USAGE_PATH = "/backend-api/wham/usage"
_ACCOUNTS_CHECK_PATH = "/backend-api/wham/accounts/check"
_AUTHORIZE_PATH = "/oauth/authorize"
_TOKEN_PATH = "/oauth/token"
_REVOKE_PATH = "/oauth/revoke"
_DEVICE_USERCODE_PATH = "/api/accounts/deviceauth/usercode"
_DEVICE_TOKEN_PATH = "/api/accounts/deviceauth/token"


_FLUSH_BYTES = 32 * 1024
_STOP_TIMEOUT_SECONDS = 15.0
_SHUTDOWN_TIMEOUT_SECONDS = 2.0
# Marks a response whose Content-Type aiohttp would otherwise default; removed before sending.
_OMIT_CONTENT_TYPE = "X-Fake-Codex-Omit-Content-Type"


_PlainEndpoint = Literal["models", "usage", "websocket", "compact"]


_SUMMARY_MODES = ("auto", "concise", "detailed")


def _standard_reply(request: RecordedRequest, text: str) -> Reply:
    """The answer when nothing is queued: ``text``, shaped by what the request asks for.

    A ``json_schema`` text format gets an example document of its schema and ``json_object``
    a small object; a ``reasoning.summary`` of ``auto``, ``concise`` or ``detailed`` gets a
    reasoning item with a summary first, as a reasoning model sends. An input ending in
    ``{"type": "compaction_trigger"}`` gets exactly one ``compaction`` item. Ids are new every
    time.
    """
    body = request.json if isinstance(request.json, dict) else {}
    items = body.get("input")
    if (
        isinstance(items, list)
        and items
        and isinstance(items[-1], dict)
        and items[-1].get("type") == "compaction_trigger"
    ):
        return compaction_reply()
    answer = text
    text_config = body.get("text")
    fmt = text_config.get("format") if isinstance(text_config, dict) else None
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        schema = fmt.get("schema")
        if isinstance(schema, dict):
            answer = json.dumps(example_document(schema))
    elif isinstance(fmt, dict) and fmt.get("type") == "json_object":
        answer = json.dumps({"answer": text})
    config = body.get("reasoning")
    if isinstance(config, dict) and config.get("summary") in _SUMMARY_MODES:
        return reply(reasoning(), message(answer))
    return text_reply(answer)


def _merge_headers(
    defaults: Mapping[str, str], overrides: Mapping[str, str | None]
) -> CIMultiDict[str]:
    headers = CIMultiDict(defaults)
    for name, value in overrides.items():
        headers.popall(name, None)
        if value is not None:
            headers[name] = value
    return headers


def _apply_content_type(headers: CIMultiDict[str], content_type: str | None) -> None:
    headers.popall("Content-Type", None)
    if content_type is None:
        headers[_OMIT_CONTENT_TYPE] = "1"
    else:
        headers["Content-Type"] = content_type


async def _strip_content_type(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare`` hook: drop the Content-Type aiohttp adds by default."""
    if _OMIT_CONTENT_TYPE in response.headers:
        del response.headers[_OMIT_CONTENT_TYPE]
        response.headers.popall("Content-Type", None)


def _client_gone(request: web.BaseRequest) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


def _close_connection(request: web.BaseRequest) -> None:
    transport = request.transport
    if transport is not None:
        transport.close()


def _shutdown_loop(loop: asyncio.AbstractEventLoop) -> None:
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.run_until_complete(loop.shutdown_default_executor())


class FakeCodexServer:
    """A protocol-faithful fake of the ChatGPT Codex backend, for tests and demos.

    The server is an ``aiohttp.web`` application on its own daemon thread with its own event
    loop, so synchronous code, asynchronous code (on any other loop) and other processes can all
    talk to it over real sockets::

        with FakeCodexServer() as server:
            server.queue(text_reply("Hi!"), http_error(500))
            client = Client(base_url=server.url, access_token=server.access_token, ...)
            ...
            assert server.requests[0].json["model"] == "gpt-5.4"

    It serves:

    * ``POST {url}/responses``: checks ``Authorization: Bearer <access_token>`` (else ``401
      {"detail": "Unauthorized"}``), answers a queued plain reply (:func:`http_error`...) as
      is, validates the body like the real backend (``400 {"detail": "..."}`` when it is not a
      JSON object, has an unsupported parameter such as ``temperature`` or
      ``max_output_tokens``, has no ``model`` or one that is not in :attr:`model_catalog`
      (``"The 'x' model is not supported when using Codex with a ChatGPT account."``),
      ``store`` is not ``false``, ``stream`` is not ``true``, or an input message has the
      ``system`` role; ``instructions`` is optional),
      then streams the next queued reply, or :attr:`default_reply`, as Server-Sent Events with
      the real backend's ``x-codex-*`` rate-limit headers, ``x-request-id``,
      ``x-oai-request-id``, ``openai-model`` and ``x-models-etag``.
    * ``GET {url}/responses`` with ``Upgrade: websocket``: the Responses WebSocket transport
      of the Codex CLI, with the same token check (a bad token is ``401`` on the upgrade), the
      same queue, replies, validation and recording. Each client text frame ``{"type":
      "response.create", ...body fields inline}`` is answered with the reply's events, one
      JSON object per text frame; errors are error frames ``{"type": "error", "status",
      "error", "headers"}``. See :attr:`websocket` (``426`` when off),
      :attr:`websocket_connection_limit`, :attr:`websocket_request_limit`,
      :attr:`open_websockets` and :attr:`websocket_handshakes`; details below.
    * ``POST {url}/responses/compact``: the older remote compaction, ``{"output": [...]}``.
    * ``GET {url}/models``: the model catalog ``{"models": [...]}`` with an ``ETag``.
    * ``GET {chatgpt_base_url}/wham/usage``: the rate-limit status of the account.
    * ``GET {chatgpt_base_url}/wham/accounts/check``: the workspace routing discovery of the
      CLI's ``OpenAI`` provider (one personal account, :attr:`workspace_backend_origin`).

    An input whose last item is ``{"type": "compaction_trigger"}`` (remote compaction v2) is
    answered, when nothing is queued, with exactly one ``compaction`` item
    (:func:`compaction_reply`), on both transports.

    **WebSocket.** The upgrade (permessage-deflate accepted) answers ``101`` with the
    rate-limit headers, ``x-request-id`` and ``x-models-etag`` (plus
    :attr:`websocket_upgrade_headers`), unless a plain reply is queued with
    ``queue_for("websocket", ...)`` (sent instead, e.g. ``http_error(500)``). Each socket
    serves its frames one after the other and remembers its last completed response (its
    effective input and output items): a frame with that ``previous_response_id`` is expanded
    into the full input before validation and reply logic (see :class:`RecordedRequest`), any
    other id is answered ``{"type": "error", "status": 400, "error": {"type":
    "invalid_request_error", "code": "previous_response_not_found", "message": "Previous
    response with id '…' not found.", "param": "previous_response_id"}}``; chains never cross
    sockets. A frame with ``"generate": false`` (the CLI's prewarm) is answered by the server
    itself, without using the queue: ``codex.rate_limits``, ``response.created``,
    ``response.in_progress`` and ``response.completed`` with no output. Plain replies
    (:func:`http_error`...) and validation failures become error frames with their status:
    ``error`` is the body's ``error`` object, or ``{"message": detail}`` for a FastAPI-style
    ``{"detail": ...}`` body; ``headers`` are the reply's headers plus the request ids. Headers
    a streamed reply sets (``with_headers``) travel as a top-level ``"headers"`` object on its
    first event. Control steps: :meth:`Reply.cut_after` drops the TCP connection,
    :meth:`Reply.end_after` and :meth:`Reply.close_socket` send a close frame,
    :meth:`Reply.binary` a binary frame, :func:`error_frame_reply` any error frame (also one
    without ``status``). A ``response.processed`` acknowledgement is recorded and not answered;
    any other frame that is not a ``response.create`` JSON object, or a binary frame, gets a
    ``400`` error frame.

    It is also the ChatGPT sign-in server, at :attr:`issuer` (same port), with the wire format
    of the Codex CLI:

    * ``GET {issuer}/oauth/authorize``: checks ``client_id``, a ``redirect_uri`` of the form
      ``http://localhost:{port}/auth/callback``, ``response_type=code``, a ``scope`` with
      ``openid`` and ``offline_access``, an S256 ``code_challenge`` and a ``state``, then
      approves at once: ``302`` to ``redirect_uri?code=...&state=...``. A bad ``client_id`` or
      ``redirect_uri`` is a ``400``; other problems, and :attr:`authorize_error`, redirect with
      ``error``, ``error_description`` and ``state``.
    * ``POST {issuer}/oauth/token``: the code exchange (a form, ``grant_type=
      authorization_code``: checks the code, ``redirect_uri``, ``client_id`` and that the
      ``code_verifier`` hashes to the challenge; failures are ``400 {"error": "invalid_grant",
      "error_description": ...}``) and the refresh (JSON, ``grant_type=refresh_token``).
      Refresh tokens rotate: each is single use, a used one gets ``401 {"error": {"code":
      "refresh_token_reused", ...}}`` and an unknown or revoked one ``401 {"error": {"code":
      "refresh_token_invalidated", ...}}``. Both grants answer ``{id_token, access_token,
      refresh_token, expires_in, token_type, scope}``. The other encoding of a grant is a 400.
    * ``POST {issuer}/oauth/revoke`` (JSON ``{token, ...}``): always ``200 {}``; the token is
      logged in :attr:`revoked`, a refresh token can no longer refresh and an access token is
      no longer accepted.
    * ``POST {issuer}/api/accounts/deviceauth/usercode`` (JSON ``{client_id}``): ``{device_auth_id,
      user_code, interval}`` (``interval`` a string of seconds, :attr:`device_poll_interval`).
    * ``POST {issuer}/api/accounts/deviceauth/token`` (JSON ``{device_auth_id, user_code}``):
      ``403`` until the code is approved (:meth:`approve_device_code` or
      :attr:`device_auto_approve`), then ``{authorization_code, code_challenge,
      code_verifier}`` for a code exchange with ``redirect_uri={issuer}/deviceauth/callback``.

    The id and access tokens are HS256 JWTs signed with a key private to this server object,
    with ``iss``, ``sub``, ``iat``, ``exp`` (now + :attr:`token_lifetime`), ``email`` and the
    ``https://api.openai.com/auth`` claim (``chatgpt_account_id`` = :attr:`account_id`,
    ``chatgpt_plan_type``, ``chatgpt_user_id``); the access token also has the
    ``https://api.openai.com/profile`` claim. ``/responses``, ``/models`` and ``/wham/usage``
    accept :attr:`access_token` and every unexpired, unrevoked access token this server
    minted; anything else is ``401 {"detail": "Unauthorized"}``.

    Any other path gets ``404 {"detail": "Not Found"}``. Every request, including rejected
    ones and sign-in requests, is recorded in :attr:`requests`.

    Args:
        host: Interface to listen on.
        port: TCP port; ``0`` picks a free one (see :attr:`port`).
        access_token: A fixed bearer token that is always accepted, besides the minted ones.
            Settable later: ``server.access_token = "new-token"``.
        account_id: The ChatGPT account id clients should send (``ChatGPT-Account-ID``); it is
            recorded, not checked, and is the ``chatgpt_account_id`` of minted tokens.
        model_catalog: The models served by ``/models``; defaults to
            :func:`default_model_catalog`.
        token_lifetime: Seconds until minted tokens expire (settable: :attr:`token_lifetime`).
        email: The ``email`` claim of minted tokens.
        plan_type: The ``chatgpt_plan_type`` claim of minted tokens.
        user_id: The ``chatgpt_user_id`` claim (and ``sub``) of minted tokens.
        reply_text: The text of the standard answer (:meth:`standard_reply`).
        websocket: Serve the WebSocket transport (settable: :attr:`websocket`); ``False``
            answers every upgrade with ``426``, so the Codex CLI falls back to HTTP at once.
        websocket_connection_limit: Seconds a socket may live, like the real backend's
            60-minute limit (settable); a ``response.create`` arriving later is answered with
            the ``websocket_connection_limit_reached`` error frame and the socket is closed.
            ``None``: no limit.
        websocket_request_limit: How many ``response.create`` frames one socket answers
            (settable); the next one gets the connection-limit error frame and the socket is
            closed. ``None`` (default): no limit.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        access_token: str = "fake-access-token",
        account_id: str = "acct_fake",
        model_catalog: Sequence[Mapping[str, Any]] | None = None,
        token_lifetime: float = 3600.0,
        email: str = "user@example.com",
        plan_type: str = "plus",
        user_id: str = "user-fake",
        reply_text: str = DEFAULT_REPLY_TEXT,
        websocket: bool = True,
        websocket_connection_limit: float | None = 3600.0,
        websocket_request_limit: int | None = None,
    ) -> None:
        self.host = host
        self.access_token = access_token
        self.account_id = account_id
        self.token_lifetime = token_lifetime
        """Seconds from minting until tokens expire (JWT ``exp``); ``0`` or less mints
        tokens that are already expired."""
        self.email = email
        self.plan_type = plan_type
        self.user_id = user_id
        self.authorize_error: tuple[str, str] | None = None
        """When set, ``(error, error_description)`` that ``/oauth/authorize`` redirects back
        with instead of a code, e.g. ``("access_denied", "missing_codex_entitlement")``."""
        self.refresh_delay = 0.0
        """Seconds the token endpoint waits before answering a refresh (after rotating), to
        widen race windows."""
        self.device_poll_interval = 1.0
        """The polling ``interval`` the device-code endpoint tells clients, in seconds."""
        self.device_auto_approve: int | None = None
        """``None``: device codes wait for :meth:`approve_device_code`. A number ``n``: each
        device code is approved by itself after ``n`` polls answered "pending" (``0``: at
        the first poll)."""
        self.model_catalog: list[dict[str, Any]] = (
            [dict(model) for model in model_catalog]
            if model_catalog is not None
            else default_model_catalog()
        )
        """The models served by ``GET /models`` (settable); ``POST /responses`` refuses any
        other model with a 400, like the real backend."""
        self.reply_text = reply_text
        """The text of the standard answer (settable); see :attr:`default_reply`."""
        self.default_reply: Reply | ReplyFactory = self.standard_reply
        """The answer used when the queue is empty: a :class:`Reply` (sent as is every time) or
        a :data:`ReplyFactory` called for each request. The default is
        :meth:`standard_reply`."""
        self.websocket = websocket
        """Whether ``GET /responses`` with ``Upgrade: websocket`` is accepted (settable);
        when ``False`` the upgrade is answered ``426 {"detail": "Upgrade Required"}``."""
        self.websocket_connection_limit = websocket_connection_limit
        """Seconds a socket may live before its next ``response.create`` is answered with
        the ``websocket_connection_limit_reached`` error frame (then the socket is closed);
        ``None`` for no limit. The real backend's limit is 60 minutes (the default)."""
        self.websocket_request_limit = websocket_request_limit
        """How many ``response.create`` frames one socket answers before the next one gets
        the ``websocket_connection_limit_reached`` error frame (then the socket is closed);
        ``None`` (default) for no limit. A quick way to test the connection limit."""
        self.websocket_upgrade_headers: dict[str, str] = {}
        """Extra headers of every accepted upgrade (``101``), e.g. ``{"x-codex-turn-state":
        "ts-1"}``; they override the defaults."""
        self.workspace_backend_origin: str | None = None
        """The ``workspace_backend_origin`` that ``/wham/accounts/check`` reports; ``None``
        reports this server's address with the ``https`` scheme (the CLI accepts only an
        HTTPS origin)."""
        self._requested_port = port
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._queue: deque[Reply | ReplyFactory] = deque()
        self._plain_queues: dict[str, deque[Reply]] = {
            "models": deque(),
            "usage": deque(),
            "websocket": deque(),
            "compact": deque(),
        }
        self._requests: list[RecordedRequest] = []
        self._disconnects = 0
        self._handshakes: list[RecordedRequest] = []
        self._open_websockets = 0
        self._websockets_opened = 0
        self._next_socket_id = 0
        # Loop-side only: the transports of open sockets, closed when the server stops.
        self._socket_transports: set[asyncio.BaseTransport] = set()
        self._oauth = OAuthAuthority()
        self._lifecycle = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._start_error: BaseException | None = None
        self._stopping = False

    def standard_reply(self, request: RecordedRequest) -> Reply:
        """The answer to ``request`` when nothing is queued (the default :attr:`default_reply`).

        It streams :attr:`reply_text` with fresh ids, shaped by what the request asks for: a
        ``json_schema`` text format gets an example document of its schema
        (:func:`example_document`), ``json_object`` gets ``{"answer": reply_text}``, and a
        ``reasoning.summary`` (``auto``, ``concise`` or ``detailed``) gets a reasoning item
        with a summary before the message. Call it from your own factory to keep this
        behaviour for the requests you do not script.
        """
        return _standard_reply(request, self.reply_text)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeCodexServer:
        """Start serving on a background thread and return ``self``; no-op when running.

        Raises:
            OSError: The address cannot be bound (e.g. the port is in use).
        """
        with self._lifecycle:
            if self._thread is not None:
                return self
            loop = asyncio.new_event_loop()
            ready = threading.Event()
            self._start_error = None
            self._stopping = False
            thread = threading.Thread(
                target=self._serve, args=(loop, ready), name="FakeCodexServer", daemon=True
            )
            thread.start()
            ready.wait()
            if self._start_error is not None:
                thread.join()
                error, self._start_error = self._start_error, None
                raise error
            self._thread, self._loop = thread, loop
        return self

    def stop(self) -> None:
        """Stop serving, close all connections and join the thread; no-op when not running.

        Streams still in progress (for instance waiting on a :meth:`Reply.hold` gate) are cut.
        The server can be started again afterwards (on a new port if ``port=0``).
        """
        with self._lifecycle:
            thread, loop = self._thread, self._loop
            if thread is None or loop is None:
                return
            if threading.current_thread() is thread:
                raise RuntimeError("FakeCodexServer.stop() cannot be called from its own loop")
            try:
                future = asyncio.run_coroutine_threadsafe(self._astop(), loop)
                future.result(timeout=_STOP_TIMEOUT_SECONDS)
            finally:
                loop.call_soon_threadsafe(loop.stop)
                thread.join(timeout=_STOP_TIMEOUT_SECONDS)
                self._thread = self._loop = None
                self._port = None

    @property
    def running(self) -> bool:
        """Whether the server is currently serving."""
        return self._thread is not None

    def __enter__(self) -> FakeCodexServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> FakeCodexServer:
        # start()/stop() block only briefly, but run them off the caller's loop anyway so its
        # own connections to this server keep being served while we wait.
        await asyncio.get_running_loop().run_in_executor(None, self.start)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.stop)

    def _serve(self, loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        try:
            try:
                loop.run_until_complete(self._astart())
            except BaseException as exc:
                self._start_error = exc
                return
            finally:
                ready.set()
            loop.run_forever()
        finally:
            try:
                _shutdown_loop(loop)
            finally:
                asyncio.set_event_loop(None)
                loop.close()

    async def _astart(self) -> None:
        app = web.Application(client_max_size=_MAX_REQUEST_BYTES)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        app.on_response_prepare.append(_strip_content_type)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=_SHUTDOWN_TIMEOUT_SECONDS)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self._requested_port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def _astop(self) -> None:
        self._stopping = True
        for transport in list(self._socket_transports):
            transport.close()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    # -- addresses ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port the server listens on (raises ``RuntimeError`` when not running)."""
        port = self._port
        if port is None:
            raise RuntimeError("FakeCodexServer is not running: call start() or use `with`")
        return port

    @property
    def _origin(self) -> str:
        host = self.host
        if host in ("", "0.0.0.0"):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def url(self) -> str:
        """The client's base URL: ``http://127.0.0.1:{port}/backend-api/codex``."""
        return f"{self._origin}{_CODEX_PREFIX}"

    @property
    def websocket_url(self) -> str:
        """The WebSocket URL: ``ws://127.0.0.1:{port}/backend-api/codex/responses``."""
        return f"ws{self._origin[4:]}{_RESPONSES_PATH}"

    @property
    def chatgpt_base_url(self) -> str:
        """The ChatGPT backend base URL: ``http://127.0.0.1:{port}/backend-api``."""
        return f"{self._origin}/backend-api"

    @property
    def issuer(self) -> str:
        """The sign-in server's issuer URL: ``http://127.0.0.1:{port}`` (no trailing slash)."""
        return self._origin

    def __repr__(self) -> str:
        where = self.url if self.running else "stopped"
        return f"<FakeCodexServer {where} queued={len(self._queue)}>"

    # -- scripting and inspection ------------------------------------------------------------

    def queue(self, *replies: Reply | ReplyFactory) -> None:
        """Append answers for the next ``POST /responses`` requests, served first in, first out.

        A reply is consumed by the request it answers. Requests rejected with 401 (bad token)
        or 400 (invalid body) do not consume the streamed reply at the head of the queue;
        plain replies (:func:`http_error`...) are answered right after the token check. A
        :data:`ReplyFactory` in the queue is called once, with the first request that reaches
        it. When the queue is empty, :attr:`default_reply` answers.
        """
        for item in replies:
            if not isinstance(item, Reply) and not callable(item):
                raise TypeError(f"expected a Reply or a callable, got {item!r}")
        with self._lock:
            self._queue.extend(replies)

    def queue_for(self, endpoint: _PlainEndpoint, *replies: Reply) -> None:
        """Append plain answers (e.g. :func:`http_error`) for the next requests of an endpoint,
        served first in, first out, after the token check.

        ``endpoint`` is ``"models"`` (``GET /models``), ``"usage"`` (``GET /wham/usage``),
        ``"websocket"`` (the next WebSocket upgrades: the reply is sent instead of ``101``,
        e.g. ``http_error(426)`` once or ``http_error(500)``) or ``"compact"`` (``POST
        /responses/compact``; a ``200`` reply such as ``http_error(200, {"output": [...]})``
        replaces the standard answer). When none is queued, the endpoint answers normally.
        """
        if endpoint not in self._plain_queues:
            names = ", ".join(repr(name) for name in self._plain_queues)
            raise ValueError(f"endpoint must be one of {names}, got {endpoint!r}")
        for item in replies:
            if not isinstance(item, Reply) or item.is_stream:
                raise TypeError(f"expected a plain Reply such as http_error(...), got {item!r}")
        with self._lock:
            self._plain_queues[endpoint].extend(replies)

    async def _queued_plain(self, endpoint: str, request: web.Request) -> web.StreamResponse | None:
        with self._lock:
            waiting = self._plain_queues[endpoint]
            reply = waiting.popleft() if waiting else None
        return None if reply is None else await self._send_plain(request, reply)

    @property
    def queued(self) -> int:
        """How many queued replies are still waiting for a request."""
        with self._lock:
            return len(self._queue)

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def answered_requests(self) -> list[RecordedRequest]:
        """``requests`` without the WebSocket prewarms (``generate: false``), which
        conversations send on each new socket: the requests that asked for an answer."""
        return [request for request in self.requests if not request.is_prewarm]

    @property
    def disconnects(self) -> int:
        """How many streamed responses were abandoned by their client before they finished.

        The server notices a client going away when a write fails or, while it waits (a pause,
        a :meth:`Reply.hold` gate, :attr:`Reply.pace`), when the connection closes. A client
        that closes a short stream which the server already wrote completely into the socket
        is not counted: use a gate or a pause to make the test deterministic.
        """
        with self._lock:
            return self._disconnects

    @property
    def websocket_handshakes(self) -> list[RecordedRequest]:
        """A snapshot of every WebSocket upgrade request, accepted or refused, in arrival order.

        Each is a :class:`RecordedRequest` with ``method="GET"``, ``transport="websocket"``,
        no body, and the ``socket_id`` of the socket it opened (``None`` when it was refused:
        401, 426, a queued plain reply...). Handshakes are not in :attr:`requests`; the frames
        sent on accepted sockets are.
        """
        with self._lock:
            return list(self._handshakes)

    @property
    def open_websockets(self) -> int:
        """How many WebSocket connections are open right now (tests assert none is left)."""
        with self._lock:
            return self._open_websockets

    @property
    def websockets_opened(self) -> int:
        """How many WebSocket connections were accepted (since :meth:`clear`)."""
        with self._lock:
            return self._websockets_opened

    def wait_for_open_websockets(self, count: int = 0, *, timeout: float = 5.0) -> int:
        """Block until :attr:`open_websockets` equals ``count`` (default: all closed); return it.

        A socket the client closed is counted as closed once the server has processed the
        closing, which happens a moment after the client's ``close()`` returns.

        Raises:
            TimeoutError: The count was not reached within ``timeout`` seconds.
        """
        with self._changed:
            if not self._changed.wait_for(lambda: self._open_websockets == count, timeout):
                raise TimeoutError(
                    f"{self._open_websockets} open WebSockets, not {count}, after {timeout}s"
                )
            return self._open_websockets

    def clear(self) -> None:
        """Forget the queued replies, the recorded requests and the disconnect count.

        On the sign-in side it also forgets :attr:`refresh_count`, :attr:`revoked`, the replies
        queued with :meth:`queue_refresh`, unused authorization codes and device codes. Issued
        tokens keep their state, like accounts on the real server: a minted access token stays
        valid until it expires, and a refresh token stays usable (or used, or revoked). Settings
        (:attr:`access_token`, :attr:`token_lifetime`, :attr:`authorize_error`...) are kept.
        """
        with self._lock:
            self._queue.clear()
            for waiting in self._plain_queues.values():
                waiting.clear()
            self._requests.clear()
            self._disconnects = 0
            self._handshakes.clear()
            self._websockets_opened = 0
        self._oauth.clear()

    # -- sign-in -----------------------------------------------------------------------------

    def _identity(self) -> Identity:
        return Identity(
            issuer=self.issuer,
            account_id=self.account_id,
            email=self.email,
            plan_type=self.plan_type,
            user_id=self.user_id,
            lifetime=self.token_lifetime,
        )

    def mint_credentials(self, *, expires_in: float | None = None) -> dict[str, Any]:
        """Mint fresh tokens and return them in the Codex CLI's ``auth.json`` format.

        The result is ready to write to ``auth.json`` (``json.dumps``, then ``chmod 600``:
        a file others can read gives an ``InsecureCredentialsWarning``)::

            {"auth_mode": "chatgpt", "OPENAI_API_KEY": None,
             "tokens": {"id_token": ..., "access_token": ..., "refresh_token": ...,
                        "account_id": server.account_id},
             "last_refresh": "2026-04-27T12:34:56.123456Z"}

        The refresh token is valid (unused) and the access token is accepted until it expires.

        Args:
            expires_in: Seconds until the tokens expire; defaults to :attr:`token_lifetime`.
                Zero or negative gives an already expired access token (to test refresh).

        Raises:
            RuntimeError: The server is not running (the issuer includes its port).
        """
        tokens = self._oauth.mint(self._identity(), expires_in)
        return {
            "auth_mode": "chatgpt",
            "OPENAI_API_KEY": None,
            "tokens": {
                "id_token": tokens["id_token"],
                "access_token": tokens["access_token"],
                "refresh_token": tokens["refresh_token"],
                "account_id": self.account_id,
            },
            "last_refresh": rfc3339_now(),
        }

    @property
    def refresh_count(self) -> int:
        """How many refresh grants ``POST /oauth/token`` received, successful or not."""
        return self._oauth.refresh_count

    @property
    def revoked(self) -> list[str]:
        """A snapshot of the tokens sent to ``/oauth/revoke``, in arrival order."""
        return self._oauth.revoked

    def queue_refresh(self, *replies: Reply) -> None:
        """Answer the next refresh grants with these plain replies, first in, first out.

        For example ``server.queue_refresh(http_error(503))`` makes the next refresh fail
        transiently. A refresh answered this way still counts in :attr:`refresh_count` but
        does not use up its refresh token.
        """
        for item in replies:
            if not isinstance(item, Reply) or item.is_stream:
                raise TypeError(f"expected a plain Reply such as http_error(...), got {item!r}")
        self._oauth.queue_refresh(replies)

    def approve_device_code(self, user_code: str) -> None:
        """Approve a device code, as the user typing it at ``{issuer}/codex/device`` would.

        The next poll of ``/api/accounts/deviceauth/token`` then succeeds.

        Raises:
            ValueError: No device code with this user code was requested (since :meth:`clear`).
        """
        self._oauth.approve_device_code(user_code, self.issuer)

    def wait_for_device_code(self, *, timeout: float = 5.0) -> str:
        """Block until a device code was requested and is not approved yet; return its user code.

        Raises:
            TimeoutError: None was requested within ``timeout`` seconds.
        """
        return self._oauth.wait_for_device_code(timeout)

    def wait_for_requests(self, count: int = 1, *, timeout: float = 5.0) -> list[RecordedRequest]:
        """Block until at least ``count`` requests were recorded and return them all.

        Raises:
            TimeoutError: Fewer requests arrived within ``timeout`` seconds.
        """
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._requests) >= count, timeout):
                raise TimeoutError(f"{len(self._requests)} of {count} requests after {timeout}s")
            return list(self._requests)

    def wait_for_disconnects(self, count: int = 1, *, timeout: float = 5.0) -> int:
        """Block until :attr:`disconnects` reaches ``count`` and return it.

        Raises:
            TimeoutError: Fewer disconnects were seen within ``timeout`` seconds.
        """
        with self._changed:
            if not self._changed.wait_for(lambda: self._disconnects >= count, timeout):
                raise TimeoutError(f"{self._disconnects} of {count} disconnects after {timeout}s")
            return self._disconnects

    def _record(self, record: RecordedRequest) -> None:
        with self._changed:
            self._requests.append(record)
            self._changed.notify_all()

    def _record_handshake(self, record: RecordedRequest) -> None:
        with self._changed:
            self._handshakes.append(record)
            self._changed.notify_all()

    def _socket_opened(self) -> int:
        """Count a new accepted socket and return its id."""
        with self._changed:
            socket_id = self._next_socket_id
            self._next_socket_id += 1
            self._open_websockets += 1
            self._websockets_opened += 1
            self._changed.notify_all()
            return socket_id

    def _socket_closed(self) -> None:
        with self._changed:
            self._open_websockets -= 1
            self._changed.notify_all()

    def _note_disconnect(self) -> None:
        with self._changed:
            self._disconnects += 1
            self._changed.notify_all()

    # -- HTTP --------------------------------------------------------------------------------

    @staticmethod
    def _ids() -> dict[str, str]:
        request_id = str(uuid.uuid4())
        return {
            "x-request-id": request_id,
            "x-oai-request-id": request_id,
            "cf-ray": f"{secrets.token_hex(8)}-SJC",
        }

    def _json(
        self, status: int, payload: Any, headers: Mapping[str, str] | None = None
    ) -> web.Response:
        merged = {**self._ids(), **(headers or {})}
        return web.Response(
            status=status,
            body=_encode_json(payload).encode(),
            content_type="application/json",
            headers=merged,
        )

    def _check_auth(self, record: RecordedRequest) -> web.Response | None:
        scheme, _, token = record.headers.get("Authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or (
            token != self.access_token and not self._oauth.accepts(token)
        ):
            return self._json(401, {"detail": "Unauthorized"})
        return None

    def _answer(self, answer: Answer) -> web.Response:
        if answer.location is not None:
            return web.Response(
                status=answer.status, headers={**self._ids(), "Location": answer.location}
            )
        return self._json(answer.status, answer.payload, {"Cache-Control": "no-store"})

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        if (
            request.path == _RESPONSES_PATH
            and request.method == "GET"
            and "websocket" in request.headers.get("Upgrade", "").lower()
        ):
            from ._websocket import serve_websocket

            return await serve_websocket(self, request)
        body = await request.read()
        record = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=CIMultiDictProxy(CIMultiDict(request.headers)),
            json=_parse_json(body),
            body=body,
        )
        self._record(record)
        routes = {
            _RESPONSES_PATH: ("POST", self._handle_responses),
            _COMPACT_PATH: ("POST", self._handle_compact),
            _MODELS_PATH: ("GET", self._handle_models),
            _USAGE_PATH: ("GET", self._handle_usage),
            _ACCOUNTS_CHECK_PATH: ("GET", self._handle_accounts_check),
            _AUTHORIZE_PATH: ("GET", self._handle_authorize),
            _TOKEN_PATH: ("POST", self._handle_token),
            _REVOKE_PATH: ("POST", self._handle_revoke),
            _DEVICE_USERCODE_PATH: ("POST", self._handle_device_usercode),
            _DEVICE_TOKEN_PATH: ("POST", self._handle_device_token),
        }
        route = routes.get(request.path)
        if route is None:
            return self._json(404, {"detail": "Not Found"})
        method, handler = route
        if request.method != method:
            return self._json(405, {"detail": "Method Not Allowed"}, {"Allow": method})
        return await handler(request, record)

    async def _handle_authorize(
        self, request: web.Request, record: RecordedRequest
    ) -> web.StreamResponse:
        return self._answer(self._oauth.authorize(record.query, self.authorize_error))

    async def _handle_token(
        self, request: web.Request, record: RecordedRequest
    ) -> web.StreamResponse:
        answer = self._oauth.token(record.headers, record.body, self._identity())
        delay = self.refresh_delay
        if delay > 0 and self._oauth.is_refresh_grant(record.headers, record.body):
            outcome = await self._wait(request, seconds=delay)
            if outcome != "ok":
                _close_connection(request)
                return web.Response()
        if isinstance(answer, Reply):
            return await self._send_plain(request, answer)
        return self._answer(answer)

    async def _handle_revoke(
        self, request: web.Request, record: RecordedRequest
    ) -> web.StreamResponse:
        return self._answer(self._oauth.revoke(record.headers, record.body))

    async def _handle_device_usercode(
        self, request: web.Request, record: RecordedRequest
    ) -> web.StreamResponse:
        return self._answer(self._oauth.device_usercode(record.body, self.device_poll_interval))

    async def _handle_device_token(
        self, request: web.Request, record: RecordedRequest
    ) -> web.StreamResponse:
        answer = self._oauth.device_token(record.body, self.issuer, self.device_auto_approve)
        return self._answer(answer)

    async def _handle_models(
        self, request: web.Request, record: RecordedRequest
    ) -> web.StreamResponse:
        denied = self._check_auth(record)
        if denied is not None:
            return denied
        queued = await self._queued_plain("models", request)
        if queued is not None:
            return queued
        models = _visible_models(self.model_catalog, record.query.get("client_version"))
        etag = catalog_etag(models)
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={**self._ids(), "ETag": etag})
        return self._json(200, {"models": models}, {"ETag": etag})

    async def _handle_usage(
        self, request: web.Request, record: RecordedRequest
    ) -> web.StreamResponse:
        denied = self._check_auth(record)
        if denied is not None:
            return denied
        queued = await self._queued_plain("usage", request)
        if queued is not None:
            return queued
        now = int(time.time())
        snap = rate_limit_snapshot(now)

        def window(limit: Mapping[str, Any]) -> dict[str, Any]:
            return {
                "used_percent": round(limit["used_percent"]),
                "limit_window_seconds": limit["window_minutes"] * 60,
                "reset_after_seconds": limit["reset_at"] - now,
                "reset_at": limit["reset_at"],
            }

        payload = {
            "plan_type": snap["plan_type"],
            "rate_limit": {
                "allowed": True,
                "limit_reached": False,
                "primary_window": window(snap["primary"]),
                "secondary_window": window(snap["secondary"]),
            },
            "credits": snap["credits"],
            "additional_rate_limits": [],
            "rate_limit_reached_type": None,
        }
        return self._json(200, payload)

    async def _handle_accounts_check(
        self, request: web.Request, record: RecordedRequest
    ) -> web.StreamResponse:
        denied = self._check_auth(record)
        if denied is not None:
            return denied
        origin = self.workspace_backend_origin
        if origin is None:
            origin = "https://" + self._origin.partition("://")[2]
        account = {
            "id": self.account_id,
            "name": "Personal",
            "structure": "personal",
            "workspace_backend_origin": origin,
            "account_routing_override": "us",
        }
        payload = {
            "accounts": [account],
            "account_ordering": [self.account_id],
            "default_account_id": self.account_id,
        }
        return self._json(200, payload)

    async def _handle_compact(
        self, request: web.Request, record: RecordedRequest
    ) -> web.StreamResponse:
        denied = self._check_auth(record)
        if denied is not None:
            return denied
        queued = await self._queued_plain("compact", request)
        if queued is not None:
            return queued
        problem = _validate_compact_body(record.json, self.model_catalog)
        if problem is not None:
            return self._json(400, {"detail": problem})
        items = record.json["input"]
        kept = [
            item
            for item in items
            if isinstance(item, dict)
            and item.get("type", "message") == "message"
            and item.get("role") == "user"
        ]
        return self._json(200, {"output": [*kept, compaction().item]})

    def _next_reply(self, record: RecordedRequest) -> tuple[Reply, bool]:
        """Return the reply for ``record`` and whether it is the head of the queue."""
        with self._lock:
            if self._queue:
                head = self._queue[0]
                if not isinstance(head, Reply):
                    try:
                        head = _call_factory(head, record)
                    except _FactoryError:
                        self._queue.popleft()
                        raise
                    self._queue[0] = head
                return head, True
            default = self.default_reply
        if isinstance(default, Reply):
            return default, False
        return _call_factory(default, record), False

    def _consume(self, reply: Reply) -> None:
        with self._lock:
            if self._queue and self._queue[0] is reply:
                self._queue.popleft()

    async def _handle_responses(
        self, request: web.Request, record: RecordedRequest
    ) -> web.StreamResponse:
        denied = self._check_auth(record)
        if denied is not None:
            return denied
        try:
            reply, queued = self._next_reply(record)
        except _FactoryError as exc:
            return self._json(500, {"detail": str(exc)})
        if not reply.is_stream:
            if queued:
                self._consume(reply)
            return await self._send_plain(request, reply)
        problem = _validate_body(record.json, self.model_catalog)
        if problem is not None:
            return self._json(400, {"detail": problem})
        if queued:
            self._consume(reply)
        model: str = record.json["model"]
        # Like the real backend: reasoning comes with encrypted_content only when asked for.
        include = record.json.get("include")
        encrypted = isinstance(include, list) and "reasoning.encrypted_content" in include
        return await self._send_stream(request, reply, reply.model or model, encrypted)

    async def _send_plain(self, request: web.Request, reply: Reply) -> web.StreamResponse:
        if reply.delay:
            await self._wait(request, seconds=reply.delay)
        headers = _merge_headers(self._ids(), reply.headers)
        _apply_content_type(headers, reply.content_type)
        return web.Response(status=reply.status, body=reply.body, headers=headers)

    def _stream_headers(self, reply: Reply, model: str) -> CIMultiDict[str]:
        defaults = {
            **rate_limit_headers(),
            **self._ids(),
            "openai-model": model,
            "x-models-etag": catalog_etag(self.model_catalog),
        }
        headers = _merge_headers(defaults, reply.headers)
        _apply_content_type(headers, reply.content_type)
        return headers

    async def _wait(
        self,
        request: web.BaseRequest,
        *,
        seconds: float | None = None,
        gate: threading.Event | None = None,
    ) -> _Outcome:
        """Wait without blocking the loop, watching the client and the server's shutdown."""
        return await wait_watching(
            stopping=lambda: self._stopping,
            gone=lambda: _client_gone(request),
            seconds=seconds,
            gate=gate,
        )

    async def _send_stream(
        self, request: web.Request, reply: Reply, model: str, encrypted: bool = True
    ) -> web.StreamResponse:
        if reply.delay:
            outcome = await self._wait(request, seconds=reply.delay)
            if outcome != "ok":
                if outcome == "gone":
                    self._note_disconnect()
                _close_connection(request)
                return web.Response()
        response = web.StreamResponse(
            status=reply.status, headers=self._stream_headers(reply, model)
        )
        try:
            await response.prepare(request)
            outcome = await self._write_steps(request, response, reply, model, encrypted)
        except ConnectionError:
            outcome = "gone"
        if outcome == "gone":
            self._note_disconnect()
        elif outcome == "stopping":
            _close_connection(request)
        return response

    async def _write_steps(
        self,
        request: web.Request,
        response: web.StreamResponse,
        reply: Reply,
        model: str,
        encrypted: bool = True,
    ) -> _Outcome:
        nl = reply.line_ending
        pace = reply.pace
        echo_model = reply.model is None
        write = response.write
        encode = _encode_json
        buffer = bytearray()
        sequence = 0

        async def flush() -> None:
            nonlocal buffer
            if buffer:
                # Hand over the filled buffer and start a new one: the transport may keep a
                # reference to the bytes it has not sent yet.
                data, buffer = buffer, bytearray()
                await write(data)

        for step in reply.steps:
            if isinstance(step, dict):
                if pace and sequence:
                    await flush()
                    outcome = await self._wait(request, seconds=pace)
                    if outcome != "ok":
                        return outcome
                event_type = step["type"]
                if not encrypted:
                    step = _without_encrypted_content(step)
                payload = {"type": event_type, "sequence_number": sequence, **step}
                if echo_model and "response" in step:
                    obj = step["response"]
                    if isinstance(obj, dict) and "model" in obj and obj["model"] is None:
                        payload["response"] = {**obj, "model": model}
                buffer += f"event: {event_type}{nl}data: {encode(payload)}{nl}{nl}".encode()
                sequence += 1
                if len(buffer) >= _FLUSH_BYTES:
                    await flush()
                    if self._stopping:
                        return "stopping"
            elif isinstance(step, _Raw):
                buffer += step.data
            elif isinstance(step, _Malformed):
                buffer += f"data: {{not json{nl}{nl}".encode()
            elif isinstance(step, _Pause):
                await flush()
                outcome = await self._wait(request, seconds=step.seconds)
                if outcome != "ok":
                    return outcome
            elif isinstance(step, _Hold):
                await flush()
                outcome = await self._wait(request, gate=step.gate)
                if outcome != "ok":
                    return outcome
            elif isinstance(step, _Cut):
                await flush()
                await self._cut(request)
                return "ok"
            elif isinstance(step, _End):
                break
        await flush()
        await response.write_eof()
        return "ok"

    async def _cut(self, request: web.Request) -> None:
        """Close the connection mid-body, once what was written has left the process."""
        transport = request.transport
        if transport is None:
            return
        # Poll: asyncio offers no event for "write buffer empty".
        while (  # noqa: ASYNC110
            not transport.is_closing()
            and transport.get_write_buffer_size() > 0
            and not self._stopping
        ):
            await asyncio.sleep(0.001)
        transport.close()


def _version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for part in version.split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def _visible_models(
    catalog: Sequence[Mapping[str, Any]], client_version: str | None
) -> list[Mapping[str, Any]]:
    """The models a client of ``client_version`` sees: newer-only models are hidden."""
    if not client_version:
        return list(catalog)
    version = _version_tuple(client_version)
    return [
        model
        for model in catalog
        if not model.get("minimal_client_version")
        or _version_tuple(str(model["minimal_client_version"])) <= version
    ]
