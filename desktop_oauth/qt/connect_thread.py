"""The QThread that hosts one connection attempt and its loopback receiver."""

from __future__ import annotations

import threading
from enum import StrEnum
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThread, Signal

from ..core.errors import (
    AuthorizationDeniedError,
    DifferentPersonError,
    FlowCancelledError,
    FlowTimeoutError,
)
from .tasks import describe

if TYPE_CHECKING:
    from ..core.accounts import AccountService
    from ..core.connect import ConnectAttempt


class FailureKind(StrEnum):
    """Why a connection attempt ended without an account."""

    #: The person cancelled in the app.
    CANCELLED = "cancelled"
    #: The person said no at the provider (``access_denied``, RFC 6749 §4.1.2.1).
    DECLINED = "declined"
    #: Nobody came back from the browser before the deadline.
    TIMEOUT = "timeout"
    #: Anything else: worth a dialog.
    ERROR = "error"


def denied_kind(exc: AuthorizationDeniedError) -> FailureKind:
    """``access_denied`` is the person's choice; any other error code is a failure."""
    return FailureKind.DECLINED if exc.error == "access_denied" else FailureKind.ERROR


class ConnectThread(QThread):
    """Discovery, port, redirect, code exchange and storage, off the GUI thread.

    Signals (queued to the GUI thread; docs/security.md (a)30):
        waiting(str): the port is held; carries the authorization URL for the
            browser. The receiver listens from now on until the deadline.
        redirected(): the browser came back; the code is being exchanged.
        differentPerson(str, object): signing in again brought another person; the
            message says who, the object is the connection (to add as a new account).
        completed(object): the tokens are checked; an AccountView to show while
            the keyring and the settings are written.
        succeeded(object): an :class:`~desktop_oauth.core.accounts.AccountView`.
        failed(str, object): a readable message and its :class:`FailureKind`.
    """

    waiting = Signal(str)
    redirected = Signal()
    completed = Signal(object)
    succeeded = Signal(object)
    failed = Signal(str, object)
    differentPerson = Signal(str, object)

    def __init__(
        self,
        service: AccountService,
        provider_name: str,
        deadline_seconds: float,
        parent: QObject | None = None,
        *,
        scopes: tuple[str, ...] | None = None,
        same_as: str | None = None,
    ) -> None:
        super().__init__(parent)
        self._scopes = scopes
        self._same_as = same_as
        self._service = service
        self._provider_name = provider_name
        #: The provider being connected (read by the controller for its hints).
        self.provider_name = provider_name
        self._deadline = deadline_seconds
        self._lock = threading.Lock()
        self._attempt: ConnectAttempt | None = None
        self._cancelled = False
        #: The link to show and copy; set before ``waiting`` is emitted.
        self.shareable_url = ""

    def cancel(self) -> None:
        """Stop the attempt from any thread; the port closes within a moment."""
        with self._lock:
            self._cancelled = True
            if self._attempt is not None:
                self._attempt.cancel()

    def run(self) -> None:
        attempt: ConnectAttempt | None = None
        try:
            attempt = self._service.begin_connect(
                self._provider_name,
                scopes=self._scopes,
                deadline_seconds=self._deadline,
                account_id=self._same_as,
            )
            with self._lock:
                self._attempt = attempt
                if self._cancelled:
                    attempt.cancel()
            self.shareable_url = attempt.shareable_url
            self.waiting.emit(attempt.url)
            params = attempt.wait_for_redirect()
            self.redirected.emit()
            result = attempt.complete(params)
            preview = self._service.account_view(result)
            if self._same_as is not None and preview.record.id != self._same_as:
                # Someone else signed in: nothing is shown or stored as that account.
                self._service.save_connection(result, same_as=self._same_as)
            # Show it now; the keyring takes longer (D-Bus) and reports when done.
            self.completed.emit(preview)
            view = self._service.save_connection(result)
        except FlowCancelledError:
            self.failed.emit("Connection cancelled.", FailureKind.CANCELLED)
        except FlowTimeoutError as exc:
            self.failed.emit(str(exc), FailureKind.TIMEOUT)
        except AuthorizationDeniedError as exc:
            self.failed.emit(str(exc), denied_kind(exc))
        except DifferentPersonError as exc:
            self.differentPerson.emit(str(exc), exc.result)
        except Exception as exc:  # the thread boundary
            self.failed.emit(describe(exc), FailureKind.ERROR)
        else:
            self.succeeded.emit(view)
        finally:
            if attempt is not None:
                attempt.close()
