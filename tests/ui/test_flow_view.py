"""The flow view in the real window: hidden until View > Flow, each step in words
with its state, the exchanges as literal text, and a failure opened at its step.

Records come from the controller's real FlowLog, recorded on a worker thread as
the core records them, or from a real connection attempt against a stand-in
provider that refuses discovery."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import keyring.backends.fail
from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from desktop_oauth.core import config as config_file
from desktop_oauth.core.accounts import AccountService
from desktop_oauth.core.config import Config
from desktop_oauth.core.errors import TokenError
from desktop_oauth.core.flow_log import (
    STEPS,
    HttpExchange,
    Operation,
    OperationRecord,
    OperationRecorder,
    Step,
)
from desktop_oauth.core.profile import Profile
from desktop_oauth.core.provider import ProviderConfig
from desktop_oauth.core.token_store import TokenStore
from desktop_oauth.qt.controller import Controller
from desktop_oauth.qt.window_state import WindowState
from desktop_oauth.ui.flow_view import NOTHING_YET, REFERENCE_LABEL
from desktop_oauth.ui.main_window import MainWindow
from tests.standins.server import Reply, Request, StandInServer, serving
from tests.ui.test_layout import open_window

HOSTILE = "<b>x</b><img src=x>"


def record_on_a_worker(
    qtbot: QtBot, window: MainWindow, work: Callable[[OperationRecorder], None], **op: object
) -> OperationRecord:
    """Run ``work`` inside a real operation of the controller's flow log, on a worker
    thread as the core does; wait until its last snapshot reached the window."""
    log = window.controller.flow_log
    kind = op.pop("operation", Operation.CONNECT)

    def run() -> None:
        try:
            with log.operation(kind, provider="Work", **op) as recorder:  # type: ignore[arg-type]
                work(recorder)
        except TokenError:
            pass  # the operation records it failed

    worker = threading.Thread(target=run)
    with qtbot.waitSignal(
        window.controller.operationChanged, timeout=5000, check_params_cb=lambda r: r.finished
    ) as last:
        worker.start()
        worker.join()
    # Drawn once the burst is over (MainWindow.flowRedraw).
    qtbot.waitUntil(lambda: not window.flowRedraw.isActive(), timeout=2000)
    return last.args[0]  # type: ignore[no-any-return]


def exchange(url: str, status: int, body: str = "") -> HttpExchange:
    return HttpExchange(
        "outgoing",
        "POST",
        url,
        status,
        request_headers=(("Content-Type", "application/x-www-form-urlencoded"),),
        request_body="grant_type=authorization_code\ncode=«code, 43 chars»",
        response_headers=(("Content-Type", "application/json"),),
        response_body=body,
        duration=0.012,
    )


def connect_steps(recorder: OperationRecorder) -> None:
    with recorder.step(Step.AUTHORIZE):
        pass
    with recorder.step(Step.CALLBACK):
        pass
    with recorder.step(Step.TOKEN):
        recorder.add_exchange(exchange("https://id.example.test/token", 200, '{"ok": true}'))
    with recorder.step(Step.ID_TOKEN):
        pass


def test_hidden_by_default_and_toggled_by_the_view_menu(qtbot: QtBot, tmp_path: Path) -> None:
    window = open_window(qtbot, tmp_path, 1000, 620)
    action = window.menu_actions.flow_view
    assert not window.flowView.isVisible() and not action.isChecked()
    assert action.isCheckable() and not action.shortcut().isEmpty()
    view_menu = window.menuBar().findChild(type(window.menuBar().addMenu("x")), "viewMenu")
    assert view_menu is not None and action in view_menu.actions()
    action.trigger()
    assert window.flowView.isVisible() and action.isChecked()
    action.trigger()
    assert not window.flowView.isVisible()
    action.trigger()
    window.close()
    assert WindowState(tmp_path / "window.ini").text("flowView") == "open"


def test_the_open_view_comes_back_open(qtbot: QtBot, tmp_path: Path) -> None:
    window = open_window(qtbot, tmp_path, 1000, 620)
    window.menu_actions.flow_view.trigger()
    window.close()
    again = open_window(qtbot, tmp_path / "again", 1000, 620)
    assert not again.flowView.isVisible()  # another profile: closed by default
    again.close()
    restored = open_window(qtbot, tmp_path, 1000, 620)
    assert restored.flowView.isVisible() and restored.menu_actions.flow_view.isChecked()


def test_steps_show_in_order_with_words_states_and_exchanges(qtbot: QtBot, tmp_path: Path) -> None:
    window = open_window(qtbot, tmp_path, 1000, 620)
    window.menu_actions.flow_view.trigger()
    record_on_a_worker(qtbot, window, connect_steps, account_id="acct-2")
    rows = window.flowView.rows
    order = [Step.AUTHORIZE, Step.CALLBACK, Step.TOKEN, Step.ID_TOKEN]
    assert [row.step for row in rows] == order
    for number, (row, step) in enumerate(zip(rows, order, strict=True), start=1):
        assert row.title.text() == f"{number}. {STEPS[step].title}"
        assert row.state.text().startswith("✓ done · ")
        assert row.reference.text() == f'<a href="#reference">{STEPS[step].reference}</a> ↗'
        assert not row.details.isVisible()
    assert window.flowView.heading.text().startswith("Connect at Work, ")
    token = rows[2]
    window.flowView.stepsArea.ensureWidgetVisible(token.toggle)
    qtbot.mouseClick(token.toggle, Qt.MouseButton.LeftButton)
    assert token.details.isVisible()
    text = token.details.toPlainText()
    assert "POST https://id.example.test/token → 200 (12 ms)" in text
    assert "  Content-Type: application/x-www-form-urlencoded" in text
    assert "  code=«code, 43 chars»" in text and '  {"ok": true}' in text
    # Keyboard: the toggle takes focus and Space folds the step again.
    token.toggle.setFocus()
    qtbot.keyClick(token.toggle, Qt.Key.Key_Space)
    assert not token.details.isVisible()


def test_the_reference_opens_our_own_address_only_when_clicked(
    qtbot: QtBot, tmp_path: Path
) -> None:
    window = open_window(qtbot, tmp_path, 1000, 620)
    opened: list[QUrl] = []
    window.flowView._open_url = opened.append  # type: ignore[assignment,method-assign]
    window.menu_actions.flow_view.trigger()
    record_on_a_worker(qtbot, window, connect_steps, account_id="acct-2")
    assert opened == []
    reference = window.flowView.rows[2].reference
    window.flowView.stepsArea.ensureWidgetVisible(reference)
    link = QPoint(reference.fontMetrics().averageCharWidth(), reference.height() // 2)
    qtbot.mouseClick(reference, Qt.MouseButton.LeftButton, pos=link)
    assert opened == [QUrl(STEPS[Step.TOKEN].url)]
    # By keyboard too: Tab reaches the link (its label takes focus with it selected),
    # Enter opens it.
    reference.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(reference, Qt.Key.Key_Return)
    assert opened == [QUrl(STEPS[Step.TOKEN].url)] * 2


def test_provider_markup_shows_literally(qtbot: QtBot, tmp_path: Path) -> None:
    window = open_window(qtbot, tmp_path, 1000, 620)
    window.menu_actions.flow_view.trigger()

    def refused(recorder: OperationRecorder) -> None:
        with recorder.step(Step.TOKEN):
            recorder.add_exchange(exchange("https://id.example.test/token", 400, HOSTILE))
            raise TokenError(f"The provider said {HOSTILE}", error=HOSTILE)

    record_on_a_worker(qtbot, window, refused, account_id="acct-2")
    row = window.flowView.rows[0]
    assert HOSTILE in row.details.toPlainText()
    assert row.error.text() == f"The provider answered {HOSTILE}. The provider said {HOSTILE}"
    for label in window.flowView.findChildren(QLabel):
        if label.objectName() != REFERENCE_LABEL:  # the app's own table, escaped
            assert label.textFormat() == Qt.TextFormat.PlainText, label.objectName()
    # Shown as characters: an <img> would draw no "<" at all.
    assert "<img src=x>" in row.error.text()


def test_the_earlier_operations_can_be_chosen(qtbot: QtBot, tmp_path: Path) -> None:
    window = open_window(qtbot, tmp_path, 1000, 620)
    window.menu_actions.flow_view.trigger()
    record_on_a_worker(qtbot, window, connect_steps, account_id="acct-2")

    def refresh(recorder: OperationRecorder) -> None:
        with recorder.step(Step.REFRESH):
            recorder.add_exchange(exchange("https://id.example.test/token", 200))

    record_on_a_worker(qtbot, window, refresh, account_id="acct-2", operation=Operation.REFRESH)
    view = window.flowView
    combo = view.operationCombo
    assert combo.count() == 2 and combo.isEnabled()
    assert combo.itemText(0).startswith("refresh · ") and combo.itemText(1).startswith("connect · ")
    assert [row.step for row in view.rows] == [Step.REFRESH]
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert [row.step for row in view.rows][:2] == [Step.AUTHORIZE, Step.CALLBACK]


def test_a_removed_accounts_operations_leave_the_view(qtbot: QtBot, tmp_path: Path) -> None:
    window = open_window(qtbot, tmp_path, 1000, 620)
    window.menu_actions.flow_view.trigger()
    record_on_a_worker(qtbot, window, connect_steps, account_id="acct-2")
    assert window.flowView.rows
    window.controller.accountForgotten.emit("acct-2")
    assert window.flowView.rows == []
    assert window.flowView.heading.text() == NOTHING_YET


def test_another_accounts_operation_is_not_shown(qtbot: QtBot, tmp_path: Path) -> None:
    window = open_window(qtbot, tmp_path, 1000, 620)
    window.menu_actions.flow_view.trigger()
    record_on_a_worker(qtbot, window, connect_steps, account_id="acct-1")
    assert window.flowView.rows == []
    assert window.flowView.heading.text() == NOTHING_YET


def test_a_failed_connection_opens_the_view_at_its_step(qtbot: QtBot, tmp_path: Path) -> None:
    """A real connection attempt: the provider refuses discovery with markup in its
    error; the view opens by itself at that step, and the status line names it."""

    def refuse(request: Request) -> Reply:
        return Reply.json({"error": HOSTILE}, 400)

    with serving(StandInServer(refuse)) as provider:
        home = tmp_path / "home"
        config_file.save(
            home / "config.json",
            Config((ProviderConfig(name="Broken", issuer=provider.url, client_id="app"),)),
        )
        profile = Profile(home=home, keyring_service=f"desktop-oauth-test:{uuid.uuid4().hex}")
        store = TokenStore("t", keyring.backends.fail.Keyring())

        def no_browser(url: str) -> bool:
            raise AssertionError(f"a browser was asked to open {url}")

        controller = Controller(
            lambda log: AccountService(profile, store=store, flow_log=log), opener=no_browser
        )
        window = MainWindow(controller, show_errors_in_dialogs=False)
        qtbot.addWidget(window)
        window.resize(1000, 620)
        window.show()
        controller.start()
        qtbot.waitUntil(window.connectButton.isEnabled, timeout=5000)
        assert not window.flowView.isVisible()
        with qtbot.waitSignal(controller.operationFailed, timeout=10_000):
            window.connectButton.click()
        qtbot.waitUntil(lambda: not controller.connecting, timeout=5000)
    view = window.flowView
    assert view.isVisible() and window.menu_actions.flow_view.isChecked()
    [row] = view.rows
    assert row.step is Step.DISCOVERY and row.state.text().startswith("✗ failed")
    assert row.expanded and row.details.isVisible() and row.toggle.hasFocus()
    assert "→ 400" in row.details.toPlainText() and HOSTILE in row.details.toPlainText()
    assert window.statusLabel.text().startswith(
        f"Reading the provider's settings failed: the provider answered {HOSTILE}. "
    )
    assert window.statusLabel.textFormat() == Qt.TextFormat.PlainText
    assert window.minimumSizeHint().width() <= 1000 and window.width() == 1000
