"""The About box: the version and where this installation keeps things."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from .. import APP_NAME
from ..qt.about import About


def about_text(about: About) -> str:
    """The About box's lines."""
    return (
        f"{APP_NAME} {about.version}\n\n"
        f"Settings folder: {about.config_folder}\n"
        f"Log folder: {about.log_folder}\n"
        f"Keyring: {about.keyring_backend}"
    )


def show_about(parent: QWidget, about: About) -> QMessageBox:
    """Open the About box (not modal: the window stays usable)."""
    box = QMessageBox(parent)
    box.setObjectName("aboutDialog")
    box.setWindowTitle(f"About {APP_NAME}")
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(about_text(about))
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
