"""The token shown on request and hidden again after 30 s (driven through its timer,
not by waiting), and times in local time with the zone."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from pytestqt.qtbot import QtBot

from desktop_oauth.core.tokens import TokenSet
from desktop_oauth.ui.plain_text import plain_tooltip
from desktop_oauth.ui.times import local_time
from desktop_oauth.ui.token_panel import REVEAL_MS, TokenPanel

SECRET = "at-" + "x" * 400 + "-end"


def panel(qtbot: QtBot) -> TokenPanel:
    widget = TokenPanel()
    qtbot.addWidget(widget)
    widget.show()
    widget.show_tokens(TokenSet(SECRET, expires_at=time.time() + 3600), {"iat": 1_800_000_000})
    return widget


def test_the_token_is_masked_until_asked_for(qtbot: QtBot) -> None:
    widget = panel(qtbot)
    assert SECRET not in widget.access_token.text()
    assert not widget.revealed.isVisible()
    assert widget.revealed.text() == ""


def test_show_reveals_it_and_the_timer_masks_it_after_30_s(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    widget = panel(qtbot)
    qtbot.mouseClick(widget.reveal_button, Qt.MouseButton.LeftButton)
    assert widget.revealed.isVisible()
    assert widget.revealed.text() == SECRET
    assert not widget.access_token.isVisible()
    assert widget.reveal_timer.isActive()
    assert widget.reveal_timer.isSingleShot()
    assert widget.reveal_timer.interval() == REVEAL_MS == 30_000
    # The 30 s are up: what the timer does then, without waiting for it.
    widget.reveal_timer.timeout.emit()
    assert not widget.revealed.isVisible()
    assert widget.revealed.text() == ""
    assert widget.access_token.isVisible()
    assert SECRET not in caplog.text


def test_hide_and_a_new_account_mask_it_at_once(qtbot: QtBot) -> None:
    widget = panel(qtbot)
    widget.reveal()
    qtbot.mouseClick(widget.reveal_button, Qt.MouseButton.LeftButton)  # "Hide"
    assert widget.revealed.text() == "" and not widget.reveal_timer.isActive()
    widget.reveal()
    widget.show_tokens(None, {})
    assert widget.revealed.text() == "" and not widget.reveal_timer.isActive()
    assert not widget.reveal_button.isEnabled()
    # Nothing to show or copy: the buttons make way for "Not connected".
    assert not widget.reveal_button.isVisible() and not widget.copy_button.isVisible()


def test_a_long_last_refresh_is_cut_on_one_line_and_whole_in_its_tooltip(qtbot: QtBot) -> None:
    widget = panel(qtbot)
    words = "12:00:00 UTC, failed: The provider refused the refresh token: <b>invalid_grant</b>"
    widget.show_tokens(None, {}, last_refresh=words)
    label = widget.last_refresh
    hint = label.sizeHint()
    label.resize(120, label.height())
    shown = label.text()
    assert shown.endswith("…") and shown[:-1] in words
    assert label.fontMetrics().horizontalAdvance(shown) <= 120
    assert label.whole_text() == words
    assert label.toolTip() == plain_tooltip(words)
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert label.sizeHint() == hint  # the cut never changes what the layout asked for
    label.resize(label.fontMetrics().horizontalAdvance(words) + 10, label.height())
    assert label.text() == words


@pytest.fixture
def zone(request: pytest.FixtureRequest) -> Iterator[None]:
    before = os.environ.get("TZ")
    os.environ["TZ"] = getattr(request, "param", "Europe/Paris")
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_times_are_local_with_the_zone(zone: None) -> None:
    # 2027-01-15 12:00:00 UTC is 13:00 in Paris (CET, UTC+1).
    assert local_time(1_800_014_400) == "2027-01-15 13:00:00 CET (UTC+01:00)"
    assert local_time(1_800_014_400, date=False) == "13:00:00 CET (UTC+01:00)"


def test_claims_and_expiry_name_the_zone(qtbot: QtBot, zone: None) -> None:
    widget = panel(qtbot)
    item = widget.claims.topLevelItem(0)
    assert item is not None
    assert item.text(1).endswith("CET (UTC+01:00))")
    assert "(at " in widget.expiry.text() and "UTC+01:00" in widget.expiry.text()


def test_a_long_claim_keeps_its_whole_value_in_a_tooltip(qtbot: QtBot) -> None:
    widget = TokenPanel()
    qtbot.addWidget(widget)
    long_value = "<b>not bold</b>" + "x" * 300
    widget.show_tokens(TokenSet("t"), {"note": long_value})
    item = widget.claims.topLevelItem(0)
    assert item is not None
    document = QTextDocument()
    document.setHtml(item.toolTip(1))
    assert document.toPlainText() == long_value  # whole, and shown as the characters


@pytest.mark.parametrize("zone", ["UTC"], indirect=True)
def test_utc_is_named_once(zone: None) -> None:
    assert local_time(1_800_014_400) == "2027-01-15 12:00:00 UTC"
