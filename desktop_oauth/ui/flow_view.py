"""The flow view: what the selected account's last operation did, step by step.

Each step is named in words (the core's table, with the section of the RFC that
defines it), shows its state as a glyph and a word, its duration, and, expanded,
its HTTP exchanges as plain text: headers and bodies come from the provider and
are untrusted (docs/security.md, finding 3), so they never reach a rich-text
widget. The records hold no secret: the core redacts them before they exist.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.flow_log import STEPS, OperationRecord, Step, StepRecord, StepState
from .flow_exchange import state_text, step_exchanges_text
from .plain_text import plain_label, plain_tooltip
from .times import local_time

#: Opens a specification's address in the person's browser.
UrlOpener = Callable[[QUrl], bool]
#: The one rich-text label kind here: a step's reference, from the app's own table.
REFERENCE_LABEL = "flowStepReference"


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


class StepRow(QFrame):
    """One step: its words, reference, state and duration; expanded, its exchanges."""

    def __init__(self, number: int, open_url: UrlOpener, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("flowStep")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._number = number
        self._open_url = open_url
        self._step: Step | None = None
        self._record: StepRecord | None = None
        self.toggle = QToolButton()
        self.toggle.setObjectName("flowStepToggle")
        self.toggle.setCheckable(True)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.toggle.toggled.connect(self.set_expanded)
        self.title = plain_label()
        self.title.setObjectName("flowStepTitle")
        self.title.setWordWrap(True)
        self.state = plain_label()
        self.state.setObjectName("flowStepState")
        self.state.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        # Rich text only for the app's own words (the references table, escaped);
        # the link opens the table's address, never one taken from a record.
        self.reference = QLabel()
        self.reference.setObjectName(REFERENCE_LABEL)
        self.reference.setTextFormat(Qt.TextFormat.RichText)
        self.reference.setOpenExternalLinks(False)
        self.reference.setWordWrap(True)
        self.reference.setTextInteractionFlags(
            Qt.TextInteractionFlag.LinksAccessibleByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        self.reference.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.reference.linkActivated.connect(self._open_reference)
        self.error = plain_label()
        self.error.setObjectName("flowStepError")
        self.error.setWordWrap(True)
        self.error.hide()
        self.details = QPlainTextEdit()
        self.details.setObjectName("flowStepDetails")
        self.details.setReadOnly(True)
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.setMinimumHeight(160)
        self.details.hide()

        head = QHBoxLayout()
        head.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.title, 1)
        facts = QHBoxLayout()
        facts.setContentsMargins(30, 0, 0, 0)  # under the title, past the toggle
        facts.addWidget(self.state, 0, Qt.AlignmentFlag.AlignTop)
        facts.addWidget(self.reference, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(head)
        layout.addLayout(facts)
        layout.addWidget(self.error)
        layout.addWidget(self.details)

    @property
    def step(self) -> Step | None:
        return self._step

    @property
    def expanded(self) -> bool:
        return self.toggle.isChecked()

    def show_step(self, record: StepRecord) -> None:
        """Show ``record`` (the same step again as it changes, or a new one)."""
        info = STEPS[record.step]
        self._step = record.step
        self.title.setText(f"{self._number}. {info.title}")
        self.state.setText(state_text(record))
        self.reference.setText(f'<a href="#reference">{html.escape(info.reference)}</a> ↗')
        self.reference.setToolTip(plain_tooltip(f"Open {info.reference} in the browser"))
        self.reference.setAccessibleName(f"Read {info.reference}, where this step is defined")
        self.toggle.setAccessibleName(f"Show the HTTP exchanges of step {self._number}")
        if record.state is StepState.FAILED:
            said = f"The provider answered {record.answer}." if record.answer else ""
            self.error.setText(" ".join(t for t in (said, record.error or "") if t))
            self.error.setVisible(bool(self.error.text()))
        else:
            self.error.hide()
        self._record = record
        if self.expanded:
            self._fill_details()

    def _fill_details(self) -> None:
        # Only for an expanded step: formatting every exchange of every step as it is
        # recorded would cost the GUI thread during a connect for text nobody sees.
        if self._record is None:
            return
        text = step_exchanges_text(self._record)
        if self.details.toPlainText() != text:
            self.details.setPlainText(text)

    def set_expanded(self, expanded: bool) -> None:
        if self.toggle.isChecked() != expanded:
            self.toggle.setChecked(expanded)  # comes back here through toggled
            return
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        if expanded:
            self._fill_details()
        self.details.setVisible(expanded)

    def _open_reference(self, _href: str = "") -> None:
        # The address comes from the app's own table, never from a record.
        if self._step is not None:
            self._open_url(QUrl(STEPS[self._step].url))


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
        self.heading = plain_label("Nothing has happened yet for this account.")
        self.heading.setObjectName("flowHeading")
        self.heading.setWordWrap(True)
        self._list = QWidget()
        self._list_layout = QVBoxLayout(self._list)
        self._list_layout.setContentsMargins(0, 0, 0, 0)
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

    def _scroll_to(self, row: StepRow) -> None:
        if row in self.rows:
            self.stepsArea.verticalScrollBar().setValue(row.y())

    # -- inside -------------------------------------------------------------------------
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
            self.heading.setText("Nothing has happened yet for this account.")
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
