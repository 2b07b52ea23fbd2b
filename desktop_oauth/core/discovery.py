"""OpenID Connect discovery and RFC 8414 metadata."""

from __future__ import annotations

from typing import Any

import requests

from .errors import DiscoveryError, IssuerMismatchError, ProviderHTTPError
from .http import json_object, require_secure_url, send
from .provider import Endpoints, ProviderConfig


def metadata_url(issuer: str) -> str:
    """Where the OpenID configuration of ``issuer`` lives (OIDC Discovery §4)."""
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def fetch_metadata(session: requests.Session, issuer: str) -> dict[str, Any]:
    """Fetch and check the discovery document of ``issuer``.

    The document's ``issuer`` must equal the configured issuer exactly
    (RFC 8414 §3.3, OIDC Discovery §4.3): otherwise an attacker-controlled
    document could point the app at someone else's endpoints.

    Raises:
        DiscoveryError: unreachable, not JSON, or missing required fields.
        IssuerMismatchError: the document names a different issuer.
    """
    require_secure_url(issuer, "issuer")
    url = metadata_url(issuer)
    try:
        response = send(session, "GET", url, "discovery document")
        if response.status_code != 200:
            raise DiscoveryError(
                f"The provider's discovery document at {url} answered HTTP "
                f"{response.status_code}. Check the issuer URL."
            )
        metadata = json_object(response, "discovery document")
    except ProviderHTTPError as exc:
        raise DiscoveryError(str(exc)) from None
    found = metadata.get("issuer")
    if found != issuer:
        raise IssuerMismatchError(
            f"The discovery document names the issuer {found!r}, not {issuer!r}. "
            "The app only uses metadata whose issuer matches exactly."
        )
    for key in ("authorization_endpoint", "token_endpoint"):
        if not isinstance(metadata.get(key), str):
            raise DiscoveryError(f"The discovery document has no {key}.")
    return metadata


#: Asked for by default from an OpenID provider (OIDC Core §5.4).
DEFAULT_OPENID_SCOPES = ("openid", "profile", "email")


def default_scopes(metadata: dict[str, Any]) -> tuple[str, ...]:
    """``openid profile email``, plus ``offline_access`` where refresh is offered.

    ``scopes_supported`` does not cut the list down: OIDC Discovery §3 lets a
    provider leave supported scopes out of it ("MAY NOT list all"), and one
    that lists only ``openid`` still gives name and email. Refresh is offered
    where ``offline_access`` is listed or ``grant_types_supported`` has
    ``refresh_token``; a provider that refuses a scope answers
    ``invalid_scope``, and that error names the scope and how to drop it.
    """
    scopes = list(DEFAULT_OPENID_SCOPES)
    offered = metadata.get("scopes_supported")
    grants = metadata.get("grant_types_supported")
    if (isinstance(offered, list) and "offline_access" in offered) or (
        isinstance(grants, list) and "refresh_token" in grants
    ):
        # A refresh token lets `token` renew the access token (OIDC Core §11).
        scopes.append("offline_access")
    return tuple(scopes)


def resolve(session: requests.Session, provider: ProviderConfig) -> ProviderConfig:
    """Return ``provider`` with endpoints, discovering them if none are configured."""
    if provider.endpoints is None:
        endpoints = Endpoints.from_metadata(fetch_metadata(session, provider.issuer))
        provider = provider.with_endpoints(endpoints)
    assert provider.endpoints is not None
    provider.endpoints.validate()
    return provider
