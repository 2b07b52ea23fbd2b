"""The in-process sandbox and an account service that signs in there, shared by the
core tests of the account service's decisions (a module may define its own)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from desktop_oauth.core.accounts import AccountService, LocalProvider
from desktop_oauth.core.profile import Profile
from desktop_oauth.core.token_store import TokenStore
from desktop_oauth.sandbox import SandboxServer, provider_config
from tests.sandbox.helpers import STOP_POLL, seeded_home

from .test_token_store import FlakyKeyring


@pytest.fixture
def sandbox(tmp_path: Path, signing_key_pem: bytes) -> Iterator[SandboxServer]:
    home = seeded_home(tmp_path / "sandbox-home", signing_key_pem)
    with SandboxServer(home, rate_limit=(1_000_000, 60.0), poll_interval=STOP_POLL) as server:
        yield server


@pytest.fixture
def service(tmp_path: Path, sandbox: SandboxServer) -> AccountService:
    profile = Profile(home=tmp_path / "app", keyring_service=f"test:{uuid.uuid4().hex}")
    config = provider_config(sandbox.issuer)
    return AccountService(
        profile,
        store=TokenStore(profile.keyring_service, FlakyKeyring()),
        session=requests.Session(),
        local_providers=[LocalProvider(config.name, lambda: config, aliases=("sandbox",))],
    )
