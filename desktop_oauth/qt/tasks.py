"""Running blocking core calls off the GUI thread, with results back as signals."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from ..core.errors import DesktopOAuthError

log = logging.getLogger(__name__)


def describe(exc: BaseException) -> str:
    """A message a person can read. Core errors carry one; anything else is
    reported by type only, since its text may quote a secret."""
    if isinstance(exc, DesktopOAuthError):
        return str(exc)
    return f"Something unexpected went wrong ({type(exc).__name__}). Please try again."


class Task(QObject):
    """One blocking call on a daemon thread.

    Signals:
        succeeded(object): the call's return value, delivered in the GUI thread.
        failed(str): a readable message when the call raised.

    Daemon threads never hold up quitting: a network call can take up to its
    read timeout, and the window must close at once.
    """

    succeeded = Signal(object)
    failed = Signal(str)

    def __init__(self, work: Callable[[], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._work = work
        self._thread = threading.Thread(target=self._run, name="desktop-oauth-task", daemon=True)

    def start(self) -> None:
        """Start the call."""
        self._thread.start()

    def _run(self) -> None:
        try:
            result = self._work()
        except Exception as exc:  # the thread boundary: every failure becomes a signal
            if not isinstance(exc, DesktopOAuthError):
                log.error("Background task failed: %s", type(exc).__name__)
            self.failed.emit(describe(exc))
        else:
            self.succeeded.emit(result)
