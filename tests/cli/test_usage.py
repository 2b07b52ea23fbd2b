"""Help, usage errors and imports: the command line without any provider."""

from __future__ import annotations

from pathlib import Path

import pytest

from .runner import Cli

pytestmark = pytest.mark.e2e

COMMANDS = ("gui", "provider", "connect", "accounts", "token", "revoke")


def test_help_documents_every_command(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "home")
    result = cli.ok("--help")
    for command in COMMANDS:
        assert f"\n    {command} " in result.stdout
    assert "Authorization: Bearer $(desktop-oauth token" in result.stdout
    assert "PROVIDER:SUBJECT" in result.stdout
    assert result.stderr == ""

    add = cli.ok("provider", "add", "--help").stdout
    for option in (
        "--issuer",
        "--preset",
        "--authorize-url",
        "--token-url",
        "--userinfo-url",
        "--revocation-url",
        "--client-id",
        "--client-secret-stdin",
        "--scope",
    ):
        assert option in add
    assert "http://127.0.0.1/callback" in add
    assert "--no-browser" in cli.ok("connect", "--help").stdout
    assert "60 seconds" in cli.ok("token", "--help").stdout


@pytest.mark.parametrize(
    "args",
    [
        ("bogus",),
        ("token",),
        ("connect",),
        ("accounts", "--bogus"),
        ("provider",),
        ("provider", "add", "x", "--client-id", "y"),
        (
            "provider",
            "add",
            "x",
            "--issuer",
            "https://a.test",
            "--preset",
            "github",
            "--client-id",
            "y",
        ),
        ("provider", "add", "x", "--authorize-url", "https://a.test/auth", "--client-id", "y"),
        (
            "provider",
            "add",
            "x",
            "--issuer",
            "https://a.test",
            "--token-url",
            "https://a.test/t",
            "--client-id",
            "y",
        ),
        ("connect", "p", "--timeout", "soon"),
    ],
)
def test_usage_errors_exit_2_with_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = Cli(tmp_path / "home").run(*args)
    assert result.returncode == 2, str(result)
    assert result.error_line.startswith("desktop-oauth")
    assert "--help" in result.error_line
    assert result.stdout == ""
    assert not (tmp_path / "home" / "config.json").exists()


def test_unknown_account_and_provider_fail_with_one_line(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "home")
    for args, expected in (
        (("token", "nobody"), "No account is connected yet"),
        (("revoke", "nobody"), "No account is connected yet"),
        (("connect", "nowhere"), "There is no provider called 'nowhere'"),
        (("provider", "show", "nowhere"), "There is no provider called 'nowhere'"),
    ):
        result = cli.run(*args)
        assert result.returncode == 1, str(result)
        assert result.error_line.startswith(f"desktop-oauth: {expected}")
        assert result.stdout == ""


def test_command_line_never_imports_qt(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "home")
    for args in (("--help",), ("accounts", "--json"), ("token", "nobody")):
        result = cli.run(*args, python_options=("-X", "importtime"))
        imported = [
            line.split("|")[-1].strip()
            for line in result.stderr.splitlines()
            if line.startswith("import time:")
        ]
        assert "desktop_oauth.cli" in imported, result.stderr[-2000:]
        qt = [name for name in imported if name.split(".")[0] in ("PySide6", "shiboken6")]
        assert qt == [], f"{args} imported {qt}"


def test_the_sandbox_answers_to_its_short_name(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "home")
    shown = cli.ok("provider", "show", "sandbox")
    assert "Sandbox (built in, no account needed)" in shown.stdout
    assert "desktop-oauth" in shown.stdout  # its client id, known before it starts
    removed = cli.run("provider", "remove", "Sandbox")
    assert removed.returncode == 1 and "cannot be removed" in removed.error_line
    unknown = cli.run("connect", "nosuch")
    assert unknown.returncode == 1 and "no provider called 'nosuch'" in unknown.error_line
