"""The refresh scheduler: refresh at 80% of the lifetime, one refresh at a time,
and lifetimes longer than a Qt timer can count.

Time is a clock the tests move and timers they fire, so that no assertion
depends on how busy the machine is; one test runs the real QTimer."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

from desktop_oauth.core.config import AccountRecord
from desktop_oauth.qt.refresh_scheduler import MAX_TIMER_MS, RefreshScheduler

T0 = 1_000_000.0


class Clock:
    """Epoch seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


class FakeTimer:
    """A single-shot timer that fires when the test calls :meth:`fire`."""

    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback = callback
        self.started: list[int] = []  # each start's milliseconds
        self.active = False
        self.deleted = False

    def start(self, msec: int, /) -> None:
        self.started.append(msec)
        self.active = True

    def stop(self) -> None:
        self.active = False

    def deleteLater(self) -> None:
        self.deleted = True

    def fire(self) -> None:
        assert self.active, "fired a timer that is not running"
        self.active = False
        self.callback()


class Timers:
    """The scheduler's timer factory: keeps every timer it made."""

    def __init__(self) -> None:
        self.made: list[FakeTimer] = []

    def __call__(self, parent: QObject, callback: Callable[[], None]) -> FakeTimer:
        timer = FakeTimer(callback)
        self.made.append(timer)
        return timer

    def only(self) -> FakeTimer:
        assert len(self.made) == 1
        return self.made[0]


@pytest.fixture
def owner(qtbot: QtBot) -> Iterator[QObject]:
    """The schedulers' parent, deleted by Qt at the end of each test. A scheduler
    left to Python's collector (its timers' callbacks make a cycle) would be
    destroyed through a deferred delete that crashes PySide6."""
    parent = QObject()
    yield parent
    parent.deleteLater()
    qtbot.wait(10)


def record(lifetime: float, *, obtained: float = T0) -> AccountRecord:
    return AccountRecord(
        id="a1",
        provider="p",
        issuer="https://id.example.test",
        subject="s",
        display_name="s",
        expires_at=obtained + lifetime,
        has_refresh_token=True,
        connected_at=obtained,
        refreshed_at=obtained,
    )


def fake_scheduler(
    owner: QObject, calls: list[str], **kwargs: int
) -> tuple[RefreshScheduler, Clock, Timers]:
    clock, timers = Clock(), Timers()
    scheduler = RefreshScheduler(calls.append, owner, clock=clock, timer_factory=timers, **kwargs)
    return scheduler, clock, timers


def test_a_refresh_comes_at_80_percent_of_the_lifetime(owner: QObject) -> None:
    calls: list[str] = []
    scheduler, clock, timers = fake_scheduler(owner, calls)
    scheduler.plan([record(100.0)])
    timer = timers.only()
    assert timer.started == [80_000]
    clock.now = T0 + 79.0  # a timer that fires a second early is a step, not the refresh
    timer.fire()
    assert calls == []
    assert timer.started[-1] == 1_000
    clock.now = T0 + 80.0
    timer.fire()
    assert calls == ["a1"]
    assert scheduler.running("a1")


def test_a_lifetime_of_months_is_waited_for_in_steps(owner: QObject) -> None:
    # QTimer counts in signed 32-bit milliseconds: 0.8 x 90 days does not fit.
    calls: list[str] = []
    scheduler, clock, timers = fake_scheduler(owner, calls)
    scheduler.plan([record(90 * 86400.0)])
    assert scheduler.due("a1") == T0 + 72 * 86400
    timer = timers.only()
    for day in range(1, 72):
        assert timer.started[-1] == MAX_TIMER_MS
        clock.now = T0 + day * 86400
        timer.fire()
        assert calls == [], day  # woken up, refreshed not yet
    clock.now = T0 + 72 * 86400
    timer.fire()
    assert calls == ["a1"]
    assert len(timer.started) == 72


def test_the_real_qtimer_fires_the_refresh(qtbot: QtBot, owner: QObject) -> None:
    """The default timer factory: a QTimer in the event loop (no timing asserted)."""
    calls: list[str] = []
    scheduler = RefreshScheduler(calls.append, owner, max_wait_ms=50)
    scheduler.plan([record(10.0, obtained=0.0)])  # due in 1970: at once
    qtbot.waitUntil(lambda: calls == ["a1"], timeout=2_000)
    assert scheduler.running("a1")


def test_a_reload_while_a_refresh_runs_starts_no_second_one(owner: QObject) -> None:
    calls: list[str] = []
    scheduler, _clock, timers = fake_scheduler(owner, calls)
    expired = record(10.0, obtained=T0 - 20)  # due long ago: at once
    scheduler.plan([expired])
    timer = timers.only()
    assert timer.started == [0]
    timer.fire()
    assert calls == ["a1"]
    assert scheduler.running("a1")
    scheduler.plan([expired])  # the settings were read again meanwhile
    assert timer.started == [0] and not timer.active  # nothing new scheduled
    assert calls == ["a1"]

    # Its outcome reschedules it: the new expiry, 80% on.
    scheduler.succeeded("a1")
    fresh = record(3600.0)
    scheduler.plan([fresh])
    assert not scheduler.running("a1")
    assert scheduler.due("a1") == T0 + 2880
    assert timer.started[-1] == 2_880_000 and timer.active


def test_a_failed_refresh_is_retried_with_backoff(owner: QObject) -> None:
    calls: list[str] = []
    scheduler, _clock, timers = fake_scheduler(owner, calls)
    scheduler.failed("a1", "offline")
    assert scheduler.due("a1") == T0 + 15
    scheduler.failed("a1", "offline")
    assert scheduler.due("a1") == T0 + 30
    scheduler.plan([record(3600.0)])  # the retry stays as it is
    assert scheduler.due("a1") == T0 + 30
    scheduler.succeeded("a1")
    scheduler.plan([record(3600.0)])
    assert scheduler.due("a1") == T0 + 2880
    scheduler.stop()
    assert timers.only().deleted and not timers.only().active
