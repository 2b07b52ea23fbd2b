"""The window and ``desktop-oauth accounts`` say the same about the same account, in
every state (issue 11): both go through core/account_state.describe.

The accounts are those of tests/core/data/config-v1.json (a settings file of the
previous schema, migrated on load), with tokens in the real keyring for the two
that hold any."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop_oauth.core.accounts import AccountService
from desktop_oauth.core.token_store import TokenStore
from desktop_oauth.core.tokens import TokenSet
from desktop_oauth.qt.controller import Controller
from desktop_oauth.ui.accounts_panel import ACCOUNT_ID_ROLE
from desktop_oauth.ui.main_window import MainWindow
from tests.cli.runner import Cli

# The window and the command line read the same real keyring: the integration tier.
pytestmark = pytest.mark.integration

SAVED = Path(__file__).parents[1] / "core" / "data" / "config-v1.json"
STATES = {
    "acct-connected": "connected",
    "acct-expired": "expired",
    "acct-needs-signin": "needs sign-in again",
    "acct-revoked-verified": "revoked",
    "acct-revoked-unconfirmed": "revoked",
    # Every command first retries the revocations still owed: this one's provider
    # is not configured here, so the retry ends it as revoked (unconfirmed).
    "acct-pending": "revoked",
}


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    cli = Cli(tmp_path / "home")
    profile = cli.profile
    profile.config_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(SAVED, profile.config_path)
    store = TokenStore(profile.keyring_service)
    accounts = {a["id"]: a for a in json.loads(SAVED.read_text())["accounts"]}
    for account_id in ("acct-connected", "acct-expired"):
        record = accounts[account_id]
        store.save(
            account_id,
            TokenSet(
                access_token=f"at-{account_id}",
                refresh_token="rt" if record["has_refresh_token"] else None,
                expires_at=record["expires_at"],
                granted_scopes=tuple(record["granted_scopes"]),
            ),
        )
    return cli


@pytest.mark.parametrize("account_id", list(STATES))
def test_the_window_and_the_command_line_agree(qtbot: QtBot, cli: Cli, account_id: str) -> None:
    listed = {a["id"]: a for a in cli.ok("accounts", "--json").json()}[account_id]
    assert listed["state"] == STATES[account_id]
    if listed["state"] not in ("connected", "expired"):
        # Claims nothing; the history is apart.
        assert listed["scopes"] == []
        assert listed["expires_at"] is None
        assert listed["has_refresh_token"] is False
        assert listed["former_scopes"]

    profile = cli.profile
    controller = Controller(lambda log: AccountService(profile, flow_log=log))
    window = MainWindow(controller, show_errors_in_dialogs=False)
    qtbot.addWidget(window)
    window.show()
    controller.start()
    qtbot.waitUntil(
        lambda: window.accountsPanel.accountsList.count() == len(STATES), timeout=10_000
    )
    items = [
        window.accountsPanel.accountsList.item(row)
        for row in range(window.accountsPanel.accountsList.count())
    ]
    [item] = [i for i in items if i.data(ACCOUNT_ID_ROLE) == account_id]
    shown = item.text().splitlines()[1].split(" · ")[0]
    assert shown.split(" (")[0] == listed["state"]
    table_row = next(
        line
        for line in cli.ok("accounts").stdout.splitlines()
        if account_id in line or listed["name"] in line
    )
    assert shown in table_row  # the same words in the table as in the window

    window.accountsPanel.accountsList.setCurrentItem(item)
    qtbot.waitUntil(
        lambda: window._current is not None and window._current.record.id == account_id,
        timeout=10_000,
    )
    table = window.scopesPanel.table
    granted = [table.item(row, 2).text() for row in range(table.rowCount())]
    if listed["state"] in ("revoked", "revocation pending"):
        assert "no longer granted (revoked)" in granted
        assert "yes" not in granted
        assert "Nothing is granted now" in window.scopesPanel.summary.text()
    elif listed["state"] == "needs sign-in again":
        assert "no longer granted (signed out)" in granted
    else:
        assert "yes" in granted
