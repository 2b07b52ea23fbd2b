"""Requests to the token endpoint (RFC 6749 §4.1.3, §6) and their errors (§5.2).

oauthlib, the engine under requests-oauthlib, formats the request bodies.
``OAuth2Session.fetch_token`` itself is not used: it accepts plain http only
when ``OAUTHLIB_INSECURE_TRANSPORT`` is set for the whole process, whereas this
app allows plain http per URL, for loopback hosts only (RFC 8252 §8.3).
The request is sent once and never retried: an authorization code is single-use
(RFC 6749 §4.1.2), and a provider may revoke the grant on reuse.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import requests
from oauthlib.common import urlencode
from oauthlib.oauth2 import Client

from .client_auth import choose_method, credentials
from .errors import InvalidGrantError, ProviderHTTPError, TokenError
from .http import host_of, json_object, send


def post_token_request(
    session: requests.Session,
    token_url: str,
    body: str,
    client_id: str,
    client_secret: str | None = None,
    *,
    timeout: tuple[float, float] | None = None,
    auth_methods: tuple[str, ...] = (),
) -> dict[str, Any]:
    """POST ``body`` to the token endpoint and return its JSON answer.

    The client authenticates by the method ``auth_methods``
    (``token_endpoint_auth_methods_supported``) allows; see
    :mod:`desktop_oauth.core.client_auth`. ``client_id`` in ``body`` is
    replaced by what that method sends.

    Raises:
        InvalidGrantError: the code or refresh token is no longer valid.
        TokenError: any other refusal or an unusable answer.
    """
    creds = credentials(choose_method(auth_methods, bool(client_secret)), client_id, client_secret)
    fields = [(k, v) for k, v in parse_qsl(body, keep_blank_values=True) if k != "client_id"]
    body = urlencode([*fields, *creds.fields])
    try:
        response = send(
            session,
            "POST",
            token_url,
            "token endpoint",
            data=body,
            auth=creds.auth,
            timeout=timeout,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    except ProviderHTTPError as exc:
        raise TokenError(str(exc)) from None
    host = host_of(token_url)
    if response.status_code == 429:
        wait = response.headers.get("Retry-After", "")
        after = f" Try again in {wait} seconds." if wait.isdigit() else " Try again later."
        raise TokenError(f"The provider at {host} is limiting requests right now.{after}")
    if response.status_code >= 500:
        raise TokenError(
            f"The provider at {host} had a problem (HTTP {response.status_code}). "
            "Nothing was saved; try connecting again."
        )
    try:
        data = json_object(response, "token endpoint")
    except ProviderHTTPError as exc:
        raise TokenError(str(exc)) from None
    error = data.get("error")
    if response.status_code != 200 or error is not None:
        code = error if isinstance(error, str) else f"HTTP {response.status_code}"
        if code == "invalid_grant":
            raise InvalidGrantError(
                "The provider no longer accepts this sign-in (invalid_grant). Sign in again.",
                error=code,
            )
        raise TokenError(
            f"The provider refused to issue tokens ({code}).",
            error=error if isinstance(error, str) else None,
        )
    return data


def refresh_body(client_id: str, refresh_token: str) -> str:
    """The body of a refresh request (RFC 6749 §6) for a public client."""
    body: str = Client(client_id).prepare_refresh_body(
        refresh_token=refresh_token, client_id=client_id, include_client_id=True
    )
    return body
