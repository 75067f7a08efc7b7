"""``AsyncConversation``: multi-turn on top of ``responses.create``, with the history kept.

The backend stores nothing (``store: false``), so every turn resends the whole history. The
conversation keeps it: the user's items and every output item, reasoning included (its
``encrypted_content`` carries the model's chain of thought to the next turn). Each
conversation has its own session id, sent as ``session_id`` and as ``prompt_cache_key``, so
the backend's prompt cache follows the conversation as it does in the Codex CLI.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ._models import InputItem, Response
from ._request import input_items

if TYPE_CHECKING:
    from ._client import AsyncClient
    from ._stream import AsyncResponseStream

__all__ = ["AsyncConversation"]

# Set per conversation, or per turn by the conversation itself.
_FIXED = ("model", "instructions", "input", "stream")


class AsyncConversation:
    """A conversation: ``await conversation.ask("...")`` sends the history plus the new input.

    Create it with ``client.conversation(model=..., instructions=..., **defaults)``; the
    defaults (``reasoning``, ``tools``, ``text``, ...) apply to every turn and each turn may
    override them. A turn joins ``history`` only when its response completes, so a failed
    turn can simply be asked again.
    """

    def __init__(
        self, client: AsyncClient, *, model: str, instructions: str, **defaults: Any
    ) -> None:
        from ._client import CREATE_PARAMS

        self._check(defaults, "conversation", CREATE_PARAMS)
        self._client = client
        self._params: dict[str, Any] = {"model": model, "instructions": instructions, **defaults}
        self._history: list[InputItem] = []
        self._session_id = str(uuid.uuid4())

    @property
    def session_id(self) -> str:
        """Sent as ``session_id`` and ``prompt_cache_key`` with every turn."""
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
        stream = self.stream(input, **overrides)
        async with stream:
            return await stream.get_final_response()

    def stream(self, input: str | Sequence[InputItem], /, **overrides: Any) -> AsyncResponseStream:
        """Like ``ask`` but streamed: ``async with conversation.stream("...") as stream:``.

        The turn joins the history when the stream reaches its final event.
        """
        from ._client import CREATE_PARAMS

        self._check(overrides, "ask", CREATE_PARAMS)
        new_items = input_items(input)
        params = {**self._params, **overrides, "input": [*self._history, *new_items]}

        def commit(response: Response) -> None:
            self._history.extend(new_items)
            self._history.extend(response.output)

        return self._client.responses._stream(
            "ask", params, session_id=self.session_id, on_complete=commit
        )

    def clear(self) -> None:
        """Forget the history (the session id stays)."""
        self._history.clear()

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
