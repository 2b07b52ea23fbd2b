"""``desktop-oauth history ACCOUNT [--json]`` against the built-in sandbox, with Debian's
Chromium and the real keyring: every event of an account's life, in order, with its
details, kept after the account is removed, and never a token."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from desktop_oauth.core import config as config_file
from desktop_oauth.core import history
from desktop_oauth.sandbox import SandboxServer
from tests.e2e.conftest import BrowserPlan
from tests.sandbox.helpers import Client

from .runner import Cli

#: The demo user, named by its subject: its display name follows the scopes granted.
ADA = "ada"


def secrets_of(cli: Cli, seen: set[str]) -> None:
    """Add the tokens the keyring holds for ada now to ``seen``."""
    tokens = cli.stored_tokens("ada")
    seen.update(t for t in (tokens.access_token, tokens.refresh_token, tokens.id_token) if t)


@pytest.mark.e2e
def test_history_tells_an_accounts_whole_life_in_order_and_keeps_no_token(
    tmp_path: Path, browser_plan: BrowserPlan
) -> None:
    cli = Cli(tmp_path / "home")
    seen: set[str] = set()
    # Served by this process, found by every command through the profile's sandbox
    # folder; access tokens live 30 s, so `token` (which wants 60 s) always refreshes.
    with SandboxServer(cli.home, access_token_ttl=30) as sandbox:
        cli.connect("sandbox", browser_plan, "ada", "--scope", "openid", "email", "offline_access")
        secrets_of(cli, seen)
        cli.connect(
            "sandbox", browser_plan, "ada", "--scope", "openid", "profile", "offline_access"
        )
        secrets_of(cli, seen)
        seen.add(cli.ok("token", ADA).stdout.strip())  # refreshed
        secrets_of(cli, seen)
        # The person takes the grant back at the provider: the next refresh is refused.
        refresh_token = cli.stored_tokens("ada").refresh_token
        assert refresh_token is not None
        client = Client(sandbox.issuer)
        revoked = client.post("/revoke", {"token": refresh_token, "client_id": client.client_id})
        assert revoked.status_code == 200
        refused = cli.run("token", ADA)
        assert refused.returncode == 1 and refused.stdout == "", str(refused)
        cli.connect(
            "sandbox", browser_plan, "ada", "--scope", "openid", "profile", "offline_access"
        )
        secrets_of(cli, seen)
        cli.ok("revoke", ADA)
        account_id = cli.account("ada").id
        cli.ok("remove", ADA)
        assert cli.accounts() == ()

        entries = cli.ok("history", ADA, "--json").json()
        by_id = cli.ok("history", account_id, "--json").json()
        table = cli.ok("history", ADA)

    assert by_id == entries
    assert [e["kind"] for e in entries] == [
        "connected",
        "scopes_changed",
        "refreshed",
        "refresh_failed",
        "signed_in_again",
        "revoked",
        "removed",
    ]
    for entry in entries:
        assert set(entry) == {
            "time",
            "kind",
            "scopes",
            "added",
            "removed",
            "reason",
            "revocation",
            "count",
            "since",
        }
        assert entry["count"] == 1 and entry["since"] is None
        assert datetime.fromisoformat(entry["time"]).tzinfo is not None
    connected, changed, _, failed, again, revoked_entry, _ = entries
    assert set(connected["scopes"]) == {"openid", "email", "offline_access"}
    assert (changed["added"], changed["removed"]) == (["profile"], ["email"])
    assert "invalid_grant" in failed["reason"]
    assert set(again["scopes"]) == {"openid", "profile", "offline_access"}
    assert revoked_entry["revocation"] == "verified"
    times = [datetime.fromisoformat(e["time"]) for e in entries]
    assert times == sorted(times)

    lines = table.stdout.splitlines()
    assert lines[0].endswith("(Sandbox (built in, no account needed)), oldest first:")
    assert lines[1].split() == ["TIME", "EVENT", "DETAIL"]
    zone = datetime.fromisoformat(entries[0]["time"]).astimezone().strftime("%Z")
    assert lines[2].split()[2] == zone  # local date, time and zone
    assert "scopes changed" in lines[3] and "added: profile; removed: email" in lines[3]
    assert "verified" in lines[7] and "removed" in lines[8]

    assert len(seen) >= 8
    config_text = cli.profile.config_path.read_text()
    outputs = [r.stdout + r.stderr for r in cli.transcript if r.args[0] != "token"]
    for secret in seen:
        assert secret not in config_text
        assert all(secret not in text for text in outputs)


def test_an_unknown_account_is_one_line_and_exit_1(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "home")
    result = cli.run("history", "nobody@example.test")
    assert result.returncode == 1 and result.stdout == ""
    assert "No account, connected or removed, has that name" in result.error_line
    assert cli.run("history", "nobody", "--json").returncode == 1


def test_provider_text_in_the_history_is_escaped_on_the_terminal(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "home")
    evil = "mallory\x1b]0;owned\x07\u202e@example.test"
    names = config_file.AccountRecord(
        id="acct-evil", provider="evil", issuer="http://127.0.0.1:1", subject="s", display_name=evil
    )
    config = config_file.Config(accounts=(names,)).with_event(
        "acct-evil", history.refresh_failed(1767000000.0, "the provider said \x1b[2J\x9bgone")
    )
    cli.profile.config_path.parent.mkdir(parents=True, exist_ok=True)
    config_file.save(cli.profile.config_path, config.without_account("acct-evil"))

    table = cli.ok("history", "acct-evil")
    assert not any(ch in table.stdout for ch in "\x1b\x07\x9b\u202e")
    assert "\\x1b]0;owned\\x07\\u202e" in table.stdout
    assert "the provider said \\x1b[2J\\x9bgone" in table.stdout
    listed = cli.ok("history", "acct-evil", "--json").stdout
    assert not any(ch in listed for ch in "\x1b\x9b")
    [entry] = json.loads(listed)  # still JSON: control characters as JSON escapes
    assert entry["reason"] == "the provider said \x1b[2J\x9bgone"


def test_an_account_with_nothing_recorded_says_so(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "home")
    record = config_file.AccountRecord(
        id="acct-old", provider="p", issuer="http://127.0.0.1:1", subject="s", display_name="old"
    )
    cli.profile.config_path.parent.mkdir(parents=True, exist_ok=True)
    config_file.save(cli.profile.config_path, config_file.Config(accounts=(record,)))
    assert cli.ok("history", "old").stdout == "Nothing is recorded for old yet.\n"
    assert cli.ok("history", "p:s", "--json").json() == []
