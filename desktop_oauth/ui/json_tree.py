"""Showing JSON as a tree."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem

from .plain_text import plain_tooltip


def fill_tree(tree: QTreeWidget, data: dict[str, Any]) -> None:
    """Replace the tree's items with ``data`` (nested objects and lists expand)."""
    tree.clear()
    for key, value in data.items():
        tree.addTopLevelItem(_item(str(key), value))
    tree.expandToDepth(0)
    tree.resizeColumnToContents(0)


def _item(key: str, value: Any) -> QTreeWidgetItem:
    if isinstance(value, dict):
        item = QTreeWidgetItem([key, f"{{{len(value)}}}"])
        for child_key, child in value.items():
            item.addChild(_item(str(child_key), child))
        return item
    if isinstance(value, list):
        item = QTreeWidgetItem([key, f"[{len(value)}]"])
        for index, child in enumerate(value):
            item.addChild(_item(str(index), child))
        return item
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = str(value)
    item = QTreeWidgetItem([key, text])
    # A value too long for its column is elided: whole here, as text (provider data).
    item.setToolTip(1, plain_tooltip(text))
    return item
