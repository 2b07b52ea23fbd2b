"""The log file: rotating, under the platform's log folder (or the profile folder
when ``DESKTOP_OAUTH_HOME`` is set), and redacted at every level.

Redaction works on the formatted line, tracebacks included, so that a token
that reaches a message through a library (requests-oauthlib logs token
responses at DEBUG) is masked too. SECURITY.md: no secret in any log.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path

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


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """(key=value, Bearer/Basic credentials, a JWT anywhere), compiled on first use:
    a command that logs nothing (``token``) does not pay for them."""
    key_value = re.compile(
        rf"""(?ix)
        (?P<key>["']?\b(?:{_MASKED_KEYS})\b["']?\s*[:=]\s*)
        (?P<quote>["']?)
        (?!\[redacted\])
        (?P<value>[^\s"'&,;}})\]]+)
        """
    )
    bearer = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
    # id_tokens and signed access tokens: three base64url parts.
    jwt = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
    return key_value, bearer, jwt


def redact(text: str) -> str:
    """``text`` with every value that looks like a secret masked."""
    key_value, bearer, jwt = _patterns()
    text = jwt.sub(MASK, text)
    text = bearer.sub(lambda m: f"{m.group(1)} {MASK}", text)
    return key_value.sub(lambda m: f"{m.group('key')}{m.group('quote')}{MASK}", text)


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then masks secrets in the whole line and its traceback."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def log_folder(environ: Mapping[str, str] = os.environ) -> Path:
    """``$DESKTOP_OAUTH_HOME/logs`` when set, else the platform's log folder."""
    custom = environ.get(HOME_VARIABLE)
    if custom:
        return Path(custom).expanduser().resolve() / "logs"
    import platformdirs

    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


class LogFile(logging.Handler):
    """The rotating, redacted log file, opened when the first record reaches it.

    Most runs of a command such as ``token`` log nothing at the file's level: they
    neither create the folder, open the file nor import :mod:`logging.handlers`.
    When the folder cannot be written the records are dropped and the app runs
    on without a file.
    """

    def __init__(self, environ: Mapping[str, str], level: int) -> None:
        super().__init__(level)
        self._environ = environ
        self._file: logging.Handler | None = None
        self._failed = False

    @property
    def path(self) -> Path:
        """Where the records go (the file may not exist yet)."""
        return log_folder(self._environ) / LOG_FILE

    def _open(self) -> logging.Handler | None:
        if self._file is None and not self._failed:
            import logging.handlers

            path = self.path
            try:
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                handler = logging.handlers.RotatingFileHandler(
                    path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
                )
            except OSError:
                self._failed = True
                return None
            handler.setFormatter(
                RedactingFormatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
            )
            self._file = handler
        return self._file

    def emit(self, record: logging.LogRecord) -> None:
        handler = self._open()
        if handler is not None:
            handler.emit(record)  # under this handler's lock (logging.Handler.handle)

    def flush(self) -> None:
        self.acquire()
        try:
            if self._file is not None:
                self._file.flush()
        finally:
            self.release()

    def close(self) -> None:
        self.acquire()
        try:
            if self._file is not None:
                self._file.close()
                self._file = None
        finally:
            self.release()
        super().close()


def install(environ: Mapping[str, str] = os.environ) -> LogFile:
    """Send the app's log records to the rotating, redacted log file (opened on the
    first record at its level; ``DESKTOP_OAUTH_LOG_LEVEL``, INFO by default)."""
    level = logging.getLevelName(environ.get(LEVEL_VARIABLE, "INFO").upper())
    handler = LogFile(environ, level if isinstance(level, int) else logging.INFO)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(min(root.level or logging.WARNING, handler.level))
    return handler


def configure(terminal_level: int, environ: Mapping[str, str] = os.environ) -> None:
    """The app's logging: ``terminal_level`` and up on stderr, redacted too; the
    log file (:func:`install`) at its own level. Only the first call counts."""
    root = logging.getLogger()
    if any(isinstance(h, LogFile) for h in root.handlers):
        return
    terminal = logging.StreamHandler()
    terminal.setLevel(terminal_level)
    terminal.setFormatter(RedactingFormatter("%(name)s: %(message)s"))
    root.addHandler(terminal)
    root.setLevel(terminal_level)
    install(environ)
