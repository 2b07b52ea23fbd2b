"""The flow view during a real connection at the built-in sandbox: Chromium signs
in and consents, the window fills the view with each named step in order, each
with its HTTP exchange; a refresh the provider refuses opens the view at that step.

Run under Xvfb and openbox with ``DESKTOP_OAUTH_SCREENSHOTS`` set, it saves the
pictures of docs/flow.md."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop_oauth.core.flow_log import STEPS, Operation, Step
from desktop_oauth.sandbox import SANDBOX_CLIENT_ID

from .conftest import BrowserPlan
from .test_sandbox_window import Network, Sandboxes, connect, open_sandbox_window
from .window import save_screenshot

pytestmark = pytest.mark.e2e

CONNECT_STEPS = [
    Step.DISCOVERY,
    Step.AUTHORIZE,
    Step.CALLBACK,
    Step.TOKEN,
    Step.ID_TOKEN,
    Step.API,
]


@pytest.fixture
def sandboxes() -> Iterator[Sandboxes]:
    starter = Sandboxes()
    yield starter
    starter.stop()


def test_a_connect_fills_the_flow_view_and_a_refused_refresh_opens_at_its_step(
    qtbot: QtBot,
    sandboxes: Sandboxes,
    browser_plan: BrowserPlan,
    tmp_path: Path,
) -> None:
    # Every URL the app asks for, to check none leaves this computer
    # (test_sandbox_window.py proves the same for every socket).
    network = Network()
    running = open_sandbox_window(qtbot, tmp_path, sandboxes, network)
    window = running.window
    window.resize(1000, 760)  # a laptop screen of 1366x768, less its panel
    window.menu_actions.flow_view.trigger()
    view = window.flowView
    assert view.isVisible()

    connected = connect(qtbot, running, browser_plan, login="ada")
    assert connected.tokens is not None and connected.tokens.refresh_token
    qtbot.waitUntil(lambda: view.shown is not None and view.shown.finished, timeout=5_000)
    shown = view.shown
    assert shown is not None and shown.operation is Operation.CONNECT
    assert shown.account_id == connected.record.id and shown.failed_step is None
    assert [row.step for row in view.rows] == CONNECT_STEPS
    for number, (row, record) in enumerate(zip(view.rows, shown.steps, strict=True), start=1):
        assert row.title.text() == f"{number}. {STEPS[record.step].title}"
        assert row.state.text().startswith("✓ done · "), row.state.text()
        assert record.exchanges, f"{record.step} has no exchange"
    issuer = sandboxes.issuer
    token_row = view.rows[CONNECT_STEPS.index(Step.TOKEN)]
    view.stepsArea.ensureWidgetVisible(token_row.toggle)
    qtbot.mouseClick(token_row.toggle, Qt.MouseButton.LeftButton)
    details = token_row.details.toPlainText()
    assert f"POST {issuer}/token → 200" in details
    assert "code_verifier=«PKCE verifier, " in details
    # No secret the run produced reaches the view.
    tokens = connected.tokens
    everything = "\n".join(
        f"{row.title.text()}\n{row.state.text()}\n{row.details.toPlainText()}" for row in view.rows
    )
    for secret in (tokens.access_token, tokens.refresh_token, tokens.id_token):
        assert secret and secret not in everything
    assert window.width() == 1000
    qtbot.wait(100)  # one layout pass before the picture
    view.stepsArea.ensureWidgetVisible(token_row.details)
    save_screenshot(window, "flow-view")

    # The person takes the access back at the provider; Refresh is refused.
    with requests.Session() as http:
        http.trust_env = False
        answer = http.post(
            f"{issuer}/revoke",
            data={"token": tokens.refresh_token, "client_id": SANDBOX_CLIENT_ID},
            timeout=10,
        )
        assert answer.status_code == 200
    token_row.set_expanded(False)
    qtbot.waitUntil(window.refreshButton.isEnabled, timeout=5_000)
    with qtbot.waitSignal(running.controller.operationFailed, timeout=15_000) as failed:
        qtbot.mouseClick(window.refreshButton, Qt.MouseButton.LeftButton)
    assert failed.args[0].failed_step is Step.REFRESH
    qtbot.waitUntil(
        lambda: (
            "needs sign-in again" in window.statusLabel.text().lower()
            or "sign in again" in window.statusLabel.text().lower()
        ),
        timeout=10_000,
    )
    assert window.statusLabel.text().startswith(
        "The token refresh failed: the provider answered invalid_grant."
    )
    assert view.shown is not None and view.shown.operation is Operation.REFRESH
    failed_row = next(row for row in view.rows if row.step is Step.REFRESH)
    assert failed_row.state.text().startswith("✗ failed") and failed_row.expanded
    assert "invalid_grant" in failed_row.error.text()
    assert f"POST {issuer}/token → 400" in failed_row.details.toPlainText()
    assert '"error": "invalid_grant"' in failed_row.details.toPlainText()
    # The connection stays one choice away in the chooser.
    assert view.operationCombo.count() >= 2
    qtbot.wait(100)  # one layout pass before the picture
    # The open flow view is never what widens the window: its row (beside the
    # data) needs less than the token and permission panels above it. (Those grow
    # with a signed-out account's "no longer granted" column under a window manager.)
    lower, upper = window._splitters["lower"], window._splitters["upper"]
    assert lower.minimumSizeHint().width() <= max(upper.minimumSizeHint().width(), 760)
    save_screenshot(window, "flow-view-failed-step")
    assert all(url.startswith("http://127.0.0.1:") for _, url, _ in network.urls)


def test_a_refused_consent_opens_the_view_at_the_authorization_response(
    qtbot: QtBot, sandboxes: Sandboxes, browser_plan: BrowserPlan, tmp_path: Path
) -> None:
    """The flow view closed: the person says no at the sandbox's consent page; the
    view opens by itself at the step that carried the refusal, with the answer."""
    running = open_sandbox_window(qtbot, tmp_path, sandboxes, Network())
    window = running.window
    assert not window.flowView.isVisible()
    browser_plan.set(login="ada", action="cancel")
    with qtbot.waitSignal(running.controller.operationFailed, timeout=30_000) as failed:
        qtbot.mouseClick(window.connectButton, Qt.MouseButton.LeftButton)
    record = failed.args[0]
    assert record.failed_step is Step.CALLBACK and record.account_id is None
    qtbot.waitUntil(lambda: not running.controller.connecting, timeout=10_000)
    view = window.flowView
    assert view.isVisible() and window.menu_actions.flow_view.isChecked()
    assert [row.step for row in view.rows][:3] == [Step.DISCOVERY, Step.AUTHORIZE, Step.CALLBACK]
    callback = next(row for row in view.rows if row.step is Step.CALLBACK)
    assert callback.state.text().startswith("✗ failed") and callback.expanded
    assert "access_denied" in callback.error.text()
    assert "error=access_denied" in callback.details.toPlainText()
    # The person's own choice keeps its own words in the status line.
    assert "declined" in window.statusLabel.text()
