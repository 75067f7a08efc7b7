"""``AsyncClient``: the one implementation of every call; the sync ``Client`` runs it too."""

from __future__ import annotations

import os
import warnings
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

import attrs

from ._auth import LoginHandler, make_auth_manager, make_login_options
from ._auth._store import TokenStore
from ._auth._tokens import Account
from ._exceptions import (
    CodexError,
    UnsupportedImageDetailWarning,
    error_from_status,
    require_asyncio,
)
from ._models import InputItem, Response, Tool
from ._ratelimits import AccountUsage, RateLimits
from ._request import (
    ClientConfig,
    Request,
    ResponseCreateParams as ResponseCreateParams,  # as: _sync imports it from here
    ToolRunParams as ToolRunParams,
    bearer_token,
    build_responses_request,
    check_create_params,
    check_max_retries,
    check_timeout,
    check_transport,
    create_params_signature,
    make_config,
    original_detail_seen,
)
from ._transport import Transport

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._conversation import AsyncConversation
    from ._endpoints import AsyncModels
    from ._stream import AsyncResponseStream
    from ._structured import ParsedResponse
    from ._tools import ToolRunResult


__all__ = [
    "AsyncClient",
    "AsyncCodexClient",
    "AsyncResponses",
    "AsyncStreamedRawResponse",
    "RawResponse",
]

T = TypeVar("T")


class AsyncClient:
    """Async client for the ChatGPT Codex backend, built on aiohttp.

    With no arguments it uses the credentials the Codex CLI stored in ``~/.codex/auth.json``
    (``$CODEX_HOME``), keeps them fresh, and signs in on the first request when there are none.

    :param access_token: a ChatGPT OAuth access token to use as is (no refresh).
    :param account_id: the ChatGPT account id sent with ``access_token``.
    :param base_url: the model API, default ``https://chatgpt.com/backend-api/codex``.
    :param chatgpt_base_url: the other ChatGPT endpoints, default
        ``https://chatgpt.com/backend-api``.
    :param timeout: seconds allowed for connecting and for each wait for data (default 300);
        a long stream that keeps sending never times out.
    :param max_retries: retries of connection errors, timeouts, 429 and 5xx (default 2).
    :param default_headers: extra headers for every request.
    :param originator: the ``originator`` header (default ``codex_cli_rs``).
    :param session_id: the session id header and default prompt cache key (default: random).
    :param token_path: the credentials file (default ``$CODEX_HOME/auth.json``).
    :param codex_home: the folder of ``auth.json`` (default ``$CODEX_HOME`` or ``~/.codex``).
    :param token_store: any ``TokenStore`` (e.g. ``MemoryTokenStore()``) instead of a file.
    :param headless: sign in by pasting the redirect URL instead of a local callback server.
    :param no_browser: print the sign-in URL instead of opening a browser.
    :param device_auth: sign in with a device code.
    :param login_handler: ``handler(url) -> callback_url`` (sync or async) to sign in.
    :param issuer: the OAuth issuer, default ``https://auth.openai.com``.
    :param callback_port: the local sign-in callback port (default 1455, then 1457).
    :param client_version: the Codex CLI version sent to ``/models`` (default a recent one;
        the backend hides models newer than the client).
    :param max_connections: a cap on the client's open connections (default None: no cap,
        so a thousand concurrent streams all open at once); a request waiting for a free
        connection gives up after ``timeout`` with ``APITimeoutError`` (retried like any
        timeout, up to ``max_retries``).
    :param max_event_size: the largest server-sent event (or line) accepted, in bytes
        (default 64 MiB); a larger one ends the stream with ``StreamError``.
    :param transport: ``"sse"`` (default: HTTP with server-sent events), ``"websocket"`` (the
        Codex CLI's own transport: one socket per conversation, reused across turns, each turn
        sending only its new input items), or ``"auto"`` (WebSocket, falling back to SSE for
        the rest of the client's life when the backend refuses it or cannot be reached within
        1 s). ``responses.create(..., transport=...)`` overrides it per call.

    Creating a client does no I/O. Close it with ``await client.aclose()`` or
    ``async with AsyncClient(...) as client:``. It is bound to the event loop that first uses it.
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
        self._transport_mode = check_transport(transport)
        if client_version is not None and not isinstance(client_version, str):
            raise TypeError("client_version must be a version string such as '0.169.0'")
        self._config = make_config(
            access_token=access_token,
            account_id=account_id,
            base_url=base_url,
            chatgpt_base_url=chatgpt_base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            originator=originator,
            session_id=session_id,
            max_connections=max_connections,
            max_event_size=max_event_size,
        )
        self._auth = make_auth_manager(
            access_token=access_token,
            account_id=account_id,
            token_path=token_path,
            codex_home=codex_home,
            token_store=token_store,
            options=make_login_options(
                issuer=issuer,
                headless=headless,
                no_browser=no_browser,
                device_auth=device_auth,
                login_handler=login_handler,
                callback_port=callback_port,
                originator=self._config.originator,
            ),
        )
        self._transport = Transport(max_connections=self._config.max_connections)
        self._closed = False
        # The client a with_options() copy was made from (its connections and credentials).
        self._origin: AsyncClient | None = None
        self._rate_limits: RateLimits | None = None
        #: ``client.responses.create(...)``, ``.stream(...)``, ``.parse(...)``, ``.run_tools(...)``.
        self.responses = AsyncResponses(self)
        self._client_version = client_version
        self._models: AsyncModels | None = None

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
        return self._auth.account

    @property
    def account_id(self) -> str | None:
        """The ChatGPT account id sent with requests; None before sign-in.

        Read from the store (a short blocking file read) when not loaded yet.
        """
        return self._auth.account_id

    @property
    def token(self) -> str:
        """The access token this client holds now (read-only).

        Read from the store (a short blocking file read) when not loaded yet, but never
        refreshed here: a property cannot await. ``await client.get_token()`` gives one that
        is valid now. Raises ``AuthError`` before any sign-in.
        """
        return self._auth.current_token()

    async def get_token(self) -> str:
        """A valid access token, as the next request would send it.

        Loaded from the store, refreshed when it expires within 5 minutes, or from a sign-in
        (the configured flow) when there are no credentials.
        """
        self._check_open()
        return (await self._auth.credentials(self._transport)).access_token

    @property
    def models(self) -> AsyncModels:
        """``client.models.list()`` and ``client.models.retrieve(slug)``: the model catalog."""
        if self._models is None:  # its module loads on first use, to keep `import` fast
            from ._endpoints import DEFAULT_CLIENT_VERSION, AsyncModels

            self._models = AsyncModels(self, self._client_version or DEFAULT_CLIENT_VERSION)
        return self._models

    @property
    def rate_limits(self) -> RateLimits | None:
        """The last rate limits the backend reported (headers or events); None before any."""
        return self._rate_limits

    async def usage(self) -> AccountUsage:
        """The account's plan, usage windows and credits (``GET /wham/usage``)."""
        from ._endpoints import fetch_usage

        return await fetch_usage(self)

    def conversation(self, *, model: str, instructions: str, **defaults: Any) -> AsyncConversation:
        """A multi-turn conversation that keeps its history; see ``AsyncConversation``.

        ``defaults`` (reasoning, tools, text, ...) apply to every turn.
        """
        from ._conversation import AsyncConversation

        return AsyncConversation(self, model=model, instructions=instructions, **defaults)

    # The stream observer: what streams learn about the account.
    def _saw_headers(self, headers: Mapping[str, str]) -> None:
        if self._models is not None:
            self._models._note_etag(headers.get("x-models-etag"))

    def _saw_rate_limits(self, rate_limits: RateLimits) -> None:
        self._rate_limits = rate_limits
        if self._origin is not None:
            self._origin._saw_rate_limits(rate_limits)

    async def login(self) -> Account:
        """Sign in now with the configured flow and store the credentials."""
        self._check_open()
        require_asyncio()
        return (await self._auth.sign_in(self._transport)).account

    async def logout(self) -> None:
        """Revoke the tokens, then delete the stored credentials."""
        self._check_open()
        require_asyncio()
        await self._auth.sign_out(self._transport)

    def _check_open(self) -> ClientConfig:
        """The config, or ``RuntimeError`` if this client (or the one it was copied from) is
        closed: the one guard of every call, as ``Client._check_open`` is the sync one's."""
        if self._closed:
            raise RuntimeError(
                f"This {type(self).__name__} is closed; create a new one "
                f"(tip: `async with {type(self).__name__}(...) as client:`)"
            )
        if self._origin is not None and self._origin._closed:
            raise RuntimeError(
                f"The {type(self).__name__} this one was made from with with_options() is "
                "closed, and with it the connections they shared; create a new one"
            )
        return self._config

    async def _fetch(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        json_body: object = None,
        timeout: float,
        max_retries: int,
        ok: tuple[int, ...] = (200,),
    ) -> tuple[int, Mapping[str, str], bytes]:
        """``method url`` (not streamed) with this client's credentials: status, headers, body.

        For the JSON endpoints beside ``/responses`` (``_endpoints``, the older compaction):
        the retry loop of ``/responses`` (``_retry.Attempts``) and its 401 recovery; a status
        outside ``ok`` raises the mapped error.
        """
        from ._retry import Attempts  # here: keeps `import codex_open_client` light (random)

        self._check_open()
        require_asyncio()
        auth, transport = self._auth, self._transport
        attempts = Attempts(auth, transport, method=method, url=url, max_retries=max_retries)
        while True:
            auth_headers = await auth.headers(transport)
            try:
                status, answer_headers, content = await transport.fetch(
                    method,
                    url,
                    headers={**headers, **auth_headers},
                    json_body=json_body,
                    timeout=timeout,
                    secrets=auth.secrets(),
                )
                if status not in ok:
                    secrets = (*auth.secrets(), bearer_token(auth_headers))
                    raise error_from_status(status, content, answer_headers, url, secrets)
                return status, answer_headers, content
            except CodexError as exc:
                await attempts.after(exc, auth_headers)

    def with_options(
        self,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> AsyncClient:
        """A copy of this client with other defaults, as openai-python's ``with_options``.

        The copy shares this client's connection pool, credentials (and their refreshes) and
        session id; ``default_headers`` are added to this client's. Closing the copy leaves
        the connections open (they belong to this client); closing this client closes them,
        and the copies with them. Nothing is sent.
        """
        config = self._check_open()
        headers = dict(config.default_headers)
        if default_headers is not None:
            headers.update(
                make_config(
                    access_token=None,
                    account_id=None,
                    base_url=None,
                    chatgpt_base_url=None,
                    timeout=None,
                    max_retries=None,
                    default_headers=default_headers,
                    originator=None,
                    session_id=None,
                ).default_headers
            )
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)  # the transport, the credentials, ...
        copy._config = attrs.evolve(
            config,
            timeout=config.timeout if timeout is None else check_timeout(timeout),
            max_retries=(
                config.max_retries if max_retries is None else check_max_retries(max_retries)
            ),
            default_headers=headers,
        )
        copy._origin = self._origin or self
        copy._closed = False
        copy._models = None
        copy.responses = AsyncResponses(copy)
        return copy

    async def aclose(self) -> None:
        """Close the client and its connections. Idempotent.

        A copy made by ``with_options()`` only closes itself: the connections are its origin's.
        """
        self._closed = True
        if self._origin is None:
            await self._transport.aclose()

    async def close(self) -> None:
        """``await client.close()``: the same as ``aclose()`` (the name openai's clients use)."""
        await self.aclose()

    async def __aenter__(self) -> AsyncClient:
        self._check_open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _repr_fields(self) -> str:
        account = self._auth.loaded_account  # no I/O in a repr
        account_id = account.account_id if account is not None else None
        return f"base_url={self._config.base_url!r}, account_id={account_id!r}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._repr_fields()})"


AsyncCodexClient = AsyncClient


class AsyncResponses:
    """``client.responses``: create model responses, streamed or not."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    @overload
    async def create(
        self, *, stream: Literal[False] = False, **params: Unpack[ResponseCreateParams]
    ) -> Response: ...

    @overload
    async def create(
        self, *, stream: Literal[True], **params: Unpack[ResponseCreateParams]
    ) -> AsyncResponseStream: ...

    @overload
    async def create(
        self, *, stream: bool, **params: Unpack[ResponseCreateParams]
    ) -> Response | AsyncResponseStream: ...

    @create_params_signature
    async def create(
        self, *, stream: bool = False, **params: Any
    ) -> Response | AsyncResponseStream:
        """Create a response.

        Returns the final ``Response``; with ``stream=True``, sends the request at once (an
        HTTP error raises here) and returns an ``AsyncResponseStream`` to iterate.
        A ``response.failed`` raises the matching ``APIError``; ``response.incomplete``
        returns normally with ``status == "incomplete"``.
        """
        return await self._create(stream, params)

    async def _create(
        self,
        stream: bool,
        params: dict[str, Any],
        seen: Callable[[AsyncResponseStream], object] | None = None,
    ) -> Response | AsyncResponseStream:
        """``create()``; ``seen`` gets the stream that carries the answer (raw responses)."""
        if not isinstance(stream, bool):
            raise TypeError(f"stream must be True or False, got {stream!r}")
        response_stream = self._stream("create", params)
        if seen is not None:
            seen(response_stream)
        if stream:
            await response_stream._open()
            return response_stream
        async with response_stream:
            return await response_stream.get_final_response()

    @property
    def with_raw_response(self) -> AsyncResponsesWithRawResponse:
        """``create()`` and ``parse()`` returning a ``RawResponse``: the HTTP status and
        headers, and ``.parse()`` for what the method returns (openai-python's habit)."""
        return AsyncResponsesWithRawResponse(self)

    @property
    def with_streaming_response(self) -> AsyncResponsesWithStreamingResponse:
        """``create()`` and ``parse()`` as ``async with`` blocks: the status and headers as soon
        as they arrive, the body read by ``await .parse()`` (openai-python's habit)."""
        return AsyncResponsesWithStreamingResponse(self)

    @create_params_signature
    def stream(self, **params: Unpack[ResponseCreateParams]) -> AsyncResponseStream:
        """Create a streamed response, for ``async with client.responses.stream(...) as s:``.

        The request is sent when the ``async with`` block is entered.
        """
        return self._stream("stream", dict(params))

    @create_params_signature
    async def parse(
        self, *, text_format: type[T], **params: Unpack[ResponseCreateParams]
    ) -> ParsedResponse[T]:
        """Create a response whose text is a JSON document of ``text_format``, parsed.

        ``text_format`` is a pydantic model (or, with pydantic installed, a dataclass or a
        TypedDict); its strict JSON schema is sent as ``text.format``. Returns a
        ``ParsedResponse`` with ``output_parsed``. A refusal raises ``RefusalError``, an
        incomplete response ``IncompleteResponseError``, a document that does not validate
        ``StructuredOutputError``. Needs ``pip install 'codex-open-client[pydantic]'``.
        """
        return await self._parse(text_format, dict(params))

    async def _parse(
        self,
        text_format: type[T],
        params: dict[str, Any],
        seen: Callable[[AsyncResponseStream], object] | None = None,
    ) -> ParsedResponse[T]:
        from ._structured import parse_response

        response = await self._create(False, self._parse_params(text_format, params), seen)
        assert isinstance(response, Response)
        return parse_response(response, text_format)

    @staticmethod
    def _parse_params(text_format: type[Any], params: dict[str, Any]) -> dict[str, Any]:
        from ._structured import text_config_for

        if "stream" in params:
            raise TypeError("parse() does not stream; use stream() with text=TextConfig(...)")
        request: dict[str, Any] = dict(params)
        request["text"] = text_config_for(text_format, request.get("text"))
        return request

    async def run_tools(
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
        ``MaxTurnsExceededError``, which carries the result so far.
        """
        from ._tools import run_tools

        return await run_tools(
            self.create,
            tools=tools,
            max_turns=max_turns,
            raise_tool_errors=raise_tool_errors,
            **params,
        )

    async def compact(self, **params: Unpack[ResponseCreateParams]) -> list[InputItem]:
        """Compact a history (``input``) into its messages and one encrypted ``compaction``
        item, as the Codex CLI does when a conversation nears the context window.

        Takes the arguments of ``create()`` (the model, instructions and tools of the
        conversation) and returns the new history: pass it as ``input=`` (with the next
        message appended) to continue. Speaks remote compaction v2 (a streamed request whose
        input ends with ``{"type": "compaction_trigger"}``), and the older ``POST
        /responses/compact`` only when the backend refuses that.
        """
        from ._compaction import compact

        return await compact(self, dict(params))

    def _stream(
        self,
        method: str,
        params: dict[str, Any],
        *,
        session_id: str | None = None,
        on_complete: Callable[[Response], None] | None = None,
    ) -> AsyncResponseStream:
        check_create_params(method, params)
        client = self._client
        config = client._check_open()
        if session_id is not None:
            config = attrs.evolve(config, session_id=session_id)
        params = dict(params)
        mode = params.pop("transport", None)
        mode = client._transport_mode if mode is None else check_transport(mode)
        request = build_responses_request(config, **params)
        prepare = None
        if _asks_for_original_detail(request):
            model = str(params["model"])

            async def prepare() -> None:
                await _warn_if_original_unsupported(client, model)

        from ._stream import AsyncResponseStream

        return AsyncResponseStream(
            client._transport,
            request,
            client._auth,
            max_event_size=config.max_event_size,
            observer=client,
            prepare=prepare,
            on_complete=on_complete,
            transport_mode=mode,
        )


class _HTTPInfo:
    """The HTTP side of an answer: status, headers, URL, method, retries."""

    def __init__(self, stream: AsyncResponseStream) -> None:
        self._http_stream = stream

    @property
    def headers(self) -> Mapping[str, str]:
        """The HTTP response headers (case-insensitive)."""
        return self._http_stream._headers

    @property
    def status_code(self) -> int:
        """The HTTP status of the answer (200: errors raise instead)."""
        return self._http_stream._status or 0

    @property
    def url(self) -> str:
        """The URL the request was sent to."""
        return self._http_stream._request.url

    @property
    def method(self) -> str:
        """The HTTP method, ``POST``."""
        return self._http_stream._request.method

    @property
    def request_id(self) -> str | None:
        """``x-request-id`` (or ``x-oai-request-id``): quote it when reporting a problem."""
        headers = self.headers
        return headers.get("x-request-id") or headers.get("x-oai-request-id")

    @property
    def retries_taken(self) -> int:
        """How many times the request was retried before this answer."""
        return self._http_stream._retries

    def __repr__(self) -> str:
        return f"<{type(self).__name__} [{self.status_code}] {self.method} {self.url}>"


class RawResponse(_HTTPInfo, Generic[T]):
    """What ``responses.with_raw_response.create(...)`` returns, as in openai-python.

    ``headers``, ``status_code``, ``url``, ``method``, ``request_id`` and ``retries_taken``
    describe the HTTP answer; ``parse()`` gives what the method itself returns (the
    ``Response``, or with ``stream=True`` the stream, ready to iterate).
    """

    def __init__(self, stream: AsyncResponseStream, parsed: T) -> None:
        super().__init__(stream)
        self._parsed = parsed

    def parse(self) -> T:
        """What the method returns: the ``Response`` (or stream, or ``ParsedResponse``)."""
        return self._parsed


class AsyncStreamedRawResponse(_HTTPInfo, Generic[T]):
    """The value of ``async with responses.with_streaming_response.create(...) as raw:``.

    The status and headers are known on entry; the body is read by ``await raw.parse()``
    (the ``Response``; with ``stream=True`` the stream itself, to iterate inside the block).
    Leaving the block closes the stream.
    """

    def __init__(self, stream: AsyncResponseStream, finish: Callable[[], Awaitable[T]]) -> None:
        super().__init__(stream)
        self._finish = finish

    async def parse(self) -> T:
        """Read the body: the ``Response`` (or the stream, or the ``ParsedResponse``)."""
        return await self._finish()


class _AsyncStreamingContext(Generic[T]):
    """``async with``: send the request on entry, close the stream on exit."""

    def __init__(self, stream: AsyncResponseStream, finish: Callable[[], Awaitable[T]]) -> None:
        self._response_stream = stream
        self._finish = finish

    async def __aenter__(self) -> AsyncStreamedRawResponse[T]:
        await self._response_stream._open()
        return AsyncStreamedRawResponse(self._response_stream, self._finish)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._response_stream.aclose()


class AsyncResponsesWithRawResponse:
    """``client.responses.with_raw_response``: ``create()`` and ``parse()`` giving a
    ``RawResponse``."""

    def __init__(self, responses: AsyncResponses) -> None:
        self._responses = responses

    @overload
    async def create(
        self, *, stream: Literal[False] = False, **params: Unpack[ResponseCreateParams]
    ) -> RawResponse[Response]: ...

    @overload
    async def create(
        self, *, stream: Literal[True], **params: Unpack[ResponseCreateParams]
    ) -> RawResponse[AsyncResponseStream]: ...

    @overload
    async def create(
        self, *, stream: bool, **params: Unpack[ResponseCreateParams]
    ) -> RawResponse[Response | AsyncResponseStream]: ...

    @create_params_signature
    async def create(self, *, stream: bool = False, **params: Any) -> RawResponse[Any]:
        """``responses.create(...)``, with the HTTP answer: ``.parse()`` gives its result."""
        seen: list[AsyncResponseStream] = []
        result = await self._responses._create(stream, params, seen.append)
        return RawResponse(seen[0], result)

    @create_params_signature
    async def parse(
        self, *, text_format: type[T], **params: Unpack[ResponseCreateParams]
    ) -> RawResponse[ParsedResponse[T]]:
        """``responses.parse(...)``, with the HTTP answer: ``.parse()`` gives its result."""
        seen: list[AsyncResponseStream] = []
        result = await self._responses._parse(text_format, dict(params), seen.append)
        return RawResponse(seen[0], result)


class AsyncResponsesWithStreamingResponse:
    """``client.responses.with_streaming_response``: ``create()`` and ``parse()`` as
    ``async with`` blocks giving an ``AsyncStreamedRawResponse``."""

    def __init__(self, responses: AsyncResponses) -> None:
        self._responses = responses

    @overload
    def create(
        self, *, stream: Literal[False] = False, **params: Unpack[ResponseCreateParams]
    ) -> _AsyncStreamingContext[Response]: ...

    @overload
    def create(
        self, *, stream: Literal[True], **params: Unpack[ResponseCreateParams]
    ) -> _AsyncStreamingContext[AsyncResponseStream]: ...

    @overload
    def create(
        self, *, stream: bool, **params: Unpack[ResponseCreateParams]
    ) -> _AsyncStreamingContext[Response | AsyncResponseStream]: ...

    @create_params_signature
    def create(self, *, stream: bool = False, **params: Any) -> _AsyncStreamingContext[Any]:
        """``async with ...create(...) as raw:``; ``await raw.parse()`` reads the body."""
        if not isinstance(stream, bool):
            raise TypeError(f"stream must be True or False, got {stream!r}")
        response_stream = self._responses._stream("create", params)
        if stream:

            async def finish_stream() -> AsyncResponseStream:
                return response_stream

            return _AsyncStreamingContext(response_stream, finish_stream)
        return _AsyncStreamingContext(response_stream, response_stream.get_final_response)

    @create_params_signature
    def parse(
        self, *, text_format: type[T], **params: Unpack[ResponseCreateParams]
    ) -> _AsyncStreamingContext[ParsedResponse[T]]:
        """``async with ...parse(...) as raw:``; ``await raw.parse()`` gives the
        ``ParsedResponse``."""
        from ._structured import parse_response

        request = self._responses._parse_params(text_format, dict(params))
        response_stream = self._responses._stream("parse", request)

        async def finish() -> ParsedResponse[T]:
            return parse_response(await response_stream.get_final_response(), text_format)

        return _AsyncStreamingContext(response_stream, finish)


def _asks_for_original_detail(request: Request) -> bool:
    """Whether an input image of the request asks for ``detail="original"``.

    A long history is resent with every turn, so it is walked only once the request builder
    has met such an image at all (in this process): until then no request can hold one.
    """
    if not original_detail_seen():
        return False
    for item in (request.json or {}).get("input", ()):
        if not isinstance(item, dict):
            continue
        parts = item.get("content") if item.get("type") == "message" else item.get("output")
        if isinstance(parts, list):
            for part in parts:
                if isinstance(part, dict) and part.get("detail") == "original":
                    return True
    return False


async def _warn_if_original_unsupported(client: AsyncClient, model: str) -> None:
    """Warn when the catalog says ``model`` cannot take ``detail="original"`` images."""
    entry = client.models._cached(model)
    if entry is None:
        try:
            await client.models.list()
        except CodexError:
            return  # the catalog is a hint only: no catalog, no warning
        entry = client.models._cached(model)
    if entry is not None and not entry.supports_image_detail_original:
        warnings.warn(
            f"model {model!r} does not support image detail 'original' (per its /models "
            "entry): the backend may ignore it or refuse the request; use detail='high'",
            UnsupportedImageDetailWarning,
            stacklevel=2,
        )
