"""The Qt binding in use must not leak references to None.

PySide6 6.12.0 releases a reference to None on every call that returns
nothing. Python 3.11's None is not immortal, so a long-running window
crashes with "deallocating None" after some hundred thousand calls.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication


def test_void_calls_keep_none_alive(qapp: QApplication) -> None:
    probe = QObject(qapp)  # Qt owns it; see tests/qt/test_refresh_scheduler.py
    before = sys.getrefcount(None)
    for _ in range(2000):
        probe.setObjectName("probe")
        qapp.processEvents()
    assert sys.getrefcount(None) - before > -100
