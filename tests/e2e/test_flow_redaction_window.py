"""No secret reaches what the window shows or writes: a connect, a refresh, an API
call and a revocation at the built-in sandbox through the real window (Chromium,
gnome-keyring), then every secret value the run produced is searched for in the
text of every widget (the flow view open, each operation chosen in turn with every
step expanded), in the app's log file at DEBUG and in the config file's history.

The secrets are gathered outside the app's redaction: from the requests of the
app's own HTTP session (token request bodies, bearer headers), from the keyring,
and from the URLs the browser saw (state, nonce, PKCE challenge, code). The token
panel's "Show" is not pressed: it reveals the token on request."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTabWidget,
    QTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desktop_oauth.core import logs
from desktop_oauth.core.flow_log import Operation
from desktop_oauth.core.profile import HOME_VARIABLE
from desktop_oauth.ui.main_window import MainWindow

from .conftest import BrowserPlan
from .test_sandbox_window import Network, Sandboxes, call_api, connect, open_sandbox_window
from .window import Running, confirm_next_question

pytestmark = pytest.mark.e2e

#: Names under which OAuth carries a secret, in a form body, a query or a JSON answer.
SECRET_NAMES = {
    "access_token",
    "refresh_token",
    "id_token",
    "code",
    "code_verifier",
    "code_challenge",
    "state",
    "nonce",
    "token",
    "client_secret",
    "device_code",
}

ROLES = (
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.EditRole,
    Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.StatusTipRole,
    Qt.ItemDataRole.WhatsThisRole,
    Qt.ItemDataRole.AccessibleTextRole,
    Qt.ItemDataRole.AccessibleDescriptionRole,
)


@pytest.fixture
def sandboxes() -> Iterator[Sandboxes]:
    starter = Sandboxes()
    yield starter
    starter.stop()


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """The app's own log file handler at DEBUG, in a folder of this test."""
    root = logging.getLogger()
    level = root.level
    environ = {HOME_VARIABLE: str(tmp_path / "logs-home"), logs.LEVEL_VARIABLE: "DEBUG"}
    handler = logs.install(environ)
    try:
        yield handler.path
    finally:
        root.removeHandler(handler)
        handler.close()
        root.setLevel(level)


class Secrets:
    """Every secret value the app's HTTP session sent (bodies, queries, bearer
    headers), the keyring held or the browser saw."""

    def __init__(self) -> None:
        self.values: set[str] = set()

    def watch(self, running: Running) -> None:
        assert running.service is not None
        running.service.session.hooks["response"].append(self._seen)

    def _seen(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        request = response.request
        body = request.body
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        if isinstance(body, str):
            self.add_pairs(parse_qsl(body))
        self.add_pairs(parse_qsl(urlsplit(request.url or "").query))
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            self.add(auth[7:])
        # The answer's body is left alone: the app reads it itself, within a limit.
        # What the token endpoint answers is read from the keyring instead.

    def add_pairs(self, pairs: Any) -> None:
        for name, value in pairs:
            if name in SECRET_NAMES:
                self.add(value)

    def add(self, value: str | None) -> None:
        if value:
            self.values.add(value)

    def add_url(self, url: str | None) -> None:
        if url:
            self.add_pairs(parse_qsl(urlsplit(url).query))


def columns(model: QAbstractItemModel, parent: QModelIndex) -> int:
    try:
        return model.columnCount(parent)
    except TypeError:  # a list model: PySide keeps its one column private
        return 1


def model_texts(model: QAbstractItemModel, parent: QModelIndex | None = None) -> Iterator[str]:
    parent = parent or QModelIndex()
    for row in range(model.rowCount(parent)):
        for column in range(max(columns(model, parent), 1)):
            index = model.index(row, column, parent)
            for role in ROLES:
                value = model.data(index, role)
                if value is not None:
                    yield str(value)
            if column == 0 and model.rowCount(index) > 0:
                yield from model_texts(model, index)
    for section in range(columns(model, parent)):
        for orientation in (Qt.Orientation.Horizontal, Qt.Orientation.Vertical):
            value = model.headerData(section, orientation, Qt.ItemDataRole.DisplayRole)
            if value is not None:
                yield str(value)


def widget_texts(widget: QWidget) -> Iterator[str]:
    """What ``widget`` shows or says about itself (as rendered: a hidden field's
    dots, not what it hides)."""
    yield from (
        widget.windowTitle(),
        widget.toolTip(),
        widget.statusTip(),
        widget.whatsThis(),
        widget.accessibleName(),
        widget.accessibleDescription(),
    )
    if isinstance(widget, QLabel):
        yield widget.text()
    elif isinstance(widget, QLineEdit):
        yield widget.displayText()
        yield widget.placeholderText()
    elif isinstance(widget, QPlainTextEdit | QTextEdit):
        yield widget.toPlainText()
    elif isinstance(widget, QAbstractButton):
        yield widget.text()
    elif isinstance(widget, QGroupBox):
        yield widget.title()
    elif isinstance(widget, QTabWidget):
        yield from (widget.tabText(i) for i in range(widget.count()))
        yield from (widget.tabToolTip(i) for i in range(widget.count()))
    if isinstance(widget, QComboBox):
        yield widget.currentText()
        yield from model_texts(widget.model())
    elif isinstance(widget, QAbstractItemView) and widget.model() is not None:
        yield from model_texts(widget.model())


def window_texts(window: MainWindow) -> list[str]:
    texts = list(widget_texts(window))
    for child in window.findChildren(QWidget):
        texts.extend(widget_texts(child))
    for action in window.findChildren(QAction):
        texts += [action.text(), action.toolTip(), action.statusTip()]
    return [t for t in texts if t]


def every_operation_expanded(qtbot: QtBot, window: MainWindow) -> list[str]:
    """The window's texts with each kept operation chosen in the flow view and
    every step of it expanded."""
    view = window.flowView
    combo = view.operationCombo
    texts: list[str] = []
    shown: list[Operation] = []
    for index in range(combo.count()):
        combo.setCurrentIndex(index)
        combo.activated.emit(index)  # as a choice with the mouse or keyboard
        chosen = combo.itemData(index)
        qtbot.waitUntil(
            lambda chosen=chosen: (
                view.shown is not None and view.shown.id == chosen and bool(view.rows)
            ),
            timeout=5_000,
        )
        assert view.shown is not None
        shown.append(view.shown.operation)
        for row in view.rows:
            row.set_expanded(True)
            assert row.details.isVisible() or not row.details.toPlainText()
        texts += window_texts(window)
    assert {
        Operation.CONNECT,
        Operation.REFRESH,
        Operation.API_CALL,
        Operation.REVOKE,
    } <= set(shown), shown
    return texts


def test_no_secret_of_a_run_reaches_a_widget_the_log_file_or_the_history(
    qtbot: QtBot,
    sandboxes: Sandboxes,
    browser_plan: BrowserPlan,
    tmp_path: Path,
    log_file: Path,
) -> None:
    running = open_sandbox_window(qtbot, tmp_path, sandboxes, Network())
    window = running.window
    secrets = Secrets()
    secrets.watch(running)
    window.menu_actions.flow_view.trigger()
    assert window.flowView.isVisible()
    controller = running.controller

    connected = connect(qtbot, running, browser_plan, login="ada")
    [browser] = browser_plan.results()
    secrets.add_url(browser["url_opened"])  # state, nonce, code_challenge
    secrets.add_url(browser["final_url"])  # the code (and state)
    account = connected.record.id
    assert running.service is not None
    kept = running.service.store.load(account)
    assert kept is not None and kept.refresh_token
    secrets.add(kept.access_token)
    secrets.add(kept.refresh_token)
    secrets.add(kept.id_token)

    qtbot.waitUntil(window.refreshButton.isEnabled, timeout=5_000)
    with qtbot.waitSignal(controller.busy, timeout=20_000, check_params_cb=lambda b: b is False):
        qtbot.mouseClick(window.refreshButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "refreshed" in window.statusLabel.text(), timeout=10_000)
    refreshed = running.service.store.load(account)
    assert refreshed is not None and refreshed.access_token != kept.access_token
    secrets.add(refreshed.access_token)
    secrets.add(refreshed.refresh_token)
    secrets.add(refreshed.id_token)

    call_api(qtbot, running, None)
    assert window.apiDataPanel.isVisible()

    # While connected: the token panel holds the tokens, hidden.
    connected_texts = window_texts(window)

    confirm_next_question(qtbot)
    qtbot.mouseClick(window.revokeButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: "revoked (verified)" in window.accountsList.item(0).text(), timeout=20_000
    )
    qtbot.waitUntil(lambda: window.flowView.operationCombo.count() >= 4, timeout=5_000)
    qtbot.wait(150)  # the view's coalesced redraw (MainWindow.flowRedraw, 100 ms)
    texts = connected_texts + every_operation_expanded(qtbot, window)

    for handler in logging.getLogger().handlers:
        handler.flush()
    log_text = log_file.read_text(encoding="utf-8")
    config_text = running.profile.config_path.read_text(encoding="utf-8")
    history = json.loads(config_text)

    # Every kind of secret was gathered, and the subjects are not empty.
    values = {v for v in secrets.values if len(v) >= 8}
    assert len(values) >= 10, len(values)  # state, nonce, challenge, verifier, code, 2 x 3 tokens
    shown = "\n".join(texts)
    for marker in (
        "«PKCE verifier, ",
        "«authorization code, ",
        "«access token, ",
        "«refresh token, ",
        "«state, ",
        "«nonce, ",
    ):
        assert marker in shown, f"the flow view never showed {marker}…"
    assert "/token → 200" in shown and "/revoke → 200" in shown
    assert "/api/profile" in shown or "/userinfo" in shown
    assert log_text.count("\n") > 20 and "DEBUG" in log_text
    assert "history" in config_text and history

    subjects = {"a widget": shown, "the log file": log_text, "the config file": config_text}
    leaks = [
        (where, value[:6], text[max(0, text.index(value) - 60) : text.index(value)])
        for value in values
        for where, text in subjects.items()
        if value in text
    ]
    assert leaks == []
