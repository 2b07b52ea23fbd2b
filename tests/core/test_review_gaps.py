"""Tests the security review found missing (docs/security.md): minimal scopes, a
userinfo sub that differs at connect, unsupported_token_type at revocation,
NoKeyringError, and a provider behind a certificate that cannot be verified."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import keyring.errors
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from desktop_oauth.core import flow
from desktop_oauth.core.accounts import AccountService
from desktop_oauth.core.config import AccountStatus
from desktop_oauth.core.connect import ConnectResult, identify
from desktop_oauth.core.discovery import fetch_metadata
from desktop_oauth.core.errors import DesktopOAuthError, TokenError
from desktop_oauth.core.exchange import post_token_request
from desktop_oauth.core.http import new_session
from desktop_oauth.core.presets import PRESETS, get_preset
from desktop_oauth.core.profile import Profile
from desktop_oauth.core.provider import Endpoints, ProviderConfig
from desktop_oauth.core.token_store import TokenStore
from desktop_oauth.core.tokens import TokenSet
from desktop_oauth.sandbox import DEFAULT_SCOPES

from .scripted_server import Answer, Received, scripted_server
from .test_revocation_retry import connected_service
from .test_token_store import FlakyKeyring

# ---------------------------------------------------------------- minimal scopes (a)15


def endpoints(url: str = "https://id.example") -> Endpoints:
    return Endpoints(authorization=f"{url}/authorize", token=f"{url}/token")


def test_the_request_asks_for_exactly_the_configured_scopes_with_code_only() -> None:
    provider = ProviderConfig(
        name="p", issuer="https://id.example", client_id="app", scopes=("openid",),
        endpoints=endpoints(),
    )  # fmt: skip
    pending = flow.start(provider, "http://127.0.0.1:5000/callback")
    query = parse_qs(urlsplit(pending.url).query)
    assert query["scope"] == ["openid"]  # nothing added (no offline_access, no extras)
    assert query["response_type"] == ["code"]  # RFC 9700 §2.1.2: no implicit grant
    assert "password" not in pending.url


WRITE_WORDS = ("write", "repo", "admin", "delete", "full", ".readwrite", "api")


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_default_scopes_are_read_only(name: str) -> None:
    scopes = get_preset(name).scope_names
    assert scopes, name
    for scope in scopes:
        assert not any(word in scope.lower() for word in WRITE_WORDS), (name, scope)


def test_the_sandbox_asks_for_reading_only() -> None:
    assert all(not scope.endswith(".write") for scope in DEFAULT_SCOPES)


# ------------------------------------------------------- userinfo sub at connect (a)22


def test_a_userinfo_sub_that_differs_from_the_id_token_is_refused() -> None:
    def answer(request: Received) -> Answer:
        return Answer.json({"sub": "mallory", "email": "mallory@example.test"})

    with scripted_server(answer) as server, new_session() as http:
        provider = ProviderConfig(
            name="p",
            issuer=server.url,
            client_id="app",
            scopes=("openid",),
            endpoints=Endpoints(
                authorization=f"{server.url}/a", token=f"{server.url}/t",
                userinfo=f"{server.url}/userinfo",
            ),
        )  # fmt: skip
        tokens = TokenSet(access_token="at", granted_scopes=("openid",))
        with pytest.raises(TokenError) as caught:
            identify(http, provider, tokens, {"sub": "alice"}, ("openid",))
    assert "mallory" not in str(caught.value) and "alice" not in str(caught.value)


# -------------------------------------------- unsupported_token_type at revocation (b)18


def test_unsupported_token_type_at_revocation_still_forgets_locally(tmp_path: Path) -> None:
    def answer(request: Received) -> Answer:
        if request.path == "/revoke":
            return Answer.json({"error": "unsupported_token_type"}, 400)
        return Answer.json({"sub": "u1"})

    with scripted_server(answer) as server:
        service, account_id, backend = connected_service(tmp_path, server.url)
        outcome = service.revoke(account_id)
    assert outcome.account.status is AccountStatus.REVOKED
    assert outcome.provider_confirmed is False
    assert outcome.message  # the status is shown
    assert service.store.load(account_id) is None
    assert backend.entries == {}  # not retried: the answer will not change


# --------------------------------------------------------------- NoKeyringError (b)19


class GoneKeyring(FlakyKeyring):
    """A keyring that looked usable at start, then its daemon went away."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.NoKeyringError("no backend")

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.NoKeyringError("no backend")


def test_no_keyring_error_keeps_tokens_for_the_session_with_a_notice(tmp_path: Path) -> None:
    profile = Profile(home=tmp_path / "home", keyring_service=f"test:{uuid.uuid4().hex}")
    service = AccountService(
        profile,
        store=TokenStore(profile.keyring_service, GoneKeyring()),
        session=requests.Session(),
    )
    provider = ProviderConfig(
        name="p", issuer="https://id.example", client_id="app", endpoints=endpoints()
    )
    service.add_provider(provider, check=False)
    tokens = TokenSet(access_token="at-" + uuid.uuid4().hex, refresh_token="rt-" + uuid.uuid4().hex)
    view = service.save_connection(
        ConnectResult(
            provider=service.resolve_provider("p"), tokens=tokens, claims={"sub": "u1"},
            userinfo=None, requested_scopes=("openid",),
        )
    )  # fmt: skip
    assert "kept until the app closes" in view.notice
    assert service.store.load(view.record.id) == tokens  # held in memory
    written = b"".join(p.read_bytes() for p in (tmp_path / "home").rglob("*") if p.is_file())
    assert tokens.access_token.encode() not in written
    assert tokens.refresh_token is not None and tokens.refresh_token.encode() not in written


# ------------------------------------------------------------ a bad certificate (b)13


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@contextmanager
def https_provider(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """A real https server on 127.0.0.1 behind a self-signed certificate."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            seen.append(f"{self.command} {self.path}")
            body = b'{"access_token": "at", "token_type": "Bearer"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _any

        def log_message(self, format: str, *args: object) -> None:
            pass

    cert, key = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = HTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_a_certificate_that_cannot_be_verified_is_refused(tmp_path: Path) -> None:
    with https_provider(tmp_path) as (url, seen), new_session() as http:
        with pytest.raises(DesktopOAuthError) as discovery:
            fetch_metadata(http, url)
        with pytest.raises(TokenError) as token:
            post_token_request(http, f"{url}/token", "grant_type=authorization_code&code=c", "app")
        # The control: the same server answers when its certificate is trusted.
        trusted = requests.get(url, verify=str(tmp_path / "cert.pem"), timeout=5)
    assert "certificate that could not be verified" in str(discovery.value)
    assert "certificate that could not be verified" in str(token.value)
    assert trusted.ok and seen == ["GET /"]  # the code never reached it
