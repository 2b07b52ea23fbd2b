"""The log file at DEBUG through a whole connect, token and revoke: it holds the
run's records and none of its secrets (token, code, state, verifier, client secret)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from desktop_oauth.core.logs import LOG_FILE
from desktop_oauth.core.token_store import TokenStore
from tests.e2e.conftest import PLAN_PATH, BrowserPlan
from tests.e2e.oidc_provider import OidcProvider

from .runner import Cli

pytestmark = pytest.mark.e2e


def test_a_debug_run_leaves_no_secret_in_the_log_file(
    tmp_path: Path, oidc_provider: OidcProvider
) -> None:
    cli = Cli(tmp_path / "home", env={"DESKTOP_OAUTH_LOG_LEVEL": "DEBUG"})
    cli.ok(
        "provider",
        "add",
        "op",
        "--issuer",
        oidc_provider.issuer,
        "--client-id",
        oidc_provider.client_id,
        "--scope",
        "openid",
        "email",
        "offline_access",
    )
    plan = BrowserPlan(PLAN_PATH)
    cli.connect("op", plan, "dora")
    [browsed] = plan.results(timeout=0)
    redirect = parse_qs(urlsplit(browsed["final_url"]).query)
    code, state = redirect["code"][0], redirect["state"][0]
    [record] = cli.accounts()
    tokens = TokenStore(cli.profile.keyring_service).load(record.id)
    assert tokens is not None and tokens.refresh_token and tokens.id_token
    secrets = [code, state, tokens.access_token, tokens.refresh_token, tokens.id_token]
    assert cli.ok("token", record.display_name).stdout.strip() == tokens.access_token
    cli.ok("revoke", record.display_name)

    log = (tmp_path / "home" / "logs" / LOG_FILE).read_text()
    assert " DEBUG " in log  # the run really logged at DEBUG
    assert "/token" in log  # including the token requests
    for secret in secrets:
        assert secret not in log
    # The verifier is never seen outside the process: no value follows its name.
    assert not re.search(r"code_verifier\W+(?!\[redacted\])\w", log)
