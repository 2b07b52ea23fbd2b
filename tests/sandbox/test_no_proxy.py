"""Finding 2 of the security review (docs/security.md): with HTTP_PROXY set, the
plain-http exchange with a provider on this computer went through the proxy,
which saw the code, the PKCE verifier and every token. A real proxy process on
127.0.0.1 records what passes through it; nothing of the connect may."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from desktop_oauth.core.connect import ConnectAttempt
from desktop_oauth.core.discovery import resolve
from desktop_oauth.core.http import new_session
from desktop_oauth.sandbox import SandboxServer, provider_config

from .helpers import TIMEOUT, Browser


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    log = tmp_path / "proxy.log"
    log.touch()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.recording_proxy", str(log)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}", log
    finally:
        process.terminate()
        process.wait(5)
        if process.stdout is not None:
            process.stdout.close()


def test_the_proxy_is_real_and_records_loopback_traffic(
    sandbox: SandboxServer, proxy: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The control: plain requests with the same environment does use the proxy.
    url, log = proxy
    monkeypatch.setenv("HTTP_PROXY", url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    answer = requests.get(f"{sandbox.issuer}/.well-known/openid-configuration", timeout=TIMEOUT)
    assert answer.ok
    assert b"/.well-known/openid-configuration" in log.read_bytes()


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"])
def test_a_whole_connect_to_a_loopback_provider_bypasses_the_proxy(
    sandbox: SandboxServer,
    browser: Browser,
    proxy: tuple[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
) -> None:
    url, log = proxy
    browser.http.trust_env = False  # the person's browser is not under test
    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, url)
    with new_session() as http:
        http.proxies = {"http": url}  # even a session-level proxy is not used
        provider = resolve(http, provider_config(sandbox.issuer))
        attempt = ConnectAttempt(provider, http, deadline_seconds=10)
        try:
            location = browser.walk(attempt.url)
            assert isinstance(location, str)
            landed: list[int] = []

            def land() -> None:  # the browser lands on the receiver
                with requests.Session() as person:
                    person.trust_env = False
                    landed.append(person.get(location, timeout=TIMEOUT).status_code)

            lands = threading.Thread(target=land)
            lands.start()
            params = attempt.wait_for_redirect()
            lands.join(TIMEOUT)
            assert landed == [200]
        finally:
            attempt.close()
        result = attempt.complete(params)
    assert result.tokens.access_token
    assert log.read_bytes() == b""  # nothing went through the proxy
