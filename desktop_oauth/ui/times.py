"""Times as people read them: local time, with the zone named."""

from __future__ import annotations

from datetime import datetime


def local_time(timestamp: float, *, date: bool = True) -> str:
    """``"2026-12-04 05:12:03 CET (UTC+01:00)"``; without ``date`` the time alone."""
    moment = datetime.fromtimestamp(timestamp).astimezone()
    offset = moment.strftime("%z")
    zone = moment.tzname() or ""
    utc = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
    shown = moment.strftime("%Y-%m-%d %H:%M:%S" if date else "%H:%M:%S")
    # Where the zone has no name of its own, or is UTC itself, say it once.
    if zone == "UTC":
        return f"{shown} UTC"
    if not zone or zone.startswith(("+", "-")):
        return f"{shown} {utc}"
    return f"{shown} {zone} ({utc})"
