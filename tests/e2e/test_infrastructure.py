"""The end-to-end test machinery itself works: provider, browser hook, keyring.

None of these tests touches the app. They fail (never skip) when the suite is
not run the way the README says (`bash scripts/test`), so that a missing
piece shows up as a red test rather than as a quietly thinner suite.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import secrets
import threading
import urllib.parse
import uuid
import webbrowser
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import requests

from tests.e2e import oidc_provider as oidc_provider_module
from tests.e2e.conftest import OPEN_URL, BrowserPlan
from tests.e2e.oidc_provider import OidcProvider, OidcProviderError

pytestmark = pytest.mark.e2e

TEST_COMMAND_HINT = (
    "the tests must run under the README's test command (`bash scripts/test`), which starts "
    "a D-Bus session with an unlocked gnome-keyring"
)


def test_provider_discovery(oidc_provider: OidcProvider) -> None:
    response = requests.get(oidc_provider.discovery_url, timeout=5)
    response.raise_for_status()
    discovery = response.json()
    assert discovery["issuer"] == oidc_provider.issuer
    assert oidc_provider.issuer.startswith("http://127.0.0.1:")
    assert discovery["authorization_response_iss_parameter_supported"] is True
    assert discovery["code_challenge_methods_supported"] == ["S256"]
    for endpoint in (
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "revocation_endpoint",
        "introspection_endpoint",
        "device_authorization_endpoint",
        "end_session_endpoint",
    ):
        assert discovery[endpoint].startswith(oidc_provider.issuer + "/"), endpoint


def test_keyring_is_secret_service() -> None:
    import keyring
    from keyring.backends import SecretService

    backend: Any = keyring.get_keyring()
    if not isinstance(backend, SecretService.Keyring):
        pytest.fail(
            f"keyring backend is {type(backend).__module__}.{type(backend).__name__}, "
            f"not SecretService.Keyring: {TEST_COMMAND_HINT}."
        )
    # And it really stores secrets (the collection is unlocked, no prompt).
    backend = cast(Any, backend)  # keyring's methods are untyped
    service = f"desktop-oauth-e2e-infrastructure-{uuid.uuid4().hex}"
    backend.set_password(service, "probe", "secret-value")
    try:
        assert backend.get_password(service, "probe") == "secret-value"
    finally:
        backend.delete_password(service, "probe")
    assert backend.get_password(service, "probe") is None


def test_provider_fails_loudly_without_node_modules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(oidc_provider_module, "SERVER_DIR", tmp_path)
    with pytest.raises(OidcProviderError, match="scripts/test"):
        OidcProvider().start()


class _Catcher(http.server.BaseHTTPRequestHandler):
    """A stand-in for the app's loopback server: one /callback, any query."""

    caught: list[dict[str, str]]
    expected_state: str

    def do_GET(self) -> None:
        parts = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parts.query))
        if parts.path != "/callback" or query.get("state") != self.expected_state:
            body, status = b"wrong state", 400
        else:
            self.caught.append(query)
            body, status = b"<html><body><p>Caught it.</p></body></html>", 200
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def catcher() -> Iterator[tuple[str, type[_Catcher]]]:
    handler = type("Catcher", (_Catcher,), {"caught": [], "expected_state": ""})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/callback", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_browser_hook_signs_in_and_consents(
    oidc_provider: OidcProvider,
    browser_plan: BrowserPlan,
    catcher: tuple[str, type[_Catcher]],
) -> None:
    """webbrowser -> open-url -> driver (Chromium) -> provider -> loopback -> tokens."""
    redirect_uri, handler = catcher
    handler.expected_state = secrets.token_urlsafe(16)
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    discovery = oidc_provider.discovery()
    url = (
        discovery["authorization_endpoint"]
        + "?"
        + urllib.parse.urlencode(
            {
                "client_id": oidc_provider.client_id,
                "response_type": "code",
                "redirect_uri": redirect_uri,
                "scope": "openid profile email offline_access",
                "prompt": "consent",  # without it the provider drops offline_access
                "state": handler.expected_state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
    )
    browser_plan.set(login="carol", action="consent", wrong_state_first=True)

    assert getattr(webbrowser.get(), "name", None) == str(OPEN_URL)
    assert webbrowser.open(url) is True  # open-url returns at once

    [result] = browser_plan.results(timeout=25)
    assert result["error"] is None, (result, browser_plan.log_tail())
    assert result["url_opened"] == url
    assert result["wrong_state_status"] == 400
    assert result["pages"] == ["oidc_provider_login", "oidc_provider_consent", "redirect"]
    assert result["final_url"].startswith(redirect_uri + "?")
    assert result["final_text"] == "Caught it."

    [query] = handler.caught
    assert query["iss"] == oidc_provider.issuer
    token = requests.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": query["code"],
            "redirect_uri": redirect_uri,
            "client_id": oidc_provider.client_id,
            "code_verifier": verifier,
        },
        timeout=5,
    ).json()
    assert set(token["scope"].split()) == {"openid", "profile", "email", "offline_access"}
    assert "refresh_token" in token

    access = oidc_provider.introspect(token["access_token"])
    assert access["active"] is True
    assert access["sub"] == "carol"
    assert access["client_id"] == oidc_provider.client_id
    assert oidc_provider.introspect("not-a-token") == {"active": False}
