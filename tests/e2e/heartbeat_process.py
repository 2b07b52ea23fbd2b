"""A bare Qt process that measures its own longest event-loop gap, for comparison.

Run beside the app under test, it shows how long this machine keeps *any* process
from running (other processes on 2 cores, the hypervisor). It ticks a 2 ms timer
until its stdin closes, then prints the longest gap in seconds.
"""

from __future__ import annotations

import os
import sys
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QTimer


def main() -> None:
    app = QCoreApplication([])
    longest, last = 0.0, time.perf_counter()

    def tick() -> None:
        nonlocal longest, last
        now = time.perf_counter()
        longest = max(longest, now - last)
        last = now

    timer = QTimer()
    timer.setInterval(2)
    timer.timeout.connect(tick)
    timer.start()
    print("ready", flush=True)
    threading.Thread(target=lambda: (sys.stdin.read(), app.quit()), daemon=True).start()
    app.exec()
    print(f"{longest:.6f}", flush=True)


if __name__ == "__main__":
    main()
