"""Refresh rotation, revocation (RFC 7009), introspection (RFC 7662), expiry."""

from __future__ import annotations

from collections.abc import Callable

from desktop_oauth.sandbox import SandboxServer

from .conftest import Clock
from .helpers import Browser, Client


def test_refresh_rotates_and_reusing_the_old_token_revokes_the_grant(
    browser: Browser, client: Client
) -> None:
    tokens = client.connect(browser)
    first = client.refresh(tokens["refresh_token"])
    assert first.status_code == 200
    rotated = first.json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert rotated["access_token"] != tokens["access_token"]
    assert rotated["id_token"]  # OIDC Core §12.2
    # The used refresh token is dead...
    reuse = client.refresh(tokens["refresh_token"])
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    # ...and its reuse ended the whole grant (RFC 9700 §4.14.2).
    assert client.refresh(rotated["refresh_token"]).json()["error"] == "invalid_grant"
    assert client.api("/api/notes", rotated["access_token"]).status_code == 401
    assert client.introspect(rotated["access_token"]) == {"active": False}


def test_a_fresh_refresh_token_keeps_working(browser: Browser, client: Client) -> None:
    tokens = client.connect(browser)
    refresh = tokens["refresh_token"]
    for _ in range(3):
        answer = client.refresh(refresh).json()
        assert client.api("/api/notes", answer["access_token"]).status_code == 200
        refresh = answer["refresh_token"]


def test_revocation_then_introspection_is_inactive_and_api_401(
    browser: Browser, client: Client
) -> None:
    tokens = client.connect(browser)
    active = client.introspect(tokens["access_token"])
    assert active["active"] is True and active["sub"] == "ada"
    assert active["client_id"] == client.client_id
    assert set(active["scope"].split()) == set(tokens["scope"].split())
    assert client.introspect(tokens["refresh_token"])["active"] is True

    response = client.post(
        "/revoke",
        {
            "token": tokens["refresh_token"],
            "token_type_hint": "refresh_token",
            "client_id": client.client_id,
        },
    )
    assert response.status_code == 200
    assert client.introspect(tokens["access_token"]) == {"active": False}
    assert client.introspect(tokens["refresh_token"]) == {"active": False}
    api = client.api("/api/notes", tokens["access_token"])
    assert api.status_code == 401
    assert 'error="invalid_token"' in api.headers["WWW-Authenticate"]
    assert client.refresh(tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_revoking_an_unknown_token_is_fine(client: Client) -> None:
    response = client.post("/revoke", {"token": "nope", "client_id": client.client_id})
    assert response.status_code == 200  # RFC 7009 §2.2


def test_introspection_and_revocation_need_the_client_id(browser: Browser, client: Client) -> None:
    tokens = client.connect(browser)
    response = client.post("/introspect", {"token": tokens["access_token"]})
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    response = client.post(
        "/introspect", {"token": tokens["access_token"], "client_id": "someone-else"}
    )
    assert response.status_code == 401
    assert client.introspect("not-a-token") == {"active": False}


def test_basic_auth_from_a_public_client_is_refused(browser: Browser, client: Client) -> None:
    tokens = client.connect(browser)
    response = client.post(
        "/token",
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(client.client_id, ""),
    )
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_access_tokens_expire(make_sandbox: Callable[..., SandboxServer], clock: Clock) -> None:
    sandbox = make_sandbox(access_token_ttl=60, clock=clock)
    browser, client = Browser(sandbox.issuer), Client(sandbox.issuer)
    try:
        tokens = client.connect(browser)
        assert tokens["expires_in"] == 60
        clock.advance(59)
        assert client.api("/api/notes", tokens["access_token"]).status_code == 200
        clock.advance(1)
        assert client.api("/api/notes", tokens["access_token"]).status_code == 401
        assert client.introspect(tokens["access_token"]) == {"active": False}
        fresh = client.refresh(tokens["refresh_token"]).json()
        assert client.api("/api/notes", fresh["access_token"]).status_code == 200
    finally:
        browser.close()
        client.close()


def test_userinfo_follows_scopes_and_sub(browser: Browser, client: Client) -> None:
    tokens = client.connect(browser, ("openid", "email"), user="linus")
    info = client.api("/userinfo", tokens["access_token"])
    assert info.status_code == 200
    assert info.json() == {"sub": "linus", "email": "linus@sandbox.test", "email_verified": True}
    no_openid = client.connect(browser, ("notes.read",), user="linus")
    refused = client.api("/userinfo", no_openid["access_token"])
    assert refused.status_code == 403
    assert 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]
