"""Putting the app together: the account service of a profile, with the built-in
sandbox provider offered first. The window and the command line both use this."""

from __future__ import annotations

from .core.accounts import AccountService, LocalProvider
from .core.profile import Profile
from .core.provider import ProviderConfig
from .sandbox import SANDBOX_NAME, ensure_running, provider_config


def open_account_service(profile: Profile | None = None) -> AccountService:
    """The account service of ``profile`` (by default the environment's).

    The sandbox is listed from the first launch; it starts, or is found in
    another process of the same profile, only when it is first used.
    """
    profile = profile if profile is not None else Profile.from_environment()

    def start_sandbox() -> ProviderConfig:
        return provider_config(ensure_running(profile.home).issuer)

    return AccountService(profile, local_providers=[LocalProvider(SANDBOX_NAME, start_sandbox)])
