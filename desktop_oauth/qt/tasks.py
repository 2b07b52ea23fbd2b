"""Running blocking core calls off the GUI thread, with results back as signals."""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from ..core.errors import DesktopOAuthError

log = logging.getLogger(__name__)

Callbacks = tuple[Callable[[Any], None], Callable[[str], None]]

#: The result type of one background call, from ``work`` to ``on_success``.
T = TypeVar("T")


def describe(exc: BaseException) -> str:
    """A message a person can read. Core errors carry one; anything else is
    reported by type only, since its text may quote a secret."""
    if isinstance(exc, DesktopOAuthError):
        return str(exc)
    return f"Something unexpected went wrong ({type(exc).__name__}). Please try again."


class _Relay(QObject):
    """Carries results from worker threads to the GUI thread.

    There is one per application, a child of the application object, so it
    outlives every window and controller: a worker that finishes after its
    window closed emits on an object that still exists, and its result is
    simply dropped.
    """

    done = Signal(int, bool, object)

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.callbacks: dict[int, Callbacks] = {}
        self.lock = threading.Lock()
        self.done.connect(self._deliver)

    @Slot(int, bool, object)
    def _deliver(self, task_id: int, ok: bool, payload: Any) -> None:
        with self.lock:
            callbacks = self.callbacks.pop(task_id, None)
        if callbacks is None:
            return  # its runner was closed (the window went away)
        on_success, on_failure = callbacks
        if ok:
            on_success(payload)
        else:
            on_failure(str(payload))


_relay: _Relay | None = None
_ids = itertools.count(1)


def _the_relay() -> _Relay:
    global _relay
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("A Qt application must exist before background tasks run.")
    if _relay is None or _relay.parent() is not app:
        _relay = _Relay(app)
    return _relay


class TaskRunner:
    """Runs blocking calls on daemon threads and calls back in the GUI thread.

    Daemon threads never hold up quitting: a network call may take up to its
    read timeout, and the window must close at once. :meth:`close` drops the
    callbacks of calls still running, so nothing reaches a closed window.
    """

    def __init__(self) -> None:
        self._relay = _the_relay()
        self._mine: set[int] = set()

    def run(
        self,
        work: Callable[[], T],
        on_success: Callable[[T], None],
        on_failure: Callable[[str], None],
    ) -> None:
        """Call ``work()`` on a new daemon thread; then one of the callbacks, in this thread.

        The relay carries the result as a plain object; ``on_success`` gets what
        ``work`` returned, so the type checker holds the two to one type ``T``."""
        task_id = next(_ids)
        relay = self._relay
        with relay.lock:
            relay.callbacks[task_id] = (
                self._forget(task_id, on_success),
                self._forget(task_id, on_failure),
            )
        self._mine.add(task_id)
        threading.Thread(
            target=_call, args=(relay, task_id, work), name="desktop-oauth-task", daemon=True
        ).start()

    def close(self) -> None:
        """Drop the callbacks of every call still running."""
        with self._relay.lock:
            for task_id in self._mine:
                self._relay.callbacks.pop(task_id, None)
        self._mine.clear()

    def _forget(self, task_id: int, callback: Callable[[T], None]) -> Callable[[Any], None]:
        def call(payload: Any) -> None:
            self._mine.discard(task_id)
            callback(payload)

        return call


def _call(relay: _Relay, task_id: int, work: Callable[[], Any]) -> None:
    try:
        result = work()
    except Exception as exc:  # the thread boundary: every failure becomes a message
        if not isinstance(exc, DesktopOAuthError):
            log.error("Background task failed: %s", type(exc).__name__)
        relay.done.emit(task_id, False, describe(exc))
    else:
        relay.done.emit(task_id, True, result)


_running: set[QThread] = set()


def keep_until_finished(thread: QThread) -> None:
    """Keep a QThread that outlived its window until it ends: destroying a running
    QThread aborts the process. Its results go nowhere."""
    thread.disconnect()  # type: ignore[call-overload]  # all: nothing calls the window
    thread.setParent(None)
    for done in [t for t in _running if t.isFinished()]:
        done.wait()
        _running.discard(done)
    _running.add(thread)
