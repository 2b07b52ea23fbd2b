"""Python's cyclic garbage collection, run in the GUI thread only.

The collector normally runs in whichever thread happens to allocate. A window,
controller or timer caught in a reference cycle (a lambda connected to one of
its own signals is enough) can then be destroyed on a worker thread while the
GUI thread is delivering its events, and Qt crashes. Automatic collection is
switched off and done here, from a timer in the GUI thread, with the same
thresholds Python would use.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

#: How often to look at the allocation counts.
INTERVAL_MS = 500


class MainThreadCollector(QObject):
    """Switches automatic collection off and collects from a GUI-thread timer."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    def check(self) -> None:
        """Collect the generations whose allocation counts passed their threshold."""
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self._thresholds[generation]:
                gc.collect(generation)
                break
