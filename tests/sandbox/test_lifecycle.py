"""Starting, stopping, restarting; one sandbox per profile across processes; files at rest."""

from __future__ import annotations

import json
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from desktop_oauth.sandbox import (
    SandboxAlreadyServedError,
    SandboxError,
    SandboxPortInUseError,
    SandboxServer,
    ensure_running,
)

from .helpers import STOP_POLL, Browser, Client, redirect_params

FIND_SANDBOX = """
import json, sys
from pathlib import Path
from desktop_oauth.sandbox import ensure_running
sandbox = ensure_running(Path(sys.argv[1]))
print(json.dumps({"issuer": sandbox.issuer, "owned": sandbox.owned}))
sandbox.stop()
"""


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def test_restart_keeps_issuer_keys_and_grants(tmp_path: Path) -> None:
    home = tmp_path / "profile"
    with SandboxServer(home, poll_interval=STOP_POLL) as first:
        browser, client = Browser(first.issuer), Client(first.issuer)
        tokens = client.connect(browser)
        kid = requests.get(f"{first.issuer}/jwks", timeout=5).json()["keys"][0]["kid"]
        browser.close()
        client.close()
        issuer, port = first.issuer, first.port
    assert refused(port)

    with SandboxServer(home, poll_interval=STOP_POLL) as second:
        assert (second.issuer, second.port) == (issuer, port)
        assert requests.get(f"{issuer}/jwks", timeout=5).json()["keys"][0]["kid"] == kid
        client = Client(issuer)
        try:
            assert client.api("/api/notes", tokens["access_token"]).status_code == 200
            refreshed = client.refresh(tokens["refresh_token"])
            assert refreshed.status_code == 200, refreshed.text
            assert client.api("/api/notes", refreshed.json()["access_token"]).status_code == 200
        finally:
            client.close()


def test_port_taken_by_another_program_is_a_clear_error(tmp_path: Path) -> None:
    home = tmp_path / "profile"
    with SandboxServer(home, poll_interval=STOP_POLL) as server:
        port = server.port
    squatter = socket.socket()
    try:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        with pytest.raises(SandboxPortInUseError) as caught:
            SandboxServer(home, poll_interval=STOP_POLL).start()
        message = str(caught.value)
        assert f"port {port}" in message and "another program" in message
        assert "sandbox.json" in message
        assert caught.value.port == port
    finally:
        squatter.close()
    # the lock was released after the failure
    with SandboxServer(home, poll_interval=STOP_POLL) as again:
        assert again.port == port


def test_stop_frees_the_port_quickly_even_with_an_idle_connection(
    make_sandbox: Callable[..., SandboxServer],
) -> None:
    server = make_sandbox()
    idle = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    try:
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 1.0
        assert refused(server.port)
        assert not server.running
    finally:
        idle.close()


def test_one_server_per_profile_in_a_process(sandbox: SandboxServer) -> None:
    with pytest.raises(SandboxAlreadyServedError):
        SandboxServer(sandbox.home).start()
    found = ensure_running(sandbox.home)
    assert found.issuer == sandbox.issuer and not found.owned
    found.stop()  # not ours: does nothing
    assert sandbox.running


def test_another_process_uses_the_running_sandbox(tmp_path: Path) -> None:
    home = tmp_path / "profile"
    ours = ensure_running(home)
    assert ours.owned
    try:
        found = json.loads(
            subprocess.run(
                [sys.executable, "-c", FIND_SANDBOX, str(home)],
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
            ).stdout
        )
        assert found == {"issuer": ours.issuer, "owned": False}
    finally:
        ours.stop()
    # With nobody serving it, the other process starts it itself, on the same port.
    started = json.loads(
        subprocess.run(
            [sys.executable, "-c", FIND_SANDBOX, str(home)],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
    )
    assert started == {"issuer": ours.issuer, "owned": True}


def test_files_at_rest_hold_no_plaintext_secrets(
    sandbox: SandboxServer, browser: Browser, client: Client
) -> None:
    pending = client.authorization_url()
    location = browser.walk(pending.url)
    code = redirect_params(str(location))["code"]
    tokens = client.exchange(pending, code).json()
    rotated = client.refresh(tokens["refresh_token"]).json()
    device = client.post("/device_authorization", {"client_id": client.client_id}).json()
    secrets_issued = [
        code,
        tokens["access_token"],
        tokens["refresh_token"],
        rotated["access_token"],
        rotated["refresh_token"],
        device["device_code"],
        device["user_code"].replace("-", ""),
    ]
    folder = sandbox.folder
    contents = b"".join(path.read_bytes() for path in folder.iterdir() if path.is_file())
    assert contents.startswith(b"-----BEGIN PRIVATE KEY") or b"SQLite format 3" in contents
    for secret in secrets_issued:
        assert secret.encode() not in contents, "a credential is stored in plaintext"
    assert stat.S_IMODE((folder / "signing-key.pem").stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_damaged_key_is_a_readable_error(tmp_path: Path) -> None:
    home = tmp_path / "profile"
    with SandboxServer(home, poll_interval=STOP_POLL):
        pass
    (home / "sandbox" / "signing-key.pem").write_text("not a key")
    with pytest.raises(SandboxError, match=r"signing key .* is damaged"):
        SandboxServer(home, poll_interval=STOP_POLL).start()
    # and the failed start released the port and the lock
    (home / "sandbox" / "signing-key.pem").unlink()
    with SandboxServer(home, poll_interval=STOP_POLL):
        pass


def test_command_line_serves_until_interrupted(tmp_path: Path) -> None:
    home = tmp_path / "cli"
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop_oauth.sandbox", "--home", str(home)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("Sandbox provider serving at http://127.0.0.1:"), (
            first,
            process.stderr.read() if process.poll() is not None else "",
        )
        issuer = first.split(" at ")[1].strip()
        doc = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=5).json()
        assert doc["issuer"] == issuer
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()
    assert json.loads((home / "sandbox" / "sandbox.json").read_text())["port"] == int(
        issuer.rsplit(":", 1)[1]
    )
