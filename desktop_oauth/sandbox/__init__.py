"""The built-in sandbox provider: a real OAuth 2.0 / OpenID Connect server on 127.0.0.1.

A new user can try the whole flow offline with no registered client. It is
built on oauthlib's server classes (``oauthlib.openid.Server`` and
``DeviceAuthorizationEndpoint``) with a SQLite-backed ``RequestValidator``,
served by the standard library's ``ThreadingHTTPServer`` on 127.0.0.1 only,
in a daemon thread. Qt-free.

Public API::

    ensure_running(home: Path, *, wait_seconds: float = 10.0,
                   rate_limit: tuple[int, float] = (60, 60.0), device_interval: int = 5,
                   ) -> Sandbox
        # the profile's sandbox: found in another process, or started here
        # (rate_limit and device_interval apply only to one started here)
    Sandbox.issuer: str; Sandbox.owned: bool; Sandbox.stop() -> None
    SandboxServer(home: Path, *, access_token_ttl: int = 3600,
                  rate_limit: tuple[int, float] = (60, 60.0), device_interval: int = 5,
                  device_code_ttl: int = 600, clock: Callable[[], float] = time.time,
                  poll_interval: float = 0.1)
        .start() -> None; .stop() -> None; .issuer: str; .port: int; .running: bool
    provider_config(issuer: str) -> ProviderConfig
    SANDBOX_CLIENT_ID = "desktop-oauth"; SANDBOX_NAME; DEFAULT_SCOPES; SCOPES (descriptions)
    SandboxError > SandboxPortInUseError, SandboxAlreadyServedError

``home`` is the profile folder (``Profile.home``); files go in ``home/sandbox/``:
``sandbox.json`` (port and instance id), ``serve.lock``, ``sandbox.db`` (SQLite;
codes and tokens only as SHA-256 hashes) and ``signing-key.pem`` (mode 0600).

Endpoints (all under the issuer ``http://127.0.0.1:PORT``)::

    GET  /.well-known/openid-configuration   discovery (also oauth-authorization-server)
    GET  /jwks                               RS256 key, kid = RFC 7638 thumbprint
    GET  /authorize                          code flow, PKCE S256 required, iss on every reply
    POST /token                              authorization_code, refresh_token (rotated),
                                             urn:ietf:params:oauth:grant-type:device_code
    POST /revoke  POST /introspect           RFC 7009, RFC 7662 (public client: own tokens)
    GET|POST /userinfo
    POST /device_authorization  GET /device  RFC 8628
    GET  /api/profile (profile.read or profile)   GET /api/notes (notes.read)
    POST /api/notes  {"text": ...} (notes.write)  -- X-RateLimit-* per user, 429 + Retry-After
    GET  /connections                        connected applications; POST removes one

Pages and their stable element names (``<body data-page=...>`` tells them apart)::

    sandbox-login        form#sandbox-login; one button per demo user:
                         button#login-ada / #login-grace / #login-linus (name=user, value=id)
    sandbox-consent      form#sandbox-consent; input#scope-<scope> (name=scope, value=<scope>;
                         openid: checked and disabled); button#allow (name=decision value=allow),
                         button#deny (value=deny); a#switch-user; strong#signed-in-user;
                         strong#device-user-code (device flow only)
    sandbox-device       form#sandbox-device; input#user-code (name=user_code);
                         button#device-continue
    sandbox-device-done  p#device-result, data-result="approved" | "denied"
    sandbox-connections  ul#connections > li#connection-<client_id> with
                         button#remove-<client_id> (name=client_id); p#no-connections
    sandbox-error        p#error-message

Every form carries a hidden ``csrf_token``; the session cookie is
``sandbox_session_<port>`` (HttpOnly, SameSite=Lax).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .catalog import (
    DEFAULT_SCOPES,
    DEMO_USERS,
    SANDBOX_CLIENT_ID,
    SANDBOX_NAME,
    SCOPES,
    provider_config,
)
from .errors import SandboxAlreadyServedError, SandboxError, SandboxPortInUseError

if TYPE_CHECKING:
    from .running import Sandbox, ensure_running
    from .server import SandboxServer

# The server (oauthlib, SQLite, the signing key) loads when first asked for, so
# a process that only lists the sandbox or its scopes does not pay for it
# (PEP 562; docs/performance.md).
_LAZY = {"Sandbox": "running", "ensure_running": "running", "SandboxServer": "server"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)


__all__ = [
    "DEFAULT_SCOPES",
    "DEMO_USERS",
    "SANDBOX_CLIENT_ID",
    "SANDBOX_NAME",
    "SCOPES",
    "Sandbox",
    "SandboxAlreadyServedError",
    "SandboxError",
    "SandboxPortInUseError",
    "SandboxServer",
    "ensure_running",
    "provider_config",
]
