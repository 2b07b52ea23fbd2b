"""The settings file: atomic writes, and damaged files kept aside (docs/security.md (b)20)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_oauth.core import config as config_file
from desktop_oauth.core.config import AccountRecord, Config
from desktop_oauth.core.errors import ConfigurationError
from desktop_oauth.core.profile import Profile
from desktop_oauth.core.provider import Endpoints, ProviderConfig

PROVIDER = ProviderConfig(
    name="Example",
    issuer="https://id.example.test",
    client_id="app",
    endpoints=Endpoints(
        authorization="https://id.example.test/a",
        token="https://id.example.test/t",
        code_challenge_methods=("S256",),
    ),
)
ACCOUNT = AccountRecord(
    id="acct-1",
    provider="Example",
    issuer="https://id.example.test",
    subject="s",
    display_name="ada@example.test",
    granted_scopes=("openid",),
    expires_at=123.5,
)


def test_round_trip_and_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    config_file.save(path, Config(providers=(PROVIDER,), accounts=(ACCOUNT,)))
    assert json.loads(path.read_text())["schema"] == config_file.SCHEMA_VERSION
    assert config_file.load(path) == Config(providers=(PROVIDER,), accounts=(ACCOUNT,))
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_missing_file_is_an_empty_config(tmp_path: Path) -> None:
    assert config_file.load(tmp_path / "config.json") == Config()


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b'{"schema": 1, "providers": [{"name": "Ex',  # truncated mid-write
        b"\xff\xfe\x00garbage",  # not UTF-8
        b'{"schema": 1, "providers": [{"name": 5, "issuer": "x", "client_id": "y"}]}',
        b'{"schema": 1, "accounts": [{"id": "a"}]}',
        b'{"schema": 99}',
        b"[1, 2, 3]",
    ],
)
def test_unreadable_files_are_moved_aside_not_overwritten(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "config.json"
    path.write_bytes(content)
    loaded = config_file.load(path)
    assert loaded == Config()
    assert loaded.recovered_from is not None
    assert loaded.recovered_from.read_bytes() == content
    assert not path.exists()


def test_a_folder_that_cannot_be_written_is_explained(tmp_path: Path) -> None:
    # /proc refuses new files even to root, like a read-only folder to a user.
    with pytest.raises(ConfigurationError, match="previous settings are unchanged"):
        config_file.save(Path("/proc/desktop-oauth-test/config.json"), Config())


def test_a_failed_write_leaves_the_old_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    config_file.save(path, Config(providers=(PROVIDER,)))
    blocker = tmp_path / "sub"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(ConfigurationError):
        config_file.save(blocker / "config.json", Config())
    assert config_file.load(path).providers == (PROVIDER,)


def test_profiles_in_different_folders_never_share_keyring_entries(tmp_path: Path) -> None:
    a = Profile.from_environment({"DESKTOP_OAUTH_HOME": str(tmp_path / "a")})
    b = Profile.from_environment({"DESKTOP_OAUTH_HOME": str(tmp_path / "b")})
    again = Profile.from_environment({"DESKTOP_OAUTH_HOME": str(tmp_path / "a" / ".." / "a")})
    assert a.keyring_service != b.keyring_service
    assert a.keyring_service == again.keyring_service
    assert a.config_path == tmp_path / "a" / "config.json"
    default = Profile.from_environment({})
    assert default.keyring_service == "desktop-oauth"


def test_temporaries_left_by_a_killed_write_are_cleaned_up(tmp_path: Path) -> None:
    import os
    import time

    old = tmp_path / ".config-abc_1234.tmp"
    old.write_text("{half a fi")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    fresh = tmp_path / ".config-def_5678.tmp"  # another process may be writing it now
    fresh.write_text("{")
    config_file.save(tmp_path / "config.json", Config())
    assert not old.exists() and fresh.exists()
