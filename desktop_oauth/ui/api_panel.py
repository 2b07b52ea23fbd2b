"""The API data panel: the provider's answer as a tree and as raw JSON."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QGroupBox,
    QLabel,
    QPlainTextEdit,
    QTabWidget,
    QTreeWidget,
    QVBoxLayout,
    QWidget,
)

from .json_tree import fill_tree

if TYPE_CHECKING:
    from ..core.api import ApiResult


class ApiDataPanel(QGroupBox):
    """Shows what the API returned for the token, and its rate-limit headers."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Your data (fetched with the token)", parent)
        self.setObjectName("apiDataPanel")
        self.setAccessibleName("Data fetched with the token")
        self.source = QLabel("Nothing fetched yet.")
        self.source.setObjectName("apiSourceLabel")
        self.source.setWordWrap(True)
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
        layout = QVBoxLayout(self)
        layout.addWidget(self.source)
        layout.addWidget(tabs, 1)

    def show_result(self, result: ApiResult | None) -> None:
        """Show ``result`` (None clears the panel)."""
        if result is None:
            self.source.setText("Nothing fetched yet.")
            self.tree.clear()
            self.raw.clear()
            return
        limits = ", ".join(f"{k}: {v}" for k, v in sorted(result.headers.items()))
        text = f"GET {result.url} → HTTP {result.status}"
        self.source.setText(text + (f"\nRate limit: {limits}" if limits else ""))
        fill_tree(self.tree, result.data)
        self.raw.setPlainText(json.dumps(result.data, indent=2, ensure_ascii=False))
