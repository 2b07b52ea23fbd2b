"""Well-known providers, with what a person needs to register a client there.

Each :class:`Preset` says where to register, the exact redirect URI to enter,
the default scopes in plain words, whether a client secret is needed, the API
call the data panel shows, its rate-limit headers, and how access is taken
back. The facts come from each provider's documentation, cited next to it.

Every preset's redirect URI is ``http://127.0.0.1/callback`` without a port:
all four providers ignore the port of a loopback redirect URI when matching it
(RFC 8252 §7.3), so the receiver's ephemeral port is accepted at sign-in time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal
from urllib.parse import urlsplit

from .errors import ConfigurationError
from .http import require_secure_url
from .provider import Endpoints, ProviderConfig
from .tokens import GUID as _GUID

#: What to register everywhere; the receiver adds the port it holds (RFC 8252 §7.3).
REDIRECT_URI = "http://127.0.0.1/callback"

ClientType = Literal["confidential", "installed", "public"]
RevocationKind = Literal["rfc7009", "github_api", "connected_apps_page"]


@dataclass(frozen=True)
class ScopeInfo:
    """A scope and what it lets the app do, in plain words."""

    name: str
    description: str


@dataclass(frozen=True)
class Preset:
    """One well-known provider.

    Attributes:
        key: Stable identifier (``github``, ``google``, ``microsoft``, ``gitlab``).
        display_name: Shown in the provider list.
        issuer: Identifies the provider (and its accounts). Discovery starts here
            when ``endpoints`` is ``None``. For Microsoft's multi-tenant
            authorities it is a template with ``{tenantid}`` (see
            :func:`issuer_matches`).
        endpoints: Fixed endpoints, or ``None`` to discover them from ``issuer``.
        register_url: Where to register a client.
        register_steps: Short steps, in order.
        redirect_uri: The exact redirect URI to enter there.
        redirect_note: The provider's rule for loopback redirect URIs.
        scopes: Default scopes, each with a plain-language description.
        client_type: ``confidential`` (the token endpoint refuses without the
            client secret), ``installed`` (a secret is issued and required, but
            the provider does not treat it as confidential) or ``public`` (no
            secret; PKCE protects the code).
        client_type_note: What that means for the client secret, in plain words.
        token_request_headers: Extra headers the token endpoint needs.
        api_url: The call whose answer the data panel shows.
        api_name: What that call is, for a person.
        api_service: The service answering it, for messages ("GitHub API").
        api_headers: Extra request headers the API wants.
        rate_limit_headers: Response headers that carry the per-user quota.
        rate_limit_note: How the quota works there.
        revocation_kind: ``rfc7009``, ``github_api`` or ``connected_apps_page``.
        revocation_url: The RFC 7009 endpoint, or GitHub's token API (with
            ``{client_id}``); ``None`` where the provider has neither.
        connected_apps_urls: Pages where the person removes the app's access.
        docs: The documentation these facts come from.
    """

    key: str
    display_name: str
    issuer: str
    endpoints: Endpoints | None
    register_url: str
    register_steps: tuple[str, ...]
    redirect_note: str
    scopes: tuple[ScopeInfo, ...]
    client_type: ClientType
    client_type_note: str
    api_url: str
    api_name: str
    api_service: str
    rate_limit_headers: tuple[str, ...]
    rate_limit_note: str
    revocation_kind: RevocationKind
    revocation_url: str | None
    connected_apps_urls: tuple[str, ...]
    docs: tuple[str, ...]
    redirect_uri: str = REDIRECT_URI
    token_request_headers: tuple[tuple[str, str], ...] = ()
    api_headers: tuple[tuple[str, str], ...] = ()

    @property
    def scope_names(self) -> tuple[str, ...]:
        """The default scopes, in order."""
        return tuple(s.name for s in self.scopes)

    @property
    def needs_client_secret(self) -> bool:
        """Whether the token endpoint needs a client secret from this app."""
        return self.client_type != "public"


# GitHub is OAuth 2.0 only (no discovery, no id_token).
# https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps
# (endpoints; "Loopback redirect urls": the port may differ from the registered one)
# https://github.blog/changelog/2025-07-14-pkce-support-for-oauth-and-github-app-authentication
# (PKCE, S256 only)
# https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps
# (scopes; X-OAuth-Scopes lists what the token really has)
# https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
# https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-token
_GITHUB = Preset(
    key="github",
    display_name="GitHub",
    issuer="https://github.com",
    endpoints=Endpoints(
        authorization="https://github.com/login/oauth/authorize",
        token="https://github.com/login/oauth/access_token",  # noqa: S106 - a URL
        device_authorization="https://github.com/login/device/code",
        code_challenge_methods=("S256",),
    ),
    register_url="https://github.com/settings/applications/new",
    register_steps=(
        "Sign in to GitHub and open Settings > Developer settings > OAuth Apps > New OAuth App.",
        'Give it a name (for example "desktop-oauth") and any homepage URL.',
        f"Set the Authorization callback URL to {REDIRECT_URI}",
        "Select Register application, copy the Client ID, then select "
        "Generate a new client secret and copy it too.",
    ),
    redirect_note=(
        "GitHub accepts a loopback callback on any port, so enter it without a port. "
        "Host and path must match exactly: 127.0.0.1, not localhost."
    ),
    scopes=(
        ScopeInfo("read:user", "Read your public and private profile information."),
        ScopeInfo("user:email", "Read your email addresses, including private ones."),
    ),
    client_type="confidential",
    client_type_note=(
        "GitHub OAuth apps need the client secret to exchange the sign-in code for a "
        "token, and to revoke a token through GitHub's API. It is kept in the keyring."
    ),
    # Without it GitHub answers the token request form-encoded, not JSON.
    token_request_headers=(("Accept", "application/json"),),
    api_url="https://api.github.com/user",
    api_name="Your GitHub profile (GET /user)",
    api_service="GitHub API",
    api_headers=(
        ("Accept", "application/vnd.github+json"),
        ("X-GitHub-Api-Version", "2022-11-28"),
    ),
    rate_limit_headers=(
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-used",
        "x-ratelimit-reset",
        "x-ratelimit-resource",
    ),
    rate_limit_note=(
        "5,000 requests an hour per user, shared by every app that acts for that user."
    ),
    revocation_kind="github_api",
    revocation_url="https://api.github.com/applications/{client_id}/token",
    connected_apps_urls=("https://github.com/settings/connections/applications/{client_id}",),
    docs=(
        "https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps",
        "https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-token",
    ),
)

# https://developers.google.com/identity/protocols/oauth2/native-app
# (Desktop app clients: loopback IP redirect on any port, nothing to register;
# client_secret is sent in the token request but is not treated as confidential)
# https://developers.google.com/identity/openid-connect/openid-connect (discovery, scopes)
# https://developers.google.com/identity/protocols/oauth2/native-app#tokenrevoke
_GOOGLE = Preset(
    key="google",
    display_name="Google",
    issuer="https://accounts.google.com",
    endpoints=None,
    register_url="https://console.cloud.google.com/auth/clients",
    register_steps=(
        "In the Google Cloud console, pick or create a project.",
        "Set up the OAuth consent screen (Google Auth Platform > Branding and Audience); "
        "while it is in testing, add yourself as a test user.",
        "Open Clients > Create client and choose the application type Desktop app.",
        "Copy the Client ID and the Client secret.",
    ),
    redirect_note=(
        "Desktop app clients have no redirect URI field: Google accepts "
        f"{REDIRECT_URI} on any port automatically."
    ),
    scopes=(
        ScopeInfo("openid", "Confirm who you are, so the app can sign you in."),
        ScopeInfo("email", "See your Google account's main email address."),
        ScopeInfo("profile", "See your name and profile picture."),
    ),
    client_type="installed",
    client_type_note=(
        "Google issues a client secret for desktop apps and requires it at the token "
        "endpoint, but does not treat it as secret: every copy of a desktop app holds it."
    ),
    api_url="https://openidconnect.googleapis.com/v1/userinfo",
    api_name="Your Google profile (OpenID userinfo)",
    api_service="Google userinfo endpoint",
    rate_limit_headers=(),
    rate_limit_note=(
        "Google sends no quota headers; quotas are per project, and a refused call "
        "answers HTTP 429."
    ),
    revocation_kind="rfc7009",
    revocation_url="https://oauth2.googleapis.com/revoke",
    connected_apps_urls=("https://myaccount.google.com/connections",),
    docs=(
        "https://developers.google.com/identity/protocols/oauth2/native-app",
        "https://developers.google.com/identity/openid-connect/openid-connect",
    ),
)

# https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc (tenants, discovery)
# https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow (PKCE)
# https://learn.microsoft.com/entra/identity-platform/reply-url#localhost-exceptions
# (the port of a loopback redirect URI is ignored; prefer 127.0.0.1; an http
# 127.0.0.1 URI may have to go into the manifest's replyUrlsWithType)
# https://learn.microsoft.com/entra/identity-platform/how-to-add-redirect-uri
# https://learn.microsoft.com/graph/api/user-get (GET /me), /graph/throttling (Retry-After)
_MS_LOGIN = "https://login.microsoftonline.com"
#: The issuer Microsoft's common and organizations metadata name: a template
#: whose ``{tenantid}`` is the tenant of the person who signs in.
ENTRA_ISSUER_TEMPLATE = _MS_LOGIN + "/{tenantid}/v2.0"
#: The tenant of personal Microsoft accounts (``consumers``).
ENTRA_CONSUMERS_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"
_MICROSOFT = Preset(
    key="microsoft",
    display_name="Microsoft (Entra ID and personal accounts)",
    issuer=ENTRA_ISSUER_TEMPLATE,
    endpoints=Endpoints(
        authorization=_MS_LOGIN + "/{tenant}/oauth2/v2.0/authorize",
        token=_MS_LOGIN + "/{tenant}/oauth2/v2.0/token",
        userinfo="https://graph.microsoft.com/oidc/userinfo",
        jwks_uri=_MS_LOGIN + "/{tenant}/discovery/v2.0/keys",
        device_authorization=_MS_LOGIN + "/{tenant}/oauth2/v2.0/devicecode",
        code_challenge_methods=("S256",),
    ),
    register_url=(
        "https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade"
    ),
    register_steps=(
        "In the Microsoft Entra admin center open App registrations > New registration.",
        "Choose the supported account types that match the tenant you enter here "
        "(common: any organization and personal accounts; organizations: any "
        "organization; consumers: personal accounts only; a tenant id: this "
        "organization only).",
        f'Under Redirect URI choose "Public client/native (mobile & desktop)" and enter '
        f"{REDIRECT_URI}",
        "If the portal refuses the http address, open Manifest and add "
        f'{{"url": "{REDIRECT_URI}", "type": "InstalledClient"}} to '
        "replyUrlsWithType (or the address to publicClient.redirectUris).",
        "Copy the Application (client) ID. No client secret is needed.",
    ),
    redirect_note=(
        "Register it on the Mobile and desktop applications platform, not Web: a Web "
        "redirect makes the token request demand a client secret. Microsoft ignores the "
        "port of a loopback redirect URI, so enter it without one; it prefers 127.0.0.1 "
        "over localhost and does not support [::1]."
    ),
    scopes=(
        ScopeInfo("openid", "Confirm who you are, so the app can sign you in."),
        ScopeInfo("profile", "See your name and basic profile."),
        ScopeInfo("email", "See your email address."),
        ScopeInfo("offline_access", "Stay connected: refresh access without asking you again."),
        ScopeInfo("User.Read", "Read your Microsoft profile through Microsoft Graph."),
    ),
    client_type="public",
    client_type_note=(
        "A public client on the mobile and desktop platform has no secret; PKCE "
        "protects the sign-in code instead."
    ),
    api_url="https://graph.microsoft.com/v1.0/me",
    api_name="Your Microsoft profile (Microsoft Graph GET /me)",
    api_service="Microsoft Graph API",
    rate_limit_headers=("retry-after",),
    rate_limit_note=(
        "Microsoft Graph sends no quota headers; when it throttles it answers HTTP 429 "
        "with Retry-After."
    ),
    revocation_kind="connected_apps_page",
    revocation_url=None,
    connected_apps_urls=("https://myapps.microsoft.com", "https://account.live.com/consent/Manage"),
    docs=(
        "https://learn.microsoft.com/entra/identity-platform/reply-url",
        "https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc",
        "https://learn.microsoft.com/graph/api/user-get",
    ),
)

# https://docs.gitlab.com/integration/oauth_provider/ (register an application)
# https://docs.gitlab.com/api/oauth2/ (PKCE, /oauth/revoke)
# https://docs.gitlab.com/integration/openid_connect_provider/ (discovery, scopes)
# https://docs.gitlab.com/user/gitlab_com/#rate-limits-on-gitlabcom (RateLimit-* headers)
# Loopback ports: GitLab's OAuth server (Doorkeeper,
# lib/doorkeeper/oauth/helpers/uri_checker.rb) ignores the port when both URIs
# are loopback IP literals, citing RFC 8252 §7.3.
_GITLAB = Preset(
    key="gitlab",
    display_name="GitLab",
    issuer="https://gitlab.com",
    endpoints=None,
    register_url="https://gitlab.com/-/user_settings/applications",
    register_steps=(
        "In GitLab open your avatar > Edit profile > Applications > Add new application.",
        f"Enter a name and the Redirect URI {REDIRECT_URI}",
        "Clear the Confidential check box (the app is a public client that uses PKCE).",
        "Select the scopes openid, profile, email and read_user, then Save application.",
        "Copy the Application ID: it is the client id.",
    ),
    redirect_note=(
        "GitLab ignores the port when both redirect URIs are loopback IP addresses, so "
        "enter it without a port. Use 127.0.0.1: the exception does not cover localhost."
    ),
    scopes=(
        ScopeInfo("openid", "Confirm who you are, so the app can sign you in."),
        ScopeInfo("profile", "See your name, username and avatar."),
        ScopeInfo("email", "See your email address."),
        ScopeInfo("read_user", "Read your GitLab profile through the API."),
    ),
    client_type="public",
    client_type_note=(
        "With Confidential cleared, GitLab treats the app as public and PKCE replaces the secret."
    ),
    api_url="https://gitlab.com/api/v4/user",
    api_name="Your GitLab profile (GET /api/v4/user)",
    api_service="GitLab API",
    rate_limit_headers=(
        "ratelimit-limit",
        "ratelimit-observed",
        "ratelimit-remaining",
        "ratelimit-reset",
        "ratelimit-resettime",
        "retry-after",
    ),
    rate_limit_note="GitLab counts requests per user per minute and reports them in RateLimit-*.",
    revocation_kind="rfc7009",
    revocation_url="https://gitlab.com/oauth/revoke",
    connected_apps_urls=("https://gitlab.com/-/user_settings/applications",),
    docs=(
        "https://docs.gitlab.com/integration/oauth_provider/",
        "https://docs.gitlab.com/api/oauth2/",
    ),
)

PRESETS: Mapping[str, Preset] = {p.key: p for p in (_GITHUB, _GOOGLE, _MICROSOFT, _GITLAB)}

_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ENTRA_AUDIENCES = ("common", "organizations", "consumers")


def get_preset(key: str, *, tenant: str | None = None, base_url: str | None = None) -> Preset:
    """The preset ``key``, with Microsoft's tenant or GitLab's address filled in.

    Args:
        key: ``github``, ``google``, ``microsoft`` or ``gitlab``.
        tenant: Microsoft only: ``common`` (the default, also when empty), ``organizations``,
            ``consumers``, a tenant id or a verified domain.
        base_url: GitLab only: a self-managed instance (https), default gitlab.com.

    Raises:
        ConfigurationError: unknown key, or a tenant or base_url that cannot work.
    """
    preset = PRESETS.get(key)
    if preset is None:
        known = ", ".join(PRESETS)
        raise ConfigurationError(f"There is no preset called {key!r}; choose one of {known}.")
    if tenant is not None and key != "microsoft":
        raise ConfigurationError("Only the Microsoft preset takes a tenant.")
    if base_url is not None and key != "gitlab":
        raise ConfigurationError("Only the GitLab preset takes a server address.")
    if key == "microsoft":
        return _entra(preset, (tenant or "").strip().lower() or "common")
    if key == "gitlab" and base_url is not None:
        return _gitlab(preset, base_url)
    return preset


def _entra(preset: Preset, tenant: str) -> Preset:
    if not (tenant in _ENTRA_AUDIENCES or _GUID.match(tenant) or _DOMAIN.match(tenant)):
        raise ConfigurationError(
            f"{tenant!r} is not a Microsoft tenant: use common, organizations, consumers, "
            "a tenant id (a GUID) or a domain such as contoso.onmicrosoft.com."
        )
    # What the id_token's iss will be. common, organizations and a domain name
    # all sign tokens with the tenant's GUID, unknown until sign-in: keep the
    # template the metadata itself publishes and check it with issuer_matches.
    if _GUID.match(tenant):
        issuer = f"{_MS_LOGIN}/{tenant}/v2.0"
    elif tenant == "consumers":
        issuer = f"{_MS_LOGIN}/{ENTRA_CONSUMERS_TENANT}/v2.0"
    else:
        issuer = ENTRA_ISSUER_TEMPLATE
    assert preset.endpoints is not None
    e = preset.endpoints
    endpoints = replace(
        e,
        authorization=e.authorization.replace("{tenant}", tenant),
        token=e.token.replace("{tenant}", tenant),
        jwks_uri=(e.jwks_uri or "").replace("{tenant}", tenant),
        device_authorization=(e.device_authorization or "").replace("{tenant}", tenant),
    )
    pages = {
        "consumers": ("https://account.live.com/consent/Manage",),
        "common": preset.connected_apps_urls,
    }.get(tenant, ("https://myapps.microsoft.com",))
    return replace(preset, issuer=issuer, endpoints=endpoints, connected_apps_urls=pages)


def _gitlab(preset: Preset, base_url: str) -> Preset:
    base = require_secure_url(base_url.strip().rstrip("/"), "GitLab server address")
    parts = urlsplit(base)
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigurationError("The GitLab server address must be a plain https URL.")
    return replace(
        preset,
        issuer=base,
        register_url=base + "/-/user_settings/applications",
        api_url=base + "/api/v4/user",
        revocation_url=base + "/oauth/revoke",
        connected_apps_urls=(base + "/-/user_settings/applications",),
    )


def preset_provider(
    key: str,
    *,
    client_id: str,
    tenant: str | None = None,
    base_url: str | None = None,
    name: str | None = None,
) -> ProviderConfig:
    """A provider configured from a preset: the person enters only the client id.

    Whether a client secret is kept is decided by the preset
    (``has_client_secret``); the secret itself goes to the keyring, never here.

    Raises:
        ConfigurationError: unknown preset, empty client id, bad tenant or address.
    """
    preset = get_preset(key, tenant=tenant, base_url=base_url)
    client_id = client_id.strip()
    if not client_id:
        raise ConfigurationError(f"Enter the client id you registered at {preset.display_name}.")
    if preset.endpoints is not None:
        preset.endpoints.validate()
    else:
        require_secure_url(preset.issuer, "issuer")
    return ProviderConfig(
        name=name or key,
        issuer=preset.issuer,
        client_id=client_id,
        scopes=preset.scope_names,
        endpoints=preset.endpoints,
        has_client_secret=preset.needs_client_secret,
        preset=key,
    )


def preset_for(provider: ProviderConfig) -> Preset | None:
    """The preset a configured provider came from, if it can be told.

    Uses the provider's ``preset`` key; for providers configured by hand it
    recognises the well-known ones by their fixed addresses (a self-managed
    GitLab is then not recognised).
    """
    key = provider.preset
    authorize = provider.endpoints.authorization if provider.endpoints else ""
    if not isinstance(key, str) or key not in PRESETS:
        if authorize.startswith("https://github.com/login/oauth/"):
            key = "github"
        elif provider.issuer == _GOOGLE.issuer:
            key = "google"
        elif provider.issuer.startswith(_MS_LOGIN + "/"):
            key = "microsoft"
        elif provider.issuer == _GITLAB.issuer:
            key = "gitlab"
        else:
            return None
    try:
        if key == "microsoft":
            path = urlsplit(authorize).path.strip("/").split("/")
            return get_preset(key, tenant=path[0] if authorize and path[0] else None)
        if key == "gitlab" and provider.issuer != _GITLAB.issuer:
            return get_preset(key, base_url=provider.issuer)
        return get_preset(key)
    except ConfigurationError:
        return None
