"""The selected account's history in the window: loaded through the controller, shown
newest first in plain text, brought up to date after an operation, and the same after
a restart. A real AccountService on a settings file, with an in-memory keyring."""

from __future__ import annotations

import uuid
from pathlib import Path

from pytestqt.qtbot import QtBot

from desktop_oauth.core import config as config_file
from desktop_oauth.core import history
from desktop_oauth.core.accounts import AccountService
from desktop_oauth.core.config import AccountRecord, Config
from desktop_oauth.core.history import AccountHistory
from desktop_oauth.core.profile import Profile
from desktop_oauth.core.token_store import TokenStore
from desktop_oauth.qt.controller import Controller
from desktop_oauth.ui.main_window import MainWindow
from tests.core.test_token_store import FlakyKeyring

T0 = 1_767_000_000.0


def record(account_id: str, name: str) -> AccountRecord:
    return AccountRecord(
        id=account_id,
        provider="Example",
        issuer="https://id.example.test",
        subject=f"sub-{account_id}",
        display_name=name,
        granted_scopes=("openid", "email"),
    )


def write_settings(profile: Profile) -> None:
    config = Config(accounts=(record("acct-ada", "ada@example.test"),))
    config = config.with_event("acct-ada", history.connected(T0, ("openid", "email")))
    config = config.with_event(
        "acct-ada", history.refresh_failed(T0 + 60, "the provider said <b>not bold</b>")
    )
    config = config.with_account(record("acct-bob", "bob@example.test"))
    config = config.with_event("acct-bob", history.connected(T0, ("openid",)))
    profile.config_path.parent.mkdir(parents=True, exist_ok=True)
    config_file.save(profile.config_path, config)


def open_window(qtbot: QtBot, profile: Profile, store: TokenStore) -> MainWindow:
    controller = Controller(lambda: AccountService(profile, store=store))
    controller.preferred_account = "acct-ada"
    window = MainWindow(controller, show_errors_in_dialogs=False)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(
        controller.historyShown,
        timeout=10_000,
        check_params_cb=lambda h: isinstance(h, AccountHistory) and h.account_id == "acct-ada",
    ):
        controller.start()
    return window


def test_the_selected_accounts_history_shows_newest_first_and_follows_each_change(
    qtbot: QtBot, tmp_path: Path
) -> None:
    profile = Profile(home=tmp_path, keyring_service=f"test:{uuid.uuid4().hex}")
    store = TokenStore(profile.keyring_service, FlakyKeyring())
    write_settings(profile)
    window = open_window(qtbot, profile, store)
    panel = window.accountsPanel.historyPanel
    connected_at = history.connected(T0, ()).local_time
    assert panel.list.isVisible() and not panel.empty.isVisible()
    assert panel.lines() == [
        f"{history.refreshed(T0 + 60).local_time} · refresh failed\n"
        "the provider said <b>not bold</b>",  # provider text, shown literally
        f"{connected_at} · connected\ngranted: openid email",
    ]
    zone = history.local_time(T0).strftime("%Z")
    assert all(line.split(" · ")[0].endswith(zone) for line in panel.lines())

    # Another account selected: its own history.
    controller = window.controller
    bob_row = next(
        row
        for row in range(window.accountsList.count())
        if window.accountsList.item(row).text().startswith("bob@")
    )
    with qtbot.waitSignal(controller.historyShown, timeout=10_000):
        window.accountsList.setCurrentRow(bob_row)
    qtbot.waitUntil(lambda: panel.account_id == "acct-bob", timeout=5_000)
    assert panel.lines() == [f"{connected_at} · connected\ngranted: openid"]

    # An operation on the account on screen: its history follows at once.
    ada_row = 1 - bob_row
    with qtbot.waitSignal(controller.historyShown, timeout=10_000):
        window.accountsList.setCurrentRow(ada_row)
    qtbot.waitUntil(lambda: panel.account_id == "acct-ada", timeout=5_000)
    with qtbot.waitSignal(
        controller.historyShown,
        timeout=10_000,
        check_params_cb=lambda h: len(h.entries) == 3,
    ):
        controller.revoke("acct-ada")  # no tokens held: marked revoked, unconfirmed
    qtbot.waitUntil(lambda: len(panel.lines()) == 3, timeout=5_000)
    top = panel.lines()[0]
    assert " · revoked\nnot confirmed by the provider" in top
    assert "No tokens were stored for this account." in top
    shown = panel.lines()
    window.close()

    # A restart over the same settings file shows the same history.
    again = open_window(qtbot, profile, store)
    again_panel = again.accountsPanel.historyPanel
    qtbot.waitUntil(lambda: again_panel.account_id == "acct-ada", timeout=5_000)
    assert again_panel.lines() == shown
    again.close()


def test_an_account_with_no_history_says_so(qtbot: QtBot, tmp_path: Path) -> None:
    profile = Profile(home=tmp_path, keyring_service=f"test:{uuid.uuid4().hex}")
    profile.config_path.parent.mkdir(parents=True, exist_ok=True)
    config_file.save(
        profile.config_path, Config(accounts=(record("acct-ada", "ada@example.test"),))
    )
    window = open_window(qtbot, profile, TokenStore(profile.keyring_service, FlakyKeyring()))
    panel = window.accountsPanel.historyPanel
    qtbot.waitUntil(lambda: panel.account_id == "acct-ada", timeout=5_000)
    assert not panel.list.isVisible()
    assert panel.empty.text() == "Nothing is recorded for this account yet."
    window.close()
