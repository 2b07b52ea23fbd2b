"""The controller's flow log: snapshots recorded on a worker thread reach the GUI
thread as signals, in order, and a failed operation is named in the status line."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread
from pytestqt.qtbot import QtBot

from desktop_oauth.core.errors import TokenError
from desktop_oauth.core.flow_log import HttpExchange, Operation, OperationRecord, Step
from desktop_oauth.qt.connect_thread import FailureKind
from desktop_oauth.qt.controller import Controller


def unused_factory(log: object) -> object:
    raise AssertionError("the service is not wanted here")


def test_worker_snapshots_arrive_on_the_gui_thread_in_order(qtbot: QtBot) -> None:
    controller = Controller(unused_factory)  # type: ignore[arg-type]
    seen: list[tuple[bool, int, bool]] = []
    gui = QThread.currentThread()

    def heard(record: OperationRecord) -> None:
        seen.append((QThread.currentThread() is gui, len(record.steps), record.finished))

    controller.operationChanged.connect(heard)

    def work() -> None:
        with controller.flow_log.operation(Operation.REFRESH, provider="p", account_id="a") as op:
            with op.step(Step.REFRESH):
                op.add_exchange(HttpExchange("outgoing", "POST", "https://p.test/token", 200))

    worker = threading.Thread(target=work)
    with qtbot.waitSignal(
        controller.operationChanged, timeout=5000, check_params_cb=lambda r: r.finished
    ):
        worker.start()
        worker.join()
    assert all(on_gui for on_gui, _, _ in seen)
    assert [steps for _, steps, _ in seen] == sorted(steps for _, steps, _ in seen)
    assert seen[-1] == (True, 1, True)
    assert controller.operations("a")[-1].steps[0].exchanges[0].status == 200
    controller.deleteLater()


def test_a_failed_operation_is_named_in_the_status_line(qtbot: QtBot) -> None:
    controller = Controller(unused_factory)  # type: ignore[arg-type]
    failed: list[OperationRecord] = []
    controller.operationFailed.connect(failed.append)

    def work() -> None:
        try:
            with controller.flow_log.operation(
                Operation.REFRESH, provider="p", account_id="a"
            ) as op:
                with op.step(Step.REFRESH):
                    raise TokenError("The provider refused.", error="invalid_grant")
        except TokenError:
            pass

    worker = threading.Thread(target=work)
    with qtbot.waitSignal(controller.operationFailed, timeout=5000):
        worker.start()
        worker.join()
    assert failed[0].failed_step is Step.REFRESH
    with qtbot.waitSignal(controller.status_message, timeout=1000) as said:
        controller._on_connect_failed("The provider refused.", FailureKind.TIMEOUT)
    assert said.args == [
        "The token refresh failed: the provider answered invalid_grant. The provider refused."
    ]
    controller.deleteLater()
