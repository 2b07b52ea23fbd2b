"""The API data panel: the provider's answer as a tree and as raw JSON, with its quota."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QTreeWidget,
    QVBoxLayout,
    QWidget,
)

from .json_tree import fill_tree
from .plain_text import plain_label

if TYPE_CHECKING:
    from ..core.api import ApiQuotaError, ApiResult

#: The combo's first entry: the provider's own call (its preset's, or userinfo).
DEFAULT_CALL = "Your profile (the provider's default call)"


def describe_quota(
    headers: dict[str, str], now: float | None = None, received_at: float | None = None
) -> str:
    """``"57 of 60 calls left; resets in 42 s"`` from X-RateLimit-* / RateLimit-* headers.

    Args:
        received_at: When the answer came: a reset given in seconds counts down from then.
    """
    lowered = {k.lower(): v for k, v in headers.items()}

    def get(name: str) -> str | None:
        return lowered.get(f"x-ratelimit-{name}") or lowered.get(f"ratelimit-{name}")

    limit, remaining, reset = get("limit"), get("remaining"), get("reset")
    if remaining is None:
        return ""
    text = f"{remaining} of {limit} calls left" if limit else f"{remaining} calls left"
    if reset and reset.isdigit():
        value = int(reset)
        # X-RateLimit-Reset is an epoch time (GitHub, the sandbox); RateLimit-Reset
        # counts seconds (the IETF draft, GitLab).
        now = time.time() if now is None else now
        since = 0.0 if received_at is None else max(0.0, now - received_at)
        seconds = value - now if value > 10**9 else value - since
        text += f"; resets in {max(0, int(seconds))} s"
    return text + " (the quota is per user, for every app together)"


class ApiDataPanel(QGroupBox):
    """Shows what the API returned for the token, and its rate-limit headers.

    Args:
        clock: Wall-clock seconds, for the quota's reset countdown (tests pass their own).
        tick_ms: How often the countdown is redrawn (tests pass a shorter time).
    """

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], float] = time.time,
        tick_ms: int = 1000,
    ) -> None:
        super().__init__("Your data (fetched with the token)", parent)
        self.setObjectName("apiDataPanel")
        self.setAccessibleName("Data fetched with the token")
        self.calls = QComboBox()
        self.calls.setObjectName("apiCallCombo")
        self.calls.setAccessibleName("API call")
        # A long API address must not set the panel's width (nor take the flow view's
        # room): the list shows it whole, the box what fits.
        self.calls.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.calls.setMinimumContentsLength(16)
        self.callButton = QPushButton("Call")
        self.callButton.setObjectName("callApiButton")
        self.callButton.setAccessibleName("Call the API with the token")
        self.callButton.setEnabled(False)
        row = QHBoxLayout()
        row.addWidget(self.calls, 1)
        row.addWidget(self.callButton)
        self.source = plain_label("Nothing fetched yet.")
        self.source.setObjectName("apiSourceLabel")
        self.source.setWordWrap(True)
        self.quota = plain_label("")
        self.quota.setObjectName("quotaLabel")
        self.quota.setAccessibleName("Quota left")
        self.quota.setWordWrap(True)
        self.quota.hide()  # shown when an answer carried rate-limit headers
        self._fetched_at: float | None = None
        self._quota_headers: dict[str, str] = {}
        self._quota_at: float | None = None
        # The reset counts down live (once a second) until it reaches 0.
        self._clock = clock
        self._countdown = QTimer(self)
        self._countdown.setInterval(tick_ms)
        self._countdown.timeout.connect(self._tick_quota)
        self.refusal = plain_label("")
        self.refusal.setObjectName("apiRefusalLabel")
        self.refusal.setWordWrap(True)
        self.refusal.setStyleSheet("color:#b00020")
        self.refusal.hide()  # shown only with a refusal to say, so it leaves no gap
        self.tree = QTreeWidget()
        self.tree.setObjectName("apiDataTree")
        self.tree.setHeaderLabels(["field", "value"])
        self.raw = QPlainTextEdit()
        self.raw.setObjectName("apiDataRaw")
        self.raw.setReadOnly(True)
        self.raw.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        tabs = QTabWidget()
        tabs.addTab(self.tree, "Tree")
        tabs.addTab(self.raw, "Raw")
        self.offer_calls((), False)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.source)
        layout.addWidget(self.quota)
        layout.addWidget(self.refusal)
        layout.addWidget(tabs, 1)

    def offer_calls(self, urls: tuple[str, ...], enabled: bool) -> None:
        """The calls the combo offers: the default one, then ``urls``."""
        self.calls.clear()
        self.calls.addItem(DEFAULT_CALL, None)
        for url in urls:
            self.calls.addItem(url, url)
        self.callButton.setEnabled(enabled)

    def chosen_url(self) -> str | None:
        """The URL chosen in the combo (None: the default call)."""
        data = self.calls.currentData()
        return data if isinstance(data, str) else None

    def show_result(self, result: ApiResult | None) -> None:
        """Show ``result`` (None clears the panel)."""
        self._clear_refusal()
        if result is None:
            self.source.setText("Nothing fetched yet.")
            self._show_quota("")
            self.tree.clear()
            self.raw.clear()
            return
        self.source.setText(f"GET {result.url} → HTTP {result.status}")
        self._fetched_at = self._clock()
        self._quota_headers, self._quota_at = result.headers, self._fetched_at
        self._tick_quota()
        self._countdown.start()
        self._show_data(result.data)

    def show_stale(self, data: dict[str, Any] | None, why: str) -> None:
        """Show the last data kept for an account that needs signing in again."""
        self._clear_refusal()
        self._show_quota("")
        self.source.setText(f"Last data fetched (stale: {why})")
        if data:
            self._show_data(data)
        else:
            self.tree.clear()
            self.raw.clear()

    def show_quota_refusal(self, refusal: ApiQuotaError) -> None:
        """A 429: the status, the count and the reset are the 429's; what is shown below
        is from the last call that worked, marked stale with its time."""
        self._quota_headers, self._quota_at = refusal.headers, refusal.received_at
        self.source.setText(f"GET {refusal.url} → HTTP 429 (quota used up)")
        self._tick_quota()
        if self._fetched_at is not None:
            when = time.strftime("%H:%M:%S", time.localtime(self._fetched_at))
            self.source.setText(f"{self.source.text()}; the data below is stale, from {when}")
        self._countdown.start()

    def _tick_quota(self) -> None:
        text = describe_quota(self._quota_headers, received_at=self._quota_at, now=self._clock())
        self._show_quota(text)
        if not text or "resets in 0 s" in text:
            self._countdown.stop()

    def show_refusal(self, message: str) -> None:
        """The API refused the call: say why, keep what was shown."""
        self.refusal.setText(message)
        self.refusal.show()

    def _show_quota(self, text: str) -> None:
        if not text:
            self._countdown.stop()
        self.quota.setText(text)
        self.quota.setVisible(bool(text))

    def _clear_refusal(self) -> None:
        self.refusal.clear()
        self.refusal.hide()

    def _show_data(self, data: dict[str, Any]) -> None:
        fill_tree(self.tree, data)
        self.raw.setPlainText(json.dumps(data, indent=2, ensure_ascii=False))
