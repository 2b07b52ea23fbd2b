"""One step of the flow view: its words, state, duration and reference on two
compact lines; expanded, its HTTP exchanges as plain text (headers and bodies come
from the provider and are untrusted: docs/security.md, finding 3)."""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, QUrl
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.flow_log import STEPS, Step, StepRecord, StepState
from .flow_exchange import state_text, step_exchanges_text
from .plain_text import plain_label, plain_tooltip

#: Opens a specification's address in the person's browser.
UrlOpener = Callable[[QUrl], bool]
#: The one rich-text label kind here: a step's reference, from the app's own table.
REFERENCE_LABEL = "flowStepReference"
#: An expanded step shows this many lines of its exchanges at most (and at least
#: MIN_DETAIL_LINES), fewer when the steps area is short (:meth:`StepRow.fit_into`);
#: longer ones scroll inside. Sized to the text, so a short exchange does not push
#: the next steps out of a small window.
MAX_DETAIL_LINES = 12
MIN_DETAIL_LINES = 4
#: Left of the state line: the toggle's width plus the gap after it.
INDENT = 22


class StepRow(QFrame):
    """One step: its words, reference, state and duration; expanded, its exchanges."""

    def __init__(self, number: int, open_url: UrlOpener, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("flowStep")
        # No box per step: a thin line under each keeps them apart in less height.
        self.setFrameShape(QFrame.Shape.NoFrame)
        self._number = number
        self._open_url = open_url
        self._step: Step | None = None
        self._record: StepRecord | None = None
        self._lines = MIN_DETAIL_LINES  # of the exchanges' text
        self._room = 0  # the steps area's height (0: not known yet)
        self.toggle = QToolButton()
        self.toggle.setObjectName("flowStepToggle")
        self.toggle.setCheckable(True)
        self.toggle.setAutoRaise(True)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setIconSize(QSize(10, 10))
        self.toggle.setFixedSize(18, 18)
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
        small = self.state.font()
        small.setPointSizeF(max(small.pointSizeF() - 1, 7.0))
        self.state.setFont(small)
        self.reference.setFont(small)
        self.error = plain_label()
        self.error.setObjectName("flowStepError")
        self.error.setWordWrap(True)
        self.error.hide()
        self.details = QPlainTextEdit()
        self.details.setObjectName("flowStepDetails")
        self.details.setReadOnly(True)
        # Read and copied by keyboard too (a caret to move, Shift+arrows, Ctrl+C):
        # the text is the core's redacted record.
        self.details.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.hide()
        rule = QFrame()
        rule.setFrameShape(QFrame.Shape.HLine)
        rule.setFrameShadow(QFrame.Shadow.Sunken)

        head = QHBoxLayout()
        head.setSpacing(4)
        head.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.title, 1)
        facts = QHBoxLayout()
        facts.setContentsMargins(INDENT, 0, 0, 0)  # under the title, past the toggle
        facts.setSpacing(8)
        facts.addWidget(self.state, 0, Qt.AlignmentFlag.AlignTop)
        facts.addWidget(self.reference, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 0)
        layout.setSpacing(1)
        layout.addLayout(head)
        layout.addLayout(facts)
        layout.addWidget(self.error)
        layout.addWidget(self.details)
        layout.addWidget(rule)

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
        if record.state is StepState.FAILED:
            self._fit_details()  # the answer above now takes its room
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
            self._lines = text.count("\n") + 1
            self._fit_details()

    def set_expanded(self, expanded: bool) -> None:
        if self.toggle.isChecked() != expanded:
            self.toggle.setChecked(expanded)  # comes back here through toggled
            return
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        if expanded:
            self._fill_details()
            self._fit_details()  # the words' width is known by now
        self.details.setVisible(expanded)

    def fit_into(self, height: int) -> None:
        """Keep the expanded step within ``height`` (the steps area's): its words
        and state above, the exchanges below, without scrolling the list."""
        if height != self._room:
            self._room = height
            self._fit_details()

    def _fit_details(self) -> None:
        # A fixed height from the text (not the editor's generous default), with
        # room for the horizontal scroll bar that long URLs bring.
        details = self.details
        line = details.fontMetrics().lineSpacing()
        margins = 2 * (details.frameWidth() + round(details.document().documentMargin()))
        bar = details.horizontalScrollBar().sizeHint().height()
        fits = MAX_DETAIL_LINES
        if self._room:
            # The title (two lines at most in a narrow view), the state, the gaps.
            above = 3 * self.title.fontMetrics().lineSpacing() + 12
            # In a narrow view the words, or the reference beside the state, wrap further.
            measured = (
                self.title.heightForWidth(max(self.title.width(), 100))
                + max(
                    self.state.sizeHint().height(),
                    self.reference.heightForWidth(max(self.reference.width(), 100)),
                )
                + 12
            )
            above = max(above, measured)
            if not self.error.isHidden():  # the provider's answer stays in view too
                above += self.error.heightForWidth(max(self.title.width(), 200))
            fits = (self._room - above - margins - bar) // line
        shown = min(max(self._lines, MIN_DETAIL_LINES), max(fits, MIN_DETAIL_LINES))
        details.setFixedHeight(shown * line + margins + bar)

    def _open_reference(self, _href: str = "") -> None:
        # The address comes from the app's own table, never from a record.
        if self._step is not None:
            self._open_url(QUrl(STEPS[self._step].url))
