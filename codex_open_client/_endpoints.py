"""The small JSON endpoints beside ``/responses``: the model catalog and account usage.

Both are plain ``GET``s through ``AsyncClient._fetch``: the client's credentials, the retry
loop of ``/responses`` and its 401 recovery (reload the stored credentials, else refresh).
"""

from __future__ import annotations

import builtins
import logging
import math
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from ._catalog import Model, models_from_payload
from ._exceptions import APIError
from ._json import loads
from ._ratelimits import AccountUsage, account_usage_from_payload
from ._request import USER_AGENT

if TYPE_CHECKING:
    from ._client import AsyncClient

__all__ = ["DEFAULT_CLIENT_VERSION", "MODELS_TTL", "AsyncModels", "fetch_usage"]

#: The Codex CLI version sent as ``client_version``: the backend hides models whose
#: ``minimal_client_version`` is newer than the client's.
DEFAULT_CLIENT_VERSION = "0.169.0"
#: Seconds a fetched catalog is used without asking again (as the CLI does).
MODELS_TTL = 300.0
# The CLI gives /models 5 s; usage is as small.
_GET_TIMEOUT = 10.0

logger = logging.getLogger("codex_open_client")


async def get_json(
    client: AsyncClient,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    ok: tuple[int, ...] = (200,),
) -> tuple[int, Mapping[str, str], Any]:
    """GET ``url`` with the client's credentials: status, headers and the decoded JSON.

    Retries what ``/responses`` retries; raises the mapped ``APIError`` for other statuses.
    """
    config = client._check_open()
    base = {"User-Agent": USER_AGENT, "originator": config.originator, "Accept": "application/json"}
    base.update(config.default_headers)
    base.update(headers or {})
    status, answer_headers, content = await client._fetch(
        "GET",
        url,
        headers=base,
        timeout=min(config.timeout, _GET_TIMEOUT),
        max_retries=config.max_retries,
        ok=ok,
    )
    return status, answer_headers, _decode(status, content, url)


def _decode(status: int, content: bytes, url: str) -> Any:
    if status == 304 or not content:
        return None
    try:
        return loads(content)
    except ValueError:
        raise APIError(
            f"GET {url} answered {status} with a body that is not JSON", status_code=status
        ) from None


class AsyncModels:
    """``client.models``: the models this account can use, from ``GET {base_url}/models``.

    The catalog is cached for five minutes, then revalidated with its ETag (a 304 keeps it).
    """

    def __init__(self, client: AsyncClient, client_version: str) -> None:
        self._client = client
        self._client_version = client_version
        self._models: builtins.list[Model] | None = None
        self._etag: str | None = None
        # Never fetched: -inf, not 0.0, since the monotonic clock may start near 0 at boot.
        self._fetched_at = -math.inf

    @property
    def client_version(self) -> str:
        """The ``client_version`` sent to ``/models``."""
        return self._client_version

    async def list(self, *, force_refresh: bool = False) -> builtins.list[Model]:
        """Every model of the catalog, in the backend's order (hidden ones included).

        Served from the cache for five minutes; ``force_refresh=True`` asks the backend now.
        """
        if not isinstance(force_refresh, bool):
            raise TypeError(f"force_refresh must be True or False, got {force_refresh!r}")
        models = self._models
        if models is not None and not force_refresh and self._fresh():
            return list(models)
        query = urlencode({"client_version": self._client_version})
        url = f"{self._client._config.base_url}/models?{query}"
        conditional = {"If-None-Match": self._etag} if self._etag and models is not None else {}
        status, headers, payload = await get_json(
            self._client, url, headers=conditional, ok=(200, 304)
        )
        if status == 304 and models is not None:
            self._fetched_at = time.monotonic()
            return list(models)
        if not isinstance(payload, dict):
            raise APIError(f"GET {url} answered without a model list", status_code=status)
        try:
            models = models_from_payload(payload)
        except ValueError as exc:
            raise APIError(f"GET {url}: {exc}", status_code=status, body=payload) from None
        self._models, self._etag = models, headers.get("ETag")
        self._fetched_at = time.monotonic()
        return list(models)

    async def retrieve(self, slug: str) -> Model:
        """The catalog entry of ``slug``; ``KeyError`` naming the known slugs when absent."""
        if not isinstance(slug, str) or not slug:
            raise TypeError(f"slug must be a model slug such as 'gpt-5.4', got {slug!r}")
        models = await self.list()
        model = self._cached(slug)
        if model is not None:
            return model
        known = ", ".join(model.slug for model in models)
        raise KeyError(f"no model {slug!r} in the catalog; known models: {known}")

    def _cached(self, slug: str) -> Model | None:
        """The cached entry of ``slug`` (no I/O), or None when unknown."""
        for model in self._models or ():
            if model.slug == slug:
                return model
        return None

    def _note_etag(self, etag: str | None) -> None:
        """A ``/responses`` answer named the catalog's ETag: a different one makes it stale."""
        if etag and self._models is not None:
            if etag == self._etag:
                self._fetched_at = time.monotonic()
            else:
                self._fetched_at = -math.inf

    def _fresh(self) -> bool:
        return time.monotonic() - self._fetched_at < MODELS_TTL


async def fetch_usage(client: AsyncClient) -> AccountUsage:
    """``GET {chatgpt_base_url}/wham/usage`` as an ``AccountUsage``."""
    base = client._config.chatgpt_base_url
    # The CLI's rule: a base without /backend-api uses the /api/codex path style.
    path = "/wham/usage" if "/backend-api" in base else "/api/codex/usage"
    url = base + path
    status, _, payload = await get_json(client, url)
    if not isinstance(payload, dict):
        raise APIError(f"GET {url} answered without a usage object", status_code=status)
    return account_usage_from_payload(payload)
