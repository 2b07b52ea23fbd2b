"""The sandbox's HTTP server: 127.0.0.1 only, on the profile's port, in its own thread."""

from __future__ import annotations

import errno
import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ..core.headers import HeaderValueError, header_items, header_value
from .app import SandboxApp
from .context import Context
from .device_codes import DeviceCodes
from .endpoints import OAuthEndpoints
from .errors import SandboxAlreadyServedError, SandboxError, SandboxPortInUseError
from .instance import ServeLock, Settings, sandbox_folder
from .keys import SigningKey
from .quota import RateLimiter
from .sessions import Sessions
from .store import Store
from .validator import SandboxValidator
from .web import JSON_CSP, SECURITY_HEADERS, WebRequest, WebResponse, error_json

log = logging.getLogger(__name__)
# oauthlib logs codes and tokens at DEBUG; keep it quiet whatever the root level.
logging.getLogger("oauthlib").setLevel(logging.WARNING)

HOST = "127.0.0.1"  # never the wildcard address: nothing off this computer may reach it
MAX_BODY = 64 * 1024
#: API calls allowed per user, and the window they are counted in (seconds).
DEFAULT_RATE_LIMIT: tuple[int, float] = (60, 60.0)
#: Seconds a device must wait between polls (RFC 8628 §3.2).
DEFAULT_DEVICE_INTERVAL = 5


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() must not wait for an idle browser connection
    request_queue_size = 64
    # POSIX: SO_REUSEADDR lets a restart reuse the port while old connections sit
    # in TIME_WAIT, and still fails while anyone else listens there. On Windows it
    # would let two servers share the port, so it is replaced by exclusive use.
    allow_reuse_address = os.name == "posix"

    app: SandboxApp
    issuer: str
    host_header: str

    def server_bind(self) -> None:
        exclusive = getattr(socket, "SO_EXCLUSIVEADDRUSE", None)  # Windows only
        if exclusive is not None:
            self.socket.setsockopt(socket.SOL_SOCKET, exclusive, 1)
        super().server_bind()


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.0"  # one request per connection: nothing idles open
    timeout = 10  # a stalled client gives up its thread after this many seconds

    def version_string(self) -> str:
        return "desktop-oauth-sandbox"

    def do_GET(self) -> None:  # http.server's naming
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _refuse(self) -> None:
        self._send(error_json(405, "invalid_request", "Only GET and POST are served here."))

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _refuse

    def _serve(self, method: str) -> None:
        path = self.path.partition("?")[0]
        try:
            response = self._answer(method)
            header_items(response.headers)  # refused here, before a byte is sent
        except HeaderValueError:
            # A header built from request text (a redirect target) held CR/LF:
            # never sent, whatever the handler that built it (response splitting).
            response = error_json(400, "invalid_request", "The request cannot be answered.")
        except Exception as exc:
            # Exception messages may quote the query or body (codes, tokens): log
            # the path, the exception's type and where it happened, never its text.
            log.error(
                "sandbox: %s %s failed with %s:\n%s",
                method,
                path,
                type(exc).__name__,
                "".join(traceback.format_tb(exc.__traceback__)),
            )
            response = error_json(500, "server_error", "The sandbox provider had a problem.")
        self._send(response)

    def _answer(self, method: str) -> WebResponse:
        # A page loaded through another host name (DNS rebinding) is refused.
        # Exactly one Host header: with two, a check of the first alone can be
        # passed while a proxy or the browser heeds the other (RFC 9112 §3.2).
        if self.headers.get_all("Host") != [self.server.host_header]:
            return error_json(
                421, "invalid_request", f"Address this server as {self.server.issuer}."
            )
        path, _, query = self.path.partition("?")
        if not path.startswith("/"):
            return error_json(400, "invalid_request", "Malformed request target.")
        if self.headers.get("Transfer-Encoding"):
            return error_json(411, "invalid_request", "Send a Content-Length.")
        length_text = self.headers.get("Content-Length") or "0"
        if not length_text.isdigit():
            return error_json(400, "invalid_request", "Malformed Content-Length.")
        length = int(length_text)
        if length > MAX_BODY:
            return error_json(413, "invalid_request", "The request body is too large.")
        body = self.rfile.read(length) if length else b""
        request = WebRequest(
            method=method,
            path=path,
            query=query,
            headers=dict(self.headers.items()),
            body=body,
            issuer=self.server.issuer,
        )
        return self.server.app.handle(request)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # http.server's own answers (bad request line, 414, 431, 501) get the same
        # JSON body and headers as every other answer, CSP and X-Frame-Options
        # included; message/explain are never reflected (they quote the request).
        self.close_connection = True
        self.request_version = "HTTP/1.0"  # HTTP/0.9 lines would drop the headers
        try:
            reason = HTTPStatus(code).phrase
        except ValueError:
            reason = "Error"
        self._send(error_json(code, "invalid_request", f"{reason}."))

    def _send(self, response: WebResponse) -> None:
        # http.server writes no status line or headers for "HTTP/0.9" requests: every
        # answer gets them, security headers included (found by tests/fuzz).
        self.request_version = "HTTP/1.0"
        self.send_response(response.status)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers:
            self.send_header(name, value)
        if response.header("Content-Security-Policy") is None:
            self.send_header("Content-Security-Policy", JSON_CSP)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if getattr(self, "command", None) != "HEAD":
            self.wfile.write(response.body)

    def send_header(self, keyword: str, value: str) -> None:
        # The one gate (core/headers.py): no header value with CR/LF reaches the wire.
        super().send_header(keyword, header_value(keyword, value))

    def end_headers(self) -> None:
        # Here rather than in _send, so http.server's own error pages get them too.
        for name, value in SECURITY_HEADERS:
            self.send_header(name, value)
        super().end_headers()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # http.server logs the request line, query included (codes, states): never that.
        # A request line it could not parse leaves command and path unset (or junk):
        # log what is safe to log, and never raise from here.
        command = getattr(self, "command", None) or ""
        path = str(getattr(self, "path", "") or "").partition("?")[0]
        log.debug(
            "sandbox: %s %s -> %s",
            command if command.isalpha() else "?",
            path[:64] if path.isprintable() else "?",
            code,
        )

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: http.server would write the raw request line to stderr."""


class SandboxServer:
    """The built-in provider of one profile, serving on 127.0.0.1 in a daemon thread.

    Args:
        home: The profile folder; the sandbox keeps its files in ``home/sandbox``.
        access_token_ttl: Access token lifetime in seconds.
        rate_limit: API calls allowed per user, and the window in seconds.
        device_interval: Seconds a device must wait between polls (RFC 8628 §3.2).
        device_code_ttl: Seconds a device code stays valid.
        clock: Wall-clock seconds (tests pass their own).
        poll_interval: How often the serving thread looks for :meth:`stop`, which
            waits up to this long (tests pass a shorter one).

    ``issuer`` and ``port`` are known once :meth:`start` returned.
    """

    def __init__(
        self,
        home: Path,
        *,
        access_token_ttl: int = 3600,
        rate_limit: tuple[int, float] = DEFAULT_RATE_LIMIT,
        device_interval: int = DEFAULT_DEVICE_INTERVAL,
        device_code_ttl: int = 600,
        clock: Callable[[], float] = time.time,
        poll_interval: float = 0.1,
    ) -> None:
        self.home = home
        self.folder = sandbox_folder(home)
        self.access_token_ttl = access_token_ttl
        self.rate_limit = rate_limit
        self.device_interval = device_interval
        self.device_code_ttl = device_code_ttl
        self._clock = clock
        self._poll_interval = poll_interval
        self.issuer = ""
        self.port = 0
        self._lock = ServeLock(self.folder / "serve.lock")
        self._httpd: _HTTPServer | None = None
        self._store: Store | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"SandboxServer(issuer={self.issuer!r}, folder={str(self.folder)!r})"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Bind the profile's port and serve in a daemon thread.

        Raises:
            SandboxPortInUseError: another program holds the profile's port.
            SandboxAlreadyServedError: another process serves this profile's sandbox.
            SandboxError: the folder, key or database cannot be used.
        """
        if self._httpd is not None:
            return
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            if os.name == "posix" and self.folder.stat().st_mode & 0o077:
                self.folder.chmod(0o700)  # the database and key are nobody else's business
        except OSError as exc:
            raise SandboxError(
                f"Cannot create the sandbox folder {self.folder}: {exc.strerror}."
            ) from None
        if not self._lock.acquire():
            raise SandboxAlreadyServedError(
                "Another window or command of desktop-oauth already runs this profile's "
                "sandbox provider."
            )
        try:
            self._start_locked()
        except BaseException:
            self._teardown()
            raise

    def _start_locked(self) -> None:
        settings = Settings.read_or_new(self.folder)
        self._httpd = self._bind(settings)
        self.port = int(self._httpd.server_address[1])
        if settings.port != self.port:
            Settings(port=self.port, instance=settings.instance).save(self.folder)
        self.issuer = f"http://{HOST}:{self.port}"
        key = SigningKey.load_or_create(self.folder / "signing-key.pem")
        self._store = store = Store(self.folder / "sandbox.db")
        store.purge_expired_codes(self._clock())
        devices = DeviceCodes(store)
        validator = SandboxValidator(store, devices, key, self.issuer, self._clock)
        oauth = OAuthEndpoints(
            validator,
            key,
            devices,
            issuer=self.issuer,
            instance=settings.instance,
            access_token_ttl=self.access_token_ttl,
            device_interval=self.device_interval,
            device_code_ttl=self.device_code_ttl,
            clock=self._clock,
        )
        limit, window = self.rate_limit
        ctx = Context(
            issuer=self.issuer,
            store=store,
            devices=devices,
            sessions=Sessions(f"sandbox_session_{self.port}", self._clock),
            oauth=oauth,
            quota=RateLimiter(store, limit, window, self._clock),
            clock=self._clock,
        )
        self._httpd.app = SandboxApp(ctx)
        self._httpd.issuer = self.issuer
        self._httpd.host_header = f"{HOST}:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": self._poll_interval},
            name=f"sandbox-provider-{self.port}",
            daemon=True,
        )
        self._thread.start()
        log.info("sandbox provider serving at %s", self.issuer)

    def _bind(self, settings: Settings) -> _HTTPServer:
        try:
            return _HTTPServer((HOST, settings.port or 0), _Handler)
        except OSError as exc:
            if settings.port and exc.errno in (errno.EADDRINUSE, errno.EACCES):
                raise SandboxPortInUseError(
                    settings.port, str(Settings.path(self.folder))
                ) from None
            raise SandboxError(
                f"The sandbox provider could not listen on {HOST}: {exc.strerror}."
            ) from None

    def stop(self) -> None:
        """Stop serving and free the port (well within a second); idempotent."""
        if self._httpd is not None and self._thread is not None:
            self._httpd.shutdown()  # returns once serve_forever has left its loop
        self._teardown()

    def _teardown(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.server_close()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=2)
        store, self._store = self._store, None
        if store is not None:
            store.close()
        self._lock.release()

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
