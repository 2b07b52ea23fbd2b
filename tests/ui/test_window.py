"""The window without a provider: it starts, says what it is doing, and stays honest
about where tokens go."""

from __future__ import annotations

import uuid
from pathlib import Path

import keyring.backends.fail
import pytest
from pytestqt.qtbot import QtBot

from desktop_oauth.app import missing_display
from desktop_oauth.core.accounts import AccountService
from desktop_oauth.core.profile import Profile
from desktop_oauth.core.token_store import TokenStore
from desktop_oauth.core.tokens import TokenSet
from desktop_oauth.qt.controller import Controller
from desktop_oauth.ui.main_window import MainWindow

NAMES = [
    "connectButton",
    "cancelButton",
    "refreshButton",
    "revokeButton",
    "providerCombo",
    "accountsList",
    "tokenPanel",
    "scopesPanel",
    "apiDataPanel",
    "statusLabel",
]


def make_window(qtbot: QtBot, home: Path, store: TokenStore | None = None) -> MainWindow:
    profile = Profile(home=home, keyring_service=f"desktop-oauth-test:{uuid.uuid4().hex}")
    controller = Controller(lambda log: AccountService(profile, store=store, flow_log=log))
    window = MainWindow(controller, show_errors_in_dialogs=False)
    qtbot.addWidget(window)
    window.show()
    controller.start()
    return window


def test_widgets_have_object_and_accessible_names(qtbot: QtBot, tmp_path: Path) -> None:
    window = make_window(qtbot, tmp_path, TokenStore("t", keyring.backends.fail.Keyring()))
    from PySide6.QtWidgets import QWidget

    for name in NAMES:
        widget = window.findChild(QWidget, name)
        assert widget is not None, name
        assert widget.accessibleName(), name
    assert window.windowTitle() == "desktop-oauth"


def test_without_providers_the_window_says_so(qtbot: QtBot, tmp_path: Path) -> None:
    window = make_window(qtbot, tmp_path, TokenStore("t", keyring.backends.fail.Keyring()))
    qtbot.waitUntil(lambda: "No provider" in window.statusLabel.text(), timeout=5000)
    assert not window.connectButton.isEnabled()
    assert not window.cancelButton.isEnabled()


def test_without_a_keyring_the_window_says_tokens_are_session_only(
    qtbot: QtBot, tmp_path: Path
) -> None:
    window = make_window(qtbot, tmp_path, TokenStore("t", keyring.backends.fail.Keyring()))
    qtbot.waitUntil(lambda: window.storageBanner.isVisible(), timeout=5000)
    assert "only until the app closes" in window.storageBanner.text()
    # The token panel does not claim a keyring either.
    window.tokenPanel.show_tokens(TokenSet("a" * 20, refresh_token="r" * 20), {})
    assert window.tokenPanel.refresh_token.text() == "held in memory until the app closes"


def test_a_corrupted_settings_file_is_kept_aside_and_reported(qtbot: QtBot, tmp_path: Path) -> None:
    (tmp_path / "config.json").write_bytes(b'{"schema": 1, "providers": [{"name": 3')
    window = make_window(qtbot, tmp_path, TokenStore("t", keyring.backends.fail.Keyring()))
    messages: list[str] = []
    window.controller.errorShown.connect(messages.append)
    qtbot.waitUntil(lambda: bool(messages), timeout=5000)
    assert "could not be read" in messages[0]
    backups = list(tmp_path.glob("config.json.unreadable-*"))
    assert len(backups) == 1
    assert backups[0].read_bytes().startswith(b'{"schema": 1')


@pytest.mark.parametrize(
    ("environ", "problem"),
    [
        ({}, "no display found"),
        ({"QT_QPA_PLATFORM": "xcb"}, "DISPLAY is not set"),
        ({"QT_QPA_PLATFORM": "offscreen"}, None),
        ({"DISPLAY": ":0"}, None),
        ({"WAYLAND_DISPLAY": "wayland-0"}, None),
    ],
)
def test_missing_display_is_explained(environ: dict[str, str], problem: str | None) -> None:
    reason = missing_display(environ, platform="linux")
    assert (reason is None) if problem is None else (problem in (reason or ""))
