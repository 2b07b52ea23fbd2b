"""django-oauth-toolkit (PyPI), an open-source OpenID provider this project did not
write, started as its users start it (tests/e2e/dot_provider.py): connect, token,
refresh and revoke through the command line, the real browser and keyring.

Its discovery document names no revocation endpoint (nor introspection), so
the provider is added with ``--issuer`` and ``--revocation-url`` together."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import BrowserPlan
from tests.e2e.dot_provider import DotProvider

from .runner import Cli

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def dot() -> Iterator[DotProvider]:
    with DotProvider(access_token_seconds=30) as provider:
        yield provider


def test_connect_token_refresh_and_revoke_at_django_oauth_toolkit(
    tmp_path: Path, dot: DotProvider, browser_plan: BrowserPlan
) -> None:
    discovery = requests.get(f"{dot.issuer}/.well-known/openid-configuration", timeout=5).json()
    assert "revocation_endpoint" not in discovery  # why --revocation-url is needed

    cli = Cli(tmp_path / "home")
    added = cli.ok(
        "provider",
        "add",
        "dot",
        "--issuer",
        dot.issuer,
        "--client-id",
        dot.client_id,
        "--revocation-url",
        dot.revocation_url,
    ).stdout
    assert "Scopes: openid profile email" in added
    assert "Warning" not in added  # it accepts any loopback port (RFC 8252 §7.3)
    checked = cli.ok("provider", "check", "dot").stdout
    assert "0 problem(s)" in checked

    connected = cli.connect("dot", browser_plan, "alice")
    assert connected.stdout.startswith("Connected alice@example.test at dot.\n"), connected
    [account] = cli.accounts()
    assert account.subject == "1"  # django-oauth-toolkit's sub: the user's primary key
    old = cli.stored_tokens(account.subject)
    assert old.refresh_token  # django-oauth-toolkit always issues one

    # Access tokens live 30 s here, so `token` refreshes (a public client: client_id
    # in the body, no Authorization header).
    token = cli.ok("token", "alice@example.test").stdout.strip()
    assert token and token != old.access_token
    userinfo = requests.get(
        discovery["userinfo_endpoint"], headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    assert userinfo.status_code == 200 and userinfo.json()["email"] == "alice@example.test"

    revoked = cli.ok("revoke", "alice@example.test").stdout
    assert "Access revoked; the provider confirms" in revoked, revoked
    gone = requests.get(
        discovery["userinfo_endpoint"], headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    assert gone.status_code == 401


def test_an_invalid_scope_answer_names_the_scope_and_how_to_drop_it(
    tmp_path: Path, dot: DotProvider, browser_plan: BrowserPlan
) -> None:
    cli = Cli(tmp_path / "home")
    cli.ok("provider", "add", "dot", "--issuer", dot.issuer, "--client-id", dot.client_id)
    # offline_access is not among this deployment's SCOPES: after sign-in it
    # redirects back with error=invalid_scope (RFC 6749 §4.1.2.1).
    browser_plan.set(login="bob", action="consent")
    refused = cli.run("connect", "dot", "--scope", "openid", "email", "offline_access")
    browser_plan.results()
    assert refused.returncode == 1, refused
    error = refused.stderr.splitlines()[-1]  # after the "Waiting for you" line
    assert "invalid_scope" in error
    assert "It does not accept the scope offline_access." in error
    assert "--scope openid email" in error
