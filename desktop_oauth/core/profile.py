"""Where a profile keeps its files, and the keyring namespace of its tokens."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .. import APP_NAME
from .errors import ConfigurationError

HOME_VARIABLE = "DESKTOP_OAUTH_HOME"


def refuse_shared_folder(home: Path) -> None:
    """Refuse a profile folder that another user of this computer can write to.

    Whoever can write there can swap config.json (and so the provider endpoints
    the app trusts), plant symlinks at its lock and temporary files, or replace
    the sandbox's signing key.

    Raises:
        ConfigurationError: ``home`` exists and is writable by every user, or is
            owned by another user (POSIX).
    """
    if os.name != "posix":
        return
    try:
        info = home.stat()
    except FileNotFoundError:
        return  # created later with mode 0700
    except OSError as exc:
        raise ConfigurationError(
            f"{HOME_VARIABLE}={home} cannot be used ({exc.strerror})."
        ) from None
    if info.st_mode & stat.S_IWOTH:
        raise ConfigurationError(
            f"{HOME_VARIABLE}={home} is writable by every user of this computer, so "
            "another user could change the providers the app trusts. Choose a folder "
            f"only you can write to, or run: chmod o-w '{home}'"
        )
    if info.st_uid != os.getuid():
        raise ConfigurationError(
            f"{HOME_VARIABLE}={home} belongs to another user. Choose a folder of your own."
        )


@dataclass(frozen=True)
class Profile:
    """A folder of configuration and data, and the keyring service for its tokens.

    Attributes:
        home: Holds ``config.json`` (non-secret metadata) and the sandbox's data.
        keyring_service: Service name of this profile's keyring entries.
    """

    home: Path
    keyring_service: str

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Profile:
        """The profile in ``$DESKTOP_OAUTH_HOME``, else the platform's config folder.

        A custom folder gets its own keyring namespace, derived from its absolute
        path, so that two folders never see each other's tokens.
        """
        custom = environ.get(HOME_VARIABLE)
        if custom:
            home = Path(custom).expanduser().resolve()
            refuse_shared_folder(home)
            import hashlib  # each way imports only what it needs (docs/performance.md)

            digest = hashlib.sha256(str(home).encode()).hexdigest()[:16]
            return cls(home=home, keyring_service=f"{APP_NAME}:{digest}")
        import platformdirs

        return cls(home=Path(platformdirs.user_config_dir(APP_NAME)), keyring_service=APP_NAME)

    @property
    def config_path(self) -> Path:
        """The metadata file."""
        return self.home / "config.json"
