"""``create_app``: the gateway's ``aiohttp.web.Application``, its guards and its handlers."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .._client import AsyncClient
from .._exceptions import CodexError
from .._json import dumps, loads
from ._chat import ChatChunker, chat_completion, parse_chat_request
from ._errors import GatewayError, from_codex_error, invalid
from ._models import model_list, model_not_found, model_object
from ._params import dropped_headers, with_cache_key
from ._passthrough import Passthrough
from ._response_store import DEFAULT_RESPONSE_TTL, MemoryResponseStore, ResponseStore
from ._responses import (
    ResponsesRequest,
    ResponsesStreamer,
    openai_response,
    parse_responses_request,
    previous_not_found,
)

if TYPE_CHECKING:
    from .._stream import AsyncResponseStream

__all__ = ["DEFAULT_INSTRUCTIONS", "DEFAULT_MAX_BODY_SIZE", "create_app"]

logger = logging.getLogger("codex_open_client.gateway")

#: The largest request body accepted, in bytes (images as data URLs make bodies big).
DEFAULT_MAX_BODY_SIZE = 20 * 1024 * 1024
#: The ``instructions`` sent when a request has none (the backend requires them).
DEFAULT_INSTRUCTIONS = "You are a helpful assistant."

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_SSE_HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}
# A typed request key where aiohttp has them (3.13+: a plain str key warns there).
_INFO: Any = (
    web.RequestKey("codex_gateway_info", dict)
    if hasattr(web, "RequestKey")
    else "codex_gateway_info"
)
_DISCONNECTED = (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)


async def _end(response: web.StreamResponse, info: dict[str, Any]) -> None:
    """End a streamed answer; a client that hung up after the last event is not an error."""
    try:
        await response.write_eof()
    except _DISCONNECTED:
        info["error"] = "client_disconnected"


class _Gateway:
    """The state every handler shares."""

    def __init__(
        self,
        client: AsyncClient,
        *,
        api_keys: tuple[bytes, ...],
        allowed_origins: frozenset[str],
        max_body_size: int,
        store: ResponseStore,
        response_ttl: float,
        default_instructions: str,
    ) -> None:
        self.client = client
        self.key_digests = api_keys
        self.allowed_origins = allowed_origins
        self.max_body_size = max_body_size
        self.store = store
        self.response_ttl = response_ttl
        self.default_instructions = default_instructions

    def secrets(self) -> tuple[str, ...]:
        return self.client._auth.secrets()

    # ------------------------------------------------------------------ guards

    def key_ok(self, request: web.Request) -> bool:
        """Whether the request carries one of the keys (every key compared, in constant time)."""
        given = _given_key(request)
        if given is None:
            return False
        digest = hashlib.sha256(given.encode("utf-8", "surrogateescape")).digest()
        ok = False
        for key in self.key_digests:
            ok |= hmac.compare_digest(digest, key)
        return ok

    async def read_json(self, request: web.Request) -> dict[str, Any]:
        length = request.content_length
        if length is not None and length > self.max_body_size:
            raise _too_large(self.max_body_size)
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise _too_large(self.max_body_size) from None
        try:
            body = loads(raw)
        except ValueError:
            raise invalid(
                "We could not parse the JSON body of your request. The body must be a JSON "
                "object (Content-Type: application/json).",
                code="invalid_json",
            ) from None
        if not isinstance(body, dict):
            raise invalid("The request body must be a JSON object.", code="invalid_json")
        return body

    def upstream_error(self, exc: BaseException) -> GatewayError:
        return from_codex_error(exc, self.secrets())


def _given_key(request: web.Request) -> str | None:
    header = request.headers.get("Authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        return None
    return request.headers.get("x-api-key") or request.headers.get("api-key") or None


def _too_large(limit: int) -> GatewayError:
    return GatewayError(
        413,
        f"The request body is larger than the gateway's limit of {limit:,} bytes.",
        code="request_too_large",
    )


def _error_response(error: GatewayError) -> web.Response:
    headers = dict(error.headers)
    if error.status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="codex-open-client"')
    return web.Response(
        body=dumps(error.body()),
        status=error.status,
        headers=headers,
        content_type="application/json",
    )


def _info(request: web.Request) -> dict[str, Any]:
    info: dict[str, Any] = request.setdefault(_INFO, {})
    return info


def _cors_headers(request: web.Request, origin: str) -> dict[str, str]:
    return {
        "Access-Control-Allow-Origin": origin,
        "Vary": "Origin",
        "Access-Control-Expose-Headers": "Retry-After, Warning, x-codex-gateway-dropped",
    }


def _loggable(value: Any) -> str:
    """A client-given value fit for one log line (no line breaks or control characters)."""
    if not isinstance(value, str) or not value:
        return "-"
    text = value[:100]
    return text if text.isprintable() and " " not in text else repr(text)


def _make_middleware(gateway: _Gateway) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        info = _info(request)
        info["request_id"] = "req_" + secrets.token_hex(12)
        status = 500
        try:
            response = await _guarded(gateway, request, handler)
            status = response.status
            return response
        except asyncio.CancelledError:
            status = 499  # the client went away
            raise
        finally:
            usage = info.get("tokens")
            logger.info(
                "%s %s %s model=%s duration_ms=%.1f tokens=%s request_id=%s%s",
                request.method,
                request.path,
                status,
                _loggable(info.get("model")),
                (time.perf_counter() - started) * 1000,
                usage if usage is not None else "-",
                info["request_id"],
                f" error={info['error']}" if info.get("error") else "",
            )

    return middleware


async def _guarded(gateway: _Gateway, request: web.Request, handler: Handler) -> web.StreamResponse:
    origin = request.headers.get("Origin")
    if origin is not None:
        if origin not in gateway.allowed_origins:
            # A page on another origin must not use the subscription (no CORS grant, no call).
            return _error_response(
                GatewayError(
                    403,
                    "Requests from this origin are not allowed; list it in allowed_origins.",
                    type="invalid_request_error",
                    code="origin_not_allowed",
                )
            )
        _info(request)["cors"] = _cors_headers(request, origin)
        if request.method == "OPTIONS":
            asked = request.headers.get(
                "Access-Control-Request-Headers", "authorization, content-type"
            )
            return web.Response(
                status=204,
                headers={
                    **_cors_headers(request, origin),
                    "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
                    "Access-Control-Allow-Headers": asked,
                    "Access-Control-Max-Age": "600",
                },
            )
    try:
        if request.path != "/healthz" and gateway.key_digests and not gateway.key_ok(request):
            missing = _given_key(request) is None
            raise GatewayError(
                401,
                "You didn't provide an API key. Send it as 'Authorization: Bearer KEY'."
                if missing
                else "Incorrect API key provided.",
                code=None if missing else "invalid_api_key",
            )
        return await handler(request)
    except GatewayError as error:
        _info(request)["error"] = error.code or error.type
        return _error_response(error)
    except web.HTTPRequestEntityTooLarge:
        return _error_response(_too_large(gateway.max_body_size))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        message = (
            f"Unknown request URL: {request.method} {request.path}."
            if exc.status == 404
            else f"{exc.reason}: {request.method} {request.path}."
        )
        code = "unknown_url" if exc.status == 404 else "method_not_allowed"
        return _error_response(GatewayError(exc.status, message, code=code))
    except (asyncio.CancelledError, *_DISCONNECTED):
        raise
    except Exception:
        logger.exception("the gateway failed on %s %s", request.method, request.path)
        return _error_response(
            GatewayError(
                500,
                "The gateway failed to handle the request.",
                type="server_error",
                code="internal_error",
            )
        )


async def _on_prepare(request: web.Request, response: web.StreamResponse) -> None:
    info = request.get(_INFO) or {}
    for name, value in (info.get("cors") or {}).items():
        response.headers[name] = value
    for name, value in (info.get("headers") or {}).items():
        response.headers.setdefault(name, value)
    if "request_id" in info:
        response.headers.setdefault("x-request-id", info["request_id"])


def _sse(payload: dict[str, Any]) -> bytes:
    return b"data: " + dumps(payload) + b"\n\n"


def _sse_event(payload: dict[str, Any]) -> bytes:
    return b"event: " + str(payload["type"]).encode() + b"\ndata: " + dumps(payload) + b"\n\n"


async def _batches(stream: AsyncResponseStream) -> AsyncIterator[list[Any]]:
    """The stream's events, in the batches that each network chunk completes.

    One write per upstream chunk instead of one per event: a fast stream costs a few
    large writes. ``_next_batch`` is the SDK's own batching (its sync facade uses it); the
    public per-event iteration is the fallback.
    """
    next_batch = getattr(stream, "_next_batch", None)
    if next_batch is None:  # pragma: no cover - an SDK without it
        async for event in stream:
            yield [event]
        return
    while True:
        batch = await next_batch()
        if not batch:
            return
        yield batch


async def _start_stream(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(status=200, headers=_SSE_HEADERS)
    await response.prepare(request)
    return response


# ---------------------------------------------------------------------- handlers


def _make_handlers(gateway: _Gateway) -> dict[str, Handler]:
    client = gateway.client

    async def healthz(request: web.Request) -> web.StreamResponse:
        return web.json_response({"status": "ok"})

    async def list_models(request: web.Request) -> web.StreamResponse:
        try:
            models = await client.models.list()
        except CodexError as exc:
            raise gateway.upstream_error(exc) from None
        return web.Response(body=dumps(model_list(models)), content_type="application/json")

    async def get_model(request: web.Request) -> web.StreamResponse:
        model_id = request.match_info["model"]
        try:
            models = await client.models.list()
        except CodexError as exc:
            raise gateway.upstream_error(exc) from None
        for model in models:
            if model.slug == model_id:
                return web.Response(
                    body=dumps(model_object(model)), content_type="application/json"
                )
        raise model_not_found(model_id)

    async def chat_completions(request: web.Request) -> web.StreamResponse:
        info = _info(request)
        body = await gateway.read_json(request)
        chat = parse_chat_request(body, gateway.default_instructions)
        chat.params = with_cache_key(chat.params)
        info["model"] = chat.model
        info["headers"] = dropped_headers(chat.dropped)
        if not chat.stream:
            try:
                final = await client.responses.create(**chat.params)
            except (CodexError, TypeError, ValueError) as exc:
                raise gateway.upstream_error(exc) from None
            if final.usage is not None:
                info["tokens"] = final.usage.total_tokens
            return web.Response(
                body=dumps(chat_completion(final, chat)), content_type="application/json"
            )
        try:
            stream = await client.responses.create(stream=True, **chat.params)
        except (CodexError, TypeError, ValueError) as exc:
            raise gateway.upstream_error(exc) from None
        chunker = ChatChunker(chat)
        response: web.StreamResponse | None = None
        pending: list[bytes] = []
        async with stream:
            try:
                async for batch in _batches(stream):
                    for event in batch:
                        pending.extend(_sse(chunk) for chunk in chunker.feed(event))
                    # The role chunk alone waits: a failure before any content is still an
                    # HTTP error with its status.
                    if len(pending) < (2 if response is None else 1):
                        continue
                    if response is None:
                        response = await _start_stream(request)
                    await response.write(b"".join(pending))
                    pending.clear()
                final = stream.response
                pending.extend(_sse(chunk) for chunk in chunker.finish(final))
                pending.append(b"data: [DONE]\n\n")
                if final.usage is not None:
                    info["tokens"] = final.usage.total_tokens
                if response is None:
                    response = await _start_stream(request)
                await response.write(b"".join(pending))
            except CodexError as exc:
                error = gateway.upstream_error(exc)
                if response is None:
                    raise error from None
                info["error"] = error.code or error.type
                await response.write(_sse(error.body()))
            except _DISCONNECTED:
                info["error"] = "client_disconnected"
                return response or web.Response(status=499)
        if response is None:  # pragma: no cover - the stream always ends with a write
            response = await _start_stream(request)
        await _end(response, info)
        return response

    async def create_response(request: web.Request) -> web.StreamResponse:
        info = _info(request)
        body = await gateway.read_json(request)
        req = parse_responses_request(body, gateway.default_instructions)
        info["model"] = req.model
        info["headers"] = dropped_headers(req.dropped)
        items = req.input_items
        if req.previous_response_id is not None:
            try:
                prior = await gateway.store.get(req.previous_response_id)
            except Exception as exc:
                logger.warning("the response store failed: %s", type(exc).__name__)
                raise GatewayError(
                    503,
                    "The gateway's response store is unavailable; try again later.",
                    type="server_error",
                    code="response_store_unavailable",
                ) from None
            if prior is None:
                raise previous_not_found(req.previous_response_id)
            items = prior + items
        params = with_cache_key({**req.params, "input": items})
        if not req.stream:
            try:
                final = await client.responses.create(**params)
            except (CodexError, TypeError, ValueError) as exc:
                raise gateway.upstream_error(exc) from None
            streamer = ResponsesStreamer(req)
            await _remember(gateway, req, streamer.response_id, items, final)
            if final.usage is not None:
                info["tokens"] = final.usage.total_tokens
            answer = openai_response(
                final, req, response_id=streamer.response_id, created_at=streamer.created_at
            )
            return web.Response(body=dumps(answer), content_type="application/json")
        try:
            stream = await client.responses.create(stream=True, **params)
        except (CodexError, TypeError, ValueError) as exc:
            raise gateway.upstream_error(exc) from None
        streamer = ResponsesStreamer(req)
        response: web.StreamResponse | None = None
        pending: list[bytes] = []

        def snapshot() -> Any:
            return stream.response

        async with stream:
            try:
                async for batch in _batches(stream):
                    for event in batch:
                        pending.extend(
                            _sse_event(frame) for frame in streamer.feed(event, snapshot)
                        )
                    # response.created (+ in_progress) wait for content: a failure before any
                    # is still an HTTP error with its status.
                    if len(pending) < (3 if response is None else 1):
                        continue
                    if response is None:
                        response = await _start_stream(request)
                    await response.write(b"".join(pending))
                    pending.clear()
                final = stream.response
                await _remember(gateway, req, streamer.response_id, items, final)
                pending.extend(_sse_event(frame) for frame in streamer.finish(final))
                if final.usage is not None:
                    info["tokens"] = final.usage.total_tokens
                if response is None:
                    response = await _start_stream(request)
                await response.write(b"".join(pending))
            except CodexError as exc:
                error = gateway.upstream_error(exc)
                if response is None:
                    raise error from None
                info["error"] = error.code or error.type
                frames = streamer.fail(stream.response, error)
                await response.write(b"".join(_sse_event(frame) for frame in frames))
            except _DISCONNECTED:
                info["error"] = "client_disconnected"
                return response or web.Response(status=499)
        assert response is not None
        await _end(response, info)
        return response

    return {
        "healthz": healthz,
        "list_models": list_models,
        "get_model": get_model,
        "chat_completions": chat_completions,
        "create_response": create_response,
    }


async def _remember(
    gateway: _Gateway,
    req: ResponsesRequest,
    response_id: str,
    items: list[dict[str, Any]],
    final: Any,
) -> None:
    if not req.store or final.status != "completed":
        return
    from .._serde import unstructure

    output = [item for item in unstructure(final.output) if isinstance(item, dict)]
    try:
        await gateway.store.put(response_id, [*items, *output], gateway.response_ttl)
    except Exception as exc:
        # The answer still goes out; only continuing it with previous_response_id will fail.
        logger.warning("could not store response %s: %s", response_id, type(exc).__name__)


def _digests(api_keys: Iterable[str]) -> tuple[bytes, ...]:
    if isinstance(api_keys, str):
        raise TypeError("api_keys must be a list of keys, e.g. api_keys=['sk-my-key']")
    digests = []
    for index, key in enumerate(api_keys):
        if not isinstance(key, str) or not key.strip():
            raise ValueError(f"api_keys[{index}] must be a non-empty string")
        digests.append(hashlib.sha256(key.strip().encode("utf-8", "surrogateescape")).digest())
    return tuple(digests)


def _origins(allowed_origins: Iterable[str]) -> frozenset[str]:
    if isinstance(allowed_origins, str):
        raise TypeError("allowed_origins must be a list of origins, e.g. ['http://localhost:3000']")
    origins = set()
    for index, origin in enumerate(allowed_origins):
        if not isinstance(origin, str) or "://" not in origin or origin.endswith("/"):
            raise ValueError(
                f"allowed_origins[{index}] must be an origin such as 'http://localhost:3000' "
                f"(scheme://host[:port], no path), got {origin!r}"
            )
        origins.add(origin)
    return frozenset(origins)


def create_app(
    client: AsyncClient,
    *,
    api_keys: Iterable[str] = (),
    allowed_origins: Iterable[str] = (),
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    response_store: ResponseStore | None = None,
    response_ttl: float = DEFAULT_RESPONSE_TTL,
    default_instructions: str = DEFAULT_INSTRUCTIONS,
    close_client: bool = False,
) -> web.Application:
    """The OpenAI-compatible gateway as an ``aiohttp.web.Application``, served by ``client``.

    Routes: ``POST /v1/chat/completions``, ``POST /v1/responses``, ``GET /v1/models``,
    ``GET /v1/models/{id}`` (also without the ``/v1`` prefix), ``GET /healthz`` (no key
    needed), and the Codex-native passthrough ``/backend-api/codex/responses`` (HTTP and
    WebSocket) and ``/backend-api/codex/models``.

    :param client: the ``AsyncClient`` every request goes through (its sign-in, retries).
    :param api_keys: keys a request must carry (``Authorization: Bearer KEY``); none: open.
    :param allowed_origins: browser origins granted CORS; a request from any other
        ``Origin`` is refused with 403.
    :param max_body_size: the largest request body, in bytes (larger: 413).
    :param response_store: where served responses are kept for ``previous_response_id``
        (default: a ``MemoryResponseStore()``).
    :param response_ttl: seconds a served response stays available.
    :param default_instructions: the instructions sent when a request has none.
    :param close_client: close ``client`` when the application shuts down.
    """
    if not isinstance(client, AsyncClient):
        raise TypeError(
            f"client must be a codex_open_client.AsyncClient, got {type(client).__name__}"
        )
    if not isinstance(max_body_size, int) or isinstance(max_body_size, bool) or max_body_size < 1:
        raise ValueError(f"max_body_size must be a positive number of bytes, got {max_body_size!r}")
    if not isinstance(response_ttl, (int, float)) or response_ttl <= 0:
        raise ValueError(f"response_ttl must be a positive number of seconds, got {response_ttl!r}")
    if not isinstance(default_instructions, str) or not default_instructions.strip():
        raise ValueError("default_instructions must be a non-empty string")
    store = response_store if response_store is not None else MemoryResponseStore()
    if not isinstance(store, ResponseStore):
        raise TypeError("response_store must implement ResponseStore (async get/put/delete)")
    gateway = _Gateway(
        client,
        api_keys=_digests(api_keys),
        allowed_origins=_origins(allowed_origins),
        max_body_size=max_body_size,
        store=store,
        response_ttl=float(response_ttl),
        default_instructions=default_instructions,
    )
    app = web.Application(
        middlewares=[_make_middleware(gateway)],
        client_max_size=max_body_size,
        # A client that disconnects cancels its handler, which closes the upstream stream.
        handler_args={"handler_cancellation": True},
    )
    handlers = _make_handlers(gateway)
    app.router.add_get("/healthz", handlers["healthz"])
    for prefix in ("/v1", ""):
        app.router.add_get(f"{prefix}/models", handlers["list_models"])
        app.router.add_get(f"{prefix}/models/{{model}}", handlers["get_model"])
        app.router.add_post(f"{prefix}/chat/completions", handlers["chat_completions"])
        app.router.add_post(f"{prefix}/responses", handlers["create_response"])
    Passthrough(client, max_body_size).add_routes(app)
    app.on_response_prepare.append(_on_prepare)
    if close_client:

        async def _close(_: web.Application) -> None:
            await client.aclose()

        app.on_cleanup.append(_close)
    return app
