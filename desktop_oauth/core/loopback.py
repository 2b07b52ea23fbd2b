"""One-shot loopback HTTP receiver that catches the OAuth redirect.

RFC 8252 §7.3: a native app listens on the loopback interface on a port of its
choosing and puts that port in ``redirect_uri``; §8.3: it binds the literal
``127.0.0.1`` (never ``localhost``), so nothing off the machine can reach it.
The receiver serves until the first callback whose ``state`` matches, answers
every other request with a small error page, then closes the port.
"""

from __future__ import annotations

import contextlib
import errno
import hmac
import logging
import secrets
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple, cast
from urllib.parse import parse_qsl

from . import loopback_pages as pages
from .errors import (
    ConfigurationError,
    FlowCancelledError,
    FlowTimeoutError,
    PortUnavailableError,
    ReceiverError,
)
from .flow_log import Step
from .headers import header_value
from .redaction import incoming_exchange

if TYPE_CHECKING:
    from .flow_log import OperationRecorder

_log = logging.getLogger(__name__)

_HOST = "127.0.0.1"  # RFC 8252 §8.3: the IP literal, never "localhost"
_MAX_REQUEST_LINE = 8 * 1024  # a redirect never needs more; http.server allows 64 KiB
_MAX_FIELDS = 32
_POLL_SECONDS = 0.05  # how often wait() looks at cancel() and the deadline
_DRAIN_SECONDS = 0.25
#: Connections served at once. Beyond this the oldest one still sending its request
#: head is dropped: a flood of slow connections cannot hold a thread each, and the
#: browser's callback, which arrives whole, is never the one waiting.
MAX_CONNECTIONS = 32

_Answer = tuple[int, bytes, dict[str, str] | None]  # status, page, params if accepted
_BAD_REQUEST: _Answer = (HTTPStatus.BAD_REQUEST, pages.status_page(HTTPStatus.BAD_REQUEST), None)


class _Expected(NamedTuple):
    state: str
    issuer: str | None
    require_iss: bool


class _Handler(BaseHTTPRequestHandler):
    """Answers one request per connection; all decisions are the receiver's."""

    server_version = "desktop-oauth"
    sys_version = ""
    raw_requestline: bytes
    target = ""  # the request target exactly as sent
    accepted = False  # this request is the one callback the sign-in uses
    began = 0.0
    started_at = 0.0

    @property
    def _receiver(self) -> LoopbackReceiver:
        return cast(_Server, self.server).receiver

    def setup(self) -> None:
        self.began, self.started_at = time.monotonic(), time.time()
        super().setup()
        # Per-connection timeout: a stalled client only ties up its own thread.
        self.connection.settimeout(self._receiver._socket_timeout)

    def parse_request(self) -> bool:
        if len(self.raw_requestline) > _MAX_REQUEST_LINE:
            self.command, self.request_version, self.requestline = "", "HTTP/1.0", ""
            self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
            return False
        if not super().parse_request():  # answers 400/414/431 itself, via send_error
            return False
        cast(_Server, self.server).head_received(self.connection)
        # http.server turns a leading "//callback" into "/callback"; the exact
        # target as sent is what must match (RFC 8252 §8.10, exact redirect_uri).
        words = self.requestline.split()
        self.target = words[1] if len(words) == 3 else ""
        # DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends its own Host.
        if self.headers.get_all("Host") != [self._receiver.authority]:
            self.send_error(HTTPStatus.MISDIRECTED_REQUEST)
            return False
        if self.command != "GET":  # the redirect is always a GET (RFC 6749 §4.1.2)
            self.send_error(HTTPStatus.METHOD_NOT_ALLOWED)
            return False
        return True

    def do_GET(self) -> None:
        location = self._receiver._shared_target(self.target)
        if location is not None:
            self._send_page(
                HTTPStatus.SEE_OTHER,
                pages.status_page(HTTPStatus.SEE_OTHER),
                drain=True,
                location=location,
            )
            return
        status, page, params = self._receiver._evaluate(self.target)
        self.accepted = params is not None
        try:
            self._send_page(status, page, drain=params is None)
        finally:
            if params is not None:
                self._receiver._deliver(params)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # Never reflect message/explain: http.server puts the request line (code, state) there.
        self._send_page(code, pages.status_page(code), drain=True)

    def send_header(self, keyword: str, value: str) -> None:
        # The one gate (core/headers.py): no header value with CR/LF reaches the wire.
        super().send_header(keyword, header_value(keyword, value))

    def _send_page(
        self, status: int, page: bytes, *, drain: bool, location: str | None = None
    ) -> None:
        self.close_connection = True
        # http.server leaves "HTTP/0.9" on unparsable request lines, which would drop the
        # status line and headers; every answer gets them (docs/security.md (a)12).
        self.request_version = "HTTP/1.0"
        self.send_response(status)
        for name, value in pages.HEADERS:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(page)))
        if status == HTTPStatus.METHOD_NOT_ALLOWED:
            self.send_header("Allow", "GET")
        if location is not None:
            self.send_header("Location", location)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(page)
        self._receiver._record(self, status, location, len(page))
        if drain:
            # Read what the client still sends so closing sends FIN, not RST, and the
            # client gets to read the answer.
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_WR)
                self.connection.settimeout(_POLL_SECONDS)
                end = time.monotonic() + _DRAIN_SECONDS
                while time.monotonic() < end and self.connection.recv(65536):
                    pass

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Method and path only: the query holds the code and state (docs/security.md (a)27).
        method = self.command if (self.command or "").isalpha() else "?"
        path = getattr(self, "path", "").partition("?")[0][:64]
        _log.debug("loopback %s %s -> %s", method, path, code)

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: http.server would write the request line to stderr."""


class _Server(ThreadingHTTPServer):
    # HTTPServer sets True; docs/security.md (a)3 wants an exclusive bind.
    allow_reuse_address = False
    allow_reuse_port = False
    daemon_threads = True
    request_queue_size = 64
    timeout = _POLL_SECONDS

    def __init__(self, host: str, port: int, receiver: LoopbackReceiver) -> None:
        self.receiver = receiver
        self._slots = threading.Lock()
        #: Connections whose request head is still arriving, oldest first.
        self._reading: dict[Any, None] = {}
        self._active = 0
        self._fixed_port = port != 0
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._slots:
            if self._active >= MAX_CONNECTIONS and self._reading:
                oldest = next(iter(self._reading))
                del self._reading[oldest]
                with contextlib.suppress(OSError):
                    oldest.shutdown(socket.SHUT_RDWR)  # its thread ends at once
            self._active += 1
            self._reading[request] = None
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._slots:
                self._active -= 1
                self._reading.pop(request, None)

    def head_received(self, request: Any) -> None:
        """The request head is complete: this connection is no longer dropped first."""
        with self._slots:
            self._reading.pop(request, None)

    def server_bind(self) -> None:
        exclusive = getattr(socket, "SO_EXCLUSIVEADDRUSE", None)  # Windows only
        if exclusive is not None:
            self.socket.setsockopt(socket.SOL_SOCKET, exclusive, 1)
        elif self._fixed_port:
            # A registered port is used again at the next sign-in, while the last
            # connection of ours on it may still sit in TIME_WAIT (RFC 9293 §3.6.1).
            # On POSIX, SO_REUSEADDR lets the bind through in that case only: a port
            # another program *listens* on still fails with EADDRINUSE. Windows'
            # SO_REUSEADDR would let another listener share the port, so it is never
            # set there; SO_EXCLUSIVEADDRUSE (above) already allows TIME_WAIT.
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Skip HTTPServer.server_bind: its getfqdn() is a needless reverse DNS lookup.
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.socket.getsockname()[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that resets or times out: no traceback on stderr, nothing from the URL.
        _log.debug("loopback connection dropped (%s)", type(sys.exc_info()[1]).__name__)


class LoopbackReceiver:
    """Listen on ``127.0.0.1`` for the one authorization response of a sign-in.

    Args:
        port: 0 for an ephemeral port (RFC 8252 §7.3), or a fixed registered port.
        path: The exact callback path of ``redirect_uri``.
        deadline_seconds: How long :meth:`wait` waits, counted from its start.
        socket_timeout: Per-connection read/write timeout.
        clock: Monotonic clock for the deadline.
        recorder: The sign-in's flow log, which each answered request is added
            to (redacted) from the connection's own thread.

    Raises:
        PortUnavailableError: The port is taken; raised before any browser opens.
        ConfigurationError: ``path`` or a number is unusable.
    """

    def __init__(
        self,
        *,
        port: int = 0,
        path: str = "/callback",
        host: str = _HOST,
        deadline_seconds: float = 300.0,
        socket_timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        recorder: OperationRecorder | None = None,
    ) -> None:
        if not (path.startswith("/") and path.isascii() and path.isprintable()) or any(
            c in path for c in "?# "
        ):
            raise ConfigurationError(f"The callback path {path!r} is not a plain URL path.")
        if not 0 <= port <= 65535 or deadline_seconds <= 0 or socket_timeout <= 0:
            raise ConfigurationError("The loopback port, deadline or timeout is out of range.")
        if host not in (_HOST, "::1"):  # RFC 8252 §7.3: the loopback IP literals only
            raise ConfigurationError(f"The loopback address {host!r} is not 127.0.0.1 or ::1.")
        self._host = host
        self._path = path
        self._deadline_seconds = deadline_seconds
        self._socket_timeout = socket_timeout
        self._clock = clock
        self._recorder = recorder
        self._lock = threading.Lock()
        self._cancelled = threading.Event()
        self._done = threading.Event()
        self._idle = threading.Event()  # set while no wait() is serving
        self._idle.set()
        self._waiting = self._used = self._closed = self._claimed = False
        self._expected: _Expected | None = None
        self._result: dict[str, str] | None = None
        self._share_path = f"/start/{secrets.token_urlsafe(16)}"
        if recorder is not None:  # the link leads to the authorization URL: not to be shown
            recorder.secrets.add("local link", self._share_path.removeprefix("/start/"))
        self._shared: str | None = None
        try:
            self._server = _Server(host, port, self)
        except OSError as exc:
            reason = "is already in use by another program"
            if exc.errno not in (errno.EADDRINUSE, 10013, 10048):  # 100xx: Windows WSA codes
                reason = f"cannot be used ({exc.strerror or exc})"
            raise PortUnavailableError(
                f"Port {port} on {host} {reason}, so desktop-oauth cannot receive the "
                "sign-in. Close that program or choose another port."
            ) from exc
        self._port = int(self._server.server_port)

    @property
    def port(self) -> int:
        """The port actually bound."""
        return self._port

    @property
    def authority(self) -> str:
        """``host:port`` as a browser sends it in ``Host`` (IPv6 in brackets)."""
        shown = f"[{self._host}]" if ":" in self._host else self._host
        return f"{shown}:{self._port}"

    @property
    def redirect_uri(self) -> str:
        """The redirect URI to register and send, with the real port."""
        return f"http://{self.authority}{self._path}"

    def shareable_url(self, target: str) -> str:
        """A link to this receiver that sends the browser on to ``target``.

        For "Copy link": the clipboard gets ``http://127.0.0.1:PORT/start/<random>``
        instead of the authorization URL with its ``state``. It works only on this
        computer and only while :meth:`wait` serves; afterwards the port is closed
        (docs/security.md, finding 9).
        """
        self._shared = target
        return f"http://{self.authority}{self._share_path}"

    def wait(
        self, *, state: str, issuer: str | None = None, require_iss: bool = False
    ) -> dict[str, str]:
        """Serve until the callback whose ``state`` matches, then close the port.

        The matching callback is the only one used (RFC 6749 §10.12, RFC 9700 §4.2.4).
        It is returned even when it carries ``error`` or a wrong ``iss``: the
        browser then shows a failure page, and the caller raises
        AuthorizationDeniedError or IssuerMismatchError from the parameters.
        ``iss`` is compared only when ``issuer`` is given (RFC 9207 §2.4).

        Args:
            state: The state sent in the authorization request.
            issuer: The expected ``iss``, compared by exact string.
            require_iss: Treat a missing ``iss`` as a mismatch.

        Returns:
            The callback's query parameters, each single-valued.

        Raises:
            FlowTimeoutError: No matching callback before the deadline.
            FlowCancelledError: :meth:`cancel` or :meth:`close` was called.
            ReceiverError: This receiver was already used.
        """
        if not state:
            raise ConfigurationError("The expected state is empty.")
        with self._lock:
            if self._used:
                raise ReceiverError("This sign-in receiver was already used; start again.")
            self._used = True
            if not self._cancelled.is_set():
                self._expected = _Expected(state, issuer, require_iss)
                self._waiting = True
                self._idle.clear()
        try:
            deadline = self._clock() + self._deadline_seconds
            while not self._done.is_set():
                if self._cancelled.is_set():
                    raise FlowCancelledError("The sign-in was cancelled.")
                if self._clock() >= deadline and not self._claimed:
                    raise FlowTimeoutError(
                        "No answer came back from the browser in time. Please try again."
                    )
                self._server.handle_request()  # returns within _POLL_SECONDS
            assert self._result is not None
            return dict(self._result)
        finally:
            with self._lock:
                self._waiting = False
                self._close_locked()
                self._idle.set()

    def cancel(self) -> None:
        """Stop waiting; safe from any thread. :meth:`wait` raises within ~0.05 s."""
        with self._lock:
            self._cancelled.set()
            if not self._waiting:
                self._close_locked()

    def close(self) -> None:
        """Free the port; idempotent and safe from any thread.

        During :meth:`wait` on another thread it cancels that wait and returns once
        the port is closed (within ~0.1 s; docs/security.md (a)30: quitting frees the port).
        """
        self.cancel()
        self._idle.wait(timeout=2.0)

    def __enter__(self) -> LoopbackReceiver:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _close_locked(self) -> None:
        if not self._closed:
            self._closed = True
            self._server.server_close()

    def _record(self, handler: _Handler, status: int, location: str | None, length: int) -> None:
        """Add the answered request to the sign-in's flow log, redacted; the accepted
        callback ends the authorize step and opens the callback step (RFC 6749 §4.1.2).
        Runs on the connection's thread: the recorder was passed in, not looked up."""
        recorder = self._recorder
        if recorder is None:
            return
        try:
            headers = list(handler.headers.items()) if getattr(handler, "headers", None) else []
            answered = [*pages.HEADERS, ("Content-Length", str(length))]
            if location is not None:
                answered.append(("Location", location))
            exchange = incoming_exchange(
                method=handler.command if (handler.command or "").isalpha() else "?",
                target=handler.target or getattr(handler, "path", "") or "",
                authority=self.authority,
                status=status,
                request_headers=headers,
                response_headers=answered,
                started_at=handler.started_at,
                duration=time.monotonic() - handler.began,
                known=recorder.secrets,
            )
        except Exception as failure:  # the record is for people; the answer went out
            _log.debug("loopback request not recorded (%s)", type(failure).__name__)
            return
        if handler.accepted:
            recorder.done(Step.AUTHORIZE)
            recorder.begin(Step.CALLBACK)
        recorder.add_exchange(exchange)

    def _shared_target(self, target: str) -> str | None:
        """Where ``GET target`` redirects to, if it is this receiver's shareable link."""
        if self._shared is None or not target.isascii():
            return None
        if not hmac.compare_digest(target.encode(), self._share_path.encode()):
            return None
        return self._shared

    def _evaluate(self, target: str) -> _Answer:
        """Decide the answer to ``GET target``; params are returned only for the one callback."""
        path, _, query = target.partition("#")[0].partition("?")
        if not target.isascii() or not target.isprintable():  # raw 0xFF and the like
            return _BAD_REQUEST
        if path != self._path:  # RFC 8252 §8.10: favicon and probes must not end the flow
            return HTTPStatus.NOT_FOUND, pages.status_page(HTTPStatus.NOT_FOUND), None
        try:
            pairs = parse_qsl(
                query,
                keep_blank_values=True,
                encoding="utf-8",
                errors="strict",
                max_num_fields=_MAX_FIELDS,
            )
        except ValueError:  # UnicodeDecodeError (%FF%FE) or too many fields
            return _BAD_REQUEST
        params = dict(pairs)
        if len(params) != len(pairs):  # RFC 6749 §3.1: no parameter more than once
            return _BAD_REQUEST
        expected, got = self._expected, params.get("state")
        # RFC 6749 §10.12: only the response carrying our state is ours.
        if (
            expected is None
            or got is None
            or not hmac.compare_digest(got.encode(), expected.state.encode())
        ):
            return HTTPStatus.BAD_REQUEST, pages.FOREIGN, None
        if "error" not in params and not params.get("code"):
            return _BAD_REQUEST
        with self._lock:  # two racing callbacks: exactly one is used
            if self._claimed or self._done.is_set():
                return HTTPStatus.BAD_REQUEST, pages.SPENT, None
            self._claimed = True
        iss = params.get("iss")
        # RFC 9207 §2.4: exact comparison; RFC 9700 §4.4.2 mix-up defence.
        if (iss is None and expected.require_iss) or (
            iss is not None and expected.issuer is not None and iss != expected.issuer
        ):
            return HTTPStatus.OK, pages.WRONG_ISSUER, params
        if "error" in params:  # RFC 6749 §4.1.2.1, honoured only with our state
            return HTTPStatus.OK, pages.denied_page(params), params
        return HTTPStatus.OK, pages.SUCCESS, params

    def _deliver(self, params: dict[str, str]) -> None:
        with self._lock:
            self._result = params
            self._done.set()
        # wait() sits in select() on the listening socket for up to _POLL_SECONDS;
        # an empty connection of our own wakes it now, so the callback reaches the
        # app at once instead of on the next poll.
        with contextlib.suppress(OSError):
            socket.create_connection((self._host, self._port), timeout=0.2).close()
