"""``AsyncConversation``: multi-turn on top of ``responses.create``, with the history kept.

The backend stores nothing (``store: false``), so every turn resends the whole history. The
conversation keeps it: the user's items and every output item, reasoning included (its
``encrypted_content`` carries the model's chain of thought to the next turn). Each
conversation has its own session id, sent as ``session_id`` and as ``prompt_cache_key``, so
the backend's prompt cache follows the conversation as it does in the Codex CLI.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._models import (
    InputItem,
    InputMessage,
    Response,
    ResponseCustomToolCall,
    ResponseFunctionToolCall,
    Usage,
)
from ._request import input_items, window_id

if TYPE_CHECKING:
    from ._client import AsyncClient
    from ._stream import AsyncResponseStream

__all__ = ["TURN_STATE_HEADER", "AsyncConversation", "with_turn_state"]

# Set per conversation, or per turn by the conversation itself.
_FIXED = ("model", "instructions", "input", "stream")

#: The backend's sticky-routing token of a turn: sent back on every later request of that
#: turn (tool follow-ups), never into the next turn (wire reference section 3.6).
TURN_STATE_HEADER = "x-codex-turn-state"
WINDOW_HEADER = "x-codex-window-id"


def with_turn_state(params: dict[str, Any], state: str | None) -> dict[str, Any]:
    """``params`` whose ``extra_headers`` carry the turn state (the caller's own header wins)."""
    return params if state is None else _with_header(params, TURN_STATE_HEADER, state)


def _with_header(params: dict[str, Any], name: str, value: str) -> dict[str, Any]:
    """``params`` with one more of ``extra_headers``, unless the caller gave that one."""
    extra = params.get("extra_headers")
    if extra is None:
        return {**params, "extra_headers": {name: value}}
    if isinstance(extra, Mapping):
        if any(key.lower() == name for key in extra if isinstance(key, str)):
            return params
        return {**params, "extra_headers": {name: value, **extra}}
    return params  # not a mapping: the request builder names the mistake


def _tokens(usage: Usage | None) -> int | None:
    if usage is None:
        return None
    return usage.total_tokens or usage.input_tokens + usage.output_tokens


def _is_user_message(item: object) -> bool:
    if isinstance(item, InputMessage):
        return item.role == "user"
    from ._compaction import is_message

    return isinstance(item, Mapping) and is_message(item) and item.get("role") == "user"


def _calls_tools(response: Response) -> bool:
    return any(
        isinstance(item, (ResponseFunctionToolCall, ResponseCustomToolCall))
        for item in response.output
    )


def _check_auto_compact(value: object) -> bool | int:
    if value is None or value is False:
        return False
    if value is True:
        return True
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    raise ValueError(
        "auto_compact must be True (compact at the model's auto_compact_token_limit from the "
        "catalog), a token count >= 1 (e.g. auto_compact=200_000) or False/None (off), got "
        f"{value!r}"
    )


class AsyncConversation:
    """A conversation: ``await conversation.ask("...")`` sends the history plus the new input.

    Create it with ``client.conversation(model=..., instructions=..., **defaults)``; the
    defaults (``reasoning``, ``tools``, ``text``, ...) apply to every turn and each turn may
    override them. A turn joins ``history`` only when its response completes, so a failed
    turn can simply be asked again.

    ``auto_compact=True`` compacts the history (``compact()``) before a turn once a response
    (since the last compaction) used the model's ``auto_compact_token_limit`` tokens (from the model
    catalog, capped at 90% of its context window as the CLI does); ``auto_compact=<int>``
    sets that threshold. ``ask()`` and ``stream()`` do it before they send the turn (a
    stream when it is opened: on ``async with`` or its first event).

    When a response asks for tools, the backend's ``x-codex-turn-state`` is sent back with
    the follow-up that answers them (input without a user message), as the CLI does.

    ``transport=`` (``"sse"``, ``"websocket"`` or ``"auto"``) overrides the client's for
    this conversation's turns (and each ``ask(..., transport=...)`` for one turn). Over
    WebSocket, each new socket first gets a ``generate: false`` request with only the leading
    developer message, as the CLI does; the turn then chains on it with
    ``previous_response_id``. ``prewarm=False`` turns that off.
    """

    def __init__(
        self,
        client: AsyncClient,
        *,
        model: str,
        instructions: str,
        auto_compact: bool | int | None = None,
        transport: str | None = None,
        prewarm: bool = True,
        **defaults: Any,
    ) -> None:
        from ._request import CREATE_PARAMS, check_transport

        self._check(defaults, "conversation", CREATE_PARAMS)
        if not isinstance(prewarm, bool):
            raise TypeError(
                f"prewarm must be True (the default: the CLI's prewarm request on each new "
                f"WebSocket) or False, got {prewarm!r}"
            )
        self._client = client
        self._params: dict[str, Any] = {"model": model, "instructions": instructions, **defaults}
        if transport is not None:
            self._params["transport"] = check_transport(transport)
        self._prewarm = prewarm
        self._history: list[InputItem] = []
        self._session_id = str(uuid.uuid4())
        self._auto_compact = _check_auto_compact(auto_compact)
        self._compact_limit: int | None = None
        self._last_tokens: int | None = None  # the most a response used since a compaction
        self._turn_state: str | None = None  # while the model's tool calls are answered
        self._window = 0  # compactions so far: the CLI's window generation

    @property
    def session_id(self) -> str:
        """Sent as ``session-id`` and ``prompt_cache_key`` with every turn."""
        return self._session_id

    @property
    def history(self) -> list[InputItem]:
        """Every item so far: the user's inputs and the model's outputs, in order (a copy)."""
        return list(self._history)

    @property
    def model(self) -> str:
        """The model slug of every turn."""
        return str(self._params["model"])

    async def ask(self, input: str | Sequence[InputItem], /, **overrides: Any) -> Response:
        """Send ``input`` after the history; return the ``Response`` and keep both."""
        stream = await self._prepared_stream(input, overrides)
        async with stream:
            return await stream.get_final_response()

    def stream(self, input: str | Sequence[InputItem], /, **overrides: Any) -> AsyncResponseStream:
        """Like ``ask`` but streamed: ``async with conversation.stream("...") as stream:``.

        A due compaction runs when the stream is opened, before the turn is sent. The turn
        joins the history when the stream reaches its final event.
        """
        from ._request import CALL_PARAMS

        self._check(overrides, "ask", CALL_PARAMS)
        return self._turn(input_items(input), overrides)

    async def compact(self, **overrides: Any) -> list[InputItem]:
        """Compact the history now (``responses.compact``): its messages and one encrypted
        ``compaction`` item replace it. Returns the new history (a copy)."""
        from ._request import CALL_PARAMS

        self._check(overrides, "compact", CALL_PARAMS)
        await self._compact_with([], overrides)
        return self.history

    def clear(self) -> None:
        """Forget the history (the session id stays)."""
        self._history.clear()
        self._last_tokens = None
        self._turn_state = None

    async def _prepared_stream(
        self, input: str | Sequence[InputItem], overrides: dict[str, Any]
    ) -> AsyncResponseStream:
        """The turn's stream, after the compaction that is due, if any."""
        from ._request import CALL_PARAMS

        self._check(overrides, "ask", CALL_PARAMS)
        stream = self._turn(input_items(input), overrides)
        await stream._run_prepare()
        return stream

    def _turn(self, new_items: list[InputItem], overrides: dict[str, Any]) -> AsyncResponseStream:
        """The stream of one turn. A compaction due when it opens runs first, and the request
        is then built anew from the compacted history."""
        items = new_items
        same_turn = False

        def request_params() -> dict[str, Any]:
            nonlocal same_turn
            params = self._request_params(overrides, [*self._history, *items])
            same_turn = self._turn_state is not None and not any(map(_is_user_message, items))
            return with_turn_state(params, self._turn_state) if same_turn else params

        def commit(response: Response) -> None:
            self._history.extend(items)
            self._history.extend(response.output)
            # The most since the last compaction: a compaction left due stays due after a
            # smaller turn.
            tokens = _tokens(response.usage)
            if tokens is not None and (self._last_tokens or 0) < tokens:
                self._last_tokens = tokens
            if not _calls_tools(response):
                self._turn_state = None  # the turn is over
            elif not same_turn or self._turn_state is None:
                self._turn_state = stream.headers.get(TURN_STATE_HEADER)

        responses = self._client.responses
        stream = responses._stream(
            "ask", request_params(), session_id=self.session_id, on_complete=commit
        )
        stream._prewarm = self._prewarm
        if self._auto_compact:
            then = stream._prepare

            async def compact_if_due() -> None:
                nonlocal items
                if await self._compaction_due():
                    from ._compaction import is_message

                    # As the CLI does before a tool follow-up: the tool outputs are compacted
                    # with the history (their calls are compacted away); new messages follow.
                    await self._compact_with([i for i in items if not is_message(i)], overrides)
                    items = [i for i in items if is_message(i)]
                    rebuilt = responses._stream("ask", request_params(), session_id=self.session_id)
                    stream._request = rebuilt._request
                if then is not None:
                    await then()

            stream._prepare = compact_if_due
        return stream

    async def _compaction_due(self) -> bool:
        if not self._auto_compact or self._last_tokens is None:
            return False
        return self._last_tokens >= await self._limit()

    async def _limit(self) -> int:
        if self._auto_compact is not True:
            return int(self._auto_compact)
        if self._compact_limit is None:
            try:
                entry = await self._client.models.retrieve(self.model)
            except KeyError:
                entry = None
            limit = entry.auto_compact_token_limit if entry is not None else None
            window = entry.context_window if entry is not None else None
            cap = window * 9 // 10 if window else None
            if limit is None or (cap is not None and cap < limit):
                limit = cap
            if limit is None:
                raise ValueError(
                    f"auto_compact=True: the model catalog gives {self.model!r} no "
                    "auto_compact_token_limit nor context_window; pass the threshold yourself, "
                    "e.g. auto_compact=200_000"
                )
            self._compact_limit = limit
        return self._compact_limit

    async def _compact_with(self, extra: list[InputItem], overrides: dict[str, Any]) -> None:
        from ._compaction import compact

        params = self._request_params(overrides, [*self._history, *extra])
        self._history = await compact(self._client.responses, params, session_id=self.session_id)
        self._last_tokens = None
        # A new context window, as the CLI counts them: a new x-codex-window-id, so a
        # WebSocket chain (its pool key has the header) starts anew with the new history.
        self._window += 1

    def _request_params(self, overrides: dict[str, Any], items: list[InputItem]) -> dict[str, Any]:
        params = {**self._params, **overrides, "input": items}
        if not self._window:
            return params
        return _with_header(params, WINDOW_HEADER, window_id(self.session_id, self._window))

    @staticmethod
    def _check(params: dict[str, Any], method: str, valid: Sequence[str]) -> None:
        from ._request import unexpected_argument

        allowed = [name for name in valid if name not in _FIXED]
        unexpected = [name for name in params if name not in allowed]
        if unexpected:
            raise unexpected_argument(method, unexpected, allowed)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(model={self.model!r}, turns={len(self._history)} items, "
            f"session_id={self.session_id!r})"
        )
