"""Code the running window needs only for a provider call or a signature check is
loaded then, not at start-up: PyJWT with cryptography is about 10 MB of resident
memory, the HTTP stack (requests, urllib3, ssl, oauthlib, http.server) about 23 MB
(docs/performance.md, "Memory")."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from desktop_oauth.core import config as config_file
from desktop_oauth.core.config import AccountRecord, Config
from desktop_oauth.core.profile import HOME_VARIABLE, Profile
from desktop_oauth.core.token_store import TokenStore
from desktop_oauth.core.tokens import TokenSet

REPO = Path(__file__).resolve().parents[2]

# What the accounts worker does when the window starts (qt/controller.py: start).
_START = """
import sys
from desktop_oauth.services import open_account_service
service = open_account_service()
config = service.load()
for record in config.accounts:
    service.view(record.id)
    service.summary(record.id)
print(len(config.accounts), *sorted(m for m in sys.modules if m in {0} or m.split(".")[0] in {0}))
"""

#: Loaded by the first provider call, the loopback receiver or a signature check.
_ON_DEMAND = {"jwt", "cryptography", "requests", "urllib3", "ssl", "oauthlib", "http.server"}


@pytest.mark.integration  # the real keyring
def test_loading_the_accounts_loads_no_http_stack_jose_or_cryptography(tmp_path: Path) -> None:
    home = tmp_path / "home"
    profile = Profile.from_environment({HOME_VARIABLE: str(home)})
    now = time.time()
    record = AccountRecord(
        id=f"acct-{uuid.uuid4().hex[:8]}",
        provider="Sandbox (built in, no account needed)",
        issuer="http://127.0.0.1:1/",
        subject="ada",
        display_name="ada@sandbox.test",
        requested_scopes=("openid",),
        granted_scopes=("openid",),
        expires_at=now + 3600,
        has_refresh_token=True,
        connected_at=now,
        refreshed_at=now,
    )
    config_file.save(profile.config_path, Config(accounts=(record,)))
    store = TokenStore(profile.keyring_service)
    tokens = TokenSet(
        access_token="a" * 43,
        refresh_token="r" * 43,
        id_token="eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2ln",
        expires_at=now + 3600,
        granted_scopes=("openid",),
        obtained_at=now,
    )
    store.save(record.id, tokens)
    try:
        done = subprocess.run(
            [sys.executable, "-c", _START.format(_ON_DEMAND)],
            env={**os.environ, HOME_VARIABLE: str(home)},
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        store.delete(record.id)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1"]  # one account described, none of them loaded
