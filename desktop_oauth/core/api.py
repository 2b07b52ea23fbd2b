"""Calls made with a token: userinfo (OIDC Core §5.3) and the provider's API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests

from .errors import DesktopOAuthError, ProviderHTTPError
from .http import json_object, send


class ApiAuthError(DesktopOAuthError):
    """The API refused the access token (HTTP 401): it expired or was revoked."""


@dataclass(frozen=True)
class ApiResult:
    """An API answer, with the headers that matter to a person (rate limits)."""

    url: str
    status: int
    data: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def call_api(session: requests.Session, url: str, access_token: str, what: str) -> ApiResult:
    """GET ``url`` with the access token in the Authorization header only
    (RFC 6750 §2.1; never in the query, SECURITY (a)24).

    Raises:
        ApiAuthError: HTTP 401.
        ProviderHTTPError: unreachable, another error status, or not JSON.
    """
    response = send(session, "GET", url, what, headers={"Authorization": f"Bearer {access_token}"})
    if response.status_code == 401:
        raise ApiAuthError(f"The {what} no longer accepts this token (HTTP 401).")
    if response.status_code == 429:
        raise ProviderHTTPError(f"The {what} says you have used up your quota for now (HTTP 429).")
    if response.status_code != 200:
        raise ProviderHTTPError(f"The {what} answered HTTP {response.status_code}.")
    data = json_object(response, what)
    headers = {k: v for k, v in response.headers.items() if k.lower().startswith(("x-ratelimit",
                                                                                "ratelimit"))}
    return ApiResult(url=url, status=response.status_code, data=data, headers=headers)
