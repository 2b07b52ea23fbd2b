"""``desktop-oauth accounts``, ``token ACCOUNT`` and ``revoke ACCOUNT``."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any

from ..core.config import AccountRecord, AccountStatus
from ..core.lookup import AmbiguousAccountError, qualified_name
from ..core.profile import Profile
from ..core.stored_token import valid_stored_token
from .console import CliError, Console
from .service import open_service, require_keyring

if TYPE_CHECKING:
    from ..core.account_state import AccountSummary
    from ..core.accounts import AccountService


def find(service: AccountService, query: str) -> AccountRecord:
    """The account ``query`` names; an ambiguous name lists the candidates (exit 1)."""
    try:
        return service.find_account(query)
    except AmbiguousAccountError as exc:
        names = ", ".join(f"{qualified_name(r)} ({r.display_name})" for r in exc.candidates)
        raise CliError(
            f"{query!r} matches {len(exc.candidates)} accounts: {names}. "
            "Name one as PROVIDER:SUBJECT."
        ) from None


def _expiry(summary: AccountSummary, now: float) -> str:
    expires_at = summary.expires_at
    if expires_at is None:
        return ""
    left = expires_at - now
    if left <= 0:
        return "expired " + time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(expires_at))
    if left < 3600:
        return f"{int(left // 60)} min left"
    return "until " + time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(expires_at))


def _summary_json(summary: AccountSummary) -> dict[str, Any]:
    """One account for ``accounts --json``: what holds now, then its history apart."""
    r = summary.record
    return {
        "id": r.id,
        "name": r.display_name,
        "email": summary.email,
        "login": summary.login,
        "provider": r.provider,
        "issuer": r.issuer,
        "subject": r.subject,
        "account": qualified_name(r),
        "state": summary.state.value,
        "detail": summary.detail,
        "scopes": list(summary.scopes),
        "requested_scopes": list(r.requested_scopes),
        "expires_at": summary.expires_at,
        "has_refresh_token": summary.has_refresh_token,
        "former_scopes": list(summary.former_scopes),
        "revoked_at": summary.revoked_at,
        "revocation": None if summary.revocation is None else summary.revocation.value,
    }


def accounts(args: argparse.Namespace, console: Console) -> int:
    """List the accounts with their state (reads each one's tokens from the keyring)."""
    service = open_service(console)
    summaries = [service.summary(r.id, ask_provider=args.check) for r in service.config.accounts]
    if args.json:
        console.json([_summary_json(s) for s in summaries])
        return 0
    if not summaries:
        console.print(
            "No account is connected yet. Connect one with: desktop-oauth connect PROVIDER"
        )
        return 0
    now = time.time()
    console.table(
        ("NAME", "PROVIDER", "STATE", "EXPIRES", "SCOPES"),
        [
            (
                s.record.display_name,
                s.record.provider,
                s.label,
                _expiry(s, now),
                " ".join(s.scopes),
            )
            for s in summaries
        ],
    )
    # stderr is for what needs the person now; a finished revocation is in the table.
    for summary in summaries:
        if summary.detail and summary.needs_attention:
            console.info(f"{summary.record.display_name}: {summary.detail}")
    return 0


def token(args: argparse.Namespace, console: Console) -> int:
    """Print a valid access token, and nothing else, on stdout.

    A stored token valid for another minute is printed straight from the keyring;
    anything else goes through the account service (refresh, messages).
    """
    try:
        stored = valid_stored_token(Profile.from_environment(), args.account, min_seconds=60.0)
    except AmbiguousAccountError:
        stored = None  # the service's path lists the candidates
    if stored is not None:
        tokens = stored[1]
        if args.verbose:
            console.info("flow: the stored access token is valid; no request was made.")
    else:
        service = open_service(console, verbose=args.verbose)
        record = find(service, args.account)  # "no such account" before "no keyring"
        require_keyring(service, "read tokens")
        view = service.usable_tokens(record.id, min_seconds=60.0)
        if view.notice:
            console.error(view.notice)
        assert view.tokens is not None
        tokens = view.tokens
    if args.json:
        console.json(
            {
                "access_token": tokens.access_token,
                "token_type": tokens.token_type,
                "expires_at": int(tokens.expires_at) if tokens.expires_at is not None else None,
                "scope": " ".join(tokens.granted_scopes),
            }
        )
    else:
        console.print(tokens.access_token)
    return 0


def revoke(args: argparse.Namespace, console: Console) -> int:
    """Revoke at the provider, forget here; exit 0 only when the probe afterwards proved
    the tokens dead, or the provider confirmed and nothing could be probed."""
    service = open_service(console, verbose=args.verbose)
    record = find(service, args.account)
    outcome = service.revoke(record.id)
    # A probe that finds the token still honoured outweighs the provider's 200.
    if outcome.verified is True or (outcome.provider_confirmed and outcome.verified is None):
        console.print(f"{record.display_name} ({record.provider}): {outcome.message}")
        return 0
    # Forgotten here, but the provider may still honour the grant: a failure for scripts.
    raise CliError(f"{record.display_name} ({record.provider}): {outcome.message}")


def remove(args: argparse.Namespace, console: Console) -> int:
    """Revoke if tokens are still held, then forget the account (its history stays)."""
    service = open_service(console)
    record = find(service, args.account)
    outcome = service.remove(record.id)
    name = f"{record.display_name} ({record.provider})"
    if outcome is not None and outcome.account.status is AccountStatus.REVOCATION_PENDING:
        raise CliError(f"{name}: {outcome.message}")
    if (
        outcome is None
        or outcome.verified is True
        or (outcome.provider_confirmed and outcome.verified is None)
    ):
        console.print(f"Removed {name}." + (f" {outcome.message}" if outcome else ""))
        return 0
    raise CliError(f"Removed {name} here. {outcome.message}")
