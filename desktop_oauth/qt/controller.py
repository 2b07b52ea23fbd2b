"""The controller: the only thing widgets talk to.

Every call into the core runs off the GUI thread; results come back as signals.
"""

from __future__ import annotations

import logging
import webbrowser
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot

from .connect_thread import ConnectThread
from .tasks import TaskRunner

if TYPE_CHECKING:
    # Types only: the HTTP and keyring libraries load on a worker thread, after
    # the window has painted.
    from ..core.accounts import AccountService, AccountView, RevokeOutcome
    from ..core.config import Config

log = logging.getLogger(__name__)

#: Opens a URL in the person's browser; False when no browser opened.
Opener = Callable[[str], bool]

#: Seconds to wait for the person in the browser (SECURITY (a)5).
DEFAULT_DEADLINE = 300.0


class Controller(QObject):
    """Turns the window's requests into background work and reports back.

    Signals:
        configLoaded(object): the :class:`Config` after loading; also carries
            a notice when the settings file was unreadable and moved aside.
        accountShown(object): an :class:`AccountView` for the panels.
        accountForgotten(str): the account id that was revoked and removed.
        apiDataShown(object): an ``ApiResult`` from the provider's API.
        status(str): what is happening now, in words.
        busy(bool): whether something waits on a person or the network
            (the window shows progress and enables Cancel).
        urlToCopy(str): the browser did not open; the person opens this URL.
        errorShown(str): something failed; a sentence for a dialog.
        storageNotice(str): tokens are kept for this session only, and why.
    """

    configLoaded = Signal(object)
    accountShown = Signal(object)
    accountForgotten = Signal(str)
    apiDataShown = Signal(object)
    status = Signal(str)
    busy = Signal(bool)
    urlToCopy = Signal(str)
    errorShown = Signal(str)
    storageNotice = Signal(str)

    def __init__(
        self,
        service_factory: Callable[[], AccountService],
        *,
        opener: Opener = webbrowser.open,
        deadline_seconds: float = DEFAULT_DEADLINE,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._service_factory = service_factory
        self._service: AccountService | None = None
        self._opener = opener
        self._deadline = deadline_seconds
        self._connect: ConnectThread | None = None
        self._runner = TaskRunner(self)

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> None:
        """Open the keyring and read the settings, off the GUI thread."""
        self.status.emit("Loading your accounts…")

        def load() -> tuple[AccountService, Config]:
            service = self._service_factory()
            return service, service.load()

        self._run(load, self._loaded)

    def _loaded(self, result: tuple[AccountService, Config]) -> None:
        self._service, config = result
        if not self._service.store.persistent:
            self.storageNotice.emit(
                "No secure keyring is available: tokens are kept only until the app "
                "closes, and never written to disk."
            )
        self.status.emit("Ready.")
        self.configLoaded.emit(config)
        if config.recovered_from is not None:
            self.errorShown.emit(
                "Your settings file could not be read, so the app started with empty "
                f"settings. The old file was kept as {config.recovered_from}."
            )
        if config.accounts:
            self.select_account(config.accounts[-1].id)

    def shutdown(self, timeout_ms: int = 2000) -> None:
        """Cancel a pending connection and wait for its port to close."""
        thread = self._connect
        if thread is not None:
            thread.cancel()
            thread.wait(timeout_ms)

    @property
    def connecting(self) -> bool:
        """Whether a connection attempt is under way."""
        return self._connect is not None

    # -- actions ------------------------------------------------------------------------
    @Slot(str)
    def connect_provider(self, provider_name: str) -> None:
        """Start connecting an account at ``provider_name``."""
        if self._service is None or self._connect is not None:
            return
        thread = ConnectThread(self._service, provider_name, self._deadline, self)
        thread.waiting.connect(self._open_browser)
        thread.redirected.connect(lambda: self.status.emit("Signed in; exchanging the code…"))
        thread.succeeded.connect(self._on_connected)
        thread.failed.connect(self._on_connect_failed)
        thread.finished.connect(lambda: self._connect_done(thread))
        self._connect = thread
        self.busy.emit(True)
        self.status.emit(f"Contacting {provider_name}…")
        thread.start()

    @Slot()
    def cancel(self) -> None:
        """Cancel the connection attempt under way, if any."""
        if self._connect is not None:
            self.status.emit("Cancelling…")
            self._connect.cancel()

    @Slot(str)
    def select_account(self, account_id: str) -> None:
        """Show ``account_id`` (reads its tokens from the keyring, off the GUI thread)."""
        service = self._require_service()
        self._run(lambda: service.view(account_id), self.accountShown.emit)

    @Slot(str)
    def refresh(self, account_id: str) -> None:
        """Refresh the account's tokens, then reload its userinfo."""
        service = self._require_service()
        self.busy.emit(True)
        self.status.emit("Refreshing the access token…")

        def work() -> AccountView:
            view = service.refresh(account_id)
            return replace(view, userinfo=service.fetch_userinfo(account_id))

        self._run(work, self._on_refreshed, busy=True)

    @Slot(str)
    def fetch_data(self, account_id: str) -> None:
        """Call the provider's userinfo endpoint again."""
        service = self._require_service()
        self.busy.emit(True)
        self.status.emit("Fetching your data…")
        self._run(lambda: service.fetch_userinfo(account_id), self._on_data, busy=True)

    @Slot(str)
    def revoke(self, account_id: str) -> None:
        """Revoke at the provider and forget locally."""
        service = self._require_service()
        self.busy.emit(True)
        self.status.emit("Revoking access…")
        self._run(lambda: service.revoke(account_id), self._on_revoked, busy=True)

    # -- results ------------------------------------------------------------------------
    def _open_browser(self, url: str) -> None:
        self.status.emit("Waiting for you in the browser… (sign in and approve there)")
        # webbrowser.open waits for a BROWSER command to exit, and some browsers
        # stay open: it runs on its own thread while the receiver listens.
        thread = self._connect

        def opened(ok: Any) -> None:
            if not ok and thread is not None and self._connect is thread:
                self.status.emit(
                    "No browser opened. Open the link below yourself; the app keeps waiting."
                )
                self.urlToCopy.emit(url)

        def broken(message: str) -> None:
            log.warning("Opening the browser failed.")
            opened(False)

        self._runner.run(lambda: self._opener(url), opened, broken)

    def _on_connected(self, view: AccountView) -> None:
        if view.notice:
            self.storageNotice.emit(view.notice)
        self.status.emit(f"Connected as {view.record.display_name}.")
        self.accountShown.emit(view)
        self._reload_config()

    def _on_connect_failed(self, message: str, kind: str) -> None:
        self.status.emit(message)
        if kind not in ("cancelled", "declined"):
            self.errorShown.emit(message)

    def _connect_done(self, thread: ConnectThread) -> None:
        if self._connect is thread:
            self._connect = None
        thread.deleteLater()
        self.busy.emit(False)

    def _on_refreshed(self, view: AccountView) -> None:
        if view.notice:
            self.storageNotice.emit(view.notice)
        self.status.emit("Access token refreshed.")
        self.accountShown.emit(view)
        self._reload_config()

    def _on_data(self, result: Any) -> None:
        self.status.emit("Data fetched.")
        self.apiDataShown.emit(result)

    def _on_revoked(self, outcome: RevokeOutcome) -> None:
        self.status.emit(outcome.message)
        if not outcome.provider_confirmed:
            self.errorShown.emit(outcome.message)
        self.accountForgotten.emit(outcome.account.id)
        self._reload_config()

    def _reload_config(self) -> None:
        if self._service is not None:
            self.configLoaded.emit(self._service.config)

    # -- plumbing -----------------------------------------------------------------------
    def _require_service(self) -> AccountService:
        if self._service is None:
            raise RuntimeError("The controller has not finished starting.")
        return self._service

    def _run(self, work: Callable[[], Any], done: Callable[[Any], None], *,
             busy: bool = False) -> None:
        def succeeded(result: Any) -> None:
            if busy:
                self.busy.emit(False)
            done(result)

        def failed(message: str) -> None:
            if busy:
                self.busy.emit(False)
            self.status.emit(message)
            self.errorShown.emit(message)

        self._runner.run(work, succeeded, failed)
