"""Start and stop the real OpenID provider (tests/e2e/oidc/server.mjs).

    provider = OidcProvider().start(access_token_ttl=3600)
    provider.issuer          # "http://127.0.0.1:PORT"
    provider.client_id       # "desktop-oauth-test" (public native client)
    provider.introspect(tok) # the provider's own view of any token
    provider.stop()

It fails loudly (raises) when Node.js or the npm packages are missing: the
end-to-end tests are part of the suite, never silently skipped.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import IO, Any

import requests

HERE = Path(__file__).resolve().parent
SERVER_DIR = HERE / "oidc"
SERVER_SCRIPT = SERVER_DIR / "server.mjs"

TEST_COMMAND = "bash scripts/test"  # the README's test command

CLIENT_ID = "desktop-oauth-test"
REDIRECT_URI = "http://127.0.0.1/callback"  # any port (RFC 8252 7.3)
SCOPES = ("openid", "profile", "email", "offline_access")
STRICT_CLIENT_ID = "desktop-oauth-strict"
INTROSPECTOR_ID = "desktop-oauth-introspector"
INTROSPECTOR_SECRET = "introspector-secret"

READY_TIMEOUT_S = 10.0


class OidcProviderError(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class OidcProvider:
    client_id = CLIENT_ID
    redirect_uri = REDIRECT_URI
    scopes = SCOPES

    def __init__(
        self,
        *,
        profile: str = "",
        client_secret: str = "",
        redirect_uri: str = "",
        tls: tuple[Path, Path] | None = None,
        mount: str = "",
    ) -> None:
        """``profile="strict"``: the confidential client ``desktop-oauth-strict`` with
        ``client_secret`` and the one exact ``redirect_uri`` (see server.mjs, STRICT).
        ``tls``: (certificate, key) PEM files, to serve https; ``mount``: a path such as
        ``/oidc`` that the issuer ends with."""
        self.profile = profile
        self.tls = tls
        self.mount = mount
        self.client_secret = client_secret
        if profile == "strict":
            self.client_id = STRICT_CLIENT_ID
            self.redirect_uri = redirect_uri
        self.port: int | None = None
        self.issuer: str = ""
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._discovery: dict[str, Any] | None = None
        self._http = requests.Session()

    # ------------------------------------------------------------ lifecycle

    @staticmethod
    def _check_installed() -> str:
        node = shutil.which("node")
        if node is None:
            raise OidcProviderError(
                "Node.js (`node`) is not on PATH: the end-to-end tests need it to run the "
                f"OpenID provider. Run the tests with `{TEST_COMMAND}`, which installs "
                "everything they need."
            )
        if not (SERVER_DIR / "node_modules" / "oidc-provider" / "package.json").is_file():
            raise OidcProviderError(
                f"{SERVER_DIR / 'node_modules'} has no oidc-provider: the npm packages of the "
                f"test OpenID provider are not installed. Run the tests with `{TEST_COMMAND}` "
                "(it runs `npm ci` in tests/e2e/oidc)."
            )
        return node

    def start(self, access_token_ttl: int = 3600) -> OidcProvider:
        if self._process is not None:
            raise OidcProviderError("this OidcProvider is already started")
        node = self._check_installed()
        for attempt in range(3):
            try:
                self._spawn(node, access_token_ttl)
                return self
            except OidcProviderError as exc:
                # The free port was taken between our probe and node's listen().
                if "EADDRINUSE" not in str(exc) or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _spawn(self, node: str, access_token_ttl: int) -> None:
        self.port = _free_port()
        scheme = "https" if self.tls else "http"
        self.issuer = f"{scheme}://127.0.0.1:{self.port}{self.mount}"
        env = dict(
            os.environ,
            OIDC_ACCESS_TOKEN_TTL=str(int(access_token_ttl)),
            # The provider exits when this pipe closes, so it never outlives a
            # test run that crashed before stop() ran.
            OIDC_EXIT_WITH_STDIN="1",
            OIDC_PROFILE=self.profile,
            OIDC_STRICT_SECRET=self.client_secret,
            OIDC_STRICT_REDIRECT=self.redirect_uri,
            OIDC_TLS_CERT=str(self.tls[0]) if self.tls else "",
            OIDC_TLS_KEY=str(self.tls[1]) if self.tls else "",
            OIDC_MOUNT=self.mount,
        )
        # stderr to a file: nobody drains a pipe while the tests run, and a full
        # pipe would stall the provider.
        self._stderr = tempfile.TemporaryFile(prefix="oidc-provider-stderr-")  # noqa: SIM115
        self._process = subprocess.Popen(
            # nice: the provider stands for a server elsewhere; it must not starve the
            # app under test of CPU on a small machine (the GUI-stall measurement).
            ["nice", "-n", "10", node, str(SERVER_SCRIPT), str(self.port)],
            cwd=SERVER_DIR,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        expected = f"READY {self.issuer}"
        deadline = time.monotonic() + READY_TIMEOUT_S
        buffer = b""
        with selectors.DefaultSelector() as selector:
            selector.register(self._process.stdout, selectors.EVENT_READ)
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise OidcProviderError(
                        f"the OpenID provider did not print {expected!r} within "
                        f"{READY_TIMEOUT_S:.0f} s.\nstdout: {buffer.decode(errors='replace')}\n"
                        f"stderr:\n{self.stderr_text()}"
                    )
                if not selector.select(timeout=remaining):
                    continue
                chunk = os.read(self._process.stdout.fileno(), 4096)
                if not chunk:
                    code = self._process.wait(timeout=5)
                    raise OidcProviderError(
                        f"the OpenID provider exited (code {code}) before it was ready.\n"
                        f"stdout: {buffer.decode(errors='replace')}\n"
                        f"stderr:\n{self.stderr_text()}"
                    )
                buffer += chunk
                lines = buffer.decode(errors="replace").splitlines()
                if expected in (line.strip() for line in lines):
                    return

    def stderr_text(self) -> str:
        if self._stderr is None:
            return ""
        try:
            self._stderr.seek(0)
            return self._stderr.read().decode(errors="replace")
        except (OSError, ValueError):
            return ""

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)
            for pipe in (process.stdin, process.stdout):
                if pipe is not None:
                    with contextlib.suppress(OSError):
                        pipe.close()
        if self._stderr is not None:
            with contextlib.suppress(OSError):
                self._stderr.close()
            self._stderr = None
        self._discovery = None
        self._http.close()
        self._http = requests.Session()

    def __enter__(self) -> OidcProvider:
        return self if self._process is not None else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    # ------------------------------------------------------------- protocol

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def discovery(self) -> dict[str, Any]:
        if self._discovery is None:
            response = self._http.get(self.discovery_url, timeout=5)
            response.raise_for_status()
            self._discovery = response.json()
        return self._discovery

    def endpoint(self, name: str) -> str:
        """A discovery field, e.g. endpoint("token_endpoint")."""
        return str(self.discovery()[name])

    def introspect(self, token: str) -> dict[str, Any]:
        """RFC 7662 introspection of any token, as the confidential introspector."""
        response = self._http.post(
            self.endpoint("introspection_endpoint"),
            data={"token": token},
            auth=(INTROSPECTOR_ID, INTROSPECTOR_SECRET),
            timeout=5,
        )
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result
