"""A provider that refuses the redirect URI shows its own error page, and the app
would only see a timeout: after a few seconds without a callback the window's
status line says what such a page means and which URI to register (issue 10)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop_oauth.core.provider import ProviderConfig

from .conftest import BrowserPlan
from .oidc_provider import OidcProvider
from .window import PROVIDER_NAME, isolated_profile, open_window

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def strict_provider() -> Iterator[OidcProvider]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with OidcProvider(
        profile="strict", client_secret="s%e+c:ret", redirect_uri=f"http://127.0.0.1:{port}/cb"
    ).start() as provider:
        yield provider


def test_the_status_line_explains_a_refused_redirect_uri(
    qtbot: QtBot, strict_provider: OidcProvider, browser_plan: BrowserPlan, tmp_path: Path
) -> None:
    # Registered with another port and path than the app sends: the provider shows
    # "redirect_uri did not match" in the browser and never redirects.
    provider = ProviderConfig(
        name=PROVIDER_NAME, issuer=strict_provider.issuer, client_id=strict_provider.client_id
    )
    running = open_window(
        qtbot, isolated_profile(tmp_path / "p"), provider, deadline=60.0, hint_after=2.0
    )
    browser_plan.set(action="ignore")
    qtbot.mouseClick(running.window.connectButton, Qt.MouseButton.LeftButton)
    label = running.window.statusLabel
    qtbot.waitUntil(lambda: "redirect URI is not allowed" in label.text(), timeout=15_000)
    text = label.text()
    assert "register http://127.0.0.1/callback (any port)" in text
    assert "Redirect URI field" in text
    with qtbot.waitSignal(
        running.controller.busy, timeout=10_000, check_params_cb=lambda busy: busy is False
    ):
        running.controller.cancel()
