"""The AccountService a command works with, opened on the profile of this environment."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.errors import DesktopOAuthError
from .console import CliError, Console

if TYPE_CHECKING:  # the service and the HTTP stack load only when a command needs them
    from ..core.accounts import AccountService


def open_service(console: Console, *, verbose: bool = False) -> AccountService:
    """The profile's service with its settings loaded.

    With ``verbose``, each step of every operation is written on stderr as it
    happens (``-v``; see :mod:`.flow_lines`).

    A settings file that could not be read was moved aside by the core; say
    where, on stderr, and go on with what could be recovered.
    """
    from ..core.flow_log import FlowLog
    from ..services import open_account_service
    from .flow_lines import FlowPrinter

    log = FlowLog()
    if verbose:
        log.subscribe(FlowPrinter(console))
    service = open_account_service(flow_log=log)
    config = service.load()
    if config.recovered_from is not None:
        console.error(
            f"The settings file could not be read; it was moved to {config.recovered_from} "
            "and empty settings are used."
        )
    retry_pending_revocations(service, console)
    return service


def retry_pending_revocations(service: AccountService, console: Console) -> None:
    """Tell providers about revocations an earlier command could not deliver
    (RFC 7009 §2.2.1: retry), and say on stderr which ones went through."""
    try:
        outcomes = service.retry_revocations()
    except DesktopOAuthError:
        return  # tried again by the next command
    for outcome in outcomes:
        if outcome.provider_confirmed:
            record = outcome.account
            console.info(
                f"The earlier revocation of {record.display_name} ({record.provider}) "
                f"reached the provider: {outcome.message}"
            )


def require_keyring(service: AccountService, doing: str) -> None:
    """Fail when no secure keyring is there: a command ends with its process, so
    tokens kept "for this session only" would be lost at once."""
    # Words for the person: the backend's class name ("fail Keyring") means nothing
    # to them, and the About box already names the backend for those who ask.
    if not service.store.persistent:
        raise CliError(
            f"No secure keyring can be reached, so desktop-oauth cannot {doing}. "
            "It keeps tokens and client secrets only in the system keyring, never in a "
            "file: nothing was changed, and what was saved earlier stays in the keyring. "
            "Start or unlock your keyring (GNOME Keyring, KWallet, macOS Keychain or "
            "Windows Credential Manager), then try again."
        )
