"""``desktop-oauth`` and ``python -m desktop_oauth``.

No arguments, or ``gui``, opens the window; anything else is the command line
(``desktop-oauth --help``). The command line never imports PySide6.
"""

from __future__ import annotations

import logging
import sys

from .core import logs


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``desktop-oauth`` command."""
    args = sys.argv[1:] if argv is None else list(argv)
    if not args:
        from .app import run_gui

        logs.configure(logging.WARNING)
        return run_gui([])
    from .cli import main as cli_main

    if args[0] == "gui":
        logs.configure(logging.WARNING)
    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
