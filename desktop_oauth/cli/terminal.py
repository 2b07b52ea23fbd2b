"""The one sanitizer every line the command line writes passes through.

Provider text (names, e-mail addresses, error descriptions, even tokens) is
untrusted. Written raw to a terminal, an ESC, a C1 control such as U+009B (CSI)
or a bidirectional override starts an escape sequence: it can retitle or clear
the terminal, rewrite earlier lines, or reorder what the person reads. Such
characters are shown escaped (``\\x1b``, ``\\x9b``, ``\\u202e``) instead;
ordinary text, tabs and every printable script pass unchanged.
"""

from __future__ import annotations

import logging
import unicodedata

from ..core.logs import RedactingFormatter

#: Format characters that reorder text on screen ("Trojan Source", CVE-2021-42574).
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def _escaped(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _unsafe(ch: str) -> bool:
    if ch == "\t":
        return False
    return unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS or ch in "\u2028\u2029"


def terminal_text(text: str) -> str:
    """``text`` with every control character (line breaks too) escaped, for one line."""
    if not any(_unsafe(ch) for ch in text):
        return text
    return "".join(_escaped(ch) if _unsafe(ch) else ch for ch in text)


def json_text(text: str) -> str:
    """JSON text with every character :func:`terminal_text` would escape written as a
    JSON escape (``\\u009b``) instead, so the document stays valid JSON and reads back
    the same. JSON puts such characters only inside strings, where the escape means them."""
    if not any(_unsafe(ch) for ch in text if ch != "\n"):
        return text
    return "".join(f"\\u{ord(ch):04x}" if ch != "\n" and _unsafe(ch) else ch for ch in text)


def terminal_lines(text: str) -> str:
    """Like :func:`terminal_text`, but ``\\n`` still separates lines."""
    return "\n".join(terminal_text(line) for line in text.split("\n"))


class TerminalFormatter(RedactingFormatter):
    """Log records on the terminal are redacted like the log file's, then pass the
    same sanitizer as every other line."""

    def format(self, record: logging.LogRecord) -> str:
        return terminal_lines(super().format(record))
