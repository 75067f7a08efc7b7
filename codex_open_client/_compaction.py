"""Remote compaction: a history replaced by the messages and one encrypted ``compaction`` item.

Version 2, what the Codex CLI 0.169 speaks: a normal streamed ``/responses`` request (either
transport) whose input is the history followed by ``{"type": "compaction_trigger"}``, with
``x-codex-beta-features: remote_compaction_v2`` and turn metadata ``request_kind:
"compaction"``; the answer is exactly one ``compaction`` item. The history then keeps what the
CLI keeps: its messages (developer, user, assistant), in order, then that item. The older
``POST /responses/compact`` is used only when the backend refuses version 2.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._exceptions import APIError, AuthError, ContextWindowError
from ._json import loads
from ._models import (
    InputItem,
    InputMessage,
    ResponseCompactionItem,
    ResponseOutputMessage,
    UnknownItem,
)
from ._request import (
    COMPACTION_TRIGGER,
    build_responses_request,
    compaction_headers,
    input_items,
    with_extra_query,
)

if TYPE_CHECKING:
    from ._client import AsyncClient, AsyncResponses

__all__ = ["compact", "compacted_history", "is_message", "refuses_v2"]

logger = logging.getLogger("codex_open_client")

# The body of the older POST /responses/compact (wire reference section 8).
_V1_FIELDS = ("model", "instructions", "input", "tools", "parallel_tool_calls", "reasoning", "text")


def is_message(item: object) -> bool:
    """Whether a history item is a message (of any role), which compaction keeps."""
    if isinstance(item, (InputMessage, ResponseOutputMessage)):
        return True
    if isinstance(item, UnknownItem):
        return item.wire_type == "message"
    if isinstance(item, Mapping):
        kind = item.get("type")
        return kind == "message" or (kind is None and "role" in item)
    return False


def compacted_history(
    history: Sequence[InputItem], compaction: ResponseCompactionItem
) -> list[InputItem]:
    """The history after a compaction, as the CLI builds it: the messages, then the item.

    Reasoning, tool calls and their outputs (and any older compaction item) are what the
    encrypted summary replaces.
    """
    return [*(item for item in history if is_message(item)), compaction]


def refuses_v2(exc: APIError) -> bool:
    """Whether an error means the backend does not speak compaction v2.

    That is a 400, 404 or 422 (or an invalid-request failure inside the stream) whose message
    or body names ``compaction_trigger``: an input item type the backend does not know.
    Anything else (auth, rate limits, a context too large even for compaction) is raised.
    """
    if isinstance(exc, (AuthError, ContextWindowError)):
        return False
    if exc.status_code not in (None, 400, 404, 422):
        return False
    text = f"{exc.message} {exc.body!r}".lower()
    return str(COMPACTION_TRIGGER["type"]) in text


async def compact(
    responses: AsyncResponses, params: dict[str, Any], *, session_id: str | None = None
) -> list[InputItem]:
    """``responses.compact(**params)``: the compacted history (messages, then the item)."""
    if "stream" in params:
        raise TypeError("compact() does not stream: remove stream=...")
    if "input" not in params:
        raise TypeError(
            "compact() missing required keyword argument 'input': the history to compact, "
            "e.g. input=conversation.history"
        )
    history = input_items(params["input"])
    client = responses._client
    sid = session_id or client._check_open().session_id
    extra = params.get("extra_headers")
    headers: object = compaction_headers(sid)
    if isinstance(extra, Mapping):
        headers = {**compaction_headers(sid), **extra}  # the caller's win, as elsewhere
    elif extra is not None:
        headers = extra  # not a mapping: the request builder names the mistake
    request = {**params, "input": [*history, dict(COMPACTION_TRIGGER)], "extra_headers": headers}
    stream = responses._stream("compact", request, session_id=session_id)
    try:
        async with stream:
            response = await stream.get_final_response()
    except APIError as exc:
        if not refuses_v2(exc):
            raise
        logger.info("remote compaction v2 refused (%s); trying POST /responses/compact", exc)
        return await _compact_v1(client, params, history, session_id)
    items = [item for item in response.output if isinstance(item, ResponseCompactionItem)]
    if len(items) != 1:
        raise APIError(
            "remote compaction expected exactly one compaction output item, got "
            f"{len(items)} from {len(response.output)} output items",
            response=response,
        )
    return compacted_history(history, items[0])


async def _compact_v1(
    client: AsyncClient,
    params: dict[str, Any],
    history: list[InputItem],
    session_id: str | None,
) -> list[InputItem]:
    """The older ``POST {base_url}/responses/compact``: ``{"output": [items...]}``."""
    import attrs

    config = client._check_open()
    if session_id is not None:
        config = attrs.evolve(config, session_id=session_id)
    # The older endpoint is plain HTTP whatever the transport; the URL is built below.
    fields = {k: v for k, v in params.items() if k != "transport"}
    built = build_responses_request(config, **{**fields, "input": history, "extra_query": None})
    assert built.json is not None
    extra_body = params.get("extra_body") or {}
    body = {k: v for k, v in built.json.items() if k in _V1_FIELDS or k in extra_body}
    url = f"{config.base_url}/responses/compact"
    if params.get("extra_query") is not None:
        url = with_extra_query(url, params["extra_query"])
    headers = {**built.headers, "Accept": "application/json"}
    status, _, content = await client._fetch(
        "POST",
        url,
        headers=headers,
        json_body=body,
        timeout=built.timeout,
        max_retries=built.max_retries,
    )
    try:
        payload = loads(content)
    except ValueError:
        payload = None
    output = payload.get("output") if isinstance(payload, dict) else None
    if not isinstance(output, list):
        raise APIError(f"POST {url} answered without an output list", status_code=status)
    items: list[InputItem] = []
    for item in output:
        if isinstance(item, dict) and item.get("type") == "compaction":
            try:
                items.append(ResponseCompactionItem.from_dict(item))
            except ValueError:
                raise APIError(
                    f"POST {url}: a compaction item without encrypted_content",
                    status_code=status,
                ) from None
        elif isinstance(item, dict):
            items.append(dict(item))
    if sum(isinstance(item, ResponseCompactionItem) for item in items) != 1:
        raise APIError(
            f"POST {url}: expected exactly one compaction item in the output",
            status_code=status,
            body=payload,
        )
    # The CLI puts its instructions (developer messages) back in front when they are gone.
    if not any(_is_developer(item) for item in items):
        items[:0] = [item for item in history if _is_developer(item)]
    return items


def _is_developer(item: object) -> bool:
    if isinstance(item, InputMessage):
        return item.role in ("developer", "system")
    if isinstance(item, Mapping):
        return is_message(item) and item.get("role") in ("developer", "system")
    return False
