"""Open a link in the person's own browser without letting it write to our output.

``webbrowser`` starts the browser with this process's stdout and stderr, so a
browser's chatter ("Opening in existing browser session.", a wrapper's warnings)
lands in the command line's output, where scripts read it. On Linux and the BSDs the
browser the person chose (``BROWSER``, as ``webbrowser`` reads it) or ``xdg-open``
is started here with its output discarded; elsewhere, and when neither is found,
``webbrowser`` decides.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping

#: Seconds a browser command may take to fail before it counts as opened (a
#: browser started directly keeps running; xdg-open exits once it handed over).
FAILS_WITHIN = 2.0


def commands_for(url: str, environ: Mapping[str, str]) -> list[list[str]]:
    """The commands to try, in order: each entry of ``BROWSER`` (``%s`` stands for
    the URL, else it is appended), else ``xdg-open``."""
    chosen = environ.get("BROWSER", "")
    entries = [e for e in chosen.split(os.pathsep) if e.strip()] or ["xdg-open"]
    commands = []
    for entry in entries:
        words = shlex.split(entry)
        if "%s" in entry:
            commands.append([w.replace("%s", url) for w in words])
        else:
            commands.append([*words, url])
    return commands


def open_url(
    url: str, environ: Mapping[str, str] = os.environ, platform: str = sys.platform
) -> bool:
    """Open ``url``; True when a browser took it. Blocks up to :data:`FAILS_WITHIN`
    seconds: call it off the GUI thread."""
    if not (platform.startswith("linux") or "bsd" in platform):
        import webbrowser

        return webbrowser.open(url)
    for command in commands_for(url, environ):
        if shutil.which(command[0]) is None:
            continue
        try:
            process = subprocess.Popen(  # noqa: S603 (the person's own browser command)
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError:
            continue
        try:
            return process.wait(timeout=FAILS_WITHIN) == 0
        except subprocess.TimeoutExpired:
            return True  # still running: the browser itself, showing the page
    import webbrowser

    return webbrowser.open(url)
