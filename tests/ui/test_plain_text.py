"""Finding 3 of the security review (docs/security.md): provider text rendered as
rich text. A token error carrying ``<a href=…>`` showed as a clickable link in the
error dialog. Every provider string is now shown as plain text."""

from __future__ import annotations

import uuid
from pathlib import Path

import keyring.backends.fail
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import Qt
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox
from pytestqt.qtbot import QtBot

from desktop_oauth.core.accounts import AccountService
from desktop_oauth.core.errors import TokenError
from desktop_oauth.core.exchange import post_token_request
from desktop_oauth.core.http import new_session
from desktop_oauth.core.profile import Profile
from desktop_oauth.core.token_store import TokenStore
from desktop_oauth.qt.controller import Controller
from desktop_oauth.ui.main_window import MainWindow
from desktop_oauth.ui.plain_text import plain_tooltip
from tests.standins.server import Reply, Request, StandInServer, serving

LINK = '<a href="https://evil.example/fix">Click here to fix your account</a>'


def provider_error_text() -> str:
    """The message a real token call gives for a hostile provider's error_description."""

    def hostile(request: Request) -> Reply:
        return Reply.json({"error": LINK, "error_description": LINK}, 400)

    with serving(StandInServer(hostile)) as provider, new_session() as http:
        with pytest.raises(TokenError) as caught:
            post_token_request(http, f"{provider.url}/token", "grant_type=x", "app")
    message = str(caught.value)
    assert LINK in message and Qt.mightBeRichText(message)
    return message


def make_window(qtbot: QtBot, home: Path) -> MainWindow:
    profile = Profile(home=home, keyring_service=f"desktop-oauth-test:{uuid.uuid4().hex}")
    store = TokenStore("t", keyring.backends.fail.Keyring())
    controller = Controller(lambda log: AccountService(profile, store=store, flow_log=log))
    window = MainWindow(controller, show_errors_in_dialogs=True)
    qtbot.addWidget(window)
    window.show()
    controller.start()
    return window


def test_the_error_dialog_shows_provider_html_as_text(qtbot: QtBot, tmp_path: Path) -> None:
    message = provider_error_text()
    window = make_window(qtbot, tmp_path / "home")
    seen: list[dict[str, object]] = []

    def inspect() -> None:
        # Runs inside a modal exec() too, so the test reports instead of hanging.
        boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
        for box in boxes:
            labels = [label for label in box.findChildren(QLabel) if LINK in label.text()]
            seen.append(
                {
                    "format": box.textFormat(),
                    "labels": [
                        (label.textFormat(), label.openExternalLinks(), label.hasSelectedText())
                        for label in labels
                    ],
                    "flags": [label.textInteractionFlags() for label in labels],
                    "image": box.grab().toImage().isNull(),
                }
            )
            box.close()

    QTimer.singleShot(200, inspect)
    window.controller.errorShown.emit(message)
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    [dialog] = seen
    assert dialog["image"] is False  # it was really rendered
    assert dialog["format"] == Qt.TextFormat.PlainText
    [(text_format, external_links, _)] = dialog["labels"]  # type: ignore[misc]
    assert text_format == Qt.TextFormat.PlainText
    assert external_links is False
    [flags] = dialog["flags"]  # type: ignore[misc]
    assert not flags & Qt.TextInteractionFlag.LinksAccessibleByMouse


def test_every_label_of_the_window_is_plain_text(qtbot: QtBot, tmp_path: Path) -> None:
    window = make_window(qtbot, tmp_path / "home")
    labels = window.findChildren(QLabel)
    assert len(labels) >= 10
    for label in labels:
        original = label.text()
        label.setText(LINK)  # whatever a provider could put there
        assert label.textFormat() == Qt.TextFormat.PlainText, (label.objectName(), original)
        assert not label.openExternalLinks()


def test_tool_tips_show_provider_text_literally() -> None:
    shown = plain_tooltip(LINK)
    assert "<a " not in shown and "&lt;a href=" in shown


def test_every_label_of_the_provider_dialog_but_the_app_help_is_plain(
    qtbot: QtBot, tmp_path: Path
) -> None:
    from desktop_oauth.ui.provider_dialog import ProviderDialog

    window = make_window(qtbot, tmp_path / "home")
    dialog = ProviderDialog(window.controller, window, taken_names=[])
    qtbot.addWidget(dialog)
    for label in dialog.findChildren(QLabel):
        if label.objectName() != "registrationHelp":
            assert label.textFormat() == Qt.TextFormat.PlainText, label.text()
