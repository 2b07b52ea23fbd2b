"""Does the provider accept the redirect URI? Asked before any sign-in.

Many authorization endpoints check ``client_id`` and ``redirect_uri`` before
they look for a session, and answer a mismatch with a 4xx error page instead of
redirecting (RFC 6749 §4.1.2.1: they MUST NOT redirect to an unverified URI).
One GET, without cookies, shows it: the registration check then says which
form to register before the browser ever opens. A sign-in page or a redirect
to one means the check could not be made before sign-in; nothing is claimed.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
from typing import TYPE_CHECKING

import requests

from .errors import ProviderHTTPError
from .http import send
from .provider import Endpoints, ProviderConfig

if TYPE_CHECKING:
    from .registration import Finding

#: Words of the error pages of providers that refuse a redirect URI.
_REFUSAL_WORDS = ("redirect_uri", "redirect uri", "invalid_redirect", "redirect_url")

#: What a provider's "redirect URI not allowed" page means, for the check and the wait.
EXACT_MATCH_ADVICE = (
    "This provider compares the redirect URI exactly, port included, instead of "
    "accepting any loopback port (RFC 8252 §7.3). Choose a free port, register "
    "http://127.0.0.1:PORT/callback at the provider, and give the same URI to the app: "
    "desktop-oauth provider add NAME ... --redirect-uri http://127.0.0.1:PORT/callback "
    "(or the Redirect URI field of the provider dialog)."
)


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def probe_redirect(
    session: requests.Session,
    provider: ProviderConfig,
    endpoints: Endpoints,
    *,
    timeout: tuple[float, float] | None = None,
) -> list[Finding]:
    """Findings about the redirect URI, from one GET; empty when nothing can be told."""
    from .registration import Finding

    uri = provider.redirect_uri or f"http://127.0.0.1:{_unused_port()}/callback"
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    params = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": uri,
        "scope": " ".join(provider.scopes),
        "state": secrets.token_urlsafe(16),
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }
    try:
        # A fresh session: no cookie of an earlier sign-in goes along.
        with requests.Session() as fresh:
            fresh.trust_env = session.trust_env
            fresh.verify = session.verify
            response = send(
                fresh,
                "GET",
                endpoints.authorization,
                "authorization endpoint",
                params=params,
                timeout=timeout,
            )
    except ProviderHTTPError:
        return []
    if not 400 <= response.status_code < 500:
        return []
    text = response.text[:20000].lower()
    if not any(word in text for word in _REFUSAL_WORDS):
        return []
    if provider.redirect_uri:
        return [
            Finding(
                "problem",
                "redirect_uri",
                f"The provider refuses the redirect URI {uri} before sign-in "
                f"(HTTP {response.status_code}).",
                f"Register exactly {uri} in the client's settings at the provider.",
            )
        ]
    return [
        Finding(
            "problem",
            "redirect_uri",
            f"The provider refuses a loopback redirect URI with a port of the app's choosing "
            f"({uri}, HTTP {response.status_code}), before any sign-in.",
            EXACT_MATCH_ADVICE,
        )
    ]
