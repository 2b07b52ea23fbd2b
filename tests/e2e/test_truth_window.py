"""Accounts that tell the truth, in the real window at the built-in sandbox: the real
browser signs in, tokens live in the real keyring, the sandbox is asked afterwards.

- Revoke after a refresh and a scope change ends every token the app ever received,
  and the sandbox no longer lists the app among the person's connected applications.
- "Sign in again" where another person signs in asks what to do, names that person,
  and changes the account only as the person chose."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from desktop_oauth.core.accounts import AccountService, AccountView
from desktop_oauth.core.config import AccountStatus
from desktop_oauth.core.profile import HOME_VARIABLE, Profile
from desktop_oauth.core.tokens import TokenSet
from desktop_oauth.sandbox import SANDBOX_NAME, Sandbox, ensure_running
from desktop_oauth.ui.scopes_dialog import ScopesDialog
from tests.sandbox.helpers import Browser, Client

from .conftest import BrowserPlan
from .test_accounts_window import connect, listed
from .window import Running, browser_results, confirm_next_question, open_app_window

pytestmark = pytest.mark.e2e


@pytest.fixture
def sandboxes() -> Iterator[list[Sandbox]]:
    """Sandboxes this test process started (stopped at the end)."""
    started: list[Sandbox] = []
    yield started
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def running(qtbot: QtBot, tmp_path: Path, sandboxes: list[Sandbox]) -> Iterator[Running]:
    """The app's window on a fresh profile, the built-in sandbox listed first."""
    profile = Profile.from_environment({HOME_VARIABLE: str(tmp_path / "home")})

    def start_sandbox(folder: Path) -> Sandbox:
        sandbox = ensure_running(folder)
        if sandbox.owned:
            sandboxes.append(sandbox)
        return sandbox

    running = open_app_window(qtbot, profile, start_sandbox=start_sandbox)
    yield running
    service = running.service
    assert isinstance(service, AccountService)
    for record in service.config.accounts:
        for entry in (record.id, *record.superseded):
            service.store.delete(entry)


def tokens_in(*sets: TokenSet | None) -> list[str]:
    return [t for s in sets if s is not None for t in (s.access_token, s.refresh_token) if t]


def when_modal(qtbot: QtBot, act: Callable[[object], bool]) -> list[object]:
    """Hand the next modal dialog to ``act`` (polled from the event loop, which the
    dialog's own loop keeps running) until ``act`` says it is done; the dialogs it
    saw are listed."""
    seen: list[object] = []

    def poll() -> None:
        box = QApplication.activeModalWidget()
        if box is not None and act(box):
            seen.append(box)
            return
        QTimer.singleShot(20, poll)

    QTimer.singleShot(0, poll)
    return seen


def connected_apps_of(issuer: str, user: str) -> str:
    """The sandbox's "connected applications" page as ``user`` sees it."""
    browser = Browser(issuer)
    browser.walk("/login?next=/connections", user=user, stop_at="sandbox-connections")
    return browser.get("/connections").text


def test_revoke_after_a_refresh_and_a_scope_change_ends_every_token_received(
    qtbot: QtBot, running: Running, browser_plan: BrowserPlan
) -> None:
    window, controller = running.window, running.controller
    first = connect(qtbot, running, browser_plan, SANDBOX_NAME, "grace")
    issuer = first.record.issuer
    client = Client(issuer)
    assert 'id="no-connections"' not in connected_apps_of(issuer, "grace")

    # Refresh, from the window.
    with qtbot.waitSignal(controller.accountShown, timeout=20_000) as shown:
        qtbot.mouseClick(window.refreshButton, Qt.MouseButton.LeftButton)
    refreshed: AccountView = shown.args[0]
    assert refreshed.tokens is not None and first.tokens is not None
    assert refreshed.tokens.access_token != first.tokens.access_token
    assert client.api("/userinfo", refreshed.tokens.access_token).status_code == 200

    # "Change scopes…": fewer this time (no profile), the same person signs in.
    wanted = ("openid", "email", "offline_access")

    def pick(dialog: object) -> bool:
        if not isinstance(dialog, ScopesDialog):
            return False
        dialog.choose(wanted)
        dialog.accept()
        return True

    browser_plan.set(login="grace", action="consent")
    picked = when_modal(qtbot, pick)
    with qtbot.waitSignal(
        controller.accountShown,
        timeout=30_000,
        check_params_cb=lambda v: "profile" not in v.record.requested_scopes,
    ) as shown:
        qtbot.mouseClick(window.accountsPanel.scopesButton, Qt.MouseButton.LeftButton)
    browser_results(qtbot, browser_plan)
    assert picked
    again: AccountView = shown.args[0]
    assert again.record.id == first.record.id
    qtbot.waitUntil(lambda: not controller.connecting, timeout=10_000)
    assert again.tokens is not None
    assert client.api("/userinfo", again.tokens.access_token).status_code == 200

    received = tokens_in(first.tokens, refreshed.tokens, again.tokens)
    assert len(set(received)) == 6
    # Every access token so far still works until Revoke (refresh tokens rotate).
    access = [t.access_token for t in (first.tokens, refreshed.tokens, again.tokens)]
    assert [client.introspect(t)["active"] for t in access] == [True] * 3

    assert window.accountsList.currentItem().text().startswith("grace")
    confirm_next_question(qtbot)
    qtbot.mouseClick(window.revokeButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: listed(window)[first.record.id].endswith(f"revoked (verified) · {SANDBOX_NAME}"),
        timeout=20_000,
    )

    assert [client.introspect(t)["active"] for t in received] == [False] * 6
    assert 'id="no-connections"' in connected_apps_of(issuer, "grace")


def test_sign_in_again_as_someone_else_asks_and_changes_only_what_was_chosen(
    qtbot: QtBot, running: Running, browser_plan: BrowserPlan
) -> None:
    window, controller = running.window, running.controller
    service = running.service
    assert isinstance(service, AccountService)
    grace = connect(qtbot, running, browser_plan, SANDBOX_NAME, "grace")
    client = Client(grace.record.issuer)
    # Revoked, so the account offers "Sign in again".
    confirm_next_question(qtbot)
    qtbot.mouseClick(window.revokeButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(window.accountsPanel.reconnectButton.isVisible, timeout=20_000)
    grace_before = service.config.accounts

    def sign_in_again_as_ada(choice: str, then: str = "consent") -> tuple[str, TokenSet]:
        """Press "Sign in again"; ada signs in; answer the question with ``choice``."""
        asked: list[str] = []

        def answer(box: object) -> bool:
            if not isinstance(box, QMessageBox) or box.objectName() != "chooseDialog":
                return False
            if controller.connecting:
                return False  # the attempt ends before the next one may start
            asked.append(box.text())
            browser_plan.set(login="ada", action=then)
            [button] = [b for b in box.findChildren(QPushButton) if b.text() == choice]
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
            return True

        browser_plan.set(login="ada", action="consent")
        when_modal(qtbot, answer)
        with qtbot.waitSignal(controller.differentPerson, timeout=30_000) as other:
            qtbot.mouseClick(window.accountsPanel.reconnectButton, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: bool(asked), timeout=20_000)
        result = other.args[1]
        return asked[0], result.tokens

    # "Try again": nothing is added, grace is untouched, ada's new tokens are taken back.
    question, for_ada = sign_in_again_as_ada("Try again", then="cancel")
    assert "ada" in question and "grace" in question
    browser_results(qtbot, browser_plan)  # the second attempt, cancelled in the browser
    qtbot.waitUntil(lambda: not controller.connecting, timeout=20_000)
    qtbot.waitUntil(
        lambda: not any(client.introspect(t)["active"] for t in tokens_in(for_ada)),
        timeout=10_000,
    )
    assert service.config.accounts == grace_before
    assert len(listed(window)) == 1
    assert service.store.load(grace.record.id) is None

    # "Add as a new account": ada is added; grace stays as she was.
    question, for_ada = sign_in_again_as_ada("Add as a new account")
    assert "ada" in question
    qtbot.waitUntil(lambda: len(listed(window)) == 2, timeout=20_000)
    [ada] = [a for a in service.config.accounts if a.id != grace.record.id]
    assert ada.display_name.startswith("ada") and ada.status is AccountStatus.CONNECTED
    stored = service.store.load(ada.id)
    assert stored is not None and stored.access_token == for_ada.access_token
    assert client.introspect(for_ada.access_token)["active"]
    assert [a for a in service.config.accounts if a.id == grace.record.id] == list(grace_before)
    assert service.store.load(grace.record.id) is None
