"""A window that fits its screen, and comes back as it was left."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import QMainWindow, QSplitter

from ..qt.window_state import WindowState

#: What the window asks for when the screen has room (frame excluded).
PREFERRED = QSize(1180, 720)
#: Below this the panels stop being readable.
MINIMUM = QSize(900, 560)


def fit_to_screen(window: QMainWindow) -> None:
    """Size ``window`` to the preferred size or the screen's available area, whichever
    is smaller (title bar and panels included), and centre it there."""
    screen = window.screen()
    available = screen.availableGeometry() if screen is not None else QRect(0, 0, 1366, 768)
    # The frame (title bar, borders) is unknown before the first show: keep a margin.
    room = available.size() - QSize(16, 48)
    size = PREFERRED.boundedTo(room).expandedTo(MINIMUM.boundedTo(room))
    window.resize(size)
    frame = QRect(available.topLeft(), size)
    frame.moveCenter(available.center())
    window.move(frame.topLeft())


def keep_on_screen(window: QMainWindow) -> None:
    """Move and shrink ``window`` back inside the available area of its screen."""
    screen = window.screen()
    if screen is None:
        return
    available = screen.availableGeometry()
    frame = window.frameGeometry()
    if available.contains(frame):
        return
    extra = frame.size() - window.size()
    size = window.size().boundedTo(available.size() - extra)
    window.resize(size)
    outer = size + extra
    left = min(frame.left(), available.right() + 1 - outer.width())
    top = min(frame.top(), available.bottom() + 1 - outer.height())
    window.move(max(left, available.left()), max(top, available.top()))


def restore(window: QMainWindow, state: WindowState, splitters: dict[str, QSplitter]) -> None:
    """Put ``window`` back as it was saved, or fit it to the screen the first time."""
    restore_geometry(window, state)
    restore_splitters(state, splitters)


def restore_geometry(window: QMainWindow, state: WindowState) -> None:
    """Put ``window``'s size and place back as saved, or fit it to the screen."""
    geometry = state.blob("geometry")
    if geometry is None or not window.restoreGeometry(geometry):
        fit_to_screen(window)
    else:
        keep_on_screen(window)


def restore_splitters(state: WindowState, splitters: dict[str, QSplitter]) -> None:
    """Put the splitters' sizes back as saved."""
    for name, splitter in splitters.items():
        saved = state.blob(f"splitter/{name}")
        if saved is not None:
            splitter.restoreState(saved)


def remember(window: QMainWindow, state: WindowState, splitters: dict[str, QSplitter]) -> None:
    """Save ``window``'s geometry and splitter sizes."""
    state.set("geometry", window.saveGeometry())
    for name, splitter in splitters.items():
        state.set(f"splitter/{name}", splitter.saveState())
    state.save()
