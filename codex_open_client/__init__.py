"""codex-open-client: use your ChatGPT subscription (the Codex backend) from Python.

``AsyncClient`` is the async client; ``Client`` runs the same code from sync code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from ._auth import afinish_login, aget_token, alogin, arefresh, astart_login
from ._client import AsyncClient, AsyncCodexClient, AsyncResponses
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
    ResponseStreamEvent,
    UnknownEvent,
)
from ._exceptions import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthError,
    CodexError,
    ContextWindowError,
    InvalidRequestError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
    StreamError,
)
from ._models import (
    ContentPart,
    CustomToolCallOutput,
    FunctionCallOutput,
    FunctionTool,
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
)
from ._store import FileTokenStore, MemoryTokenStore, TokenStore
from ._stream import AsyncResponseStream
from ._sync import (
    Client,
    CodexClient,
    Responses,
    ResponseStream,
    finish_login,
    get_token,
    login,
    refresh,
    start_login,
)
from ._tokens import Account, Credentials

if TYPE_CHECKING:
    from ._login import PendingLogin

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "Account",
    "AsyncClient",
    "AsyncCodexClient",
    "AsyncResponseStream",
    "AsyncResponses",
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
    "Credentials",
    "CustomToolCallOutput",
    "FileTokenStore",
    "FunctionCallOutput",
    "FunctionTool",
    "IncompleteDetails",
    "InputImage",
    "InputItem",
    "InputMessage",
    "InputText",
    "InputTokensDetails",
    "InvalidRequestError",
    "MemoryTokenStore",
    "OutputContent",
    "OutputItem",
    "OutputText",
    "OutputTokensDetails",
    "PendingLogin",
    "QuotaExceededError",
    "RateLimitError",
    "Reasoning",
    "ReasoningSummary",
    "ReasoningText",
    "Response",
    "ResponseCompletedEvent",
    "ResponseContentPartAddedEvent",
    "ResponseContentPartDoneEvent",
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
    "ResponseStream",
    "ResponseStreamEvent",
    "ResponseWebSearchCall",
    "Responses",
    "ServerError",
    "StreamError",
    "TextConfig",
    "TokenStore",
    "Tool",
    "UnknownContent",
    "UnknownEvent",
    "UnknownItem",
    "Usage",
    "__version__",
    "afinish_login",
    "aget_token",
    "alogin",
    "arefresh",
    "astart_login",
    "finish_login",
    "get_token",
    "login",
    "refresh",
    "start_login",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from ._version import VERSION

        return VERSION
    if name == "PendingLogin":  # its module loads the sign-in machinery: only when asked
        from ._login import PendingLogin

        PendingLogin.__module__ = __name__
        return PendingLogin
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Public classes show as codex_open_client.X in reprs, docs and tracebacks. Their string
# annotations are resolved first, while __module__ still names the module that defines them.
for _name in __all__:
    _obj = globals().get(_name)
    if isinstance(_obj, type) and _obj.__module__.startswith(__name__ + "._"):
        if attrs.has(_obj):
            attrs.resolve_types(_obj)
        _obj.__module__ = __name__
del _name, _obj
