"""The main window: choose a provider, connect, see what the connection grants."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ..qt.controller import Controller
from .api_panel import ApiDataPanel
from .scopes_panel import ScopesPanel
from .token_panel import TokenPanel

if TYPE_CHECKING:
    from ..core.accounts import AccountView
    from ..core.config import Config

ACCOUNT_ID_ROLE = Qt.ItemDataRole.UserRole


def _button(text: str, name: str, accessible: str) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    button.setAccessibleName(accessible)
    return button


class MainWindow(QMainWindow):
    """Widgets only; every action goes to the :class:`Controller`."""

    def __init__(self, controller: Controller, *, show_errors_in_dialogs: bool = True) -> None:
        super().__init__()
        self.controller = controller
        self._dialogs = show_errors_in_dialogs
        self._current: AccountView | None = None
        self.setWindowTitle("desktop-oauth")
        self.resize(1100, 720)

        self.providerCombo = QComboBox()
        self.providerCombo.setObjectName("providerCombo")
        self.providerCombo.setAccessibleName("Provider")
        self.providerCombo.setMinimumContentsLength(24)
        self.connectButton = _button("Connect", "connectButton", "Connect an account")
        self.connectButton.setDefault(True)
        self.connectButton.setEnabled(False)
        top = QHBoxLayout()
        top.addWidget(QLabel("Provider:"))
        top.addWidget(self.providerCombo, 1)
        top.addWidget(self.connectButton)

        self.storageBanner = QLabel("")
        self.storageBanner.setObjectName("storageBanner")
        self.storageBanner.setWordWrap(True)
        self.storageBanner.setStyleSheet("background:#fff4ce; padding:6px; border-radius:4px;")
        self.storageBanner.hide()

        self.urlBox = QLineEdit()
        self.urlBox.setObjectName("authorizationUrl")
        self.urlBox.setAccessibleName("Sign-in address to open in a browser")
        self.urlBox.setReadOnly(True)
        self.copyUrlButton = _button("Copy link", "copyUrlButton", "Copy sign-in address")
        url_row = QHBoxLayout()
        url_row.addWidget(QLabel("Open this link in your browser:"))
        url_row.addWidget(self.urlBox, 1)
        url_row.addWidget(self.copyUrlButton)
        self.urlRow = QWidget()
        self.urlRow.setLayout(url_row)
        self.urlRow.hide()

        self.accountsList = QListWidget()
        self.accountsList.setObjectName("accountsList")
        self.accountsList.setAccessibleName("Connected accounts")
        self.refreshButton = _button("Refresh", "refreshButton", "Refresh the access token")
        self.revokeButton = _button("Revoke", "revokeButton", "Revoke access and forget")
        left = QVBoxLayout()
        left.addWidget(QLabel("Accounts"))
        left.addWidget(self.accountsList, 1)
        left_buttons = QHBoxLayout()
        left_buttons.addWidget(self.refreshButton)
        left_buttons.addWidget(self.revokeButton)
        left.addLayout(left_buttons)
        left_widget = QWidget()
        left_widget.setLayout(left)

        self.tokenPanel = TokenPanel()
        self.scopesPanel = ScopesPanel()
        self.apiDataPanel = ApiDataPanel()
        right = QSplitter(Qt.Orientation.Vertical)
        upper = QSplitter(Qt.Orientation.Horizontal)
        upper.addWidget(self.tokenPanel)
        upper.addWidget(self.scopesPanel)
        right.addWidget(upper)
        right.addWidget(self.apiDataPanel)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left_widget)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 3)

        self.statusLabel = QLabel("Starting…")
        self.statusLabel.setObjectName("statusLabel")
        self.statusLabel.setAccessibleName("Status")
        self.statusLabel.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setObjectName("progressIndicator")
        self.progress.setAccessibleName("Working")
        self.progress.setRange(0, 0)  # busy indicator
        self.progress.setMaximumWidth(120)
        self.progress.hide()
        self.cancelButton = _button("Cancel", "cancelButton", "Cancel connecting")
        self.cancelButton.setEnabled(False)
        status = QHBoxLayout()
        status.addWidget(self.statusLabel, 1)
        status.addWidget(self.progress)
        status.addWidget(self.cancelButton)

        root = QVBoxLayout()
        root.addLayout(top)
        root.addWidget(self.storageBanner)
        root.addWidget(self.urlRow)
        root.addWidget(splitter, 1)
        root.addLayout(status)
        central = QWidget()
        central.setLayout(root)
        self.setCentralWidget(central)
        self._update_account_buttons()

        self.connectButton.clicked.connect(self._connect_clicked)
        self.cancelButton.clicked.connect(controller.cancel)
        self.refreshButton.clicked.connect(self._refresh_clicked)
        self.revokeButton.clicked.connect(self._revoke_clicked)
        self.copyUrlButton.clicked.connect(self._copy_url)
        self.accountsList.currentItemChanged.connect(self._account_selected)

        controller.configLoaded.connect(self.show_config)
        controller.accountShown.connect(self.show_account)
        controller.accountForgotten.connect(self._forget)
        controller.apiDataShown.connect(self.apiDataPanel.show_result)
        controller.status.connect(self.statusLabel.setText)
        controller.busy.connect(self._set_busy)
        controller.urlToCopy.connect(self._show_url)
        controller.errorShown.connect(self._show_error)
        controller.storageNotice.connect(self._show_storage_notice)

    # -- from the controller ------------------------------------------------------------
    def show_config(self, config: Config) -> None:
        """Fill the provider chooser and the accounts list."""
        chosen = self.providerCombo.currentText()
        self.providerCombo.clear()
        for provider in config.providers:
            self.providerCombo.addItem(provider.name)
        if chosen:
            self.providerCombo.setCurrentText(chosen)
        self.connectButton.setEnabled(bool(config.providers) and not self.controller.connecting)
        if not config.providers:
            self.statusLabel.setText("No provider is set up yet.")
        current = self._current.record.id if self._current else None
        self.accountsList.blockSignals(True)
        self.accountsList.clear()
        for record in config.accounts:
            item = QListWidgetItem(f"{record.display_name}\n{record.provider}")
            item.setData(ACCOUNT_ID_ROLE, record.id)
            self.accountsList.addItem(item)
            if record.id == current:
                self.accountsList.setCurrentItem(item)
        self.accountsList.blockSignals(False)
        self._update_account_buttons()

    def show_account(self, view: AccountView) -> None:
        """Show one account in the three panels."""
        self._current = view
        self.urlRow.hide()
        self.tokenPanel.show_tokens(view.tokens, view.claims,
                                    last_refresh=view.record.last_refresh)
        self.scopesPanel.show_scopes(view.record.requested_scopes, view.record.granted_scopes,
                                     view.record.previous_granted_scopes)
        if view.userinfo is not None:
            self.apiDataPanel.show_result(view.userinfo)
        for row in range(self.accountsList.count()):
            item = self.accountsList.item(row)
            if item.data(ACCOUNT_ID_ROLE) == view.record.id:
                self.accountsList.blockSignals(True)
                self.accountsList.setCurrentItem(item)
                self.accountsList.blockSignals(False)
        self._update_account_buttons()

    def _forget(self, account_id: str) -> None:
        if self._current and self._current.record.id == account_id:
            self._current = None
            self.tokenPanel.show_tokens(None, {})
            self.scopesPanel.clear()
            self.apiDataPanel.show_result(None)
        self._update_account_buttons()

    def _set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        connecting = self.controller.connecting
        self.cancelButton.setEnabled(connecting)
        self.connectButton.setEnabled(not connecting and self.providerCombo.count() > 0)
        if not connecting:
            self.urlRow.hide()
        self._update_account_buttons(busy)

    def _show_url(self, url: str) -> None:
        self.urlBox.setText(url)
        self.urlBox.setCursorPosition(0)
        self.urlRow.show()

    def _show_error(self, message: str) -> None:
        if self._dialogs:
            QMessageBox.warning(self, "desktop-oauth", message)

    def _show_storage_notice(self, message: str) -> None:
        self.storageBanner.setText(message)
        self.storageBanner.show()

    # -- from the person ----------------------------------------------------------------
    def _connect_clicked(self) -> None:
        name = self.providerCombo.currentText()
        if name:
            self.connectButton.setEnabled(False)
            self.controller.connect_provider(name)

    def _refresh_clicked(self) -> None:
        if self._current is not None:
            self.controller.refresh(self._current.record.id)

    def _revoke_clicked(self) -> None:
        if self._current is not None:
            self.controller.revoke(self._current.record.id)

    def _copy_url(self) -> None:
        # The person asked to copy the sign-in link.
        QGuiApplication.clipboard().setText(self.urlBox.text())

    def _account_selected(self, item: QListWidgetItem | None) -> None:
        if item is not None:
            self.controller.select_account(str(item.data(ACCOUNT_ID_ROLE)))

    def _update_account_buttons(self, busy: bool = False) -> None:
        record = self._current.record if self._current is not None else None
        self.revokeButton.setEnabled(record is not None and not busy)
        self.refreshButton.setEnabled(record is not None and not busy and record.has_refresh_token)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Cancel a pending connection; its port closes before the window goes."""
        self.controller.shutdown()
        super().closeEvent(event)
