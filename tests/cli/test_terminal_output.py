"""Finding 4 of the security review (docs/security.md): provider text with OSC/CSI
sequences reached the terminal through ``connect``, ``accounts`` and token errors,
retitling and clearing it. Every CLI line now passes one sanitizer."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from desktop_oauth.cli.console import Console
from desktop_oauth.cli.terminal import terminal_lines, terminal_text
from tests.e2e.conftest import BrowserPlan
from tests.e2e.oidc_provider import OidcProvider
from tests.standins.server import Reply, Request, StandInServer, serving

from .runner import Cli

OSC_TITLE = "\x1b]0;pwned\x07"
CSI_CLEAR = "\x1b[2J\x1b[H"
C1_CSI = "\x9b2J"
BIDI = "\u202e"
HOSTILE = OSC_TITLE + CSI_CLEAR + C1_CSI + BIDI
RAW = ("\x1b", "\x07", "\x9b", "\u202e")


def assert_escaped(*outputs: str) -> None:
    for output in outputs:
        assert not any(ch in output for ch in RAW), repr(output)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (OSC_TITLE, "\\x1b]0;pwned\\x07"),
        (CSI_CLEAR, "\\x1b[2J\\x1b[H"),
        (C1_CSI, "\\x9b2J"),
        ("a\rb\nc\x00", "a\\x0db\\x0ac\\x00"),
        (BIDI + "abc", "\\u202eabc"),
        ("Zoë 李 café\tok", "Zoë 李 café\tok"),  # ordinary text passes unchanged
    ],
)
def test_terminal_text_escapes_controls(text: str, shown: str) -> None:
    assert terminal_text(text) == shown


def test_every_console_stream_is_sanitized() -> None:
    out, err = io.StringIO(), io.StringIO()
    console = Console(out, err)
    console.print(f"Connected {HOSTILE}")
    console.info(HOSTILE)
    console.error(HOSTILE)
    console.json({"email": HOSTILE})
    console.table(["name"], [[HOSTILE]])
    assert_escaped(out.getvalue(), err.getvalue())
    assert terminal_lines("a\nb") == "a\nb"


@pytest.mark.e2e
def test_connect_and_accounts_escape_provider_claims(
    tmp_path: Path, oidc_provider: OidcProvider, browser_plan: BrowserPlan
) -> None:
    # oidc-provider takes the typed login as the account id: sub, name and email
    # all carry the sequences (a hostile or compromised provider does the same).
    cli = Cli(tmp_path / "home")
    cli.ok(
        "provider", "add", "op", "--issuer", oidc_provider.issuer,
        "--client-id", oidc_provider.client_id, "--scope", "openid", "profile", "email",
    )  # fmt: skip
    login = "eve" + OSC_TITLE + CSI_CLEAR
    connected = cli.connect("op", browser_plan, login)
    assert "\\x1b]0;pwned\\x07" in connected.stdout  # shown, escaped
    listed = cli.ok("accounts")
    as_json = cli.ok("accounts", "--json")
    assert "\\x1b]0;pwned" in listed.stdout
    for result in cli.transcript:
        assert_escaped(result.stdout, result.stderr)
    assert as_json.json()  # still valid JSON for scripts


@pytest.mark.e2e
def test_token_endpoint_error_text_is_escaped(tmp_path: Path) -> None:
    def hostile(request: Request) -> Reply:
        return Reply.json(
            {"error": "invalid_request" + OSC_TITLE, "error_description": HOSTILE}, 400
        )

    with serving(StandInServer(hostile)) as provider:
        cli = Cli(tmp_path / "home")
        cli.ok(
            "provider", "add", "evil", "--client-id", "app",
            "--authorize-url", f"{provider.url}/authorize", "--token-url", f"{provider.url}/token",
        )  # fmt: skip
        result = cli.connect_without_browser("evil", code="abc")
        assert result.returncode == 1
        assert "pwned" in result.stderr  # the provider's text is shown ...
        assert_escaped(result.stdout, result.stderr)  # ... but never as a control sequence
