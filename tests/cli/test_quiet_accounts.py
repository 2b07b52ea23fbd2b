"""What ``accounts`` writes: the list on stdout, and on stderr only what needs the
person's attention now."""

from __future__ import annotations

from pathlib import Path

from tests.core.scripted_server import scripted_server

from .test_pending_revocation import connected, provider_down_until


def test_a_revoked_account_listed_twice_writes_nothing_on_stderr(tmp_path: Path) -> None:
    up = {"now": False}
    with scripted_server(provider_down_until(up)) as server:
        cli = connected(tmp_path, server.url)
        up["now"] = True  # revocation is accepted, and the revoked token refused
        cli.ok("revoke", "u1")
        first = cli.ok("accounts")
        second = cli.ok("accounts")
        listed = cli.ok("accounts", "--json")
    assert (first.stderr, second.stderr, listed.stderr) == ("", "", "")
    assert "revoked" in first.stdout.lower()
    assert first.stdout == second.stdout


def test_a_revocation_the_provider_has_not_heard_of_is_still_said_on_stderr(
    tmp_path: Path,
) -> None:
    up = {"now": False}
    with scripted_server(provider_down_until(up)) as server:
        cli = connected(tmp_path, server.url)
        assert cli.run("revoke", "u1").returncode == 1  # provider down: left pending
        listed = cli.ok("accounts")
    assert listed.stderr == "U: Revoked here; the provider will be told when it can be reached.\n"
    assert "revocation pending" in listed.stdout
