"""``desktop-oauth connect PROVIDER``: one sign-in through the loopback receiver."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping

from ..core.accounts import AccountService, AccountView
from ..core.browser import open_url
from ..core.connect import ConnectAttempt
from ..core.errors import (
    ConfigurationError,
    DesktopOAuthError,
    DifferentPersonError,
    FlowCancelledError,
)
from ..core.lookup import UnknownAccountError
from ..core.redirect import HINT_AFTER_SECONDS, refused_redirect_hint
from .accounts import find
from .console import CliError, Console
from .parser import scopes_of
from .service import open_service, require_keyring


def connect(args: argparse.Namespace, console: Console) -> int:
    """Sign in at the provider in the browser; print the account and its scopes."""
    service = open_service(console, verbose=args.verbose)
    # An unknown name fails first, before the keyring is asked or the network used.
    again = None
    try:
        name = service.provider_name(args.provider)
    except ConfigurationError as no_provider:
        # ``connect ACCOUNT``: sign in again as that account's person.
        try:
            again = find(service, args.provider)
        except UnknownAccountError:
            raise no_provider from None
        name = again.provider
    require_keyring(service, "keep the account's tokens")
    scopes = scopes_of(args) or (again.requested_scopes if again is not None else None)
    # The port is held from here until the end (RFC 8252 §7.3), before any browser opens.
    attempt = service.begin_connect(
        name,
        scopes=scopes,
        deadline_seconds=args.timeout,
        account_id=again.id if again is not None else None,
    )
    try:
        view = _run(
            service,
            attempt,
            console,
            open_browser=not args.no_browser,
            same_as=again.id if again is not None else None,
        )
    except DifferentPersonError as exc:
        # Not added: the tokens issued to that other person are taken back (RFC 7009).
        with contextlib.suppress(DesktopOAuthError):
            service.discard_connection(exc.result)  # type: ignore[arg-type]
        raise CliError(str(exc)) from None
    finally:
        attempt.close()
    if view.notice:
        console.error(view.notice)
    record = view.record
    console.print(f"Connected {record.display_name} at {record.provider}.")
    console.print(f"Granted scopes: {' '.join(record.granted_scopes) or '(none)'}")
    missing = [s for s in record.requested_scopes if s not in record.granted_scopes]
    if missing:
        console.print(f"Not granted: {' '.join(missing)}")
    return 0


def _run(
    service: AccountService,
    attempt: ConnectAttempt,
    console: Console,
    *,
    open_browser: bool,
    same_as: str | None = None,
) -> AccountView:
    outcome: list[AccountView | BaseException] = []

    def finish() -> None:
        try:
            result = attempt.complete(attempt.wait_for_redirect())
            outcome.append(service.save_connection(result, same_as=same_as))
        except BaseException as exc:  # handed to the main thread, which reports it
            outcome.append(exc)

    worker = threading.Thread(target=finish, name="desktop-oauth-connect", daemon=True)
    worker.start()
    if open_browser:
        console.info("Waiting for you in the browser… (sign in and approve there; Ctrl-C cancels)")
        _open_in_background(attempt.url, lambda: _show_link(console, attempt.url, failed=True))
    else:
        _show_link(console, attempt.url, failed=False)
    hint_at = time.monotonic() + HINT_AFTER_SECONDS
    fixed = bool(attempt.pending.provider.redirect_uri or attempt.pending.provider.redirect_port)
    try:
        while worker.is_alive():
            worker.join(0.2)
            if hint_at and time.monotonic() >= hint_at and not attempt.redirected:
                hint_at = 0.0
                console.info(refused_redirect_hint(attempt.url, fixed))
    except KeyboardInterrupt:
        attempt.cancel()
        worker.join(5.0)
        if not outcome or isinstance(outcome[0], BaseException):
            raise CliError("Cancelled; nothing was connected.") from None
    result = outcome[0]
    if isinstance(result, FlowCancelledError):
        raise CliError("Cancelled; nothing was connected.")
    if isinstance(result, BaseException):
        raise result
    return result


def _show_link(console: Console, url: str, *, failed: bool) -> None:
    if failed:
        console.info(
            "No browser could be opened. Open this link in your browser to sign in; "
            "desktop-oauth keeps waiting (Ctrl-C cancels):"
        )
    else:
        console.info(
            "Open this link in your browser to sign in; desktop-oauth waits for the "
            "answer (Ctrl-C cancels):"
        )
    console.info(f"  {url}")


def can_open_browser(environ: Mapping[str, str] = os.environ, platform: str = sys.platform) -> bool:
    """Whether ``webbrowser`` can reach a graphical browser here.

    Without a display (an SSH session), webbrowser would start a text browser in
    this very terminal; showing the link is better there. ``BROWSER`` always counts.
    """
    if environ.get("BROWSER"):
        return True
    if platform.startswith("linux") or "bsd" in platform:
        return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))
    return True


def _open_in_background(url: str, on_failure: Callable[[], None]) -> None:
    # Opening may wait for a browser command to fail or hand over: never here.
    def open_it() -> None:
        try:
            opened = can_open_browser() and open_url(url)
        except Exception:  # webbrowser.Error, OSError: no browser after all
            opened = False
        if not opened:
            on_failure()

    threading.Thread(target=open_it, name="desktop-oauth-browser", daemon=True).start()
