"""The command line, over the same core as the window (``desktop-oauth --help``).

Nothing here imports PySide6: only ``gui`` loads Qt, through ``app.run_gui``.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Callable

from ..core.errors import DesktopOAuthError
from .console import CliError, Console
from .parser import parse
from .terminal import TerminalFormatter

Handler = Callable[[argparse.Namespace, Console], int]


def _handler(command: str) -> Handler:
    """The command's function, importing only its own module (``token`` stays light)."""
    if command == "provider":
        from . import providers

        return providers.run
    if command == "connect":
        from . import connect

        return connect.connect
    if command == "history":
        from . import history

        return history.history
    from . import accounts

    handlers: dict[str, Handler] = {
        "accounts": accounts.accounts,
        "token": accounts.token,
        "revoke": accounts.revoke,
        "remove": accounts.remove,
    }
    return handlers[command]


def main(argv: list[str]) -> int:
    """Run one command; returns the exit status (0 done, 1 failed, 2 usage)."""
    args = parse(argv)  # exits 0 after --help, 2 after one line on a usage error
    if args.command in (None, "gui"):
        from ..app import run_gui

        return run_gui([], connect_on_start=getattr(args, "connect", None))

    # Only errors: progress and results are the commands' own lines.
    from ..core import logs

    logs.configure(logging.ERROR)
    for handler in logging.getLogger().handlers:
        if not isinstance(handler, logging.FileHandler):  # the terminal: redacted, escaped
            handler.setFormatter(TerminalFormatter("%(name)s: %(message)s"))
    with contextlib.suppress(AttributeError, ValueError):
        sys.stdout.reconfigure(errors="replace")  # type: ignore[union-attr]
    console = Console()
    try:
        return _handler(args.command)(args, console)
    except CliError as exc:
        console.error(str(exc))
        return exc.code
    except DesktopOAuthError as exc:
        # Core messages are written for people and never carry a secret.
        console.error(str(exc))
        return 1
    except KeyboardInterrupt:
        console.error("Cancelled.")
        return 1
    except BrokenPipeError:
        # The reader went away (`... | head -1`); say nothing more on a closed pipe.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:
        # Its text could quote anything, a secret included: name the type only.
        console.error(f"Something unexpected went wrong ({type(exc).__name__}).")
        return 1
