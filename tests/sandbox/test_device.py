"""The device grant (RFC 8628): codes, the /device page, and polling."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from desktop_oauth.sandbox import SandboxServer

from .conftest import Clock
from .helpers import Browser, Client, PageParser

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def start(
    client: Client,
    scope: str = "openid profile offline_access notes.read",
) -> dict[str, Any]:
    response = client.post("/device_authorization", {"client_id": client.client_id, "scope": scope})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def poll(client: Client, device_code: str) -> requests.Response:
    return client.post(
        "/token",
        {"grant_type": DEVICE_GRANT, "device_code": device_code, "client_id": client.client_id},
    )


def error_of(response: requests.Response) -> str:
    assert response.status_code == 400, response.text
    return str(response.json()["error"])


def test_device_authorization_answer(sandbox: SandboxServer, client: Client) -> None:
    data = start(client)
    issuer = sandbox.issuer
    assert data["verification_uri"] == f"{issuer}/device"
    assert data["verification_uri_complete"] == f"{issuer}/device?user_code={data['user_code']}"
    assert data["interval"] == 1 and data["expires_in"] == 600
    assert len(data["user_code"]) == 9 and data["user_code"][4] == "-"
    assert len(data["device_code"]) >= 20


def test_polling_pending_slow_down_then_tokens(client: Client, browser: Browser) -> None:
    data = start(client)
    assert error_of(poll(client, data["device_code"])) == "authorization_pending"
    assert error_of(poll(client, data["device_code"])) == "slow_down"  # too fast

    page = browser.walk(data["verification_uri"], user="grace", user_code=data["user_code"])
    assert isinstance(page, PageParser) and page.page == "sandbox-device-done"
    assert browser.pages == [
        "sandbox-login",
        "sandbox-device",
        "sandbox-consent",
        "sandbox-device-done",
    ]
    assert "is connected" in "".join(page.text)

    answer = poll(client, data["device_code"])
    assert answer.status_code == 200, answer.text
    tokens = answer.json()
    assert set(tokens["scope"].split()) == {"openid", "profile", "offline_access", "notes.read"}
    assert client.api("/api/notes", tokens["access_token"]).json()["sub"] == "grace"
    assert client.refresh(tokens["refresh_token"]).status_code == 200
    # The device code is used up.
    assert error_of(poll(client, data["device_code"])) == "invalid_grant"


def test_slow_down_adds_five_seconds(
    make_sandbox: Callable[..., SandboxServer], clock: Clock
) -> None:
    sandbox = make_sandbox(device_interval=2, clock=clock)
    client = Client(sandbox.issuer)
    try:
        data = start(client)
        assert error_of(poll(client, data["device_code"])) == "authorization_pending"
        clock.advance(1)
        assert error_of(poll(client, data["device_code"])) == "slow_down"  # now 7 s
        clock.advance(2)  # the first interval is no longer enough
        assert error_of(poll(client, data["device_code"])) == "slow_down"  # now 12 s
        clock.advance(12)
        assert error_of(poll(client, data["device_code"])) == "authorization_pending"
    finally:
        client.close()


def test_verification_uri_complete_prefills_the_code_and_unticking_works(
    client: Client, browser: Browser
) -> None:
    data = start(client)
    page = browser.walk(data["verification_uri_complete"], uncheck=("notes.read",))
    assert isinstance(page, PageParser) and page.page == "sandbox-device-done"
    tokens = poll(client, data["device_code"]).json()
    assert "notes.read" not in tokens["scope"].split()


def test_deny_gives_access_denied(client: Client, browser: Browser) -> None:
    data = start(client)
    page = browser.walk(data["verification_uri_complete"], decision="deny")
    assert isinstance(page, PageParser) and page.page == "sandbox-device-done"
    assert "denied" in "".join(page.text)
    assert error_of(poll(client, data["device_code"])) == "access_denied"


def test_expired_device_code(make_sandbox: Callable[..., SandboxServer], clock: Clock) -> None:
    sandbox = make_sandbox(device_code_ttl=60, clock=clock)
    client, browser = Client(sandbox.issuer), Browser(sandbox.issuer)
    try:
        data = start(client)
        assert data["expires_in"] == 60
        clock.advance(60)
        assert error_of(poll(client, data["device_code"])) == "expired_token"
        page = browser.walk(data["verification_uri"], user_code=data["user_code"])
        assert isinstance(page, PageParser)
        assert "not valid or has expired" in "".join(page.text)
    finally:
        client.close()
        browser.close()


def test_wrong_codes_are_limited(client: Client, browser: Browser) -> None:
    for attempt in range(5):
        page = browser.walk("/device", user_code="BCDF-GHJK")
        assert isinstance(page, PageParser) and page.page == "sandbox-device", attempt
    data = start(client)
    page = browser.walk("/device", user_code=data["user_code"])
    assert isinstance(page, PageParser) and page.page == "sandbox-error"
    assert "Too many wrong codes" in "".join(page.text)


def test_unknown_device_code_and_wrong_client(client: Client) -> None:
    assert error_of(poll(client, "nope")) == "invalid_grant"
    response = client.post("/device_authorization", {"client_id": "who"})
    assert response.status_code in (400, 401)
    response = client.post("/device_authorization", {"client_id": "desktop-oauth", "scope": "root"})
    assert error_of(response) == "invalid_scope"
