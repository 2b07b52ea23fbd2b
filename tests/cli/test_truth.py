"""Issue 11 through the command line, against oidc-provider with the real Chromium and
gnome-keyring: every grant ever held is revoked, and signing in again is the same person."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from desktop_oauth.core.accounts import AccountService
from tests.e2e.conftest import BrowserPlan
from tests.e2e.oidc_provider import OidcProvider

from .runner import Cli
from .test_connect_lifecycle import add_provider

pytestmark = pytest.mark.e2e


def test_revoke_after_connecting_again_ends_every_token_ever_received(
    tmp_path: Path, oidc_provider: OidcProvider, browser_plan: BrowserPlan
) -> None:
    cli = Cli(tmp_path / "home")
    add_provider(cli, oidc_provider)
    cli.connect("op", browser_plan, "bob", "--scope", "openid", "profile", "offline_access")
    first = cli.stored_tokens("bob")
    cli.connect("op", browser_plan, "bob", "--scope", "openid", "email", "offline_access")
    second = cli.stored_tokens("bob")
    assert first.access_token != second.access_token
    received = [
        t
        for t in (
            first.access_token,
            first.refresh_token,
            second.access_token,
            second.refresh_token,
        )
        if t
    ]
    cli.ok("revoke", "bob")
    assert [oidc_provider.introspect(t)["active"] for t in received] == [False] * len(received)
    [listed] = cli.ok("accounts", "--json").json()
    assert listed["state"] == "revoked"
    assert listed["revocation"] == "verified"
    assert (listed["scopes"], listed["expires_at"], listed["has_refresh_token"]) == (
        [],
        None,
        False,
    )
    assert set(listed["former_scopes"]) >= {"openid", "email"}


def test_revoke_after_refreshes_and_a_re_consent_ends_every_token_ever_received(
    tmp_path: Path, oidc_provider: OidcProvider, browser_plan: BrowserPlan
) -> None:
    cli = Cli(tmp_path / "home")
    add_provider(cli, oidc_provider)
    cli.connect("op", browser_plan, "carol", "--scope", "openid", "profile", "offline_access")
    held = [cli.stored_tokens("carol")]
    # Refreshed as the window's scheduler does, on the same profile and keyring.
    service = AccountService(cli.profile)
    service.load()
    for _ in range(2):
        service.refresh(cli.account("carol").id)
        held.append(cli.stored_tokens("carol"))
        assert cli.ok("token", "op:carol").stdout.strip() == held[-1].access_token
        assert oidc_provider.introspect(held[-1].access_token)["active"] is True
    cli.connect("op", browser_plan, "carol", "--scope", "openid", "email", "offline_access")
    held.append(cli.stored_tokens("carol"))
    assert cli.ok("token", "op:carol").stdout.strip() == held[-1].access_token

    received = [t for s in held for t in (s.access_token, s.refresh_token) if t]
    assert len(set(received)) == 8
    # Until Revoke, every access token is still live at the provider: a refresh does
    # not end the one it replaces.
    assert all(oidc_provider.introspect(s.access_token)["active"] for s in held)
    assert len(cli.account("carol").superseded) == 3

    cli.ok("revoke", "carol")

    assert [oidc_provider.introspect(t)["active"] for t in received] == [False] * 8
    [listed] = cli.ok("accounts", "--json").json()
    assert (listed["state"], listed["revocation"]) == ("revoked", "verified")
    assert cli.account("carol").superseded == ()


def test_why_a_replaced_access_token_waits_for_revoke_oidc_provider_ends_the_grant(
    tmp_path: Path, oidc_provider: OidcProvider, browser_plan: BrowserPlan
) -> None:
    """Revoking the access token a refresh replaced, right away, would end the live
    account: oidc-provider revokes every token of the grant for it (RFC 7009 §2.1)."""
    cli = Cli(tmp_path / "home")
    add_provider(cli, oidc_provider)
    cli.connect("op", browser_plan, "dave")
    before = cli.stored_tokens("dave")
    service = AccountService(cli.profile)
    service.load()
    service.refresh(cli.account("dave").id)
    after = cli.stored_tokens("dave")
    assert after.refresh_token is not None
    assert oidc_provider.introspect(after.refresh_token)["active"] is True

    answer = requests.post(
        oidc_provider.endpoint("revocation_endpoint"),
        data={
            "token": before.access_token,
            "token_type_hint": "access_token",
            "client_id": oidc_provider.client_id,
        },
        timeout=10,
    )

    assert answer.status_code == 200
    assert oidc_provider.introspect(after.refresh_token)["active"] is False
    assert oidc_provider.introspect(after.access_token)["active"] is False


def test_connect_account_as_someone_else_changes_nothing_and_says_who(
    tmp_path: Path, oidc_provider: OidcProvider, browser_plan: BrowserPlan
) -> None:
    cli = Cli(tmp_path / "home")
    add_provider(cli, oidc_provider)
    cli.connect("op", browser_plan, "bob")
    before = cli.accounts()
    bob_tokens = cli.stored_tokens("bob")

    browser_plan.set(login="alice", action="consent")
    other = cli.run("connect", "bob@example.test")
    browser_plan.results()
    assert other.returncode == 1, str(other)
    assert other.stdout == ""
    # One line of error (beside the "Waiting for you in the browser" progress line).
    errors = [line for line in other.stderr.splitlines() if line.startswith("desktop-oauth:")]
    assert len(errors) == 1
    assert "alice" in errors[0] and "bob" in errors[0]
    assert cli.accounts() == before
    assert cli.stored_tokens("bob") == bob_tokens
