"""The provider editor in the real window, against real discovery documents served
on 127.0.0.1 (tests/core/scripted_server.py), a real AccountService on a throwaway
profile and the real keyring (Secret Service, under scripts/test).

The dialog is driven as a person would: by objectName, typing and clicking."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keyring
import pytest
import requests
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QLineEdit, QListWidget, QPushButton
from pytestqt.qtbot import QtBot

from desktop_oauth.core.accounts import AccountService
from desktop_oauth.core.http import ProviderSession
from desktop_oauth.core.profile import Profile
from desktop_oauth.core.token_store import TokenStore
from desktop_oauth.qt.controller import Controller
from desktop_oauth.ui.main_window import MainWindow
from desktop_oauth.ui.provider_dialog import ProviderDialog
from tests.core.scripted_server import Answer, Received, ScriptedServer, scripted_server

# The dialog saves client secrets in the real Secret Service.
pytestmark = pytest.mark.integration

WELL_KNOWN = "/.well-known/openid-configuration"
SIGNAL_MS = 10_000


class CountingSession(ProviderSession):
    """The app's own session class, counting what it sends (to prove "no request")."""

    def __init__(self, timeout: tuple[float, float]) -> None:
        super().__init__(timeout)
        self.headers.update({"User-Agent": "desktop-oauth", "Accept": "application/json"})
        self.sent: list[str] = []

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        self.sent.append(str(url))
        return super().request(method, url, *args, **kwargs)


def document(issuer: str, **changes: Any) -> dict[str, Any]:
    """An OpenID discovery document (OIDC Discovery §3) for ``issuer``."""
    doc: dict[str, Any] = {
        "issuer": issuer,
        "authorization_endpoint": issuer + "/auth",
        "token_endpoint": issuer + "/token",
        "userinfo_endpoint": issuer + "/me",
        "revocation_endpoint": issuer + "/token/revocation",
        "jwks_uri": issuer + "/jwks",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
    }
    for key, value in changes.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return doc


@pytest.fixture
def idp() -> Iterator[ScriptedServer]:
    """A provider on 127.0.0.1 serving a good discovery document; tests change
    ``idp.answer`` to make it misbehave."""
    with scripted_server(lambda request: Answer(404, b"")) as server:

        def good(request: Received) -> Answer:
            if request.path != WELL_KNOWN:
                return Answer(404, b"not found", {"Content-Type": "text/plain"})
            return Answer.json(document(server.url))

        server.answer = good
        yield server


@dataclass
class App:
    window: MainWindow
    controller: Controller
    service: AccountService
    session: CountingSession

    @property
    def profile(self) -> Profile:
        return self.service.profile

    def dialog(self, qtbot: QtBot) -> ProviderDialog:
        dialog = ProviderDialog(self.controller, self.window)
        qtbot.addWidget(dialog)
        dialog.show()
        return dialog


@pytest.fixture
def app(qtbot: QtBot, tmp_path: Path) -> Iterator[App]:
    backend = keyring.get_keyring()
    if type(backend).__module__ != "keyring.backends.SecretService":
        pytest.fail("these tests need the real Secret Service: run them with scripts/test")
    profile = Profile(
        home=tmp_path / "profile", keyring_service=f"desktop-oauth-test:{uuid.uuid4().hex}"
    )
    # Short timeouts: the "provider that never answers" test waits for the read one.
    session = CountingSession(timeout=(2.0, 0.5))
    service = AccountService(
        profile, store=TokenStore(profile.keyring_service, backend), session=session
    )
    controller = Controller(lambda log: service)
    window = MainWindow(controller, show_errors_in_dialogs=False)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(controller.configLoaded, timeout=SIGNAL_MS):
        controller.start()
    yield App(window, controller, service, session)
    for provider in service.config.providers:
        service.delete_client_secret(provider.name)


# -- driving the dialog by objectName -------------------------------------------------
def child(dialog: ProviderDialog, kind: type[Any], name: str) -> Any:
    widget = dialog.findChild(kind, name)
    assert widget is not None, name
    return widget


def choose(dialog: ProviderDialog, kind: str) -> None:
    combo: QComboBox = child(dialog, QComboBox, "providerKind")
    index = combo.findData(kind)
    assert index >= 0, kind
    combo.setCurrentIndex(index)


def fill(qtbot: QtBot, dialog: ProviderDialog, **fields: str) -> None:
    for name, text in fields.items():
        edit: QLineEdit = child(dialog, QLineEdit, name)
        assert edit.isVisibleTo(dialog), f"{name} is hidden for this kind of provider"
        edit.clear()
        qtbot.keyClicks(edit, text)


def click(qtbot: QtBot, dialog: ProviderDialog, name: str) -> None:
    button: QPushButton = child(dialog, QPushButton, name)
    assert button.isEnabled(), name
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def save_and_expect_refusal(qtbot: QtBot, app: App, dialog: ProviderDialog) -> str:
    with qtbot.waitSignal(app.controller.providerRejected, timeout=SIGNAL_MS):
        click(qtbot, dialog, "saveProviderButton")
    assert dialog.isVisible()  # still open, so the person can correct it
    assert child(dialog, QPushButton, "saveProviderButton").isEnabled()
    return str(child(dialog, QLabel, "providerError").text())


def combo_items(window: MainWindow) -> list[str]:
    return [window.providerCombo.itemText(i) for i in range(window.providerCombo.count())]


def assert_nothing_saved(app: App, name: str) -> None:
    assert name not in combo_items(app.window)
    assert all(p.name != name for p in app.service.config.providers)
    path = app.profile.config_path
    assert not path.exists() or name not in path.read_text(encoding="utf-8")


def findings_text(dialog: ProviderDialog) -> list[str]:
    findings: QListWidget = child(dialog, QListWidget, "registrationFindings")
    return [findings.item(i).text() for i in range(findings.count())]


def findings_by_topic(dialog: ProviderDialog) -> dict[str, str]:
    findings: QListWidget = child(dialog, QListWidget, "registrationFindings")
    return {
        findings.item(i).data(Qt.ItemDataRole.UserRole): findings.item(i).text()
        for i in range(findings.count())
    }


# -- the tests ------------------------------------------------------------------------
def test_the_redirect_uri_to_register_is_the_loopback_literal_without_a_port(
    qtbot: QtBot, app: App
) -> None:
    dialog = app.dialog(qtbot)
    redirect: QLineEdit = child(dialog, QLineEdit, "redirectUriToRegister")
    assert redirect.text() == "http://127.0.0.1/callback"
    assert redirect.isReadOnly()
    for kind in ("github", "google", "microsoft", "gitlab", "openid", "oauth"):
        choose(dialog, kind)
        assert redirect.text() == "http://127.0.0.1/callback", kind


def through_the_window(qtbot: QtBot, app: App, steps: Callable[[ProviderDialog], None]) -> None:
    """Press the window's "Add provider…" and run ``steps`` in the modal dialog it opens
    (from inside the dialog's event loop); a safety timer closes a dialog left open."""
    failures: list[BaseException] = []

    def drive() -> None:
        dialog = QApplication.activeModalWidget()
        try:
            assert isinstance(dialog, ProviderDialog)
            later(dialog, SIGNAL_MS, dialog.reject)
            steps(dialog)
        except BaseException as exc:  # reported below, once the dialog is closed
            failures.append(exc)
            if dialog is not None:
                dialog.close()

    later(app.window, 0, drive)
    qtbot.mouseClick(app.window.addProviderButton, Qt.MouseButton.LeftButton)
    if failures:
        raise failures[0]


def later(owner: QObject, ms: int, call: Callable[[], None]) -> None:
    """Call ``call`` in ``ms`` on a timer that ``owner`` owns: it goes with its owner,
    in the GUI thread (a free-standing timer may be collected on a worker thread)."""
    timer = QTimer(owner)
    timer.setSingleShot(True)
    timer.timeout.connect(call)
    timer.start(ms)


def test_a_good_discovery_document_is_saved_and_offered_in_the_window(
    qtbot: QtBot, app: App, idp: ScriptedServer
) -> None:
    def add(dialog: ProviderDialog) -> None:
        choose(dialog, "openid")
        fill(
            qtbot, dialog, providerName="Local IdP", issuerEdit=idp.url, clientIdEdit="desktop-app"
        )
        click(qtbot, dialog, "saveProviderButton")

    through_the_window(qtbot, app, add)
    assert "Local IdP" in combo_items(app.window)
    assert app.window.providerCombo.currentText() == "Local IdP"
    assert app.window.connectButton.isEnabled()
    saved = app.service.config.provider("Local IdP")
    assert (saved.issuer, saved.client_id) == (idp.url, "desktop-app")
    assert saved.scopes == ("openid", "profile", "email")
    assert not saved.has_client_secret
    assert idp.url in app.profile.config_path.read_text(encoding="utf-8")
    assert [r.path for r in idp.received] == [WELL_KNOWN]  # one discovery request

    # The same name again (here for another issuer) is refused, not silently replaced:
    # the accounts of "Local IdP" would send their tokens to the new one.
    refusals: list[str] = []

    def add_again(dialog: ProviderDialog) -> None:
        choose(dialog, "openid")
        fill(
            qtbot,
            dialog,
            providerName="Local IdP",
            issuerEdit="https://id.example.com",
            clientIdEdit="other-app",
        )
        click(qtbot, dialog, "saveProviderButton")
        refusals.append(child(dialog, QLabel, "providerError").text())
        dialog.reject()

    through_the_window(qtbot, app, add_again)
    assert "already a provider called 'Local IdP'" in refusals[0]
    assert app.service.config.provider("Local IdP") == saved
    assert app.session.sent == [idp.url + WELL_KNOWN]


def test_a_mismatched_issuer_is_explained_and_nothing_is_saved(
    qtbot: QtBot, app: App, idp: ScriptedServer
) -> None:
    idp.answer = lambda request: Answer.json(document("https://login.attacker.example"))
    dialog = app.dialog(qtbot)
    choose(dialog, "openid")
    fill(qtbot, dialog, providerName="Mixed up", issuerEdit=idp.url, clientIdEdit="app")
    error = save_and_expect_refusal(qtbot, app, dialog)
    assert "https://login.attacker.example" in error and idp.url in error
    assert "matches exactly" in error
    assert_nothing_saved(app, "Mixed up")


def test_a_plain_http_issuer_on_another_host_is_refused_without_a_request(
    qtbot: QtBot, app: App
) -> None:
    dialog = app.dialog(qtbot)
    choose(dialog, "openid")
    fill(
        qtbot, dialog, providerName="Plain", issuerEdit="http://id.example.com", clientIdEdit="app"
    )
    error = save_and_expect_refusal(qtbot, app, dialog)
    assert "plain http" in error and "id.example.com" in error
    assert "only https is allowed" in error
    assert_nothing_saved(app, "Plain")

    # The registration check refuses it the same way, still without a request.
    with qtbot.waitSignal(app.controller.registrationChecked, timeout=SIGNAL_MS):
        click(qtbot, dialog, "checkRegistrationButton")
    lines = findings_text(dialog)
    assert any(line.startswith("✗") and "Nothing was fetched" in line for line in lines)
    assert app.session.sent == []


def test_a_web_page_instead_of_json_is_explained(
    qtbot: QtBot, app: App, idp: ScriptedServer
) -> None:
    page = b"<!doctype html><html><body><form>Sign in to the hotel Wi-Fi</form></body></html>"
    idp.answer = lambda request: Answer(200, page, {"Content-Type": "text/html; charset=utf-8"})
    dialog = app.dialog(qtbot)
    choose(dialog, "openid")
    fill(qtbot, dialog, providerName="Portal", issuerEdit=idp.url, clientIdEdit="app")
    error = save_and_expect_refusal(qtbot, app, dialog)
    assert "answered with a web page" in error
    assert "network sign-in page or a wrong URL" in error
    assert "<" not in error  # the page itself is not echoed
    assert_nothing_saved(app, "Portal")


def test_a_provider_that_never_answers_is_explained(
    qtbot: QtBot, app: App, idp: ScriptedServer
) -> None:
    idp.answer = lambda request: Answer(200, b"{}", delay=3.0)
    dialog = app.dialog(qtbot)
    choose(dialog, "openid")
    fill(qtbot, dialog, providerName="Slow", issuerEdit=idp.url, clientIdEdit="app")
    error = save_and_expect_refusal(qtbot, app, dialog)
    assert "did not answer in time" in error and "127.0.0.1" in error
    assert_nothing_saved(app, "Slow")
    assert len(app.session.sent) == 1  # no retry behind the person's back


def test_a_github_preset_keeps_its_client_secret_in_the_keyring_only(
    qtbot: QtBot, app: App
) -> None:
    secret = f"gh-secret-{uuid.uuid4().hex}"
    dialog = app.dialog(qtbot)
    choose(dialog, "github")
    assert not child(dialog, QLineEdit, "issuerEdit").isVisibleTo(dialog)
    assert child(dialog, QLineEdit, "clientSecretEdit").echoMode() == QLineEdit.EchoMode.Password
    fill(qtbot, dialog, clientIdEdit="Iv1.0123456789abcdef")

    # GitHub needs the secret: the check says so, and saving is refused in words.
    with qtbot.waitSignal(app.controller.registrationChecked, timeout=SIGNAL_MS):
        click(qtbot, dialog, "checkRegistrationButton")
    missing = findings_by_topic(dialog)["client_secret"]
    assert missing.startswith("✗ GitHub needs the client secret, and none is saved")
    assert "\nCopy the client secret from your registration" in missing
    click(qtbot, dialog, "saveProviderButton")
    error = str(child(dialog, QLabel, "providerError").text())
    assert "GitHub needs the client secret" in error
    assert_nothing_saved(app, "GitHub")

    fill(qtbot, dialog, clientSecretEdit=secret)
    with qtbot.waitSignal(app.controller.providerSaved, timeout=SIGNAL_MS) as saved:
        click(qtbot, dialog, "saveProviderButton")
    assert saved.args == ["GitHub"]
    assert not dialog.isVisible() and dialog.saved_name == "GitHub"
    qtbot.waitUntil(lambda: "GitHub" in combo_items(app.window), timeout=SIGNAL_MS)

    provider = app.service.config.provider("GitHub")
    assert provider.preset == "github" and provider.has_client_secret
    assert app.service.client_secret("GitHub") == secret  # the real keyring holds it
    text = app.profile.config_path.read_text(encoding="utf-8")
    assert secret not in text and '"has_client_secret": true' in text
    assert [
        p for p in app.profile.home.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()
    ] == []
    assert app.session.sent == []  # GitHub has fixed endpoints: no discovery


def test_the_registration_check_lists_findings_in_sentences(
    qtbot: QtBot, app: App, idp: ScriptedServer
) -> None:
    dialog = app.dialog(qtbot)
    choose(dialog, "openid")
    fill(qtbot, dialog, issuerEdit=idp.url, clientIdEdit="desktop-app")
    with qtbot.waitSignal(app.controller.registrationChecked, timeout=SIGNAL_MS):
        click(qtbot, dialog, "checkRegistrationButton")
    lines = findings_text(dialog)
    assert list(findings_by_topic(dialog)) == [
        "redirect_uri",
        "discovery",
        "clock",
        "https",
        "pkce",
        "iss",
        "revocation",
        "userinfo",
    ]
    assert lines[0].startswith("✓ The redirect URI to register is http://127.0.0.1/callback\n")
    assert "Enter exactly http://127.0.0.1/callback" in lines[0]
    expected = [
        "Found the provider's settings",
        "clock agrees with the provider's",
        "Every endpoint uses https",
        "supports PKCE with S256",
        "names itself in every redirect",
        "revocation endpoint",
        "userinfo endpoint",
    ]
    for words in expected:
        assert any(words in line for line in lines), (words, lines)
    assert all(line.startswith("✓") for line in lines), lines
    assert_nothing_saved(app, idp.url)  # a check saves nothing

    # A provider that offers only "plain" PKCE, no iss, no revocation, no userinfo.
    idp.answer = lambda request: Answer.json(
        document(
            idp.url,
            code_challenge_methods_supported=["plain"],
            revocation_endpoint=None,
            userinfo_endpoint=None,
            authorization_response_iss_parameter_supported=None,
        )
    )
    with qtbot.waitSignal(app.controller.registrationChecked, timeout=SIGNAL_MS):
        click(qtbot, dialog, "checkRegistrationButton")
    lines = findings_text(dialog)
    pkce = next(line for line in lines if "PKCE" in line)
    assert pkce.startswith("✗") and "only as plain" in pkce and "\nAsk the provider" in pkce
    iss = next(line for line in lines if "RFC 9207" in line)
    assert iss.startswith("!")
    revocation = next(line for line in lines if "no revocation endpoint" in line)
    assert revocation.startswith("!") and "\nAfter revoking" in revocation
    for line in lines:
        message = line.split("\n")[0]
        assert message[:2] in ("✓ ", "! ", "✗ ") and len(message.split()) >= 6, line
        if not line.startswith("✓"):
            assert "\n" in line, f"no advice in {line!r}"


def test_a_registered_redirect_uri_and_an_endpoint_override_are_saved_beside_the_issuer(
    qtbot: QtBot, app: App, idp: ScriptedServer
) -> None:
    def add(dialog: ProviderDialog) -> None:
        choose(dialog, "openid")
        fill(
            qtbot,
            dialog,
            providerName="Exact",
            issuerEdit=idp.url,
            clientIdEdit="desktop-app",
            revocationUrlEdit=f"{idp.url}/revoke",
            registeredRedirectEdit="http://127.0.0.1:50123/callback",
        )
        click(qtbot, dialog, "saveProviderButton")

    through_the_window(qtbot, app, add)
    saved = app.service.config.provider("Exact")
    assert saved.redirect_uri == "http://127.0.0.1:50123/callback"
    assert saved.endpoint_overrides == (("revocation", f"{idp.url}/revoke"),)


def test_a_redirect_uri_of_another_form_is_refused_in_the_dialog(
    qtbot: QtBot, app: App, idp: ScriptedServer
) -> None:
    dialog = app.dialog(qtbot)
    choose(dialog, "openid")
    fill(
        qtbot,
        dialog,
        providerName="Wrong",
        issuerEdit=idp.url,
        clientIdEdit="desktop-app",
        registeredRedirectEdit="http://localhost:50123/callback",
    )
    click(qtbot, dialog, "saveProviderButton")
    assert "http://127.0.0.1:PORT/callback" in child(dialog, QLabel, "providerError").text()
    assert_nothing_saved(app, "Wrong")
    dialog.reject()
