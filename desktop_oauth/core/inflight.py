"""Calls in flight: one overall deadline per provider request, and Cancel.

requests' (connect, read) timeouts bound each socket operation, not the
request: a server that drips one byte every few seconds never trips the read
timeout, and with a 1 MB cap an answer could take days (docs/security.md,
finding 5). Each call sent through :func:`desktop_oauth.core.http.send` is an
:class:`InFlight`: a timer aborts it at its deadline, and a
:class:`Cancellation` (the person pressing Cancel) aborts every call made in
its :meth:`Cancellation.scope`. Aborting shuts the call's socket down, which
ends any blocked read at once.

The sockets are found through the connection pools of :class:`TrackingAdapter`,
which :class:`~desktop_oauth.core.http.ProviderSession` mounts; the call being
sent on this thread is known through a thread-local, so nothing has to be
passed down through discovery, the token exchange or the userinfo call.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any, Literal

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

AbortReason = Literal["deadline", "cancelled"]

_local = threading.local()


def _shut(connection: Any) -> None:
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


class InFlight:
    """One request: its connections, and why it was aborted (if it was)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: list[Any] = []
        self.reason: AbortReason | None = None

    def attach(self, connection: Any) -> None:
        with self._lock:
            self._connections.append(connection)
            aborted = self.reason is not None
        if aborted:
            _shut(connection)

    def abort(self, reason: AbortReason) -> None:
        """End the call now, from any thread; the first reason given is kept."""
        with self._lock:
            if self.reason is None:
                self.reason = reason
            connections = list(self._connections)
        for connection in connections:
            _shut(connection)

    @staticmethod
    def current() -> InFlight | None:
        call: InFlight | None = getattr(_local, "call", None)
        return call

    @contextlib.contextmanager
    def sending(self, deadline_seconds: float) -> Iterator[InFlight]:
        """Make this the call of this thread, and abort it after ``deadline_seconds``."""
        scope = Cancellation.current()
        if scope is not None:
            scope._add(self)
        timer = threading.Timer(deadline_seconds, self.abort, args=("deadline",))
        timer.daemon = True
        timer.start()
        previous, _local.call = getattr(_local, "call", None), self
        try:
            yield self
        finally:
            _local.call = previous
            timer.cancel()
            if scope is not None:
                scope._remove(self)


class Cancellation:
    """Cancel for a group of calls: every call sent inside :meth:`scope` (on the
    thread that entered it) is aborted by :meth:`cancel`, from any thread, and so
    is every later one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: set[InFlight] = set()
        self.cancelled = False

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            calls = list(self._calls)
        for call in calls:
            call.abort("cancelled")

    @contextlib.contextmanager
    def scope(self) -> Iterator[Cancellation]:
        previous, _local.scope = getattr(_local, "scope", None), self
        try:
            yield self
        finally:
            _local.scope = previous

    @staticmethod
    def current() -> Cancellation | None:
        scope: Cancellation | None = getattr(_local, "scope", None)
        return scope

    def _add(self, call: InFlight) -> None:
        with self._lock:
            self._calls.add(call)
            cancelled = self.cancelled
        if cancelled:
            call.abort("cancelled")

    def _remove(self, call: InFlight) -> None:
        with self._lock:
            self._calls.discard(call)


class _Tracked:
    """Mixed into urllib3's connections: an abort that came while connecting
    shuts the socket as soon as it exists."""

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        call = InFlight.current()
        if call is not None and call.reason is not None:
            _shut(self)


class _HTTPConnection(_Tracked, HTTPConnection):
    pass


class _HTTPSConnection(_Tracked, HTTPSConnection):
    pass


class _Pool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection

    def _make_request(self, conn: Any, *args: Any, **kwargs: Any) -> Any:
        call = InFlight.current()
        if call is not None:
            call.attach(conn)
        return super()._make_request(conn, *args, **kwargs)


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection

    def _make_request(self, conn: Any, *args: Any, **kwargs: Any) -> Any:
        call = InFlight.current()
        if call is not None:
            call.attach(conn)
        return super()._make_request(conn, *args, **kwargs)


class TrackingAdapter(HTTPAdapter):
    """requests' adapter whose pools let :class:`InFlight` find a call's socket."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _HTTPSPool}
