"""One sandbox per profile: its folder, its remembered port, its lock, its health check.

The folder ``<profile home>/sandbox/`` holds:

- ``sandbox.json``: the port chosen on first start (so the issuer never
  changes) and a random instance id (so a health check can tell this
  profile's sandbox from anything else answering on that port);
- ``serve.lock``: locked (``flock``) by the one process serving the sandbox,
  for as long as it serves; the kernel drops the lock if that process dies;
- ``sandbox.db`` and ``signing-key.pem``, see store.py and keys.py.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import secrets
import socket
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..core.files import write_atomically
from ..core.headers import header_items

log = logging.getLogger(__name__)

SETTINGS_VERSION = 1


def sandbox_folder(home: Path) -> Path:
    """Where the sandbox of the profile in ``home`` keeps its files."""
    return home / "sandbox"


@dataclass(frozen=True)
class Settings:
    """What must stay the same across restarts: the port (hence the issuer) and the id."""

    port: int | None
    instance: str

    @staticmethod
    def path(folder: Path) -> Path:
        return folder / "sandbox.json"

    @classmethod
    def read(cls, folder: Path) -> Settings | None:
        """The saved settings, or None when there are none (or they are unreadable)."""
        try:
            data = json.loads(cls.path(folder).read_text(encoding="utf-8"))
            port, instance = data.get("port"), data.get("instance")
            if data.get("version") != SETTINGS_VERSION or not isinstance(instance, str):
                raise ValueError("unknown layout")
            if port is not None and not (isinstance(port, int) and 0 < port < 65536):
                raise ValueError("bad port")
            return cls(port=port, instance=instance)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, AttributeError) as exc:
            log.warning("ignoring unreadable sandbox settings %s (%s)", cls.path(folder), exc)
            return None

    @classmethod
    def read_or_new(cls, folder: Path) -> Settings:
        return cls.read(folder) or cls(port=None, instance=secrets.token_urlsafe(16))

    def save(self, folder: Path) -> None:
        """Write atomically (temporary file, then rename)."""
        write_atomically(
            self.path(folder),
            json.dumps(
                {"version": SETTINGS_VERSION, "port": self.port, "instance": self.instance}
            ).encode("utf-8"),
        )


class ServeLock:
    """An exclusive, non-blocking lock on a file, held while this process serves."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = None

    def acquire(self) -> bool:
        """Take the lock; False when another process (or object) holds it."""
        if self._file is not None:
            return True
        file = open(self.path, "a+b")  # noqa: SIM115 - held open while serving
        try:
            if sys.platform == "win32":
                import msvcrt

                file.seek(0)
                msvcrt.locking(file.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            file.close()
            return False
        self._file = file
        return True

    def release(self) -> None:
        file, self._file = self._file, None
        if file is None:
            return
        with contextlib.suppress(OSError):
            if sys.platform == "win32":
                import msvcrt

                file.seek(0)
                msvcrt.locking(file.fileno(), msvcrt.LK_UNLCK, 1)
            else:
                import fcntl

                fcntl.flock(file.fileno(), fcntl.LOCK_UN)
        file.close()


def _hang_up(connection: http.client.HTTPConnection) -> None:
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def answers_as(
    port: int, instance: str, timeout: float = 1.0, deadline: float | None = None
) -> bool:
    """Whether this profile's sandbox answers on ``port`` (a quick health check).

    Talks to 127.0.0.1 directly (no proxy from the environment) and accepts
    only a discovery document naming the expected issuer and instance id.

    Args:
        timeout: Seconds for connecting and for each read.
        deadline: Seconds for the whole check; ``4 * timeout`` by default.
    """
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    # Another program may hold the port and answer one byte at a time: the whole
    # check has one deadline, not only each read (docs/security.md, finding 5).
    whole = 4 * timeout if deadline is None else deadline
    watchdog = threading.Timer(whole, _hang_up, args=(connection,))
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request(
            "GET",
            "/.well-known/openid-configuration",
            headers=dict(header_items({"Host": f"127.0.0.1:{port}", "Accept": "application/json"})),
        )
        response = connection.getresponse()
        if response.status != 200:
            return False
        body = response.read(100_000)
        if not watchdog.is_alive():
            return False  # hung up on: what was read is not the answer
        document = json.loads(body)
    except (OSError, ValueError, http.client.HTTPException):
        return False
    finally:
        watchdog.cancel()
        connection.close()
    return (
        isinstance(document, dict)
        and document.get("issuer") == f"http://127.0.0.1:{port}"
        and document.get("desktop_oauth_sandbox_instance") == instance
    )
