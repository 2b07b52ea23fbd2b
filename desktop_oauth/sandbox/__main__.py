"""Run the sandbox provider on its own: ``python -m desktop_oauth.sandbox [--home DIR]``.

Prints the issuer and serves until Ctrl-C. Handy for trying things by hand.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from ..core.profile import Profile
from .errors import SandboxError
from .server import SandboxServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m desktop_oauth.sandbox",
        description="Serve the built-in sandbox OpenID provider until Ctrl-C.",
    )
    parser.add_argument(
        "--home",
        type=Path,
        default=None,
        help="profile folder (default: $DESKTOP_OAUTH_HOME or the app's config folder)",
    )
    args = parser.parse_args(argv)
    home = args.home.expanduser().resolve() if args.home else Profile.from_environment().home
    server = SandboxServer(home)
    try:
        server.start()
    except SandboxError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Sandbox provider serving at {server.issuer}", flush=True)
    print(f"  connected applications: {server.issuer}/connections", flush=True)
    print(f"  device sign-in:         {server.issuer}/device", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
