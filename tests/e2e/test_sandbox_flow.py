"""The app's client side against the built-in sandbox, with the real browser.

The core (discovery, ConnectAttempt with its loopback receiver, the token
exchange and its id_token checks) talks to a real SandboxServer; Chromium,
driven by tests/e2e/browser/driver.py through the BROWSER hook, signs in and
consents on the sandbox's pages.
"""

from __future__ import annotations

import time
import webbrowser
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from desktop_oauth.core.api import ApiAuthError, call_api
from desktop_oauth.core.connect import ConnectAttempt, ConnectResult
from desktop_oauth.core.discovery import resolve
from desktop_oauth.core.errors import AuthorizationDeniedError, InvalidGrantError
from desktop_oauth.core.exchange import post_token_request, refresh_body
from desktop_oauth.core.http import new_session
from desktop_oauth.core.provider import ProviderConfig
from desktop_oauth.sandbox import (
    DEFAULT_SCOPES,
    SANDBOX_CLIENT_ID,
    SandboxServer,
    provider_config,
)

from .browser.driver import CHROMIUM, CHROMIUM_ARGS, browser_environment
from .conftest import BrowserPlan

pytestmark = pytest.mark.e2e

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def set_plan(plan: BrowserPlan, **fields: Any) -> None:
    plan.set(**{"login": "ada", **fields})


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    server = SandboxServer(tmp_path_factory.mktemp("sandbox-profile"), device_interval=1)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with new_session() as session:
        yield session


@pytest.fixture
def provider(sandbox: SandboxServer, http: requests.Session) -> ProviderConfig:
    return resolve(http, provider_config(sandbox.issuer))


def sign_in(
    provider: ProviderConfig, http: requests.Session, plan: BrowserPlan, **plan_fields: Any
) -> tuple[ConnectAttempt, dict[str, str], dict[str, Any]]:
    """Connect as the app does: hold the port, open the browser, catch the redirect."""
    set_plan(plan, **plan_fields)
    attempt = ConnectAttempt(provider, http, deadline_seconds=30)
    try:
        assert webbrowser.open(attempt.url)
        params = attempt.wait_for_redirect()
    finally:
        attempt.close()
    [run] = plan.results(timeout=25)
    assert run["error"] is None, (run, plan.log_tail())
    return attempt, params, run


def verified_claims(sandbox: SandboxServer, result: ConnectResult) -> dict[str, Any]:
    """The id_token's claims, with its RS256 signature checked against the JWKS."""
    assert result.tokens.id_token
    keys = requests.get(f"{sandbox.issuer}/jwks", timeout=5).json()["keys"]
    kid = jwt.get_unverified_header(result.tokens.id_token)["kid"]
    [key] = [k for k in keys if k["kid"] == kid]
    claims: dict[str, Any] = jwt.decode(
        result.tokens.id_token,
        jwt.PyJWK(key).key,
        algorithms=["RS256"],
        audience=SANDBOX_CLIENT_ID,
        issuer=sandbox.issuer,
    )
    return claims


def test_connect_with_all_scopes(
    sandbox: SandboxServer,
    provider: ProviderConfig,
    http: requests.Session,
    browser_plan: BrowserPlan,
) -> None:
    attempt, params, run = sign_in(provider, http, browser_plan, login="ada")
    assert run["pages"] == ["sandbox_login", "sandbox_consent", "redirect"]
    assert "close this" in run["final_text"].lower()
    assert params["iss"] == sandbox.issuer  # RFC 9207, checked by the receiver too

    result = attempt.complete(params)  # state, iss, PKCE, nonce, id_token claims
    assert set(result.tokens.granted_scopes) == set(DEFAULT_SCOPES)
    assert result.requested_scopes == DEFAULT_SCOPES
    assert result.tokens.refresh_token and result.tokens.expires_at
    claims = verified_claims(sandbox, result)
    assert claims["sub"] == "ada" and claims["email"] == "ada@sandbox.test"
    assert result.userinfo is not None and result.userinfo.data["sub"] == "ada"

    notes = call_api(http, f"{sandbox.issuer}/api/notes", result.tokens.access_token, "sandbox API")
    assert notes.data["notes"]
    assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(notes.headers)


def test_unticked_scope_is_not_granted(
    sandbox: SandboxServer,
    provider: ProviderConfig,
    http: requests.Session,
    browser_plan: BrowserPlan,
) -> None:
    attempt, params, _ = sign_in(
        provider, http, browser_plan, login="grace", uncheck_scopes=["email"]
    )
    result = attempt.complete(params)
    assert "email" in result.requested_scopes
    assert "email" not in result.tokens.granted_scopes
    assert set(result.tokens.granted_scopes) == set(DEFAULT_SCOPES) - {"email"}
    assert "email" not in verified_claims(sandbox, result)
    assert result.userinfo is not None and "email" not in result.userinfo.data
    assert result.userinfo.data["name"] == "Grace Hopper"


def test_deny_is_access_denied(
    provider: ProviderConfig, http: requests.Session, browser_plan: BrowserPlan
) -> None:
    attempt, params, run = sign_in(provider, http, browser_plan, action="cancel")
    assert run["pages"] == ["sandbox_login", "sandbox_consent", "redirect"]
    with pytest.raises(AuthorizationDeniedError) as denied:
        attempt.complete(params)
    assert denied.value.error == "access_denied"


def test_removing_the_app_on_the_connections_page_revokes_it(
    sandbox: SandboxServer,
    provider: ProviderConfig,
    http: requests.Session,
    browser_plan: BrowserPlan,
    tmp_path: Path,
) -> None:
    attempt, params, _ = sign_in(provider, http, browser_plan, login="linus")
    tokens = attempt.complete(params).tokens
    notes_url = f"{sandbox.issuer}/api/notes"
    assert call_api(http, notes_url, tokens.access_token, "sandbox API").status == 200

    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            env=browser_environment(),
            timeout=10_000,
        )
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.goto(f"{sandbox.issuer}/connections")
            page.click("#login-linus")  # a fresh browser: sign in first
            page.wait_for_selector("#connection-desktop-oauth")
            assert "Read your notes" in page.inner_text("#connection-desktop-oauth")
            page.click("#remove-desktop-oauth")
            page.wait_for_selector("#no-connections")
            assert "no longer has access" in page.inner_text("body")
        finally:
            context.close()

    with pytest.raises(ApiAuthError):
        call_api(http, notes_url, tokens.access_token, "sandbox API")
    assert provider.endpoints is not None and tokens.refresh_token
    with pytest.raises(InvalidGrantError):
        post_token_request(
            http,
            provider.endpoints.token,
            refresh_body(SANDBOX_CLIENT_ID, tokens.refresh_token),
            SANDBOX_CLIENT_ID,
        )


def test_device_grant_with_the_browser_typing_the_code(
    sandbox: SandboxServer,
    provider: ProviderConfig,
    http: requests.Session,
    browser_plan: BrowserPlan,
) -> None:
    assert provider.endpoints is not None and provider.endpoints.device_authorization
    started = http.post(
        provider.endpoints.device_authorization,
        timeout=5,
        data={"client_id": SANDBOX_CLIENT_ID, "scope": "openid profile notes.read"},
    ).json()
    set_plan(browser_plan, action="device", login="ada", user_code=started["user_code"])
    assert webbrowser.open(started["verification_uri"])  # the person types the code

    # RFC 8628 §3.4-3.5, as a client must: wait `interval`, +5 s on slow_down.
    interval, deadline, seen = float(started["interval"]), time.monotonic() + 30, []
    while True:
        time.sleep(interval)
        answer = http.post(
            provider.endpoints.token,
            timeout=5,
            data={
                "grant_type": DEVICE_GRANT,
                "device_code": started["device_code"],
                "client_id": SANDBOX_CLIENT_ID,
            },
        )
        if answer.status_code == 200:
            break
        error = answer.json()["error"]
        seen.append(error)
        assert error in ("authorization_pending", "slow_down"), answer.text
        interval += 5 if error == "slow_down" else 0
        assert time.monotonic() < deadline, (seen, browser_plan.log_tail())
    assert "slow_down" not in seen  # polling at the interval is never too fast

    [run] = browser_plan.results(timeout=25)
    assert run["error"] is None, (run, browser_plan.log_tail())
    assert run["pages"] == [
        "sandbox_login",
        "sandbox_device",
        "sandbox_consent",
        "sandbox_device_done",
    ]
    tokens = answer.json()
    assert set(tokens["scope"].split()) == {"openid", "profile", "notes.read"}
    notes = call_api(http, f"{sandbox.issuer}/api/notes", tokens["access_token"], "sandbox API")
    assert notes.data["sub"] == "ada"
