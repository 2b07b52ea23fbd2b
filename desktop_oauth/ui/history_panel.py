"""The selected account's history, under the accounts list: one plain item per event,
newest first, in local time with the zone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from .plain_text import plain_label, plain_tooltip

if TYPE_CHECKING:
    from ..core.history import AccountHistory

#: Lines of text shown before the list scrolls: compact under the buttons.
VISIBLE_LINES = 8


class HistoryPanel(QWidget):
    """What happened to one account (connected, scopes changed, refreshed, ...).

    Provider text (reasons) is shown as the items' plain text, never as rich text.
    """

    def __init__(self) -> None:
        super().__init__()
        self.title = plain_label("History")
        self.list = QListWidget()
        self.list.setObjectName("historyList")
        self.list.setAccessibleName("Account history")
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setAlternatingRowColors(True)  # one event from the next
        line = self.list.fontMetrics().lineSpacing()
        self.list.setMaximumHeight((line + 2) * VISIBLE_LINES + 2 * self.list.frameWidth())
        self.empty = plain_label("")
        self.empty.setObjectName("historyEmpty")
        self.empty.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.empty)
        layout.addWidget(self.list)
        self.account_id: str | None = None
        self.clear()

    def clear(self, message: str = "Select an account to see its history.") -> None:
        """Show no history, and ``message`` instead."""
        self.account_id = None
        self.list.clear()
        self.list.hide()
        self.empty.setText(message)
        self.empty.show()

    def show_history(self, history: AccountHistory) -> None:
        """List ``history``'s entries, newest first: the time and the event on one line,
        the details on the next (whole in the item's tooltip)."""
        self.account_id = history.account_id
        self.list.clear()
        if not history.entries:
            self.clear("Nothing is recorded for this account yet.")
            self.account_id = history.account_id
            return
        for entry in reversed(history.entries):
            line = f"{entry.local_time} · {entry.kind.label}"
            if entry.detail:
                line += f"\n{entry.detail}"
            item = QListWidgetItem(line)
            item.setToolTip(plain_tooltip(line))
            self.list.addItem(item)
        self.empty.hide()
        self.list.show()

    def lines(self) -> list[str]:
        """The items' text, newest first."""
        return [self.list.item(row).text() for row in range(self.list.count())]
