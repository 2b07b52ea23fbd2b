"""Starting the window."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import APP_ID, APP_NAME, __version__

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication, QWidget

    from .core.accounts import AccountService
    from .core.flow_log import FlowLog
    from .qt.single_instance import SingleInstance
    from .ui.main_window import MainWindow

#: Start the controller by then even if the window has not painted (hidden, minimised).
_START_AT_THE_LATEST_MS = 1000


def missing_display(environ: Mapping[str, str], platform: str = sys.platform) -> str | None:
    """Why Qt could not open a window here, or None when it can.

    Qt aborts the whole process when it finds no display; saying so in one line
    is kinder.
    """
    if not platform.startswith("linux"):
        return None
    qpa = environ.get("QT_QPA_PLATFORM", "")
    if qpa.startswith(("offscreen", "minimal", "vnc", "eglfs", "linuxfb")):
        return None
    has_x = bool(environ.get("DISPLAY"))
    has_wayland = bool(environ.get("WAYLAND_DISPLAY"))
    if qpa.startswith("xcb") and not has_x:
        return "QT_QPA_PLATFORM is xcb but DISPLAY is not set"
    if qpa.startswith("wayland") and not has_wayland:
        return "QT_QPA_PLATFORM is wayland but WAYLAND_DISPLAY is not set"
    if not qpa and not has_x and not has_wayland:
        return "no display found (neither DISPLAY nor WAYLAND_DISPLAY is set)"
    return None


def run_gui(argv: Sequence[str], connect_on_start: str | None = None) -> int:
    """Open the window and run until it closes. Returns the exit status.

    Args:
        argv: Arguments for Qt.
        connect_on_start: A provider to start connecting as soon as the
            settings are loaded (``desktop-oauth gui --connect PROVIDER``).
    """
    reason = missing_display(os.environ)
    if reason is not None:
        print(
            f"{APP_NAME}: cannot open a window: {reason}. Run it in a desktop session, "
            "or set QT_QPA_PLATFORM=offscreen to run without one.",
            file=sys.stderr,
        )
        return 1

    from .qt.handover import hand_over, server_name

    launch_args = ["gui", "--connect", connect_on_start] if connect_on_start else ["gui"]
    home = _profile_home()
    name = server_name(home)
    if hand_over(name, launch_args):
        # The running window of this profile took the launch and comes forward.
        return 0
    listening: list[SingleInstance] = []

    def listen(window: MainWindow) -> None:
        # Right after the first frame: QtNetwork alone cost about 10 ms before it
        # (docs/performance.md, "Start-up"). A launch made between the hand-over
        # above and this call opens a window of its own, as two launches made at
        # the same instant always could.
        from .qt.single_instance import SingleInstance

        instance = SingleInstance(name, window)
        instance.launched.connect(window.handle_launch)
        instance.listen()
        listening.append(instance)

    # The window lives as long as this frame.
    app, window = build_window(argv, home=home, first_frame=listen)
    if connect_on_start:
        window.connect_when_loaded(connect_on_start)
    try:
        return app.exec()
    finally:
        for instance in listening:
            instance.close()


def _profile_home() -> Path:
    from .core.profile import Profile

    return Profile.from_environment().home


def _application(argv: Sequence[str]) -> QApplication:
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication([sys.argv[0], *argv])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    QGuiApplication.setDesktopFileName(APP_ID)
    return app


def build_window(
    argv: Sequence[str],
    *,
    home: Path | None = None,
    first_frame: Callable[[MainWindow], None] | None = None,
) -> tuple[QApplication, MainWindow]:
    """Create the application and show the window; the accounts load in the background.

    The first frame is the window's shell (menus, provider row, status line, the
    panel area at its final size). Right after it has painted, ``first_frame`` is
    called with the window, then the controller and the panels are built into it;
    after the panels have painted, the controller starts loading the accounts
    (docs/performance.md, "Start-up").

    Args:
        home: The profile folder, when the caller has already found it.
    """
    # First, while PySide6 is not loaded yet: PySide6 reads the source of every
    # module imported after it (its __feature__ check), and the profile needs
    # none of it (docs/performance.md, "Start-up").
    if home is None:
        home = _profile_home()
    from .qt.collector import MainThreadCollector
    from .qt.window_state import WindowState
    from .ui.main_window import MainWindow

    app = _application(argv)
    MainThreadCollector(app)
    window = MainWindow(None, state=WindowState.of_profile(home))

    def attach() -> None:
        if first_frame is not None:
            first_frame(window)
        from .qt.controller import Controller

        controller = Controller(_account_service, known_scopes=_known_scopes)
        window.attach(controller)
        start_after_first_paint(window, controller.start)

    start_after_first_paint(window, attach)
    window.show()
    return app, window


def start_after_first_paint(
    window: QWidget, start: Callable[[], None], at_the_latest_ms: int = _START_AT_THE_LATEST_MS
) -> None:
    """Call ``start`` once ``window`` has painted its first frame.

    A zero timer set before the event loop runs fires before the first paint,
    and the worker it starts then imports HTTP and keyring code while the GUI
    thread paints, both wanting the GIL (docs/performance.md). Waiting for the
    first Paint event, then for the rest of that paint pass, keeps the first
    frame as quick as a bare window's. A window that never paints (minimised,
    no screen) still starts after ``at_the_latest_ms`` (one second; tests pass less).
    """
    from PySide6.QtCore import QEvent, QObject, QTimer

    class _FirstPaint(QObject):
        def __init__(self) -> None:
            super().__init__(window)
            self._started = False

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and not self._started:
                QTimer.singleShot(0, self.start_once)  # after the whole paint pass
            return False

        def start_once(self) -> None:
            if not self._started:
                self._started = True
                window.removeEventFilter(self)
                start()

    watcher = _FirstPaint()
    window.installEventFilter(watcher)
    QTimer.singleShot(at_the_latest_ms, watcher.start_once)


def _account_service(flow_log: FlowLog) -> AccountService:
    # Runs on a worker thread: the HTTP and keyring libraries load there, after
    # the window has painted. Operations record into the controller's flow log.
    from .services import open_account_service

    return open_account_service(flow_log=flow_log)


def _known_scopes(provider_name: str) -> Mapping[str, str]:
    # The built-in sandbox's own catalogue of scopes; loaded once an account shows.
    from .sandbox import SANDBOX_NAME, SCOPES

    if provider_name != SANDBOX_NAME:
        return {}
    return {name: scope.description for name, scope in SCOPES.items()}
