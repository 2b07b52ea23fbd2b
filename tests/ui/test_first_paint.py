"""Start-up order: the window paints before the accounts worker starts, and panels
that most launches never use are built only when first wanted (docs/performance.md)."""

from __future__ import annotations

import uuid
from pathlib import Path

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from desktop_oauth.app import start_after_first_paint
from desktop_oauth.core.accounts import AccountService
from desktop_oauth.core.profile import Profile
from desktop_oauth.qt.controller import Controller
from desktop_oauth.ui.main_window import MainWindow


class _Paints(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def test_the_start_waits_for_the_first_paint(qtbot: QtBot) -> None:
    window = QWidget()
    QLabel("Provider", window)
    qtbot.addWidget(window)
    paints = _Paints()
    window.installEventFilter(paints)
    painted_at_start: list[int] = []
    start_after_first_paint(window, lambda: painted_at_start.append(paints.count))
    window.show()
    qtbot.waitUntil(lambda: bool(painted_at_start), timeout=5_000)
    assert painted_at_start[0] >= 1  # the window had painted when the start ran
    window.update()
    qtbot.waitUntil(lambda: paints.count >= 2, timeout=5_000)
    assert len(painted_at_start) == 1  # later paints do not start it again


def test_a_window_that_never_paints_still_starts(qtbot: QtBot) -> None:
    window = QWidget()  # never shown
    qtbot.addWidget(window)
    started: list[bool] = []
    start_after_first_paint(window, lambda: started.append(True), at_the_latest_ms=50)
    qtbot.waitUntil(lambda: bool(started), timeout=5_000)
    assert started == [True]


def test_the_code_panel_is_built_when_first_wanted(qtbot: QtBot, tmp_path: Path) -> None:
    profile = Profile(home=tmp_path, keyring_service=f"desktop-oauth-test:{uuid.uuid4().hex}")
    window = MainWindow(
        Controller(
            lambda log: AccountService(profile, flow_log=log)
        ),  # not started: no keyring needed
        show_errors_in_dialogs=False,
    )
    qtbot.addWidget(window)
    window.show()
    assert window.findChild(QWidget, "devicePanel") is None
    panel = window.devicePanel
    assert panel.objectName() == "devicePanel"
    assert window.findChild(QWidget, "devicePanel") is panel
    assert not panel.isVisible()
    assert window.devicePanel is panel
