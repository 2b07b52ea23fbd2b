"""The HTTP plumbing shared by the stand-ins: a threaded server on 127.0.0.1
that hands each request to a handler function and records it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Request:
    """One request as the stand-in received it."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> str:
        return urlsplit(self.target).query

    def header(self, name: str) -> str | None:
        """A header by case-insensitive name."""
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    """What the stand-in answers."""

    status: int = 200
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0

    @classmethod
    def json(
        cls,
        data: Any,
        status: int = 200,
        *headers: tuple[str, str],
        content_type: str = "application/json; charset=utf-8",
    ) -> Reply:
        return cls(status, json.dumps(data).encode(), [("Content-Type", content_type), *headers])


class StandInServer:
    """Serves ``handle(request)`` on 127.0.0.1:<free port> until closed.

    Args:
        handle: Decides each answer.
        clock_offset: Seconds added to the time in the ``Date`` header, to play
            a provider whose clock differs from this computer's.
    """

    def __init__(self, handle: Callable[[Request], Reply], *, clock_offset: float = 0.0) -> None:
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    self.command, self.path, dict(self.headers.items()), self.rfile.read(length)
                )
                with outer._lock:
                    outer.requests.append(request)
                reply = handle(request)
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for key, value in reply.headers:
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_DELETE = do_PATCH = _handle

            def date_time_string(self, timestamp: float | None = None) -> str:
                return formatdate(time.time() + clock_offset, usegmt=True)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        # A short poll interval makes close() quick (shutdown waits for one poll;
        # 0.05 s was ~2 s of the unit tier).
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.01,), daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


S = TypeVar("S", bound=StandInServer)


@contextmanager
def serving(server: S) -> Iterator[S]:
    """Run ``server`` for the duration of a ``with`` block."""
    server.start()
    try:
        yield server
    finally:
        server.close()
