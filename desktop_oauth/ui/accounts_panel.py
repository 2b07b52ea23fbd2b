"""The accounts column: every connected account with its state, and what can be done to it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QGridLayout,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .history_panel import HistoryPanel
from .plain_text import plain_label, plain_tooltip
from .widgets import button

if TYPE_CHECKING:
    from ..core.account_state import AccountSummary
    from ..core.config import AccountRecord
    from ..core.history import AccountHistory

ACCOUNT_ID_ROLE = Qt.ItemDataRole.UserRole
#: Badge colour per state: the words beside it say the same, for those who
#: cannot tell the colours apart.
_BADGES = {
    "connected": "#2e7d32",
    "expired": "#b26a00",
    "needs sign-in again": "#b26a00",
}
_REVOKED_BADGE = "#9e9e9e"
BADGE_SIZE = 12


def badge(state: str) -> QIcon:
    """A round badge in the colour of ``state`` (grey for revoked states)."""
    pixmap = QPixmap(BADGE_SIZE, BADGE_SIZE)
    pixmap.fill(QColor(0, 0, 0, 0))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(_BADGES.get(state, _REVOKED_BADGE)))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(1, 1, BADGE_SIZE - 2, BADGE_SIZE - 2)
    painter.end()
    return QIcon(pixmap)


def in_display_order(records: tuple[AccountRecord, ...]) -> list[AccountRecord]:
    """Accounts by provider, then by name (then id, so the order never changes)."""
    return sorted(records, key=lambda r: (r.provider.casefold(), r.display_name.casefold(), r.id))


class AccountsPanel(QWidget):
    """The list of accounts and the buttons that act on the selected one.

    Signals:
        selected(str): the person picked an account (its id).
    """

    selected = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.accountsList = QListWidget()
        self.accountsList.setObjectName("accountsList")
        self.accountsList.setAccessibleName("Connected accounts")
        # Long names are elided (the tooltip holds the whole line); the state comes
        # first on its line so that it is the part that always shows.
        self.accountsList.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.accountsList.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.accountsList.setIconSize(QSize(BADGE_SIZE, BADGE_SIZE))
        self.accountsList.setUniformItemSizes(True)
        self.refreshButton = button("Refresh", "refreshButton", "Refresh the access token")
        self.revokeButton = button("Revoke", "revokeButton", "Revoke access at the provider")
        self.removeButton = button("Remove", "removeButton", "Revoke and forget the account")
        self.reconnectButton = button(
            "Sign in again", "reconnectButton", "Sign in again to this account"
        )
        self.scopesButton = button(
            "Change scopes…", "changeScopesButton", "Ask for more or fewer scopes"
        )
        buttons = QGridLayout()
        buttons.addWidget(self.refreshButton, 0, 0)
        buttons.addWidget(self.revokeButton, 0, 1)
        buttons.addWidget(self.reconnectButton, 1, 0)
        buttons.addWidget(self.scopesButton, 1, 1)
        buttons.addWidget(self.removeButton, 2, 0, 1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(plain_label("Accounts"))
        self.emptyHint = plain_label(
            "No account yet. Pick a provider above and press Connect: "
            "the sandbox needs no account anywhere."
        )
        self.emptyHint.setObjectName("accountsEmptyHint")
        self.emptyHint.setWordWrap(True)
        layout.addWidget(self.emptyHint)
        layout.addWidget(self.accountsList, 1)
        layout.addLayout(buttons)
        self.historyPanel = HistoryPanel()
        layout.addWidget(self.historyPanel)
        self._records: dict[str, AccountRecord] = {}
        self.accountsList.currentItemChanged.connect(self._picked)
        self.enable_for(None, busy=False)

    def show_accounts(self, summaries: tuple[AccountSummary, ...], current: str | None) -> None:
        """List the accounts with their states, keeping ``current`` selected."""
        records = tuple(s.record for s in summaries)
        self._records = {r.id: r for r in records}
        self.emptyHint.setVisible(not records)
        self.accountsList.blockSignals(True)
        self.accountsList.clear()
        by_id = {s.record.id: s for s in summaries}
        for record in in_display_order(records):
            summary = by_id[record.id]
            state = summary.label
            item = QListWidgetItem(
                badge(summary.state), f"{record.display_name}\n{state} · {record.provider}"
            )
            item.setData(ACCOUNT_ID_ROLE, record.id)
            item.setToolTip(plain_tooltip(f"{record.display_name}\n{record.provider}: {state}"))
            self.accountsList.addItem(item)
            if record.id == current:
                self.accountsList.setCurrentItem(item)
        self.accountsList.blockSignals(False)
        if self.selected_id() is None:
            self.historyPanel.clear()

    def show_history(self, history: AccountHistory) -> None:
        """Show ``history`` if it is the selected account's (a late answer about an
        account no longer selected is dropped)."""
        if history.account_id == self.selected_id():
            self.historyPanel.show_history(history)

    def selected_id(self) -> str | None:
        """The id of the selected account, if any."""
        item = self.accountsList.currentItem()
        return None if item is None else str(item.data(ACCOUNT_ID_ROLE))

    def select(self, account_id: str) -> None:
        """Mark ``account_id`` selected without announcing it."""
        for row in range(self.accountsList.count()):
            item = self.accountsList.item(row)
            if item.data(ACCOUNT_ID_ROLE) == account_id:
                self.accountsList.blockSignals(True)
                self.accountsList.setCurrentItem(item)
                self.accountsList.blockSignals(False)

    def enable_for(self, record: AccountRecord | None, *, busy: bool) -> None:
        """Enable the buttons that make sense for ``record`` right now."""
        connected = record is not None and record.status == "connected"
        self.refreshButton.setEnabled(
            connected and not busy and bool(record and record.has_refresh_token)
        )
        self.revokeButton.setEnabled(connected and not busy)
        self.scopesButton.setEnabled(record is not None and not busy)
        self.removeButton.setEnabled(record is not None and not busy)
        self.reconnectButton.setEnabled(record is not None and not busy)
        self.reconnectButton.setVisible(record is not None and not connected)

    def record(self, account_id: str) -> AccountRecord | None:
        """The listed record of ``account_id``."""
        return self._records.get(account_id)

    def _picked(self, item: QListWidgetItem | None) -> None:
        if item is not None:
            if self.historyPanel.account_id != item.data(ACCOUNT_ID_ROLE):
                self.historyPanel.clear("Loading the history…")
            self.selected.emit(str(item.data(ACCOUNT_ID_ROLE)))
