"""Use the profile's sandbox, whichever process of the app happens to serve it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import SandboxAlreadyServedError, SandboxError
from .instance import Settings, answers_as, sandbox_folder
from .server import DEFAULT_DEVICE_INTERVAL, DEFAULT_RATE_LIMIT, SandboxServer


@dataclass(frozen=True)
class Sandbox:
    """A running sandbox, served by this process (``owned``) or by another one.

    Attributes:
        issuer: Where it answers, ``http://127.0.0.1:PORT``.
        server: The server, when this process runs it; None otherwise.
    """

    issuer: str
    server: SandboxServer | None = field(default=None, repr=False)

    @property
    def owned(self) -> bool:
        """Whether this process serves it (and :meth:`stop` really stops it)."""
        return self.server is not None

    def stop(self) -> None:
        """Stop serving if this process serves it; otherwise do nothing."""
        if self.server is not None:
            self.server.stop()


def ensure_running(
    home: Path,
    *,
    wait_seconds: float = 10.0,
    rate_limit: tuple[int, float] = DEFAULT_RATE_LIMIT,
    device_interval: int = DEFAULT_DEVICE_INTERVAL,
) -> Sandbox:
    """The sandbox of the profile in ``home``: found running, or started here.

    If another process of the app already serves it (it answers the health
    check with this profile's issuer and instance id), that one is used.
    Otherwise it is started in this process, in a daemon thread. When another
    process holds the profile's lock but is still starting, this waits for it.

    It blocks: a first start makes an RSA key (a few hundred ms on a slow
    machine), and finding another process's sandbox is an HTTP round trip.
    Call it off the GUI thread.

    Args:
        rate_limit: API calls per user and window (seconds), for a sandbox
            started here; one found running keeps its own.
        device_interval: Seconds between device-grant polls (RFC 8628 §3.2),
            likewise.

    Raises:
        SandboxPortInUseError: another program holds the profile's port.
        SandboxError: the sandbox could neither be found nor started.
    """
    deadline = time.monotonic() + wait_seconds
    while True:
        settings = Settings.read(sandbox_folder(home))
        if settings is not None and settings.port and answers_as(settings.port, settings.instance):
            return Sandbox(issuer=f"http://127.0.0.1:{settings.port}")
        server = SandboxServer(home, rate_limit=rate_limit, device_interval=device_interval)
        try:
            server.start()
            return Sandbox(issuer=server.issuer, server=server)
        except SandboxAlreadyServedError:
            pass  # another process holds the lock: wait until it answers
        if time.monotonic() >= deadline:
            where = f" at http://127.0.0.1:{settings.port}" if settings and settings.port else ""
            raise SandboxError(
                f"Another process of desktop-oauth runs this profile's sandbox provider but "
                f"it does not answer{where}. Close the app's other windows and try again."
            )
        time.sleep(0.1)
