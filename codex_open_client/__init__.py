"""codex-open-client: use your ChatGPT subscription (the Codex backend) from Python.

``AsyncClient`` is the async client; ``Client`` runs the same code from sync code.

The pipeline of ``responses.create()``, stage by stage, and the private module of each::

    call      _client.py     AsyncClient, AsyncResponses: wiring only (_sync.py: Client)
    request   _request.py    the params contract (ResponseCreateParams), URL, headers, body
    sign-in   _auth/         credentials: OAuth, auth.json, refresh (before a request, on 401)
    send      _transport.py  HTTP, SSE payloads | _websocket.py + _wsproto.py: WebSocket
    retry     _retry.py      the one retry and 401-recovery loop
    decode    _sse.py        SSE bytes -> events (sans-IO); _json.py
    type      _serde.py      payload -> _events.py / _models.py classes (one cattrs converter;
                             _wire.py: their to_dict/from_dict)
    collect   _accumulate.py events -> Response; _stream.py drives it all (AsyncResponseStream)

Built on it: _conversation.py, _tools.py (run_tools), _structured.py (parse), _compaction.py,
_schema.py + _functions.py (JSON Schema, function tools), _endpoints.py + _catalog.py (/models,
usage), _ratelimits.py. Every exception and warning: _exceptions.py. Front ends: _cli.py,
gateway/, testing/ (the fake backend).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from ._auth import afinish_login, aget_token, alogin, arefresh, astart_login, build_headers
from ._auth._store import FileTokenStore, InsecureCredentialsWarning, MemoryTokenStore, TokenStore
from ._auth._tokens import Account, Credentials, get_account_id
from ._client import (
    AsyncClient,
    AsyncCodexClient,
    AsyncResponses,
    AsyncStreamedRawResponse,
    RawResponse,
)
from ._exceptions import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AsyncioRequiredError,
    AuthError,
    CodexError,
    ContextWindowError,
    IncompleteResponseError,
    InvalidRequestError,
    MaxTurnsExceededError,
    QuotaExceededError,
    RateLimitError,
    RefusalError,
    ServerError,
    StreamError,
    StructuredOutputError,
    ToolArgumentsError,
    UnsupportedImageDetailWarning,
)
from ._models import (
    ContentPart,
    CustomTool,
    CustomToolCallOutput,
    FormatConfig,
    FunctionCallOutput,
    FunctionTool,
    ImageGenerationTool,
    IncompleteDetails,
    InputImage,
    InputItem,
    InputMessage,
    InputText,
    InputTokensDetails,
    OutputContent,
    OutputItem,
    OutputText,
    OutputTokensDetails,
    Reasoning,
    ReasoningSummary,
    ReasoningText,
    Response,
    ResponseCompactionItem,
    ResponseCustomToolCall,
    ResponseError,
    ResponseFormatJsonObject,
    ResponseFormatJsonSchema,
    ResponseFormatText,
    ResponseFunctionToolCall,
    ResponseImageGenerationCall,
    ResponseOutputMessage,
    ResponseOutputRefusal,
    ResponseReasoningItem,
    ResponseWebSearchCall,
    TextConfig,
    Tool,
    UnknownContent,
    UnknownItem,
    Usage,
    WebSearchTool,
)
from ._ratelimits import (
    AccountUsage,
    AdditionalRateLimit,
    Credits,
    RateLimitFamily,
    RateLimits,
    RateLimitWindow,
)
from ._request import ResponseCreateParams, ToolRunParams
from ._sync import (
    Client,
    CodexClient,
    Conversation,
    Models,
    Responses,
    ResponseStream,
    StreamedRawResponse,
    finish_login,
    get_token,
    login,
    refresh,
    start_login,
)

if TYPE_CHECKING:
    from ._auth._login import PendingLogin
    from ._auth._oauth import LoginError
    from ._auth._redis_store import RedisTokenStore, TokenStoreUnavailableError
    from ._catalog import Model, ReasoningLevel
    from ._conversation import AsyncConversation
    from ._endpoints import AsyncModels
    from ._events import (
        CodexCredits,
        CodexRateLimits,
        CodexRateLimitsEvent,
        CodexRateLimitWindow,
        ResponseCompletedEvent,
        ResponseContentPartAddedEvent,
        ResponseContentPartDoneEvent,
        ResponseCreatedEvent,
        ResponseCustomToolCallInputDeltaEvent,
        ResponseCustomToolCallInputDoneEvent,
        ResponseErrorEvent,
        ResponseFailedEvent,
        ResponseFunctionCallArgumentsDeltaEvent,
        ResponseFunctionCallArgumentsDoneEvent,
        ResponseIncompleteEvent,
        ResponseInProgressEvent,
        ResponseMetadataEvent,
        ResponseOutputItemAddedEvent,
        ResponseOutputItemDoneEvent,
        ResponseOutputTextDeltaEvent,
        ResponseOutputTextDoneEvent,
        ResponseReasoningSummaryPartAddedEvent,
        ResponseReasoningSummaryPartDoneEvent,
        ResponseReasoningSummaryTextDeltaEvent,
        ResponseReasoningSummaryTextDoneEvent,
        ResponseReasoningTextDeltaEvent,
        ResponseReasoningTextDoneEvent,
        ResponseRefusalDeltaEvent,
        ResponseRefusalDoneEvent,
        ResponseStreamEvent,
        UnknownEvent,
        event_from_dict,
    )
    from ._stream import AsyncResponseStream
    from ._structured import ParsedResponse
    from ._tools import ToolRunResult

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "Account",
    "AccountUsage",
    "AdditionalRateLimit",
    "AsyncClient",
    "AsyncCodexClient",
    "AsyncConversation",
    "AsyncModels",
    "AsyncResponseStream",
    "AsyncResponses",
    "AsyncStreamedRawResponse",
    "AsyncioRequiredError",
    "AuthError",
    "Client",
    "CodexClient",
    "CodexCredits",
    "CodexError",
    "CodexRateLimitWindow",
    "CodexRateLimits",
    "CodexRateLimitsEvent",
    "ContentPart",
    "ContextWindowError",
    "Conversation",
    "Credentials",
    "Credits",
    "CustomTool",
    "CustomToolCallOutput",
    "FileTokenStore",
    "FormatConfig",
    "FunctionCallOutput",
    "FunctionTool",
    "ImageGenerationTool",
    "IncompleteDetails",
    "IncompleteResponseError",
    "InputImage",
    "InputItem",
    "InputMessage",
    "InputText",
    "InputTokensDetails",
    "InsecureCredentialsWarning",
    "InvalidRequestError",
    "LoginError",
    "MaxTurnsExceededError",
    "MemoryTokenStore",
    "Model",
    "Models",
    "OutputContent",
    "OutputItem",
    "OutputText",
    "OutputTokensDetails",
    "ParsedResponse",
    "PendingLogin",
    "QuotaExceededError",
    "RateLimitError",
    "RateLimitFamily",
    "RateLimitWindow",
    "RateLimits",
    "RawResponse",
    "Reasoning",
    "ReasoningLevel",
    "ReasoningSummary",
    "ReasoningText",
    "RedisTokenStore",
    "RefusalError",
    "Response",
    "ResponseCompactionItem",
    "ResponseCompletedEvent",
    "ResponseContentPartAddedEvent",
    "ResponseContentPartDoneEvent",
    "ResponseCreateParams",
    "ResponseCreatedEvent",
    "ResponseCustomToolCall",
    "ResponseCustomToolCallInputDeltaEvent",
    "ResponseCustomToolCallInputDoneEvent",
    "ResponseError",
    "ResponseErrorEvent",
    "ResponseFailedEvent",
    "ResponseFormatJsonObject",
    "ResponseFormatJsonSchema",
    "ResponseFormatText",
    "ResponseFunctionCallArgumentsDeltaEvent",
    "ResponseFunctionCallArgumentsDoneEvent",
    "ResponseFunctionToolCall",
    "ResponseImageGenerationCall",
    "ResponseInProgressEvent",
    "ResponseIncompleteEvent",
    "ResponseMetadataEvent",
    "ResponseOutputItemAddedEvent",
    "ResponseOutputItemDoneEvent",
    "ResponseOutputMessage",
    "ResponseOutputRefusal",
    "ResponseOutputTextDeltaEvent",
    "ResponseOutputTextDoneEvent",
    "ResponseReasoningItem",
    "ResponseReasoningSummaryPartAddedEvent",
    "ResponseReasoningSummaryPartDoneEvent",
    "ResponseReasoningSummaryTextDeltaEvent",
    "ResponseReasoningSummaryTextDoneEvent",
    "ResponseReasoningTextDeltaEvent",
    "ResponseReasoningTextDoneEvent",
    "ResponseRefusalDeltaEvent",
    "ResponseRefusalDoneEvent",
    "ResponseStream",
    "ResponseStreamEvent",
    "ResponseWebSearchCall",
    "Responses",
    "ServerError",
    "StreamError",
    "StreamedRawResponse",
    "StructuredOutputError",
    "TextConfig",
    "TokenStore",
    "TokenStoreUnavailableError",
    "Tool",
    "ToolArgumentsError",
    "ToolRunParams",
    "ToolRunResult",
    "UnknownContent",
    "UnknownEvent",
    "UnknownItem",
    "UnsupportedImageDetailWarning",
    "Usage",
    "WebSearchTool",
    "__version__",
    "afinish_login",
    "aget_token",
    "alogin",
    "arefresh",
    "astart_login",
    "build_headers",
    "event_from_dict",
    "finish_login",
    "get_account_id",
    "get_token",
    "login",
    "refresh",
    "start_login",
]


_LAZY = {
    "AsyncConversation": "._conversation",
    "AsyncModels": "._endpoints",
    "AsyncResponseStream": "._stream",
    "Model": "._catalog",
    "ParsedResponse": "._structured",
    # The OAuth module (and asyncio with it) loads with the first sign-in or refresh.
    "LoginError": "._auth._oauth",
    "PendingLogin": "._auth._login",
    "ReasoningLevel": "._catalog",
    # redis-py loads only when a RedisTokenStore is made.
    "RedisTokenStore": "._auth._redis_store",
    "TokenStoreUnavailableError": "._auth._redis_store",
    "ToolRunResult": "._tools",
    # The stream events load with the first stream (or the first of these names asked for).
    **dict.fromkeys(
        (
            "CodexCredits",
            "CodexRateLimits",
            "CodexRateLimitsEvent",
            "CodexRateLimitWindow",
            "ResponseCompletedEvent",
            "ResponseContentPartAddedEvent",
            "ResponseContentPartDoneEvent",
            "ResponseCreatedEvent",
            "ResponseCustomToolCallInputDeltaEvent",
            "ResponseCustomToolCallInputDoneEvent",
            "ResponseErrorEvent",
            "ResponseFailedEvent",
            "ResponseFunctionCallArgumentsDeltaEvent",
            "ResponseFunctionCallArgumentsDoneEvent",
            "ResponseIncompleteEvent",
            "ResponseInProgressEvent",
            "ResponseMetadataEvent",
            "ResponseOutputItemAddedEvent",
            "ResponseOutputItemDoneEvent",
            "ResponseOutputTextDeltaEvent",
            "ResponseOutputTextDoneEvent",
            "ResponseReasoningSummaryPartAddedEvent",
            "ResponseReasoningSummaryPartDoneEvent",
            "ResponseReasoningSummaryTextDeltaEvent",
            "ResponseReasoningSummaryTextDoneEvent",
            "ResponseReasoningTextDeltaEvent",
            "ResponseReasoningTextDoneEvent",
            "ResponseRefusalDeltaEvent",
            "ResponseRefusalDoneEvent",
            "ResponseStreamEvent",
            "UnknownEvent",
            "event_from_dict",
        ),
        "._events",
    ),
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from ._version import VERSION

        return VERSION
    if name in _LAZY:  # modules loaded only when asked, to keep `import` fast
        import importlib

        obj = getattr(importlib.import_module(_LAZY[name], __name__), name)
        if isinstance(obj, type):
            if attrs.has(obj):
                attrs.resolve_types(obj)
            obj.__module__ = __name__
        globals()[name] = obj  # asked once: later lookups are plain attribute reads
        return obj
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    # The lazy names too, so completion and dir() show the whole public surface at once.
    return sorted({*globals(), *_LAZY, "__version__"})


def _log_from_environment() -> None:
    """``CODEX_OPEN_CLIENT_LOG=debug`` (or info, warning): log to stderr, for quick debugging."""
    import os

    level = os.environ.get("CODEX_OPEN_CLIENT_LOG", "").strip().upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        return
    import logging

    logger = logging.getLogger(__name__)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)


_log_from_environment()

# Public classes show as codex_open_client.X in reprs, docs and tracebacks. Their string
# annotations are resolved first, while __module__ still names the module that defines them.
for _name in __all__:
    _obj = globals().get(_name)
    if isinstance(_obj, type) and _obj.__module__.startswith(__name__ + "._"):
        if attrs.has(_obj):
            attrs.resolve_types(_obj)
        _obj.__module__ = __name__
del _name, _obj
