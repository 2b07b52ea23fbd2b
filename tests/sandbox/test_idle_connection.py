"""A browser connection that opens and sends nothing until the sandbox gives up on it
(Chromium's speculative preconnects do this) is closed quietly: nothing is printed,
nothing raised from the request log, and the sandbox serves on (issue 11)."""

from __future__ import annotations

import logging
import socket
import time

import pytest
import requests

from desktop_oauth.sandbox import SandboxServer
from desktop_oauth.sandbox.server import _Handler

# Waits out the sandbox's 10 s connection timeout: too slow for the unit tier.
pytestmark = pytest.mark.integration


def test_an_idle_connection_times_out_without_a_word(
    sandbox: SandboxServer,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="desktop_oauth")
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=30) as conn:
        started = time.monotonic()
        closed = conn.recv(1)  # the sandbox closes it after its own timeout
        waited = time.monotonic() - started
    assert closed == b""
    assert waited >= _Handler.timeout - 1  # it really was the timeout, not a refusal
    assert requests.get(f"{sandbox.issuer}/.well-known/openid-configuration", timeout=5).ok
    err = capfd.readouterr().err
    assert "Traceback" not in err
    assert "has no attribute" not in err
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
