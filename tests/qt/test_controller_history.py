"""The controller hands the window the shown account's history: when the account is
selected, and again with every new config (after each operation), off the GUI thread."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from desktop_oauth.core import history
from desktop_oauth.core.config import Config
from desktop_oauth.core.history import AccountHistory, HistoryKind
from desktop_oauth.qt.controller import Controller

from .test_controller import T0, FakeAccountService, account, controller, service

__all__ = ["controller", "service"]


def test_the_shown_accounts_history_comes_on_selection_and_after_each_change(
    qtbot: QtBot, controller: Controller, service: FakeAccountService
) -> None:
    service.config = Config(accounts=(account("a1"), account("a2"))).with_event(
        "a1", history.connected(T0, ("openid",))
    )
    controller.preferred_account = "a1"
    with qtbot.waitSignal(controller.historyShown, timeout=5_000) as shown:
        controller.start()
    first = shown.args[0]
    assert isinstance(first, AccountHistory) and first.account_id == "a1"
    assert [e.kind for e in first.entries] == [HistoryKind.CONNECTED]

    with qtbot.waitSignal(controller.historyShown, timeout=5_000) as shown:
        controller.select_account("a2")
    assert shown.args[0] == AccountHistory("a2")  # nothing recorded yet

    with qtbot.waitSignal(controller.historyShown, timeout=5_000) as shown:
        controller.select_account("a1")
    service.config = service.config.with_event("a1", history.refreshed(T0 + 1))
    with qtbot.waitSignal(controller.historyShown, timeout=5_000) as shown:
        controller.reload()
    assert [e.kind for e in shown.args[0].entries] == [
        HistoryKind.CONNECTED,
        HistoryKind.REFRESHED,
    ]
