"""The provider editor: a preset, any OpenID provider by issuer, or hand-entered endpoints."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import DesktopOAuthError
from ..core.presets import PRESETS, REDIRECT_URI, get_preset, preset_provider
from ..core.provider import Endpoints, ProviderConfig
from ..core.redirect import parse_redirect_uri
from .plain_text import make_all_plain, plain_label

if TYPE_CHECKING:
    from ..core.registration import Finding
    from ..qt.controller import Controller

#: The kinds of provider in the chooser: the presets, then the two generic ones.
OPENID, OAUTH = "openid", "oauth"
_MARKS = {"ok": "✓", "warning": "!", "problem": "✗"}


class ProviderDialog(QDialog):
    """Collects a provider, has the controller check and save it, and shows the outcome.

    The dialog builds the configuration; the controller does the network
    (discovery, the registration check) and the keyring (the client secret).
    """

    def __init__(
        self,
        controller: Controller,
        parent: QWidget | None = None,
        *,
        taken_names: Collection[str] = (),
    ) -> None:
        """
        Args:
            taken_names: Providers that exist already: adding one of the same name
                would silently point its accounts, and their refresh tokens, at
                another provider, so it is refused (as on the command line).
        """
        super().__init__(parent)
        self.setObjectName("providerDialog")
        self.setWindowTitle("Add a provider")
        self.controller = controller
        self.saved_name: str | None = None
        self._taken = frozenset(taken_names)

        self.kind = QComboBox()
        self.kind.setObjectName("providerKind")
        self.kind.setAccessibleName("Kind of provider")
        for key, preset in PRESETS.items():
            self.kind.addItem(preset.display_name, key)
        self.kind.addItem("Any OpenID Connect provider (issuer URL)", OPENID)
        self.kind.addItem("Any OAuth 2.0 provider (endpoints by hand)", OAUTH)

        def field(name: str, accessible: str, placeholder: str = "") -> QLineEdit:
            edit = QLineEdit()
            edit.setObjectName(name)
            edit.setAccessibleName(accessible)
            edit.setPlaceholderText(placeholder)
            return edit

        self.name = field("providerName", "Name", "a short name, e.g. work")
        self.issuer = field("issuerEdit", "Issuer URL", "https://id.example.com")
        self.tenant = field("tenantEdit", "Microsoft tenant", "common")
        self.server = field("serverEdit", "GitLab server", "https://gitlab.com")
        self.authorize_url = field("authorizeUrlEdit", "Authorization endpoint")
        self.token_url = field("tokenUrlEdit", "Token endpoint")
        self.userinfo_url = field("userinfoUrlEdit", "User data endpoint (optional)")
        self.revocation_url = field("revocationUrlEdit", "Revocation endpoint (optional)")
        self.introspection_url = field("introspectionUrlEdit", "Introspection endpoint (optional)")
        # For a provider that compares the redirect URI exactly, port included.
        self.registered_redirect = field(
            "registeredRedirectEdit",
            "Registered redirect URI (optional)",
            "only if the provider needs a fixed port: http://127.0.0.1:PORT/callback",
        )
        self.client_id = field("clientIdEdit", "Client ID")
        self.client_secret = field(
            "clientSecretEdit",
            "Client secret",
            "only if the provider needs one; kept in the keyring",
        )
        self.client_secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.scopes = field("scopesEdit", "Scopes", "space-separated")

        self.form = QFormLayout()
        self.form.addRow("Provider", self.kind)
        self.form.addRow("Name", self.name)
        self.form.addRow("Issuer URL", self.issuer)
        self.form.addRow("Tenant", self.tenant)
        self.form.addRow("Server", self.server)
        self.form.addRow("Authorization URL", self.authorize_url)
        self.form.addRow("Token URL", self.token_url)
        self.form.addRow("User data URL", self.userinfo_url)
        self.form.addRow("Revocation URL", self.revocation_url)
        self.form.addRow("Introspection URL", self.introspection_url)
        self.form.addRow("Redirect URI", self.registered_redirect)
        self.form.addRow("Client ID", self.client_id)
        self.form.addRow("Client secret", self.client_secret)
        self.form.addRow("Scopes", self.scopes)

        # The one rich-text label: the app's own preset help (core/presets.py), with
        # links; no provider-supplied string is ever put here.
        self.help = QLabel()
        self.help.setObjectName("registrationHelp")
        self.help.setWordWrap(True)
        self.help.setTextFormat(Qt.TextFormat.RichText)
        self.help.setOpenExternalLinks(True)
        redirect = QLineEdit(REDIRECT_URI)
        redirect.setObjectName("redirectUriToRegister")
        redirect.setAccessibleName("Redirect URI to register")
        redirect.setReadOnly(True)
        copy = QPushButton("Copy")
        copy.setAccessibleName("Copy the redirect URI")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(REDIRECT_URI))
        redirect_row = QHBoxLayout()
        redirect_row.addWidget(plain_label("Redirect URI to register:"))
        redirect_row.addWidget(redirect, 1)
        redirect_row.addWidget(copy)

        self.findings = QListWidget()
        self.findings.setObjectName("registrationFindings")
        self.findings.setAccessibleName("Registration check")
        self.findings.setWordWrap(True)
        self.error = plain_label()
        self.error.setObjectName("providerError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color:#b00020")

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.checkButton = self.buttons.addButton(
            "Check registration", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.checkButton.setObjectName("checkRegistrationButton")
        self.saveButton = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.saveButton.setObjectName("saveProviderButton")
        self.buttons.rejected.connect(self.reject)
        self.saveButton.clicked.connect(self._save)
        self.checkButton.clicked.connect(self._check)

        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addLayout(redirect_row)
        layout.addWidget(self.help)
        layout.addWidget(self.findings)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        make_all_plain(self, except_names=("registrationHelp",))

        self.kind.currentIndexChanged.connect(self._kind_changed)
        controller.providerSaved.connect(self._saved)
        controller.providerRejected.connect(self._rejected)
        controller.registrationChecked.connect(self._show_findings)
        self._kind_changed()

    # -- building the configuration ---------------------------------------------------
    def provider(self) -> ProviderConfig:
        """The provider as entered. Raises DesktopOAuthError with a readable message."""
        kind = str(self.kind.currentData())
        client_id = self.client_id.text().strip()
        if not client_id:
            raise DesktopOAuthError("Enter the client ID you registered at the provider.")
        name = self.name.text().strip()
        scopes = tuple(self.scopes.text().split())
        has_secret = bool(self.client_secret.text())
        if kind in PRESETS:
            provider = preset_provider(
                kind,
                client_id=client_id,
                name=name or None,
                tenant=self.tenant.text().strip() or None if kind == "microsoft" else None,
                base_url=self.server.text().strip() or None if kind == "gitlab" else None,
            )
        elif kind == OPENID:
            issuer = self.issuer.text().strip()
            if not issuer:
                raise DesktopOAuthError("Enter the provider's issuer URL.")
            # Endpoints entered beside the issuer win over its discovery document.
            overrides = tuple(
                (endpoint, edit.text().strip())
                for endpoint, edit in (
                    ("revocation", self.revocation_url),
                    ("userinfo", self.userinfo_url),
                    ("introspection", self.introspection_url),
                )
                if edit.text().strip()
            )
            provider = ProviderConfig(
                name=name or issuer,
                issuer=issuer,
                client_id=client_id,
                endpoint_overrides=overrides,
            )
        else:
            endpoints = Endpoints(
                authorization=self.authorize_url.text().strip(),
                token=self.token_url.text().strip(),
                userinfo=self.userinfo_url.text().strip() or None,
                revocation=self.revocation_url.text().strip() or None,
                introspection=self.introspection_url.text().strip() or None,
            )
            endpoints.validate()
            provider = ProviderConfig(
                name=name or endpoints.authorization,
                issuer=endpoints.authorization,
                client_id=client_id,
                scopes=("openid",),
                endpoints=endpoints,
            )
        if not name and kind in PRESETS:
            provider = replace(provider, name=PRESETS[kind].display_name)
        if scopes:
            provider = replace(provider, scopes=scopes)
        if self.registered_redirect.text().strip():
            registered = parse_redirect_uri(self.registered_redirect.text())
            provider = replace(provider, redirect_uri=registered.uri)
        # Whether a secret is entered, not whether the preset wants one: the
        # registration check then says when a needed secret is missing.
        return replace(provider, has_client_secret=has_secret)

    def _refusal(self, provider: ProviderConfig) -> str | None:
        """Why ``provider`` cannot be saved as entered (the check may still run)."""
        if provider.name in self._taken:
            return (
                f"There is already a provider called {provider.name!r}. Choose another "
                "name, or remove that provider first."
            )
        preset = PRESETS.get(provider.preset or "")
        if preset is not None and preset.needs_client_secret and not self.client_secret.text():
            # Without it the token request fails after the person has already
            # signed in: say so now.
            return (
                f"{preset.display_name} needs the client secret of your registration: "
                "enter it too (it is kept in the keyring, not in the settings file)."
            )
        return None

    def _kind_changed(self) -> None:
        kind = str(self.kind.currentData())
        rows = {
            self.issuer: kind == OPENID,
            self.tenant: kind == "microsoft",
            self.server: kind == "gitlab",
            self.authorize_url: kind == OAUTH,
            self.token_url: kind == OAUTH,
            self.userinfo_url: kind in (OAUTH, OPENID),
            self.revocation_url: kind in (OAUTH, OPENID),
            self.introspection_url: kind in (OAUTH, OPENID),
        }
        for widget, visible in rows.items():
            self.form.setRowVisible(widget, visible)
        if kind in PRESETS:
            preset = get_preset(kind)
            self.scopes.setText(" ".join(preset.scope_names))
            steps = "".join(f"<li>{step}</li>" for step in preset.register_steps)
            self.help.setText(
                f'Register a client at <a href="{preset.register_url}">{preset.register_url}</a>:'
                f"<ol>{steps}</ol>{preset.redirect_note}<br>{preset.client_type_note}"
            )
        else:
            self.scopes.setText("openid profile email" if kind == OPENID else "")
            self.help.setText(
                "Register a public (native) client with the redirect URI below; "
                "any port is used on 127.0.0.1. If the provider compares the port too, "
                "register http://127.0.0.1:PORT/callback with a free port and enter the "
                "same URI as Redirect URI; Check registration tells which it needs. "
                "Endpoints entered beside the issuer win over its discovery document."
            )
        self.findings.clear()
        self.error.clear()

    # -- talking to the controller ----------------------------------------------------
    def _entered(self) -> ProviderConfig | None:
        try:
            return self.provider()
        except DesktopOAuthError as exc:
            self.error.setText(str(exc))
            return None

    def _save(self) -> None:
        provider = self._entered()
        refusal = self._refusal(provider) if provider is not None else None
        if refusal is not None:
            self.error.setText(refusal)
        elif provider is not None:
            self.error.setText("Checking the provider…")
            self.saveButton.setEnabled(False)
            self.controller.save_provider(provider, self.client_secret.text() or None)

    def _check(self) -> None:
        provider = self._entered()
        if provider is not None:
            self.error.clear()
            self.findings.clear()
            self.findings.addItem("Checking…")
            self.controller.check_registration(provider)

    def _saved(self, name: str) -> None:
        self.saved_name = name
        self.accept()

    def _rejected(self, message: str) -> None:
        self.saveButton.setEnabled(True)
        self.error.setText(message)

    def _show_findings(self, findings: list[Finding]) -> None:
        self.findings.clear()
        for finding in findings:
            # The message and what to do are separate sentences; a message may
            # end with a URL to copy, so no full stop is added to it.
            text = f"{_MARKS.get(finding.level, '·')} {finding.message}"
            if finding.action:
                text += f"\n{finding.action}"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, finding.topic)
            self.findings.addItem(item)
