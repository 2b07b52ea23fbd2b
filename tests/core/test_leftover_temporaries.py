"""Temporary files of a config write killed midway are removed at the next start,
and nothing else is: not a live write's, not a file that only looks like one."""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from desktop_oauth.core import config as config_file
from desktop_oauth.core.accounts import AccountService
from desktop_oauth.core.config import Config
from desktop_oauth.core.files import is_temporary_of, temporaries_of
from desktop_oauth.core.locks import profile_lock
from desktop_oauth.core.profile import Profile
from desktop_oauth.core.token_store import TokenStore

from .test_token_store import FlakyKeyring


def started(home: Path) -> AccountService:
    """A service on the profile in ``home``, loaded as the window and every command do."""
    profile = Profile(home=home, keyring_service=f"test:{uuid.uuid4().hex}")
    service = AccountService(profile, store=TokenStore(profile.keyring_service, FlakyKeyring()))
    service.load()
    return service


def planted(path: Path, age: float, text: str = "{half a fi") -> Path:
    path.write_text(text)
    then = time.time() - age
    os.utime(path, (then, then), follow_symlinks=False)
    return path


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.json").write_text('{"schema": 3, "providers": [], "accounts": []}\n')
    return home


def test_a_start_removes_an_old_temporary_and_keeps_a_fresh_one(home: Path) -> None:
    old = planted(home / ".config-k3j_9xq2.tmp", age=3600)
    fresh = planted(home / ".config-a1b2c3d4.tmp", age=0)  # another process writes it now

    started(home)

    assert not old.exists()
    assert fresh.exists()
    assert (home / "config.json").exists()


def test_a_start_touches_nothing_that_is_not_our_temporary(home: Path) -> None:
    yours = planted(home / "notes.txt", age=3600, text="the person's own")
    lookalikes = [
        planted(home / name, age=3600)
        for name in (
            ".config-short.tmp",  # not mkstemp's 8 characters
            ".config-k3j_9xq2.tmp.bak",
            ".config-K3J_9XQ2.tmp",
            ".history-k3j_9xq2.tmp",  # another file's temporary
            "config-k3j_9xq2.tmp",
        )
    ]
    folder = home / ".config-dir_0001.tmp"
    folder.mkdir()
    link = home / ".config-link_001.tmp"
    link.symlink_to(yours)
    os.utime(link, (0, 0), follow_symlinks=False)

    started(home)
    config_file.save(home / "config.json", Config())  # a write sweeps too

    assert all(p.exists() for p in lookalikes)
    assert folder.is_dir() and link.is_symlink() and yours.read_text() == "the person's own"


def test_while_another_process_holds_the_config_lock_the_sweep_waits_for_a_later_start(
    home: Path,
) -> None:
    old = planted(home / ".config-k3j_9xq2.tmp", age=3600)
    with profile_lock(home, "config"):
        started(home)  # does not wait for the lock
        assert old.exists()
    started(home)
    assert not old.exists()


def test_a_start_with_no_temporary_takes_no_lock(home: Path) -> None:
    started(home)
    assert not (home / "locks").exists()


def test_the_names_recognised_are_the_names_a_write_uses(tmp_path: Path) -> None:
    target = tmp_path / "config.json"
    for _ in range(50):
        fd, name = tempfile.mkstemp(prefix=".config-", suffix=".tmp", dir=tmp_path)
        os.close(fd)
        assert is_temporary_of(target, Path(name).name), name
    assert len(temporaries_of(target)) == 50
