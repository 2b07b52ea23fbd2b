"""Taking access back at the provider (RFC 7009)."""

from __future__ import annotations

import requests

from .api import ApiAuthError, call_api
from .client_auth import choose_method, credentials
from .errors import ProviderHTTPError, RevocationError
from .http import host_of, json_object, send
from .provider import Endpoints
from .tokens import TokenSet


def revoke_tokens(
    session: requests.Session,
    revocation_url: str,
    client_id: str,
    tokens: TokenSet,
    client_secret: str | None = None,
    auth_methods: tuple[str, ...] = (),
) -> None:
    """Revoke the refresh token, then the access token (RFC 7009 §2.1).

    Revoking the refresh token ends the whole grant at most providers (§2.1:
    "SHOULD also invalidate all access tokens"); the access token is revoked
    too for providers that do not.

    Raises:
        RevocationError: the provider did not confirm (HTTP error or unreachable).
    """
    pairs = []
    if tokens.refresh_token:
        pairs.append((tokens.refresh_token, "refresh_token"))
    pairs.append((tokens.access_token, "access_token"))
    # RFC 7009 §2.1: the client authenticates as at the token endpoint, by a
    # method ``revocation_endpoint_auth_methods_supported`` allows.
    creds = credentials(choose_method(auth_methods, bool(client_secret)), client_id, client_secret)
    failures = []
    for token, hint in pairs:
        data = [("token", token), ("token_type_hint", hint), *creds.fields]
        try:
            response = send(
                session,
                "POST",
                revocation_url,
                "revocation endpoint",
                data=data,
                auth=creds.auth,
            )
        except ProviderHTTPError as exc:
            raise RevocationError(str(exc), retryable=True) from None
        # §2.2: 200 means revoked, also for a token that was already invalid.
        # §2.2.1: unsupported_token_type (400) is not a failure of the other token.
        if response.status_code != 200:
            failures.append(response.status_code)
    if len(failures) == len(pairs):
        busy = all(status >= 500 or status == 429 for status in failures)
        raise RevocationError(
            f"The provider at {host_of(revocation_url)} did not confirm the revocation "
            f"(HTTP {failures[0]}).",
            retryable=busy,
        )


def introspect(
    session: requests.Session,
    introspection_url: str,
    client_id: str,
    token: str,
    client_secret: str | None = None,
    auth_methods: tuple[str, ...] = (),
) -> dict[str, object]:
    """Ask the provider whether ``token`` is still active (RFC 7662 §2).

    Raises:
        ProviderHTTPError: unreachable, refused (e.g. this client may not
            introspect), or not JSON.
    """
    creds = credentials(choose_method(auth_methods, bool(client_secret)), client_id, client_secret)
    response = send(
        session,
        "POST",
        introspection_url,
        "introspection endpoint",
        data=[("token", token), *creds.fields],
        auth=creds.auth,
    )
    if response.status_code != 200:
        raise ProviderHTTPError(f"The introspection endpoint answered HTTP {response.status_code}.")
    return json_object(response, "introspection endpoint")


def confirm_revoked(
    session: requests.Session,
    endpoints: Endpoints,
    client_id: str,
    tokens: TokenSet,
    client_secret: str | None = None,
) -> bool | None:
    """Prove a revocation: True when the provider no longer honours the tokens,
    False when it still does, None when it cannot be told.

    Introspection answers directly where this client may use it (RFC 7662), for
    the refresh token and the access token each; otherwise a userinfo call must
    now be refused with 401.
    """
    answers = [
        token_inactive(session, endpoints, client_id, token, client_secret)
        for token in (tokens.refresh_token, tokens.access_token)
        if token
    ]
    if answers and None not in answers:
        return all(answers)
    if endpoints.userinfo:
        try:
            call_api(session, endpoints.userinfo, tokens.access_token, "userinfo endpoint")
        except ApiAuthError:
            return True
        except ProviderHTTPError:
            return None
        return False
    return None


def token_inactive(
    session: requests.Session,
    endpoints: Endpoints,
    client_id: str,
    token: str,
    client_secret: str | None = None,
) -> bool | None:
    """Whether the provider says ``token`` is no longer active (RFC 7662 §2.2), or
    None when it cannot be asked. Asking changes nothing at the provider, unlike
    presenting a rotated-out refresh token (RFC 9700 §4.14.2 ends the grant)."""
    if not endpoints.introspection:
        return None
    try:
        answer = introspect(
            session,
            endpoints.introspection,
            client_id,
            token,
            client_secret,
            endpoints.introspection_auth_methods,
        )
    except ProviderHTTPError:
        return None
    return answer.get("active") is False
