"""Keeping connections alive: each account's access token is refreshed at about 80%
of its lifetime, while the window is open, idle or not."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, Qt, QTimer

if TYPE_CHECKING:
    from ..core.config import AccountRecord

#: Refresh when this share of the access token's lifetime has passed.
REFRESH_AT = 0.8
#: Retries after a failed refresh (network down, provider busy) wait this long,
#: doubling each time up to MAX_BACKOFF.
FIRST_BACKOFF, MAX_BACKOFF = 15.0, 600.0
#: QTimer counts in signed 32-bit milliseconds (about 24.8 days), and a token may
#: live for months: a longer wait is made of several, each at most this long.
MAX_TIMER_MS = 24 * 3600 * 1000


class Timer(Protocol):
    """What the scheduler needs of a single-shot timer (QTimer has it)."""

    def start(self, msec: int, /) -> None: ...
    def stop(self) -> None: ...
    def deleteLater(self) -> None: ...


def qt_timer(parent: QObject, callback: Callable[[], None]) -> Timer:
    """A single-shot precise QTimer that calls ``callback``: the default timer."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    # A coarse timer may fire 5% early, which _fire would take for a step.
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(callback)
    return timer


class RefreshScheduler(QObject):
    """One single-shot timer per connected account that holds a refresh token.

    The refresh itself runs off the GUI thread (``refresh`` only starts it);
    its outcome comes back through :meth:`succeeded` and then :meth:`plan` (the
    new expiry), or :meth:`failed` (retry later with backoff). Until then the
    account is not scheduled again, so a reload of the settings while the
    refresh runs never starts a second one.

    Args:
        clock: Epoch seconds now (tests pass their own and move it).
        timer_factory: Makes each account's timer (tests pass timers they fire).
        max_wait_ms: The longest single timer; a later refresh is reached in steps.
    """

    def __init__(
        self,
        refresh: Callable[[str], None],
        parent: QObject | None = None,
        *,
        clock: Callable[[], float] = time.time,
        timer_factory: Callable[[QObject, Callable[[], None]], Timer] = qt_timer,
        max_wait_ms: int = MAX_TIMER_MS,
    ) -> None:
        super().__init__(parent)
        self._refresh = refresh
        self._clock = clock
        self._timer_factory = timer_factory
        self._max_wait_ms = max_wait_ms
        self._timers: dict[str, Timer] = {}
        self._due: dict[str, float] = {}
        self._failures: dict[str, int] = {}
        self._running: set[str] = set()

    def plan(self, accounts: Sequence[AccountRecord]) -> None:
        """Schedule every connected account's next refresh; drop the others."""
        wanted = {}
        for record in accounts:
            if record.status != "connected" or not record.has_refresh_token:
                continue
            if record.expires_at is None:
                continue
            start = record.refreshed_at or record.connected_at or self._clock()
            wanted[record.id] = start + REFRESH_AT * max(0.0, record.expires_at - start)
        for account_id in list(self._timers):
            if account_id not in wanted:
                self.forget(account_id)
        for account_id, due in wanted.items():
            if account_id in self._running:
                continue  # its outcome reschedules it
            if account_id in self._failures and account_id in self._timers:
                continue  # a retry with backoff is already waiting
            if self._due.get(account_id) != due:
                self._schedule(account_id, due)

    def failed(self, account_id: str, message: str) -> None:
        """The refresh failed for a passing reason: retry later, waiting longer each time."""
        self._running.discard(account_id)
        count = self._failures.get(account_id, 0) + 1
        self._failures[account_id] = count
        wait = min(FIRST_BACKOFF * 2 ** (count - 1), MAX_BACKOFF)
        self._schedule(account_id, self._clock() + wait)

    def succeeded(self, account_id: str) -> None:
        """The refresh worked; the next plan() schedules the one after."""
        self._running.discard(account_id)
        self._failures.pop(account_id, None)

    def forget(self, account_id: str) -> None:
        """Stop refreshing ``account_id`` (revoked, removed, needs sign-in)."""
        timer = self._timers.pop(account_id, None)
        if timer is not None:
            timer.stop()
            timer.deleteLater()
        self._due.pop(account_id, None)
        self._failures.pop(account_id, None)
        self._running.discard(account_id)

    def stop(self) -> None:
        """Stop every timer (the window is closing)."""
        for account_id in list(self._timers):
            self.forget(account_id)

    def due(self, account_id: str) -> float | None:
        """When ``account_id`` is next refreshed (epoch seconds), if it is scheduled."""
        return self._due.get(account_id)

    def _schedule(self, account_id: str, due: float) -> None:
        timer = self._timers.get(account_id)
        if timer is None:
            timer = self._timer_factory(self, lambda: self._fire(account_id))
            self._timers[account_id] = timer
        self._due[account_id] = due
        timer.start(min(int(max(0.0, due - self._clock()) * 1000), self._max_wait_ms))

    def _fire(self, account_id: str) -> None:
        due = self._due.get(account_id)
        if due is not None and due - self._clock() > 0.05:
            self._schedule(account_id, due)  # one step of a long wait
            return
        self._due.pop(account_id, None)
        self._running.add(account_id)
        self._refresh(account_id)

    def running(self, account_id: str) -> bool:
        """Whether a refresh of ``account_id`` has started and not reported back."""
        return account_id in self._running
