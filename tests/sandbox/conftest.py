"""Fixtures: real sandbox servers on temporary profiles, a browser, a client, a clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop_oauth.sandbox import SandboxServer

from .helpers import STOP_POLL, Browser, Client, seeded_home


@pytest.fixture
def make_sandbox(tmp_path: Path, signing_key_pem: bytes) -> Iterator[Callable[..., SandboxServer]]:
    """Start sandboxes with options (``make_sandbox(home=..., **options)``), stopped after."""
    started: list[SandboxServer] = []

    def make(home: Path | None = None, **options: Any) -> SandboxServer:
        options.setdefault("poll_interval", STOP_POLL)
        server = SandboxServer(
            seeded_home(home or tmp_path / "profile", signing_key_pem), **options
        )
        server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def sandbox(
    tmp_path_factory: pytest.TempPathFactory, signing_key_pem: bytes
) -> Iterator[SandboxServer]:
    """One sandbox per test module; each test has its own browser (session) and client.

    The quota is set out of reach here; quota tests start their own sandbox.
    """
    home = seeded_home(tmp_path_factory.mktemp("profile"), signing_key_pem)
    with SandboxServer(
        home, rate_limit=(1_000_000, 60.0), device_interval=1, poll_interval=STOP_POLL
    ) as server:
        yield server


@pytest.fixture
def browser(sandbox: SandboxServer) -> Iterator[Browser]:
    person = Browser(sandbox.issuer)
    yield person
    person.close()


@pytest.fixture
def client(sandbox: SandboxServer) -> Iterator[Client]:
    app = Client(sandbox.issuer)
    yield app
    app.close()


class Clock:
    """Wall-clock seconds that only move when a test says so."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    import time

    return Clock(time.time())
