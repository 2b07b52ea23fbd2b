"""Token lifecycle in the real window (issue 5): tokens that stay alive, a refresh
token that was rotated out, scopes that change, disconnects that are proven, and
the device grant. Against the real oidc-provider, Chromium and Secret Service."""

from __future__ import annotations

import base64
import json
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from pytestqt.qtbot import QtBot

from desktop_oauth.core import config as config_file
from desktop_oauth.core.accounts import AccountService, AccountView
from desktop_oauth.core.errors import IdTokenError
from desktop_oauth.core.id_token import KeySet, verify_signature
from desktop_oauth.core.locks import profile_lock
from desktop_oauth.core.provider import Endpoints
from desktop_oauth.core.token_store import TokenStore
from desktop_oauth.ui.scopes_dialog import ScopesDialog
from tests.cli.runner import Cli

from .browser.driver import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Plan,
    block_non_loopback,
    browser_environment,
    handle_oidc_provider_consent,
    handle_oidc_provider_login,
)
from .conftest import BrowserPlan
from .oidc_provider import OidcProvider
from .window import (
    Running,
    browser_results,
    confirm_next_question,
    count_when_the_flow_ends,
    isolated_profile,
    open_window,
    provider_config,
)

pytestmark = pytest.mark.e2e

#: Access-token lifetime of the short-lived provider: the scheduler refreshes at
#: 80% of it, so a refresh happens a few seconds into a test.
SHORT_TTL = 5


@pytest.fixture(scope="module")
def short_lived_provider() -> Iterator[OidcProvider]:
    provider = OidcProvider().start(access_token_ttl=SHORT_TTL)
    try:
        yield provider
    finally:
        provider.stop()


# -- helpers --------------------------------------------------------------------------
class RequestLog:
    """Every HTTP request the app's session sends: (method, url), in order."""

    def __init__(self, session: requests.Session) -> None:
        self.seen: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        session.hooks["response"].append(self._record)

    def _record(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        with self._lock:
            self.seen.append((str(response.request.method), str(response.url)))

    def mark(self) -> int:
        with self._lock:
            return len(self.seen)

    def since(self, mark: int) -> list[tuple[str, str]]:
        with self._lock:
            return self.seen[mark:]


def service_of(running: Running) -> AccountService:
    assert running.service is not None
    return running.service


def connect(
    qtbot: QtBot,
    running: Running,
    plan: BrowserPlan,
    login: str = "alice",
    click: Callable[[], None] | None = None,
) -> AccountView:
    """Sign in through the window (Connect, or ``click``) and return the shown account."""
    plan.set(login=login, action="consent")
    with qtbot.waitSignal(running.controller.accountShown, timeout=30_000) as shown:
        if click is None:
            qtbot.mouseClick(running.window.connectButton, Qt.MouseButton.LeftButton)
        else:
            click()
    browser_results(qtbot, plan)
    qtbot.waitUntil(lambda: not running.controller.connecting, timeout=5_000)
    view: AccountView = shown.args[0]
    return view


def listed_state(running: Running) -> str:
    [item] = [
        running.window.accountsList.item(i) for i in range(running.window.accountsList.count())
    ]
    return item.text()


def countdown_seconds(text: str) -> int:
    """The token panel's countdown in seconds (negative once expired)."""
    # "expires in 4 s (at 05:12:03 CET (UTC+01:00))": the local time follows.
    match = re.fullmatch(r"(expires in|expired) (\d+) s( ago)?( \(at .+\))?", text)
    assert match, text
    return int(match.group(2)) * (1 if match.group(1) == "expires in" else -1)


# -- 1. automatic refresh, persisted rotation, a second process ----------------------
def test_the_scheduler_refreshes_unattended_and_a_later_process_sees_the_rotation(
    qtbot: QtBot,
    short_lived_provider: OidcProvider,
    browser_plan: BrowserPlan,
    tmp_path: Path,
) -> None:
    op = short_lived_provider
    cli = Cli(tmp_path / "home")  # the window and the command line share this profile
    running = open_window(qtbot, cli.profile, provider_config(op))
    window = running.window
    first = connect(qtbot, running, browser_plan)
    [signed_in] = browser_plan.results(timeout=0)
    request = parse_qs(urlsplit(signed_in["url_opened"]).query)
    assert request["prompt"] == ["consent"] and "offline_access" in request["scope"][0].split()
    assert first.tokens is not None and first.tokens.refresh_token
    assert "offline_access" in first.record.granted_scopes
    assert window.tokenPanel.last_refresh.whole_text() == "not yet"

    # Nobody clicks anything: the scheduler refreshes at 80% of the lifetime.
    countdown: list[int] = []
    sampler = QTimer()
    sampler.timeout.connect(
        lambda: countdown.append(countdown_seconds(window.tokenPanel.expiry.text()))
    )
    sampler.start(50)
    with qtbot.waitSignal(
        running.controller.accountRefreshed, timeout=SHORT_TTL * 1000 + 5_000
    ) as refreshed:
        pass
    sampler.stop()
    # Stop the next refresh before it comes: what the keyring holds must stay put.
    running.controller.scheduler.stop()
    view: AccountView = refreshed.args[0]
    assert view.tokens is not None and view.tokens.refresh_token
    assert view.tokens.access_token != first.tokens.access_token
    assert view.tokens.refresh_token != first.tokens.refresh_token  # rotated
    qtbot.waitUntil(
        lambda: window.tokenPanel.last_refresh.whole_text().endswith(", ok"), timeout=5_000
    )
    # The countdown ran down towards expiry, and starts again from the new lifetime.
    assert min(countdown) <= 2
    assert view.tokens.expires_at is not None and first.tokens.expires_at is not None
    assert view.tokens.expires_at > first.tokens.expires_at
    shown = countdown_seconds(window.tokenPanel.expiry.text())
    assert shown > min(countdown)
    assert abs(shown - (view.tokens.expires_at - time.time())) <= 1.5
    assert window.tokenPanel.refresh_token.text().startswith("held in the keyring")
    assert "connected" in listed_state(running)

    # The rotated refresh token is in the keyring (a fresh store, same service) ...
    stored = TokenStore(cli.profile.keyring_service).load(view.record.id)
    assert stored is not None and stored.refresh_token == view.tokens.refresh_token
    assert op.introspect(first.tokens.refresh_token)["active"] is False  # rotated out
    assert op.introspect(stored.refresh_token)["active"] is True
    record = config_file.load(cli.profile.config_path).accounts[0]
    assert record.last_refresh.endswith(", ok") and record.expires_at == stored.expires_at

    # ... and a second process started now uses it: its token call refreshes (the
    # token lives 5 s, the command wants 60 s), which only the new one can do.
    window.close()
    result = cli.run("token", "--json", "alice@example.test")
    assert result.returncode == 0, str(result)
    token = result.json()["access_token"]
    assert op.introspect(token)["active"] is True
    assert token not in (first.tokens.access_token, view.tokens.access_token)
    after = TokenStore(cli.profile.keyring_service).load(view.record.id)
    assert after is not None and after.refresh_token not in (
        stored.refresh_token,
        first.tokens.refresh_token,
    )
    [listed] = cli.ok("accounts", "--json").json()
    assert listed["state"] == "connected"


# -- 2. a rotated-out refresh token ---------------------------------------------------
def test_a_rotated_out_refresh_token_needs_sign_in_and_one_click_reconnects(
    qtbot: QtBot,
    short_lived_provider: OidcProvider,
    browser_plan: BrowserPlan,
    tmp_path: Path,
) -> None:
    op = short_lived_provider
    profile = isolated_profile(tmp_path / "p")
    running = open_window(qtbot, profile, provider_config(op))
    window, controller = running.window, running.controller
    first = connect(qtbot, running, browser_plan, login="dora")
    assert first.tokens is not None and first.tokens.refresh_token
    account_id = first.record.id

    # The scheduler rotates the refresh token ...
    with qtbot.waitSignal(controller.accountRefreshed, timeout=SHORT_TTL * 1000 + 5_000):
        pass
    # ... and an update is lost: the keyring gets the rotated-out tokens back (as if
    # another process had saved its stale copy last).
    with profile_lock(profile.home, f"refresh-{account_id}"):
        rotated = TokenStore(profile.keyring_service).load(account_id)
        assert rotated is not None and rotated.refresh_token != first.tokens.refresh_token
        TokenStore(profile.keyring_service).save(account_id, first.tokens)
    said: list[str] = []
    controller.status_message.connect(said.append)
    qtbot.waitUntil(window.refreshButton.isEnabled, timeout=5_000)
    qtbot.mouseClick(window.refreshButton, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: "needs sign-in again" in listed_state(running), timeout=10_000)
    assert any("invalid_grant). sign in again." in m.lower() for m in said), said
    # The provider revoked the whole grant, the newest refresh token too.
    assert rotated.refresh_token
    assert op.introspect(rotated.refresh_token)["active"] is False
    # Nothing crashed; the account keeps its metadata and last data, marked stale.
    record = service_of(running).config.accounts[0]
    assert record.id == account_id and record.status == "needs_sign_in"
    assert record.last_data and record.last_data["email"] == "dora@example.test"
    assert "refused" in record.last_refresh
    assert service_of(running).store.load(account_id) is None
    qtbot.waitUntil(lambda: "stale" in window.apiDataPanel.source.text(), timeout=5_000)
    assert "needs sign-in again" in window.apiDataPanel.source.text()
    assert '"email": "dora@example.test"' in window.apiDataPanel.raw.toPlainText()
    assert window.tokenPanel.access_token.text() == "Not connected"
    assert "refused" in window.tokenPanel.last_refresh.whole_text()
    assert window.accountsPanel.reconnectButton.isVisible()
    assert not window.refreshButton.isEnabled()
    assert controller.scheduler.due(account_id) is None  # no more refreshing

    # One click on "Sign in again" reconnects the same account.
    again = connect(
        qtbot,
        running,
        browser_plan,
        login="dora",
        click=lambda: qtbot.mouseClick(
            window.accountsPanel.reconnectButton, Qt.MouseButton.LeftButton
        ),
    )
    assert again.record.id == account_id
    qtbot.waitUntil(lambda: "connected" in listed_state(running), timeout=5_000)
    assert window.accountsList.count() == 1
    assert service_of(running).config.accounts[0].status == "connected"
    assert again.tokens is not None and op.introspect(again.tokens.access_token)["active"]
    assert not window.accountsPanel.reconnectButton.isVisible()
    assert "stale" not in window.apiDataPanel.source.text()
    assert controller.scheduler.due(account_id) is not None  # refreshed again from now on


# -- 5. incremental consent -----------------------------------------------------------
def answer_scopes_dialog(text: str) -> None:
    """Tick exactly the scopes in ``text`` in the "Change scopes" dialog as soon as it is
    open (unknown ones typed into its field), and press OK."""

    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ScopesDialog):
            QTimer.singleShot(20, fill)
            return
        dialog.choose(text.split())
        ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.click()

    QTimer.singleShot(0, fill)


def granted_column(running: Running) -> dict[str, tuple[str, str]]:
    table = running.window.scopesPanel.table
    return {
        table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text())
        for r in range(table.rowCount())
    }


def test_fewer_then_more_scopes_and_the_panel_says_what_changed(
    qtbot: QtBot,
    oidc_provider: OidcProvider,
    browser_plan: BrowserPlan,
    tmp_path: Path,
) -> None:
    running = open_window(qtbot, isolated_profile(tmp_path / "p"), provider_config(oidc_provider))
    window = running.window
    first = connect(qtbot, running, browser_plan, login="erin")
    summary = window.scopesPanel.summary
    assert summary.text() == "Everything requested was granted."

    def change_scopes_to(scopes: str) -> AccountView:
        answer_scopes_dialog(scopes)
        return connect(
            qtbot,
            running,
            browser_plan,
            login="erin",
            click=lambda: qtbot.mouseClick(
                window.accountsPanel.scopesButton, Qt.MouseButton.LeftButton
            ),
        )

    # Fewer: the same account, now without "profile".
    fewer = change_scopes_to("openid email offline_access")
    assert fewer.record.id == first.record.id
    assert fewer.record.granted_scopes == ("openid", "email", "offline_access")
    assert fewer.tokens is not None
    assert set(oidc_provider.introspect(fewer.tokens.access_token)["scope"].split()) == {
        "openid",
        "email",
        "offline_access",
    }
    assert "At the last consent, no longer granted: profile." in summary.text()
    assert "profile" not in granted_column(running)

    # More: "profile" asked for again (incremental consent) and granted.
    more = change_scopes_to("openid email offline_access profile")
    assert more.record.id == first.record.id
    assert set(more.record.granted_scopes) == {"openid", "email", "offline_access", "profile"}
    assert "At the last consent, now also granted: profile." in summary.text()
    assert "Everything requested was granted." in summary.text()
    assert granted_column(running)["profile"] == ("yes", "yes")
    assert window.accountsList.count() == 1
    assert "erin@example.test" in window.accountsList.item(0).text()


# -- 6. revoke, then verify ------------------------------------------------------------
def revoke_and_wait(qtbot: QtBot, running: Running) -> None:
    qtbot.waitUntil(running.window.revokeButton.isEnabled, timeout=5_000)
    confirm_next_question(qtbot)
    qtbot.mouseClick(running.window.revokeButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "revoked" in listed_state(running), timeout=15_000)


def test_revoke_is_verified_by_introspection(
    qtbot: QtBot,
    oidc_provider: OidcProvider,
    browser_plan: BrowserPlan,
    tmp_path: Path,
) -> None:
    op = oidc_provider
    running = open_window(qtbot, isolated_profile(tmp_path / "p"), provider_config(op))
    log = RequestLog(service_of(running).session)
    view = connect(qtbot, running, browser_plan, login="fay")
    assert view.tokens is not None and view.tokens.refresh_token and view.tokens.id_token

    # The id_token really is signed with the provider's published key, and any change
    # to its claims breaks the signature.
    keys = KeySet(requests.Session(), op.endpoint("jwks_uri"))
    assert verify_signature(view.tokens.id_token, keys)["sub"] == "fay"
    header, _, signature = view.tokens.id_token.split(".")
    claims = verify_signature(view.tokens.id_token, keys)
    tampered = f"{header}.{_b64url_json({**claims, 'sub': 'admin'})}.{signature}"
    with pytest.raises(IdTokenError, match="signature check failed"):
        verify_signature(tampered, keys)

    mark = log.mark()
    revoke_and_wait(qtbot, running)
    assert "revoked (verified)" in listed_state(running)
    assert "the provider confirms" in running.window.statusLabel.text()
    calls = log.since(mark)
    assert ("POST", op.endpoint("revocation_endpoint")) in calls
    assert ("POST", op.endpoint("introspection_endpoint")) in calls
    assert ("GET", op.endpoint("userinfo_endpoint")) not in calls  # no probe needed
    assert op.introspect(view.tokens.refresh_token)["active"] is False
    assert op.introspect(view.tokens.access_token)["active"] is False


def test_without_introspection_a_401_from_userinfo_verifies_the_revocation(
    qtbot: QtBot,
    oidc_provider: OidcProvider,
    browser_plan: BrowserPlan,
    tmp_path: Path,
) -> None:
    op = oidc_provider
    # Configured by hand, from the discovery document, minus introspection: a
    # provider that lets no client introspect.
    endpoints = replace(Endpoints.from_metadata(op.discovery()), introspection=None)
    provider = replace(provider_config(op), endpoints=endpoints)
    running = open_window(qtbot, isolated_profile(tmp_path / "p"), provider)
    log = RequestLog(service_of(running).session)
    view = connect(qtbot, running, browser_plan, login="gus")
    assert view.tokens is not None

    mark = log.mark()
    revoke_and_wait(qtbot, running)
    assert "revoked (verified)" in listed_state(running)
    assert "the provider confirms" in running.window.statusLabel.text()
    calls = log.since(mark)
    revocation = calls.index(("POST", op.endpoint("revocation_endpoint")))
    probe = calls.index(("GET", op.endpoint("userinfo_endpoint")))
    assert revocation < probe  # the probe came after the revocation ...
    assert all("introspection" not in url for _, url in calls)  # ... instead of introspection
    assert op.introspect(view.tokens.access_token)["active"] is False
    config = config_file.load(running.profile.config_path)
    assert config.accounts[0].revocation == "verified"


def _b64url_json(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# -- 7. the device grant --------------------------------------------------------------
class CodeEntry:
    """The person at another device: opens the verification page in Chromium, types
    the user code, confirms, signs in, and approves (or denies) on the consent page.
    Runs on its own thread while the window keeps polling."""

    def __init__(self, url: str, user_code: str, login: str, approve: bool) -> None:
        self.outcome: dict[str, Any] = {}
        self._args = (url, user_code, login, approve)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def done(self) -> bool:
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            self.outcome["final_text"] = self._drive(*self._args)
        except Exception as exc:  # reported to the test
            self.outcome["error"] = f"{type(exc).__name__}: {exc}"

    @staticmethod
    def _drive(url: str, user_code: str, login: str, approve: bool) -> str:
        from playwright.sync_api import sync_playwright

        plan = Plan(login=login, action="consent" if approve else "cancel")
        with (
            tempfile.TemporaryDirectory(prefix="desktop-oauth-chromium-") as folder,
            sync_playwright() as pw,
        ):
            context = pw.chromium.launch_persistent_context(
                folder,
                executable_path=CHROMIUM,
                headless=True,
                args=CHROMIUM_ARGS,
                env=browser_environment(),
                timeout=10_000,
            )
            try:
                context.set_default_timeout(8_000)
                context.route("**/*", block_non_loopback)
                page = context.new_page()
                page.goto(url, wait_until="load")
                # oidc-provider's device page names its field user_code.
                page.fill("input[name=user_code]", user_code)
                with page.expect_navigation(wait_until="load"):
                    page.get_by_role("button", name="Continue").click()
                with page.expect_navigation(wait_until="load"):  # "Confirm Device"
                    page.get_by_role("button", name="Continue").click()
                handle_oidc_provider_login(page, plan)
                page.wait_for_load_state("load")
                handle_oidc_provider_consent(page, plan)
                page.wait_for_load_state("load")
                return str(page.inner_text("body"))
            finally:
                context.close()


def start_code_sign_in(qtbot: QtBot, running: Running) -> tuple[str, str]:
    """Press "Connect with a code"; the user code and the verification URL shown."""
    window = running.window
    qtbot.mouseClick(window.deviceButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: window.devicePanel.isVisible() and bool(window.devicePanel.code.text()),
        timeout=10_000,
    )
    assert window.devicePanel.countdown.text().startswith("The code expires in")
    assert window.cancelButton.isEnabled()
    return window.devicePanel.code.text(), window.devicePanel.url.text()


def token_posts(log: RequestLog, op: OidcProvider, mark: int = 0) -> int:
    return sum(1 for call in log.since(mark) if call == ("POST", op.endpoint("token_endpoint")))


def test_sign_in_with_a_code_entered_in_the_browser(
    qtbot: QtBot,
    oidc_provider: OidcProvider,
    tmp_path: Path,
) -> None:
    op = oidc_provider
    running = open_window(qtbot, isolated_profile(tmp_path / "p"), provider_config(op))
    code, url = start_code_sign_in(qtbot, running)
    assert url == op.endpoint("device_authorization_endpoint").replace("/device/auth", "/device")
    with qtbot.waitSignal(running.controller.accountShown, timeout=30_000) as shown:
        person = CodeEntry(url, code, "hana", approve=True)
        qtbot.waitUntil(person.done, timeout=20_000)
        assert "error" not in person.outcome, person.outcome
        assert "Sign-in Success" in person.outcome["final_text"]
    view: AccountView = shown.args[0]
    assert view.record.subject == "hana" and view.tokens is not None
    assert op.introspect(view.tokens.access_token)["active"] is True
    qtbot.waitUntil(lambda: not running.window.devicePanel.isVisible(), timeout=5_000)
    assert "hana@example.test" in listed_state(running)
    assert "Connected as" in running.window.statusLabel.text()


def test_denying_a_code_sign_in_says_access_was_declined(
    qtbot: QtBot,
    oidc_provider: OidcProvider,
    tmp_path: Path,
) -> None:
    running = open_window(qtbot, isolated_profile(tmp_path / "p"), provider_config(oidc_provider))
    code, url = start_code_sign_in(qtbot, running)
    with qtbot.waitSignal(
        running.controller.busy, timeout=30_000, check_params_cb=lambda busy: busy is False
    ):
        person = CodeEntry(url, code, "ivan", approve=False)
        qtbot.waitUntil(person.done, timeout=20_000)
        assert "error" not in person.outcome, person.outcome
    assert running.window.statusLabel.text() == (
        "You declined the request at the provider, so nothing was connected."
    )
    assert running.window.accountsList.count() == 0
    assert not running.window.devicePanel.isVisible()


def test_cancel_stops_polling_for_a_code_sign_in(
    qtbot: QtBot,
    oidc_provider: OidcProvider,
    tmp_path: Path,
) -> None:
    op = oidc_provider
    running = open_window(qtbot, isolated_profile(tmp_path / "p"), provider_config(op))
    log = RequestLog(service_of(running).session)
    start_code_sign_in(qtbot, running)
    qtbot.waitUntil(lambda: token_posts(log, op) >= 1, timeout=10_000)  # it polls ...
    at_end = count_when_the_flow_ends(running.controller, lambda: token_posts(log, op))
    with qtbot.waitSignal(
        running.controller.busy, timeout=2_000, check_params_cb=lambda busy: busy is False
    ):
        qtbot.mouseClick(running.window.cancelButton, Qt.MouseButton.LeftButton)
    assert running.window.statusLabel.text() == "Sign-in with a code cancelled."
    assert not running.controller.connecting
    assert not running.window.devicePanel.isVisible()
    # ... and stopped: the polling thread has ended (busy(False) comes after it,
    # Controller._flow_done), so no poll can follow the ones counted then.
    assert at_end, "the polling thread is still running"
    assert token_posts(log, op) == at_end[0]
    assert running.window.accountsList.count() == 0
