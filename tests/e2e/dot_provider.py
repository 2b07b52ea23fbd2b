"""Start and stop django-oauth-toolkit (PyPI), an open-source OpenID provider this
project did not write, the way its users start it: a Django site
(tests/e2e/dot), ``django-admin migrate``, ``createsuperuser``, its own
``createapplication`` command, then ``django-admin runserver``.

    provider = DotProvider().start()
    provider.issuer      # "http://127.0.0.1:PORT/o"
    provider.client_id   # "desktop-oauth-dot" (public, authorization code, PKCE)
    provider.revocation_url  # not in its discovery document: given by hand
    provider.stop()

Users ``alice`` and ``bob`` exist with the password ``any-password`` (what the
test browser types).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

REPO = Path(__file__).resolve().parents[2]
CLIENT_ID = "desktop-oauth-dot"
USERS = ("alice", "bob")
PASSWORD = "any-password"
READY_TIMEOUT_S = 60.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DotProvider:
    client_id = CLIENT_ID

    def __init__(self, access_token_seconds: int = 36000) -> None:
        self._access_token_seconds = access_token_seconds
        self._dir = tempfile.TemporaryDirectory(prefix="desktop-oauth-dot-")
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._log = Path(self._dir.name) / "server.log"

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}/o"

    @property
    def revocation_url(self) -> str:
        return f"{self.issuer}/revoke_token/"

    @property
    def introspection_url(self) -> str:
        return f"{self.issuer}/introspect/"

    def _environ(self) -> dict[str, str]:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return dict(
            os.environ,
            PYTHONPATH=str(REPO),
            DJANGO_SETTINGS_MODULE="tests.e2e.dot.settings",
            DOT_DJANGO_SECRET_KEY=secrets.token_urlsafe(32),
            DOT_DATABASE=str(Path(self._dir.name) / "db.sqlite3"),
            DOT_OIDC_RSA_PRIVATE_KEY=pem,
            DJANGO_SUPERUSER_PASSWORD=PASSWORD,
            DOT_ACCESS_TOKEN_SECONDS=str(self._access_token_seconds),
        )

    def _admin(self, env: dict[str, str], *args: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "django", *args],
            env=env,
            cwd=self._dir.name,
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> DotProvider:
        env = self._environ()
        self._admin(env, "migrate", "--noinput")
        for user in USERS:
            self._admin(
                env,
                "createsuperuser",
                "--noinput",
                "--username",
                user,
                "--email",
                f"{user}@example.test",
            )
        # A public native client: no secret, PKCE, the loopback redirect URI with
        # any port (django-oauth-toolkit follows RFC 8252 §7.3 there).
        self._admin(
            env,
            "createapplication",
            "--name",
            "desktop-oauth",
            "--client-id",
            CLIENT_ID,
            "--redirect-uris",
            "http://127.0.0.1/callback",
            "--algorithm",
            "RS256",
            "public",
            "authorization-code",
        )
        self.port = _free_port()
        log = self._log.open("wb")
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "django",
                "runserver",
                f"127.0.0.1:{self.port}",
                "--noreload",
                "--nothreading",
            ],
            env=env,
            cwd=self._dir.name,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            with contextlib.suppress(requests.RequestException):
                answer = requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=2)
                if answer.status_code == 200:
                    return self
            if self._process.poll() is not None or time.monotonic() > deadline:
                text = self._log.read_text(errors="replace")
                self.stop()
                raise RuntimeError(f"django-oauth-toolkit did not start:\n{text}")
            time.sleep(0.2)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        self._dir.cleanup()

    def __enter__(self) -> DotProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
