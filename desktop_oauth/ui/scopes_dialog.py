"""Change scopes…: a checkbox per scope known at the provider, with what it allows,
and a field for any other scope."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)


class ScopesDialog(QDialog):
    """Pick the scopes to ask for at the next sign-in."""

    def __init__(
        self,
        provider: str,
        offered: Sequence[str],
        descriptions: Mapping[str, str],
        requested: Sequence[str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        from ..core.scope_catalog import describe

        self.setObjectName("scopesDialog")
        self.setWindowTitle("Change scopes")
        intro = QLabel(
            f"Scopes to ask {provider} for at the next sign-in. Add some for more access, "
            "untick some for less; the provider may still grant fewer."
        )
        intro.setTextFormat(Qt.TextFormat.PlainText)
        intro.setWordWrap(True)
        self.boxes: dict[str, QCheckBox] = {}
        listing = QWidget()
        rows = QVBoxLayout(listing)
        for scope in dict.fromkeys((*offered, *requested)):
            box = QCheckBox(f"{scope} — {describe(scope, descriptions)}")
            box.setObjectName(f"scope:{scope}")
            box.setChecked(scope in requested)
            rows.addWidget(box)
            self.boxes[scope] = box
        rows.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(listing)
        self.others = QLineEdit()
        self.others.setObjectName("otherScopes")
        self.others.setAccessibleName("Other scopes, separated by spaces")
        self.others.setPlaceholderText("Other scopes, separated by spaces")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.others.textChanged.connect(self._update)
        for box in self.boxes.values():
            box.toggled.connect(self._update)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(scroll, 1)
        layout.addWidget(QLabel("Other scopes:"))
        layout.addWidget(self.others)
        layout.addWidget(self.buttons)
        self.resize(520, 420)
        self._update()

    def chosen(self) -> tuple[str, ...]:
        """The ticked scopes in list order, then the others as typed."""
        ticked = [scope for scope, box in self.boxes.items() if box.isChecked()]
        return tuple(dict.fromkeys((*ticked, *self.others.text().split())))

    def choose(self, scopes: Iterable[str]) -> None:
        """Tick exactly ``scopes``; those without a checkbox go to the field."""
        wanted = list(scopes)
        for scope, box in self.boxes.items():
            box.setChecked(scope in wanted)
        self.others.setText(" ".join(s for s in wanted if s not in self.boxes))

    def _update(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(bool(self.chosen()))
