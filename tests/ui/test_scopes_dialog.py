"""Change scopes…: checkboxes for the scopes known at the provider, a field for others."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QCheckBox, QDialogButtonBox
from pytestqt.qtbot import QtBot

from desktop_oauth.core.presets import get_preset
from desktop_oauth.core.scope_catalog import NO_DESCRIPTION, descriptions, offered
from desktop_oauth.ui.scopes_dialog import ScopesDialog


def make(qtbot: QtBot, requested: tuple[str, ...]) -> ScopesDialog:
    table = {"openid": "Who you are", "email": "Your email", "notes.read": "Read your notes"}
    dialog = ScopesDialog("Sandbox", ["openid", "email", "notes.read"], table, requested)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def tick(qtbot: QtBot, box: QCheckBox) -> None:
    """Click the box's indicator, where a person clicks."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def test_known_scopes_are_checkboxes_with_descriptions(qtbot: QtBot) -> None:
    dialog = make(qtbot, ("openid", "email", "custom:x"))
    labels = [box.text() for box in dialog.findChildren(QCheckBox)]
    assert labels == [
        "openid — Who you are",
        "email — Your email",
        "notes.read — Read your notes",
        f"custom:x — {NO_DESCRIPTION}",
    ]
    assert dialog.chosen() == ("openid", "email", "custom:x")


def test_ticking_and_typing_choose_the_scopes(qtbot: QtBot) -> None:
    dialog = make(qtbot, ("openid", "email"))
    email = dialog.findChild(QCheckBox, "scope:email")
    notes = dialog.findChild(QCheckBox, "scope:notes.read")
    assert email is not None and notes is not None
    tick(qtbot, email)
    tick(qtbot, notes)
    qtbot.keyClicks(dialog.others, "extra:one  extra:two")
    assert dialog.chosen() == ("openid", "notes.read", "extra:one", "extra:two")


def test_nothing_chosen_cannot_be_confirmed(qtbot: QtBot) -> None:
    dialog = make(qtbot, ("openid",))
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert ok.isEnabled()
    box = dialog.findChild(QCheckBox, "scope:openid")
    assert box is not None
    tick(qtbot, box)
    assert not ok.isEnabled()


def test_a_presets_scopes_are_offered_with_its_descriptions() -> None:
    from desktop_oauth.core.presets import preset_provider

    provider = preset_provider("github", client_id="abc")
    preset = get_preset("github")
    names = offered(provider)
    assert list(preset.scope_names) == [n for n in names if n in preset.scope_names]
    table = descriptions(provider)
    for scope in preset.scopes:
        assert table[scope.name] == scope.description
