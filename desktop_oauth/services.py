"""Putting the app together: the account service of a profile, with the built-in
sandbox provider offered first. The window and the command line both use this."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .core.accounts import AccountService, LocalProvider
from .core.flow_log import FlowLog
from .core.profile import Profile
from .core.provider import ProviderConfig
from .sandbox import DEFAULT_SCOPES, SANDBOX_CLIENT_ID, SANDBOX_NAME, provider_config

if TYPE_CHECKING:
    from .sandbox import Sandbox

#: Finds or starts the sandbox of the profile folder it is given.
SandboxStarter = Callable[[Path], "Sandbox"]


def open_account_service(
    profile: Profile | None = None,
    *,
    start_sandbox: SandboxStarter | None = None,
    flow_log: FlowLog | None = None,
) -> AccountService:
    """The account service of ``profile`` (by default the environment's).

    The sandbox is listed from the first launch; it starts, or is found in
    another process of the same profile, only when it is first used.

    Args:
        start_sandbox: Finds or starts the profile's sandbox (tests pass one
            with a small quota, say, or one that remembers the server to stop).
            By default :func:`~desktop_oauth.sandbox.ensure_running`, loaded
            when the sandbox is first used.
        flow_log: Where operations record their steps (the caller's listener
            subscribes to it); by default a log of the service's own.
    """
    profile = profile if profile is not None else Profile.from_environment()
    home = profile.home

    def start() -> ProviderConfig:
        if start_sandbox is None:
            from .sandbox import ensure_running

            return provider_config(ensure_running(home).issuer)
        return provider_config(start_sandbox(home).issuer)

    sandbox = LocalProvider(
        SANDBOX_NAME,
        start,
        client_id=SANDBOX_CLIENT_ID,
        scopes=DEFAULT_SCOPES,
        aliases=("sandbox",),
    )
    return AccountService(profile, local_providers=[sandbox], flow_log=flow_log)
