"""One window per user and profile: a second launch hands its arguments to the
first over a local socket and exits.

The socket name is derived from the user and the profile folder, so two users,
or two profiles (``DESKTOP_OAUTH_HOME``) of one user, each get their own window.
The server only accepts connections from the same user
(``QLocalServer.SocketOption.UserAccessOption``).

The message is one line of JSON, ``{"args": [...]}``; the answer is ``ok``. The
arguments are the command line of the second launch and are read as data: only
``--connect PROVIDER`` means anything (see :func:`connect_request`).
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QAbstractSocket, QLocalServer, QLocalSocket

from .. import APP_NAME

log = logging.getLogger(__name__)

#: Longest message read from another launch; anything longer is refused.
MAX_MESSAGE = 64 * 1024
#: How long a second launch waits for the first to answer, in milliseconds.
HANDOVER_TIMEOUT_MS = 500
ACK = b"ok\n"


def server_name(home: Path, user: str | None = None) -> str:
    """The local socket name of the profile in ``home`` for ``user``."""
    who = user if user is not None else _current_user()
    digest = hashlib.sha256(f"{who}\0{home.resolve()}".encode()).hexdigest()[:20]
    return f"{APP_NAME}-{digest}"


def _current_user() -> str:
    uid = getattr(os, "getuid", None)
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME
        name = ""
    return f"{name}:{uid() if uid else ''}"


def connect_request(args: Sequence[str]) -> str | None:
    """The provider that ``--connect PROVIDER`` (or ``--connect=PROVIDER``) names, if any."""
    for index, arg in enumerate(args):
        if arg == "--connect" and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--connect="):
            return arg.split("=", 1)[1] or None
    return None


def hand_over(name: str, args: Sequence[str], timeout_ms: int = HANDOVER_TIMEOUT_MS) -> bool:
    """Give ``args`` to the instance listening on ``name``.

    Returns:
        True when a running instance took them (this process should exit), False
        when none answers (this process becomes the instance).
    """
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(json.dumps({"args": list(args)}).encode() + b"\n")
    taken = False
    if socket.waitForBytesWritten(timeout_ms):
        answer = b""
        while len(answer) < len(ACK) and socket.waitForReadyRead(timeout_ms):
            answer += bytes(socket.readAll().data())
        taken = answer.startswith(ACK)
    socket.disconnectFromServer()
    return taken


class SingleInstance(QObject):
    """Listens for later launches of the same profile.

    Signals:
        launched(list): the arguments of a later launch (a list of str).
    """

    launched = Signal(list)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)

    def listen(self) -> bool:
        """Start listening. A socket file left by a killed instance is removed
        first, once no one answers on it. Returns False if listening failed."""
        if self._server.listen(self.name):
            return True
        if self._server.serverError() == QAbstractSocket.SocketError.AddressInUseError:
            probe = QLocalSocket()
            probe.connectToServer(self.name)
            if probe.waitForConnected(HANDOVER_TIMEOUT_MS):
                probe.disconnectFromServer()
                return False  # alive: another instance started meanwhile
            log.info("removing a stale instance socket")
            QLocalServer.removeServer(self.name)
            if self._server.listen(self.name):
                return True
        log.warning("cannot listen for other launches: %s", self._server.errorString())
        return False

    def close(self) -> None:
        """Stop listening and remove the socket."""
        self._server.close()

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            connection = self._server.nextPendingConnection()
            buffer = bytearray()

            def read(connection: QLocalSocket = connection, buffer: bytearray = buffer) -> None:
                buffer.extend(bytes(connection.readAll().data()))
                if len(buffer) > MAX_MESSAGE:
                    connection.abort()
                    return
                if b"\n" in buffer:
                    line = bytes(buffer).split(b"\n", 1)[0]
                    connection.write(ACK)
                    connection.flush()
                    connection.disconnectFromServer()
                    self._deliver(line)

            connection.readyRead.connect(read)
            connection.disconnected.connect(connection.deleteLater)
            if connection.bytesAvailable():
                read()

    def _deliver(self, line: bytes) -> None:
        try:
            message = json.loads(line)
        except ValueError:
            log.warning("ignored a malformed message from another launch")
            return
        args = message.get("args") if isinstance(message, dict) else None
        if isinstance(args, list) and all(isinstance(a, str) for a in args):
            self.launched.emit(args)
        else:
            log.warning("ignored a malformed message from another launch")
