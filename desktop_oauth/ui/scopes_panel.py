"""The permissions panel: requested and granted scopes side by side, each with what
it lets the application do."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QGroupBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .plain_text import plain_label, plain_tooltip

_MISSING = QColor("#fde2e1")
_EXTRA = QColor("#fff4ce")


class ScopesPanel(QGroupBox):
    """One row per scope: whether it was requested, and whether it was granted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Permissions", parent)
        self.setObjectName("scopesPanel")
        self.setAccessibleName("Permissions: requested and granted scopes")
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("scopesTable")
        self.table.setHorizontalHeaderLabels(["Scope", "Asked", "Granted", "What it allows"])
        header = self.table.horizontalHeader()
        # Names and yes/no are never cut; the description wraps in what is left.
        for column in (0, 1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.summary = plain_label("")
        self.summary.setObjectName("scopesSummary")
        self.summary.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.summary)

    def show_scopes(
        self,
        requested: tuple[str, ...],
        granted: tuple[str, ...],
        previous: tuple[str, ...] | None = None,
        descriptions: Mapping[str, str] | None = None,
        *,
        ended: str = "",
    ) -> None:
        """Fill the table; rows that differ are highlighted and summarised.

        Args:
            previous: What the consent before the last one granted, if any, so
                that what changed at the last consent can be named.
            descriptions: Scope name to what it allows, in plain words.
            ended: Why nothing is granted any more ("revoked", "signed out"), for an
                account that holds no grant: what it held is shown as no longer granted.
        """
        from ..core.scope_catalog import describe

        table = descriptions or {}
        if ended:
            self._show_ended(requested, granted, ended, table)
            return
        scopes = list(dict.fromkeys((*requested, *granted)))
        self.table.setRowCount(len(scopes))
        for row, scope in enumerate(scopes):
            asked, got = scope in requested, scope in granted
            cells = [
                scope,
                "yes" if asked else "no",
                "yes" if got else "no",
                describe(scope, table),
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 3:
                    item.setToolTip(plain_tooltip(text))
                if asked and not got:
                    item.setBackground(QBrush(_MISSING))
                    item.setToolTip("Requested but not granted")
                elif got and not asked:
                    item.setBackground(QBrush(_EXTRA))
                    item.setToolTip("Granted without being requested")
                self.table.setItem(row, column, item)
        missing = [s for s in requested if s not in granted]
        extra = [s for s in granted if s not in requested]
        notes = []
        if missing:
            notes.append("Requested but not granted: " + ", ".join(missing) + ".")
        if extra:
            notes.append("Granted without being requested: " + ", ".join(extra) + ".")
        if not scopes:
            notes.append("")
        elif not notes:
            notes.append("Everything requested was granted.")
        if previous is not None and set(previous) != set(granted):
            added = [s for s in granted if s not in previous]
            removed = [s for s in previous if s not in granted]
            change = []
            if added:
                change.append("now also granted: " + ", ".join(added))
            if removed:
                change.append("no longer granted: " + ", ".join(removed))
            notes.append("At the last consent, " + "; ".join(change) + ".")
        self.summary.setText(" ".join(notes))
        self._keep_names_whole()

    def _keep_names_whole(self) -> None:
        """The panel is never narrower than its names and yes/no columns plus a
        readable description column, so a splitter cannot cut them."""
        fixed = 0
        for column in (0, 1, 2):
            self.table.resizeColumnToContents(column)
            fixed += self.table.horizontalHeader().sectionSize(column)
        description = self.fontMetrics().horizontalAdvance("m" * 12)
        margins = self.contentsMargins().left() + self.contentsMargins().right()
        frame = 2 * self.table.frameWidth() + self.table.verticalScrollBar().sizeHint().width()
        self.setMinimumWidth(fixed + description + margins + frame + 24)

    def _show_ended(
        self,
        requested: tuple[str, ...],
        former: tuple[str, ...],
        why: str,
        descriptions: Mapping[str, str],
    ) -> None:
        from ..core.scope_catalog import describe

        scopes = list(dict.fromkeys((*requested, *former)))
        self.table.setRowCount(len(scopes))
        for row, scope in enumerate(scopes):
            granted = f"no longer granted ({why})" if scope in former else "no"
            cells = [
                scope,
                "yes" if scope in requested else "no",
                granted,
                describe(scope, descriptions),
            ]
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        held = ", ".join(former) if former else "nothing"
        self.summary.setText(f"Nothing is granted now ({why}). Granted before: {held}.")
        self._keep_names_whole()

    def clear(self) -> None:
        """Show nothing."""
        self.table.setRowCount(0)
        self.summary.setText("")
