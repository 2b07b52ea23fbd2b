"""The .desktop file and the AppStream metainfo pass Debian's validators, and the
icon renders at every standard size."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "io.github.desktop_oauth.DesktopOAuth"


def test_desktop_file_validates() -> None:
    done = subprocess.run(
        ["desktop-file-validate", str(ROOT / "packaging" / f"{APP_ID}.desktop")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # Not even a hint: hints name real problems (a menu entry shown twice).
    assert done.stdout.strip() == ""


def test_metainfo_validates() -> None:
    done = subprocess.run(
        [
            "appstreamcli",
            "validate",
            "--no-net",
            str(ROOT / "packaging" / f"{APP_ID}.metainfo.xml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Validation was successful" in done.stdout


def test_icons_at_the_standard_sizes(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "make_icons.py"), str(tmp_path)],
        check=True,
        timeout=60,
    )
    for size in (16, 22, 24, 32, 48, 64, 128, 256, 512):
        image = QImage(str(tmp_path / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"))
        assert (image.width(), image.height()) == (size, size)
        assert not image.isNull() and image.pixelColor(size // 2, size // 2).alpha() > 0
    assert (tmp_path / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").exists()
    assert (tmp_path / "desktop-oauth.ico").stat().st_size > 0
    assert (tmp_path / "desktop-oauth.icns").stat().st_size > 0
