"""scripts/run-app puts the command line on PATH, as the README's examples expect."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def run_app(home: Path, path: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "share"),
        "PATH": path,
        "DESKTOP_OAUTH_HOME": str(home / "profile"),
    }
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / "run-app"), "--install-only"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )


def test_run_app_links_the_command_and_says_when_its_folder_is_not_on_path(
    tmp_path: Path,
) -> None:
    done = run_app(tmp_path, SYSTEM_PATH)
    link = tmp_path / ".local" / "bin" / "desktop-oauth"
    assert link.is_symlink()
    assert link.resolve() == (ROOT / ".venv" / "bin" / "desktop-oauth").resolve()
    assert "not on your PATH" in done.stderr
    assert 'export PATH="$HOME/.local/bin:$PATH"' in done.stderr

    # With the folder on PATH: no hint, and the README's examples run as written.
    on_path = f"{link.parent}:{SYSTEM_PATH}"
    again = run_app(tmp_path, on_path)
    assert "not on your PATH" not in again.stderr
    env = {**os.environ, "PATH": on_path, "DESKTOP_OAUTH_HOME": str(tmp_path / "profile")}
    listed = subprocess.run(
        ["desktop-oauth", "accounts", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=True,
    )
    assert listed.stdout.strip() == "[]"


def test_run_app_leaves_a_foreign_file_alone(tmp_path: Path) -> None:
    own = tmp_path / ".local" / "bin" / "desktop-oauth"
    own.parent.mkdir(parents=True)
    own.write_text("#!/bin/sh\necho mine\n")
    done = run_app(tmp_path, SYSTEM_PATH)
    assert own.read_text() == "#!/bin/sh\necho mine\n"
    assert "is not a link: left alone" in done.stderr
