"""Menus, shortcuts and the questions asked before Revoke and Remove, driven as a
person would: keys, menu actions, the dialog's buttons."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

import keyring.backends.fail
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from desktop_oauth.core import config as config_file
from desktop_oauth.core.accounts import AccountService
from desktop_oauth.core.config import AccountRecord, Config
from desktop_oauth.core.profile import Profile
from desktop_oauth.core.provider import ProviderConfig
from desktop_oauth.core.token_store import TokenStore
from desktop_oauth.qt.controller import Controller
from desktop_oauth.qt.window_state import WindowState
from desktop_oauth.ui.main_window import MainWindow

PROVIDER = ProviderConfig(name="Work", issuer="https://id.example.test", client_id="app")
ACCOUNT = AccountRecord(
    id="acct-1",
    provider="Work",
    issuer="https://id.example.test",
    subject="u1",
    display_name="ann@example.test",
    granted_scopes=("openid",),
    requested_scopes=("openid",),
)


def open_window(qtbot: QtBot, home: Path, *, with_account: bool = True) -> MainWindow:
    if with_account:
        config_file.save(home / "config.json", Config((PROVIDER,), (ACCOUNT,)))
    profile = Profile(home=home, keyring_service=f"desktop-oauth-test:{uuid.uuid4().hex}")
    store = TokenStore("t", keyring.backends.fail.Keyring())
    controller = Controller(lambda log: AccountService(profile, store=store, flow_log=log))
    window = MainWindow(
        controller, show_errors_in_dialogs=False, state=WindowState(home / "window.ini")
    )
    qtbot.addWidget(window)
    window.show()
    controller.start()
    if with_account:
        qtbot.waitUntil(lambda: window.revokeButton.isEnabled(), timeout=5000)
    return window


def answer_dialog(qtbot: QtBot, button_name: str, seen: list[str]) -> None:
    """Press ``button_name`` in the next modal dialog, noting its text."""

    def press() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, press)
            return
        seen.append(box.text())
        button = box.findChild(QPushButton, button_name)
        assert button is not None
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, press)


def stored_accounts(home: Path) -> list[dict[str, object]]:
    return list(json.loads((home / "config.json").read_text())["accounts"])


def test_the_menus_hold_the_actions_in_order(qtbot: QtBot, tmp_path: Path) -> None:
    window = open_window(qtbot, tmp_path)
    bar = window.menuBar()
    titles = [a.text().replace("&", "") for a in bar.actions()]
    assert titles == ["File", "Account", "View", "Help"]
    menus = {a.text().replace("&", ""): a.menu() for a in bar.actions()}
    names = {
        title: [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]
        for title, menu in menus.items()
    }
    assert names["File"] == ["Add provider…", "Quit"]
    assert names["Account"] == ["Connect", "Refresh", "Change scopes…", "Revoke…", "Remove…"]
    assert names["View"] == ["Flow"]
    assert names["Help"] == ["About desktop-oauth"]


def test_shortcuts_follow_the_platform(qtbot: QtBot, tmp_path: Path) -> None:
    window = open_window(qtbot, tmp_path)
    actions = window.menu_actions
    assert actions.quit.shortcut() == QKeySequence("Ctrl+Q")
    refresh_keys = QKeySequence.keyBindings(QKeySequence.StandardKey.Refresh)
    assert actions.refresh.shortcuts() == refresh_keys
    assert actions.add_provider.shortcuts() == QKeySequence.keyBindings(
        QKeySequence.StandardKey.New
    )


def test_ctrl_shift_f_opens_and_closes_the_flow_view(qtbot: QtBot, tmp_path: Path) -> None:
    window = open_window(qtbot, tmp_path, with_account=False)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    modifiers = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window, Qt.Key.Key_F, modifiers)
    assert window.flowView.isVisible() and window.menu_actions.flow_view.isChecked()
    qtbot.keyClick(window, Qt.Key.Key_F, modifiers)
    assert not window.flowView.isVisible()


def test_ctrl_q_closes_the_window(qtbot: QtBot, tmp_path: Path) -> None:
    window = open_window(qtbot, tmp_path, with_account=False)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    qtbot.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=2000)


def test_f5_refreshes_only_when_refresh_is_possible(qtbot: QtBot, tmp_path: Path) -> None:
    window = open_window(qtbot, tmp_path)
    # No refresh token: the button and the action are off together.
    assert not window.refreshButton.isEnabled()
    assert not window.menu_actions.refresh.isEnabled()
    assert window.menu_actions.revoke.isEnabled()


@pytest.mark.parametrize(
    ("trigger", "words"),
    [
        (lambda w: w.menu_actions.revoke.trigger(), ["At Work:", "revoke", "stays in the list"]),
        (lambda w: w.revokeButton.click(), ["At Work:", "revoke", "stays in the list"]),
        (lambda w: w.menu_actions.remove.trigger(), ["At Work:", "leaves the list"]),
        (lambda w: w.accountsPanel.removeButton.click(), ["At Work:", "leaves the list"]),
    ],
)
def test_cancelling_a_confirmation_changes_nothing(
    qtbot: QtBot, tmp_path: Path, trigger: Callable[[MainWindow], None], words: list[str]
) -> None:
    window = open_window(qtbot, tmp_path)
    before = (tmp_path / "config.json").read_bytes()
    statuses: list[str] = []
    window.controller.status_message.connect(statuses.append)
    seen: list[str] = []
    answer_dialog(qtbot, "cancelConfirmButton", seen)
    # The controller's revoke and remove say busy(True) before they return, so a
    # count of that signal around the trigger tells whether one started: no waiting.
    with qtbot.assertNotEmitted(window.controller.busy):
        trigger(window)
    assert len(seen) == 1
    assert "ann@example.test" in seen[0]
    for word in words:
        assert word in seen[0]
    assert statuses == []
    assert (tmp_path / "config.json").read_bytes() == before


def test_confirming_revoke_marks_the_account_revoked(qtbot: QtBot, tmp_path: Path) -> None:
    window = open_window(qtbot, tmp_path)
    seen: list[str] = []
    answer_dialog(qtbot, "confirmButton", seen)
    window.menu_actions.revoke.trigger()
    qtbot.waitUntil(lambda: stored_accounts(tmp_path)[0]["status"] == "revoked", timeout=5000)
    assert seen


def test_confirming_remove_forgets_the_account(qtbot: QtBot, tmp_path: Path) -> None:
    window = open_window(qtbot, tmp_path)
    seen: list[str] = []
    answer_dialog(qtbot, "confirmButton", seen)
    window.menu_actions.remove.trigger()
    qtbot.waitUntil(lambda: stored_accounts(tmp_path) == [], timeout=5000)
    qtbot.waitUntil(lambda: window.accountsList.count() == 0, timeout=5000)


def test_about_names_version_folders_and_keyring(qtbot: QtBot, tmp_path: Path) -> None:
    window = open_window(qtbot, tmp_path, with_account=False)
    qtbot.waitUntil(lambda: window.controller.ready, timeout=5000)
    with qtbot.waitSignal(window.controller.aboutReady, timeout=5000):
        window.menu_actions.about.trigger()
    box = window.findChild(QMessageBox, "aboutDialog")
    assert box is not None
    text = box.text()
    assert "desktop-oauth 0.1.0" in text
    assert f"Settings folder: {tmp_path}" in text
    assert "Log folder: " in text
    # The test profile has no keyring: words for the person, no backend class name.
    assert "Keyring: none found (tokens are kept in memory until the app closes)" in text
    assert "fail" not in text
    box.close()


def test_the_redirect_and_a_second_launch_bring_the_window_forward(
    qtbot: QtBot, tmp_path: Path
) -> None:
    from PySide6.QtWidgets import QWidget

    window = open_window(qtbot, tmp_path, with_account=False)
    other = QWidget()
    qtbot.addWidget(other)
    for bring in (
        window.controller.redirected.emit,
        lambda: window.handle_launch(["gui"]),
    ):
        window.showMinimized()
        other.show()
        other.activateWindow()
        qtbot.waitUntil(other.isActiveWindow, timeout=2000)
        bring()
        qtbot.waitUntil(window.isActiveWindow, timeout=2000)
        assert not window.isMinimized()
