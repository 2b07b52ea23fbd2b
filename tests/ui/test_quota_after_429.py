"""After a 429 the data panel tells one story (issue 11): the status, the remaining count
and a reset countdown that runs live all come from the 429 answer, and the data from the
last call that worked is marked stale with its time. Against the real sandbox's quota."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from pytestqt.qtbot import QtBot

from desktop_oauth.core.api import ApiQuotaError, call_api
from desktop_oauth.sandbox import SandboxServer
from desktop_oauth.ui.api_panel import ApiDataPanel
from tests.sandbox.helpers import STOP_POLL, Browser, Client, seeded_home


@pytest.fixture
def sandbox(tmp_path: Path, signing_key_pem: bytes) -> Iterator[SandboxServer]:
    home = seeded_home(tmp_path / "sandbox", signing_key_pem)
    with SandboxServer(home, rate_limit=(1, 60.0), poll_interval=STOP_POLL) as server:
        yield server


def seconds_left(text: str) -> int:
    match = re.search(r"resets in (\d+) s", text)
    assert match, text
    return int(match.group(1))


def test_the_panel_after_a_429_agrees_with_itself_and_counts_down(
    qtbot: QtBot, sandbox: SandboxServer
) -> None:
    client = Client(sandbox.issuer)
    token = client.connect(Browser(sandbox.issuer))["access_token"]
    url = f"{sandbox.issuer}/api/notes"
    with requests.Session() as http:
        worked = call_api(http, url, token, "sandbox API")
        with pytest.raises(ApiQuotaError) as refused:
            call_api(http, url, token, "sandbox API")

    now = [time.time()]  # the panel's clock, moved by the test
    panel = ApiDataPanel(clock=lambda: now[0], tick_ms=20)
    qtbot.addWidget(panel)
    panel.show()
    panel.show_result(worked)
    panel.show_quota_refusal(refused.value)

    source, quota = panel.source.text(), panel.quota.text()
    assert "HTTP 429" in source and "HTTP 200" not in source
    assert re.search(r"stale, from \d\d:\d\d:\d\d", source), source
    assert quota.startswith("0 of 1 calls left"), quota
    first = seconds_left(quota)
    assert 0 < first <= 60
    now[0] += 3
    # It counts down by itself (its timer redraws from the clock), nothing calls it.
    qtbot.waitUntil(lambda: seconds_left(panel.quota.text()) == first - 3, timeout=5000)
