"""The QThread that runs one sign-in with a code (RFC 8628 device grant)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThread, Signal

from ..core.errors import AuthorizationDeniedError, FlowCancelledError, FlowTimeoutError
from .connect_thread import FailureKind, denied_kind
from .tasks import describe

if TYPE_CHECKING:
    from ..core.accounts import AccountService


class DeviceThread(QThread):
    """Asks for a user code, polls until the person approves, then stores the account.

    Signals (queued to the GUI thread):
        codeReady(object): a :class:`~desktop_oauth.core.device.DeviceAuthorization`
            to show (user code, verification URL, expiry).
        succeeded(object): an :class:`~desktop_oauth.core.accounts.AccountView`.
        failed(str, object): a readable message and its
            :class:`~desktop_oauth.qt.connect_thread.FailureKind`.
    """

    codeReady = Signal(object)
    succeeded = Signal(object)
    failed = Signal(str, object)

    def __init__(
        self, service: AccountService, provider_name: str, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._provider_name = provider_name
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        """Stop polling; safe from any thread."""
        self._cancelled.set()

    def run(self) -> None:
        from ..core.connect import identify
        from ..core.device import checked_claims, poll_for_tokens, start_device_authorization
        from ..core.flow_log import Operation

        service = self._service
        try:
            # The steps land in the service's flow log; saving ties them to the account.
            with service.flow_log.operation(Operation.DEVICE, provider=self._provider_name):
                provider = service.resolve_provider(self._provider_name)
                authorization = start_device_authorization(service.session, provider)
                self.codeReady.emit(authorization)
                secret = (
                    service.client_secret(provider.name) if provider.has_client_secret else None
                )
                tokens = poll_for_tokens(
                    service.session,
                    provider,
                    authorization,
                    cancelled=self._cancelled,
                    client_secret=secret,
                )
                claims = checked_claims(service.session, provider, tokens)
                result = identify(service.session, provider, tokens, claims, provider.scopes)
                view = service.save_connection(result)
        except FlowCancelledError:
            self.failed.emit("Sign-in with a code cancelled.", FailureKind.CANCELLED)
        except FlowTimeoutError as exc:
            self.failed.emit(str(exc), FailureKind.TIMEOUT)
        except AuthorizationDeniedError as exc:
            self.failed.emit(str(exc), denied_kind(exc))
        except Exception as exc:  # the thread boundary
            self.failed.emit(describe(exc), FailureKind.ERROR)
        else:
            self.succeeded.emit(view)
