"""What the sandbox offers: its scopes in plain words, its demo users, its one client.

Everything here is fixed data. The client is registered the way RFC 8252
describes a native app: public (no secret), PKCE required, and a loopback
redirect URI whose port may vary (§7.3) while scheme, host and path must match.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..core.provider import ProviderConfig

SANDBOX_NAME = "Sandbox (built in, no account needed)"
SANDBOX_CLIENT_ID = "desktop-oauth"

#: What the app asks for by default: who you are, your name and email, a
#: refresh token, and reading your notes. Writing notes is left out on purpose
#: (RFC 9700 §2.3: ask for the least privilege), so the API's scope check shows.
DEFAULT_SCOPES: tuple[str, ...] = (
    "openid",
    "profile",
    "email",
    "offline_access",
    "notes.read",
)

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@dataclass(frozen=True)
class Scope:
    """One permission an application can ask for.

    Attributes:
        name: The scope string (RFC 6749 §3.3).
        description: What it lets the application do, in plain words.
        required: Always granted when asked for; the consent page shows it
            without a working checkbox (``openid`` is how the app learns which
            account was connected, so the sign-in cannot work without it).
    """

    name: str
    description: str
    required: bool = False


SCOPES: dict[str, Scope] = {
    scope.name: scope
    for scope in (
        Scope("openid", "Confirm which sandbox account is yours (your account ID)", True),
        Scope("profile", "See your name and username"),
        Scope("email", "See your email address"),
        Scope(
            "offline_access",
            "Stay connected while you are away (a refresh token), "
            "so you do not have to sign in again every hour",
        ),
        Scope("notes.read", "Read your notes"),
        Scope("notes.write", "Add notes in your name"),
        Scope("profile.read", "Read your profile through the sandbox API"),
    )
}


@dataclass(frozen=True)
class DemoUser:
    """A person you can sign in as; there are no passwords in the sandbox."""

    id: str
    name: str
    username: str
    email: str


DEMO_USERS: tuple[DemoUser, ...] = (
    # *.test is reserved for testing (RFC 2606 §2), so these never reach anyone.
    DemoUser("ada", "Ada Lovelace", "ada", "ada@sandbox.test"),
    DemoUser("grace", "Grace Hopper", "grace", "grace@sandbox.test"),
    DemoUser("linus", "Linus Torvalds", "linus", "linus@sandbox.test"),
)

#: Notes every demo user starts with, so /api/notes has something to show.
STARTER_NOTES: tuple[str, ...] = (
    "Welcome to the sandbox: this note came from its API.",
    "The app read it with an access token, not with your password.",
)


def user_claims(user: DemoUser | None, scopes: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """The OpenID claims the granted scopes release (OIDC Core §5.4)."""
    claims: dict[str, Any] = {}
    if user is None:
        return claims
    if "profile" in scopes:
        claims.update(name=user.name, preferred_username=user.username)
    if "email" in scopes:
        claims.update(email=user.email, email_verified=True)
    return claims


@dataclass(frozen=True)
class Client:
    """An application registered at the sandbox (public and native only)."""

    client_id: str
    name: str
    redirect_uri: str
    scopes: frozenset[str]
    grant_types: frozenset[str]

    def accepts_redirect_uri(self, uri: str) -> bool:
        """Whether ``uri`` is the registered loopback redirect with some port.

        RFC 8252 §7.3: the port of a loopback redirect URI varies per request;
        scheme, host (the IP literal) and path must match exactly, and nothing
        else may be added (no user info, query or fragment).
        """
        try:
            got, want = urlsplit(uri), urlsplit(self.redirect_uri)
            port = got.port  # raises ValueError when out of range
        except ValueError:
            return False
        return (
            got.scheme == want.scheme
            and got.hostname == want.hostname
            and got.netloc in (want.netloc, f"{want.netloc}:{port}")
            and got.path == want.path
            and not got.query
            and not got.fragment
            and "#" not in uri
        )


CLIENTS: dict[str, Client] = {
    SANDBOX_CLIENT_ID: Client(
        client_id=SANDBOX_CLIENT_ID,
        name="desktop-oauth (this app)",
        redirect_uri="http://127.0.0.1/callback",
        scopes=frozenset(SCOPES),
        grant_types=frozenset({"authorization_code", "refresh_token", DEVICE_CODE_GRANT}),
    )
}


def provider_config(issuer: str) -> ProviderConfig:
    """The app's provider entry for a sandbox serving at ``issuer``.

    Endpoints are left to discovery, exactly as for any other OpenID provider:
    the core does not know that the sandbox is special.
    """
    return ProviderConfig(
        name=SANDBOX_NAME,
        issuer=issuer,
        client_id=SANDBOX_CLIENT_ID,
        scopes=DEFAULT_SCOPES,
        api_urls=(f"{issuer}/api/profile", f"{issuer}/api/notes"),
    )
