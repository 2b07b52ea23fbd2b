"""The flow view in a small window (1000x620, the smallest the app is laid out
for): collapsed steps take little height, an expanded step fits the steps area
with its exchanges, and the whole view is reachable and usable by keyboard."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop_oauth.core.flow_log import OperationRecorder, Step
from desktop_oauth.ui.flow_step import StepRow
from desktop_oauth.ui.main_window import MainWindow
from tests.ui.test_flow_view import exchange, record_on_a_worker
from tests.ui.test_layout import open_window

CONNECT = (Step.DISCOVERY, Step.AUTHORIZE, Step.CALLBACK, Step.TOKEN, Step.ID_TOKEN, Step.API)


def six_steps(recorder: OperationRecorder) -> None:
    for step in CONNECT:
        with recorder.step(step):
            body = "{\n" + ",\n".join(f'  "claim_{n}": {n}' for n in range(40)) + "\n}"
            recorder.add_exchange(exchange(f"http://127.0.0.1:4000/{step.value}", 200, body))


def opened(qtbot: QtBot, tmp_path: Path) -> MainWindow:
    window = open_window(qtbot, tmp_path, 1000, 620)
    window.menu_actions.flow_view.trigger()
    record_on_a_worker(qtbot, window, six_steps, account_id="acct-2")
    qtbot.wait(50)  # one layout pass
    assert window.width() == 1000
    return window


def text_height(row: StepRow) -> int:
    # The reference beside the state wraps in a narrow view.
    return row.title.height() + max(row.state.height(), row.reference.height())


def test_collapsed_steps_are_compact_and_an_expanded_one_fits_the_area(
    qtbot: QtBot, tmp_path: Path
) -> None:
    window = opened(qtbot, tmp_path)
    view = window.flowView
    area = view.stepsArea.viewport().height()
    assert len(view.rows) == 6
    for row in view.rows:
        # Its words and its state line, and little else (no box, small margins).
        assert row.height() <= text_height(row) + 8, (row.height(), text_height(row))
    visible = [r for r in view.rows if r.y() + r.height() <= area]
    assert len(visible) >= 2

    token = view.rows[3]
    token.set_expanded(True)
    qtbot.wait(50)
    # The whole step, words and exchanges, is in view at once; its 50 lines scroll inside.
    assert token.height() <= area, (token.height(), area)
    assert token.details.height() >= 4 * token.details.fontMetrics().lineSpacing()
    assert token.details.verticalScrollBar().maximum() > 0
    view._scroll_to(token)
    qtbot.wait(50)
    assert not token.details.visibleRegion().isEmpty()


def test_the_view_is_reachable_and_usable_by_keyboard(qtbot: QtBot, tmp_path: Path) -> None:
    window = open_window(qtbot, tmp_path, 1000, 620)
    record_on_a_worker(qtbot, window, six_steps, account_id="acct-2")
    window.activateWindow()
    window.accountsList.setFocus()
    action = window.menu_actions.flow_view
    assert action.shortcut().toString() == "Ctrl+Shift+F"
    action.trigger()  # what Ctrl+Shift+F and View > Flow do
    view = window.flowView
    assert view.isVisible()
    first = view.rows[0]
    qtbot.waitUntil(lambda: first.toggle.hasFocus(), timeout=2_000)
    # Tab walks the steps: each toggle, then its reference (and the link in it),
    # then the next toggle.
    reached = []
    for _ in range(3 * len(view.rows)):
        reached.append(QApplication.focusWidget())
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    for row in view.rows:
        assert row.toggle in reached and row.reference in reached, row.step
    # Space expands a step, and the keyboard can go into its exchanges.
    token = view.rows[3]
    token.toggle.setFocus()
    qtbot.keyClick(token.toggle, Qt.Key.Key_Space)
    assert token.expanded and token.details.isVisible()
    for _ in range(4):  # past the reference and its link
        if QApplication.focusWidget() is token.details:
            break
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is token.details
    assert token.details.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByKeyboard
