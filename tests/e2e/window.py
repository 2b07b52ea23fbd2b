"""Driving the real window against a real provider: shared helpers for e2e tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer
from pytestqt.qtbot import QtBot

from desktop_oauth.core import config as config_file
from desktop_oauth.core.accounts import AccountService
from desktop_oauth.core.flow_log import FlowLog
from desktop_oauth.core.profile import Profile
from desktop_oauth.core.provider import ProviderConfig
from desktop_oauth.qt.controller import Controller
from desktop_oauth.sandbox import ensure_running
from desktop_oauth.services import SandboxStarter, open_account_service
from desktop_oauth.ui.main_window import MainWindow

from .conftest import BrowserPlan
from .oidc_provider import OidcProvider

PROVIDER_NAME = "Test OpenID provider"
REPO_ROOT = Path(__file__).resolve().parents[2]


def isolated_profile(home: Path) -> Profile:
    return Profile(home=home, keyring_service=f"desktop-oauth-test:{uuid.uuid4().hex}")


def provider_config(
    op: OidcProvider,
    *,
    redirect_port: int = 0,
    scopes: tuple[str, ...] = ("openid", "profile", "email", "offline_access"),
) -> ProviderConfig:
    return ProviderConfig(
        name=PROVIDER_NAME,
        issuer=op.issuer,
        client_id=op.client_id,
        scopes=scopes,
        redirect_port=redirect_port,
    )


@dataclass
class Running:
    window: MainWindow
    controller: Controller
    profile: Profile
    service: AccountService | None = None


def open_window(
    qtbot: QtBot,
    profile: Profile,
    provider: ProviderConfig,
    *,
    deadline: float = 60.0,
    hint_after: float | None = None,
) -> Running:
    """The real window on ``profile`` with ``provider`` configured, loaded and ready."""
    config_file.save(profile.config_path, config_file.Config(providers=(provider,)))
    return _running_window(
        qtbot,
        profile,
        lambda log: AccountService(profile, flow_log=log),
        deadline,
        hint_after=hint_after,
    )


def open_app_window(
    qtbot: QtBot,
    profile: Profile,
    *,
    start_sandbox: SandboxStarter = ensure_running,
    deadline: float = 60.0,
) -> Running:
    """The real window as the app builds it (``services.open_account_service``: the
    built-in sandbox listed first) on ``profile``, nothing configured: a first launch.

    Args:
        start_sandbox: How the service finds or starts the profile's sandbox.
    """
    return _running_window(
        qtbot,
        profile,
        lambda log: open_account_service(profile, start_sandbox=start_sandbox, flow_log=log),
        deadline,
    )


def _running_window(
    qtbot: QtBot,
    profile: Profile,
    make: Callable[[FlowLog], AccountService],
    deadline: float,
    *,
    hint_after: float | None = None,
) -> Running:
    running = Running(window=None, controller=None, profile=profile)  # type: ignore[arg-type]

    def factory(flow_log: FlowLog) -> AccountService:
        running.service = make(flow_log)
        return running.service

    if hint_after is None:
        controller = Controller(factory, deadline_seconds=deadline)
    else:
        controller = Controller(factory, deadline_seconds=deadline, hint_after_seconds=hint_after)
    window = MainWindow(controller, show_errors_in_dialogs=False)
    qtbot.addWidget(window)
    window.show()
    controller.start()
    qtbot.waitUntil(window.connectButton.isEnabled, timeout=10_000)
    running.window, running.controller = window, controller
    return running


class Heartbeat(QObject):
    """Measures the longest gap between ticks of a fast GUI-thread timer: how long
    the GUI thread was ever busy (a stall) while it ran."""

    def __init__(self, parent: QObject, interval_ms: int = 2) -> None:
        # A parent, so Qt (not Python's collector) destroys it with the window.
        super().__init__(parent)
        self.longest = 0.0
        self._last = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> float:
        self._timer.stop()
        return self.longest

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self._last)
        self._last = now


class BaselineHeartbeat:
    """The same measurement in a bare Qt process running alongside, so that what the
    machine imposes on every process (2 shared cores, a browser and a provider
    running) is told apart from what the app itself does."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.heartbeat_process"],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        assert self._process.stdout.readline().strip() == "ready"

    def stop(self) -> float:
        out, _ = self._process.communicate(timeout=10)
        return float(out.strip().splitlines()[-1])


def count_when_the_flow_ends(controller: Controller, count: Callable[[], int]) -> list[int]:
    """Call ``count`` on the running flow's own thread as its last act (QThread.finished,
    a direct connection) and keep the result. That thread is the only one that polls:
    once the list holds a number, no poll can follow, and no sleep has to show it."""
    flow = controller._flow
    assert flow is not None, "no connection attempt is running"
    counted: list[int] = []
    flow.finished.connect(lambda: counted.append(count()), Qt.ConnectionType.DirectConnection)
    return counted


def files_containing(root: Path, *needles: str) -> list[Path]:
    """Every file under ``root`` that contains any of ``needles``."""
    hits = []
    encoded = [n.encode() for n in needles if n]
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = Path(dirpath) / name
            try:
                data = path.read_bytes()
            except OSError:
                continue
            if any(n in data for n in encoded):
                hits.append(path)
    return hits


def browser_results(
    qtbot: QtBot, plan: BrowserPlan, count: int = 1, timeout_ms: int = 20_000
) -> list[dict[str, Any]]:
    """Wait for the test browser's reports while the GUI thread keeps running
    (the window opens the browser from its event loop)."""
    try:
        qtbot.waitUntil(lambda: len(plan.results(timeout=0, count=0)) >= count, timeout=timeout_ms)
    except qtbot.TimeoutError:
        raise AssertionError(f"the test browser did not report:\n{plan.log_tail()}") from None
    return plan.results(timeout=0, count=count)


def save_screenshot(window: MainWindow, name: str) -> None:
    """Save the window as ``$DESKTOP_OAUTH_SCREENSHOTS/<name>.png`` when that folder is
    set (how the README's pictures are made); otherwise do nothing."""
    folder = os.environ.get("DESKTOP_OAUTH_SCREENSHOTS")
    if folder:
        window.grab().save(str(Path(folder) / f"{name}.png"))


def confirm_next_question(qtbot: QtBot) -> None:
    """Press the action button (Revoke, Remove) of the next confirmation dialog."""
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

    def press() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, press)
            return
        button = box.findChild(QPushButton, "confirmButton")
        assert button is not None
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, press)
