"""``provider add | list | show | remove`` against the real provider's discovery document."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest

from tests.e2e.oidc_provider import OidcProvider

from .runner import Cli, files_containing

pytestmark = pytest.mark.e2e


@pytest.fixture
def html_issuer() -> Iterator[str]:
    """An "issuer" whose discovery URL answers with a web page (a captive portal, say)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<!doctype html><html><body>Please sign in to the Wi-Fi</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_add_by_issuer_then_list_show_remove(tmp_path: Path, oidc_provider: OidcProvider) -> None:
    cli = Cli(tmp_path / "home")
    added = cli.ok(
        "provider",
        "add",
        "op",
        "--issuer",
        oidc_provider.issuer,
        "--client-id",
        oidc_provider.client_id,
    )
    assert "http://127.0.0.1/callback" in added.stdout
    # Default scopes: openid profile email, plus offline_access, which it offers.
    assert "Scopes: openid profile email offline_access" in added.stdout

    [listed] = added_providers(cli)
    assert listed["name"] == "op"
    assert listed["issuer"] == oidc_provider.issuer
    assert listed["client_id"] == oidc_provider.client_id
    assert listed["redirect_uri"] == "http://127.0.0.1/callback"
    assert listed["has_client_secret"] is False
    assert "op" in cli.ok("provider", "list").stdout

    shown = cli.ok("provider", "show", "op").stdout
    assert "Redirect URI:  http://127.0.0.1/callback (any port" in shown
    assert oidc_provider.issuer in shown

    again = cli.run(
        "provider", "add", "op", "--issuer", oidc_provider.issuer, "--client-id", "other"
    )
    assert again.returncode == 1
    assert "already a provider called 'op'" in again.error_line

    assert "Removed the provider 'op'" in cli.ok("provider", "remove", "op").stdout
    assert added_providers(cli) == []


def test_add_by_hand_entered_endpoints(tmp_path: Path, oidc_provider: OidcProvider) -> None:
    cli = Cli(tmp_path / "home")
    cli.ok(
        "provider",
        "add",
        "plain",
        "--client-id",
        oidc_provider.client_id,
        "--authorize-url",
        oidc_provider.endpoint("authorization_endpoint"),
        "--token-url",
        oidc_provider.endpoint("token_endpoint"),
        "--revocation-url",
        oidc_provider.endpoint("revocation_endpoint"),
        "--scope",
        "profile",
        "email",
    )
    [listed] = added_providers(cli)
    assert listed["endpoints"]["token"] == oidc_provider.endpoint("token_endpoint")
    assert listed["endpoints"]["userinfo"] is None
    assert listed["scopes"] == ["profile", "email"]

    insecure = cli.run(
        "provider",
        "add",
        "bad",
        "--client-id",
        "x",
        "--authorize-url",
        "http://auth.example.com/authorize",
        "--token-url",
        "https://auth.example.com/token",
    )
    assert insecure.returncode == 1
    assert "plain http on auth.example.com" in insecure.error_line


@pytest.mark.parametrize("case", ["html", "mismatch", "insecure", "unreachable"])
def test_add_by_issuer_explains_discovery_errors(
    tmp_path: Path, oidc_provider: OidcProvider, html_issuer: str, case: str
) -> None:
    issuer, expected = {
        "html": (html_issuer, "answered with a web page"),
        # The real document names the issuer without the slash (RFC 8414 §3.3).
        "mismatch": (oidc_provider.issuer + "/", "names the issuer"),
        "insecure": ("http://id.example.com", "plain http on id.example.com"),
        "unreachable": (f"http://127.0.0.1:{closed_port()}", "Could not reach"),
    }[case]
    cli = Cli(tmp_path / "home")
    result = cli.run("provider", "add", "p", "--issuer", issuer, "--client-id", "x")
    assert result.returncode == 1, str(result)
    assert result.error_line.startswith("desktop-oauth: ")
    assert expected in result.error_line
    assert result.stdout == ""
    assert not (tmp_path / "home" / "config.json").exists()


def test_client_secret_lives_in_the_keyring_only(
    tmp_path: Path, oidc_provider: OidcProvider
) -> None:
    cli = Cli(tmp_path / "home")
    secret = "cli-test-secret-8d3f0c2b9e"
    entry = "client-secret:conf"
    added = cli.ok(
        "provider",
        "add",
        "conf",
        "--issuer",
        oidc_provider.issuer,
        "--client-id",
        "confidential-app",
        "--client-secret-stdin",
        stdin=secret + "\n",
    )
    assert "kept in the system keyring" in added.stdout
    assert secret not in added.stdout + added.stderr
    assert keyring.get_password(cli.profile.keyring_service, entry) == secret
    assert files_containing(tmp_path, secret) == []
    [listed] = added_providers(cli)
    assert listed["has_client_secret"] is True
    assert secret not in json.dumps(listed)
    assert "kept in the system keyring" in cli.ok("provider", "show", "conf").stdout

    empty = cli.run(
        "provider",
        "add",
        "conf2",
        "--issuer",
        oidc_provider.issuer,
        "--client-id",
        "x",
        "--client-secret-stdin",
        stdin="\n",
    )
    assert empty.returncode == 2
    assert "No client secret" in empty.error_line

    cli.ok("provider", "remove", "conf")
    assert keyring.get_password(cli.profile.keyring_service, entry) is None


def test_presets_and_the_registration_check(tmp_path: Path, oidc_provider: OidcProvider) -> None:
    cli = Cli(tmp_path / "home")
    added = cli.ok(
        "provider",
        "add",
        "ms",
        "--preset",
        "microsoft",
        "--tenant",
        "consumers",
        "--client-id",
        "11111111-2222-3333-4444-555555555555",
    )
    assert "http://127.0.0.1/callback" in added.stdout
    [listed] = added_providers(cli)
    assert listed["endpoints"]["authorization"].startswith(
        "https://login.microsoftonline.com/consumers/"
    )
    needs_secret = cli.run("provider", "add", "gh", "--preset", "github", "--client-id", "x")
    assert needs_secret.returncode == 2
    assert "--client-secret-stdin" in needs_secret.error_line
    unknown = cli.run("provider", "add", "zz", "--preset", "nosuch", "--client-id", "x")
    assert unknown.returncode == 1
    assert "no preset called 'nosuch'" in unknown.error_line

    cli.ok(
        "provider",
        "add",
        "op",
        "--issuer",
        oidc_provider.issuer,
        "--client-id",
        oidc_provider.client_id,
    )
    checked = cli.run("provider", "check", "op", "--json")
    assert checked.returncode == 0, str(checked)
    findings = checked.json()
    assert {f["topic"] for f in findings} >= {"redirect_uri", "pkce", "iss"}
    assert all(f["level"] != "problem" for f in findings)
    assert "http://127.0.0.1/callback" in cli.ok("provider", "check", "op").stdout


def added_providers(cli: Cli) -> list[dict[str, Any]]:
    """``provider list --json`` without the built-in sandbox."""
    listed = cli.ok("provider", "list", "--json").json()
    assert any(p["built_in"] for p in listed)
    return [p for p in listed if not p["built_in"]]
