"""The registration check: does this provider and client registration work with
the app, and what should the person change if not?

Each :class:`Finding` is one sentence a person understands plus what to do.
Failures to fetch or trust the metadata become findings too, never exceptions:
the check is a diagnostic, and "your issuer URL is wrong" is its answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import requests

from .discovery import metadata_url
from .errors import InsecureURLError, ProviderHTTPError
from .http import host_of, json_object, require_secure_url, send
from .presets import ENTRA_ISSUER_TEMPLATE, REDIRECT_URI, Preset, preset_for
from .provider import Endpoints, ProviderConfig
from .redirect_probe import probe_redirect

Level = Literal["ok", "warning", "problem"]

#: Clock difference beyond which id_tokens may be refused (SECURITY (a)22).
MAX_CLOCK_SKEW_SECONDS = 120


@dataclass(frozen=True)
class Finding:
    """One result of the check.

    Attributes:
        level: ``ok``, ``warning`` (works, with a caveat) or ``problem`` (will fail).
        topic: What was checked (``redirect_uri``, ``discovery``, ``https``,
            ``pkce``, ``iss``, ``revocation``, ``userinfo``, ``clock``,
            ``client_secret``), so a window can group or find lines.
        message: What was found, in plain words.
        action: What to do about it; empty when nothing is needed.
    """

    level: Level
    topic: str
    message: str
    action: str = ""


def redirect_uri_to_register(provider: ProviderConfig, path: str = "/callback") -> str:
    """The exact redirect URI to enter at the provider.

    Without a fixed port the app uses a new free port for every sign-in, and
    RFC 8252 §7.3 says the provider must accept any port on a loopback
    redirect URI; so the port is left out.
    """
    if provider.redirect_uri:
        return provider.redirect_uri
    if provider.redirect_port:
        return f"http://127.0.0.1:{provider.redirect_port}{path}"
    return REDIRECT_URI if path == "/callback" else f"http://127.0.0.1{path}"


def check_registration(
    session: requests.Session,
    provider: ProviderConfig,
    *,
    clock: Callable[[], float] = time.time,
    timeout: tuple[float, float] | None = None,
) -> list[Finding]:
    """Check ``provider``'s metadata and registration; never raises for the provider's faults.

    With no configured endpoints the discovery document is fetched from the
    issuer (one GET), checked like :func:`discovery.fetch_metadata` does, and
    its ``Date`` header compared with ``clock``.

    Args:
        session: The HTTP session (TLS verified).
        provider: The provider as configured.
        clock: The local clock, epoch seconds.
        timeout: (connect, read) seconds for the discovery request; by default
            the session's.
    """
    preset = preset_for(provider)
    findings = [_redirect_finding(provider, preset)]
    endpoints = provider.endpoints
    if endpoints is None:
        discovered = _discover(session, provider.issuer, clock, timeout)
        findings += discovered.findings
        if discovered.endpoints is None:
            return findings
        # The person's --revocation-url etc. win over the document.
        endpoints = provider.with_endpoints(discovered.endpoints).endpoints
        assert endpoints is not None
    findings += probe_redirect(session, provider, endpoints, timeout=timeout)
    findings += _https_findings(endpoints)
    findings += _pkce_findings(endpoints)
    findings.append(_iss_finding(endpoints))
    findings.append(_revocation_finding(endpoints, preset))
    findings.append(_userinfo_finding(endpoints, preset))
    secret = _client_secret_finding(provider, preset)
    if secret is not None:
        findings.append(secret)
    return findings


def _redirect_finding(provider: ProviderConfig, preset: Preset | None) -> Finding:
    uri = redirect_uri_to_register(provider)
    action = f"Enter exactly {uri} as the redirect URI of your client registration."
    if preset is not None:
        action += " " + preset.redirect_note
    elif not provider.redirect_port and not provider.redirect_uri:
        action += " The app adds a free port at each sign-in; the provider must accept any port."
    return Finding("ok", "redirect_uri", f"The redirect URI to register is {uri}", action)


@dataclass
class _Discovered:
    findings: list[Finding]
    endpoints: Endpoints | None = None


def _discover(
    session: requests.Session,
    issuer: str,
    clock: Callable[[], float],
    timeout: tuple[float, float] | None,
) -> _Discovered:
    """Fetch and check the discovery document; every failure is a problem finding."""

    def problem(message: str, action: str) -> _Discovered:
        return _Discovered([Finding("problem", "discovery", message, action)])

    try:
        # Checked before any request: a token or a sign-in page must never be
        # fetched over plain http from a host other than this computer.
        require_secure_url(issuer, "issuer")
    except InsecureURLError as exc:
        return problem(
            f"{exc} Nothing was fetched.",
            "Use the provider's https issuer URL (for example https://accounts.google.com).",
        )
    url = metadata_url(issuer)
    try:
        response = send(session, "GET", url, "discovery document", timeout=timeout)
    except ProviderHTTPError as exc:
        return problem(str(exc), "Check the issuer URL, your network connection and any proxy.")
    if response.status_code != 200:
        return problem(
            f"The provider's settings were not found: {url} answered HTTP {response.status_code}.",
            "Check the issuer URL: it is the address before /.well-known/openid-configuration. "
            "For an OAuth provider without discovery, enter its endpoints by hand.",
        )
    try:
        metadata = json_object(response, "discovery document")
    except ProviderHTTPError as exc:
        return problem(
            str(exc),
            "Open the issuer URL in a browser: if a network sign-in page appears, sign in "
            "there first; otherwise correct the issuer URL.",
        )
    found = metadata.get("issuer")
    if found != issuer:
        return problem(*_mismatch_words(issuer, found))
    try:
        endpoints = Endpoints.from_metadata(metadata)
    except (KeyError, TypeError):
        endpoints = None
    if endpoints is None or not _has_required_endpoints(metadata):
        return problem(
            "The provider's settings name no authorization or token endpoint.",
            "This provider cannot be used for sign-in as published; ask its administrator.",
        )
    findings = [Finding("ok", "discovery", f"Found the provider's settings at {url}.")]
    findings.append(_clock_finding(response, clock))
    return _Discovered(findings, endpoints)


def _has_required_endpoints(metadata: dict[str, Any]) -> bool:
    return all(
        isinstance(metadata.get(key), str) and metadata[key]
        for key in ("authorization_endpoint", "token_endpoint")
    )


def _mismatch_words(issuer: str, found: object) -> tuple[str, str]:
    """(message, action) for a document whose issuer is not the configured one (RFC 8414 §3.3)."""
    if not isinstance(found, str):
        return (
            f"The settings at {host_of(issuer)} do not name their issuer, so the app "
            "cannot trust them.",
            'Check the issuer URL; the provider must publish an "issuer" value.',
        )
    message = (
        f"The settings fetched for {issuer} say the issuer is {found}. The app only uses "
        "settings whose issuer matches exactly, so that no other server can stand in for "
        "the provider."
    )
    if found == ENTRA_ISSUER_TEMPLATE:
        return (
            message,
            "Microsoft's common and organizations addresses publish a template issuer: use "
            "the Microsoft preset, which checks the tenant in each token, or enter your "
            "tenant's issuer https://login.microsoftonline.com/<tenant id>/v2.0.",
        )
    if found.rstrip("/") == issuer.rstrip("/"):
        return message, f"Enter the issuer exactly as the provider writes it: {found}"
    return (
        message,
        f"If you trust {host_of(found)}, enter {found} as the issuer; otherwise check that "
        "the issuer URL is the provider's own.",
    )


def _clock_finding(response: requests.Response, clock: Callable[[], float]) -> Finding:
    """Compare the server's ``Date`` header (RFC 9110 §6.6.1) with the local clock."""
    header = response.headers.get("Date")
    server: datetime | None = None
    if header:
        try:
            server = parsedate_to_datetime(header)
        except (TypeError, ValueError, IndexError):
            server = None
    if server is None or server.tzinfo is None:
        return Finding(
            "warning",
            "clock",
            "The provider did not say what time it is, so your clock could not be compared.",
            "If sign-in fails with a message about time, check your computer's clock.",
        )
    skew = clock() - server.timestamp()
    if abs(skew) <= MAX_CLOCK_SKEW_SECONDS:
        return Finding("ok", "clock", "Your computer's clock agrees with the provider's.")
    minutes = round(abs(skew) / 60)
    direction = "ahead of" if skew > 0 else "behind"
    return Finding(
        "warning",
        "clock",
        f"Your computer's clock is about {minutes} minutes {direction} the provider's. "
        "Sign-in tokens would look expired or not yet valid, and be refused.",
        "Check your clock: turn on automatic date and time, then try again.",
    )


def _https_findings(endpoints: Endpoints) -> list[Finding]:
    named = (
        (endpoints.authorization, "authorization endpoint"),
        (endpoints.token, "token endpoint"),
        (endpoints.userinfo, "userinfo endpoint"),
        (endpoints.revocation, "revocation endpoint"),
        (endpoints.introspection, "introspection endpoint"),
        (endpoints.jwks_uri, "key set (jwks_uri)"),
        (endpoints.device_authorization, "device authorization endpoint"),
    )
    problems = []
    for url, what in named:
        if not url:
            continue
        try:
            require_secure_url(url, what)
        except InsecureURLError as exc:
            problems.append(
                Finding(
                    "problem",
                    "https",
                    str(exc),
                    "The app will not send codes or tokens there. Ask the provider to publish "
                    "https addresses.",
                )
            )
    if problems:
        return problems
    return [Finding("ok", "https", "Every endpoint uses https (or stays on this computer).")]


def _pkce_findings(endpoints: Endpoints) -> list[Finding]:
    methods = endpoints.code_challenge_methods
    if "S256" in methods:
        return [
            Finding(
                "ok",
                "pkce",
                "The provider supports PKCE with S256, which the app "
                "uses to tie each sign-in code to this app (RFC 7636).",
            )
        ]
    if methods:
        listed = ", ".join(methods)
        return [
            Finding(
                "problem",
                "pkce",
                f"The provider offers PKCE only as {listed}; the app uses S256 only, because "
                '"plain" does not protect a stolen code (RFC 7636 §7.2).',
                "Ask the provider to enable the S256 method, or use another provider.",
            )
        ]
    return [
        Finding(
            "warning",
            "pkce",
            "The provider does not say whether it supports PKCE (code_challenge_methods_supported "
            "is missing). The app sends S256 anyway; a provider without PKCE ignores it, and "
            "then a stolen sign-in code could be used by someone else.",
            "Check the provider's documentation for PKCE support.",
        )
    ]


def _iss_finding(endpoints: Endpoints) -> Finding:
    if endpoints.iss_parameter_supported:
        return Finding(
            "ok",
            "iss",
            "The provider names itself in every redirect (RFC 9207), "
            "so answers from another provider cannot be mixed up with its own.",
        )
    return Finding(
        "warning",
        "iss",
        "The provider does not promise to name itself in its redirects "
        "(authorization_response_iss_parameter_supported, RFC 9207). The app still checks "
        "the one-time state value, but cannot tell answers from two providers apart by "
        "their sender.",
        "Nothing to change in your registration; this is a property of the provider.",
    )


def _revocation_finding(endpoints: Endpoints, preset: Preset | None) -> Finding:
    if endpoints.revocation:
        return Finding(
            "ok",
            "revocation",
            "Revoke takes access back at the provider, through "
            f"its revocation endpoint at {host_of(endpoints.revocation)} (RFC 7009).",
        )
    if preset is not None and preset.revocation_kind == "github_api":
        return Finding(
            "ok",
            "revocation",
            "Revoke takes access back through GitHub's API, which needs this app's client secret.",
        )
    pages = " or ".join(preset.connected_apps_urls) if preset else ""
    where = f"at {pages}" if pages else "on the provider's page for connected apps"
    return Finding(
        "warning",
        "revocation",
        "The provider has no revocation endpoint: Revoke deletes the tokens on this "
        "computer, but the provider still lets the app in until you remove it there.",
        f"After revoking, remove the app's access {where}.",
    )


def _userinfo_finding(endpoints: Endpoints, preset: Preset | None) -> Finding:
    if preset is not None:
        return Finding("ok", "userinfo", f"The data panel shows {preset.api_name}.")
    if endpoints.userinfo:
        return Finding(
            "ok",
            "userinfo",
            "The provider has a userinfo endpoint; the data panel shows what it says about you.",
        )
    return Finding(
        "warning",
        "userinfo",
        "The provider has no userinfo endpoint, so the data panel can only show what the "
        "sign-in token itself says.",
        "Nothing to change, unless you expected profile data: then check the provider's "
        "documentation for a userinfo_endpoint.",
    )


def _client_secret_finding(provider: ProviderConfig, preset: Preset | None) -> Finding | None:
    if preset is None or not preset.needs_client_secret or provider.has_client_secret:
        return None
    return Finding(
        "problem",
        "client_secret",
        f"{preset.display_name} needs the client secret, and none is saved for this provider. "
        + preset.client_type_note,
        "Copy the client secret from your registration and save it with the provider.",
    )
