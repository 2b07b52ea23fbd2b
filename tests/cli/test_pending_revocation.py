"""A revocation the command line leaves pending (provider down) is delivered by the
next command (docs/security.md (a)28, (b)18; RFC 7009 §2.2.1)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

from tests.core.scripted_server import Answer, Received, scripted_server

from .runner import Cli


def provider_down_until(up: dict[str, bool]) -> Callable[[Received], Answer]:
    """A provider whose revocation endpoint answers 503 until ``up["now"]`` is set;
    then it revokes, and userinfo refuses the revoked token."""

    def answer(request: Received) -> Answer:
        if request.path == "/token":
            return Answer.json(
                {
                    "access_token": "at-secret",
                    "refresh_token": "rt-secret",
                    "token_type": "Bearer",
                    "expires_in": 3600,
                    "scope": "profile",
                }
            )
        if request.path == "/userinfo":  # after revocation the token is refused
            return Answer(401, b"") if up["now"] else Answer.json({"sub": "u1", "name": "U"})
        if request.path == "/revoke":
            return Answer(200, b"") if up["now"] else Answer(503, b"busy", {})
        return Answer(404, b"")

    return answer


def connected(tmp_path: Path, url: str) -> Cli:
    """A command line with the provider at ``url`` added and one account connected."""
    cli = Cli(tmp_path / "home")
    cli.ok(
        "provider", "add", "down", "--client-id", "app", "--scope", "profile",
        "--authorize-url", f"{url}/auth", "--token-url", f"{url}/token",
        "--userinfo-url", f"{url}/userinfo", "--revocation-url", f"{url}/revoke",
    )  # fmt: skip
    assert cli.connect_without_browser("down").stdout.startswith("Connected")
    return cli


def test_the_next_command_delivers_a_pending_revocation(tmp_path: Path) -> None:
    up = {"now": False}

    answer = provider_down_until(up)

    with scripted_server(answer) as server:
        cli = connected(tmp_path, server.url)
        revoked = cli.run("revoke", "u1")
        assert revoked.returncode == 1
        assert "as soon as it can be reached" in revoked.error_line
        before = len([r for r in server.posts() if r.path == "/revoke"])
        assert before >= 1

        up["now"] = True
        listed = cli.ok("accounts", "--json")  # any next command
        assert "reached the provider" in listed.stderr
        revokes = [r for r in server.posts() if r.path == "/revoke"]
        assert len(revokes) > before
        assert parse_qs(revokes[before].body.decode())["token"] == ["rt-secret"]
        [account] = json.loads(listed.stdout)
        assert "pending" not in json.dumps(account)
        again = cli.ok("accounts")  # delivered once, not again
        assert "reached the provider" not in again.stderr
        assert len([r for r in server.posts() if r.path == "/revoke"]) == len(revokes)


def test_revoke_fails_when_the_provider_says_yes_but_the_token_still_works(
    tmp_path: Path,
) -> None:
    def answer(request: Received) -> Answer:
        if request.path == "/token":
            return Answer.json(
                {"access_token": "at-secret", "token_type": "Bearer", "expires_in": 3600}
            )
        if request.path == "/userinfo":  # the probe: still honoured after "revocation"
            return Answer.json({"sub": "u1", "name": "U"})
        if request.path == "/revoke":
            return Answer(200, b"")
        return Answer(404, b"")

    with scripted_server(answer) as server:
        cli = Cli(tmp_path / "home")
        cli.ok(
            "provider", "add", "lax", "--client-id", "app", "--scope", "profile",
            "--authorize-url", f"{server.url}/auth", "--token-url", f"{server.url}/token",
            "--userinfo-url", f"{server.url}/userinfo", "--revocation-url", f"{server.url}/revoke",
        )  # fmt: skip
        assert cli.connect_without_browser("lax").stdout.startswith("Connected")
        revoked = cli.run("revoke", "u1")
        assert [r.path for r in server.posts()].count("/revoke") == 1
    assert revoked.returncode == 1, revoked
    assert revoked.stdout == ""
    assert "did not confirm" in revoked.error_line or "still" in revoked.error_line


def test_remove_keeps_an_account_whose_revocation_still_cannot_be_delivered(
    tmp_path: Path,
) -> None:
    up = {"now": False}

    answer = provider_down_until(up)

    with scripted_server(answer) as server:
        cli = connected(tmp_path, server.url)
        assert cli.run("revoke", "u1").returncode == 1

        refused = cli.run("remove", "u1")
        assert refused.returncode == 1
        assert "was not removed" in refused.error_line
        [account] = json.loads(cli.ok("accounts", "--json").stdout)
        assert account["state"] == "revocation pending"

        up["now"] = True
        removed = cli.ok("remove", "u1")
        assert removed.stdout.startswith("Removed")
        assert json.loads(cli.ok("accounts", "--json").stdout) == []
        assert any(r.path == "/revoke" and b"rt-secret" in r.body for r in server.posts())
