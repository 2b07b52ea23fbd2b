"""The person's browser gets the link, and its chatter stays out of our output."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from desktop_oauth.core.browser import commands_for, open_url

URL = "http://127.0.0.1:5000/authorize?state=abc&x=1"


def test_browser_entries_are_tried_in_order_with_the_url_in_place() -> None:
    environ = {"BROWSER": "firefox --new-tab:/usr/bin/chromium --app=%s"}
    assert commands_for(URL, environ) == [
        ["firefox", "--new-tab", URL],
        ["/usr/bin/chromium", f"--app={URL}"],
    ]
    assert commands_for(URL, {}) == [["xdg-open", URL]]


def fake_browser(folder: Path, exit_code: int) -> Path:
    script = folder / "browser"
    script.write_text(
        "#!/bin/sh\n"
        'echo "Opening in existing browser session."\n'
        'echo "a warning" >&2\n'
        f'printf %s "$1" > "{folder}/opened"\n'
        f"exit {exit_code}\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_the_browser_gets_the_link_and_its_output_is_discarded(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    browser = fake_browser(tmp_path, 0)
    assert open_url(URL, {"BROWSER": str(browser)}, platform="linux")
    assert (tmp_path / "opened").read_text() == URL
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_a_browser_command_that_fails_at_once_is_reported(tmp_path: Path) -> None:
    browser = fake_browser(tmp_path, 3)
    assert not open_url(URL, {"BROWSER": str(browser)}, platform="linux")
