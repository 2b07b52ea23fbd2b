"""The command line's grammar (argparse), and its help text."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from .. import APP_NAME, __version__
from .console import one_line
from .terminal import terminal_text

DESCRIPTION = """\
Connect accounts at OAuth 2.0 / OpenID Connect providers, see what they grant,
use them from scripts, and take them back.

Without a command (or with `gui`) the window opens. Tokens live only in the
system keyring; settings in config.json under the config folder, or in
$DESKTOP_OAUTH_HOME when it is set."""

EPILOG = """\
examples:
  desktop-oauth connect sandbox        # the built-in provider: no account needed
  desktop-oauth provider add work --issuer https://id.example.com --client-id my-app
  desktop-oauth provider add gh --preset github --client-id Iv1.abc --client-secret-stdin
  desktop-oauth connect work
  desktop-oauth accounts
  curl -H "Authorization: Bearer $(desktop-oauth token alice@example.com)" https://api.example.com/
  desktop-oauth revoke alice@example.com

ACCOUNT is an account's name, its email or login, or PROVIDER:SUBJECT (as
`accounts` lists them). Exit status: 0 done, 1 failed, 2 the command line was
wrong. Errors are one line on stderr."""


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr, exit status 2."""

    def error(self, message: str) -> NoReturn:
        line = terminal_text(f"{self.prog}: {one_line(message)} (see `{self.prog} --help`)")
        self.exit(2, line + "\n")


def _scope(value: str) -> str:
    if not value.split():
        raise argparse.ArgumentTypeError("a scope cannot be empty")
    return value


def scopes_of(args: argparse.Namespace) -> tuple[str, ...] | None:
    """The scopes given with ``--scope`` (several per option, or space-separated), in
    order and without repeats; None when the option was not used."""
    given: list[str] | None = args.scopes
    if not given:
        return None
    return tuple(dict.fromkeys(s for value in given for s in value.split()))


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if not 0 < seconds <= 24 * 3600:
        raise argparse.ArgumentTypeError("give between 1 second and 24 hours")
    return seconds


def _add_scopes(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument(
        "--scope",
        dest="scopes",
        metavar="S",
        nargs="+",
        action="extend",
        type=_scope,
        default=None,
        help=help_text,
    )


def _add_verbose(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help=(
            "show each step on stderr as it happens, with every HTTP exchange (secrets redacted)"
        ),
    )


def build_parser() -> OneLineParser:
    """The whole command line; each command's ``handler`` names its function."""
    parser = OneLineParser(
        prog=APP_NAME,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    gui = commands.add_parser(
        "gui", help="open the window (the default)", description="Open the desktop-oauth window."
    )
    gui.add_argument(
        "--connect",
        metavar="PROVIDER",
        help="start connecting an account at PROVIDER once the window is up",
    )

    _add_provider_commands(commands)

    connect = commands.add_parser(
        "connect",
        help="connect an account: sign in at the provider in your browser",
        description=(
            "Connect an account at PROVIDER. Your browser opens the provider's sign-in and "
            "consent page; the answer comes back to http://127.0.0.1:<port>/callback on this "
            "computer. Ctrl-C cancels. Given an ACCOUNT instead, sign in again as that "
            "account's person (the provider is asked for them by login_hint); if another "
            "person signs in, nothing changes and the exit status is 1, with one line "
            "saying who signed in."
        ),
    )
    connect.add_argument("provider", metavar="PROVIDER|ACCOUNT")
    _add_scopes(connect, "scopes to ask for this time (default: the provider's)")
    connect.add_argument(
        "--no-browser",
        action="store_true",
        help="do not open a browser: print the link to open, then wait",
    )
    connect.add_argument(
        "--timeout",
        type=_seconds,
        default=300.0,
        metavar="SECONDS",
        help="how long to wait for you in the browser (default 300)",
    )
    _add_verbose(connect)

    accounts = commands.add_parser(
        "accounts",
        help="list connected accounts and their state",
        description=(
            "List the accounts: name, provider, state (connected, expired, needs sign-in "
            "again, revoked, revocation pending) and the scopes granted now. A revoked or "
            "signed-out account shows no scopes, no expiry and no refresh token; --json keeps "
            "what it held in former_scopes, revoked_at and revocation. email and name come "
            "from the id_token, or from the provider's userinfo answer where it lacks them."
        ),
    )
    accounts.add_argument("--json", action="store_true", help="print JSON")
    accounts.add_argument(
        "--check",
        action="store_true",
        help="ask each provider whether it still accepts the access token",
    )

    token = commands.add_parser(
        "token",
        help="print a valid access token (for scripts)",
        description=(
            "Print a currently valid access token of ACCOUNT on stdout, and nothing else. "
            "A token that expires within 60 seconds is refreshed first. Exit status 1, with "
            "one line on stderr and nothing on stdout, whenever it cannot print a token it "
            "stands behind: no such account, not connected, expired and not renewable, or a "
            "refresh whose new id_token fails its checks or names another user."
        ),
    )
    token.add_argument("account", metavar="ACCOUNT")
    token.add_argument(
        "--json", action="store_true", help="print {access_token, token_type, expires_at, scope}"
    )
    _add_verbose(token)

    _add_history_and_remove_commands(commands)
    revoke = commands.add_parser(
        "revoke",
        help="revoke an account's access at the provider and delete its tokens here",
        description=(
            "Revoke ACCOUNT's tokens at the provider (RFC 7009) and delete them here; the "
            "account stays listed as revoked. Exit status 0 only when a probe afterwards "
            "proved the tokens no longer work, or the provider confirmed the revocation "
            "and offers nothing to probe with; otherwise 1 (also when the provider said "
            "yes but the token still works). The local tokens are deleted in every case."
        ),
    )
    revoke.add_argument("account", metavar="ACCOUNT")
    _add_verbose(revoke)
    return parser


def _add_history_and_remove_commands(commands: argparse._SubParsersAction[OneLineParser]) -> None:
    history = commands.add_parser(
        "history",
        help="show what happened to an account, oldest first",
        description=(
            "Show ACCOUNT's history, oldest first, in local time with the zone: connected "
            "(with the scopes granted), scopes changed (added, removed), refreshed, refresh "
            "failed (why), signed in again, revoked (verified or not) and removed. An account "
            "removed earlier is named by its id, name or PROVIDER:SUBJECT. Repeated refreshes "
            "(or failures) in a row are one event with a count. The settings file keeps the "
            "last 100 events of each account; it holds no token, code or secret."
        ),
    )
    history.add_argument("account", metavar="ACCOUNT")
    history.add_argument(
        "--json",
        action="store_true",
        help="print a list of {time, kind, scopes, added, removed, reason, revocation, "
        "count, since}",
    )
    remove = commands.add_parser(
        "remove",
        help="revoke an account (if it still holds tokens) and forget it here",
        description=(
            "Revoke ACCOUNT's tokens at the provider if any are still held (as `revoke` "
            "does), then forget the account here; its history is kept (`history`). Exit "
            "status 1 when tokens were held and the provider did not confirm the revocation: "
            "the account is forgotten all the same."
        ),
    )
    remove.add_argument("account", metavar="ACCOUNT")


def _add_provider_commands(commands: argparse._SubParsersAction[OneLineParser]) -> None:
    provider = commands.add_parser(
        "provider",
        help="add, list, show, remove or check providers",
        description="Manage the providers accounts are connected at.",
    )
    sub = provider.add_subparsers(
        dest="provider_command", metavar="ACTION", title="actions", required=True
    )

    add = sub.add_parser(
        "add",
        help="add a provider",
        usage=(
            f"{APP_NAME} provider add NAME (--issuer URL | --preset KEY | --authorize-url URL "
            "--token-url URL) [--userinfo-url URL] [--revocation-url URL] "
            "[--introspection-url URL] --client-id ID [--client-secret-stdin] [--scope S ...] "
            "[--redirect-uri http://127.0.0.1:PORT/callback]"
        ),
        description=(
            "Add a provider: an OpenID provider by its issuer (its discovery document is "
            "fetched and checked now), a preset (github, google, microsoft, gitlab), or an "
            "OAuth 2.0 provider by its endpoints. Register the client at the provider as a "
            "native/desktop app with the redirect URI http://127.0.0.1/callback (any port). "
            "If the provider compares the redirect URI exactly, port included, register "
            "http://127.0.0.1:PORT/callback with a free port of your choosing and give the "
            "same URI with --redirect-uri; `provider check` tells which form it needs."
        ),
    )
    add.add_argument("name", metavar="NAME", help="a short name for the provider")
    source = add.add_mutually_exclusive_group(required=True)
    source.add_argument("--issuer", metavar="URL", help="the OpenID provider's issuer URL")
    source.add_argument(
        "--preset", metavar="KEY", help="a well-known provider: github, google, microsoft, gitlab"
    )
    source.add_argument("--authorize-url", metavar="URL", help="the authorization endpoint")
    add.add_argument("--token-url", metavar="URL", help="the token endpoint")
    add.add_argument(
        "--userinfo-url",
        metavar="URL",
        help="the userinfo endpoint (with --issuer: wins over the discovery document)",
    )
    add.add_argument(
        "--revocation-url",
        metavar="URL",
        help="the RFC 7009 revocation endpoint (with --issuer: wins over the discovery "
        "document, e.g. where it names none)",
    )
    add.add_argument(
        "--introspection-url",
        metavar="URL",
        help="the RFC 7662 introspection endpoint (with --issuer: wins over discovery)",
    )
    add.add_argument(
        "--redirect-uri",
        metavar="URI",
        help="the redirect URI registered at a provider that compares it exactly, port "
        "included: http://127.0.0.1:PORT/PATH or http://[::1]:PORT/PATH (default: a free "
        "port at each sign-in, registered as http://127.0.0.1/callback)",
    )
    add.add_argument(
        "--client-id", required=True, metavar="ID", help="the client id registered at the provider"
    )
    add.add_argument(
        "--client-secret-stdin",
        action="store_true",
        help="read the client secret from stdin (it is kept in the keyring, never in a file)",
    )
    _add_scopes(
        add,
        "scopes to ask for (default: openid profile email, plus offline_access "
        "where the provider offers refresh, whatever its scopes_supported lists; a preset's own)",
    )
    add.add_argument(
        "--tenant",
        metavar="TENANT",
        help="microsoft preset: common, organizations, consumers or a tenant id",
    )
    add.add_argument(
        "--server", metavar="URL", help="gitlab preset: the address of a self-managed GitLab"
    )

    listing = sub.add_parser("list", help="list the providers")
    listing.add_argument("--json", action="store_true", help="print JSON")

    show = sub.add_parser(
        "show",
        help="show a provider and the redirect URI to register there",
    )
    show.add_argument("name", metavar="NAME")
    show.add_argument("--json", action="store_true", help="print JSON")

    remove = sub.add_parser(
        "remove",
        help="remove a provider and its client secret",
        description=(
            "Remove a provider and its client secret. Refused while accounts are connected "
            "through it, unless --forget-accounts (which deletes their tokens here without "
            "revoking them at the provider)."
        ),
    )
    remove.add_argument("name", metavar="NAME")
    remove.add_argument(
        "--forget-accounts",
        action="store_true",
        help="also forget its accounts here (without revoking them)",
    )

    check = sub.add_parser(
        "check",
        help="check the provider's metadata and the client registration",
        description=(
            "Check that the provider works with this app: the redirect URI to register, "
            "PKCE S256, iss in the authorization response, revocation and userinfo "
            "endpoints, and the server's clock against this computer's."
        ),
    )
    check.add_argument("name", metavar="NAME")
    check.add_argument("--json", action="store_true", help="print JSON")


def parse(argv: list[str]) -> argparse.Namespace:
    """Parse ``argv``; usage errors exit with status 2 after one line on stderr."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "provider" and args.provider_command == "add":
        _check_provider_add(parser, args)
    return args


def _check_provider_add(parser: OneLineParser, args: argparse.Namespace) -> None:
    prog = f"{APP_NAME} provider add"
    overrides = ("userinfo_url", "revocation_url", "introspection_url")
    if args.authorize_url and not args.token_url:
        _usage(prog, "--authorize-url needs --token-url")
    if args.token_url and not args.authorize_url:
        _usage(prog, "--token-url goes with --authorize-url")
    if args.preset and any(getattr(args, name) for name in overrides):
        _usage(
            prog,
            "--userinfo-url, --revocation-url and --introspection-url go with --issuer "
            "or --authorize-url",
        )
    if args.tenant is not None and args.preset != "microsoft":
        _usage(prog, "--tenant goes with --preset microsoft")
    if args.server is not None and args.preset != "gitlab":
        _usage(prog, "--server goes with --preset gitlab")


def _usage(prog: str, message: str) -> NoReturn:
    sys.stderr.write(terminal_text(f"{prog}: {message} (see `{prog} --help`)") + "\n")
    raise SystemExit(2)
