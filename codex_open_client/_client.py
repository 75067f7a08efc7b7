"""``AsyncClient``: the one implementation of every call; the sync ``Client`` runs it too."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, overload

from ._exceptions import AuthError
from ._models import InputItem, Reasoning, Response, TextConfig, Tool
from ._request import ClientConfig, build_responses_request, make_config, unexpected_argument
from ._stream import AsyncResponseStream
from ._transport import Transport

if TYPE_CHECKING:
    from typing_extensions import NotRequired, Required, TypedDict, Unpack

    class ResponseCreateParams(TypedDict, total=False):
        """The keyword arguments of ``responses.create`` and ``responses.stream``."""

        model: Required[str]
        instructions: Required[str]
        input: Required[str | Sequence[InputItem]]
        tools: NotRequired[Sequence[Tool] | None]
        tool_choice: NotRequired[str | dict[str, Any] | None]
        parallel_tool_calls: NotRequired[bool | None]
        reasoning: NotRequired[Reasoning | dict[str, Any] | None]
        text: NotRequired[TextConfig | dict[str, Any] | None]
        service_tier: NotRequired[str | None]
        include: NotRequired[Sequence[str] | None]
        prompt_cache_key: NotRequired[str | None]
        timeout: NotRequired[float | None]
        max_retries: NotRequired[int | None]


__all__ = ["AsyncClient", "AsyncCodexClient", "AsyncResponses"]

CREATE_PARAMS = (
    "model",
    "instructions",
    "input",
    "stream",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "reasoning",
    "text",
    "service_tier",
    "include",
    "prompt_cache_key",
    "timeout",
    "max_retries",
)
_REQUIRED = {
    "model": "the model slug, e.g. model='gpt-5.1-codex-mini'",
    "instructions": "the system prompt, e.g. instructions='You are a helpful assistant.'",
    "input": "the user message or a list of input items, e.g. input='Hello!'",
}


class AsyncClient:
    """Async client for the ChatGPT Codex backend, built on aiohttp.

    :param access_token: a ChatGPT OAuth access token (sent as ``Authorization: Bearer``).
    :param account_id: the ChatGPT account id (sent as ``ChatGPT-Account-ID``).
    :param base_url: the model API, default ``https://chatgpt.com/backend-api/codex``.
    :param chatgpt_base_url: the other ChatGPT endpoints, default
        ``https://chatgpt.com/backend-api``.
    :param timeout: seconds allowed for connecting and for each wait for data (default 300);
        a long stream that keeps sending never times out.
    :param max_retries: retries of connection errors, timeouts, 429 and 5xx (default 2).
    :param default_headers: extra headers for every request.
    :param originator: the ``originator`` header (default ``codex_cli_rs``).
    :param session_id: the session id header and default prompt cache key (default: random).

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
    ) -> None:
        config = make_config(
            access_token=access_token,
            account_id=account_id,
            base_url=base_url,
            chatgpt_base_url=chatgpt_base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            originator=originator,
            session_id=session_id,
        )
        self._setup(config)

    @classmethod
    def _from_config(cls, config: ClientConfig) -> AsyncClient:
        client = cls.__new__(cls)
        client._setup(config)
        return client

    def _setup(self, config: ClientConfig) -> None:
        self._config = config
        self._transport = Transport()
        self._closed = False
        #: ``client.responses.create(...)`` and ``client.responses.stream(...)``.
        self.responses = AsyncResponses(self)

    @property
    def base_url(self) -> str:
        """The model API base URL."""
        return self._config.base_url

    @property
    def session_id(self) -> str:
        """The session id sent with every request."""
        return self._config.session_id

    def _check_usable(self) -> ClientConfig:
        if self._closed:
            raise RuntimeError(
                f"This {type(self).__name__} is closed; create a new one "
                f"(tip: `async with {type(self).__name__}(...) as client:`)"
            )
        if not self._config.access_token:
            raise AuthError(
                "No access token: pass access_token=... (and account_id=...) to the client"
            )
        return self._config

    async def aclose(self) -> None:
        """Close the client and its connections. Idempotent."""
        self._closed = True
        await self._transport.aclose()

    async def __aenter__(self) -> AsyncClient:
        if self._closed:
            raise RuntimeError(f"This {type(self).__name__} is closed; create a new one")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self._config.base_url!r}, "
            f"account_id={self._config.account_id!r})"
        )


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

    async def create(
        self, *, stream: bool = False, **params: Any
    ) -> Response | AsyncResponseStream:
        """Create a response.

        Returns the final ``Response``; with ``stream=True``, sends the request at once (an
        HTTP error raises here) and returns an ``AsyncResponseStream`` to iterate.
        A ``response.failed`` raises the matching ``APIError``; ``response.incomplete``
        returns normally with ``status == "incomplete"``.
        """
        if not isinstance(stream, bool):
            raise TypeError(f"stream must be True or False, got {stream!r}")
        response_stream = self._stream("create", params)
        if stream:
            await response_stream._open()
            return response_stream
        async with response_stream:
            return await response_stream.get_final_response()

    def stream(self, **params: Unpack[ResponseCreateParams]) -> AsyncResponseStream:
        """Create a streamed response, for ``async with client.responses.stream(...) as s:``.

        The request is sent when the ``async with`` block is entered.
        """
        return self._stream("stream", dict(params))

    def _stream(self, method: str, params: dict[str, Any]) -> AsyncResponseStream:
        unexpected = [name for name in params if name not in CREATE_PARAMS or name == "stream"]
        if unexpected:
            raise unexpected_argument(method, unexpected, CREATE_PARAMS)
        for name, fix in _REQUIRED.items():
            if name not in params:
                raise TypeError(f"{method}() missing required keyword argument {name!r}: {fix}")
        config = self._client._check_usable()
        request = build_responses_request(config, **params)
        return AsyncResponseStream(self._client._transport, request)
