"""Running blocking core calls off the GUI thread, with results back as signals."""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from ..core.errors import DesktopOAuthError

log = logging.getLogger(__name__)


def describe(exc: BaseException) -> str:
    """A message a person can read. Core errors carry one; anything else is
    reported by type only, since its text may quote a secret."""
    if isinstance(exc, DesktopOAuthError):
        return str(exc)
    return f"Something unexpected went wrong ({type(exc).__name__}). Please try again."


class TaskRunner(QObject):
    """Runs blocking calls on daemon threads and delivers each result in the GUI thread.

    One long-lived relay object carries every result: worker threads never
    emit on an object that the GUI thread might delete meanwhile. Daemon
    threads never hold up quitting: a network call may take up to its read
    timeout, and the window must close at once.
    """

    #: (task id, succeeded, result or readable message), queued to the GUI thread.
    _done = Signal(int, bool, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._callbacks: dict[int, tuple[Callable[[Any], None], Callable[[str], None]]] = {}
        self._done.connect(self._deliver)

    def run(
        self,
        work: Callable[[], Any],
        on_success: Callable[[Any], None],
        on_failure: Callable[[str], None],
    ) -> None:
        """Call ``work()`` on a new daemon thread; then one of the callbacks, in this thread."""
        task_id = next(self._ids)
        self._callbacks[task_id] = (on_success, on_failure)
        threading.Thread(
            target=self._call, args=(task_id, work), name="desktop-oauth-task", daemon=True
        ).start()

    @property
    def pending(self) -> int:
        """How many calls have not reported back yet."""
        return len(self._callbacks)

    def _call(self, task_id: int, work: Callable[[], Any]) -> None:
        try:
            result = work()
        except Exception as exc:  # the thread boundary: every failure becomes a message
            if not isinstance(exc, DesktopOAuthError):
                log.error("Background task failed: %s", type(exc).__name__)
            self._done.emit(task_id, False, describe(exc))
        else:
            self._done.emit(task_id, True, result)

    @Slot(int, bool, object)
    def _deliver(self, task_id: int, ok: bool, payload: Any) -> None:
        on_success, on_failure = self._callbacks.pop(task_id)
        if ok:
            on_success(payload)
        else:
            on_failure(str(payload))
