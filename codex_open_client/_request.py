"""Sans-IO request building: client settings + call arguments -> a checked ``Request``.

Every argument is checked here, before anything is sent, and a bad one raises ``TypeError`` or
``ValueError`` naming the argument and the fix.
"""

from __future__ import annotations

import inspect
import math
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ForwardRef, Literal, TypedDict, TypeVar, get_args

import attrs
from attrs import field, frozen

from ._json import dumps
from ._models import (
    IMAGE_DETAILS,
    REASONING_EFFORTS,
    REASONING_SUMMARIES,
    VERBOSITIES,
    CustomTool,
    FunctionTool,
    InputItem,
    InputMessage,
    Reasoning,
    ResponseCompactionItem,
    TextConfig,
    Tool,
    UnknownItem,
)
from ._serde import unstructure
from ._version import VERSION

DEFAULT_BASE_URL = "https://chatgpt.com/backend-api/codex"
DEFAULT_CHATGPT_BASE_URL = "https://chatgpt.com/backend-api"
DEFAULT_MAX_EVENT_SIZE = 64 << 20  # one SSE event or line; far above any real event
DEFAULT_TIMEOUT = 300.0  # the Codex CLI's stream idle timeout
DEFAULT_MAX_RETRIES = 2
DEFAULT_ORIGINATOR = "codex_cli_rs"

TOOL_CHOICES = ("auto", "none", "required")
SERVICE_TIERS = ("auto", "default", "flex", "priority")
ROLES = ("user", "assistant", "system", "developer")
# Parameters of the public Responses API that this backend answers with 400. The fake backend
# keeps its own list on purpose: it checks this one instead of repeating it.
BACKEND_UNSUPPORTED = frozenset(
    {
        "max_output_tokens",
        "max_tokens",
        "temperature",
        "top_p",
        "truncation",
        "metadata",
        "previous_response_id",
        "safety_identifier",
        "prompt_cache_retention",
        "frequency_penalty",
        "presence_penalty",
        "user",
        "background",
        "store",
        "conversation",
    }
)
# The typed members of the InputItem union (everything but plain dicts).
_INPUT_MODELS: tuple[type[Any], ...] = tuple(
    member for member in get_args(InputItem) if attrs.has(member)
)
_INPUT_MODEL_SET = frozenset(_INPUT_MODELS)
# Item types _checked_item passes through as they are.
_PLAIN_KINDS = frozenset(
    {"function_call", "custom_tool_call", "web_search_call", "image_generation_call"}
)


def _user_agent() -> str:
    python = ".".join(map(str, sys.version_info[:3]))
    if hasattr(os, "uname"):  # what platform.system()/release()/machine() read, without
        uname = os.uname()  # importing platform (import time matters)
        system, machine = f"{uname.sysname} {uname.release}", uname.machine
    else:  # Windows
        import platform

        system, machine = f"{platform.system()} {platform.release()}", platform.machine()
    return f"codex-open-client/{VERSION} ({system.strip()}; {machine}) Python/{python}"


USER_AGENT = _user_agent()


def new_session_id() -> str:
    """A random session id (a UUID4, as the CLI uses)."""
    import uuid  # here, not at the top: it loads `platform`, which import time can do without

    return str(uuid.uuid4())


@frozen(kw_only=True)
class ClientConfig:
    """Settings shared by every request of one client (credentials live in ``AuthManager``)."""

    base_url: str = DEFAULT_BASE_URL
    chatgpt_base_url: str = DEFAULT_CHATGPT_BASE_URL
    timeout: float = DEFAULT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    max_connections: int | None = None
    max_event_size: int = DEFAULT_MAX_EVENT_SIZE
    default_headers: Mapping[str, str] = field(factory=dict)
    originator: str = DEFAULT_ORIGINATOR
    session_id: str = field(factory=lambda: new_session_id())


def make_config(
    *,
    access_token: str | None,
    account_id: str | None,
    base_url: str | None,
    chatgpt_base_url: str | None,
    timeout: float | None,
    max_retries: int | None,
    default_headers: Mapping[str, str] | None,
    originator: str | None,
    session_id: str | None,
    max_connections: int | None = None,
    max_event_size: int | None = None,
) -> ClientConfig:
    """Check the client's constructor arguments and fill in the defaults.

    ``access_token`` and ``account_id`` are only checked here; ``AuthManager`` keeps them.
    """
    for name, value in (
        ("access_token", access_token),
        ("account_id", account_id),
        ("originator", originator),
        ("session_id", session_id),
    ):
        if value is not None and (not isinstance(value, str) or not value):
            raise TypeError(
                f"{name} must be a non-empty string or None, got {type(value).__name__}"
            )
        _check_header_value(name, value)
    if default_headers is not None:
        if not isinstance(default_headers, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in default_headers.items()
        ):
            raise TypeError("default_headers must be a mapping of header names to strings")
        for header, value in default_headers.items():
            _check_header_value(f"default_headers[{header!r}]", header)
            _check_header_value(f"default_headers[{header!r}]", value)
    return ClientConfig(
        base_url=_check_url("base_url", base_url or DEFAULT_BASE_URL),
        chatgpt_base_url=_check_url(
            "chatgpt_base_url", chatgpt_base_url or DEFAULT_CHATGPT_BASE_URL
        ),
        timeout=check_timeout(DEFAULT_TIMEOUT if timeout is None else timeout),
        max_retries=check_max_retries(DEFAULT_MAX_RETRIES if max_retries is None else max_retries),
        max_connections=check_max_connections(max_connections),
        max_event_size=check_max_event_size(
            DEFAULT_MAX_EVENT_SIZE if max_event_size is None else max_event_size
        ),
        default_headers=dict(default_headers or {}),
        originator=originator or DEFAULT_ORIGINATOR,
        session_id=session_id or new_session_id(),
    )


def _check_header_value(name: str, value: str | None) -> None:
    # aiohttp would refuse these at request time with an error that names no argument.
    if value is not None and any(char in value for char in "\r\n\0"):
        raise ValueError(
            f"{name} contains a line break or NUL character; strip it (e.g. value.strip() "
            "when it was read from a file)"
        )


def _check_url(name: str, url: str) -> str:
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ValueError(f"{name} must be an http(s) URL such as {DEFAULT_BASE_URL!r}, got {url!r}")
    return url.rstrip("/")


def check_timeout(timeout: object) -> float:
    """A timeout in seconds: a positive, finite number (NaN and infinity are refused)."""
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        raise ValueError(
            f"timeout must be a positive, finite number of seconds, got {timeout!r} "
            "(for no practical limit pass a large number such as 86400)"
        )
    return float(timeout)


def check_max_connections(max_connections: object) -> int | None:
    """A cap on open connections: a whole number >= 1, or None for no cap."""
    if max_connections is None:
        return None
    if (
        isinstance(max_connections, bool)
        or not isinstance(max_connections, int)
        or max_connections < 1
    ):
        raise ValueError(
            f"max_connections must be a whole number >= 1 or None (no cap), got {max_connections!r}"
        )
    return max_connections


def check_max_event_size(max_event_size: object) -> int:
    """A cap in bytes on one server-sent event (or line): a whole number >= 1024."""
    if (
        isinstance(max_event_size, bool)
        or not isinstance(max_event_size, int)
        or max_event_size < 1024
    ):
        raise ValueError(
            f"max_event_size must be a whole number of bytes >= 1024, got {max_event_size!r}"
        )
    return max_event_size


def check_max_retries(max_retries: object) -> int:
    """A retry budget: a whole number >= 0."""
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ValueError(f"max_retries must be a whole number >= 0, got {max_retries!r}")
    return max_retries


def _encode(request: Request) -> bytes | None:
    return None if request.json is None else dumps(request.json)


@frozen(kw_only=True)
class Request:
    """One HTTP request, ready to send. Headers stay out of ``repr`` (they hold the token).

    ``body`` is ``json`` encoded, once: the bytes every attempt sends.
    """

    method: str
    url: str
    headers: dict[str, str] = field(repr=False)
    json: dict[str, Any] | None = field(default=None, repr=False)
    body: bytes | None = field(
        default=attrs.Factory(_encode, takes_self=True), repr=False, eq=False
    )
    timeout: float
    max_retries: int


#: The last input item of a remote-compaction (v2) request: "compact everything before me".
COMPACTION_TRIGGER: Mapping[str, str] = {"type": "compaction_trigger"}
#: Headers of a remote-compaction request, as the Codex CLI 0.169 sends them.
COMPACTION_BETA_FEATURES = "remote_compaction_v2"


def is_compaction_request(body: Mapping[str, Any] | None) -> bool:
    """Whether a request body asks for remote compaction (its input ends with the trigger).

    For transports that chain requests (WebSocket ``previous_response_id``): the history
    sent after a compaction is not the previous input plus its output, so it goes out whole.
    """
    items = body.get("input") if body is not None else None
    return bool(
        isinstance(items, list)
        and items
        and isinstance(items[-1], Mapping)
        and items[-1].get("type") == COMPACTION_TRIGGER["type"]
    )


def compaction_headers(session_id: str) -> dict[str, str]:
    """The extra header of a compaction request: its turn metadata (``request_kind``); the
    beta feature ``remote_compaction_v2`` goes with every request."""
    metadata = {"session_id": session_id, "thread_id": session_id, "request_kind": "compaction"}
    return {"x-codex-turn-metadata": dumps(metadata).decode()}


def window_id(session_id: str, generation: int = 0) -> str:
    """The ``x-codex-window-id`` header: the session and its context window (0, then one more
    after each compaction). A new window is a new WebSocket pool key, so no chain crosses it."""
    return f"{session_id}:{generation}"


def headers_for(config: ClientConfig) -> dict[str, str]:
    """The headers the Codex CLI sends with a streamed request, then ``default_headers``.

    The credentials' headers are added per attempt (they may be refreshed in between).
    """
    headers = {
        "User-Agent": USER_AGENT,
        "originator": config.originator,
        "session_id": config.session_id,  # older CLIs
        # CLI 0.169 names the conversation three times: session, thread and request id.
        "session-id": config.session_id,
        "thread-id": config.session_id,
        "x-client-request-id": config.session_id,
        # "{conversation}:{context window}": a conversation counts up after each compaction.
        "x-codex-window-id": window_id(config.session_id),
        # On every request, as the CLI 0.169 sends it (one header set: one WebSocket pool key).
        "x-codex-beta-features": COMPACTION_BETA_FEATURES,
        "Accept": "text/event-stream",
        "Content-Type": "application/json",
    }
    headers.update(config.default_headers)
    return headers


# --------------------------------------------------------------------------- the create() contract


class _RequiredParams(TypedDict):
    # Required by totality, not by Required[...]: with string annotations only totality gives
    # the runtime class the right __required_keys__.
    model: str
    instructions: str
    input: str | Sequence[InputItem]


class ToolRunParams(_RequiredParams, total=False):
    """The keyword arguments of ``responses.run_tools`` besides its own (every one of
    ``ResponseCreateParams`` but ``tools``).

    ``model``, ``instructions`` and ``input`` are required; ``None`` is the same as leaving a
    key out.
    """

    #: ``"auto"``, ``"none"``, ``"required"`` or a dict naming one tool.
    tool_choice: str | dict[str, Any] | None
    #: Whether the model may call several tools in one turn.
    parallel_tool_calls: bool | None
    #: ``Reasoning(effort=..., summary=...)`` or its dict.
    reasoning: Reasoning | dict[str, Any] | None
    #: ``TextConfig(format=..., verbosity=...)`` or its dict.
    text: TextConfig | dict[str, Any] | None
    #: ``"auto"``, ``"default"``, ``"flex"``, ``"priority"`` (or the CLI's ``"fast"``).
    service_tier: str | None
    #: Extra output to include (default ``["reasoning.encrypted_content"]``).
    include: Sequence[str] | None
    #: The prompt cache key (default: the session id).
    prompt_cache_key: str | None
    #: Seconds allowed for connecting and for each wait for data (default: the client's).
    timeout: float | None
    #: Retries of connection errors, timeouts, 429 and 5xx (default: the client's).
    max_retries: int | None
    #: ``"sse"``, ``"websocket"`` or ``"auto"`` (default: the client's).
    transport: Literal["sse", "websocket", "auto"] | None
    #: Headers replacing the client's of the same name (``None`` leaves one out).
    extra_headers: Mapping[str, str | None] | None
    #: Query parameters appended to the URL.
    extra_query: Mapping[str, object] | None
    #: Keys merged into the JSON body last.
    extra_body: Mapping[str, Any] | None


class ResponseCreateParams(ToolRunParams, total=False):
    """The keyword arguments of ``responses.create``, ``stream``, ``parse`` and ``compact``
    (besides ``stream=`` and ``text_format=``), for a dict built ahead of the call::

        params: ResponseCreateParams = {"model": "gpt-5.1-codex-mini", "instructions": "",
                                        "input": "Hello!"}
        client.responses.create(**params)

    ``model``, ``instructions`` and ``input`` are required; ``None`` is the same as leaving a
    key out.
    """

    #: ``FunctionTool``, ``CustomTool``, ``WebSearchTool``, ``ImageGenerationTool`` or dicts.
    tools: Sequence[Tool] | None


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
    "extra_headers",
    "extra_query",
    "extra_body",
)
# What responses.create() takes: the request builder's keywords, and how to send them.
CALL_PARAMS = (*CREATE_PARAMS, "transport")
TRANSPORTS = ("sse", "websocket", "auto")
REQUIRED_PARAMS = {
    "model": "the model slug, e.g. model='gpt-5.1-codex-mini'",
    "instructions": "the system prompt, e.g. instructions='You are a helpful assistant.'",
    "input": "the user message or a list of input items, e.g. input='Hello!'",
}


def check_transport(transport: object) -> str:
    """``transport=``: one of ``TRANSPORTS``."""
    if transport not in TRANSPORTS:
        raise ValueError(
            f"transport must be 'sse' (HTTP with server-sent events, the default), 'websocket' "
            f"or 'auto' (WebSocket, falling back to SSE), got {transport!r}"
        )
    return str(transport)


def check_create_params(method: str, params: Mapping[str, object]) -> None:
    """Refuse a keyword ``create()`` does not take, or a missing required one, naming the fix.

    ``stream`` is refused too: ``create()`` takes it itself, ``stream()`` and ``parse()`` never.
    """
    unexpected = [name for name in params if name not in CALL_PARAMS or name == "stream"]
    if unexpected:
        raise unexpected_argument(method, unexpected, CALL_PARAMS)
    for name, fix in REQUIRED_PARAMS.items():
        if name not in params:
            raise TypeError(f"{method}() missing required keyword argument {name!r}: {fix}")


F = TypeVar("F", bound=Callable[..., Any])


def create_params_signature(fn: F) -> F:
    """Name each key of ``ResponseCreateParams`` in the signature of ``fn``, which takes them
    as ``**params``, for ``help()``, ``inspect.signature`` and IDEs.

    Why ``__signature__`` and not the keywords spelled out in the ``def``: the ``@overload``s
    keep typing ``**params: Unpack[ResponseCreateParams]`` for mypy and pyright (which ignore
    ``__signature__``), while the runtime signature comes from the same ``TypedDict``, so the
    two cannot drift apart, no method repeats 17 keywords, and a missing or unknown keyword
    still gets ``check_create_params``' message with its fix instead of Python's own.
    """
    function: Any = fn
    function.__signature__ = spelled_out(inspect.signature(fn), ResponseCreateParams)
    return fn


def spelled_out(signature: inspect.Signature, params: type[Any]) -> inspect.Signature:
    """``signature`` with its ``**params`` replaced by the keys of the ``TypedDict`` ``params``:
    the required ones first, then the method's own keywords, then the optional ones (``=None``).
    """
    own = list(signature.parameters.values())
    if not own or own[-1].kind is not inspect.Parameter.VAR_KEYWORD:
        raise TypeError(f"a signature with **params is needed, got {signature}")
    own.pop()
    required: list[inspect.Parameter] = []
    optional: list[inspect.Parameter] = []
    # In the order of CALL_PARAMS (tools right after input), not of the TypedDict's bases.
    order = {name: index for index, name in enumerate(CALL_PARAMS)}
    hints = sorted(params.__annotations__.items(), key=lambda item: order.get(item[0], len(order)))
    for name, hint in hints:
        annotation = hint.__forward_arg__ if isinstance(hint, ForwardRef) else hint
        if name in params.__required_keys__:
            required.append(
                inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation)
            )
        else:
            optional.append(
                inspect.Parameter(
                    name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation
                )
            )
    positional = [p for p in own if p.kind is not inspect.Parameter.KEYWORD_ONLY]
    keywords = [p for p in own if p.kind is inspect.Parameter.KEYWORD_ONLY]
    return signature.replace(parameters=[*positional, *required, *keywords, *optional])


def build_responses_request(
    config: ClientConfig,
    *,
    model: object,
    instructions: object,
    input: object,
    tools: object = None,
    tool_choice: object = None,
    parallel_tool_calls: object = None,
    reasoning: object = None,
    text: object = None,
    service_tier: object = None,
    include: object = None,
    prompt_cache_key: object = None,
    timeout: object = None,
    max_retries: object = None,
    extra_headers: object = None,
    extra_query: object = None,
    extra_body: object = None,
) -> Request:
    """Check the arguments of ``responses.create`` and build its request.

    ``extra_headers``, ``extra_query`` and ``extra_body`` pass through unchecked (as in
    openai-python): headers replace the client's own of the same name (``None`` leaves one
    out), the query is appended to the URL, and the body's keys are merged into the JSON body
    last. Only the credential headers are refused: the client sends those itself.
    """
    if not isinstance(model, str) or not model.strip():
        raise ValueError(
            f"model must be a non-empty model slug such as 'gpt-5.1-codex-mini', got {model!r}"
        )
    if not isinstance(instructions, str):
        raise TypeError(
            "instructions must be a string (the system prompt), "
            f"got {type(instructions).__name__}; pass instructions='' for none"
        )
    body: dict[str, Any] = {"model": model}
    if instructions:
        body["instructions"] = instructions
    owners: list[Any] | None = []
    body["input"] = _build_input(input, owners)
    if tools is not None:
        body["tools"] = build_tools(tools)
    if tool_choice is not None:
        body["tool_choice"] = build_tool_choice(tool_choice)
    if parallel_tool_calls is not None:
        if not isinstance(parallel_tool_calls, bool):
            raise TypeError("parallel_tool_calls must be True, False or None")
        body["parallel_tool_calls"] = parallel_tool_calls
    if reasoning is not None:
        body["reasoning"] = build_reasoning(reasoning)
    if text is not None:
        body["text"] = build_text(text)
    if service_tier is not None:
        if service_tier not in SERVICE_TIERS and service_tier != "fast":
            raise ValueError(
                f"service_tier must be one of {SERVICE_TIERS} (or 'fast'), got {service_tier!r}"
            )
        # The CLI's "fast" tier is sent as "priority".
        body["service_tier"] = "priority" if service_tier == "fast" else service_tier
    if include is not None:
        if not isinstance(include, (list, tuple)) or not all(isinstance(i, str) for i in include):
            raise TypeError(
                "include must be a list of strings, e.g. ['reasoning.encrypted_content']"
            )
        body["include"] = list(include)
    else:
        # As the CLI always does: without it the model's reasoning (which it does whether or
        # not reasoning= is given) cannot be replayed on the next turn, since store is false.
        body["include"] = ["reasoning.encrypted_content"]
    if prompt_cache_key is not None and not isinstance(prompt_cache_key, str):
        raise TypeError("prompt_cache_key must be a string or None")
    # The CLI keys the prompt cache by its session; so do we, unless told otherwise.
    body["prompt_cache_key"] = prompt_cache_key or config.session_id
    body["store"] = False
    body["stream"] = True
    request_timeout = config.timeout if timeout is None else check_timeout(timeout)
    retries = config.max_retries if max_retries is None else check_max_retries(max_retries)
    headers = headers_for(config)
    url = f"{config.base_url}/responses"
    if extra_headers is not None:
        merge_extra_headers(headers, extra_headers)
    if extra_query is not None:
        url = with_extra_query(url, extra_query)
    if extra_body is not None:
        if not isinstance(extra_body, Mapping) or not all(isinstance(k, str) for k in extra_body):
            raise TypeError(
                "extra_body must be a dict of JSON body keys to values, e.g. "
                f"extra_body={{'some_field': 1}}, got {type(extra_body).__name__}"
            )
        body.update(extra_body)
        if "input" in extra_body:
            owners = None  # the input sent is the caller's, as given
    return Request(
        method="POST",
        url=url,
        headers=headers,
        json=body,
        body=encode_body(body, input, owners),
        timeout=request_timeout,
        max_retries=retries,
    )


# Sent by the client from its credentials (refreshed, retried on 401): not to be replaced.
CREDENTIAL_HEADERS = frozenset({"authorization", "chatgpt-account-id"})


def merge_extra_headers(headers: dict[str, str], extra_headers: object) -> None:
    """Apply ``extra_headers`` to ``headers``: same names (in any case) replaced, None removes."""
    if not isinstance(extra_headers, Mapping):
        raise TypeError(
            "extra_headers must be a dict of header names to strings (or None to leave a "
            f"header out), got {type(extra_headers).__name__}"
        )
    for name, value in extra_headers.items():
        if (
            not isinstance(name, str)
            or not name
            or (value is not None and not isinstance(value, str))
        ):
            raise TypeError(
                "extra_headers must be a dict of header names to strings (or None to leave a "
                f"header out), got {name!r}: {type(value).__name__}"
            )
        if name.lower() in CREDENTIAL_HEADERS:
            raise ValueError(
                f"extra_headers cannot set {name!r}: the client sends the credentials itself "
                "(and refreshes them); pass access_token=/account_id= to the client to use "
                "credentials of your own"
            )
        _check_header_value(f"extra_headers[{name!r}]", name)
        _check_header_value(f"extra_headers[{name!r}]", value)
        for existing in [key for key in headers if key.lower() == name.lower()]:
            del headers[existing]
        if value is not None:
            headers[name] = value


def with_extra_query(url: str, extra_query: object) -> str:
    """``url`` with ``extra_query`` appended (``True``/``False`` as ``true``/``false``)."""
    from urllib.parse import urlencode

    if not isinstance(extra_query, Mapping) or not all(isinstance(k, str) for k in extra_query):
        raise TypeError(
            "extra_query must be a dict of query parameter names to values, e.g. "
            f"extra_query={{'debug': 'true'}}, got {type(extra_query).__name__}"
        )
    params = {
        name: str(value).lower() if isinstance(value, bool) else value
        for name, value in extra_query.items()
    }
    if not params:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params, doseq=True)}"


def encode_body(
    body: dict[str, Any], input: object = None, owners: list[Any] | None = None
) -> bytes:
    """``body`` as UTF-8 JSON; text that cannot be sent raises an error naming its argument.

    The top-level keys are the argument names; ``input`` is what the caller passed as input
    (to name the item of a lone surrogate by its position there). With ``owners`` (from
    ``_build_input``), the typed items of ``body["input"]`` are encoded once for all requests:
    a long history costs a copy of its bytes per turn, not their encoding.
    """
    try:
        if owners is None or "input" not in body:
            return dumps(body)
        keys = list(body)
        split = keys.index("input")
        head = dumps({key: body[key] for key in keys[:split]})
        tail = dumps({key: body[key] for key in keys[split + 1 :]})
        out: list[bytes | memoryview] = [
            memoryview(head)[:-1],
            b',"input":' if split else b'"input":',
        ]
        _encode_input(body["input"], owners, out)
        out.append(b"," + tail[1:] if len(tail) > 2 else b"}")
        return b"".join(out)
    except UnicodeEncodeError:
        raise _surrogate_error(body, input) from None
    except (TypeError, ValueError) as exc:
        for name, value in body.items():
            try:
                dumps(value)
            except (TypeError, ValueError):
                raise type(exc)(f"{name} cannot be sent as JSON: {exc}") from None
        raise


_SURROGATE_FIX = (
    "such text cannot be sent as UTF-8: remove or replace it (text decoded with "
    "errors='surrogateescape' carries undecodable bytes this way; decode them with "
    "errors='replace' instead)"
)


def _surrogate_error(body: dict[str, Any], input: object) -> ValueError:
    for name, value in body.items():
        found = _find_surrogate(value, name)
        if found is None:
            continue
        where, text, position = found
        if name == "input" and isinstance(input, str):
            where = "input"  # the message built from the string holds the string unchanged
        elif name == "input":
            where = _user_position(where, input)
        return ValueError(
            f"{where} contains a lone surrogate ({text[position]!r}) at position {position}; "
            + _SURROGATE_FIX
        )
    return ValueError(f"the request contains a lone surrogate; {_SURROGATE_FIX}")


def _find_surrogate(value: object, where: str) -> tuple[str, str, int] | None:
    """Where the first string that UTF-8 cannot encode is: a path, the string, the index."""
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError as exc:
            return where, value, exc.start
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _find_surrogate(key, f"{where} (a key)")
            if found is None:
                step = f".{key}" if isinstance(key, str) and key.isidentifier() else f"[{key!r}]"
                found = _find_surrogate(item, where + step)
            if found is not None:
                return found
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = _find_surrogate(item, f"{where}[{index}]")
            if found is not None:
                return found
    return None


def _user_position(where: str, input: object) -> str:
    """``input[i]...`` of the body renumbered as the caller's list (some items are left out)."""
    body_index, _, rest = where.removeprefix("input[").partition("]")
    if not isinstance(input, Sequence) or not body_index.isdigit():
        return where
    sent = [index for index, item in enumerate(input) if _input_item(item, index) is not None]
    return f"input[{sent[int(body_index)]}]{rest}"


# Set for good once an image asking for detail="original" has been built into a request: until
# then no request can hold one, and the client need not look for one in a long history.
_ORIGINAL_DETAIL = [False]


def original_detail_seen() -> bool:
    """Whether any request built so far had an image with ``detail="original"``."""
    return _ORIGINAL_DETAIL[0]


def input_items(value: object) -> list[InputItem]:
    """``input`` as a list of items to keep as a history: a string is one user message."""
    if isinstance(value, str):
        return [InputMessage(role="user", content=value)]
    if not isinstance(value, Sequence) or isinstance(value, (bytes, dict)):
        raise TypeError(
            f"input must be a string or a list of input items, got {type(value).__name__}"
        )
    return list(value)


def build_input(value: object) -> list[dict[str, Any]]:
    """``input`` as wire items: a string is one user message; lists mix models and dicts.

    Each item is a new dict, never the caller's nor the wire form a typed item keeps; the
    values in it may be shared with those, and nothing changes them.
    """
    return _build_input(value, None)


def _build_input(value: object, owners: list[Any] | None) -> list[dict[str, Any]]:
    """The items of ``build_input``; ``owners`` gets, per item, its typed item or None."""
    if isinstance(value, str):
        if owners is not None:
            owners.append(None)
        return [_message("user", value)]
    if isinstance(value, (dict, bytes)) or not isinstance(value, Sequence):
        raise TypeError(
            "input must be a string or a list of input items (InputMessage, "
            f"FunctionCallOutput, dicts, or output items of an earlier Response), got "
            f"{type(value).__name__}"
        )
    items: list[dict[str, Any]] = []
    append = items.append
    owned = owners.append if owners is not None else None
    models = _INPUT_MODEL_SET
    for index, item in enumerate(value):
        if item.__class__ in models:  # the hot path of a long history: inlined
            try:
                sent = item._sent
            except AttributeError:
                sent = _sent(item, index)
            if sent is not None:
                append(dict(sent))
                if owned is not None:
                    owned(item)
        else:
            kind = item.get("type") if item.__class__ is dict else None
            if kind.__class__ is str and (
                kind in _PLAIN_KINDS or (kind == "reasoning" and item.get("encrypted_content"))
            ):
                wire: dict[str, Any] | None = dict(item)  # unchanged: a copy, as _dict_item
            else:
                wire = _input_item(item, index)
            if wire is not None:
                append(wire)
                if owned is not None:
                    owned(None)
    return items


def _encode_input(
    items: list[dict[str, Any]], owners: list[Any], out: list[bytes | memoryview]
) -> None:
    """Append ``items`` as a JSON array to ``out``, in pieces for one final join.

    A typed item's bytes are encoded once and kept on it; other items are encoded together,
    a run of consecutive ones per ``dumps()`` call.
    """
    out.append(b"[")
    first = len(out)
    run: list[dict[str, Any]] = []
    for wire, owner in zip(items, owners, strict=True):
        if owner is None:
            run.append(wire)
            continue
        if run:
            if len(out) > first:
                out.append(b",")
            out.append(memoryview(dumps(run))[1:-1])  # the run's items, without a copy
            run = []
        if len(out) > first:
            out.append(b",")
        try:
            out.append(owner._encoded)
        except AttributeError:
            encoded = dumps(wire)
            object.__setattr__(owner, "_encoded", encoded)
            out.append(encoded)
    if run:
        if len(out) > first:
            out.append(b",")
        out.append(memoryview(dumps(run))[1:-1])
    out.append(b"]")


def _message(role: str, content: str) -> dict[str, Any]:
    return {"type": "message", "role": role, "content": [_text_part(role, content)]}


def _text_part(role: str, text: str) -> dict[str, Any]:
    return {"type": "output_text" if role == "assistant" else "input_text", "text": text}


def wire_of(model: Any) -> dict[str, Any]:
    """``unstructure(model)``, computed once per model (they are frozen) and kept on it.

    The dict is shared by every caller: copy it before changing it.
    """
    try:
        return model._wire  # type: ignore[no-any-return]
    except AttributeError:
        data: dict[str, Any] = unstructure(model)
        object.__setattr__(model, "_wire", data)
        return data


def _input_item(item: object, index: int) -> dict[str, Any] | None:
    if item.__class__ is dict:
        return _dict_item(item, index)
    if isinstance(item, _INPUT_MODELS):
        try:
            sent = item._sent
        except AttributeError:
            sent = _sent(item, index)
        # A new dict per body; what it holds is shared, and nothing changes it once built.
        return None if sent is None else dict(sent)
    if isinstance(item, dict):
        return _dict_item(item, index)
    raise TypeError(
        f"input[{index}] must be an input item (InputMessage, FunctionCallOutput, a dict, "
        f"or an output item of an earlier Response), got {type(item).__name__}"
    )


def _sent(item: Any, index: int) -> dict[str, Any] | None:
    """A typed item's checked wire dict, kept on it: it cannot change, nor can the outcome."""
    # An unknown item is sent back exactly as the server gave it.
    sent: dict[str, Any] | None
    if isinstance(item, UnknownItem):
        sent = item.raw
        _note_original_detail(item.raw.get("content") or item.raw.get("output"))
    elif isinstance(item, ResponseCompactionItem):
        # Opaque: replayed exactly as the backend sent it (unknown fields too), as the CLI does.
        source = getattr(item, "_source", None)
        sent = source if isinstance(source, dict) else wire_of(item)
    else:
        sent = _checked_item(wire_of(item), index)
    object.__setattr__(item, "_sent", sent)
    return sent


def _dict_item(item: dict[str, Any], index: int) -> dict[str, Any] | None:
    if "type" not in item:
        if "role" not in item:
            raise ValueError(
                f"input[{index}] needs a 'type' key (or a 'role' key for a message), "
                f"got keys {sorted(item)}"
            )
        return _normalize_message({"type": "message", **item}, index)
    sent = _checked_item(item, index)
    return sent if sent is not item else dict(item)


def _checked_item(wire: dict[str, Any], index: int) -> dict[str, Any] | None:
    """A wire item made ready to send (a new dict if it needs changes); None to leave it out.

    ``wire`` itself is never changed: it is the caller's dict or a model's kept wire form.
    """
    kind = wire.get("type")
    if kind == "message":
        return _normalize_message(dict(wire), index)
    if kind == "reasoning" and not wire.get("encrypted_content"):
        # With store=false the backend cannot look a reasoning item up by id: only items that
        # carry their encrypted content can be replayed, so the others are left out.
        return None
    if kind in ("function_call_output", "custom_tool_call_output"):
        output = wire.get("output")
        if not isinstance(output, (str, list)):
            raise TypeError(f"input[{index}].output must be a string or a list of content parts")
    if not _ORIGINAL_DETAIL[0]:
        _note_original_detail(wire.get("output"))
    return wire


def _note_original_detail(parts: object) -> None:
    """Remember that an image of ``parts`` (a tool output's) asks for ``detail="original"``."""
    if isinstance(parts, list) and any(
        isinstance(part, dict) and part.get("detail") == "original" for part in parts
    ):
        _ORIGINAL_DETAIL[0] = True


def _normalize_message(wire: dict[str, Any], index: int) -> dict[str, Any]:
    """Check a message and give it the backend's form; ``wire`` is a copy it may change."""
    role = wire.get("role")
    if role not in ROLES:
        raise ValueError(f"input[{index}].role must be one of {ROLES}, got {role!r}")
    if role == "system":
        role = wire["role"] = "developer"  # the backend refuses system messages
    content = wire.get("content")
    if isinstance(content, str):
        wire["content"] = [_text_part(role, content)]
    elif isinstance(content, (list, tuple)):
        parts = []
        for part in content:
            if isinstance(part, str):
                part = _text_part(role, part)
            elif not isinstance(part, dict):
                part = unstructure(part)
                if not isinstance(part, dict):
                    raise TypeError(
                        f"input[{index}].content parts must be strings or content parts "
                        f"(InputText, InputImage, dicts), got {type(part).__name__}"
                    )
            if part.get("type") == "input_image":
                detail = part.get("detail", "auto")
                if detail not in IMAGE_DETAILS:
                    raise ValueError(
                        f"input[{index}] image detail must be one of {IMAGE_DETAILS}, "
                        f"got {detail!r}"
                    )
                if detail == "original":
                    _ORIGINAL_DETAIL[0] = True
            parts.append(part)
        wire["content"] = parts  # a new list: the caller's stays as it was
    else:
        raise TypeError(
            f"input[{index}].content must be a string or a list of content parts "
            f"(InputText, InputImage), got {type(content).__name__}"
        )
    return wire


# Every typed tool of the Tool union (FunctionTool, CustomTool, the built-in tools).
TOOL_CLASSES: tuple[type[Any], ...] = tuple(
    member for member in get_args(Tool) if attrs.has(member)
)


def build_tools(tools: object) -> list[dict[str, Any]]:
    """``tools`` as wire dicts; a strict function schema must forbid additional properties."""
    if isinstance(tools, (str, dict)) or not isinstance(tools, Sequence):
        raise TypeError("tools must be a list of FunctionTool objects or tool dicts")
    wire_tools = []
    for index, tool in enumerate(tools):
        if isinstance(tool, TOOL_CLASSES):
            try:
                sent = tool._sent
            except AttributeError:
                sent = _checked_tool(dict(wire_of(tool)), index)
                object.__setattr__(tool, "_sent", sent)
            wire_tools.append(dict(sent))
        elif isinstance(tool, dict):
            wire_tools.append(_checked_tool(dict(tool), index))
        elif callable(tool):
            raise TypeError(
                f"tools[{index}] is a function: wrap it with FunctionTool.from_function(), "
                "or let responses.run_tools() call it for you"
            )
        else:
            raise TypeError(
                f"tools[{index}] must be a FunctionTool, CustomTool, WebSearchTool, "
                f"ImageGenerationTool or a dict, got {type(tool).__name__}"
            )
    return wire_tools


def _checked_tool(wire: dict[str, Any], index: int) -> dict[str, Any]:
    if not isinstance(wire.get("type"), str):
        raise ValueError(f"tools[{index}] needs a 'type', e.g. 'function'")
    if wire["type"] == "function":
        if not isinstance(wire.get("name"), str) or not wire["name"]:
            raise ValueError(f"tools[{index}] needs a non-empty 'name'")
        if wire.get("strict"):
            _check_strict_schema(wire.get("parameters"), f"tools[{index}] ({wire['name']})")
    return wire


def _check_strict_schema(schema: object, where: str, path: str = "parameters") -> None:
    if not isinstance(schema, dict):
        raise TypeError(f"{where}: {path} must be a JSON schema dict")
    is_object = schema.get("type") == "object" or "properties" in schema
    if is_object and schema.get("additionalProperties") is not False:
        raise ValueError(
            f'{where}: {path} needs "additionalProperties": false because the tool is strict '
            "(the default); add it, or pass strict=False"
        )
    for key in ("properties", "$defs", "definitions"):
        children = schema.get(key)
        if isinstance(children, dict):
            for name, child in children.items():
                if isinstance(child, dict):
                    _check_strict_schema(child, where, f"{path}.{key}.{name}")
    items = schema.get("items")
    if isinstance(items, dict):
        _check_strict_schema(items, where, f"{path}.items")
    for key in ("anyOf", "oneOf", "allOf"):
        options = schema.get(key)
        if isinstance(options, list):
            for position, child in enumerate(options):
                if isinstance(child, dict):
                    _check_strict_schema(child, where, f"{path}.{key}[{position}]")


def build_tool_choice(choice: object) -> str | dict[str, Any]:
    """``tool_choice``: auto, none, required, a function name dict, or a ``FunctionTool``."""
    if isinstance(choice, str):
        if choice not in TOOL_CHOICES:
            raise ValueError(
                f"tool_choice must be one of {TOOL_CHOICES} or "
                f"{{'type': 'function', 'name': ...}}, got {choice!r}"
            )
        return choice
    if isinstance(choice, (FunctionTool, CustomTool)):
        return {"type": choice.type, "name": choice.name}
    if isinstance(choice, dict) and isinstance(choice.get("type"), str):
        return dict(choice)
    raise ValueError(
        f"tool_choice must be one of {TOOL_CHOICES} or {{'type': 'function', 'name': ...}}, "
        f"got {choice!r}"
    )


def _config_dict(value: object, cls: type[Any], argument: str, example: str) -> dict[str, Any]:
    """A config argument given as its attrs class or as a dict, as a wire dict."""
    if isinstance(value, cls):
        return dict(wire_of(value))  # a copy: the caller changes it
    if isinstance(value, dict):
        return dict(value)
    raise TypeError(f"{argument} must be a {example} or a dict, got {type(value).__name__}")


def build_reasoning(reasoning: object) -> dict[str, Any]:
    """``reasoning`` with its effort and summary checked."""
    wire = _config_dict(reasoning, Reasoning, "reasoning", "Reasoning(effort=..., summary=...)")
    effort = wire.get("effort")
    if effort is not None and effort not in REASONING_EFFORTS:
        raise ValueError(f"reasoning effort must be one of {REASONING_EFFORTS}, got {effort!r}")
    summary = wire.get("summary")
    if summary is not None and summary not in REASONING_SUMMARIES:
        raise ValueError(f"reasoning summary must be one of {REASONING_SUMMARIES}, got {summary!r}")
    if summary == "none":
        del wire["summary"]  # the CLI omits a summary that resolves to none
    return wire


def build_text(text: object) -> dict[str, Any]:
    """``text`` (format and verbosity) as a wire dict."""
    wire = _config_dict(text, TextConfig, "text", "TextConfig(format=..., verbosity=...)")
    verbosity = wire.get("verbosity")
    if verbosity is not None and verbosity not in VERBOSITIES:
        raise ValueError(f"text verbosity must be one of {VERBOSITIES}, got {verbosity!r}")
    fmt = wire.get("format")
    if attrs.has(type(fmt)):
        wire["format"] = dict(wire_of(fmt))
    return wire


def unexpected_argument(method: str, names: Sequence[str], valid: Sequence[str]) -> TypeError:
    """The error for keywords a method does not take, with the fix for known ones."""
    name = sorted(names)[0]
    if name in BACKEND_UNSUPPORTED:
        return TypeError(
            f"{method}() got an unexpected keyword argument {name!r}: the Codex backend rejects "
            f"it (400 'Unsupported parameter'); remove it"
        )
    return TypeError(
        f"{method}() got an unexpected keyword argument {name!r}; "
        f"valid arguments are: {', '.join(valid)}"
    )


def bearer_token(headers: Mapping[str, str]) -> str:
    """The token of an ``Authorization: Bearer`` header, or ""."""
    value = headers.get("Authorization", "")
    return value[7:] if value.startswith("Bearer ") else ""
