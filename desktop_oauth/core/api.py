"""Calls made with a token: userinfo (OIDC Core §5.3) and the provider's API."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from .errors import DesktopOAuthError, ProviderHTTPError
from .http import json_object, send


class ApiAuthError(DesktopOAuthError):
    """The API refused the access token (HTTP 401): it expired or was revoked."""


class ApiScopeError(ProviderHTTPError):
    """The API needs a scope the token was not granted (HTTP 403 insufficient_scope)."""


class ApiQuotaError(ProviderHTTPError):
    """The person's quota at the API is used up for now (HTTP 429).

    Attributes:
        url: The call that was refused.
        headers: The rate-limit headers of the 429 answer (what the quota is now).
        received_at: When the answer came (wall clock), for a live countdown.
    """

    def __init__(self, message: str, url: str = "", headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.headers = dict(headers or {})
        self.received_at = time.time()


def _challenge_param(header: str, name: str) -> str | None:
    """A parameter of a ``WWW-Authenticate: Bearer ...`` challenge (RFC 6750 §3)."""
    match = re.search(rf'{name}="([^"]*)"', header)
    return match.group(1) if match else None


@dataclass(frozen=True)
class ApiResult:
    """An API answer, with the headers that matter to a person (rate limits)."""

    url: str
    status: int
    data: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def call_api(session: requests.Session, url: str, access_token: str, what: str) -> ApiResult:
    """GET ``url`` with the access token in the Authorization header only
    (RFC 6750 §2.1; never in the query, docs/security.md (a)24).

    Raises:
        ApiAuthError: HTTP 401.
        ProviderHTTPError: unreachable, another error status, or not JSON.
    """
    response = send(session, "GET", url, what, headers={"Authorization": f"Bearer {access_token}"})
    if response.status_code == 401:
        raise ApiAuthError(f"The {what} no longer accepts this token (HTTP 401).")
    if response.status_code == 403 and "insufficient_scope" in response.headers.get(
        "WWW-Authenticate", ""
    ):
        needed = _challenge_param(response.headers["WWW-Authenticate"], "scope")
        raise ApiScopeError(
            f"The {what} refused: this call needs the scope {needed or '(not named)'}, which "
            "this account was not granted. Ask for it with Change scopes (RFC 6750 §3.1)."
        )
    if response.status_code == 429:
        wait = response.headers.get("Retry-After", "")
        after = f" Try again in {wait} seconds." if wait.isdigit() else " Try again later."
        raise ApiQuotaError(
            f"You have used up your quota at the {what} (HTTP 429). The quota counts every "
            f"app you use there together.{after}",
            url,
            _rate_limit_headers(response.headers),
        )
    if response.status_code != 200:
        raise ProviderHTTPError(f"The {what} answered HTTP {response.status_code}.")
    data = json_object(response, what)
    headers = _rate_limit_headers(response.headers)
    return ApiResult(url=url, status=response.status_code, data=data, headers=headers)


def _rate_limit_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower().startswith(("x-ratelimit", "ratelimit"))}
