"""Credentials for one client: load, sign in, refresh without races, recover from 401.

Refresh tokens are single-use, so a refresh must happen once however many requests find the
token stale: in this process an ``asyncio.Lock`` makes it single-flight, and across processes
sharing one auth.json the store's lock serialises refreshes; the store is re-read under that
lock, so tokens another process already refreshed are used with no network call.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Union

import anyio.to_thread
from attrs import frozen

from .._exceptions import APIConnectionError, AuthError
from .._request import DEFAULT_ORIGINATOR, USER_AGENT, headers_for, make_config
from .._transport import Transport
from ._store import FileTokenStore, TokenStore
from ._tokens import (
    AUTH_CLAIM,
    DEFAULT_CALLBACK_PORT,
    DEFAULT_ISSUER,
    Account,
    Credentials,
    decode_jwt_claims,
    default_token_path,
    get_account_id,
)

if TYPE_CHECKING:
    from ._login import PendingLogin

# The sign-in flows (_login) and OAuth calls (_oauth) are imported where they are used: they
# pull in asyncio and aiohttp.web, which `import codex_open_client` should not pay for.

__all__ = [
    "AuthManager",
    "LoginHandler",
    "LoginOptions",
    "afinish_login",
    "aget_token",
    "alogin",
    "arefresh",
    "astart_login",
    "build_headers",
    "credential_headers",
    "make_auth_manager",
    "make_login_options",
    "store_for",
]

logger = logging.getLogger("codex_open_client")

#: ``login_handler(url) -> callback_url``, sync or async.
LoginHandler = Callable[[str], Union[str, Awaitable[str]]]

SIGN_IN_HINT = (
    "run `python -m codex_open_client login` (or `codex login`) in a terminal, "
    "or pass login_handler=... or access_token=... to the client"
)


REFRESH_QUIET_AFTER_FAILURE = timedelta(seconds=30)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _retrieve_exception(task: Any) -> None:
    # A shielded refresh whose caller was cancelled: its error has no one left to see it.
    if not task.cancelled():
        task.exception()


def _same_account(stored: Credentials | None, current: Credentials) -> Credentials:
    """``stored``, which must still be this client's account (not a sign-out, not another)."""
    if stored is None or stored.account_id != current.account_id:
        raise AuthError(
            "The stored credentials changed: you have since signed out or signed in to "
            "another account. Create a new client to use the current sign-in.",
            status_code=401,
        )
    return stored


@frozen(kw_only=True)
class LoginOptions:
    """How to sign in when there are no credentials."""

    issuer: str = DEFAULT_ISSUER
    headless: bool = False
    no_browser: bool = False
    device_auth: bool = False
    login_handler: LoginHandler | None = None
    callback_port: int = DEFAULT_CALLBACK_PORT
    originator: str = DEFAULT_ORIGINATOR


def store_for(
    *,
    token_store: TokenStore | None = None,
    token_path: str | os.PathLike[str] | None = None,
    codex_home: str | os.PathLike[str] | None = None,
) -> TokenStore:
    """The store chosen by ``token_store=``, ``token_path=`` or ``codex_home=`` (else auth.json)."""
    if token_store is not None:
        if token_path is not None or codex_home is not None:
            raise TypeError("pass one of token_store=, token_path= or codex_home=, not several")
        return token_store
    if token_path is not None and codex_home is not None:
        raise TypeError("pass token_path= or codex_home=, not both")
    return FileTokenStore(token_path if token_path is not None else default_token_path(codex_home))


async def sign_in(transport: Transport, options: LoginOptions) -> Credentials:
    """Run the sign-in flow the options ask for and return the new credentials."""
    from ._login import run_browser_login, run_device_login, run_handler_login, run_headless_login

    common: dict[str, Any] = {
        "issuer": options.issuer,
        "originator": options.originator,
        "transport": transport,
    }
    if options.login_handler is not None:
        return await run_handler_login(
            options.login_handler, callback_port=options.callback_port, **common
        )
    if options.device_auth:
        return await run_device_login(**common)
    if options.headless:
        return await run_headless_login(callback_port=options.callback_port, **common)
    return await run_browser_login(
        callback_port=options.callback_port, no_browser=options.no_browser, **common
    )


def credential_headers(credentials: Credentials) -> dict[str, str]:
    """The headers that carry ``credentials``: ``Authorization``, the account, FedRAMP."""
    headers = {"Authorization": f"Bearer {credentials.access_token}"}
    if credentials.account_id:
        headers["ChatGPT-Account-ID"] = credentials.account_id
    claims = decode_jwt_claims(credentials.id_token) or {}
    auth = claims.get(AUTH_CLAIM)
    if isinstance(auth, dict) and auth.get("chatgpt_account_is_fedramp") is True:
        headers["X-OpenAI-Fedramp"] = "true"
    return headers


def build_headers(
    token: str,
    *,
    account_id: str | None = None,
    originator: str | None = None,
    session_id: str | None = None,
) -> dict[str, str]:
    """The headers a client sends with a ``/responses`` request made with ``token``.

    For your own HTTP calls (0.2.2's ``build_headers``): ``Authorization``,
    ``ChatGPT-Account-ID`` (``account_id``, else read from the token's claims as
    ``get_account_id`` does), ``originator``, ``User-Agent``, the session id (a new random
    one unless ``session_id`` is given), ``Accept`` and ``Content-Type``. Built by the code
    that builds a client's headers: a client holding ``token`` for that account sends
    exactly these, plus its ``default_headers``.
    """
    if not isinstance(token, str) or not token:
        raise TypeError(
            f"token must be a non-empty access token string, got {type(token).__name__}"
        )
    config = make_config(
        access_token=token,
        account_id=account_id,
        base_url=None,
        chatgpt_base_url=None,
        timeout=None,
        max_retries=None,
        default_headers=None,
        originator=originator,
        session_id=session_id,
    )
    credentials = Credentials.from_access_token(
        token, account_id=account_id or get_account_id(token)
    )
    # In the transport's order: the credentials' headers, then the request's.
    return {**credential_headers(credentials), **headers_for(config)}


def _has_terminal() -> bool:
    stdin = sys.stdin
    return stdin is not None and stdin.isatty()


class AuthManager:
    """Keeps one client's credentials: from ``access_token=``, or from a store, refreshed."""

    def __init__(
        self,
        *,
        store: TokenStore | None,
        static: Credentials | None,
        options: LoginOptions,
    ) -> None:
        self._store = store
        self._credentials = static
        self._static = static is not None
        self._options = options
        self._lock: Any = None  # an asyncio.Lock, made on the loop that first needs it
        # A refresh that failed for good, by the refresh token it used: never retried.
        self._dead_refresh: tuple[str, AuthError] | None = None
        # After a transient refresh failure, a still-valid token is used without retrying
        # until then, so waiting requests do not each call the token endpoint in turn.
        self._quiet_until = datetime.min.replace(tzinfo=timezone.utc)

    # ----------------------------------------------------------------------- public

    @property
    def loaded_account(self) -> Account | None:
        """The account of the credentials in memory (no I/O)."""
        return self._credentials.account if self._credentials is not None else None

    @property
    def account(self) -> Account | None:
        """The signed-in account, read from the store if not loaded yet; None before sign-in."""
        with contextlib.suppress(AuthError):
            self._load_stored()
        return self.loaded_account

    def secrets(self) -> tuple[str, ...]:
        """Every credential held now, to redact from what servers answer (no I/O)."""
        credentials = self._credentials
        if credentials is None:
            return ()
        values = (credentials.access_token, credentials.refresh_token, credentials.id_token)
        return tuple(value for value in values if value)

    @property
    def account_id(self) -> str | None:
        """The account id, read from the store if not loaded yet; None before sign-in."""
        account = self.account
        return account.account_id if account is not None else None

    def current_token(self) -> str:
        """Blocking: the access token held now, read from the store if not loaded yet.

        Not refreshed. Raises ``AuthError`` when there are no credentials (or the store's
        are unreadable).
        """
        credentials = self._load_stored()
        if credentials is None:
            raise AuthError(f"Not signed in: {SIGN_IN_HINT}")
        return credentials.access_token

    async def headers(self, transport: Transport) -> dict[str, str]:
        """``Authorization`` and account headers for the next request, refreshed if stale."""
        return credential_headers(await self.credentials(transport))

    async def credentials(self, transport: Transport) -> Credentials:
        """Valid credentials: loaded, signed in if there are none, refreshed if stale."""
        credentials = self._credentials
        if credentials is None:
            async with self._get_lock():
                if self._credentials is None:
                    self._credentials = await self._load_or_sign_in(transport)
                credentials = self._credentials
        if not self._static and credentials.needs_refresh(_now()):
            credentials = await self._refresh(transport, credentials, proactive=True)
        return credentials

    async def recover(self, transport: Transport, failed: dict[str, str], attempt: int) -> bool:
        """After a 401: reload the store, else refresh. True when retrying makes sense."""
        if self._static or attempt >= 2:
            return False
        current = self._credentials
        if current is None or failed.get("Authorization") != f"Bearer {current.access_token}":
            return True  # the credentials changed meanwhile: retry with the new ones
        if attempt == 0 and self._store is not None:
            async with self._get_lock():
                stored = _same_account(await anyio.to_thread.run_sync(self._store.load), current)
                if stored.access_token != current.access_token:
                    self._credentials = stored
                    return True
        await self._refresh(transport, current, proactive=False)
        return True

    async def sign_in(self, transport: Transport) -> Credentials:
        """Run the configured sign-in flow now and store the result."""
        async with self._get_lock():
            credentials = await sign_in(transport, self._options)
            await self._save(credentials)
            self._credentials = credentials
            self._static = False
            return credentials

    async def refresh(self, transport: Transport) -> Credentials:
        """Refresh now, whatever the expiry (still single-flight and under the store lock)."""
        credentials = await self.credentials(transport)
        return await self._refresh(transport, credentials, proactive=False)

    async def sign_out(self, transport: Transport) -> None:
        """Revoke the tokens (best effort), then delete the stored credentials."""
        async with self._get_lock():  # not while a refresh of this client could save again
            credentials = self._credentials
            if credentials is None and self._store is not None:
                credentials = await anyio.to_thread.run_sync(self._store.load)
            if credentials is not None:
                from ._oauth import revoke, revoke_url

                url = revoke_url(self._options.issuer)
                await revoke(transport, url=url, credentials=credentials)
            if self._store is not None:
                await anyio.to_thread.run_sync(self._store.delete)
            self._credentials = None
            self._static = False

    # ----------------------------------------------------------------------- internals

    def _load_stored(self) -> Credentials | None:
        """Blocking: load the store into memory (None when there is nothing stored)."""
        if self._store is not None and self._credentials is None:
            self._credentials = self._store.load()
        return self._credentials

    def _get_lock(self) -> Any:
        if self._lock is None:
            import asyncio

            self._lock = asyncio.Lock()
        return self._lock

    async def _save(self, credentials: Credentials) -> None:
        if self._store is not None:
            await anyio.to_thread.run_sync(self._store.save, credentials)

    async def _load_or_sign_in(self, transport: Transport) -> Credentials:
        if self._store is not None:
            stored = await anyio.to_thread.run_sync(self._store.load)
            if stored is not None:
                return stored
        if self._options.login_handler is None and not _has_terminal():
            raise AuthError(f"Not signed in: {SIGN_IN_HINT}")
        credentials = await sign_in(transport, self._options)
        await self._save(credentials)
        return credentials

    async def _refresh(
        self, transport: Transport, stale: Credentials, *, proactive: bool
    ) -> Credentials:
        async with self._get_lock():
            current = self._credentials
            if current is not None and current.access_token != stale.access_token:
                return current  # another task refreshed while this one waited
            now = _now()
            if proactive and stale.usable(now) and now < self._quiet_until:
                return stale  # a refresh just failed for a passing reason: not again yet
            import asyncio

            # In its own task, awaited through a shield: refresh tokens are single-use, so a
            # refresh that reached the server must finish and be saved even if this caller
            # is cancelled meanwhile. Others wait on the store lock and re-read the store.
            task = asyncio.ensure_future(self._refresh_with_store_lock(transport, stale, proactive))
            task.add_done_callback(_retrieve_exception)
            return await asyncio.shield(task)

    async def _refresh_with_store_lock(
        self, transport: Transport, stale: Credentials, proactive: bool
    ) -> Credentials:
        lock = self._store.lock() if self._store is not None else contextlib.nullcontext()
        await anyio.to_thread.run_sync(lock.__enter__)
        try:
            return await self._refresh_locked(transport, stale, proactive=proactive)
        finally:
            # Releasing never blocks, so it is done right here: no await that a
            # cancellation could interrupt before the lock is given back.
            lock.__exit__(None, None, None)

    async def _refresh_locked(
        self, transport: Transport, stale: Credentials, *, proactive: bool
    ) -> Credentials:
        from ._oauth import RefreshError, refresh_token_request, refresh_url

        base = stale
        if self._store is not None:
            # Never refresh, and so never save, over someone else's sign-in or a sign-out.
            stored = _same_account(await anyio.to_thread.run_sync(self._store.load), stale)
            if stored.access_token != stale.access_token:
                # Another process refreshed (or signed in again): use its tokens, no network call.
                self._credentials = stored
                return stored
            base = stored
        if self._dead_refresh is not None and self._dead_refresh[0] == base.refresh_token:
            raise self._dead_refresh[1]
        if not base.refresh_token:
            raise AuthError(
                f"The access token expired and there is no refresh token: {SIGN_IN_HINT}"
            )
        try:
            data = await refresh_token_request(
                transport,
                url=refresh_url(self._options.issuer),
                refresh_token=base.refresh_token,
                headers={"User-Agent": USER_AGENT, "originator": self._options.originator},
            )
        except RefreshError as exc:
            if exc.permanent:
                self._dead_refresh = (base.refresh_token, exc)
                raise
            return self._keep_on_transient(base, exc, proactive)
        except APIConnectionError as exc:
            return self._keep_on_transient(base, exc, proactive)
        refreshed = Credentials.from_token_response(data, now=_now(), previous=base)
        await self._save(refreshed)
        self._credentials = refreshed
        logger.info("refreshed the access token of account %s", refreshed.account_id)
        return refreshed

    def _keep_on_transient(
        self, credentials: Credentials, exc: Exception, proactive: bool
    ) -> Credentials:
        """A transient refresh failure: keep a still-valid token, else give up."""
        if proactive and credentials.usable(_now()):
            self._quiet_until = _now() + REFRESH_QUIET_AFTER_FAILURE
            logger.warning("token refresh failed (%s); the current token is still valid", exc)
            return credentials
        raise exc


# --------------------------------------------------------------------------- construction


def make_login_options(
    *,
    issuer: str | None,
    headless: bool,
    no_browser: bool,
    device_auth: bool,
    login_handler: LoginHandler | None,
    callback_port: int | None,
    originator: str,
) -> LoginOptions:
    """Check the sign-in keywords of a client or a module function."""
    for name, value in (
        ("headless", headless),
        ("no_browser", no_browser),
        ("device_auth", device_auth),
    ):
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be True or False, got {value!r}")
    if login_handler is not None and not callable(login_handler):
        raise TypeError("login_handler must be a callable: handler(url) -> callback_url")
    if callback_port is not None and (
        isinstance(callback_port, bool)
        or not isinstance(callback_port, int)
        or not 0 <= callback_port <= 65535
    ):
        raise ValueError(f"callback_port must be a port number (0-65535), got {callback_port!r}")
    if issuer is not None and (
        not isinstance(issuer, str) or not issuer.startswith(("http://", "https://"))
    ):
        raise ValueError(
            f"issuer must be an http(s) URL such as {DEFAULT_ISSUER!r}, got {issuer!r}"
        )
    return LoginOptions(
        issuer=(issuer or DEFAULT_ISSUER).rstrip("/"),
        headless=headless,
        no_browser=no_browser,
        device_auth=device_auth,
        login_handler=login_handler,
        callback_port=DEFAULT_CALLBACK_PORT if callback_port is None else callback_port,
        originator=originator,
    )


def make_auth_manager(
    *,
    access_token: str | None,
    account_id: str | None,
    token_path: str | os.PathLike[str] | None,
    codex_home: str | os.PathLike[str] | None,
    token_store: TokenStore | None,
    options: LoginOptions,
) -> AuthManager:
    """Credentials from ``access_token=`` (used as is) or from a store."""
    if access_token is not None:
        if token_path is not None or codex_home is not None or token_store is not None:
            raise TypeError(
                "access_token= is used as is, without a store: do not combine it with "
                "token_path=, codex_home= or token_store="
            )
        static = Credentials.from_access_token(access_token, account_id=account_id)
        return AuthManager(store=None, static=static, options=options)
    if account_id is not None:
        raise TypeError(
            "account_id= goes with access_token=; stored credentials carry their own account"
        )
    store = store_for(token_store=token_store, token_path=token_path, codex_home=codex_home)
    return AuthManager(store=store, static=None, options=options)


# --------------------------------------------------------------------------- module functions


async def alogin(
    *,
    headless: bool = False,
    no_browser: bool = False,
    device_auth: bool = False,
    login_handler: LoginHandler | None = None,
    token_path: str | os.PathLike[str] | None = None,
    codex_home: str | os.PathLike[str] | None = None,
    token_store: TokenStore | None = None,
    issuer: str | None = None,
    callback_port: int | None = None,
    originator: str = DEFAULT_ORIGINATOR,
) -> Credentials:
    """Sign in to ChatGPT and store the credentials (``~/.codex/auth.json`` by default)."""
    manager = _manager(
        token_path,
        codex_home,
        token_store,
        make_login_options(
            issuer=issuer,
            headless=headless,
            no_browser=no_browser,
            device_auth=device_auth,
            login_handler=login_handler,
            callback_port=callback_port,
            originator=originator,
        ),
    )
    transport = Transport()
    try:
        return await manager.sign_in(transport)
    finally:
        await transport.aclose()


async def astart_login(
    *,
    issuer: str | None = None,
    callback_port: int | None = None,
    originator: str = DEFAULT_ORIGINATOR,
) -> PendingLogin:
    """Begin a two-step sign-in: show ``pending.url`` to the user, then ``afinish_login``."""
    options = make_login_options(
        issuer=issuer,
        headless=False,
        no_browser=True,
        device_auth=False,
        login_handler=None,
        callback_port=callback_port,
        originator=originator,
    )
    from ._login import astart_login

    return await astart_login(
        issuer=options.issuer, callback_port=options.callback_port, originator=originator
    )


async def afinish_login(
    pending: PendingLogin,
    *,
    callback_url: str,
    token_path: str | os.PathLike[str] | None = None,
    codex_home: str | os.PathLike[str] | None = None,
    token_store: TokenStore | None = None,
) -> Credentials:
    """Finish a two-step sign-in with the URL the browser was redirected to; store the result."""
    store = store_for(token_store=token_store, token_path=token_path, codex_home=codex_home)
    transport = Transport()
    try:
        from ._login import afinish_login as finish

        credentials = await finish(pending, callback_url, transport=transport)
    finally:
        await transport.aclose()
    await anyio.to_thread.run_sync(store.save, credentials)
    return credentials


async def arefresh(
    refresh_token: str | None = None,
    path: str | os.PathLike[str] | None = None,
    /,
    *,
    token_path: str | os.PathLike[str] | None = None,
    codex_home: str | os.PathLike[str] | None = None,
    token_store: TokenStore | None = None,
    issuer: str | None = None,
) -> Credentials:
    """Refresh the stored credentials now (under the store's lock) and return them.

    0.2.2's positional form ``refresh(refresh_token, path)`` works too: ``path`` is
    ``token_path``. When credentials are stored there, they are the ones refreshed (refresh
    tokens are single-use: the stored one is the current one); when none are, the new
    credentials obtained with ``refresh_token`` are stored there. Returns ``Credentials``
    (whose ``expires_at`` is a datetime, where 0.2.2's ``TokenData`` had epoch seconds).
    """
    if refresh_token is not None and (not isinstance(refresh_token, str) or not refresh_token):
        raise TypeError(
            f"refresh_token must be a non-empty string, got {type(refresh_token).__name__}"
        )
    if path is not None:
        if token_path is not None:
            raise TypeError("pass the credentials file once: as path or as token_path=")
        token_path = path
    options = LoginOptions(issuer=(issuer or DEFAULT_ISSUER).rstrip("/"))
    manager = _manager(token_path, codex_home, token_store, options)
    transport = Transport()
    try:
        stored = await anyio.to_thread.run_sync(manager._load_stored)
        if stored is None and refresh_token is not None:
            return await _refresh_unstored(transport, manager, refresh_token)
        if stored is None:
            raise AuthError(f"Nothing to refresh: not signed in. {SIGN_IN_HINT}")
        return await manager.refresh(transport)
    finally:
        await transport.aclose()


async def _refresh_unstored(
    transport: Transport, manager: AuthManager, refresh_token: str
) -> Credentials:
    """Refresh with ``refresh_token`` and store the result, unless credentials appeared."""
    from ._oauth import refresh_token_request, refresh_url

    store = manager._store
    assert store is not None  # arefresh's manager always has one
    lock = store.lock()
    await anyio.to_thread.run_sync(lock.__enter__)
    try:
        stored = await anyio.to_thread.run_sync(store.load)
        if stored is not None:  # another process signed in meanwhile: refresh those
            manager._credentials = stored
        else:
            options = manager._options
            data = await refresh_token_request(
                transport,
                url=refresh_url(options.issuer),
                refresh_token=refresh_token,
                headers={"User-Agent": USER_AGENT, "originator": options.originator},
            )
            if not data.get("refresh_token"):  # the answer may leave it out: still valid
                data = {**data, "refresh_token": refresh_token}
            credentials = Credentials.from_token_response(data, now=_now())
            await anyio.to_thread.run_sync(store.save, credentials)
            logger.info("refreshed the access token of account %s", credentials.account_id)
            return credentials
    finally:
        lock.__exit__(None, None, None)
    return await manager.refresh(transport)


async def aget_token(
    *,
    headless: bool = False,
    no_browser: bool = False,
    device_auth: bool = False,
    login_handler: LoginHandler | None = None,
    token_path: str | os.PathLike[str] | None = None,
    codex_home: str | os.PathLike[str] | None = None,
    token_store: TokenStore | None = None,
    issuer: str | None = None,
    callback_port: int | None = None,
) -> str:
    """A valid access token: stored, refreshed if stale, or from a new sign-in."""
    manager = _manager(
        token_path,
        codex_home,
        token_store,
        make_login_options(
            issuer=issuer,
            headless=headless,
            no_browser=no_browser,
            device_auth=device_auth,
            login_handler=login_handler,
            callback_port=callback_port,
            originator=DEFAULT_ORIGINATOR,
        ),
    )
    transport = Transport()
    try:
        return (await manager.credentials(transport)).access_token
    finally:
        await transport.aclose()


def _manager(
    token_path: str | os.PathLike[str] | None,
    codex_home: str | os.PathLike[str] | None,
    token_store: TokenStore | None,
    options: LoginOptions,
) -> AuthManager:
    store = store_for(token_store=token_store, token_path=token_path, codex_home=codex_home)
    return AuthManager(store=store, static=None, options=options)
