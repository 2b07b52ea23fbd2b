"""Signing in with a code: the user code large, where to enter it, and how long it lasts."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout

from .plain_text import plain_label
from .token_panel import format_countdown

if TYPE_CHECKING:
    from ..core.device import DeviceAuthorization


class DevicePanel(QGroupBox):
    """Shown while a sign-in with a code waits for the person; hidden otherwise."""

    def __init__(self) -> None:
        super().__init__("Sign in with a code")
        self.setObjectName("devicePanel")
        self.setAccessibleName("Sign in with a code")
        self.code = plain_label()
        self.code.setObjectName("userCodeLabel")
        self.code.setAccessibleName("Code to enter at the provider")
        self.code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = QFont(self.code.font())
        font.setPointSize(font.pointSize() * 2 + 6)
        font.setBold(True)
        font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 4)
        self.code.setFont(font)
        self.url = QLineEdit()
        self.url.setObjectName("verificationUrl")
        self.url.setAccessibleName("Where to enter the code")
        self.url.setReadOnly(True)
        self.copyButton = QPushButton("Copy link")
        self.copyButton.setObjectName("copyVerificationUrlButton")
        self.copyButton.setAccessibleName("Copy the address where the code is entered")
        self.copyButton.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(self.url.text())
        )
        self.countdown = plain_label()
        self.countdown.setObjectName("deviceCountdown")
        row = QHBoxLayout()
        row.addWidget(plain_label("Go to"))
        row.addWidget(self.url, 1)
        row.addWidget(self.copyButton)
        layout = QVBoxLayout(self)
        layout.addWidget(plain_label("On any device, open the address below and enter this code:"))
        layout.addWidget(self.code, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addLayout(row)
        layout.addWidget(self.countdown)
        self._expires_at = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        self.hide()

    def show_code(self, authorization: DeviceAuthorization) -> None:
        """Show the code and start the countdown."""
        self.code.setText(authorization.user_code)
        self.url.setText(authorization.verification_uri)
        self.url.setCursorPosition(0)
        self._expires_at = authorization.expires_at
        self._tick()
        self._timer.start()
        self.show()

    def finish(self) -> None:
        """Hide the panel (approved, declined, expired or cancelled)."""
        self._timer.stop()
        self.hide()

    def _tick(self) -> None:
        left = self._expires_at - time.time()
        self.countdown.setText(
            "The code " + format_countdown(left) if left > 0 else "The code has expired."
        )
