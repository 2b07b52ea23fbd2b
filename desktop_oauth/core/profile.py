"""Where a profile keeps its files, and the keyring namespace of its tokens."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from .. import APP_NAME

HOME_VARIABLE = "DESKTOP_OAUTH_HOME"


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
            digest = hashlib.sha256(str(home).encode()).hexdigest()[:16]
            return cls(home=home, keyring_service=f"{APP_NAME}:{digest}")
        return cls(home=Path(platformdirs.user_config_dir(APP_NAME)), keyring_service=APP_NAME)

    @property
    def config_path(self) -> Path:
        """The metadata file."""
        return self.home / "config.json"
