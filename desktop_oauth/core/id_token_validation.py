"""One place where an id_token is accepted: its signature first, then its claims.

Used by the browser sign-in (:mod:`.flow`), the device grant (:mod:`.device`) and
a refresh that returns a new id_token (:mod:`.accounts.renewal`). The signature
check itself is :func:`.id_token.verify_signature`; the claims checks are
:func:`.tokens.check_id_token_claims`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import IdTokenError
from .id_token import KeySet, verify_signature
from .tokens import check_id_token_claims, decode_jwt_claims

if TYPE_CHECKING:
    import requests

    from .provider import ProviderConfig


def provider_keys(session: requests.Session, provider: ProviderConfig) -> KeySet | None:
    """The provider's signing keys, or None when it publishes no ``jwks_uri``."""
    endpoints = provider.endpoints
    if endpoints is None or not endpoints.jwks_uri:
        return None
    return KeySet(session, endpoints.jwks_uri)


def validate_id_token(
    id_token: str,
    provider: ProviderConfig,
    keys: KeySet | None,
    *,
    nonce: str | None,
    now: float,
    subject: str | None = None,
) -> dict[str, Any]:
    """The id_token's claims, once its signature and its claims have been checked.

    OIDC Core §3.1.3.7: the signature with the provider's keys (item 6; without
    keys, i.e. no ``jwks_uri``, the token is trusted because it came straight from
    the token endpoint over TLS), then issuer, audience, expiry, issue time and
    nonce. ``nonce`` is None only for grants that send none (the device grant,
    RFC 8628; a refresh). ``subject``, for an id_token from a refresh, must match
    the account's (OIDC Core §12.2).

    Raises:
        IdTokenError: naming the check that failed, never a claim's value.
    """
    claims = verify_signature(id_token, keys) if keys is not None else decode_jwt_claims(id_token)
    check_id_token_claims(
        claims, issuer=provider.issuer, client_id=provider.client_id, nonce=nonce, now=now
    )
    if subject is not None and claims.get("sub") != subject:
        raise IdTokenError(
            "The refreshed id_token is about a different user (sub check "
            "failed); the tokens were not used. Sign in again."
        )
    return claims
