"""The token panel: the access token (masked; shown on request for 30 s), its
expiry, and the id_token's claims. Times are local, with the zone."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QResizeEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QVBoxLayout,
    QWidget,
)

from ..core.tokens import TokenSet
from .json_tree import fill_tree
from .plain_text import make_plain, plain_label, plain_tooltip
from .times import local_time

#: How long a revealed token stays readable before it is masked again.
REVEAL_MS = 30_000


def format_countdown(seconds: float | None) -> str:
    """``"expires in 59 min 12 s"``, ``"expired 3 min ago"`` or ``"no expiry given"``."""
    if seconds is None:
        return "no expiry given"
    whole = int(abs(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        span = f"{hours} h {minutes} min"
    elif minutes:
        span = f"{minutes} min {secs} s"
    else:
        span = f"{secs} s"
    return f"expires in {span}" if seconds > 0 else f"expired {span} ago"


def format_age(seconds: float) -> str:
    """``"3 min"``, ``"2 h 5 min"`` or ``"4 days"``."""
    whole = max(0, int(seconds))
    if whole >= 2 * 86400:
        return f"{whole // 86400} days"
    hours, rest = divmod(whole, 3600)
    minutes = rest // 60
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


class OneLineLabel(QLabel):
    """Plain text on one line, cut at the end when the label is too narrow; the whole
    text is in the tooltip. Its size hints follow the whole text, never the cut one,
    so cutting it cannot change the layout that decided its width."""

    def __init__(self, text: str = "") -> None:
        super().__init__()
        make_plain(self)
        self._whole = ""
        self.set_whole_text(text)

    def whole_text(self) -> str:
        """The text as given, before any cut."""
        return self._whole

    def set_whole_text(self, text: str) -> None:
        """Show ``text``, cut to the label's width."""
        self._whole = text
        self.setToolTip(plain_tooltip(text) if text else "")
        self._cut()

    def sizeHint(self) -> QSize:
        metrics = self.fontMetrics()
        return QSize(metrics.horizontalAdvance(self._whole) + 2, metrics.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance("…") + 2, self.fontMetrics().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._cut()

    def _cut(self) -> None:
        cut = self.fontMetrics().elidedText(self._whole, Qt.TextElideMode.ElideRight, self.width())
        if cut != self.text():
            self.setText(cut)


class TokenPanel(QGroupBox):
    """Shows one account's tokens. The token text is masked; Copy copies it on request."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Token", parent)
        #: Where a refresh token is kept, as the panel says it.
        self._kept_in = "held in the keyring"
        self.setObjectName("tokenPanel")
        self.setAccessibleName("Token")
        self._tokens: TokenSet | None = None

        self.access_token = plain_label("Not connected")
        self.access_token.setObjectName("accessTokenLabel")
        # One line: wrapped, its second line was cut by the buttons' row height. It
        # is short ("Not connected", four dots and the length) and the buttons
        # beside it are as narrow as their words, so it does not widen the window.
        self.access_token.setWordWrap(False)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setObjectName("copyTokenButton")
        self.copy_button.setAccessibleName("Copy access token")
        self.copy_button.setToolTip("Copy the access token to the clipboard")
        self.copy_button.setEnabled(False)
        self.copy_button.hide()
        self.copy_button.clicked.connect(self._copy)
        # Shown only on request: a field (long tokens scroll rather than widen the
        # window), cleared when masked again.
        self.revealed = QLineEdit()
        self.revealed.setObjectName("revealedToken")
        self.revealed.setAccessibleName("Access token, shown")
        self.revealed.setReadOnly(True)
        self.revealed.hide()
        self.reveal_button = QPushButton("Show")
        self.reveal_button.setObjectName("revealTokenButton")
        self.reveal_button.setAccessibleName("Show the access token for 30 seconds")
        self.reveal_button.setToolTip("Show the access token; it is hidden again after 30 s")
        self.reveal_button.setEnabled(False)
        self.reveal_button.hide()
        self.reveal_button.clicked.connect(self._toggle_reveal)
        self.reveal_timer = QTimer(self)
        self.reveal_timer.setSingleShot(True)
        self.reveal_timer.setInterval(REVEAL_MS)
        self.reveal_timer.timeout.connect(self.hide_token)
        # As narrow as their words: the masked token beside them keeps one line.
        for control in (self.copy_button, self.reveal_button):
            words = max(
                control.fontMetrics().horizontalAdvance(t) for t in ("Show", "Hide", "Copy")
            )
            control.setMaximumWidth(words + 24)
        token_row = QHBoxLayout()
        token_row.addWidget(self.access_token, 1)
        token_row.addWidget(self.revealed, 1)
        token_row.addWidget(self.reveal_button)
        token_row.addWidget(self.copy_button)

        self.token_type = plain_label("–")
        self.expiry = plain_label("–")
        self.expiry.setObjectName("expiryLabel")
        self.expiry.setWordWrap(True)
        self.refresh_token = plain_label("–")
        self.refresh_token.setObjectName("refreshTokenLabel")
        self.refresh_token.setWordWrap(True)
        # One line: a failed refresh's words can be long, and wrapped they were cut
        # at the bottom when the panel is short. The tooltip holds them whole.
        self.last_refresh = OneLineLabel("–")
        self.last_refresh.setObjectName("lastRefreshLabel")

        form = QFormLayout()
        form.addRow("Access token", token_row)
        form.addRow("Type", self.token_type)
        form.addRow("Expiry", self.expiry)
        form.addRow("Refresh token", self.refresh_token)
        form.addRow("Last refresh", self.last_refresh)

        self.claims = QTreeWidget()
        self.claims.setObjectName("claimsTree")
        self.claims.setAccessibleName("id_token claims")
        self.claims.setHeaderLabels(["id_token claim", "value"])

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.claims, 1)

        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)

    def show_tokens(
        self, tokens: TokenSet | None, claims: dict[str, Any], *, last_refresh: str = ""
    ) -> None:
        """Show ``tokens`` (None clears the panel) and how the last refresh went."""
        self._tokens = tokens
        self.hide_token()
        self.last_refresh.set_whole_text(last_refresh or "not yet")
        # Without a token the buttons have nothing to act on; hidden, they leave
        # "Not connected" room on its line in a narrow panel (it was cut in two).
        for control in (self.copy_button, self.reveal_button):
            control.setEnabled(tokens is not None)
            control.setVisible(tokens is not None)
        if tokens is None:
            self.access_token.setText("Not connected")
            self.token_type.setText("–")
            self.expiry.setText("–")
            self.refresh_token.setText("–")
            self.claims.clear()
            self._timer.stop()
            return
        self.access_token.setText(f"{'•' * 4} ({len(tokens.access_token)} characters)")
        self.token_type.setText(tokens.token_type)
        fill_tree(self.claims, {k: _claim_text(k, v) for k, v in claims.items()})
        self._tick()
        self._timer.start()

    def keep_in_memory(self) -> None:
        """Say that tokens live in memory only: the app found no usable keyring."""
        self._kept_in = "held in memory until the app closes"
        self._tick()

    def _tick(self) -> None:
        # Both the countdown and the refresh token's age move while the panel is shown.
        tokens = self._tokens
        if tokens is None:
            return
        now = time.time()
        left = tokens.seconds_left(now)
        at = f" (at {local_time(now + left, date=False)})" if left is not None else ""
        self.expiry.setText(format_countdown(left) + at)
        if tokens.refresh_token:
            age = format_age(now - tokens.obtained_at) if tokens.obtained_at else ""
            self.refresh_token.setText(self._kept_in + (f", {age} old" if age else ""))
        else:
            self.refresh_token.setText("none")

    def reveal(self) -> None:
        """Show the access token until :data:`REVEAL_MS` have passed."""
        if self._tokens is None:
            return
        self.revealed.setText(self._tokens.access_token)
        self.revealed.setCursorPosition(0)
        self.access_token.hide()
        self.revealed.show()
        self.reveal_button.setText("Hide")
        self.reveal_timer.start()

    def hide_token(self) -> None:
        """Hide the access token again."""
        self.reveal_timer.stop()
        self.revealed.clear()
        self.revealed.hide()
        self.access_token.show()
        self.reveal_button.setText("Show")

    def _toggle_reveal(self) -> None:
        if self.revealed.isVisible():
            self.hide_token()
        else:
            self.reveal()

    def _copy(self) -> None:
        # The only path by which a token reaches the clipboard: the person asked.
        if self._tokens is not None:
            QGuiApplication.clipboard().setText(self._tokens.access_token)


def _claim_text(key: str, value: Any) -> Any:
    if key in ("exp", "iat", "nbf", "auth_time") and isinstance(value, int | float):
        return f"{value}  ({local_time(value)})"
    return value
