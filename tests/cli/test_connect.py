"""``connect``, ``accounts``, ``token`` and ``revoke`` end to end: the real provider
(oidc-provider), the real browser (Chromium through BROWSER), the real keyring."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import keyring
import pytest
import requests

from tests.e2e.conftest import PLAN_PATH, BrowserPlan
from tests.e2e.oidc_provider import OidcProvider

from .runner import Cli, files_containing

pytestmark = pytest.mark.e2e

SCOPES = ("--scope", "openid", "profile", "email", "offline_access")
ALL_SCOPES = {"openid", "profile", "email", "offline_access"}


def granted_scopes(connect_output: str) -> set[str]:
    [line] = [line for line in connect_output.splitlines() if line.startswith("Granted scopes:")]
    return set(line.removeprefix("Granted scopes:").split())


@pytest.fixture(scope="module")
def two_accounts(tmp_path_factory: pytest.TempPathFactory, oidc_provider: OidcProvider) -> Cli:
    """alice and bob, connected at the same provider through the command line."""
    cli = Cli(tmp_path_factory.mktemp("two-accounts") / "home")
    cli.ok(
        "provider",
        "add",
        "op",
        "--issuer",
        oidc_provider.issuer,
        "--client-id",
        oidc_provider.client_id,
        *SCOPES,
    )
    plan = BrowserPlan(PLAN_PATH)
    for login in ("alice", "bob"):
        connected = cli.connect("op", plan, login)
        assert connected.stdout.startswith(f"Connected {login}@example.test at op.\n")
        assert granted_scopes(connected.stdout) == ALL_SCOPES
        assert "Waiting for you in the browser" in connected.stderr
    return cli


def test_accounts_json_lists_both(two_accounts: Cli) -> None:
    listed = two_accounts.ok("accounts", "--json").json()
    assert [(a["name"], a["provider"], a["state"]) for a in listed] == [
        ("alice@example.test", "op", "connected"),
        ("bob@example.test", "op", "connected"),
    ]
    for account in listed:
        assert set(account["scopes"]) == ALL_SCOPES
        assert account["account"] == f"op:{account['subject']}"
        assert account["has_refresh_token"] is True
        assert "access_token" not in str(account)
    table = two_accounts.ok("accounts").stdout
    assert re.search(r"alice@example\.test\s+op\s+connected", table), table


def test_token_prints_only_the_right_accounts_token(
    two_accounts: Cli, oidc_provider: OidcProvider
) -> None:
    for query, login in (
        ("alice@example.test", "alice"),
        ("BOB@EXAMPLE.TEST", "bob"),
        ("op:bob", "bob"),
        ("alice", "alice"),
    ):
        result = two_accounts.ok("token", query)
        assert result.stdout == two_accounts.stored_tokens(login).access_token + "\n"
        assert result.stderr == ""
        introspection = oidc_provider.introspect(result.stdout.strip())
        assert introspection["active"] is True
        assert introspection["sub"] == login

    as_json = two_accounts.ok("token", "--json", "alice@example.test").json()
    assert set(as_json) == {"access_token", "token_type", "expires_at", "scope"}
    assert as_json["token_type"] == "Bearer"
    assert as_json["expires_at"] > time.time() + 60
    assert set(as_json["scope"].split()) == ALL_SCOPES

    # As scripts use it: curl -H "Authorization: Bearer $(desktop-oauth token ...)".
    userinfo = requests.get(
        oidc_provider.endpoint("userinfo_endpoint"),
        timeout=5,
        headers={"Authorization": f"Bearer {as_json['access_token']}"},
    )
    assert userinfo.json()["email"] == "alice@example.test"

    unknown = two_accounts.run("token", "carol@example.test")
    assert unknown.returncode == 1
    assert unknown.stdout == ""
    assert "No connected account has that name" in unknown.error_line


def test_token_reads_a_valid_token_without_loading_the_http_stack(two_accounts: Cli) -> None:
    """Scripts call ``token`` often: a stored token that is still valid is printed from
    the settings and one keyring entry, without requests, JOSE, the sandbox or keyring's
    backend detection (each costs tens of milliseconds per call)."""
    result = two_accounts.run("token", "alice@example.test", python_options=("-X", "importtime"))
    assert result.returncode == 0, result
    assert result.stdout == two_accounts.stored_tokens("alice").access_token + "\n"
    loaded = {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "desktop_oauth.core.stored_token" in loaded
    heavy = {
        *("requests", "jwt", "cryptography", "secretstorage", "keyring"),
        *("desktop_oauth.sandbox", "PySide6"),
    }
    assert heavy & loaded == set()


def test_no_secret_outside_the_keyring_and_the_token_command(two_accounts: Cli) -> None:
    secrets = [
        secret
        for login in ("alice", "bob")
        for secret in (
            two_accounts.stored_tokens(login).access_token,
            two_accounts.stored_tokens(login).refresh_token,
            two_accounts.stored_tokens(login).id_token,
        )
        if secret
    ]
    assert len(secrets) == 6
    assert files_containing(two_accounts.home, *secrets) == []
    two_accounts.ok("accounts")
    two_accounts.ok("provider", "show", "op")
    assert len(two_accounts.transcript) >= 5
    for result in two_accounts.transcript:
        shown = result.stderr if result.args[0] == "token" else result.stdout + result.stderr
        assert not any(secret in shown for secret in secrets), result.args


@pytest.fixture
def short_lived_provider() -> Iterator[OidcProvider]:
    """A second provider whose access tokens live 5 seconds."""
    provider = OidcProvider().start(access_token_ttl=5)
    try:
        yield provider
    finally:
        provider.stop()


def test_token_refreshes_one_that_is_about_to_expire(
    tmp_path: Path,
    oidc_provider: OidcProvider,
    short_lived_provider: OidcProvider,
    browser_plan: BrowserPlan,
) -> None:
    short = short_lived_provider
    cli = Cli(tmp_path / "home")
    cli.ok(
        "provider",
        "add",
        "short",
        "--issuer",
        short.issuer,
        "--client-id",
        short.client_id,
        *SCOPES,
    )
    cli.ok(
        "provider",
        "add",
        "op",
        "--issuer",
        oidc_provider.issuer,
        "--client-id",
        oidc_provider.client_id,
        *SCOPES,
    )
    cli.connect("short", browser_plan, "alice")
    first = cli.stored_tokens("alice")
    assert first.refresh_token

    # The token expires within 60 s, so it is refreshed before it is printed.
    printed = cli.ok("token", "alice@example.test").stdout.strip()
    assert printed != first.access_token
    assert short.introspect(printed)["active"] is True
    renewed = cli.stored_tokens("alice")
    assert renewed.access_token == printed
    assert renewed.refresh_token != first.refresh_token  # rotated, and saved

    # Three scripts at once: one refresh at a time, so no refresh token is spent
    # twice (the provider would revoke the whole grant).
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda _: cli.run("token", "short:alice"), range(3)))
    assert all(r.returncode == 0 for r in results), "\n".join(map(str, results))
    assert short.introspect(cli.ok("token", "short:alice").stdout.strip())["active"] is True

    # The same person at a second provider: "alice@example.test" is ambiguous now.
    cli.connect("op", browser_plan, "alice")
    ambiguous = cli.run("token", "alice@example.test")
    assert ambiguous.returncode == 1
    assert ambiguous.stdout == ""
    assert "matches 2 accounts" in ambiguous.error_line
    assert "short:alice" in ambiguous.error_line and "op:alice" in ambiguous.error_line
    assert oidc_provider.introspect(cli.ok("token", "op:alice").stdout.strip())["sub"] == "alice"

    # The grant is revoked at the provider: the refresh gets invalid_grant, the
    # tokens are forgotten and the account needs sign-in again.
    revoke_at_provider(short, cli.stored_tokens("alice", "short").refresh_token)
    refused = cli.run("token", "short:alice")
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert "Sign in again" in refused.error_line
    # Access taken back on the provider's side (its "connected apps" page, say):
    # `accounts --check` asks the provider and finds out.
    states = {a["account"]: a["state"] for a in cli.ok("accounts", "--check", "--json").json()}
    assert states == {"short:alice": "needs sign-in again", "op:alice": "connected"}
    revoke_at_provider(oidc_provider, cli.stored_tokens("alice", "op").access_token)
    states = {a["account"]: a["state"] for a in cli.ok("accounts", "--check", "--json").json()}
    assert states == {"short:alice": "needs sign-in again", "op:alice": "revoked"}

    # Removing a provider with --forget-accounts deletes their tokens here.
    op_alice = cli.account("alice", "op").id
    cli.ok("provider", "remove", "op", "--forget-accounts")
    assert keyring.get_password(cli.profile.keyring_service, op_alice) is None
    assert [a.provider for a in cli.accounts()] == ["short"]


def revoke_at_provider(op: OidcProvider, token: str | None) -> None:
    """Revoke as if from the provider's side: the whole grant ends (RFC 7009 §2.1)."""
    assert token
    requests.post(
        op.endpoint("revocation_endpoint"),
        timeout=5,
        data={"token": token, "client_id": op.client_id},
    ).raise_for_status()
