"""The permissions panel: requested and granted scopes side by side, each with what
it lets the application do."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QGroupBox,
    QHeaderView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .plain_text import plain_label, plain_tooltip

_MISSING = QColor("#fde2e1")
_EXTRA = QColor("#fff4ce")
#: The widest text each of the first three columns grows to before wrapping: the
#: usual scope names ("offline_access", "read:org") show whole, URL-like ones
#: are cut in the middle, and "no longer granted (signed out)" takes two lines.
_CAPS = ("offline_access.read", "Asked", "no longer granted")
#: The narrowest the description column gets (it wraps in what it has).
_DESCRIPTION_MIN = "m" * 10


class ElideMiddle(QStyledItemDelegate):
    """One line, cut in the middle when too long: URL-like scope names have no space
    to wrap at (wrapped, they were cut at the column's edge), and their start and
    end are what tell them apart. The cell's tooltip holds the whole name."""

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle
        option.features &= ~QStyleOptionViewItem.ViewItemFeature.WrapText


def _cell(text: str) -> QTableWidgetItem:
    """A read-only cell whose tooltip holds its whole text (a cell may wrap)."""
    item = QTableWidgetItem(text)
    item.setToolTip(plain_tooltip(text))
    return item


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
        # Names and yes/no columns are as wide as their text up to a cap, set from the
        # text itself (_fit_columns); a longer name is cut in the middle, longer
        # yes/no text wraps, as does the description in what is left. No text ever
        # widens the window.
        for column in (0, 1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Always on: shown only when needed, a short table toggled it in a loop (each
        # toggle changed the viewport's width, the wrapped rows were measured again,
        # which changed whether it was needed): hundreds of resizes per change.
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.table.verticalHeader().setVisible(False)
        self._names = ElideMiddle(self.table)
        self.table.setItemDelegateForColumn(0, self._names)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.summary = plain_label("")
        self.summary.setObjectName("scopesSummary")
        self.summary.setWordWrap(True)
        self._layout = QVBoxLayout(self)
        self._layout.addWidget(self.table)
        self._layout.addWidget(self.summary)
        self._fit_sections()  # the empty table too: its headings show whole

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
                item = _cell(text)
                if asked and not got:
                    item.setBackground(QBrush(_MISSING))
                    item.setToolTip(plain_tooltip(f"{text}\nRequested but not granted"))
                elif got and not asked:
                    item.setBackground(QBrush(_EXTRA))
                    item.setToolTip(plain_tooltip(f"{text}\nGranted without being requested"))
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
        self._fit_columns()

    def _fit_sections(self) -> None:
        """Each of the first three columns as wide as its heading or its widest text,
        whichever is wider, but the text no wider than its cap."""
        metrics = self.table.fontMetrics()
        style = self.table.style()
        margin = 2 * (style.pixelMetric(style.PixelMetric.PM_FocusFrameHMargin) + 1) + 2
        header = self.table.horizontalHeader()
        caps = [metrics.horizontalAdvance(text) + margin for text in _CAPS]
        for column, cap in enumerate(caps):
            texts = [
                item.text()
                for row in range(self.table.rowCount())
                if (item := self.table.item(row, column)) is not None
            ]
            widest = max((metrics.horizontalAdvance(text) + margin for text in texts), default=0)
            header.resizeSection(column, max(header.sectionSizeHint(column), min(widest, cap)))

    def _fit_columns(self) -> None:
        """Each of the first three columns as wide as its widest text, at most its cap;
        the panel's minimum width is their sum plus a readable description column, so
        a splitter cannot cut them and no scope name can make the window wider than
        the caps allow."""
        self._fit_sections()
        metrics = self.table.fontMetrics()
        header = self.table.horizontalHeader()
        fixed = sum(header.sectionSize(column) for column in range(len(_CAPS)))
        description = metrics.horizontalAdvance(_DESCRIPTION_MIN)
        margins = sum(
            m.left() + m.right() for m in (self.contentsMargins(), self._layout.contentsMargins())
        )
        frame = 2 * self.table.frameWidth() + self.table.verticalScrollBar().sizeHint().width()
        self.setMinimumWidth(fixed + description + margins + frame + 2)

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
                self.table.setItem(row, column, _cell(text))
        held = ", ".join(former) if former else "nothing"
        self.summary.setText(f"Nothing is granted now ({why}). Granted before: {held}.")
        self._fit_columns()

    def clear(self) -> None:
        """Show nothing."""
        self.table.setRowCount(0)
        self.summary.setText("")
