"""Sign-in, one subsystem: credentials for every request, and how they are kept fresh.

``_manager`` (``AuthManager``: the credentials of a client, refreshed before a request and on
a 401), ``_tokens`` (``Credentials``, JWT claims, the auth.json format), ``_store`` (the
auth.json file, shared with the Codex CLI), ``_redis_store`` (one sign-in across hosts),
``_oauth`` (the OAuth requests: PKCE, refresh, device code) and ``_login`` (the browser,
device-code and headless sign-in flows). ``_oauth`` and ``_login`` load with the first
sign-in or refresh, ``_redis_store`` with the first ``RedisTokenStore``.
"""

from __future__ import annotations

from ._manager import (
    AuthManager,
    LoginHandler,
    LoginOptions,
    afinish_login,
    aget_token,
    alogin,
    arefresh,
    astart_login,
    build_headers,
    credential_headers,
    make_auth_manager,
    make_login_options,
    store_for,
)

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
