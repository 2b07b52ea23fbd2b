"""Start-up order: the window's shell paints first, the panels are built right after
it without moving anything, the accounts worker starts after that, and panels that
most launches never use are built only when first wanted (docs/performance.md)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPoint, QRect, QSize
from PySide6.QtWidgets import QLabel, QMenu, QWidget
from pytestqt.qtbot import QtBot

from desktop_oauth.app import start_after_first_paint
from desktop_oauth.core.accounts import AccountService
from desktop_oauth.core.profile import Profile
from desktop_oauth.qt.controller import Controller
from desktop_oauth.qt.window_state import WindowState
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


def _geometry_of(window: MainWindow) -> tuple[QRect, QPoint, QPoint]:
    status = window.statusLabel.mapTo(window, QPoint(0, 0))
    return window.geometry(), window.connectButton.mapTo(window, QPoint(0, 0)), status


@pytest.mark.parametrize("saved", [False, True], ids=["first-launch", "saved-layout"])
def test_the_panels_arrive_without_moving_the_first_frame(
    qtbot: QtBot, tmp_path: Path, saved: bool
) -> None:
    # The first frame is the shell; the panels are built into it after that frame
    # has painted (app.build_window). Nothing the person saw may move or resize.
    if saved:
        state = WindowState(tmp_path / "window.ini")
        earlier = MainWindow(_controller(tmp_path), state=state)
        qtbot.addWidget(earlier)
        earlier.show()
        earlier.setGeometry(20, 40, 700, 560)  # inside the 800x800 offscreen screen
        qtbot.waitExposed(earlier)
        earlier.close()
    window = MainWindow(None, state=WindowState(tmp_path / "window.ini"))
    qtbot.addWidget(window)
    paints = _Paints()
    window.installEventFilter(paints)
    built: list[tuple[QRect, QPoint, QPoint]] = []

    def attach() -> None:
        built.append(_geometry_of(window))  # as the first frame showed it
        window.attach(_controller(tmp_path))

    start_after_first_paint(window, attach)
    assert window.findChild(QWidget, "accountsList") is None  # only the shell so far
    window.show()
    qtbot.waitUntil(lambda: bool(built), timeout=5_000)
    assert paints.count >= 1
    assert window.findChild(QWidget, "accountsList") is not None
    for _ in range(5):  # every layout request and resize the panels posted
        QCoreApplication.sendPostedEvents()
        QCoreApplication.processEvents()
    assert _geometry_of(window) == built[0]
    if saved:
        assert window.geometry().size() == QSize(700, 560)


def test_the_shell_acts_on_nothing_until_the_panels_are_built(qtbot: QtBot, tmp_path: Path) -> None:
    window = MainWindow(None)
    qtbot.addWidget(window)
    buttons = (window.connectButton, window.deviceButton, window.addProviderButton)
    assert not any(b.isEnabled() for b in (*buttons, window.cancelButton))
    menus = window.menuBar().findChildren(QMenu)
    assert [m.title() for m in menus] == ["&File", "&Account", "&View", "&Help"]
    assert not any(m.actions() for m in menus)  # titles only: nothing to trigger
    window.attach(_controller(tmp_path))
    assert window.addProviderButton.isEnabled()  # as a window built whole has it
    assert window.menu_actions.add_provider.isEnabled()
    assert window.menu_actions.quit.isEnabled()


def test_the_first_frame_loads_neither_the_panels_nor_the_qt_namespace() -> None:
    # PySide6 builds every enum of its Qt namespace on first use (22-25 ms), and the
    # controller and panel modules take as long again: both wait for the first frame.
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from desktop_oauth.qt.window_state import WindowState\n"
        "from desktop_oauth.ui.main_window import MainWindow\n"
        "app = QApplication([])\n"
        "window = MainWindow(None)\n"
        "import PySide6.QtCore as core\n"
        "print('Qt' in vars(core), *sorted(m for m in sys.modules if m.startswith("
        "('desktop_oauth.qt.controller', 'desktop_oauth.ui.', 'desktop_oauth.core.'))))\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    loaded = done.stdout.split()
    assert loaded[0] == "False"  # the Qt namespace was never touched
    assert sorted(loaded[1:]) == [
        "desktop_oauth.ui.main_window",
        "desktop_oauth.ui.menus",
        "desktop_oauth.ui.widgets",
        "desktop_oauth.ui.window_fit",
    ]


def _controller(home: Path) -> Controller:
    profile = Profile(home=home, keyring_service=f"desktop-oauth-test:{uuid.uuid4().hex}")
    return Controller(lambda log: AccountService(profile, flow_log=log))  # not started


def test_the_launch_paints_before_it_listens_for_other_launches(tmp_path: Path) -> None:
    # What the desktop file runs (desktop-oauth with no arguments). QtNetwork, for the
    # single-instance server, and QAction, for the menus' actions, load after the first
    # frame (about 10 ms and 2 ms before it); the server still starts right after it.
    code = """
import sys
import desktop_oauth.app as app_module
build_window = app_module.build_window
seen = []
def watched(*args, **kwargs):
    app, window = build_window(*args, **kwargs)
    from PySide6.QtCore import QEvent, QObject, QTimer
    import PySide6.QtGui as gui
    class First(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint and not seen:
                seen.append(("PySide6.QtNetwork" in sys.modules, "QAction" in vars(gui)))
                poll.start(20)
            return False
    def listening():
        if "desktop_oauth.qt.single_instance" in sys.modules or poll.waited > 500:
            app.exit(0)
        poll.waited += 1
    poll = QTimer(window)
    poll.waited = 0
    poll.timeout.connect(listening)
    first = First(window)
    window.installEventFilter(first)
    return app, window
app_module.build_window = watched
from desktop_oauth.__main__ import main
main([])
print(*seen[0], "desktop_oauth.qt.single_instance" in sys.modules)
"""
    home = tmp_path / "profile"
    home.mkdir(mode=0o700)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DESKTOP_OAUTH_HOME=str(home))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    network_at_paint, action_at_paint, listening_after = done.stdout.split()
    assert network_at_paint == "False"
    assert action_at_paint == "False"
    assert listening_after == "True"
