"""The authorization code flow as data (RFC 6749 §4.1 with PKCE, RFC 7636).

:func:`start` returns a :class:`PendingFlow` holding everything the response
will be checked against; :func:`finish` checks the redirect's parameters and
redeems the code. Neither keeps hidden state.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import shlex
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests
from oauthlib.oauth2 import WebApplicationClient

from . import flow_log
from .errors import (
    AuthorizationDeniedError,
    ConfigurationError,
    IssuerMismatchError,
    TokenError,
)
from .exchange import post_token_request
from .id_token import KeySet
from .id_token_validation import validate_id_token
from .provider import ProviderConfig
from .tokens import TokenSet, mask


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge of ``verifier`` (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class PendingFlow:
    """One authorization request in flight; everything its response is checked against."""

    provider: ProviderConfig
    url: str
    redirect_uri: str
    state: str = field(repr=False)
    nonce: str = field(repr=False)
    code_verifier: str = field(repr=False)
    requested_scopes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return (
            f"PendingFlow(provider={self.provider.name!r}, redirect_uri={self.redirect_uri!r}, "
            f"state={mask(self.state)}, nonce={mask(self.nonce)}, "
            f"code_verifier={mask(self.code_verifier)}, scopes={self.requested_scopes!r})"
        )


def start(provider: ProviderConfig, redirect_uri: str) -> PendingFlow:
    """Build the authorization request for ``provider``.

    Args:
        provider: A provider whose endpoints are resolved.
        redirect_uri: The loopback URI whose port the receiver already holds.

    State and nonce carry 256 bits from :mod:`secrets` (RFC 6749 §10.10,
    OIDC Core §3.1.2.1); the PKCE verifier is 64 CSPRNG bytes, 86 characters
    (RFC 7636 §4.1), always with S256 (§7.2: never ``plain``).
    """
    if provider.endpoints is None:
        raise ConfigurationError("The provider's endpoints are not known yet.")
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)
    params: dict[str, str] = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(provider.scopes),
        "state": state,
        "code_challenge": pkce_challenge(verifier),
        "code_challenge_method": "S256",
    }
    if provider.is_openid:
        params["nonce"] = nonce
    if "offline_access" in provider.scopes:
        # OIDC Core §11: offline_access is only honoured with prompt=consent.
        params["prompt"] = "consent"
    params.update(dict(provider.extra_authorize_params))
    parts = urlsplit(provider.endpoints.authorization)
    query = (parts.query + "&" if parts.query else "") + urlencode(params)
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
    return PendingFlow(
        provider=provider,
        url=url,
        redirect_uri=redirect_uri,
        state=state,
        nonce=nonce,
        code_verifier=verifier,
        requested_scopes=provider.scopes,
    )


def invalid_scope_hint(provider: ProviderConfig, requested: Sequence[str], description: str) -> str:
    """Which scope the provider refused (RFC 6749 §4.1.2.1 invalid_scope) and how to drop it.

    The error code names no scope; the scopes the provider's description
    mentions are named, else those its ``scopes_supported`` leaves out, else
    every requested scope beyond ``openid``.
    """
    words = set(description.replace(",", " ").replace('"', " ").replace("'", " ").split())
    named = [s for s in requested if s in words and s != "openid"]
    listed = provider.endpoints.scopes_supported if provider.endpoints else ()
    unlisted = [s for s in requested if listed and s not in listed and s != "openid"]
    suspects = named or unlisted or [s for s in requested if s != "openid"]
    if not suspects:
        return ""
    keep = [s for s in requested if s not in suspects] or ["openid"]
    which = "the scope" if len(suspects) == 1 else "one of the scopes"
    kept = " ".join(keep)
    return (
        f"It does not accept {which} {' '.join(suspects)}. To ask without it, connect with "
        f"--scope {kept}, or remove the provider and add it again with that --scope "
        f"(desktop-oauth provider add {shlex.quote(provider.name)} ... --scope {kept})."
    )


def check_response(pending: PendingFlow, params: Mapping[str, str]) -> str:
    """Check the redirect's parameters and return the authorization code.

    Raises:
        TokenError: the state does not belong to this flow or no code came back.
        AuthorizationDeniedError: the provider answered with ``error``.
        IssuerMismatchError: ``iss`` is wrong, or missing where promised.
    """
    # requests-oauthlib checks state only when given the whole redirect URL,
    # so it is checked here, in constant time (RFC 6749 §10.12; docs/security.md (a)21).
    state = params.get("state", "")
    if not hmac.compare_digest(state.encode(), pending.state.encode()):
        raise TokenError("The response does not belong to the sign-in in progress.")
    endpoints = pending.provider.endpoints
    assert endpoints is not None
    iss = params.get("iss")
    # RFC 9207 §2.4: compare iss by exact string; a missing iss is refused when
    # the provider promised it.
    if iss is not None and iss != pending.provider.issuer:
        raise IssuerMismatchError(
            "The response came from a different provider than the one you chose "
            "(iss mismatch); it was refused."
        )
    if iss is None and endpoints.iss_parameter_supported:
        raise IssuerMismatchError(
            "The provider promised to name itself in its response (iss) but did not; "
            "the response was refused."
        )
    if "error" in params:
        description = params.get("error_description", "")
        hint = ""
        if params["error"] == "invalid_scope":
            hint = invalid_scope_hint(pending.provider, pending.requested_scopes, description)
        raise AuthorizationDeniedError(params["error"], description, hint)
    code = params.get("code", "")
    if not code:
        raise TokenError("The provider's response carried no authorization code.")
    return code


def finish(
    pending: PendingFlow,
    params: Mapping[str, str],
    session: requests.Session,
    *,
    client_secret: str | None = None,
    keys: KeySet | None = None,
    clock: Callable[[], float] = time.time,
) -> TokenSet:
    """Check the redirect and redeem its code, exactly once, then check the id_token.

    Args:
        keys: The provider's signing keys; with them the id_token's signature is
            verified. Without (no jwks_uri), the id_token is trusted because it
            came straight from the token endpoint (OIDC Core §3.1.3.7 item 6).

    Returns:
        The tokens, with the id_token's signature and claims checked (OIDC Core §3.1.3.7).
    """
    tokens = redeem(pending, params, session, client_secret=client_secret, clock=clock)
    check_id_token(pending, tokens, keys, clock=clock)
    return tokens


def redeem(
    pending: PendingFlow,
    params: Mapping[str, str],
    session: requests.Session,
    *,
    client_secret: str | None = None,
    clock: Callable[[], float] = time.time,
) -> TokenSet:
    """Check the redirect and redeem its code, exactly once; the id_token is not
    checked yet (:func:`check_id_token` does that, and nothing may be kept before)."""
    with flow_log.step(flow_log.Step.CALLBACK):
        code = check_response(pending, params)
    endpoints = pending.provider.endpoints
    assert endpoints is not None
    # oauthlib formats the body; the same redirect_uri as in the request
    # (RFC 6749 §4.1.3), the verifier, and client_id for a public client.
    body = WebApplicationClient(pending.provider.client_id).prepare_request_body(
        code=code,
        redirect_uri=pending.redirect_uri,
        code_verifier=pending.code_verifier,
        include_client_id=True,
    )
    with flow_log.step(flow_log.Step.TOKEN):
        data = post_token_request(
            session,
            endpoints.token,
            body,
            pending.provider.client_id,
            client_secret,
            auth_methods=endpoints.token_auth_methods,
        )
        return TokenSet.from_response(data, pending.requested_scopes, clock())


def check_id_token(
    pending: PendingFlow,
    tokens: TokenSet,
    keys: KeySet | None,
    *,
    clock: Callable[[], float] = time.time,
    fetched: list[flow_log.HttpExchange] | None = None,
) -> None:
    """Check the id_token of an OpenID sign-in (OIDC Core §3.1.3.7); see :func:`finish`.

    Args:
        fetched: The exchanges of a key-set fetch made ahead of time
            (:func:`flow_log.holding`), recorded with this step.

    Raises:
        TokenError: openid was requested and no id_token came back.
        IdTokenError: its signature or a claim is wrong.
    """
    if pending.provider.is_openid:
        with flow_log.step(flow_log.Step.ID_TOKEN):
            try:
                if not tokens.id_token:
                    raise TokenError(
                        "The provider returned no id_token although openid was requested."
                    )
                validate_id_token(
                    tokens.id_token, pending.provider, keys, nonce=pending.nonce, now=clock()
                )
            finally:
                # After the check: it waited for a fetch still under way.
                flow_log.add_held(fetched or [])
