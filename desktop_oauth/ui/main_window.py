"""The main window: choose a provider, connect, see what the connection grants."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QTimer
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from .menus import build_menu_bar
from .widgets import button
from .window_fit import fit_to_screen, remember, restore_geometry, restore_splitters

# Only what the first frame shows is imported above. The panels, the controller's
# modules, the confirmation dialogs and PySide6's ``Qt`` namespace (whose first use
# builds every one of its enums) load in ``attach``, after that frame has painted
# (docs/performance.md, "Start-up").

if TYPE_CHECKING:
    from ..core.accounts import AccountView
    from ..core.config import AccountRecord, Config
    from ..core.device import DeviceAuthorization
    from ..core.flow_log import OperationRecord
    from ..qt.about import About
    from ..qt.controller import Controller
    from ..qt.window_state import WindowState
    from .accounts_panel import AccountsPanel
    from .api_panel import ApiDataPanel
    from .device_panel import DevicePanel
    from .flow_view import FlowView
    from .menus import Actions
    from .scopes_panel import ScopesPanel
    from .token_panel import TokenPanel

#: The flow view is redrawn at most this often while an operation records.
FLOW_REDRAW_MS = 100


class MainWindow(QMainWindow):
    """Widgets only; every action goes to the :class:`Controller`.

    ``MainWindow(controller)`` builds the whole window. ``MainWindow(None)`` builds
    the shell the first frame shows: the menus, the provider row, the status line
    and an empty panel area at its final size; ``attach(controller)`` then builds
    the panels into that area and wires everything, leaving the window's geometry
    and the provider row where they were (docs/performance.md, "Start-up").
    """

    controller: Controller
    menu_actions: Actions
    accountsPanel: AccountsPanel
    tokenPanel: TokenPanel
    scopesPanel: ScopesPanel
    apiDataPanel: ApiDataPanel
    flowView: FlowView

    def __init__(
        self,
        controller: Controller | None,
        *,
        show_errors_in_dialogs: bool = True,
        state: WindowState | None = None,
    ) -> None:
        super().__init__()
        self._dialogs = show_errors_in_dialogs
        self._current: AccountView | None = None
        self._busy = False
        self._state = state
        self._attached = False
        self._connect_when_attached: list[str] = []
        self._build_shell()
        if controller is not None:
            self.attach(controller)

    def _build_shell(self) -> None:
        # Nothing here names PySide6's Qt namespace or imports the controller's
        # modules. Every button starts disabled: nothing acts before ``attach``.
        # The labels become plain text in ``attach``, before any provider text.
        self.setWindowTitle("desktop-oauth")
        self.providerCombo = QComboBox()
        self.providerCombo.setObjectName("providerCombo")
        self.providerCombo.setAccessibleName("Provider")
        self.providerCombo.setMinimumContentsLength(24)
        self.connectButton = button("Connect", "connectButton", "Connect an account")
        self.connectButton.setDefault(True)
        self.deviceButton = button(
            "Connect with a code",
            "connectWithCodeButton",
            "Connect with a code entered at the provider",
        )
        self.addProviderButton = button("Add provider…", "addProviderButton", "Add a provider")
        top = QHBoxLayout()
        top.addWidget(QLabel("Provider:"))
        top.addWidget(self.providerCombo, 1)
        top.addWidget(self.connectButton)
        top.addWidget(self.deviceButton)
        top.addWidget(self.addProviderButton)

        self.storageBanner = QLabel()
        self.storageBanner.setObjectName("storageBanner")
        self.storageBanner.setWordWrap(True)
        self.storageBanner.setStyleSheet("background:#fff4ce; padding:6px; border-radius:4px;")
        self.storageBanner.hide()

        self.urlBox = QLineEdit()
        self.urlBox.setObjectName("authorizationUrl")
        self.urlBox.setAccessibleName("Sign-in address to open in a browser")
        self.urlBox.setReadOnly(True)
        self.copyUrlButton = button("Copy link", "copyUrlButton", "Copy sign-in address")
        url_row = QHBoxLayout()
        url_row.addWidget(QLabel("Open this link in your browser:"))
        url_row.addWidget(self.urlBox, 1)
        url_row.addWidget(self.copyUrlButton)
        self.urlRow = QWidget()
        self.urlRow.setLayout(url_row)
        self.urlRow.hide()
        self._device_panel: DevicePanel | None = None  # built when a code first shows

        # Where the panels go: it takes the rest of the height from the start.
        self.panelArea = QWidget()
        self.panelArea.setObjectName("panelArea")
        panel_layout = QVBoxLayout(self.panelArea)
        panel_layout.setContentsMargins(0, 0, 0, 0)

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
        self.cancelButton = button("Cancel", "cancelButton", "Cancel connecting")
        status = QHBoxLayout()
        status.addWidget(self.statusLabel, 1)
        status.addWidget(self.progress)
        status.addWidget(self.cancelButton)

        root = self._root = QVBoxLayout()
        root.addLayout(top)
        root.addWidget(self.storageBanner)
        root.addWidget(self.urlRow)
        root.addWidget(self.panelArea, 1)
        root.addLayout(status)
        central = QWidget()
        central.setLayout(root)
        self.setCentralWidget(central)
        build_menu_bar(self)  # the actions come with the panels
        for widget in (self.connectButton, self.deviceButton, self.addProviderButton):
            widget.setEnabled(False)
        self.cancelButton.setEnabled(False)
        if self._state is not None:
            restore_geometry(self, self._state)
        else:
            fit_to_screen(self)

    def attach(self, controller: Controller) -> None:
        """Build the panels into the shell and wire the window to ``controller``."""
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QSplitter

        from .accounts_panel import AccountsPanel
        from .api_panel import ApiDataPanel
        from .flow_view import FlowView
        from .plain_text import make_all_plain
        from .scopes_panel import ScopesPanel
        from .token_panel import TokenPanel

        # The window owns its controller: Qt destroys both together, in the GUI
        # thread, rather than Python's collector whenever a cycle is found.
        controller.setParent(self)
        self.controller = controller
        self.accountsPanel = AccountsPanel()
        self.accountsList = self.accountsPanel.accountsList
        self.refreshButton = self.accountsPanel.refreshButton
        self.revokeButton = self.accountsPanel.revokeButton
        self.tokenPanel = TokenPanel()
        self.scopesPanel = ScopesPanel()
        self.apiDataPanel = ApiDataPanel()
        # Beside the data panel, hidden until View > Flow opens it: the token and
        # permission panels above leave no width for a column of its own.
        self.flowView = FlowView()
        self.flowView.hide()
        self.flowRedraw = QTimer(self)
        self.flowRedraw.setSingleShot(True)
        self.flowRedraw.setInterval(FLOW_REDRAW_MS)
        self.flowRedraw.timeout.connect(self._refresh_flow)
        upper = QSplitter(Qt.Orientation.Horizontal)
        upper.addWidget(self.tokenPanel)
        upper.addWidget(self.scopesPanel)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.apiDataPanel)
        lower.addWidget(self.flowView)
        lower.setCollapsible(1, False)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(upper)
        right.addWidget(lower)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.accountsPanel)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 3)
        # Wide enough for an account's whole line ("Sandbox (built in, no account
        # needed) · connected"): its state must not be cut off.
        splitter.setSizes([340, 840])
        self._splitters = {"main": splitter, "right": right, "upper": upper, "lower": lower}
        layout = self.panelArea.layout()
        assert layout is not None
        layout.addWidget(splitter)
        self._attached = True
        from .menus import build_menus

        self.menu_actions = build_menus(self)
        self._wire_menus()
        state = self._state
        if state is not None:
            restore_splitters(state, self._splitters)
            controller.preferred_account = state.text("selectedAccount") or None
            self.show_flow_view(state.text("flowView") == "open")
        make_all_plain(self)  # provider text is never rich text (docs/security.md finding 3)
        self._update_buttons()

        self.connectButton.clicked.connect(self._connect_clicked)
        self.deviceButton.clicked.connect(self._device_clicked)
        self.addProviderButton.clicked.connect(self._add_provider_clicked)
        self.cancelButton.clicked.connect(controller.cancel)
        self.copyUrlButton.clicked.connect(self._copy_url)
        panel = self.accountsPanel
        panel.selected.connect(controller.select_account)
        panel.refreshButton.clicked.connect(lambda: self._act(controller.refresh))
        panel.revokeButton.clicked.connect(self.confirm_revoke)
        panel.removeButton.clicked.connect(self.confirm_remove)
        panel.reconnectButton.clicked.connect(self._reconnect_clicked)
        panel.scopesButton.clicked.connect(self._scopes_clicked)
        self.apiDataPanel.callButton.clicked.connect(self._call_api_clicked)

        controller.configLoaded.connect(self.show_config)
        controller.accountShown.connect(self.show_account)
        controller.accountPreview.connect(self.show_account)
        controller.accountRefreshed.connect(self._refreshed)
        controller.accountForgotten.connect(self._forget)
        controller.apiDataShown.connect(self.apiDataPanel.show_result)
        controller.apiRefused.connect(self.apiDataPanel.show_refusal)
        controller.apiQuotaRefused.connect(self.apiDataPanel.show_quota_refusal)
        controller.deviceCode.connect(self._show_device_code)
        controller.status_message.connect(self.statusLabel.setText)
        controller.busy.connect(self._set_busy)
        controller.urlToCopy.connect(self._show_url)
        controller.errorShown.connect(self._show_error)
        controller.differentPerson.connect(self._different_person)
        controller.storageNotice.connect(self._show_storage_notice)
        controller.redirected.connect(self.bring_to_front)
        controller.aboutReady.connect(self._show_about)
        controller.operationChanged.connect(self._operation_changed)
        controller.operationFailed.connect(self._operation_failed)
        controller.historyShown.connect(self.accountsPanel.show_history)
        for provider in self._connect_when_attached:
            self.connect_when_loaded(provider)
        self._connect_when_attached.clear()

    # -- from the controller ------------------------------------------------------------
    def show_config(self, config: Config) -> None:
        """Fill the provider chooser and the accounts list."""
        chosen = self.providerCombo.currentText()
        self.providerCombo.clear()
        for provider in config.providers:
            self.providerCombo.addItem(provider.name)
        chosen = chosen or (self._state.text("lastProvider") if self._state else "")
        if chosen:
            self.providerCombo.setCurrentText(chosen)
        if not config.providers:
            self.statusLabel.setText("No provider is set up yet.")
        current = self._current.record.id if self._current else None
        self.accountsPanel.show_accounts(
            tuple(self.controller.describe(a) for a in config.accounts), current
        )
        if self._current is not None:
            record = next((a for a in config.accounts if a.id == current), None)
            if record is None:
                # Removed elsewhere (the command line, another window).
                self._forget(self._current.record.id)
            elif record != self._current.record:
                if record.status != self._current.record.status:
                    # Revoked or refused elsewhere: the tokens shown may be gone.
                    self.controller.select_account(record.id)
                self._current = _with_record(self._current, record)
                self._show_record_details(record)
        self._update_buttons()

    def show_account(self, view: AccountView) -> None:
        """Show one account in the panels."""
        self._current = view
        self.urlRow.hide()
        self.tokenPanel.show_tokens(view.tokens, view.claims, last_refresh=view.record.last_refresh)
        self._show_record_details(view.record)
        if view.userinfo is not None:
            self.apiDataPanel.show_result(view.userinfo)
        elif view.record.status != "connected":
            state = self.controller.describe(view.record, view.tokens).state
            self.apiDataPanel.show_stale(view.record.last_data, state)
        elif view.record.last_data:
            self.apiDataPanel.show_stale(view.record.last_data, "from the last call")
        self.accountsPanel.select(view.record.id)
        if self.flowView.isVisible():
            self._refresh_flow()
        self._update_buttons()

    def _show_record_details(self, record: AccountRecord) -> None:
        self.scopesPanel.show_scopes(
            record.requested_scopes,
            record.granted_scopes,
            record.previous_granted_scopes,
            self.controller.scope_descriptions(record.provider),
            ended=self.controller.describe(record).ended,
        )
        self.apiDataPanel.offer_calls(record.api_urls, record.status == "connected")

    def _refreshed(self, view: AccountView) -> None:
        if self._current is not None and self._current.record.id == view.record.id:
            self.tokenPanel.show_tokens(
                view.tokens, view.claims, last_refresh=view.record.last_refresh
            )
            self._current = _with_record(view, view.record)

    def _forget(self, account_id: str) -> None:
        if self._current and self._current.record.id == account_id:
            self._current = None
            self.tokenPanel.show_tokens(None, {})
            self.scopesPanel.clear()
            self.apiDataPanel.show_result(None)
            self.apiDataPanel.offer_calls((), False)
            if self.flowView.isVisible():
                self._refresh_flow()  # not the removed account's operations any more
        self._update_buttons()

    # -- the flow view ------------------------------------------------------------------
    def show_flow_view(self, shown: bool) -> None:
        """Open or close the flow view (View > Flow follows)."""
        action = self.menu_actions.flow_view
        if action.isChecked() != shown:
            action.setChecked(shown)  # comes back here through toggled
            return
        was_hidden = self.flowView.isHidden()
        self.flowView.setVisible(shown)
        if shown:
            if was_hidden:
                # Half the row beside the data.
                lower = self._splitters["lower"]
                data, flow = lower.sizes()
                if flow < (data + flow) // 2:
                    lower.setSizes([(data + flow) // 2, (data + flow) - (data + flow) // 2])
                # And more than half the height, so an expanded step shows with its
                # words. The permissions table keeps fixed columns and its scroll bar,
                # so a shorter table no longer re-lays itself out in a loop.
                right = self._splitters["right"]
                top, bottom = right.sizes()
                wanted = (top + bottom) * 11 // 20
                if bottom < wanted:
                    right.setSizes([top + bottom - wanted, wanted])
            self._refresh_flow()

    def _flow_account(self) -> str | None:
        return self._current.record.id if self._current is not None else None

    def _refresh_flow(self) -> None:
        # The selected account's operations, and those not yet tied to an account
        # (a connection under way, or one that failed before it made an account).
        account = self._flow_account()
        records = self.controller.operations(None)
        if account is not None:
            records += self.controller.operations(account)
        self.flowView.show_operations(records)

    def _operation_changed(self, record: OperationRecord) -> None:
        # Snapshots come in bursts (a step, its exchanges, the next step): they are
        # drawn once per burst, at most every FLOW_REDRAW_MS, so the GUI thread
        # never spends a burst relaying the window out again and again.
        relevant = record.account_id in (None, self._flow_account())
        if relevant and self.flowView.isVisible() and not self.flowRedraw.isActive():
            self.flowRedraw.start()

    def _operation_failed(self, record: OperationRecord) -> None:
        """A failed operation of the account on screen (or of no account yet) opens
        the flow view at its failed step, with what the provider answered."""
        if record.account_id not in (None, self._flow_account()):
            return
        self.show_flow_view(True)
        self._refresh_flow()
        self.flowView.open_at_failure(record)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.progress.setVisible(busy)
        if not self.controller.connecting:
            self.urlRow.hide()
            if self._device_panel is not None:
                self._device_panel.finish()
        self._update_buttons()

    @property
    def devicePanel(self) -> DevicePanel:
        """The sign-in-with-a-code panel, built the first time it is wanted."""
        if self._device_panel is None:
            from .device_panel import DevicePanel
            from .plain_text import make_all_plain

            panel = DevicePanel()
            make_all_plain(panel)
            # Where it always sat: under the sign-in link row, above the panels.
            self._root.insertWidget(self._root.indexOf(self.urlRow) + 1, panel)
            self._device_panel = panel
        return self._device_panel

    def _show_device_code(self, authorization: DeviceAuthorization) -> None:
        self.devicePanel.show_code(authorization)

    def _show_url(self, url: str) -> None:
        self.urlBox.setText(url)
        self.urlBox.setCursorPosition(0)
        self.urlRow.show()

    def _different_person(self, message: str, result: object) -> None:
        """Sign in again brought another person: add them, or try again, or neither.
        Whoever is not added has the tokens just issued to them taken back. Asked
        even in a window that shows no error dialogs: only the person can choose."""
        from .confirm import choose

        choice = choose(
            self,
            "Someone else signed in",
            message,
            ("Add as a new account", "Try again"),
        )
        if choice == "Add as a new account":
            self.controller.add_as_new_account(result)
            return
        self.controller.discard_connection(result)
        if choice == "Try again":
            self._reconnect_clicked()

    def _show_error(self, message: str) -> None:
        if self._dialogs:
            from .plain_text import plain_message

            plain_message(self, "desktop-oauth", message)  # provider text: never rich

    def _show_storage_notice(self, message: str) -> None:
        self.storageBanner.setText(message)
        self.storageBanner.show()
        self.tokenPanel.keep_in_memory()

    # -- from another launch, and from the browser ---------------------------------------
    def handle_launch(self, args: list[str]) -> None:
        """A later launch of the app: come forward, and connect if it asks to."""
        from ..qt.handover import connect_request

        self.bring_to_front()
        provider = connect_request(args)
        if provider is None:
            return
        if self._attached and self.controller.ready:
            self.providerCombo.setCurrentText(self.controller.provider_name(provider))
            self.controller.connect_provider(provider)
        else:
            self.connect_when_loaded(provider)

    def connect_when_loaded(self, provider: str) -> None:
        """Start connecting at ``provider`` once the settings have loaded."""
        if not self._attached:
            self._connect_when_attached.append(provider)
            return
        started = False

        def connect_once(_config: object) -> None:
            nonlocal started
            if not started:
                started = True
                self.providerCombo.setCurrentText(self.controller.provider_name(provider))
                self.controller.connect_provider(provider)

        self.controller.configLoaded.connect(connect_once)

    def bring_to_front(self) -> None:
        """Show, raise and activate the window (window managers may still refuse focus)."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    # -- from the person ----------------------------------------------------------------
    def _wire_menus(self) -> None:
        actions = self.menu_actions
        actions.add_provider.triggered.connect(self._add_provider_clicked)
        actions.quit.triggered.connect(self.close)
        actions.connect.triggered.connect(self._connect_clicked)
        actions.refresh.triggered.connect(lambda: self._act(self.controller.refresh))
        actions.change_scopes.triggered.connect(self._scopes_clicked)
        actions.revoke.triggered.connect(self.confirm_revoke)
        actions.remove.triggered.connect(self.confirm_remove)
        actions.about.triggered.connect(self._about_clicked)
        actions.flow_view.toggled.connect(self.show_flow_view)
        # Opened by the person (menu or Ctrl+Shift+F): the keyboard goes there too.
        actions.flow_view.triggered.connect(
            lambda shown: self.flowView.take_focus() if shown else None
        )

    def confirm_revoke(self) -> None:
        """Revoke the selected account once the person agrees to what it does."""
        if self._current is None or not self.accountsPanel.revokeButton.isEnabled():
            return
        from .confirm import ask, revoke_text

        record = self._current.record
        if ask(self, "Revoke access", revoke_text(record), "Revoke"):
            self.controller.revoke(record.id)

    def confirm_remove(self) -> None:
        """Remove the selected account once the person agrees to what it does."""
        if self._current is None or not self.accountsPanel.removeButton.isEnabled():
            return
        from .confirm import ask, remove_text

        record = self._current.record
        if ask(self, "Remove account", remove_text(record), "Remove"):
            self.controller.remove(record.id)

    def _about_clicked(self) -> None:
        if self.controller.ready:
            self.controller.about()

    def _show_about(self, about: About) -> None:
        from .about_box import show_about

        show_about(self, about)

    def _connect_clicked(self) -> None:
        name = self.providerCombo.currentText()
        if name and self.connectButton.isEnabled():
            self.connectButton.setEnabled(False)
            self.controller.connect_provider(name)

    def _device_clicked(self) -> None:
        name = self.providerCombo.currentText()
        if name:
            self.deviceButton.setEnabled(False)
            self.controller.connect_with_code(name)

    def _reconnect_clicked(self) -> None:
        if self._current is not None:
            record = self._current.record
            self.controller.sign_in_again(record.id, record.provider, record.requested_scopes)

    def _scopes_clicked(self) -> None:
        if self._current is None:
            return
        from .scopes_dialog import ScopesDialog  # loaded when first needed

        record = self._current.record
        dialog = ScopesDialog(
            record.provider,
            [*self.controller.offered_scopes(record.provider), *record.granted_scopes],
            self.controller.scope_descriptions(record.provider),
            record.requested_scopes,
            self,
        )
        if dialog.exec() and dialog.chosen():
            self.controller.connect_provider(record.provider, dialog.chosen())

    def _call_api_clicked(self) -> None:
        if self._current is not None:
            self.controller.fetch_data(self._current.record.id, self.apiDataPanel.chosen_url())

    def _add_provider_clicked(self) -> None:
        from .provider_dialog import ProviderDialog  # loaded when first needed

        taken = [self.providerCombo.itemText(i) for i in range(self.providerCombo.count())]
        dialog = ProviderDialog(self.controller, self, taken_names=taken)
        if dialog.exec() and dialog.saved_name:
            self.providerCombo.setCurrentText(dialog.saved_name)

    def _act(self, action: Any) -> None:
        if self._current is not None:
            action(self._current.record.id)

    def _copy_url(self) -> None:
        # The person asked to copy the sign-in link.
        QGuiApplication.clipboard().setText(self.urlBox.text())

    def _update_buttons(self) -> None:
        flowing = self.controller.connecting
        has_provider = self.providerCombo.count() > 0
        self.connectButton.setEnabled(has_provider and not flowing)
        self.deviceButton.setEnabled(has_provider and not flowing)
        self.addProviderButton.setEnabled(not flowing)
        self.cancelButton.setEnabled(flowing)
        record = self._current.record if self._current is not None else None
        self.accountsPanel.enable_for(record, busy=self._busy)
        panel = self.accountsPanel
        actions = self.menu_actions
        actions.connect.setEnabled(self.connectButton.isEnabled())
        actions.add_provider.setEnabled(self.addProviderButton.isEnabled())
        actions.refresh.setEnabled(panel.refreshButton.isEnabled())
        actions.change_scopes.setEnabled(panel.scopesButton.isEnabled())
        actions.revoke.setEnabled(panel.revokeButton.isEnabled())
        actions.remove.setEnabled(panel.removeButton.isEnabled())

    def changeEvent(self, event: QEvent) -> None:
        """Coming back to the window reads the settings again: the command line or
        another window may have changed the accounts meanwhile."""
        if (
            event.type() == QEvent.Type.ActivationChange
            and self._attached
            and self.isActiveWindow()
        ):
            self.controller.reload()
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Cancel a pending connection; its port closes before the window goes."""
        if not self._attached:  # closed before the panels were built: nothing to keep
            super().closeEvent(event)
            return
        if self._state is not None:
            if self._current is not None:
                self._state.set("selectedAccount", self._current.record.id)
            if self.providerCombo.currentText():
                self._state.set("lastProvider", self.providerCombo.currentText())
            self._state.set("flowView", "open" if self.flowView.isVisibleTo(self) else "closed")
            remember(self, self._state, self._splitters)
        self.controller.shutdown()
        super().closeEvent(event)


def _with_record(view: AccountView, record: AccountRecord) -> AccountView:
    return replace(view, record=record)
