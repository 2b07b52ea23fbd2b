"""The flow log's snapshots, brought to the GUI thread as a signal."""

from __future__ import annotations

import contextlib

from PySide6.QtCore import QObject, Signal

from ..core.flow_log import FlowLog, OperationRecord


class FlowRelay(QObject):
    """Re-emits every :class:`OperationRecord` snapshot of ``log`` as
    :attr:`operationChanged`, delivered in the thread this object lives in.

    The log calls its listeners on the thread that records (a worker, or the
    loopback receiver's); a signal emitted there to an object of the GUI thread
    is queued (Qt's automatic connection), so slots run on the GUI thread, in
    the order the snapshots were made.
    """

    operationChanged = Signal(object)

    def __init__(self, log: FlowLog, parent: QObject | None = None) -> None:
        super().__init__(parent)
        log.subscribe(self._heard)

    def _heard(self, record: OperationRecord) -> None:
        # Once the window has closed (RuntimeError: the object is gone) nobody
        # listens, and the worker's operation must not fail for it.
        with contextlib.suppress(RuntimeError):
            self.operationChanged.emit(record)
