"""Several accounts in the real window: two demo users at the same real OpenID
provider (oidc-provider) and one at the built-in sandbox, each signed in through the
real browser, tokens in the real keyring; then the same profile from the command line.

Config robustness (a damaged config.json) is at the end: the window starts, says
where the old file went, and leaves every keyring entry alone."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import keyring
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidgetItem, QWidget
from pytestqt.qtbot import QtBot

from desktop_oauth.core import config as config_file
from desktop_oauth.core.accounts import AccountService, AccountView
from desktop_oauth.core.config import AccountRecord
from desktop_oauth.core.profile import HOME_VARIABLE, Profile
from desktop_oauth.core.provider import ProviderConfig
from desktop_oauth.core.token_store import TokenStore
from desktop_oauth.core.tokens import TokenSet
from desktop_oauth.qt.controller import Controller
from desktop_oauth.sandbox import SANDBOX_NAME, Sandbox, ensure_running
from desktop_oauth.ui.accounts_panel import ACCOUNT_ID_ROLE
from desktop_oauth.ui.main_window import MainWindow
from tests.cli.runner import Cli

from .conftest import BrowserPlan
from .oidc_provider import OidcProvider
from .window import (
    PROVIDER_NAME,
    Running,
    browser_results,
    confirm_next_question,
    open_app_window,
    provider_config,
)

pytestmark = pytest.mark.e2e

OP_SCOPES = {"openid", "profile", "email", "offline_access"}


@pytest.fixture
def sandboxes() -> Iterator[list[Sandbox]]:
    """Sandboxes this test process started (stopped at the end)."""
    started: list[Sandbox] = []
    yield started
    for sandbox in started:
        sandbox.stop()


# -- reading the window ---------------------------------------------------------------
def listed(window: MainWindow) -> dict[str, str]:
    """Account id -> the text of its line in the accounts list."""
    items = [window.accountsList.item(r) for r in range(window.accountsList.count())]
    return {str(i.data(ACCOUNT_ID_ROLE)): i.text() for i in items}


def item_of(window: MainWindow, account_id: str) -> QListWidgetItem:
    for row in range(window.accountsList.count()):
        item = window.accountsList.item(row)
        if item.data(ACCOUNT_ID_ROLE) == account_id:
            return item
    raise AssertionError(f"{account_id} is not listed: {listed(window)}")


def claims_shown(window: MainWindow) -> dict[str, str]:
    tree = window.tokenPanel.claims
    return {
        tree.topLevelItem(i).text(0): tree.topLevelItem(i).text(1)
        for i in range(tree.topLevelItemCount())
    }


def scopes_shown(window: MainWindow) -> dict[str, str]:
    table = window.scopesPanel.table
    return {table.item(r, 0).text(): table.item(r, 2).text() for r in range(table.rowCount())}


# -- acting in the window -------------------------------------------------------------
def connect(
    qtbot: QtBot, running: Running, plan: BrowserPlan, provider: str, login: str
) -> AccountView:
    """Pick ``provider``, press Connect, and have the browser sign in as ``login``."""
    window, controller = running.window, running.controller
    window.providerCombo.setCurrentText(provider)
    assert window.providerCombo.currentText() == provider
    plan.set(login=login, action="consent")
    with qtbot.waitSignal(
        controller.accountShown,
        timeout=30_000,
        check_params_cb=lambda v: login in v.record.display_name,
    ) as shown:
        qtbot.mouseClick(window.connectButton, Qt.MouseButton.LeftButton)
    [run] = browser_results(qtbot, plan)
    assert run["error"] is None, run
    qtbot.waitUntil(
        lambda: not controller.connecting and window.connectButton.isEnabled(), timeout=10_000
    )
    view: AccountView = shown.args[0]
    return view


def select(qtbot: QtBot, running: Running, account_id: str) -> AccountView:
    """Click the account's line; wait until the panels show it."""
    window = running.window
    rect = window.accountsList.visualItemRect(item_of(window, account_id))
    with qtbot.waitSignal(
        running.controller.accountShown,
        timeout=10_000,
        check_params_cb=lambda v: v.record.id == account_id,
    ) as shown:
        qtbot.mouseClick(
            window.accountsList.viewport(), Qt.MouseButton.LeftButton, pos=rect.center()
        )
    view: AccountView = shown.args[0]
    return view


def come_back_to(qtbot: QtBot, window: MainWindow) -> None:
    """The person switches to another window and back (as after using a terminal)."""
    other = QWidget()
    qtbot.addWidget(other)
    other.show()
    other.activateWindow()
    qtbot.waitUntil(other.isActiveWindow, timeout=5_000)
    other.close()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)


def test_three_accounts_are_listed_selected_updated_removed_and_shared_with_the_cli(
    qtbot: QtBot,
    oidc_provider: OidcProvider,
    browser_plan: BrowserPlan,
    tmp_path: Path,
    sandboxes: list[Sandbox],
) -> None:
    home = tmp_path / "home"
    profile = Profile.from_environment({HOME_VARIABLE: str(home)})
    cli = Cli(home)
    assert cli.profile == profile  # the same folder and keyring namespace as the window
    config_file.save(
        profile.config_path, config_file.Config(providers=(provider_config(oidc_provider),))
    )

    def start_sandbox(folder: Path) -> Sandbox:
        sandbox = ensure_running(folder)
        if sandbox.owned:
            sandboxes.append(sandbox)
        return sandbox

    running = open_app_window(qtbot, profile, start_sandbox=start_sandbox)
    window = running.window
    service = running.service
    assert isinstance(service, AccountService)
    store = service.store
    try:
        alice = connect(qtbot, running, browser_plan, PROVIDER_NAME, "alice")
        bob = connect(qtbot, running, browser_plan, PROVIDER_NAME, "bob")
        ada = connect(qtbot, running, browser_plan, SANDBOX_NAME, "ada")
        views = {v.record.id: v for v in (alice, bob, ada)}
        assert len(views) == 3
        assert alice.record.issuer == bob.record.issuer == oidc_provider.issuer

        # The list: name, provider and state of each.
        lines = listed(window)
        assert set(lines) == set(views)
        assert lines[alice.record.id] == f"alice@example.test\nconnected · {PROVIDER_NAME}"
        assert lines[bob.record.id] == f"bob@example.test\nconnected · {PROVIDER_NAME}"
        assert lines[ada.record.id] == f"ada@sandbox.test\nconnected · {SANDBOX_NAME}"

        # Selecting each shows its own token, scopes and data.
        for account_id, connected in views.items():
            view = select(qtbot, running, account_id)
            stored = store.load(account_id)
            assert stored is not None and view.tokens == stored
            assert connected.tokens is not None
            assert stored.access_token == connected.tokens.access_token
            assert (
                f"({len(stored.access_token)} characters)" in window.tokenPanel.access_token.text()
            )
            assert claims_shown(window)["sub"] == view.record.subject
            email = view.record.display_name
            assert f'"email": "{email}"' in window.apiDataPanel.raw.toPlainText()
            scopes = scopes_shown(window)
            if account_id == ada.record.id:
                assert scopes["notes.read"] == "yes" and set(scopes) >= OP_SCOPES
            else:
                assert scopes == dict.fromkeys(OP_SCOPES, "yes")
            assert window.accountsList.currentItem().data(ACCOUNT_ID_ROLE) == account_id
        subjects = {v.record.subject for v in views.values()}
        assert len(subjects) == 3

        # The command line sees the same three accounts.
        from_cli = {a["id"]: a for a in cli.ok("accounts", "--json").json()}
        assert set(from_cli) == set(views)
        for account_id, view in views.items():
            assert from_cli[account_id]["name"] == view.record.display_name
            assert from_cli[account_id]["provider"] == view.record.provider
            assert from_cli[account_id]["state"] == "connected"

        # Connecting alice again updates her line instead of adding one.
        again = connect(qtbot, running, browser_plan, PROVIDER_NAME, "alice")
        assert again.record.id == alice.record.id
        assert again.tokens is not None and alice.tokens is not None
        assert again.tokens.access_token != alice.tokens.access_token
        assert again.record.previous_granted_scopes == alice.record.granted_scopes
        assert len(listed(window)) == 3
        assert sum("alice@example.test" in line for line in listed(window).values()) == 1
        alice_tokens = store.load(alice.record.id)
        assert alice_tokens is not None and alice_tokens.access_token == again.tokens.access_token
        assert [a.id for a in service.config.accounts].count(alice.record.id) == 1

        # Remove bob: revoked at the provider first, then forgotten here.
        bob_tokens = bob.tokens
        assert bob_tokens is not None and bob_tokens.refresh_token
        assert oidc_provider.introspect(bob_tokens.access_token)["active"] is True
        select(qtbot, running, bob.record.id)
        with qtbot.waitSignal(
            running.controller.accountForgotten,
            timeout=15_000,
            check_params_cb=lambda i: i == bob.record.id,
        ):
            confirm_next_question(qtbot)
            qtbot.mouseClick(window.accountsPanel.removeButton, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: len(listed(window)) == 2, timeout=5_000)
        assert bob.record.id not in listed(window)
        assert oidc_provider.introspect(bob_tokens.access_token)["active"] is False
        assert oidc_provider.introspect(bob_tokens.refresh_token)["active"] is False
        assert keyring.get_password(profile.keyring_service, bob.record.id) is None
        assert window.tokenPanel.access_token.text() == "Not connected"
        saved = json.loads(profile.config_path.read_text(encoding="utf-8"))
        # Forgotten as an account; its history stays, "removed" last, and holds no token.
        assert "bob@example.test" not in json.dumps(saved["accounts"])
        assert saved["history"][bob.record.id]["entries"][-1]["kind"] == "removed"
        assert bob_tokens.access_token not in json.dumps(saved)
        assert bob_tokens.refresh_token not in json.dumps(saved)
        # alice and ada are untouched.
        assert oidc_provider.introspect(again.tokens.access_token)["active"] is True
        assert store.load(ada.record.id) is not None
        from_cli = {a["id"]: a for a in cli.ok("accounts", "--json").json()}
        assert set(from_cli) == {alice.record.id, ada.record.id}

        # A revoke from the command line is noticed by the window when the person
        # comes back to it (it reads the settings again).
        select(qtbot, running, alice.record.id)
        revoked = cli.ok("revoke", "alice@example.test")
        assert "Access revoked; the provider confirms" in revoked.stdout
        assert oidc_provider.introspect(again.tokens.access_token)["active"] is False
        assert "connected" in listed(window)[alice.record.id]  # not noticed yet
        come_back_to(qtbot, window)
        qtbot.waitUntil(
            lambda: listed(window)[alice.record.id].endswith(
                f"revoked (verified) · {PROVIDER_NAME}"
            ),
            timeout=10_000,
        )
        qtbot.waitUntil(
            lambda: window.tokenPanel.access_token.text() == "Not connected", timeout=10_000
        )
        assert window.accountsPanel.reconnectButton.isVisible()
        assert not window.revokeButton.isEnabled()
        assert listed(window)[ada.record.id].split("\n")[1].startswith("connected · ")
    finally:
        for record in service.config.accounts:
            store.delete(record.id)


# -- a damaged settings file ----------------------------------------------------------
DAMAGED = {
    "corrupted": b'{"schema": 1, "providers": [}, "accounts": ]',
    "truncated": None,  # the first half of a good file, made below
    "not UTF-8": b'{"schema": 1, "providers": [], "accounts": [{"display_name": "\xff\xfe"}]}',
    "wrong types": b'{"schema": 1, "providers": "many", "accounts": {"a": 1}}',
    "empty": b"",
}


@pytest.mark.parametrize("damage", list(DAMAGED))
def test_a_damaged_settings_file_is_moved_aside_and_no_token_is_lost(
    qtbot: QtBot,
    tmp_path: Path,
    damage: str,
) -> None:
    home = tmp_path / "home"
    profile = Profile(home=home, keyring_service=f"desktop-oauth-test:{uuid.uuid4().hex}")
    backend = keyring.get_keyring()
    assert type(backend).__module__ == "keyring.backends.SecretService"
    store = TokenStore(profile.keyring_service, backend)
    account_id = "acct-kept-in-the-keyring"
    tokens = TokenSet(
        access_token="A-" + uuid.uuid4().hex,
        refresh_token="R-" + uuid.uuid4().hex,
        id_token=None,
        expires_at=None,
        granted_scopes=("openid",),
    )
    store.save(account_id, tokens)
    secret = "client-secret-" + uuid.uuid4().hex
    store.save_client_secret(PROVIDER_NAME, secret)
    # The file as it was before the damage: the provider and the account whose
    # tokens the keyring holds.
    provider = ProviderConfig(
        name=PROVIDER_NAME,
        issuer="https://id.example.com",
        client_id="desktop-app",
        has_client_secret=True,
    )
    record = AccountRecord(
        id=account_id,
        provider=PROVIDER_NAME,
        issuer=provider.issuer,
        subject="248289761001",
        display_name="alice@example.test",
        granted_scopes=("openid",),
    )
    good = profile.config_path
    config_file.save(good, config_file.Config(providers=(provider,), accounts=(record,)))
    data = DAMAGED[damage]
    if data is None:
        whole = good.read_bytes()
        data = whole[: len(whole) // 2]
    good.write_bytes(data)
    keyring_before = keyring_entries(profile.keyring_service)
    assert len(keyring_before) == 2  # the token set (one entry), the client secret
    try:
        controller = Controller(lambda: AccountService(profile, store=store))
        window = MainWindow(controller, show_errors_in_dialogs=False)
        qtbot.addWidget(window)
        messages: list[str] = []
        controller.errorShown.connect(messages.append)
        window.show()
        with qtbot.waitSignal(controller.configLoaded, timeout=10_000):
            controller.start()
        qtbot.waitUntil(lambda: bool(messages), timeout=5_000)

        [backup] = home.glob("config.json.unreadable-*")
        assert backup.read_bytes() == data  # the damaged file, byte for byte
        assert "could not be read" in messages[0] and str(backup) in messages[0]
        assert "No provider is set up yet" in window.statusLabel.text()
        assert window.addProviderButton.isEnabled()
        assert window.providerCombo.count() == 0 and window.accountsList.count() == 0
        assert config_file.load(good).recovered_from is None  # a readable file again

        # Every keyring entry is exactly as it was: tokens and client secret.
        assert keyring_entries(profile.keyring_service) == keyring_before
        assert store.load(account_id) == tokens
        assert store.load_client_secret(PROVIDER_NAME) == secret

        # Coming back to the window later reads the (now good) file without a word.
        with qtbot.waitSignal(controller.configLoaded, timeout=10_000):
            come_back_to(qtbot, window)
        assert len(messages) == 1
        assert list(home.glob("config.json.unreadable-*")) == [backup]
    finally:
        store.delete(account_id)
        store.delete_client_secret(PROVIDER_NAME)


def test_a_file_damaged_while_the_window_runs_loses_no_listed_account(
    qtbot: QtBot,
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    profile = Profile(home=home, keyring_service=f"desktop-oauth-test:{uuid.uuid4().hex}")
    store = TokenStore(profile.keyring_service, keyring.get_keyring())
    provider = ProviderConfig(
        name=PROVIDER_NAME, issuer="https://id.example.com", client_id="desktop-app"
    )
    record = AccountRecord(
        id="acct-listed",
        provider=PROVIDER_NAME,
        issuer=provider.issuer,
        subject="s-1",
        display_name="alice@example.test",
        granted_scopes=("openid",),
    )
    tokens = TokenSet(
        access_token="A-" + uuid.uuid4().hex,
        refresh_token=None,
        id_token=None,
        expires_at=None,
        granted_scopes=("openid",),
    )
    store.save(record.id, tokens)
    config_file.save(
        profile.config_path, config_file.Config(providers=(provider,), accounts=(record,))
    )
    try:
        controller = Controller(lambda: AccountService(profile, store=store))
        window = MainWindow(controller, show_errors_in_dialogs=False)
        qtbot.addWidget(window)
        messages: list[str] = []
        controller.errorShown.connect(messages.append)
        window.show()
        with qtbot.waitSignal(controller.accountShown, timeout=10_000):
            controller.start()
        assert list(listed(window)) == [record.id]

        # Another program truncates the file; the person comes back to the window.
        damaged = profile.config_path.read_bytes()[:40]
        profile.config_path.write_bytes(damaged)
        come_back_to(qtbot, window)
        qtbot.waitUntil(lambda: bool(messages), timeout=10_000)
        [backup] = home.glob("config.json.unreadable-*")
        assert backup.read_bytes() == damaged
        assert str(backup) in messages[0] and "continues" in messages[0]
        assert list(listed(window)) == [record.id]  # still listed ...
        rewritten = config_file.load(profile.config_path)  # ... and written back
        assert [a.id for a in rewritten.accounts] == [record.id]
        assert [p.name for p in rewritten.providers] == [PROVIDER_NAME]
        assert store.load(record.id) == tokens
    finally:
        store.delete(record.id)


def keyring_entries(namespace: str) -> dict[str, str]:
    """Every entry the real Secret Service holds under ``namespace`` (entry name ->
    value), read straight from the collection so the check does not trust the store."""
    backend = keyring.get_keyring()
    scheme = backend.schemes[backend.scheme]
    collection = backend.get_preferred_collection()
    with closing(collection.connection):
        return {
            item.get_attributes()[scheme["username"]]: item.get_secret().decode()
            for item in collection.search_items({scheme["service"]: namespace})
        }
