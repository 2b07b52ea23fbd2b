"""The refresh scheduler: refresh at 80% of the lifetime, one refresh at a time,
and lifetimes longer than a Qt timer can count."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

from desktop_oauth.core.config import AccountRecord
from desktop_oauth.qt.refresh_scheduler import RefreshScheduler


@pytest.fixture
def owner(qtbot: QtBot) -> Iterator[QObject]:
    """The schedulers' parent, deleted by Qt at the end of each test. A scheduler
    left to Python's collector (its timers' callbacks make a cycle) would be
    destroyed through a deferred delete that crashes PySide6."""
    parent = QObject()
    yield parent
    parent.deleteLater()
    qtbot.wait(10)


def record(lifetime: float, *, obtained: float | None = None) -> AccountRecord:
    start = time.time() if obtained is None else obtained
    return AccountRecord(
        id="a1",
        provider="p",
        issuer="https://id.example.test",
        subject="s",
        display_name="s",
        expires_at=start + lifetime,
        has_refresh_token=True,
        connected_at=start,
        refreshed_at=start,
    )


def test_a_refresh_comes_at_80_percent_of_the_lifetime(qtbot: QtBot, owner: QObject) -> None:
    calls: list[float] = []
    scheduler = RefreshScheduler(lambda a: calls.append(time.monotonic()), owner)
    started = time.monotonic()
    scheduler.plan([record(0.5)])
    qtbot.waitUntil(lambda: bool(calls), timeout=2_000)
    assert 0.3 <= calls[0] - started < 0.9


def test_a_lifetime_of_months_is_waited_for_in_steps(qtbot: QtBot, owner: QObject) -> None:
    # QTimer counts in signed 32-bit milliseconds: 0.8 x 90 days does not fit.
    calls: list[str] = []
    scheduler = RefreshScheduler(calls.append, owner)
    long = record(90 * 86400.0)
    scheduler.plan([long])
    due = scheduler.due("a1")
    assert due is not None and abs(due - (long.refreshed_at + 72 * 86400)) < 1

    # The same with steps short enough to watch: no refresh before it is due.
    calls.clear()
    stepping = RefreshScheduler(calls.append, owner, max_wait_ms=50)
    stepping.plan([record(1.0)])
    qtbot.wait(400)
    assert calls == []  # woken up several times, refreshed not yet
    qtbot.waitUntil(lambda: calls == ["a1"], timeout=2_000)


def test_a_reload_while_a_refresh_runs_starts_no_second_one(qtbot: QtBot, owner: QObject) -> None:
    calls: list[str] = []
    scheduler = RefreshScheduler(calls.append, owner)
    expired = record(10.0, obtained=time.time() - 20)  # due long ago: at once
    scheduler.plan([expired])
    qtbot.waitUntil(lambda: calls == ["a1"], timeout=1_000)
    assert scheduler.running("a1")
    scheduler.plan([expired])  # the settings were read again meanwhile
    qtbot.wait(200)
    assert calls == ["a1"]

    # Its outcome reschedules it: the new expiry, 80% on.
    scheduler.succeeded("a1")
    fresh = record(3600.0)
    scheduler.plan([fresh])
    assert not scheduler.running("a1")
    due = scheduler.due("a1")
    assert due is not None and abs(due - (fresh.refreshed_at + 2880)) < 1


def test_a_failed_refresh_is_retried_with_backoff(qtbot: QtBot, owner: QObject) -> None:
    calls: list[str] = []
    now = [1_000_000.0]
    scheduler = RefreshScheduler(calls.append, owner, clock=lambda: now[0])
    scheduler.failed("a1", "offline")
    assert scheduler.due("a1") == now[0] + 15
    scheduler.failed("a1", "offline")
    assert scheduler.due("a1") == now[0] + 30
    scheduler.plan([record(3600.0, obtained=now[0])])  # the retry stays as it is
    assert scheduler.due("a1") == now[0] + 30
    scheduler.succeeded("a1")
    scheduler.plan([record(3600.0, obtained=now[0])])
    assert scheduler.due("a1") == now[0] + 2880
    scheduler.stop()
