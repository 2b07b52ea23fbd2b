"""Locks shared by every process of a profile (the window and the command line).

Two uses: rewriting ``config.json`` (read, change, write, so that one process
never overwrites what another just saved), and refreshing one account. With
refresh-token rotation, two processes refreshing at once would present a token
the first just rotated out, and many providers then revoke the whole grant
(RFC 9700 §4.14.2). Holding the lock around "read tokens, refresh, save" makes
the second process find the fresh tokens instead.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import DesktopOAuthError

_thread_locks: dict[Path, threading.Lock] = {}
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # POSIX; Windows has no symlinks to plant here
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_guard = threading.Lock()


@contextlib.contextmanager
def profile_lock(home: Path, name: str, *, timeout: float = 45.0) -> Iterator[None]:
    """Hold the lock ``name`` of the profile in ``home`` (waits up to ``timeout``).

    Raises:
        DesktopOAuthError: another process held it for the whole timeout, or the
            lock file cannot be opened.
    """
    path = home / "locks" / f"{name}.lock"
    with _guard:
        local = _thread_locks.setdefault(path, threading.Lock())
    deadline = time.monotonic() + timeout
    if not local.acquire(timeout=timeout):
        raise DesktopOAuthError("Another task of desktop-oauth is still busy; try again.")
    try:
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if path.parent.is_symlink():
                raise OSError(errno.ELOOP, "the locks folder is a symbolic link")
            # O_NOFOLLOW: a symlink planted at the lock's path (pointing at a file
            # of the person's, to be created or locked) is refused, not followed.
            fd = os.open(path, os.O_RDWR | os.O_CREAT | _NOFOLLOW | _CLOEXEC, 0o600)
            handle = os.fdopen(fd, "r+b")
        except OSError as exc:
            raise DesktopOAuthError(
                f"The lock file {path} could not be opened ({exc.strerror})."
            ) from None
        with handle:
            while not _try_lock(handle.fileno()):
                if time.monotonic() >= deadline:
                    raise DesktopOAuthError(
                        "Another desktop-oauth process is still busy with this; try again."
                    )
                time.sleep(0.05)
            yield  # closing the file releases the lock
    finally:
        local.release()


def _try_lock(fd: int) -> bool:
    """Take an exclusive lock on ``fd`` without waiting; False when another holds it."""
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True
