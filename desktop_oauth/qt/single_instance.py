"""One window per user and profile: the running window's side. A later launch
hands its arguments over (:mod:`desktop_oauth.qt.handover`) and exits.

The socket name is derived from the user and the profile folder, so two users,
or two profiles (``DESKTOP_OAUTH_HOME``) of one user, each get their own window.
The server only accepts connections from the same user
(``QLocalServer.SocketOption.UserAccessOption``). The arguments are read as
data: only ``--connect PROVIDER`` means anything (``handover.connect_request``).
"""

from __future__ import annotations

import json
import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QAbstractSocket, QLocalServer, QLocalSocket

from .handover import ACK, HANDOVER_TIMEOUT_MS

log = logging.getLogger(__name__)

#: Longest message read from another launch; anything longer is refused.
MAX_MESSAGE = 64 * 1024


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
