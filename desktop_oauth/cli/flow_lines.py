"""``-v``: each step of an operation on stderr as it happens, redacted and escaped.

One line when a step ends (its words, state, duration, and what failed), then
one indented line per HTTP exchange it made, ``POST http://127.0.0.1:…/token →
200 (12 ms)``. Steps that wait on the person (the browser, the device code) get
a line when they start too. The records are redacted at the source
(core/redaction.py); every line still passes the console's sanitizer, since
URLs and error codes come from the provider.
"""

from __future__ import annotations

import threading

from ..core.flow_log import OperationRecord, Step, StepState
from ..core.flow_text import exchange_line, failure_summary, step_line
from .console import Console

#: Steps that wait for the person: announced when they start.
_WAITING_ON_YOU = (Step.AUTHORIZE, Step.DEVICE_POLL)


class FlowPrinter:
    """A :class:`~desktop_oauth.core.flow_log.FlowLog` listener writing ``-v`` lines."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._lock = threading.Lock()
        self._started: set[int] = set()
        self._shown: dict[tuple[int, int], StepState] = {}
        self._ended: set[int] = set()

    def __call__(self, record: OperationRecord) -> None:
        with self._lock:
            lines = self._new_lines(record)
        for line in lines:
            self._console.info(line)

    def _new_lines(self, record: OperationRecord) -> list[str]:
        lines = []
        if record.id not in self._started:
            self._started.add(record.id)
            lines.append(f"flow: {record.operation.value} at {record.provider}")
        for index, step in enumerate(record.steps):
            key = (record.id, index)
            shown = self._shown.get(key)
            if step.state is StepState.WAITING:
                if shown is None and step.step in _WAITING_ON_YOU:
                    self._shown[key] = StepState.WAITING
                    lines.append(f"flow: {step_line(step)}")
                continue
            if shown is StepState.WAITING or shown is None:
                self._shown[key] = step.state
                lines.append(f"flow: {step_line(step)}")
                lines.extend(f"  {exchange_line(e)}" for e in step.exchanges)
                if step.dropped_exchanges:
                    lines.append(f"  ({step.dropped_exchanges} earlier exchanges not kept)")
        if record.finished and record.id not in self._ended:
            self._ended.add(record.id)
            summary = failure_summary(record)
            lines.append(f"flow: {summary}" if summary else "flow: finished")
        return lines
