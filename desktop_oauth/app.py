"""Starting the window."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from . import APP_ID, APP_NAME, __version__

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from .core.accounts import AccountService
    from .ui.main_window import MainWindow


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

    app, window = build_window(argv)  # the window lives as long as this frame
    if connect_on_start:
        connect_when_loaded(window, connect_on_start)
    return app.exec()


def connect_when_loaded(window: MainWindow, provider: str) -> None:
    """Start connecting at ``provider`` once the window's settings have loaded
    (``desktop-oauth gui --connect PROVIDER``)."""
    started = False

    def connect_once(_config: object) -> None:
        nonlocal started
        if not started:
            started = True
            window.providerCombo.setCurrentText(provider)
            window.controller.connect_provider(provider)

    window.controller.configLoaded.connect(connect_once)


def build_window(argv: Sequence[str]) -> tuple[QApplication, MainWindow]:
    """Create the application and show the window; the accounts load in the background."""
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from .qt.collector import MainThreadCollector
    from .qt.controller import Controller
    from .ui.main_window import MainWindow

    app = QApplication([sys.argv[0], *argv])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    QGuiApplication.setDesktopFileName(APP_ID)
    MainThreadCollector(app)
    controller = Controller(_account_service)
    window = MainWindow(controller)
    window.show()
    # Load accounts once the event loop runs, so the worker thread's imports
    # (HTTP, keyring) do not compete with the first paint.
    QTimer.singleShot(0, controller.start)
    return app, window


def _account_service() -> AccountService:
    # Runs on a worker thread: the HTTP and keyring libraries load there, after
    # the window has painted.
    from .services import open_account_service

    return open_account_service()
