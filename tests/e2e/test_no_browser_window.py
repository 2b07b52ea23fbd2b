"""The window when no browser opens (a bogus ``$BROWSER``): it shows a link to
copy and keeps waiting; the copied link carries no ``state`` (docs/security.md,
finding 9) and still completes the sign-in; Cancel works (SECURITY (b)12)."""

from __future__ import annotations

import webbrowser
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from desktop_oauth.sandbox import Sandbox, ensure_running
from tests.sandbox.helpers import Browser

from .window import Running, isolated_profile, open_app_window

pytestmark = pytest.mark.e2e


@pytest.fixture
def no_browser(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # webbrowser reads $BROWSER once per process, on first use: start it afresh
    # (restored after the test) so the bogus value is what it finds.
    monkeypatch.setenv("BROWSER", str(tmp_path / "no-such-browser"))
    monkeypatch.setattr(webbrowser, "_tryorder", None)
    monkeypatch.setattr(webbrowser, "_browsers", {})
    monkeypatch.setattr(webbrowser, "_os_preferred_browser", None, raising=False)


@pytest.fixture
def sandboxes() -> Iterator[list[Sandbox]]:
    started: list[Sandbox] = []
    yield started
    for sandbox in started:
        sandbox.stop()


def window(qtbot: QtBot, tmp_path: Path, sandboxes: list[Sandbox]) -> Running:
    def start(home: Path) -> Sandbox:
        sandbox = ensure_running(home)
        sandboxes.append(sandbox)
        return sandbox

    return open_app_window(qtbot, isolated_profile(tmp_path / "home"), start_sandbox=start)


def wait_for_link(qtbot: QtBot, running: Running) -> str:
    running.window.connectButton.click()
    qtbot.waitUntil(running.window.urlRow.isVisible, timeout=15_000)
    assert "No browser opened" in running.window.statusLabel.text()
    return running.window.urlBox.text()


def test_no_browser_shows_a_copyable_local_link_that_completes_the_sign_in(
    qtbot: QtBot, tmp_path: Path, no_browser: None, sandboxes: list[Sandbox]
) -> None:
    running = window(qtbot, tmp_path, sandboxes)
    shown = wait_for_link(qtbot, running)
    running.window.copyUrlButton.click()
    copied = QGuiApplication.clipboard().text()
    assert copied == shown
    assert urlsplit(copied).hostname == "127.0.0.1" and "state" not in copied
    # The person opens the copied link in a browser of their own.
    with requests.Session() as http:
        http.trust_env = False
        first = http.get(copied, allow_redirects=False, timeout=10)
    assert first.status_code == 303 and "state=" in first.headers["Location"]
    issuer = "{0.scheme}://{0.netloc}".format(urlsplit(first.headers["Location"]))
    person = Browser(issuer)
    try:
        callback = person.walk(first.headers["Location"])
        assert isinstance(callback, str) and callback.startswith("http://127.0.0.1:")
        assert person.get(callback).status_code == 200
    finally:
        person.close()
    qtbot.waitUntil(lambda: running.window.accountsList.count() == 1, timeout=15_000)
    qtbot.waitUntil(lambda: not running.window.urlRow.isVisible(), timeout=5_000)


def test_no_browser_then_cancel_frees_the_port(
    qtbot: QtBot, tmp_path: Path, no_browser: None, sandboxes: list[Sandbox]
) -> None:
    running = window(qtbot, tmp_path, sandboxes)
    link = wait_for_link(qtbot, running)
    running.window.cancelButton.click()
    qtbot.waitUntil(lambda: "cancelled" in running.window.statusLabel.text(), timeout=5_000)
    with pytest.raises(requests.ConnectionError), requests.Session() as http:
        http.trust_env = False
        http.get(link, timeout=3)
