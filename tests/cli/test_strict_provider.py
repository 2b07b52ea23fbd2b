"""A second oidc-provider, configured the way many deployments run (issue 10):
the redirect URI compared exactly (port included), client_secret_basic with a
secret holding ``%+:``, two signing keys published without kid, revocation only
with client authentication, and ``scopes_supported: ["openid"]``. Driven through
the command line with the real browser and keyring."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import BrowserPlan
from tests.e2e.oidc_provider import OidcProvider

from .runner import Cli

pytestmark = pytest.mark.e2e

SECRET = "s%e+c:ret/with=odd&chars"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def strict_provider() -> Iterator[OidcProvider]:
    redirect = f"http://127.0.0.1:{_free_port()}/callback"
    # access tokens of 30 s: `token` (which renews within 60 s of expiry) refreshes.
    with OidcProvider(profile="strict", client_secret=SECRET, redirect_uri=redirect).start(
        access_token_ttl=30
    ) as provider:
        yield provider


def test_the_strict_profile_is_what_it_claims(strict_provider: OidcProvider) -> None:
    discovery = strict_provider.discovery()
    assert discovery["scopes_supported"] == ["openid"]
    keys = requests.get(discovery["jwks_uri"], timeout=5).json()["keys"]
    assert len(keys) == 2 and not any("kid" in k for k in keys)
    # Revocation needs the client's authentication: without it, refused.
    refused = requests.post(
        discovery["revocation_endpoint"],
        data={"token": "x", "client_id": strict_provider.client_id},
        timeout=5,
    )
    assert refused.status_code == 401


def add_strict(cli: Cli, op: OidcProvider, *extra: str) -> str:
    return cli.ok(
        "provider",
        "add",
        "strict",
        "--issuer",
        op.issuer,
        "--client-id",
        op.client_id,
        "--client-secret-stdin",
        *extra,
        stdin=SECRET + "\n",
    ).stdout


def test_connect_twice_token_refresh_and_revoke_at_the_strict_provider(
    tmp_path: Path, strict_provider: OidcProvider, browser_plan: BrowserPlan
) -> None:
    cli = Cli(tmp_path / "home")
    added = add_strict(cli, strict_provider, "--redirect-uri", strict_provider.redirect_uri)
    # scopes_supported lists only openid: profile and email are asked for all the same.
    assert "Scopes: openid profile email offline_access" in added
    assert f"Redirect URI to register at the provider: {strict_provider.redirect_uri}" in added
    shown = cli.ok("provider", "show", "strict").stdout
    assert strict_provider.redirect_uri in shown

    # Exact redirect URI, client_secret_basic with %+: and an id_token whose kid
    # the kid-less key set cannot match: each was a refusal before.
    first = cli.connect("strict", browser_plan, "alice")
    assert first.stdout.startswith("Connected alice@example.test at strict.\n"), first
    # The same fixed port again within seconds: our own TIME_WAIT does not block it.
    second = cli.connect("strict", browser_plan, "bob")
    assert second.stdout.startswith("Connected bob@example.test at strict.\n"), second

    old = cli.stored_tokens("alice")
    assert old.refresh_token
    token = cli.ok("token", "alice@example.test").stdout.strip()
    assert token and token != old.access_token  # refreshed, with client authentication
    assert strict_provider.introspect(token)["active"] is True

    revoked = cli.ok("revoke", "alice@example.test")
    assert "Access revoked" in revoked.stdout, revoked
    assert strict_provider.introspect(token)["active"] is False
    refresh = cli.stored_tokens("bob").refresh_token
    assert refresh and strict_provider.introspect(refresh)["active"] is True  # bob untouched


def test_check_and_add_report_the_exact_redirect_uri_before_any_sign_in(
    tmp_path: Path, strict_provider: OidcProvider
) -> None:
    cli = Cli(tmp_path / "home")
    added = add_strict(cli, strict_provider)
    assert "Warning: The provider refuses a loopback redirect URI with a port" in added
    assert "--redirect-uri http://127.0.0.1:PORT/callback" in added
    checked = cli.run("provider", "check", "strict")
    assert checked.returncode == 1
    assert "PROBLEM  The provider refuses a loopback redirect URI" in checked.stdout


def test_waiting_on_a_refused_redirect_says_what_it_means(
    tmp_path: Path, strict_provider: OidcProvider
) -> None:
    cli = Cli(tmp_path / "home")
    add_strict(cli, strict_provider)
    # No browser: as if the person looked at the provider's "redirect_uri did not
    # match" page; the hint comes after a few seconds, then the wait times out.
    waited = cli.run("connect", "strict", "--no-browser", "--timeout", "20", timeout=60)
    assert waited.returncode == 1
    assert "If the provider's page says the redirect URI is not allowed" in waited.stderr
    assert "--redirect-uri" in waited.stderr


def test_a_redirect_uri_of_another_form_is_refused_with_the_form_to_use(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "home")
    for wrong in (
        "http://localhost:8080/callback",
        "http://127.0.0.1/callback",
        "https://127.0.0.1:8080/callback",
        "http://127.0.0.1:8080",
    ):
        refused = cli.run(
            "provider",
            "add",
            "x",
            "--issuer",
            "https://id.example.test",
            "--client-id",
            "a",
            "--redirect-uri",
            wrong,
        )
        assert refused.returncode == 2, refused
        assert "http://127.0.0.1:PORT/callback" in refused.error_line


def test_endpoint_overrides_combine_with_the_issuer_and_win(
    tmp_path: Path, oidc_provider: OidcProvider
) -> None:
    cli = Cli(tmp_path / "home")
    override = f"{oidc_provider.issuer}/token/revocation"
    cli.ok(
        "provider",
        "add",
        "op",
        "--issuer",
        oidc_provider.issuer,
        "--client-id",
        oidc_provider.client_id,
        "--revocation-url",
        override,
    )
    shown = cli.ok("provider", "show", "op").stdout
    assert "Revocation:" in shown and f"{override} (set here: wins over discovery)" in shown
    as_json = cli.ok("provider", "show", "op", "--json").json()
    assert as_json["endpoint_overrides"] == {"revocation": override}
