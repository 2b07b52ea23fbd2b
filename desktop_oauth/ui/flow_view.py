"""The flow view: what the selected account's last operation did, step by step.

Each step is named in words (the core's table, with the section of the RFC that
defines it), shows its state as a glyph and a word, its duration, and, expanded,
its HTTP exchanges as plain text: headers and bodies come from the provider and
are untrusted (docs/security.md, finding 3), so they never reach a rich-text
widget. The records hold no secret: the core redacts them before they exist.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QComboBox, QGroupBox, QScrollArea, QVBoxLayout, QWidget

from ..core.flow_log import OperationRecord
from .flow_step import REFERENCE_LABEL, StepRow, UrlOpener
from .plain_text import plain_label
from .times import local_time

__all__ = ["REFERENCE_LABEL", "FlowView", "StepRow", "UrlOpener", "operation_label"]


#: Operations are kept in memory only: after a restart the history lists what came before.
NOTHING_YET = (
    "Nothing has happened for this account since the app started. Its history lists earlier events."
)


def operation_label(record: OperationRecord) -> str:
    """``connect · 14:02:11 · failed at token`` for the chooser of operations."""
    if not record.finished:
        outcome = "running"
    elif record.failed_step is not None:
        outcome = f"failed at {record.failed_step.value}"
    elif record.error:
        outcome = "failed"
    else:
        outcome = "done"
    text = f"{record.operation.value} · {local_time(record.started_at, date=False)} · {outcome}"
    return text if record.account_id is not None else f"{text} (no account yet)"


class FlowView(QGroupBox):
    """The steps of one operation of the selected account; earlier ones in a chooser."""

    def __init__(
        self, open_url: UrlOpener = QDesktopServices.openUrl, parent: QWidget | None = None
    ) -> None:
        super().__init__("How it went, step by step", parent)
        self.setObjectName("flowView")
        self.setAccessibleName("Flow: the steps of the last operation")
        self._open_url = open_url
        self._records: list[OperationRecord] = []
        self._pinned: int | None = None  # an earlier operation the person chose
        self._shown_id: int | None = None
        self.rows: list[StepRow] = []

        self.operationCombo = QComboBox()
        self.operationCombo.setObjectName("flowOperationCombo")
        self.operationCombo.setAccessibleName("Operation")
        self.operationCombo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.operationCombo.setMinimumContentsLength(16)
        self.operationCombo.activated.connect(self._chosen)
        self.heading = plain_label(NOTHING_YET)
        self.heading.setObjectName("flowHeading")
        self.heading.setWordWrap(True)
        self._list = QWidget()
        self._list_layout = QVBoxLayout(self._list)
        self._list_layout.setContentsMargins(0, 0, 0, 0)
        self._list_layout.setSpacing(2)
        self._list_layout.addStretch(1)
        self.stepsArea = QScrollArea()
        self.stepsArea.setObjectName("flowScroll")
        self.stepsArea.setWidgetResizable(True)
        self.stepsArea.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Always there: a scroll bar that comes and goes changes the width the
        # wrapped step titles have, hence their height, hence the scroll bar again,
        # a layout loop that kept the GUI thread busy while a step waited.
        self.stepsArea.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.stepsArea.setWidget(self._list)
        # Its height does not depend on the steps (the scroll bar is always there):
        # fitting the expanded step to it cannot loop.
        self.stepsArea.viewport().installEventFilter(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.operationCombo)
        layout.addWidget(self.heading)
        layout.addWidget(self.stepsArea, 1)
        self.setMinimumWidth(240)

    # -- what to show -------------------------------------------------------------------
    @property
    def shown(self) -> OperationRecord | None:
        """The operation on screen."""
        return next((r for r in self._records if r.id == self._shown_id), None)

    def show_operations(self, records: Sequence[OperationRecord]) -> None:
        """Show the newest of ``records`` (oldest first), or the earlier one the person
        chose while it is still kept."""
        self._records = sorted(records, key=lambda r: r.id)
        ids = [r.id for r in self._records]
        if self._pinned not in ids:
            self._pinned = None
        self._fill_combo()
        if not self._records:
            self._show(None)
            return
        self._show(self._pinned if self._pinned is not None else ids[-1])

    def open_at_failure(self, record: OperationRecord) -> None:
        """Show ``record`` with its failed step expanded and in view."""
        if all(r.id != record.id for r in self._records):
            self._records.append(record)
        self._records = [record if r.id == record.id else r for r in self._records]
        self._pinned = record.id if record.id != self._records[-1].id else None
        self._fill_combo()
        self._show(record.id)
        failed = next((row for row in reversed(self.rows) if row.step == record.failed_step), None)
        if failed is not None:
            failed.set_expanded(True)
            failed.toggle.setFocus(Qt.FocusReason.OtherFocusReason)
            # Its top (words, state, the provider's answer) once laid out expanded.
            QTimer.singleShot(0, self, lambda: self._scroll_to(failed))

    def take_focus(self) -> None:
        """Put the keyboard in the view: on the chooser of operations when there is
        a choice, else on the first step's toggle (Tab goes on from there)."""
        if self.operationCombo.isEnabled():
            self.operationCombo.setFocus(Qt.FocusReason.ShortcutFocusReason)
        elif self.rows:
            self.rows[0].toggle.setFocus(Qt.FocusReason.ShortcutFocusReason)
        else:
            self.stepsArea.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _scroll_to(self, row: StepRow) -> None:
        if row in self.rows:
            self.stepsArea.verticalScrollBar().setValue(row.y())

    # -- inside -------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.stepsArea.viewport() and event.type() == QEvent.Type.Resize:
            for row in self.rows:
                row.fit_into(self.stepsArea.viewport().height())
        return super().eventFilter(watched, event)

    def _fill_combo(self) -> None:
        combo = self.operationCombo
        combo.blockSignals(True)
        combo.clear()
        for record in reversed(self._records):  # newest first
            combo.addItem(operation_label(record), record.id)
        combo.setEnabled(len(self._records) > 1)
        combo.blockSignals(False)

    def _chosen(self, index: int) -> None:
        chosen = self.operationCombo.itemData(index)
        newest = self._records[-1].id if self._records else None
        self._pinned = None if chosen == newest else chosen
        self._show(chosen)

    def _show(self, record_id: int | None) -> None:
        record = next((r for r in self._records if r.id == record_id), None)
        if record is None or record.id != self._shown_id:
            for row in self.rows:
                row.deleteLater()
            self.rows = []
        self._shown_id = record.id if record is not None else None
        if record is None:
            self.heading.setText(NOTHING_YET)
            return
        index = self.operationCombo.findData(record.id)
        if index >= 0:
            self.operationCombo.setCurrentIndex(index)
        self.heading.setText(_heading(record))
        while len(self.rows) > len(record.steps):  # an optional step dropped
            self.rows.pop().deleteLater()
        for number, step in enumerate(record.steps, start=1):
            if number > len(self.rows):
                row = StepRow(number, self._open_url)
                row.fit_into(self.stepsArea.viewport().height())
                self._list_layout.insertWidget(self._list_layout.count() - 1, row)
                row.show()  # now, not when the event loop next runs
                self.rows.append(row)
            self.rows[number - 1].show_step(step)


def _heading(record: OperationRecord) -> str:
    when = local_time(record.started_at)
    what = record.operation.value
    text = f"{what[:1].upper()}{what[1:]} at {record.provider}, {when}"
    if not record.finished:
        return f"{text}: under way."
    if record.failed_step is not None or record.error:
        return f"{text}: failed."
    return f"{text}: done."
