"""Where the command line writes, and how it fails.

Every line written here passes :func:`~.terminal.terminal_lines` (control
characters escaped), whatever it holds: the one output sanitizer of the CLI.

stdout carries the answer a script reads (for ``token``, the token and nothing
else); stderr carries progress and errors. An error is one line, prefixed with
the program's name, and never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from .. import APP_NAME
from .terminal import json_text, terminal_lines


class CliError(Exception):
    """A failure to report in one line; ``code`` is the exit status (1, or 2 for usage)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (newlines too) made one space."""
    return " ".join(text.split())


class Console:
    """The two output streams of one command."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self.out = out if out is not None else sys.stdout
        self.err = err if err is not None else sys.stderr

    def print(self, text: str = "") -> None:
        """A line of the command's answer, on stdout."""
        self.out.write(terminal_lines(text) + "\n")
        self.out.flush()

    def json(self, data: Any) -> None:
        """The command's answer as JSON, on stdout (control characters as JSON escapes)."""
        self.print(json_text(json.dumps(data, indent=2, ensure_ascii=False)))

    def info(self, text: str) -> None:
        """Progress for the person at the terminal, on stderr."""
        self.err.write(terminal_lines(text) + "\n")
        self.err.flush()

    def error(self, text: str) -> None:
        """One line on stderr: ``desktop-oauth: <text>``."""
        self.info(f"{APP_NAME}: {one_line(text)}")

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """Rows in aligned columns under ``headers``, on stdout."""
        widths = [len(h) for h in headers]
        for row in rows:
            widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
        for row in (headers, *rows):
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
            self.print("  ".join(cells).rstrip())
