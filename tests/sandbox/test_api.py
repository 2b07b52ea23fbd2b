"""The sandbox API: scopes, bearer header only, per-user quota."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import pytest

from desktop_oauth.sandbox import SandboxServer

from .conftest import Clock
from .helpers import Browser, Client


def test_each_route_needs_its_scope(browser: Browser, client: Client) -> None:
    tokens = client.connect(browser, ("openid", "notes.read"))
    token = tokens["access_token"]
    notes = client.api("/api/notes", token)
    assert notes.status_code == 200 and notes.json()["notes"]

    write = client.api("/api/notes", token, "POST", json={"text": "hello"})
    assert write.status_code == 403
    assert write.json()["error"] == "insufficient_scope"
    assert write.headers["WWW-Authenticate"] == (
        'Bearer realm="sandbox", error="insufficient_scope", scope="notes.write"'
    )
    assert client.api("/api/profile", token).status_code == 403

    both = client.connect(browser, ("openid", "notes.read", "notes.write", "profile.read"))
    added = client.api("/api/notes", both["access_token"], "POST", json={"text": " hello "})
    assert added.status_code == 201 and added.json()["text"] == "hello"
    listed = client.api("/api/notes", both["access_token"]).json()["notes"]
    assert listed[0]["text"] == "hello"
    profile = client.api("/api/profile", both["access_token"]).json()
    assert profile == {"sub": "ada", "name": "Ada Lovelace", "username": "ada"}


def test_profile_accepts_profile_scope_and_shows_email_only_with_email(
    browser: Browser, client: Client
) -> None:
    tokens = client.connect(browser, ("openid", "profile", "email"), user="grace")
    assert client.api("/api/profile", tokens["access_token"]).json()["email"] == (
        "grace@sandbox.test"
    )


@pytest.mark.parametrize(
    "body", [b"{", b'{"text": ""}', b'{"text": 5}', b"[]", b'{"text": "' + b"x" * 501 + b'"}']
)
def test_bad_notes_are_refused_readably(browser: Browser, client: Client, body: bytes) -> None:
    tokens = client.connect(browser, ("notes.write",))
    response = client.api(
        "/api/notes",
        tokens["access_token"],
        "POST",
        data=body,
        headers={
            "Authorization": f"Bearer {tokens['access_token']}",
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 400
    assert response.json()["error_description"]


def test_token_only_in_the_authorization_header(browser: Browser, client: Client) -> None:
    token = client.connect(browser)["access_token"]
    in_query = client.http.get(f"{client.issuer}/api/notes?access_token={token}", timeout=5)
    assert in_query.status_code == 400
    missing = client.http.get(f"{client.issuer}/api/notes", timeout=5)
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="sandbox"'
    bad = client.api("/api/notes", "not-a-token")
    assert bad.status_code == 401
    assert bad.headers["WWW-Authenticate"] == 'Bearer realm="sandbox", error="invalid_token"'
    assert "X-RateLimit-Limit" not in bad.headers  # nobody's quota to show


def test_quota_is_per_user_and_shared_by_their_tokens(
    make_sandbox: Callable[..., SandboxServer],
) -> None:
    sandbox = make_sandbox(rate_limit=(3, 30.0))
    browser, client = Browser(sandbox.issuer), Client(sandbox.issuer)
    try:
        first = client.connect(browser)["access_token"]
        second = client.connect(browser)["access_token"]  # Ada again: another grant
        assert first != second
        before = time.time()
        answers = [client.api("/api/notes", token) for token in (first, second, first)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0"]
        assert {a.headers["X-RateLimit-Limit"] for a in answers} == {"3"}
        reset = int(answers[0].headers["X-RateLimit-Reset"])
        assert before + 29 <= reset <= before + 31

        limited = client.api("/api/notes", second)
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["Retry-After"]) <= 30
        assert limited.headers["X-RateLimit-Remaining"] == "0"
        body = limited.json()
        assert body["error"] == "rate_limit_exceeded"
        assert "3 API calls" in body["error_description"]
        assert "every app acting for you shares it" in body["error_description"]

        # Another user's quota is untouched.
        other_browser = Browser(sandbox.issuer)
        grace = client.connect(other_browser, user="grace")["access_token"]
        other_browser.close()
        assert client.api("/api/notes", grace).headers["X-RateLimit-Remaining"] == "2"
    finally:
        browser.close()
        client.close()


def test_quota_refills_after_the_window(
    make_sandbox: Callable[..., SandboxServer], clock: Clock
) -> None:
    sandbox = make_sandbox(rate_limit=(1, 30.0), clock=clock)
    browser, client = Browser(sandbox.issuer), Client(sandbox.issuer)
    try:
        token = client.connect(browser)["access_token"]
        assert client.api("/api/notes", token).status_code == 200
        clock.advance(29)
        limited = client.api("/api/notes", token)
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
        clock.advance(1)
        allowed = client.api("/api/notes", token)
        assert allowed.status_code == 200
        assert allowed.headers["X-RateLimit-Remaining"] == "0"
        assert int(allowed.headers["X-RateLimit-Reset"]) == math.ceil(clock.now + 30)
    finally:
        browser.close()
        client.close()
