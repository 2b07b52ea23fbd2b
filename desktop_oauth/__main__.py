"""``desktop-oauth`` and ``python -m desktop_oauth``."""

from __future__ import annotations

import logging
import sys

from .app import run_gui


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``desktop-oauth`` command."""
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("-h", "--help"):
        print("usage: desktop-oauth [gui]\n\nOpens the desktop-oauth window.")
        return 0
    if args and args[0] == "gui":
        args = args[1:]
    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
