"""A server on 127.0.0.1 that answers one byte at a time (a slowloris provider)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time


class DrippingServer:
    """Every connection gets ``head`` then ``body``, one byte every ``interval``
    seconds, each byte well within any read timeout. ``drip_head`` drips the
    status line and headers too. ``sent`` counts the bytes sent so far, over all
    connections; :meth:`wait_sent` waits for a number of them."""

    def __init__(self, body: bytes, *, interval: float = 0.2, drip_head: bool = False) -> None:
        self.body = body
        self.interval = interval
        self.drip_head = drip_head
        self.connections = 0
        self.sent = 0
        self._progress = threading.Condition()
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.01)  # how long __exit__ waits for the accept loop
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> DrippingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        head = (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(self.body)}\r\n\r\n".encode()
        )
        with conn, contextlib.suppress(OSError):
            conn.settimeout(5)
            _read_request(conn)
            if not self.drip_head:
                conn.sendall(head)
            for byte in (head if self.drip_head else b"") + self.body:
                if self._stop.is_set():
                    return
                conn.sendall(bytes([byte]))
                with self._progress:
                    self.sent += 1
                    self._progress.notify_all()
                time.sleep(self.interval)

    def wait_sent(self, count: int, timeout: float) -> bool:
        """Whether ``count`` bytes have been sent, waiting up to ``timeout`` seconds."""
        with self._progress:
            return self._progress.wait_for(lambda: self.sent >= count, timeout)


def _read_request(conn: socket.socket) -> None:
    """Read the whole request, body included: closing a socket with unread bytes
    sends a reset, which can reach the client before the answer does."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip() or 0)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return
        body += chunk
