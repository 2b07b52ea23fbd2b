"""Calls that only make sense at one provider: GitHub's granted scopes and token
revocation, and each preset's "who am I" API call for the data panel.

The access token travels only in the Authorization header (RFC 6750 §2.1,
docs/security.md (a)24). Every URL goes through :func:`http.send` (TLS verified,
timeouts, https except on loopback). ``base_url`` arguments exist so tests can
point a call at a local stand-in; anything other than the provider's own
address or a loopback address is refused, so a token can never be sent
elsewhere by mistake.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from urllib.parse import quote, urlsplit

import requests

from .api import ApiAuthError, ApiResult, call_api
from .errors import ConfigurationError, ProviderHTTPError, RevocationError
from .http import is_loopback_host, json_object, send
from .presets import Preset

GITHUB_API = "https://api.github.com"
_GITHUB_HEADERS = {
    # https://docs.github.com/en/rest/using-the-rest-api/getting-started-with-the-rest-api
    "Accept": "application/vnd.github+json",
    "X-GitHub-Api-Version": "2022-11-28",
}


class RevokeOutcome(enum.Enum):
    """What GitHub said to a revocation."""

    #: 204: the token was valid and is now revoked.
    REVOKED = "revoked"
    #: 404 or 422: GitHub does not know the token (already revoked or expired).
    ALREADY_INVALID = "already_invalid"


def github_granted_scopes(headers: Mapping[str, str]) -> tuple[str, ...]:
    """The scopes a GitHub token really has, from ``X-OAuth-Scopes``.

    GitHub lists them comma-separated ("repo, user"); the person may have
    granted fewer than were asked for, or changed them since.
    https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps

    Args:
        headers: Response headers of any authenticated GitHub API call
            (a plain dict or requests' case-insensitive one).
    """
    value = next((v for k, v in headers.items() if k.lower() == "x-oauth-scopes"), "")
    return tuple(s.strip() for s in value.split(",") if s.strip())


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _rebase(url: str, base_url: str | None) -> str:
    """``url`` with its origin replaced by ``base_url`` (a loopback stand-in only)."""
    if base_url is None:
        return url
    base = base_url.rstrip("/")
    host = urlsplit(base).hostname or ""
    if base != _origin(url) and not is_loopback_host(host):
        raise ConfigurationError(
            f"Refusing to send a token to {host or base_url!r}: only the provider's own "
            "address or this computer (127.0.0.1) may be used."
        )
    return base + url[len(_origin(url)) :]


def revoke_github(
    session: requests.Session,
    client_id: str,
    client_secret: str,
    access_token: str,
    base_url: str = GITHUB_API,
    *,
    timeout: tuple[float, float] | None = None,
) -> RevokeOutcome:
    """Revoke one GitHub OAuth token: ``DELETE /applications/{client_id}/token``.

    GitHub has no RFC 7009 endpoint. The app authenticates with Basic auth
    (client id and client secret) and names the token in a JSON body, so the
    token never appears in a URL.
    https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-token

    Raises:
        RevocationError: GitHub refused the client credentials, answered
            something else, or could not be reached. The message names no secret.
    """
    url = _rebase(f"{GITHUB_API}/applications/{quote(client_id, safe='')}/token", base_url)
    try:
        response = send(
            session,
            "DELETE",
            url,
            "GitHub token API",
            auth=(client_id, client_secret),
            json={"access_token": access_token},
            headers=_GITHUB_HEADERS,
            timeout=timeout,
        )
    except ProviderHTTPError as exc:
        raise RevocationError(f"{exc} The token was not revoked at GitHub.") from None
    status = response.status_code
    if status == 204:
        return RevokeOutcome.REVOKED
    if status in (404, 422):
        return RevokeOutcome.ALREADY_INVALID
    page = f"https://github.com/settings/connections/applications/{quote(client_id, safe='')}"
    if status in (401, 403):
        raise RevocationError(
            f"GitHub did not accept this app's client id and secret (HTTP {status}), so it "
            "did not revoke the token. Check the client secret saved for this provider, "
            f"or remove the app's access yourself at {page}"
        )
    raise RevocationError(
        f"GitHub did not confirm the revocation (HTTP {status}). Try again later, or "
        f"remove the app's access yourself at {page}"
    )


def fetch_api(
    session: requests.Session,
    preset: Preset,
    access_token: str,
    base_url: str | None = None,
    *,
    timeout: tuple[float, float] | None = None,
) -> ApiResult:
    """Make the preset's data-panel call (GitHub ``/user``, Google userinfo,
    Graph ``/me``, GitLab ``/api/v4/user``) with the access token.

    The result's headers hold the provider's quota headers and, for GitHub,
    ``X-OAuth-Scopes`` (see :func:`github_granted_scopes`).

    Args:
        base_url: Replaces the origin of the preset's API URL; only a loopback
            address (a test stand-in) or the provider's own origin is accepted.

    Raises:
        ApiAuthError: the token is no longer accepted (HTTP 401).
        ProviderHTTPError: unreachable, rate-limited, another error, or not JSON.
    """
    url = _rebase(preset.api_url, base_url)
    if preset.key in ("github", "microsoft"):
        return _get_json(session, preset, url, access_token, timeout)
    return call_api(session, url, access_token, preset.api_service)


def _get_json(
    session: requests.Session,
    preset: Preset,
    url: str,
    access_token: str,
    timeout: tuple[float, float] | None,
) -> ApiResult:
    """Like :func:`api.call_api`, with the provider's headers and error shapes."""
    what = preset.api_service
    headers = {**dict(preset.api_headers), "Authorization": f"Bearer {access_token}"}
    response = send(session, "GET", url, what, headers=headers, timeout=timeout)
    status = response.status_code
    detail = _error_detail(response)
    if status == 401:
        raise ApiAuthError(f"The {what} no longer accepts this token (HTTP 401{detail}).")
    remaining = response.headers.get("x-ratelimit-remaining")
    if status == 429 or (status == 403 and remaining == "0"):
        wait = response.headers.get("Retry-After", "")
        after = f" Try again in {wait} seconds." if wait.isdigit() else " Try again later."
        raise ProviderHTTPError(
            f"The {what} says your quota is used up for now (HTTP {status}).{after}"
        )
    if status != 200:
        raise ProviderHTTPError(f"The {what} answered HTTP {status}{detail}.")
    data = json_object(response, what)
    keep = {*preset.rate_limit_headers, "x-oauth-scopes"}
    kept = {k: v for k, v in response.headers.items() if k.lower() in keep}
    return ApiResult(url=url, status=status, data=data, headers=kept)


def _error_detail(response: requests.Response) -> str:
    """The error code from GitHub's or Graph's error body, for the message.

    Only a short code is shown (Graph's ``error.code``, GitHub's ``message``
    when it is a known phrase), never the whole body.
    """
    if response.status_code < 400:
        return ""
    try:
        body = json_object(response, "error answer")
    except ProviderHTTPError:
        return ""
    error = body.get("error")
    if isinstance(error, dict) and isinstance(error.get("code"), str):
        return f", {error['code'][:60]}"  # Microsoft Graph
    message = body.get("message")
    if message in ("Bad credentials", "Not Found", "Requires authentication"):
        return f", {message}"  # GitHub
    return ""
