"""What the About box shows, gathered off the GUI thread (the keyring backend is
only known once keyring has looked for one)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import __version__

if TYPE_CHECKING:
    from ..core.accounts import AccountService


@dataclass(frozen=True)
class About:
    """Facts about this installation.

    Attributes:
        keyring_backend: The keyring backend tokens go to, and whether it keeps
            them beyond this session.
    """

    version: str
    config_folder: str
    log_folder: str
    keyring_backend: str


def gather(service: AccountService) -> About:
    """The facts of ``service``'s profile. Blocks briefly: call it on a worker."""
    from ..core.logs import log_folder

    store = service.store
    # Words for the person, not the backend's class name ("fail Keyring").
    backend = (
        store.backend_name
        if store.persistent
        else "none found (tokens are kept in memory until the app closes)"
    )
    return About(
        version=__version__,
        config_folder=str(service.profile.home),
        log_folder=str(log_folder()),
        keyring_backend=backend,
    )
