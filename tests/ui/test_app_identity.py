"""One application id everywhere: code, .desktop file, AppStream metainfo (STYLE rule 10)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from desktop_oauth import APP_ID

ROOT = Path(__file__).resolve().parents[2]


def test_desktop_file_and_metainfo_carry_the_app_id() -> None:
    desktop = ROOT / "packaging" / f"{APP_ID}.desktop"
    entries = dict(line.split("=", 1) for line in desktop.read_text().splitlines() if "=" in line)
    assert entries["Icon"] == APP_ID
    assert entries["Exec"] == "desktop-oauth"
    metainfo = ET.parse(ROOT / "packaging" / f"{APP_ID}.metainfo.xml").getroot()  # noqa: S314
    assert metainfo.findtext("id") == APP_ID
    assert metainfo.findtext("launchable") == f"{APP_ID}.desktop"
    assert (ROOT / "resources" / f"{APP_ID}.svg").read_text().startswith("<svg")
