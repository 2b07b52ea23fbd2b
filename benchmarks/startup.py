"""How long until the window first paints, against a bare PySide6 window.

Each variant runs in a fresh process (imports included), offscreen, and quits
at its first paint. Prints the medians, peak memory, and the ratio, which is
what to compare on a shared, noisy machine. The bar: ratio <= 1.3.

    .venv/bin/python benchmarks/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

BARE = r"""
import time, resource, json, sys
from PySide6.QtCore import QObject, QEvent
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication([])
class First(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            app.exit(0)
        return False
w = QWidget(); f = First(); w.installEventFilter(f); w.resize(1100, 720); w.show()
app.exec()
print(json.dumps({"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

APP = r"""
import time, resource, json, sys
from PySide6.QtCore import QObject, QEvent
from desktop_oauth.app import build_window
app, window = build_window([])
class First(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            app.exit(0)
        return False
f = First(); window.installEventFilter(f)
app.exec()
print(json.dumps({"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(code: str, env: dict[str, str]) -> tuple[float, float]:
    started = time.perf_counter()
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    elapsed = time.perf_counter() - started
    return elapsed, json.loads(out.strip().splitlines()[-1])["rss_mb"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="desktop-oauth-bench-")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DESKTOP_OAUTH_HOME=home)
    results: dict[str, list[tuple[float, float]]] = {"bare": [], "app": []}
    for _ in range(args.runs):  # interleaved, so both see the same machine noise
        results["bare"].append(run(BARE, env))
        results["app"].append(run(APP, env))
    medians = {}
    for name, samples in results.items():
        medians[name] = statistics.median(s[0] for s in samples)
        rss = max(s[1] for s in samples)
        print(
            f"{name:5s} first paint: median {medians[name] * 1000:6.1f} ms  "
            f"(min {min(s[0] for s in samples) * 1000:.1f}), peak RSS {rss:.1f} MB"
        )
    print(f"ratio app / bare: {medians['app'] / medians['bare']:.2f}  (bar: 1.30)")


if __name__ == "__main__":
    main()
