"""Writing a file so that a crash leaves either the old or the new one."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from pathlib import Path

#: What ``tempfile.mkstemp`` puts between prefix and suffix: 8 characters of
#: ``[a-z0-9_]`` (CPython's ``tempfile._RandomNameSequence``). A test checks it.
_RANDOM_PART = "[a-z0-9_]{8}"
_SUFFIX = ".tmp"


def _prefix(path: Path) -> str:
    return f".{path.stem}-"


def write_atomically(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder
    (created with ``mode`` from the first byte), fsync, then rename over ``path``.

    Raises:
        OSError: the folder cannot be written; ``path`` is unchanged.
    """
    fd, tmp = tempfile.mkstemp(prefix=_prefix(path), suffix=_SUFFIX, dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def is_temporary_of(path: Path, name: str) -> bool:
    """Whether ``name`` is exactly the name :func:`write_atomically` gives the
    temporary file of a write to ``path`` (``.config-k3j_9xq2.tmp`` for config.json)."""
    pattern = re.escape(_prefix(path)) + _RANDOM_PART + re.escape(_SUFFIX)
    return re.fullmatch(pattern, name) is not None


def temporaries_of(path: Path) -> list[Path]:
    """The temporary files of writes to ``path`` present now: regular files only,
    never a link or a folder, and only names :func:`is_temporary_of` recognises."""
    try:
        with os.scandir(path.parent) as entries:
            return [
                Path(entry.path)
                for entry in entries
                if is_temporary_of(path, entry.name) and entry.is_file(follow_symlinks=False)
            ]
    except OSError:
        return []


def remove_stale_temporaries(path: Path, *, older_than: float = 60.0) -> int:
    """Remove the temporary files of writes to ``path`` last changed more than
    ``older_than`` seconds ago (file times are wall-clock times); returns how many.

    A write takes milliseconds, so such a file is what a process killed
    mid-write left behind. Should its writer only have been paused, its rename
    then fails and it reports an error; ``path`` itself is never touched.
    """
    cutoff = time.time() - older_than
    removed = 0
    for leftover in temporaries_of(path):
        with contextlib.suppress(OSError):
            if leftover.lstat().st_mtime < cutoff:
                leftover.unlink()
                removed += 1
    return removed
