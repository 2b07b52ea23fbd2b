"""One window per user and profile, with real processes: a second launch hands its
arguments to the first and exits; a killed first leaves nothing that blocks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtNetwork import QLocalSocket
from PySide6.QtWidgets import QApplication

from desktop_oauth.qt.handover import connect_request, hand_over, server_name

STARTUP_TIMEOUT = 30.0


def _environment(tmp_path: Path) -> dict[str, str]:
    opened = tmp_path / "opened-urls"
    browser = tmp_path / "record-url"
    # A browser that only writes down what it was asked to open.
    browser.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >>"{opened}"\n')
    browser.chmod(0o755)
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        DESKTOP_OAUTH_HOME=str(tmp_path / "profile"),
        BROWSER=str(browser),
    )
    return env


def _listening(name: str) -> bool:
    probe = QLocalSocket()
    probe.connectToServer(name)
    up = probe.waitForConnected(200)
    probe.abort()
    return up


def _wait_listening(name: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not _listening(name):
        assert process.poll() is None, f"the first instance exited with {process.returncode}"
        assert time.monotonic() < deadline, "the first instance never listened"
        time.sleep(0.05)


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def _start(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "desktop_oauth", "gui", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_second_launch_hands_connect_to_the_first_and_exits(
    qapp: QApplication, tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    env = _environment(tmp_path)
    name = server_name(Path(env["DESKTOP_OAUTH_HOME"]))
    first = _start(env)
    processes.append(first)
    _wait_listening(name, first)

    began = time.monotonic()
    second = subprocess.run(
        [sys.executable, "-m", "desktop_oauth", "gui", "--connect", "sandbox"],
        env=env,
        capture_output=True,
        timeout=10,
    )
    elapsed = time.monotonic() - began
    assert second.returncode == 0, second.stderr.decode()
    assert elapsed < 1.0, f"the second launch took {elapsed:.2f} s"

    # The first window started connecting at the sandbox: it opened its sign-in page.
    opened = tmp_path / "opened-urls"
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not opened.exists():
        assert first.poll() is None
        assert time.monotonic() < deadline, "the first window never opened the browser"
        time.sleep(0.05)
    url = opened.read_text().strip()
    assert url.startswith("http://127.0.0.1:")
    assert "/authorize?" in url and "code_challenge_method=S256" in url
    assert first.poll() is None  # still the one window


def test_a_killed_instance_does_not_block_the_next_start(
    qapp: QApplication, tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    env = _environment(tmp_path)
    name = server_name(Path(env["DESKTOP_OAUTH_HOME"]))
    first = _start(env)
    processes.append(first)
    _wait_listening(name, first)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    stale = Path(name)
    assert stale.is_socket(), "the kill should leave the socket file behind"
    assert not _listening(name)

    again = _start(env)
    processes.append(again)
    _wait_listening(name, again)
    assert again.poll() is None
    # The new instance is the one that answers now.
    assert hand_over(name, ["gui"])
    assert again.poll() is None


def test_another_profile_gets_its_own_window(tmp_path: Path) -> None:
    assert server_name(tmp_path / "a") != server_name(tmp_path / "b")
    assert server_name(tmp_path / "a", "ann:1000") != server_name(tmp_path / "a", "bob:1001")


@pytest.mark.parametrize(
    ("args", "provider"),
    [
        (["gui", "--connect", "sandbox"], "sandbox"),
        (["gui", "--connect=work"], "work"),
        (["gui"], None),
        (["gui", "--connect"], None),
    ],
)
def test_connect_request_reads_only_connect(args: list[str], provider: str | None) -> None:
    assert connect_request(args) == provider


def test_nothing_answers_on_an_unused_name(qapp: QApplication, tmp_path: Path) -> None:
    assert not hand_over(server_name(tmp_path / "nobody"), ["gui"], timeout_ms=200)
