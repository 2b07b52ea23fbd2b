"""The authorization endpoint and the code: PKCE, single use, consent, errors with iss."""

from __future__ import annotations

import pytest

from desktop_oauth.sandbox import SandboxServer

from .helpers import Browser, Client, PageParser, challenge_of, redirect_params


def error_redirect(browser: Browser, url: str) -> dict[str, str]:
    location = browser.walk(url)
    assert isinstance(location, str), "expected a redirect back to the client"
    return redirect_params(location)


@pytest.mark.parametrize(
    "overrides",
    [
        {"code_challenge": None, "code_challenge_method": None},  # no PKCE at all
        {"code_challenge_method": "plain"},
        {"code_challenge_method": None},  # a missing method means plain (RFC 7636 §4.3)
    ],
)
def test_authorization_without_pkce_s256_is_refused_with_iss(
    sandbox: SandboxServer, browser: Browser, client: Client, overrides: dict[str, str | None]
) -> None:
    pending = client.authorization_url(**overrides)
    params = error_redirect(browser, pending.url)
    assert params["error"] == "invalid_request"
    assert params["state"] == pending.state
    assert params["iss"] == sandbox.issuer
    assert browser.pages == []  # refused before any sign-in page


def test_wrong_verifier_is_invalid_grant(browser: Browser, client: Client) -> None:
    pending = client.authorization_url()
    params = redirect_params(str(browser.walk(pending.url)))
    response = client.exchange(pending, params["code"], code_verifier="x" * 64)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_code_is_single_use_and_replay_revokes_its_tokens(browser: Browser, client: Client) -> None:
    pending = client.authorization_url()
    params = redirect_params(str(browser.walk(pending.url)))
    first = client.exchange(pending, params["code"])
    assert first.status_code == 200
    second = client.exchange(pending, params["code"])
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"
    # RFC 6749 §4.1.2: tokens issued from a replayed code are revoked.
    assert client.api("/api/notes", first.json()["access_token"]).status_code == 401
    assert client.refresh(first.json()["refresh_token"]).json()["error"] == "invalid_grant"


def test_redirect_uri_must_match_at_the_token_endpoint(browser: Browser, client: Client) -> None:
    pending = client.authorization_url()
    params = redirect_params(str(browser.walk(pending.url)))
    response = client.exchange(
        pending, params["code"], redirect_uri="http://127.0.0.1:54322/callback"
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://localhost:5000/callback",
        "http://127.0.0.1:5000/other",
        "http://127.0.0.1:5000/callback?x=1",
        "https://evil.example/callback",
        "http://[::1]:5000/callback",
    ],
)
def test_unregistered_redirect_uri_gets_a_page_not_a_redirect(
    browser: Browser, client: Client, redirect_uri: str
) -> None:
    page = browser.walk(client.authorization_url(redirect_uri=redirect_uri).url)
    assert isinstance(page, PageParser) and page.page == "sandbox-error"


def test_any_loopback_port_is_accepted(browser: Browser, client: Client) -> None:
    pending = client.authorization_url(redirect_uri="http://127.0.0.1:1234/callback")
    location = browser.walk(pending.url)
    assert isinstance(location, str) and location.startswith("http://127.0.0.1:1234/callback?")


def test_deny_redirects_access_denied_with_state_and_iss(
    sandbox: SandboxServer, browser: Browser, client: Client
) -> None:
    pending = client.authorization_url()
    location = browser.walk(pending.url, decision="deny")
    params = redirect_params(str(location))
    assert params["error"] == "access_denied"
    assert params["state"] == pending.state and params["iss"] == sandbox.issuer
    assert "code" not in params


def test_unticked_scope_is_not_granted(browser: Browser, client: Client) -> None:
    tokens = client.connect(browser, uncheck=("email", "notes.read"))
    assert set(tokens["scope"].split()) == {"openid", "profile", "offline_access"}
    assert client.api("/api/notes", tokens["access_token"]).status_code == 403
    # The refresh token keeps the narrower grant.
    refreshed = client.refresh(tokens["refresh_token"]).json()
    assert set(refreshed["scope"].split()) == {"openid", "profile", "offline_access"}


def test_success_redirect_carries_code_state_and_iss(
    sandbox: SandboxServer, browser: Browser, client: Client
) -> None:
    pending = client.authorization_url()
    params = redirect_params(str(browser.walk(pending.url)))
    assert set(params) == {"code", "state", "iss"}
    assert params["iss"] == sandbox.issuer


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"prompt": "none"}, "login_required"),
        ({"scope": "openid launch.missiles"}, "invalid_scope"),
        ({"response_type": "token"}, "unauthorized_client"),
    ],
)
def test_other_errors_are_redirected_with_iss(
    sandbox: SandboxServer, browser: Browser, client: Client, overrides: dict[str, str], error: str
) -> None:
    pending = client.authorization_url(**overrides)
    params = error_redirect(browser, pending.url)
    assert params["error"] == error
    assert params["iss"] == sandbox.issuer and params["state"] == pending.state


def test_prompt_login_asks_to_sign_in_again(browser: Browser, client: Client) -> None:
    client.connect(browser)
    browser.pages.clear()
    client.connect(browser)
    assert browser.pages == ["sandbox-consent"]  # signed in already: consent only
    browser.pages.clear()
    pending = client.authorization_url(prompt="login")
    browser.walk(pending.url, user="linus")
    assert browser.pages == ["sandbox-login", "sandbox-consent"]


def test_offline_access_decides_the_refresh_token(browser: Browser, client: Client) -> None:
    tokens = client.connect(browser, ("openid", "notes.read"))
    assert "refresh_token" not in tokens
    tokens = client.connect(browser, ("openid", "notes.read", "offline_access"))
    assert tokens["refresh_token"]


def test_pkce_challenge_helper_matches_rfc_7636_appendix_b() -> None:
    assert challenge_of("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == (
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
