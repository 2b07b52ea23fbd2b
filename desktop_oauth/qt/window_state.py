"""Where the window remembers its geometry, splitter sizes, the selected account
and the last provider: an INI file in the profile folder, through QSettings."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

STATE_FILE = "window.ini"


class WindowState:
    """The window's remembered layout and choices (none of them secret)."""

    def __init__(self, path: Path) -> None:
        self._settings = QSettings(str(path), QSettings.Format.IniFormat)

    @classmethod
    def of_profile(cls, home: Path) -> WindowState:
        """The state file of the profile in ``home``."""
        return cls(home / STATE_FILE)

    def blob(self, key: str) -> QByteArray | None:
        """A saved ``QByteArray`` (geometry, splitter state), or None."""
        value = self._settings.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def text(self, key: str) -> str:
        """A saved string, or ``""``."""
        value = self._settings.value(key)
        return value if isinstance(value, str) else ""

    def set(self, key: str, value: QByteArray | str) -> None:
        """Remember ``value`` under ``key``."""
        self._settings.setValue(key, value)

    def save(self) -> None:
        """Write what changed to the file."""
        self._settings.sync()
