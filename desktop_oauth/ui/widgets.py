"""Small helpers shared by the widgets."""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton


def button(text: str, name: str, accessible: str) -> QPushButton:
    """A push button that tests and assistive technology find by name."""
    widget = QPushButton(text)
    widget.setObjectName(name)
    widget.setAccessibleName(accessible)
    return widget
