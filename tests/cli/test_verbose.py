"""``connect -v``, ``token -v`` and ``revoke -v``: each step on stderr as it happens,
with its exchanges, against the sandbox and oidc-provider through the real browser
and keyring; a failure names its step; no secret the run produced is printed or logged."""

from __future__ import annotations

import re
import socket
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from desktop_oauth.core.logs import LOG_FILE
from desktop_oauth.sandbox import SANDBOX_CLIENT_ID, SandboxServer
from tests.e2e.conftest import BrowserPlan
from tests.e2e.oidc_provider import OidcProvider

from .runner import Cli

pytestmark = pytest.mark.e2e


def step_lines(stderr: str) -> list[tuple[str, str]]:
    """(step, state) of every ``flow: <step>: <state> ...`` line, in order."""
    found = re.findall(r"^flow: ([a-z_ ]+): (waiting|done|failed)\b", stderr, re.MULTILINE)
    return [(step, state) for step, state in found]


def exchange_lines(stderr: str) -> list[str]:
    return [line.strip() for line in stderr.splitlines() if line.startswith("  ")]


def test_sandbox_steps_on_stderr_and_no_secret_in_any_line_or_the_log(
    tmp_path: Path, browser_plan: BrowserPlan
) -> None:
    home = tmp_path / "home"
    cli = Cli(home, env={"DESKTOP_OAUTH_LOG_LEVEL": "DEBUG"})
    # A short access token lifetime: `token` refreshes at once (it wants 60 s left).
    with SandboxServer(home, access_token_ttl=30) as sandbox:
        connected = cli.connect("sandbox", browser_plan, "ada", "-v")
        [browsed] = browser_plan.results(timeout=0)
        asked = parse_qs(urlsplit(browsed["url_opened"]).query)
        answered = parse_qs(urlsplit(browsed["final_url"]).query)
        first = cli.stored_tokens("ada")
        secrets = [
            asked["state"][0],
            asked["nonce"][0],
            asked["code_challenge"][0],
            answered["code"][0],
            first.access_token,
            first.refresh_token or "",
            first.id_token or "",
        ]

        assert step_lines(connected.stderr) == [
            ("discovery", "done"),
            ("authorize", "waiting"),
            ("authorize", "done"),
            ("callback", "done"),
            ("token", "done"),
            ("id_token", "done"),
            ("api", "done"),
        ]
        issuer = re.escape(sandbox.issuer)
        exchanges = exchange_lines(connected.stderr)
        for pattern in (
            rf"GET {issuer}/\.well-known/openid-configuration → 200 \(\d+ ms\)",
            rf"GET {issuer}/authorize\?.*code_challenge=«PKCE challenge, 43 chars».*"
            r" → opened in the browser.*",
            r"GET http://127\.0\.0\.1:\d+/callback\?code=«authorization code, \d+ chars».* ← "
            r"answered 200 \(\d+ ms\)",
            rf"POST {issuer}/token → 200 \(\d+ ms\)",
            rf"GET {issuer}/jwks → 200 \(\d+ ms\)",
            rf"GET {issuer}/userinfo → 200 \(\d+ ms\)",
        ):
            assert any(re.fullmatch(pattern, line) for line in exchanges), connected.stderr

        refreshed = cli.ok("token", "ada@sandbox.test", "-v")
        second = cli.stored_tokens("ada")
        assert refreshed.stdout.strip() == second.access_token != first.access_token
        secrets += [second.access_token, second.refresh_token or ""]
        # A new process reads the provider's settings again, then renews the token.
        assert [s for s, _ in step_lines(refreshed.stderr)][:2] == ["discovery", "refresh"]
        assert all(state == "done" for _, state in step_lines(refreshed.stderr))
        assert any(
            re.fullmatch(rf"POST {issuer}/token → 200 \(\d+ ms\)", line)
            for line in exchange_lines(refreshed.stderr)
        )

        revoked = cli.ok("revoke", "ada@sandbox.test", "-v")
        assert [s for s, _ in step_lines(revoked.stderr)][:3] == ["discovery", "revoke", "verify"]
        assert all(state == "done" for _, state in step_lines(revoked.stderr))
        assert revoked.stderr.splitlines()[-1] == "flow: finished"

    secrets = [s for s in secrets if s]
    assert len(secrets) == 9
    stderr = "\n".join(r.stderr for r in cli.transcript)
    log = (home / "logs" / LOG_FILE).read_text()
    assert " DEBUG " in log
    for secret in secrets:
        assert secret not in stderr, secret[:6]
        assert secret not in log, secret[:6]
    # The verifier never leaves the process: no value follows its name anywhere.
    assert not re.search(r"code_verifier\W+(?!«|\[redacted\])\w", log + stderr)


def test_a_refused_refresh_names_its_step_and_the_providers_answer(
    tmp_path: Path, browser_plan: BrowserPlan
) -> None:
    home = tmp_path / "home"
    cli = Cli(home)
    with SandboxServer(home, access_token_ttl=30) as sandbox:
        cli.connect("sandbox", browser_plan, "grace")
        tokens = cli.stored_tokens("grace")
        # The person takes the access back at the provider (RFC 7009, the grant ends).
        with requests.Session() as http:
            http.trust_env = False
            answer = http.post(
                f"{sandbox.issuer}/revoke",
                data={"token": tokens.refresh_token, "client_id": SANDBOX_CLIENT_ID},
                timeout=10,
            )
            assert answer.status_code == 200
        refused = cli.run("token", "grace@sandbox.test", "-v")
    assert refused.returncode == 1 and refused.stdout == ""
    lines = refused.stderr.splitlines()
    assert ("refresh", "failed") in step_lines(refused.stderr)
    assert "flow: the token refresh failed: the provider answered invalid_grant" in lines
    assert tokens.refresh_token and tokens.refresh_token not in refused.stderr


def test_oidc_provider_connect_shows_the_named_steps_in_order(
    tmp_path: Path, oidc_provider: OidcProvider, browser_plan: BrowserPlan
) -> None:
    cli = Cli(tmp_path / "home")
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
    )
    connected = cli.connect("op", browser_plan, "erin", "-v")
    steps = [step for step, state in step_lines(connected.stderr) if state != "waiting"]
    assert steps == ["discovery", "authorize", "callback", "token", "id_token", "api"]
    exchanges = exchange_lines(connected.stderr)
    token_posts = [line for line in exchanges if line.startswith("POST ") and "/token" in line]
    assert len(token_posts) == 1 and re.search(r" \((\d+ ms|\d+\.\d s)\)$", token_posts[0])
    assert any(
        line.startswith("GET ") and " → 200 " in line and "jwks" in line for line in exchanges
    )
    [browsed] = browser_plan.results(timeout=0)
    code = parse_qs(urlsplit(browsed["final_url"]).query)["code"][0]
    assert code not in connected.stderr


def add_op(cli: Cli, op: OidcProvider, *extra: str) -> None:
    cli.ok(
        "provider",
        "add",
        "op",
        "--issuer",
        op.issuer,
        "--client-id",
        op.client_id,
        "--scope",
        "openid",
        "email",
        *extra,
    )


def test_oidc_provider_refused_consent_names_the_authorization_response(
    tmp_path: Path, oidc_provider: OidcProvider, browser_plan: BrowserPlan
) -> None:
    cli = Cli(tmp_path / "home")
    add_op(cli, oidc_provider)
    browser_plan.set(login="erin", action="cancel")
    refused = cli.run("connect", "op", "-v")
    browser_plan.results()
    assert refused.returncode == 1
    assert ("callback", "failed") in step_lines(refused.stderr)
    assert (
        "flow: the authorization response failed: the provider answered access_denied"
        in refused.stderr.splitlines()
    )


def test_oidc_provider_wrong_redirect_uri_fails_the_authorize_step(
    tmp_path: Path, oidc_provider: OidcProvider, browser_plan: BrowserPlan
) -> None:
    """oidc-provider shows an error page for a redirect URI it does not know and never
    redirects: the authorize step is where the sign-in stops."""
    cli = Cli(tmp_path / "home")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    add_op(cli, oidc_provider, "--redirect-uri", f"http://127.0.0.1:{port}/not-registered")
    browser_plan.set(login="erin", action="consent")
    stuck = cli.run("connect", "op", "-v", "--timeout", "4")
    browser_plan.results()
    assert stuck.returncode == 1
    steps = step_lines(stuck.stderr)
    assert steps[-1] == ("authorize", "failed") and ("callback", "done") not in steps
    assert (
        "flow: the sign-in at the provider failed: no answer came back from the browser in "
        "time. Please try again." in stuck.stderr.splitlines()
    )
