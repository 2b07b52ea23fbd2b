"""The built-in sandbox provider in the real window, as a new user meets it.

The window is built as the app builds it (``services.open_account_service``,
the sandbox listed first), on a fresh profile; Chromium, driven by
tests/e2e/browser/driver.py, signs in and consents on the sandbox's pages; the
tokens go to the real Secret Service. The connect test runs against
oidc-provider too (issue 3: the same tests against both providers).
"""

from __future__ import annotations

import sys
import threading
import time
import webbrowser
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidgetItem
from pytestqt.qtbot import QtBot

from desktop_oauth.core import config as config_file
from desktop_oauth.core.accounts import AccountView
from desktop_oauth.sandbox import SANDBOX_NAME, Sandbox, ensure_running
from desktop_oauth.ui.plain_text import plain_tooltip

from .browser.driver import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LOOPBACK_HOSTS,
    block_non_loopback,
    browser_environment,
)
from .conftest import BrowserPlan
from .oidc_provider import OidcProvider
from .window import (
    PROVIDER_NAME,
    Running,
    browser_results,
    count_when_the_flow_ends,
    isolated_profile,
    open_app_window,
    provider_config,
    save_screenshot,
)

pytestmark = pytest.mark.e2e


# ------------------------------------------------------------------ the sandbox


class Sandboxes:
    """The window's sandbox starter: ``ensure_running`` with test settings, and a
    record of what it started so the test stops it again."""

    def __init__(self) -> None:
        self.rate_limit: tuple[int, float] = (60, 60.0)
        self.device_interval = 1  # RFC 8628 interval: 1 s keeps the device tests short
        self.started: list[Sandbox] = []

    def __call__(self, home: Path) -> Sandbox:
        sandbox = ensure_running(
            home, rate_limit=self.rate_limit, device_interval=self.device_interval
        )
        self.started.append(sandbox)
        return sandbox

    @property
    def issuer(self) -> str:
        assert self.started, "the window has not started its sandbox yet"
        return self.started[-1].issuer

    def stop(self) -> None:
        for sandbox in self.started:
            sandbox.stop()


@pytest.fixture
def sandboxes() -> Iterator[Sandboxes]:
    starter = Sandboxes()
    yield starter
    starter.stop()


# ----------------------------------------------------------- offline, and proven


_recorder: list[tuple[str, Any]] | None = None
_hook_lock = threading.Lock()
_hooked = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    # Called for every audit event in the process: keep the common case cheap.
    if _recorder is not None and event in ("socket.connect", "socket.getaddrinfo"):
        _recorder.append((event, args[1] if event == "socket.connect" else args[0]))


class Network:
    """Every URL the app's HTTP session asked for, and every host this process
    resolved or connected to (``socket.getaddrinfo`` / ``socket.connect`` audit
    events, from any thread) while the test ran."""

    def __init__(self) -> None:
        self.urls: list[tuple[str, str, int]] = []  # (method, url, status), redirects too
        self.events: list[tuple[str, Any]] = []

    def watch(self, running: Running) -> None:
        """Record what ``running``'s account service asks for from now on."""
        assert running.service is not None

        def record(response: requests.Response, *args: Any, **kwargs: Any) -> None:
            for step in (*response.history, response):
                self.urls.append((step.request.method or "", step.url, step.status_code))

        running.service.session.hooks["response"].append(record)

    def token_posts(self, token_url: str) -> int:
        return sum(1 for method, url, _ in self.urls if method == "POST" and url == token_url)

    def assert_loopback_only(self) -> None:
        off = [url for _, url, _ in self.urls if not url.startswith("http://127.0.0.1:")]
        assert not off, f"the app called addresses off this computer: {off}"
        assert self.urls, "the app's HTTP session was never watched"
        hosts = set()
        for event, target in self.events:
            if event == "socket.connect" and isinstance(target, tuple):
                hosts.add(str(target[0]))  # AF_INET(6); AF_UNIX (D-Bus) paths are str
            elif event == "socket.getaddrinfo" and target is not None:
                hosts.add(target.decode() if isinstance(target, bytes) else str(target))
        assert hosts, "no connection was recorded: is the audit hook working?"
        assert hosts <= LOOPBACK_HOSTS, f"this process reached beyond loopback: {hosts}"


@pytest.fixture
def network() -> Iterator[Network]:
    global _recorder, _hooked
    with _hook_lock:
        if not _hooked:  # audit hooks cannot be removed: one for the session
            sys.addaudithook(_audit)
            _hooked = True
    watched = Network()
    _recorder = watched.events
    try:
        yield watched
    finally:
        _recorder = None


# ---------------------------------------------------------------- the window


def open_sandbox_window(
    qtbot: QtBot, tmp_path: Path, sandboxes: Sandboxes, network: Network
) -> Running:
    """A first launch: a fresh profile, nothing configured."""
    running = open_app_window(
        qtbot, isolated_profile(tmp_path / "profile"), start_sandbox=sandboxes
    )
    network.watch(running)
    return running


def click(qtbot: QtBot, button: Any) -> None:
    assert button.isVisible() and button.isEnabled(), f"{button.objectName()} is not clickable"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def connect(
    qtbot: QtBot, running: Running, plan: BrowserPlan, *, button: Any = None, **plan_fields: Any
) -> AccountView:
    """Press Connect (or ``button``); the browser plays the person per ``plan_fields``."""
    plan.set(**plan_fields)
    return await_account(
        qtbot, running, plan, lambda: click(qtbot, button or running.window.connectButton)
    )


def await_account(
    qtbot: QtBot, running: Running, plan: BrowserPlan, act: Callable[[], object]
) -> AccountView:
    """Do ``act``, then wait until the window shows a newly connected account; fail
    early, with what the window and the browser said, when either reports an error."""
    controller = running.controller
    shown: list[AccountView] = []
    errors: list[str] = []

    def connected(view: AccountView) -> None:
        # Not a view of some other account the window happens to (re)show.
        if view.tokens is not None and view.record.status == "connected":
            shown.append(view)

    controller.accountShown.connect(connected)
    controller.errorShown.connect(errors.append)
    try:
        act()
        try:
            qtbot.waitUntil(lambda: bool(shown or errors or browser_failed(plan)), timeout=30_000)
        except qtbot.TimeoutError:
            raise AssertionError(
                f"not connected; the window says "
                f"{running.window.statusLabel.text()!r}\n"
                f"{plan.log_tail()}"
            ) from None
    finally:
        controller.accountShown.disconnect(connected)
        controller.errorShown.disconnect(errors.append)
    assert not errors, errors
    [result] = browser_results(qtbot, plan)
    assert result["error"] is None, (result, plan.log_tail())
    qtbot.waitUntil(lambda: not controller.connecting, timeout=5_000)
    return shown[0]


def browser_failed(plan: BrowserPlan) -> bool:
    return any(run["error"] for run in plan.results(timeout=0, count=0))


def call_api(qtbot: QtBot, running: Running, url: str | None) -> None:
    """Pick ``url`` in the data panel's combo (None: the default call) and press Call;
    wait until the answer (data or refusal) is in."""
    panel = running.window.apiDataPanel
    index = panel.calls.findData(url) if url is not None else 0
    assert index >= 0, f"the data panel does not offer {url}"
    panel.calls.setCurrentIndex(index)
    with qtbot.waitSignal(
        running.controller.busy, timeout=15_000, check_params_cb=lambda busy: busy is False
    ):
        click(qtbot, panel.callButton)


def scope_cell(running: Running, row: int, column: int) -> QTableWidgetItem:
    item = running.window.scopesPanel.table.item(row, column)
    assert item is not None
    return item


def scope_rows(running: Running) -> dict[str, tuple[str, str]]:
    """Each scope in the permissions table: (requested, granted)."""
    return {
        scope_cell(running, r, 0).text(): (
            scope_cell(running, r, 1).text(),
            scope_cell(running, r, 2).text(),
        )
        for r in range(running.window.scopesPanel.table.rowCount())
    }


def account_texts(running: Running) -> list[str]:
    accounts = running.window.accountsList
    return [accounts.item(row).text() for row in range(accounts.count())]


# --------------------------------------------------- the same test, two providers


@dataclass(frozen=True)
class Target:
    """A provider the connect test runs against, and what it shows for the person."""

    provider: str
    login: str
    email: str
    scopes: tuple[str, ...]
    configure: Callable[[Path], None] = field(default=lambda home: None)


@pytest.fixture(params=["oidc-provider", "sandbox"])
def target(request: pytest.FixtureRequest) -> Target:
    if request.param == "sandbox":
        return Target(
            SANDBOX_NAME,
            "ada",
            "ada@sandbox.test",
            ("openid", "profile", "email", "offline_access", "notes.read"),
        )
    op: OidcProvider = request.getfixturevalue("oidc_provider")

    def configure(home: Path) -> None:
        # Added by hand before the first launch; the sandbox is still listed first.
        config_file.save(home / "config.json", config_file.Config(providers=(provider_config(op),)))

    return Target(PROVIDER_NAME, "alice", "alice@example.test", op.scopes, configure)


def test_connect_shows_token_scopes_and_data(
    qtbot: QtBot,
    target: Target,
    sandboxes: Sandboxes,
    network: Network,
    browser_plan: BrowserPlan,
    tmp_path: Path,
) -> None:
    target.configure(tmp_path / "profile")
    running = open_sandbox_window(qtbot, tmp_path, sandboxes, network)
    window = running.window

    # First launch: the built-in sandbox is the first entry, and the one selected.
    assert window.providerCombo.itemText(0) == SANDBOX_NAME
    assert window.providerCombo.currentText() == SANDBOX_NAME
    assert sandboxes.started == []  # listed, but started only when first used
    window.providerCombo.setCurrentText(target.provider)

    view = connect(qtbot, running, browser_plan, login=target.login)
    assert view.tokens is not None and view.tokens.refresh_token

    # Token panel: masked token, expiry, refresh token in the keyring.
    assert f"({len(view.tokens.access_token)} characters)" in window.tokenPanel.access_token.text()
    assert view.tokens.access_token not in window.tokenPanel.access_token.text()
    assert "expires in" in window.tokenPanel.expiry.text()
    assert window.tokenPanel.refresh_token.text().startswith("held in the keyring")
    # Permissions panel: everything requested was granted.
    assert scope_rows(running) == {s: ("yes", "yes") for s in target.scopes}
    assert window.scopesPanel.summary.text() == "Everything requested was granted."
    # Data panel: the userinfo answer; the account is listed as connected.
    assert f'"email": "{target.email}"' in window.apiDataPanel.raw.toPlainText()
    assert account_texts(running) == [f"{target.email}\nconnected · {target.provider}"]

    if target.provider == SANDBOX_NAME:
        issuer = sandboxes.issuer
        assert [s.owned for s in sandboxes.started] == [True]
        # The sandbox API with the token: the quota is shown next to the data.
        call_api(qtbot, running, f"{issuer}/api/profile")
        panel = window.apiDataPanel
        assert panel.source.text() == f"GET {issuer}/api/profile → HTTP 200"
        assert '"name": "Ada Lovelace"' in panel.raw.toPlainText()
        assert panel.quota.text().startswith("59 of 60 calls left; resets in ")
        assert "per user" in panel.quota.text()
        assert panel.refusal.text() == ""
        assert panel.quota.isVisible()
        # notes.read was granted: the notes come back.
        call_api(qtbot, running, f"{issuer}/api/notes")
        assert "Welcome to the sandbox" in panel.raw.toPlainText()
        assert panel.quota.text().startswith("58 of 60 calls left")
        call_api(qtbot, running, f"{issuer}/api/profile")
        save_screenshot(window, "connected-sandbox")
    else:
        assert sandboxes.started == []  # never needed, never started
    network.assert_loopback_only()


# ------------------------------------------------------------ the sandbox only


def test_denying_at_the_sandbox_says_so_and_connects_nothing(
    qtbot: QtBot,
    sandboxes: Sandboxes,
    network: Network,
    browser_plan: BrowserPlan,
    tmp_path: Path,
) -> None:
    # (oidc-provider's Cancel: test_connect_window.py)
    running = open_sandbox_window(qtbot, tmp_path, sandboxes, network)
    browser_plan.set(login="ada", action="cancel")
    with qtbot.waitSignal(
        running.controller.busy, timeout=30_000, check_params_cb=lambda busy: busy is False
    ):
        click(qtbot, running.window.connectButton)
    [result] = browser_results(qtbot, browser_plan)
    assert result["pages"] == ["sandbox_login", "sandbox_consent", "redirect"]
    assert "error=access_denied" in result["final_url"]
    assert "declined" in running.window.statusLabel.text()
    assert running.window.accountsList.count() == 0
    network.assert_loopback_only()


def test_unticked_scope_is_requested_not_granted_and_the_api_refuses_it(
    qtbot: QtBot,
    sandboxes: Sandboxes,
    network: Network,
    browser_plan: BrowserPlan,
    tmp_path: Path,
) -> None:
    running = open_sandbox_window(qtbot, tmp_path, sandboxes, network)
    window = running.window
    view = connect(qtbot, running, browser_plan, login="grace", uncheck_scopes=["notes.read"])
    assert "notes.read" in view.record.requested_scopes
    assert "notes.read" not in view.record.granted_scopes

    # The permissions panel: requested, not granted, and said in words.
    rows = scope_rows(running)
    assert rows["notes.read"] == ("yes", "no")
    assert rows["email"] == ("yes", "yes")
    assert "Requested but not granted: notes.read." in window.scopesPanel.summary.text()
    row = list(rows).index("notes.read")
    # The tooltip holds the whole name (a long one wraps) and why it is marked.
    assert scope_cell(running, row, 0).toolTip() == plain_tooltip(
        "notes.read\nRequested but not granted"
    )

    # The API refuses what the scope was not granted for, and says which scope.
    issuer = sandboxes.issuer
    call_api(qtbot, running, f"{issuer}/api/notes")
    refusal = window.apiDataPanel.refusal.text()
    assert "needs the scope notes.read" in refusal and "not granted" in refusal
    assert window.apiDataPanel.refusal.isVisible()
    assert "Welcome to the sandbox" not in window.apiDataPanel.raw.toPlainText()
    # ... and still answers what it was granted for, clearing the refusal.
    call_api(qtbot, running, f"{issuer}/api/profile")
    assert '"name": "Grace Hopper"' in window.apiDataPanel.raw.toPlainText()
    assert window.apiDataPanel.refusal.text() == ""
    # The account itself is fine: a scope refusal is not a sign-in problem.
    assert account_texts(running) == [f"grace@sandbox.test\nconnected · {SANDBOX_NAME}"]
    network.assert_loopback_only()


def test_a_used_up_quota_gives_a_readable_429(
    qtbot: QtBot,
    sandboxes: Sandboxes,
    network: Network,
    browser_plan: BrowserPlan,
    tmp_path: Path,
) -> None:
    sandboxes.rate_limit = (3, 60.0)
    running = open_sandbox_window(qtbot, tmp_path, sandboxes, network)
    connect(qtbot, running, browser_plan, login="ada")
    panel, profile = running.window.apiDataPanel, f"{sandboxes.issuer}/api/profile"
    for left in (2, 1, 0):
        call_api(qtbot, running, profile)
        assert panel.quota.text().startswith(f"{left} of 3 calls left; resets in ")
    call_api(qtbot, running, profile)
    refusal = panel.refusal.text()
    assert panel.refusal.isVisible()
    assert "used up your quota" in refusal and "HTTP 429" in refusal
    assert "every app you use there together" in refusal
    retry = refusal.rsplit("Try again in ", 1)[1]
    assert retry.endswith(" seconds.") and 0 < int(retry.split()[0]) <= 60
    assert '"name": "Ada Lovelace"' in panel.raw.toPlainText()  # what was shown stays
    assert account_texts(running) == [f"ada@sandbox.test\nconnected · {SANDBOX_NAME}"]
    network.assert_loopback_only()


def remove_on_connections_page(issuer: str, user: str, folder: Path) -> None:
    """The person opens the sandbox's "connected applications" page in a browser of
    their own, signs in, and removes desktop-oauth."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(folder),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            env=browser_environment(),
            timeout=10_000,
        )
        try:
            context.route("**/*", block_non_loopback)
            page = context.pages[0] if context.pages else context.new_page()
            page.goto(f"{issuer}/connections")
            page.click(f"#login-{user}")  # a browser of its own: sign in first
            assert "Read your notes" in page.inner_text("#connection-desktop-oauth")
            page.click("#remove-desktop-oauth")
            page.wait_for_selector("#no-connections")
        finally:
            context.close()


def test_removing_the_app_at_the_sandbox_is_noticed_and_sign_in_again_restores_it(
    qtbot: QtBot,
    sandboxes: Sandboxes,
    network: Network,
    browser_plan: BrowserPlan,
    tmp_path: Path,
) -> None:
    running = open_sandbox_window(qtbot, tmp_path, sandboxes, network)
    window = running.window
    first = connect(qtbot, running, browser_plan, login="linus")
    assert '"email": "linus@sandbox.test"' in window.apiDataPanel.raw.toPlainText()
    token_url = f"{sandboxes.issuer}/token"

    remove_on_connections_page(sandboxes.issuer, "linus", tmp_path / "chromium")

    # The next call gets 401; the app refreshes once, which the sandbox refuses
    # (the grant is gone: invalid_grant); the account needs signing in again.
    seen = len(network.urls)
    call_api(qtbot, running, None)
    assert network.urls[seen:] == [  # one refresh, no retry, no loop
        ("GET", f"{sandboxes.issuer}/userinfo", 401),
        ("POST", token_url, 400),
    ]
    qtbot.waitUntil(lambda: "needs sign-in again" in account_texts(running)[0], timeout=5_000)
    assert len(account_texts(running)) == 1
    panel = window.apiDataPanel
    # The last data stays, marked stale; the tokens are gone.
    qtbot.waitUntil(
        lambda: panel.source.text() == "Last data fetched (stale: needs sign-in again)",
        timeout=5_000,
    )
    assert '"email": "linus@sandbox.test"' in panel.raw.toPlainText()
    assert window.tokenPanel.access_token.text() == "Not connected"
    assert "Sign in again" in window.statusLabel.text()
    assert not panel.callButton.isEnabled()

    # Sign in again: the same account (same list entry) is connected again.
    again = connect(
        qtbot, running, browser_plan, button=window.accountsPanel.reconnectButton, login="linus"
    )
    assert again.record.id == first.record.id
    qtbot.waitUntil(
        lambda: account_texts(running) == [f"linus@sandbox.test\nconnected · {SANDBOX_NAME}"],
        timeout=5_000,
    )
    assert not window.accountsPanel.reconnectButton.isVisible()
    assert "stale" not in panel.source.text() and panel.refusal.text() == ""
    call_api(qtbot, running, f"{sandboxes.issuer}/api/notes")
    assert "Welcome to the sandbox" in panel.raw.toPlainText()
    network.assert_loopback_only()


# ------------------------------------------------------------ sign-in with a code


def start_with_code(qtbot: QtBot, running: Running) -> tuple[str, str]:
    """Press "Connect with a code"; return the user code and the URL the panel shows."""
    window = running.window
    click(qtbot, window.findChild(type(window.connectButton), "connectWithCodeButton"))
    panel = window.devicePanel
    qtbot.waitUntil(lambda: panel.isVisible() and bool(panel.code.text()), timeout=10_000)
    assert panel.objectName() == "devicePanel"
    code, url = panel.code.text(), panel.url.text()
    assert panel.code.objectName() == "userCodeLabel"
    assert panel.url.objectName() == "verificationUrl"
    assert "The code expires in" in panel.countdown.text()
    return code, url


def enter_code(plan: BrowserPlan, url: str, code: str, *, action: str) -> None:
    """The person opens the verification page (in their browser, not the app's doing)
    and types the code there."""
    plan.set(login="ada", action=action, user_code=code)
    assert webbrowser.open(url)


def test_sign_in_with_a_code_approved(
    qtbot: QtBot,
    sandboxes: Sandboxes,
    network: Network,
    browser_plan: BrowserPlan,
    tmp_path: Path,
) -> None:
    running = open_sandbox_window(qtbot, tmp_path, sandboxes, network)
    window = running.window

    def enter_the_code() -> None:
        code, url = start_with_code(qtbot, running)
        assert url == f"{sandboxes.issuer}/device"
        enter_code(browser_plan, url, code, action="device")

    view = await_account(qtbot, running, browser_plan, enter_the_code)
    [result] = browser_results(qtbot, browser_plan)
    assert result["pages"] == [
        "sandbox_login",
        "sandbox_device",
        "sandbox_consent",
        "sandbox_device_done",
    ]
    assert view.tokens is not None and view.record.subject == "ada"
    qtbot.waitUntil(lambda: not window.devicePanel.isVisible(), timeout=5_000)
    assert account_texts(running) == [f"ada@sandbox.test\nconnected · {SANDBOX_NAME}"]
    assert scope_rows(running)["notes.read"][1] == "yes"
    assert '"email": "ada@sandbox.test"' in window.apiDataPanel.raw.toPlainText()
    network.assert_loopback_only()


def test_sign_in_with_a_code_declined_then_cancelled(
    qtbot: QtBot,
    sandboxes: Sandboxes,
    network: Network,
    browser_plan: BrowserPlan,
    tmp_path: Path,
) -> None:
    running = open_sandbox_window(qtbot, tmp_path, sandboxes, network)
    window, controller = running.window, running.controller

    # Deny at the sandbox: the app stops polling and says the person declined.
    with qtbot.waitSignal(
        controller.busy, timeout=30_000, check_params_cb=lambda busy: busy is False
    ):
        code, url = start_with_code(qtbot, running)
        enter_code(browser_plan, url, code, action="cancel")
    [result] = browser_results(qtbot, browser_plan)
    assert result["pages"][-1] == "sandbox_device_done", (result, browser_plan.log_tail())
    assert "declined" in window.statusLabel.text()
    assert not window.devicePanel.isVisible()
    assert window.accountsList.count() == 0

    # Cancel in the app: polling stops at once and no poll follows.
    token_url = f"{sandboxes.issuer}/token"
    polls = network.token_posts(token_url)
    start_with_code(qtbot, running)
    qtbot.waitUntil(lambda: network.token_posts(token_url) > polls, timeout=5_000)
    assert controller.connecting  # it polls, as it waits for the person
    at_end = count_when_the_flow_ends(controller, lambda: network.token_posts(token_url))
    started = time.monotonic()
    with qtbot.waitSignal(
        controller.busy, timeout=3_000, check_params_cb=lambda busy: busy is False
    ):
        click(qtbot, window.cancelButton)
    assert time.monotonic() - started < 3.0
    assert not controller.connecting
    assert "cancelled" in window.statusLabel.text().lower()
    assert not window.devicePanel.isVisible()
    # The polling thread has ended (busy(False) comes after it): no poll can follow.
    assert at_end, "the polling thread is still running"
    assert network.token_posts(token_url) == at_end[0]
    assert window.accountsList.count() == 0
    network.assert_loopback_only()
