"""Revoking, cancelling with Ctrl-C, connecting without a browser, and the window's
``--connect``: the command line against the real provider, browser and keyring."""

from __future__ import annotations

import os
import queue
import signal
import socket
import stat
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import keyring
import pytest

from tests.e2e.conftest import OPEN_URL, BrowserPlan
from tests.e2e.oidc_provider import OidcProvider

from .runner import REPO, Cli

pytestmark = pytest.mark.e2e


def add_provider(cli: Cli, op: OidcProvider) -> None:
    cli.ok(
        "provider",
        "add",
        "op",
        "--issuer",
        op.issuer,
        "--client-id",
        op.client_id,
        "--scope",
        "openid",
        "profile",
        "email",
        "offline_access",
    )


def test_revoke_takes_access_back_and_says_so(
    tmp_path: Path, oidc_provider: OidcProvider, browser_plan: BrowserPlan
) -> None:
    cli = Cli(tmp_path / "home")
    add_provider(cli, oidc_provider)
    cli.connect("op", browser_plan, "bob")
    bob = cli.stored_tokens("bob")
    bob_id = cli.account("bob").id
    assert cli.ok("token", "bob@example.test").stdout.strip() == bob.access_token
    assert oidc_provider.introspect(bob.access_token)["active"] is True

    # A provider with accounts is not removed by accident.
    refused = cli.run("provider", "remove", "op")
    assert refused.returncode == 1
    assert "--forget-accounts" in refused.error_line

    revoked = cli.ok("revoke", "bob@example.test")
    assert "bob@example.test (op): Access revoked; the provider confirms" in revoked.stdout
    assert oidc_provider.introspect(bob.access_token)["active"] is False
    assert bob.refresh_token and oidc_provider.introspect(bob.refresh_token)["active"] is False
    assert keyring.get_password(cli.profile.keyring_service, bob_id) is None
    [listed] = cli.ok("accounts", "--json").json()
    assert listed["state"] == "revoked"  # listed until removed, like in the window
    gone = cli.run("token", "bob@example.test")
    assert gone.returncode == 1
    assert gone.stdout == ""
    cli.ok("provider", "remove", "op", "--forget-accounts")
    assert cli.ok("accounts", "--json").json() == []


class Lines:
    """Collects a running process's stderr lines on a thread."""

    def __init__(self, stream: object) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self._queue.put(line.rstrip("\n"))

    def wait_for(self, prefix: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(
                    f"no line starting {prefix!r} in:\n" + "\n".join(self.lines)
                ) from None
            self.lines.append(line)
            if line.startswith(prefix):
                return line

    def rest(self) -> list[str]:
        self._thread.join(10)
        while not self._queue.empty():
            self.lines.append(self._queue.get())
        return self.lines


def port_of(url: str) -> int:
    [redirect_uri] = parse_qs(urlsplit(url).query)["redirect_uri"]
    port = urlsplit(redirect_uri).port
    assert port is not None
    return port


def accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return False
    return True


def test_no_browser_shows_the_link_and_ctrl_c_cancels(
    tmp_path: Path, oidc_provider: OidcProvider
) -> None:
    cli = Cli(tmp_path / "home")
    add_provider(cli, oidc_provider)
    # A BROWSER that cannot start: the link is shown and the receiver keeps waiting.
    env = cli.environ(BROWSER=str(tmp_path / "no-such-browser"))
    with subprocess.Popen(
        cli.command("connect", "op"),
        env=env,
        cwd=REPO,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        try:
            stderr = Lines(proc.stderr)
            assert "No browser could be opened" in stderr.wait_for("No browser")
            url = stderr.wait_for("  http").strip()
            port = port_of(url)
            assert url.startswith(oidc_provider.endpoint("authorization_endpoint"))
            assert accepts(port)
            proc.send_signal(signal.SIGINT)
            assert proc.wait(10) == 1
        finally:
            if proc.poll() is None:
                proc.kill()
        assert stderr.rest()[-1] == "desktop-oauth: Cancelled; nothing was connected."
        assert proc.stdout is not None and proc.stdout.read() == ""
    assert not accepts(port)
    assert cli.accounts() == ()


def test_no_browser_prints_the_link_and_waits_for_it(
    tmp_path: Path, oidc_provider: OidcProvider, browser_plan: BrowserPlan
) -> None:
    cli = Cli(tmp_path / "home")
    add_provider(cli, oidc_provider)
    marker = tmp_path / "browser-was-started"
    spy = tmp_path / "spy-browser"
    spy.write_text(f"#!/bin/sh\ntouch '{marker}'\n")
    spy.chmod(spy.stat().st_mode | stat.S_IXUSR)
    browser_plan.set(login="alice", action="consent")
    with subprocess.Popen(
        cli.command("connect", "op", "--no-browser"),
        env=cli.environ(BROWSER=str(spy)),
        cwd=REPO,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        try:
            stderr = Lines(proc.stderr)
            url = stderr.wait_for("  http").strip()
            # The person opens the link themselves (here: the test browser).
            subprocess.run([str(OPEN_URL), url], check=True, timeout=10)
            assert proc.wait(30) == 0, "\n".join(stderr.rest())
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.stdout is not None
        assert proc.stdout.read().startswith("Connected alice@example.test at op.\n")
    browser_plan.results()
    assert not marker.exists()
    assert [a.subject for a in cli.accounts()] == ["alice"]


def test_gui_connect_starts_a_connection_in_the_window(
    tmp_path: Path, oidc_provider: OidcProvider, browser_plan: BrowserPlan
) -> None:
    cli = Cli(tmp_path / "home")
    add_provider(cli, oidc_provider)
    browser_plan.set(login="bob", action="consent")
    env = cli.environ(QT_QPA_PLATFORM="offscreen")
    with subprocess.Popen(
        cli.command("gui", "--connect", "op"),
        env=env,
        cwd=REPO,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        try:
            deadline = time.monotonic() + 30
            while not cli.accounts() and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.2)
        finally:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGTERM)
            proc.wait(10)
        output = proc.communicate()
    assert [a.subject for a in cli.accounts()] == ["bob"], output
    browser_plan.results()
