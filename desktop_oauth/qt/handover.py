"""The second launch's side of one-window-per-profile: find the running window's
socket and hand it this launch's arguments.

This module does not import Qt on Linux and macOS: a second launch talks to the
running window's ``QLocalServer`` (a Unix domain socket at a path chosen here)
with Python's own ``socket``, and exits before Qt would have loaded. On Windows
``QLocalServer`` listens on a named pipe, reached through ``QLocalSocket``.

Message: one line of JSON, ``{"args": [...]}``; answer: ``ok``.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import socket
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from .. import APP_NAME

#: How long a second launch waits for the first to answer, in milliseconds.
HANDOVER_TIMEOUT_MS = 500
ACK = b"ok\n"


def _current_user() -> str:
    uid = getattr(os, "getuid", None)
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME
        name = ""
    return f"{name}:{uid() if uid else ''}"


def server_name(
    home: Path, user: str | None = None, environ: Mapping[str, str] = os.environ
) -> str:
    """Where the window of the profile in ``home`` listens, for ``user``.

    On POSIX a full socket path, in ``$XDG_RUNTIME_DIR`` (private to the user)
    when there is one, else in the temporary folder; on Windows a pipe name.
    """
    who = user if user is not None else _current_user()
    digest = hashlib.sha256(f"{who}\0{home.resolve()}".encode()).hexdigest()[:20]
    name = f"{APP_NAME}-{digest}"
    if sys.platform == "win32":
        return name
    runtime = environ.get("XDG_RUNTIME_DIR", "")
    folder = runtime if runtime and os.path.isdir(runtime) else tempfile.gettempdir()
    return os.path.join(folder, name)


def connect_request(args: Sequence[str]) -> str | None:
    """The provider that ``--connect PROVIDER`` (or ``--connect=PROVIDER``) names, if any."""
    for index, arg in enumerate(args):
        if arg == "--connect" and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--connect="):
            return arg.split("=", 1)[1] or None
    return None


def encode(args: Sequence[str]) -> bytes:
    """The message that carries ``args``."""
    return json.dumps({"args": list(args)}).encode() + b"\n"


def hand_over(name: str, args: Sequence[str], timeout_ms: int = HANDOVER_TIMEOUT_MS) -> bool:
    """Give ``args`` to the window listening on ``name``.

    Returns:
        True when a running window took them (this process should exit), False
        when none answers (this process opens the window).
    """
    if sys.platform == "win32":
        return _hand_over_qt(name, args, timeout_ms)
    try:
        # In a shared temporary folder another user could have put a socket there
        # first: talk only to one of our own.
        if os.lstat(name).st_uid != os.getuid():
            return False
    except OSError:
        return False
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(timeout_ms / 1000)
    try:
        client.connect(name)
        client.sendall(encode(args))
        answer = b""
        while len(answer) < len(ACK):
            chunk = client.recv(16)
            if not chunk:
                break
            answer += chunk
        return answer.startswith(ACK)
    except OSError:  # no socket, a stale one (refused), or no answer in time
        return False
    finally:
        client.close()


def _hand_over_qt(name: str, args: Sequence[str], timeout_ms: int) -> bool:
    from PySide6.QtNetwork import QLocalSocket

    client = QLocalSocket()
    client.connectToServer(name)
    if not client.waitForConnected(timeout_ms):
        return False
    client.write(encode(args))
    answer = b""
    if client.waitForBytesWritten(timeout_ms):
        while len(answer) < len(ACK) and client.waitForReadyRead(timeout_ms):
            answer += bytes(client.readAll().data())
    client.disconnectFromServer()
    return answer.startswith(ACK)
