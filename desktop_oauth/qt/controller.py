"""The controller: the only thing widgets talk to.

Every call into the core runs off the GUI thread; results come back as signals.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from ..core.account_state import NOT_READ, AccountSummary, describe
from ..core.config import AccountStatus
from ..core.flow_log import FlowLog, OperationRecord
from ..core.flow_text import failure_summary
from ..core.redirect import HINT_AFTER_SECONDS, refused_redirect_hint
from .connect_thread import ConnectThread, FailureKind
from .device_thread import DeviceThread
from .flow_relay import FlowRelay
from .refresh_scheduler import RefreshScheduler
from .tasks import TaskRunner, keep_until_finished

if TYPE_CHECKING:
    # Types only: the HTTP and keyring libraries load on a worker thread, after
    # the window has painted.
    from ..core.accounts import AccountService, AccountView, RevokeOutcome
    from ..core.api import ApiQuotaError, ApiResult
    from ..core.config import AccountRecord, Config
    from ..core.device import DeviceAuthorization
    from ..core.history import AccountHistory
    from ..core.provider import ProviderConfig
    from ..core.registration import Finding
    from ..core.tokens import TokenSet

log = logging.getLogger(__name__)

#: Opens a URL in the person's browser; False when no browser opened.
Opener = Callable[[str], bool]
#: The result type of one background call (:meth:`Controller._run`).
T = TypeVar("T")
#: How often revocations that could not reach the provider are tried again.
REVOCATION_RETRY_MS = 60_000
#: Seconds to wait for the person in the browser (docs/security.md (a)5).
DEFAULT_DEADLINE = 300.0


def _open_in_browser(url: str) -> bool:
    from ..core.browser import open_url  # loaded on first use, not at start-up

    return open_url(url)


class Controller(QObject):
    """Turns the window's requests into background work and reports back.

    Signals:
        configLoaded(object): the :class:`Config` (providers and accounts).
        accountShown(object): an :class:`AccountView` for the panels.
        accountPreview(object): a just-connected account, shown while its tokens
            are still being written to the keyring (accountShown follows).
        accountRefreshed(object): an :class:`AccountView` after a background refresh
            (shown only if it is the account on screen).
        accountForgotten(str): the account id that was removed.
        apiDataShown(object): an ``ApiResult`` from the provider's API.
        apiRefused(str): the API refused the call (scope, quota, token), in words.
        apiQuotaRefused(object): the :class:`ApiQuotaError` of a 429, with its quota.
        deviceCode(object): a ``DeviceAuthorization`` to show while signing in with a code.
        providerSaved(str) / providerRejected(str): the outcome of saving a provider.
        registrationChecked(object): a list of registration ``Finding`` objects.
        status_message(str): what is happening now, in words (not an account's status).
        busy(bool): whether something waits on a person or the network.
        urlToCopy(str): the browser did not open; the person opens this URL.
        errorShown(str): something failed; a sentence for a dialog.
        differentPerson(str, object): "Sign in again" brought another person; the
            account is untouched. The sentence says who; the object is the connection,
            for :meth:`add_as_new_account`.
        storageNotice(str): tokens are kept for this session only, and why.
        redirected(): the browser came back to the app; the window comes forward.
        aboutReady(object): an :class:`~desktop_oauth.qt.about.About` for the About box.
        operationChanged(object): an :class:`OperationRecord` snapshot of the flow log
            (an operation began, a step or an exchange was added, it ended).
        operationFailed(object): the :class:`OperationRecord` of an operation that
            ended failed at a step (after its last operationChanged).
        historyShown(object): the :class:`~desktop_oauth.core.history.AccountHistory` of
            the account last shown, when it is selected and after every change.
    """

    configLoaded = Signal(object)
    accountShown = Signal(object)
    accountPreview = Signal(object)
    accountRefreshed = Signal(object)
    accountForgotten = Signal(str)
    apiDataShown = Signal(object)
    apiRefused = Signal(str)
    apiQuotaRefused = Signal(object)
    deviceCode = Signal(object)
    providerSaved = Signal(str)
    providerRejected = Signal(str)
    registrationChecked = Signal(object)
    status_message = Signal(str)
    busy = Signal(bool)
    urlToCopy = Signal(str)
    errorShown = Signal(str)
    differentPerson = Signal(str, object)
    storageNotice = Signal(str)
    redirected = Signal()
    aboutReady = Signal(object)
    operationChanged = Signal(object)
    operationFailed = Signal(object)
    historyShown = Signal(object)

    def __init__(
        self,
        service_factory: Callable[[FlowLog], AccountService],
        *,
        opener: Opener = _open_in_browser,
        known_scopes: Callable[[str], Mapping[str, str]] | None = None,
        deadline_seconds: float = DEFAULT_DEADLINE,
        hint_after_seconds: float = HINT_AFTER_SECONDS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._hint_after = hint_after_seconds
        self._redirected = False
        self._service_factory = service_factory
        self._service: AccountService | None = None
        self._opener = opener
        self._known_scopes = known_scopes
        self._deadline = deadline_seconds
        self._flow: ConnectThread | DeviceThread | None = None
        self._runner = TaskRunner()
        self.scheduler = RefreshScheduler(self._refresh_in_background, self)
        # Revocations the provider could not be told about are retried (RFC 7009 §2.2.1).
        self._revocation_timer = QTimer(self)
        self._revocation_timer.setInterval(REVOCATION_RETRY_MS)
        self._revocation_timer.timeout.connect(self._retry_revocations)
        #: The account to show first once loaded (the one selected last time).
        self.preferred_account: str | None = None
        #: Every operation's steps, passed to the service the factory makes.
        self.flow_log = FlowLog()
        # A failed operation not yet named in the status line (see _named).
        self._unreported_failure: OperationRecord | None = None
        self._relay = FlowRelay(self.flow_log, self)
        self._relay.operationChanged.connect(self._on_operation)
        #: The account whose history goes out with every new config (the one shown).
        self._history_for: str | None = None

    @staticmethod
    def describe(record: AccountRecord, tokens: TokenSet | None = None) -> AccountSummary:
        """What ``record`` is now, by the function ``desktop-oauth accounts`` uses too.

        Without ``tokens`` (the keyring was not read) the record's own copy of the
        expiry and the refresh-token flag stands in for them.
        """
        return describe(record, time.time(), NOT_READ if tokens is None else tokens)

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> None:
        """Open the keyring and read the settings, off the GUI thread."""
        self.status_message.emit("Loading your accounts…")

        factory = self._service_factory  # the worker holds no reference to this QObject
        flow_log = self.flow_log

        def load() -> tuple[AccountService, Config]:
            service = factory(flow_log)
            return service, service.load()

        self._run(load, self._loaded)

    def _loaded(self, result: tuple[AccountService, Config]) -> None:
        self._service, config = result
        if not self._service.store.persistent:
            self.storageNotice.emit(
                "No secure keyring is available: tokens are kept only until the app "
                "closes, and never written to disk."
            )
        self.status_message.emit("Ready.")
        self._publish(config)
        if config.recovered_from is not None:
            self.errorShown.emit(
                "Your settings file could not be read, so the app started with empty "
                f"settings. The old file was kept as {config.recovered_from}."
            )
        if config.accounts:
            ids = [a.id for a in config.accounts]
            preferred = self.preferred_account
            self.select_account(preferred if preferred in ids else ids[-1])
        self._retry_revocations()
        self._revocation_timer.start()

    @Slot()
    def reload(self) -> None:
        """Read the settings file again, off the GUI thread: the command line or
        another window may have connected, revoked or removed accounts since."""
        service = self._service
        if service is None:
            return  # still starting: start() reads it anyway

        def reloaded(config: Config) -> None:
            # What the service holds now: a connection saved while the file was
            # being read is newer than ``config``, and must not vanish from the list.
            self._publish(service.config)
            if config.recovered_from is not None:
                self.errorShown.emit(
                    "Your settings file could not be read, so the app continues with empty "
                    f"settings. The old file was kept as {config.recovered_from}."
                )

        self._runner.run(service.load, reloaded, self.status_message.emit)

    def shutdown(self, timeout_ms: int = 2000) -> None:
        """Cancel a pending connection and wait for its port to close."""
        self.scheduler.stop()
        # Stopped here, in the GUI thread: a timer still running when the
        # controller is collected (possibly on a worker thread) makes Qt warn.
        self._revocation_timer.stop()
        self._runner.close()
        flow = self._flow
        if flow is not None:
            flow.cancel()
            if not flow.wait(timeout_ms):
                keep_until_finished(flow)

    @property
    def ready(self) -> bool:
        """Whether the settings have loaded (actions are accepted)."""
        return self._service is not None

    @Slot()
    def about(self) -> None:
        """Gather the About box's facts off the GUI thread; :attr:`aboutReady` follows."""
        from .about import gather

        service = self._require_service()
        self._runner.run(lambda: gather(service), self.aboutReady.emit, self.errorShown.emit)

    @property
    def connecting(self) -> bool:
        """Whether a connection attempt is under way."""
        return self._flow is not None

    # -- connecting ---------------------------------------------------------------------
    @Slot(str)
    def connect_provider(self, provider_name: str, scopes: tuple[str, ...] | None = None) -> None:
        """Start connecting an account at ``provider_name`` in the browser.

        Args:
            scopes: Other scopes than the provider's (more: incremental consent).
        """
        if self._service is None or self._flow is not None:
            return
        provider_name = self.provider_name(provider_name)
        thread = ConnectThread(self._service, provider_name, self._deadline, self, scopes=scopes)
        thread.waiting.connect(self._open_browser)
        thread.redirected.connect(self._on_redirected)
        thread.completed.connect(self._on_completed)
        self._start_flow(thread, f"Contacting {provider_name}…")

    def sign_in_again(self, account_id: str, provider_name: str, scopes: tuple[str, ...]) -> None:
        """Sign in again as the person of ``account_id`` (login_hint, prompt=login);
        another person leaves the account untouched and :attr:`differentPerson` says who."""
        if self._service is None or self._flow is not None:
            return
        provider_name = self.provider_name(provider_name)
        thread = ConnectThread(
            self._service, provider_name, self._deadline, self, scopes=scopes, same_as=account_id
        )
        thread.waiting.connect(self._open_browser)
        thread.redirected.connect(self._on_redirected)
        thread.completed.connect(self._on_completed)
        thread.differentPerson.connect(self._on_different_person)
        self._start_flow(thread, f"Contacting {provider_name}…")

    def _on_different_person(self, message: str, result: object) -> None:
        self.status_message.emit(message)
        self.differentPerson.emit(message, result)

    def add_as_new_account(self, result: object) -> None:
        """Keep the connection of the other person as an account of its own."""
        service = self._service
        if service is None:
            return
        self._run(lambda: service.save_connection(result), self._on_connected, busy=True)  # type: ignore[arg-type]

    def discard_connection(self, result: object) -> None:
        """The other person is not added: take back the tokens issued to them."""
        service = self._service
        if service is None:
            return

        def done(dead: bool | None) -> None:
            if dead is False:
                self.errorShown.emit(
                    "The provider still honours the tokens of the person who signed in; "
                    "remove the app in their account settings there."
                )

        self._run(lambda: service.discard_connection(result), done)  # type: ignore[arg-type]

    def scope_descriptions(self, provider_name: str) -> dict[str, str]:
        """Scope name to plain-language description at ``provider_name`` (in memory)."""
        from ..core.scope_catalog import descriptions

        return descriptions(*self._scope_sources(provider_name))

    def offered_scopes(self, provider_name: str) -> list[str]:
        """The scopes known to exist at ``provider_name``, for a list of checkboxes."""
        from ..core.scope_catalog import offered

        return offered(*self._scope_sources(provider_name))

    def _scope_sources(self, provider_name: str) -> tuple[ProviderConfig | None, Mapping[str, str]]:
        from ..core.errors import DesktopOAuthError

        provider = None
        if self._service is not None:
            try:
                provider = self._service.config.provider(provider_name)
            except DesktopOAuthError:
                provider = None
        known = self._known_scopes(provider_name) if self._known_scopes else {}
        return provider, known

    def provider_name(self, name: str) -> str:
        """The provider ``name`` means (``sandbox`` is the built-in one's short name);
        ``name`` itself when none matches, for the connection to report."""
        from ..core.errors import DesktopOAuthError

        if self._service is None:
            return name
        try:
            return self._service.provider_name(name)  # in memory: no file, no network
        except DesktopOAuthError:
            return name

    @Slot(str)
    def connect_with_code(self, provider_name: str) -> None:
        """Start connecting with a code to enter at the provider (RFC 8628)."""
        if self._service is None or self._flow is not None:
            return
        thread = DeviceThread(self._service, provider_name, self)
        thread.codeReady.connect(self._code_ready)
        self._start_flow(thread, f"Asking {provider_name} for a code…")

    def _start_flow(self, thread: ConnectThread | DeviceThread, message: str) -> None:
        thread.succeeded.connect(self._on_connected)
        thread.failed.connect(self._on_connect_failed)
        # A slot of this object, not a lambda: it runs queued in the GUI thread.
        thread.finished.connect(self._flow_done)
        self._flow = thread
        self.busy.emit(True)
        self.status_message.emit(message)
        thread.start()

    @Slot()
    def cancel(self) -> None:
        """Cancel the connection attempt under way, if any."""
        if self._flow is not None:
            self.status_message.emit("Cancelling…")
            self._flow.cancel()

    def _hint_if_still_waiting(self, flow: object, url: str, fixed: bool) -> None:
        # No callback after a few seconds: a provider's "redirect URI not allowed"
        # page looks like waiting; say what it means and what to register.
        if self._flow is flow and not self._redirected:
            self.status_message.emit(refused_redirect_hint(url, fixed))

    def _open_browser(self, url: str) -> None:
        self.status_message.emit("Waiting for you in the browser… (sign in and approve there)")
        self._redirected = False
        waiting_flow = self._flow
        provider = None
        if self._service is not None and isinstance(waiting_flow, ConnectThread):
            name = waiting_flow.provider_name
            provider = next((p for p in self._service.config.providers if p.name == name), None)
        fixed = provider is not None and bool(provider.redirect_uri or provider.redirect_port)
        QTimer.singleShot(
            int(self._hint_after * 1000),
            self,
            lambda: self._hint_if_still_waiting(waiting_flow, url, fixed),
        )
        # webbrowser.open waits for a BROWSER command to exit, and some browsers
        # stay open: it runs on its own thread while the receiver listens.
        flow = self._flow

        def opened(ok: bool) -> None:
            if not ok and flow is not None and self._flow is flow:
                self.status_message.emit(
                    "No browser opened. Open the link below yourself; the app keeps waiting."
                )
                # The local link, not the authorization URL: no state on the
                # clipboard (docs/security.md, finding 9).
                self.urlToCopy.emit(getattr(flow, "shareable_url", "") or url)

        def broken(message: str) -> None:
            log.warning("Opening the browser failed.")
            opened(False)

        opener = self._opener  # the worker holds no reference to this QObject
        self._runner.run(lambda: opener(url), opened, broken)

    @Slot()
    def _on_redirected(self) -> None:
        self._redirected = True  # no "redirect URI refused?" hint any more
        self.status_message.emit("Signed in; exchanging the code…")
        self.redirected.emit()  # the window comes to the front

    def _code_ready(self, authorization: DeviceAuthorization) -> None:
        self.status_message.emit(
            "Enter the code shown here at the provider; the app keeps waiting."
        )
        self.deviceCode.emit(authorization)

    def _on_completed(self, view: AccountView) -> None:
        self.status_message.emit(f"Connected as {view.record.display_name}; saving to the keyring…")
        self.accountPreview.emit(view)

    def _on_connected(self, view: AccountView) -> None:
        if view.notice:
            self.storageNotice.emit(view.notice)
        self.status_message.emit(f"Connected as {view.record.display_name}.")
        self.accountShown.emit(view)
        self._history_for = view.record.id
        self._reload_config()

    def _on_connect_failed(self, message: str, kind: FailureKind) -> None:
        named = self._named(message)
        # The person's own choice (cancelled here, declined there) is said as such.
        chosen = kind in (FailureKind.CANCELLED, FailureKind.DECLINED)
        self.status_message.emit(message if chosen else named)
        if kind not in (FailureKind.CANCELLED, FailureKind.DECLINED):
            self.errorShown.emit(message)

    @Slot()
    def _flow_done(self) -> None:
        thread = self.sender()
        if not isinstance(thread, QThread):
            return
        if self._flow is thread:
            self._flow = None
        thread.wait()  # "finished" comes just before the thread really ends
        thread.deleteLater()
        self.busy.emit(False)

    # -- accounts -----------------------------------------------------------------------
    @Slot(str)
    def select_account(self, account_id: str) -> None:
        """Show ``account_id`` (reads its tokens from the keyring, off the GUI thread)."""
        service = self._require_service()
        self._history_for = account_id

        def shown(result: tuple[AccountView, AccountHistory]) -> None:
            self.accountShown.emit(result[0])
            self.historyShown.emit(result[1])

        self._run(lambda: (service.view(account_id), service.config.history_of(account_id)), shown)

    @Slot(str)
    def refresh(self, account_id: str) -> None:
        """Refresh the account's tokens now, then fetch its data again."""
        service = self._require_service()
        self.busy.emit(True)
        self.status_message.emit("Refreshing the access token…")

        def work() -> AccountView:
            view = service.refresh(account_id)
            return replace(view, userinfo=service.fetch_data(account_id))

        self._run(work, self._on_refreshed, busy=True, after_failure=self._reload_config)

    def _refresh_in_background(self, account_id: str) -> None:
        """The scheduler's refresh: quiet when it works, retried with backoff when the
        provider cannot be reached, and reported when the person must sign in again."""
        service = self._require_service()

        def done(view: AccountView) -> None:
            self.scheduler.succeeded(account_id)
            if view.notice:
                self.storageNotice.emit(view.notice)
            self.accountRefreshed.emit(view)
            self._reload_config()

        def failed(message: str) -> None:
            record = next((a for a in service.config.accounts if a.id == account_id), None)
            if record is not None and record.status is AccountStatus.CONNECTED:
                self.scheduler.failed(account_id, message)
            else:
                self.status_message.emit(message)
            self._reload_config()

        self._runner.run(lambda: service.refresh(account_id), done, failed)

    @Slot(str)
    def fetch_data(self, account_id: str, url: str | None = None) -> None:
        """Call the provider's API (by default the call its preset names, or userinfo)."""
        service = self._require_service()
        self.busy.emit(True)
        self.status_message.emit("Fetching your data…")

        def refused(message: str) -> None:
            self.busy.emit(False)
            self.status_message.emit(self._named(message))
            self.apiRefused.emit(message)
            self._reload_config()

        def done(result: ApiResult | ApiQuotaError) -> None:
            from ..core.api import ApiQuotaError  # loaded by the worker by now

            if isinstance(result, ApiQuotaError):
                # The 429 answer's quota goes to the panel with the words (a 429 is
                # a result to show, not only an error).
                self.apiQuotaRefused.emit(result)
                refused(str(result))
                return
            self.busy.emit(False)
            self.status_message.emit("Data fetched.")
            self.apiDataShown.emit(result)

        def fetch() -> ApiResult | ApiQuotaError:
            from ..core.api import ApiQuotaError  # on the worker: the HTTP stack loads here

            try:
                return service.fetch_data(account_id, url)
            except ApiQuotaError as exc:
                return exc

        self._runner.run(fetch, done, refused)

    @Slot(str)
    def revoke(self, account_id: str) -> None:
        """Revoke at the provider, check it took, and forget the tokens here."""
        service = self._require_service()
        self.busy.emit(True)
        self.status_message.emit("Revoking access…")

        def work() -> tuple[RevokeOutcome, AccountView]:
            return service.revoke(account_id), service.view(account_id)

        self._run(work, self._on_revoked, busy=True)

    @Slot(str)
    def remove(self, account_id: str) -> None:
        """Revoke if still connected, then forget the account entirely."""
        service = self._require_service()
        self.busy.emit(True)
        self.status_message.emit("Removing the account…")

        def done(outcome: RevokeOutcome | None) -> None:
            if outcome is not None and outcome.account.status is AccountStatus.REVOCATION_PENDING:
                # Still waiting for the provider: the account stays (see AccountService.remove).
                self.errorShown.emit(outcome.message)
                self._reload_config()
                return
            self.status_message.emit("Account removed.")
            self.scheduler.forget(account_id)
            self.accountForgotten.emit(account_id)
            self._reload_config()

        self._run(lambda: service.remove(account_id), done, busy=True)

    def _retry_revocations(self) -> None:
        service = self._require_service()

        def done(outcomes: list[RevokeOutcome]) -> None:
            for outcome in outcomes:
                if outcome.provider_confirmed:
                    self.status_message.emit(f"{outcome.account.display_name}: {outcome.message}")
            if outcomes:
                self._reload_config()

        self._runner.run(service.retry_revocations, done, lambda message: None)

    # -- providers ----------------------------------------------------------------------
    def save_provider(self, provider: ProviderConfig, client_secret: str | None) -> None:
        """Check (discovery) and save a provider; its secret goes to the keyring."""
        service = self._require_service()

        def saved(result: ProviderConfig) -> None:
            self.status_message.emit(f"Added the provider {provider.name}.")
            self.providerSaved.emit(provider.name)
            self._reload_config()

        self._runner.run(
            lambda: service.add_provider(provider, client_secret), saved, self.providerRejected.emit
        )

    def check_registration(self, provider: ProviderConfig) -> None:
        """Run the registration check for ``provider`` (network: off the GUI thread)."""
        service = self._require_service()

        def check() -> list[Finding]:
            from ..core.registration import check_registration

            return check_registration(service.session, provider)

        self._runner.run(check, self.registrationChecked.emit, self.providerRejected.emit)

    # -- results ------------------------------------------------------------------------
    def _on_refreshed(self, view: AccountView) -> None:
        if view.notice:
            self.storageNotice.emit(view.notice)
        self.status_message.emit("Access token refreshed.")
        self.accountShown.emit(view)
        self._reload_config()

    def _on_revoked(self, result: tuple[RevokeOutcome, AccountView]) -> None:
        outcome, view = result
        self.scheduler.forget(outcome.account.id)
        self.status_message.emit(outcome.message)
        if not outcome.verified:
            self.errorShown.emit(outcome.message)
        self.accountShown.emit(view)
        self._reload_config()

    def _reload_config(self) -> None:
        if self._service is not None:
            self._publish(self._service.config)

    def _publish(self, config: Config) -> None:
        self.scheduler.plan(config.accounts)
        self.configLoaded.emit(config)
        if self._history_for is not None:  # every change ends here: the history follows
            self.historyShown.emit(config.history_of(self._history_for))

    # -- the flow log ------------------------------------------------------------------
    def operations(self, account_id: str | None) -> tuple[OperationRecord, ...]:
        """The kept operations of ``account_id`` (None: a connection not yet tied to
        an account), oldest first. In memory: safe on the GUI thread."""
        return self.flow_log.operations(account_id)

    @Slot(object)
    def _on_operation(self, record: OperationRecord) -> None:
        if not record.finished and not record.steps:
            self._unreported_failure = None  # a new operation: older failures are stale
        self.operationChanged.emit(record)
        if record.finished and record.failed_step is not None:
            self._unreported_failure = record
            self.operationFailed.emit(record)

    def _named(self, message: str) -> str:
        """The status line for a failure: the step that failed and what the provider
        answered, then ``message`` (what to do about it), when the operation that just
        failed recorded it; else ``message`` alone.

        The failed snapshot is queued from the worker before the worker's own failure
        signal, so it has arrived by the time that signal runs here.
        """
        record, self._unreported_failure = self._unreported_failure, None
        summary = failure_summary(record) if record is not None else None
        if not summary:
            return message
        summary = summary[:1].upper() + summary[1:]
        if message[1:] in summary:  # the summary already says it
            return summary if summary.endswith((".", "!", "?")) else summary + "."
        return f"{summary}. {message}"

    # -- plumbing -----------------------------------------------------------------------
    def _require_service(self) -> AccountService:
        if self._service is None:
            raise RuntimeError("The controller has not finished starting.")
        return self._service

    def _run(
        self,
        work: Callable[[], T],
        done: Callable[[T], None],
        *,
        busy: bool = False,
        after_failure: Callable[[], None] | None = None,
    ) -> None:
        def succeeded(result: T) -> None:
            if busy:
                self.busy.emit(False)
            done(result)

        def failed(message: str) -> None:
            if busy:
                self.busy.emit(False)
            self.status_message.emit(self._named(message))
            self.errorShown.emit(message)
            if after_failure is not None:
                after_failure()

        self._runner.run(work, succeeded, failed)
