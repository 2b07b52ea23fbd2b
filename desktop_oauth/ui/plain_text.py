"""The one way provider text reaches a widget: as plain text, never as rich text.

Qt shows a string as HTML when ``Qt.mightBeRichText`` guesses so (AutoText, the
default of QLabel, QMessageBox and tool tips). Provider text is untrusted
(docs/security.md, finding 3): a token error carrying ``<a href=…>`` became a
clickable link in the error dialog. Every label that can show provider text is
made here, with PlainText, no external links and no link interaction.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

#: Text may be selected and copied, links are never followed.
_INTERACTION = Qt.TextInteractionFlag.TextSelectableByMouse


def make_plain(label: QLabel) -> QLabel:
    """Make ``label`` show its text literally, whatever the text looks like."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setOpenExternalLinks(False)
    label.setTextInteractionFlags(_INTERACTION)
    return label


def plain_label(text: str = "") -> QLabel:
    """A new label that shows ``text`` (and every later text) as plain text."""
    return make_plain(QLabel(text))


def plain_tooltip(text: str) -> str:
    """``text`` as a tool tip that shows literally (tool tips have no text format of
    their own: escaped HTML in a pre-wrap paragraph shows exactly the characters)."""
    return f"<p style='white-space:pre-wrap'>{html.escape(text)}</p>"


def plain_message(
    parent: QWidget,
    title: str,
    text: str,
    icon: QMessageBox.Icon = QMessageBox.Icon.Warning,
) -> QMessageBox:
    """Open a window-modal message box showing ``text`` as plain text; returns it.

    It is opened with ``open()``, not ``exec()``: the GUI thread keeps running its
    own event loop, and the box deletes itself when closed.
    """
    box = QMessageBox(icon, title, "", QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("messageDialog")
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setTextInteractionFlags(_INTERACTION)
    box.setText(text)
    for label in box.findChildren(QLabel):
        if label.text() == text:
            make_plain(label)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def make_all_plain(root: QWidget, *, except_names: tuple[str, ...] = ()) -> None:
    """Make every label under ``root`` plain text (form-row labels included), except
    those whose objectName is in ``except_names`` (the app's own rich help text)."""
    for label in root.findChildren(QLabel):
        if label.objectName() not in except_names:
            make_plain(label)
