"""The sandbox's exceptions: part of the app's one family, with readable messages."""

from __future__ import annotations

from ..core.errors import DesktopOAuthError


class SandboxError(DesktopOAuthError):
    """The built-in sandbox provider could not start or could not be reached."""


class SandboxAlreadyServedError(SandboxError):
    """Another process (or another server object) already serves this profile's sandbox."""


class SandboxPortInUseError(SandboxError):
    """The port this profile's sandbox always uses is held by another program."""

    def __init__(self, port: int, settings_file: str) -> None:
        self.port = port
        super().__init__(
            f"The built-in sandbox provider always uses port {port} on this computer, so "
            f"that its address (http://127.0.0.1:{port}) and the sign-ins it issued stay "
            f"valid, but another program is using that port now. Close that program and "
            f"try again. (To let the sandbox pick a new port instead, delete {settings_file}; "
            f"accounts connected to the sandbox will then have to be connected again.)"
        )
