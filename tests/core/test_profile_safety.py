"""Lesser findings of the security review (docs/security.md, finding 9): a symlink
planted at the profile's lock file, and a world-writable DESKTOP_OAUTH_HOME."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from desktop_oauth.core.errors import ConfigurationError, DesktopOAuthError
from desktop_oauth.core.locks import profile_lock
from desktop_oauth.core.profile import HOME_VARIABLE, Profile


def test_a_symlink_planted_at_the_lock_file_is_not_followed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "locks").mkdir(parents=True)
    victim = tmp_path / "victim-file"
    (home / "locks" / "config.lock").symlink_to(victim)
    with (
        pytest.raises(DesktopOAuthError, match="could not be opened"),
        profile_lock(home, "config"),
    ):
        pass
    assert not victim.exists()  # nothing created (or locked) through the link


def test_a_symlinked_locks_folder_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (home / "locks").symlink_to(elsewhere)
    with pytest.raises(DesktopOAuthError), profile_lock(home, "config"):
        pass
    assert list(elsewhere.iterdir()) == []


def test_the_lock_still_works_and_is_private(tmp_path: Path) -> None:
    with profile_lock(tmp_path / "home", "config"):
        pass
    lock = tmp_path / "home" / "locks" / "config.lock"
    assert lock.stat().st_mode & 0o077 == 0


def test_a_world_writable_home_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(ConfigurationError) as caught:
        Profile.from_environment({HOME_VARIABLE: str(shared)})
    message = str(caught.value)
    assert "writable by every user" in message and "chmod o-w" in message
    shared.chmod(0o1777)  # sticky (like /tmp) does not stop replacing one's own files' folder
    with pytest.raises(ConfigurationError):
        Profile.from_environment({HOME_VARIABLE: str(shared)})


def test_a_private_or_missing_home_is_used(tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    assert Profile.from_environment({HOME_VARIABLE: str(private)}).home == private
    missing = tmp_path / "not-yet"
    assert Profile.from_environment({HOME_VARIABLE: str(missing)}).home == missing
    assert os.getuid() == private.stat().st_uid
