"""The log file: rotating, under the platform's log folder (or the profile folder
when ``DESKTOP_OAUTH_HOME`` is set), and redacted at every level.

Redaction works on the formatted line, tracebacks included, so that a token
that reaches a message through a library (requests-oauthlib logs token
responses at DEBUG) is masked too. SECURITY.md: no secret in any log.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
from collections.abc import Mapping
from pathlib import Path

import platformdirs

from .. import APP_NAME
from .profile import HOME_VARIABLE

LOG_FILE = f"{APP_NAME}.log"
#: Sets the file's level (DEBUG, INFO, WARNING...); INFO by default.
LEVEL_VARIABLE = "DESKTOP_OAUTH_LOG_LEVEL"
MAX_BYTES = 1_000_000
BACKUPS = 3
MASK = "[redacted]"

# Names whose values are secrets wherever they appear: query strings and form
# bodies (RFC 6749 §4.1.2, §4.1.3, §5.1; RFC 7636 §4.1; RFC 8628 §3.2), JSON and
# Python reprs of token responses.
_MASKED_KEYS = (
    "access_token|refresh_token|id_token|code|state|code_verifier|code_challenge|nonce"
    "|client_secret|device_code|user_code|token|password|secret|assertion|sid|session"
)
_KEY_VALUE = re.compile(
    rf"""(?ix)
    (?P<key>["']?\b(?:{_MASKED_KEYS})\b["']?\s*[:=]\s*)
    (?P<quote>["']?)
    (?!\[redacted\])
    (?P<value>[^\s"'&,;}})\]]+)
    """
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
# A JWT anywhere (id_tokens, signed access tokens): three base64url parts.
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def redact(text: str) -> str:
    """``text`` with every value that looks like a secret masked."""
    text = _JWT.sub(MASK, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    return _KEY_VALUE.sub(lambda m: f"{m.group('key')}{m.group('quote')}{MASK}", text)


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then masks secrets in the whole line and its traceback."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def log_folder(environ: Mapping[str, str] = os.environ) -> Path:
    """``$DESKTOP_OAUTH_HOME/logs`` when set, else the platform's log folder."""
    custom = environ.get(HOME_VARIABLE)
    if custom:
        return Path(custom).expanduser().resolve() / "logs"
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def install(environ: Mapping[str, str] = os.environ) -> Path | None:
    """Send the app's log records to the rotating, redacted log file.

    Returns:
        The log file, or None when its folder cannot be written (the app runs
        on without a file).
    """
    folder = log_folder(environ)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        handler = logging.handlers.RotatingFileHandler(
            folder / LOG_FILE, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
    except OSError:
        return None
    level = logging.getLevelName(environ.get(LEVEL_VARIABLE, "INFO").upper())
    handler.setLevel(level if isinstance(level, int) else logging.INFO)
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(min(root.level or logging.WARNING, handler.level))
    return folder / LOG_FILE


def configure(terminal_level: int, environ: Mapping[str, str] = os.environ) -> Path | None:
    """The app's logging: ``terminal_level`` and up on stderr, redacted too; the
    log file (:func:`install`) at its own level. Only the first call counts."""
    root = logging.getLogger()
    if any(isinstance(h, logging.handlers.RotatingFileHandler) for h in root.handlers):
        return None
    terminal = logging.StreamHandler()
    terminal.setLevel(terminal_level)
    terminal.setFormatter(RedactingFormatter("%(name)s: %(message)s"))
    root.addHandler(terminal)
    root.setLevel(terminal_level)
    return install(environ)
