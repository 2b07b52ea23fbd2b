"""Spawn to first painted frame, and settled memory, against a bare PySide6 window.

Each variant runs in a fresh process (imports included), offscreen. The child
writes one line to stdout right after its window's first paint pass has
finished; the parent times from spawn to reading that line. The child then lets
the window run for ``--settle`` seconds (the worker loads the accounts, timers
fire) and reports its resident memory: the current RSS and the peak (VmHWM).
The app's child also reports its accounts panel's first paint (the whole
window: the panels are built after the first frame), and both report the CPU
time they had used at the first paint, which the machine's load moves less.

The app's child runs what the desktop file launches (``desktop-oauth`` with no
arguments: logging, the single-instance check, then the window), with watchers
added to the window it builds. The baseline is a bare PySide6 window of the
same size that paints a label with text. Runs are interleaved so both see the
same machine noise; the ratio of the medians is what to compare. Bars
(docs/performance.md): time ratio <= 1.3, peak RSS <= bare + 40 MB.

    bash scripts/test --run .venv/bin/python benchmarks/startup.py [--runs 15]

Compile first (``python -m compileall -q desktop_oauth``) and keep
PYTHONDONTWRITEBYTECODE unset, so neither variant pays for compiling.
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

# Shared by both children: report the first paint once the paint pass is done
# (a zero timer runs after the whole backing-store sync), then settle, then
# report memory from /proc.
_REPORT = r"""
import json, sys, time
from PySide6.QtCore import QEvent, QObject, QTimer

def _memory():
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
    return {"rss_mb": fields["VmRSS"], "peak_mb": fields["VmHWM"]}

class _FirstPaint(QObject):
    def __init__(self, app, settle):
        super().__init__()
        self._app, self._settle, self._seen = app, settle, False
    def eventFilter(self, obj, event):
        if not self._seen and event.type() == QEvent.Type.Paint:
            self._seen = True
            QTimer.singleShot(0, self._painted)
        return False
    def _painted(self):
        # CPU time of the whole process so far (all threads, start-up included)
        sys.stdout.write(f"painted {time.process_time()}\n"); sys.stdout.flush()
        QTimer.singleShot(int(self._settle * 1000), self._done)
    def _done(self):
        sys.stdout.write(json.dumps(_memory()) + "\n"); sys.stdout.flush()
        self._app.exit(0)
"""

BARE = (
    r"""
import os
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow
app = QApplication([])
"""
    + _REPORT
    + r"""
w = QMainWindow(); w.setWindowTitle("bare"); w.resize(1100, 720)
w.setCentralWidget(QLabel("Provider: choose one and connect"))
f = _FirstPaint(app, float(os.environ["BENCH_SETTLE"])); w.installEventFilter(f)
w.show()
app.exec()
"""
)

# The app's watchers: the first paint (from _REPORT) and the accounts panel's.
_APP_WATCHERS = (
    _REPORT
    + r"""
class _Complete(QObject):
    # The whole window: the first paint of the accounts panel, built after the
    # shell's first frame. Only the panel (or the area it arrives in) is watched,
    # so that neither figure pays for watching.
    def __init__(self, window):
        super().__init__()
        self.window = window
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.ChildAdded and obj is not self.window:
            self.watch()
        elif event.type() == QEvent.Type.Paint and obj is getattr(self.window, "accountsPanel", 0):
            obj.removeEventFilter(self)
            QTimer.singleShot(0, self._complete)
        return False
    def watch(self):
        panel = getattr(self.window, "accountsPanel", None)
        area = getattr(self.window, "panelArea", None)
        if panel is not None:
            if area is not None:
                area.removeEventFilter(self)
            panel.installEventFilter(self)
        else:
            area.installEventFilter(self)
    def _complete(self):
        sys.stdout.write("complete\n"); sys.stdout.flush()
"""
)

# What the desktop file's ``Exec=desktop-oauth`` runs: the entry point with no
# arguments (logging, the single-instance check, then the window). The watchers
# are defined once that entry point has built its window (so PySide6 loads where
# the app loads it) and added before its event loop runs.
APP = f"""
import os, sys
import desktop_oauth.app as _app_module
_build_window = _app_module.build_window
_WATCHERS = {_APP_WATCHERS!r}
_kept = []
def _watched_build_window(*args, **kwargs):
    app, window = _build_window(*args, **kwargs)
    exec(_WATCHERS, globals())
    complete = _Complete(window)
    complete.watch()
    first = _FirstPaint(app, float(os.environ["BENCH_SETTLE"]))
    window.installEventFilter(first)
    _kept.extend((complete, first))
    return app, window
_app_module.build_window = _watched_build_window
from desktop_oauth.__main__ import main
sys.exit(main([]))
"""


def run(code: str, env: dict[str, str]) -> tuple[float, float, float, float, float]:
    """Seconds from spawn to the first paint; settled RSS and peak RSS in MB;
    seconds from spawn to the whole window painted (the first paint for *bare*);
    CPU seconds the child used up to its first paint."""
    started = time.perf_counter()
    child = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", code],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    painted = time.perf_counter() - started
    word, _, cpu = line.partition(" ")
    if word != "painted":
        child.kill()
        raise SystemExit(f"child did not paint: {line!r}")
    complete = painted
    line = child.stdout.readline()
    if line.strip() == "complete":
        complete = time.perf_counter() - started
        line = child.stdout.readline()
    memory = json.loads(line)
    child.wait(timeout=30)
    return painted, memory["rss_mb"], memory["peak_mb"], complete, float(cpu)


def _row(name: str, values: list[float], unit: str, scale: float = 1.0) -> str:
    shown = [v * scale for v in values]
    return (
        f"{name:5s} {unit:14s} median {statistics.median(shown):7.1f}  "
        f"min {min(shown):7.1f}  max {max(shown):7.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--settle", type=float, default=2.0, help="seconds after first paint")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="desktop-oauth-bench-")
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        DESKTOP_OAUTH_HOME=home,
        BENCH_SETTLE=str(args.settle),
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "desktop_oauth"], check=False, env=env
    )
    samples: dict[str, list[tuple[float, float, float, float, float]]] = {"bare": [], "app": []}
    run(BARE, env)  # warm the page cache for both before counting
    run(APP, env)
    for _ in range(args.runs):  # interleaved, so both see the same machine noise
        samples["bare"].append(run(BARE, env))
        samples["app"].append(run(APP, env))
    print(f"{args.runs} interleaved runs, offscreen, settle {args.settle:g} s")
    for name, rows in samples.items():
        print(_row(name, [r[0] for r in rows], "first paint ms", 1000))
        print(_row(name, [r[1] for r in rows], "settled RSS MB"))
        print(_row(name, [r[2] for r in rows], "peak RSS MB"))
        print(_row(name, [r[4] for r in rows], "CPU to paint ms", 1000))
    print(_row("app", [r[3] for r in samples["app"]], "panels painted", 1000))
    ratio = statistics.median(r[0] for r in samples["app"]) / statistics.median(
        r[0] for r in samples["bare"]
    )
    extra = statistics.median(r[2] for r in samples["app"]) - statistics.median(
        r[2] for r in samples["bare"]
    )
    whole = statistics.median(r[3] for r in samples["app"]) / statistics.median(
        r[0] for r in samples["bare"]
    )
    pairs = [a[0] / b[0] for a, b in zip(samples["app"], samples["bare"], strict=True)]
    print(f"first paint ratio app / bare: {ratio:.2f}  (bar: <= 1.30)")
    print(
        f"first paint ratio run by run (each app run / the bare run before it): median "
        f"{statistics.median(pairs):.2f} (min {min(pairs):.2f}, max {max(pairs):.2f})"
    )
    cpu = statistics.median(r[4] for r in samples["app"]) / statistics.median(
        r[4] for r in samples["bare"]
    )
    print(f"CPU time to first paint ratio app / bare: {cpu:.2f}  (less sensitive to load)")
    print(f"panels painted ratio app / bare first paint: {whole:.2f}  (no bar)")
    print(f"peak RSS app - bare: {extra:+.1f} MB  (bar: <= +40 MB)")


if __name__ == "__main__":
    main()
