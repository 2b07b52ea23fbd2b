"""Questions asked before an action that cannot be undone: what happens at the
provider, and what happens here."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from ..core.config import AccountRecord, AccountStatus


def revoke_text(record: AccountRecord) -> str:
    """What Revoke does to ``record``, in words."""
    return (
        f"Revoke access for “{record.display_name}” at {record.provider}?\n\n"
        f"At {record.provider}: the app asks the provider to revoke this account's tokens "
        "(RFC 7009) and checks that they no longer work. Other applications you "
        "connected there keep their access.\n\n"
        "Here: the tokens are deleted from this computer (the keyring, or memory). "
        "The account stays in the list as revoked, so you can sign in again or remove "
        "it later."
    )


def remove_text(record: AccountRecord) -> str:
    """What Remove does to ``record``, in words."""
    if record.status is AccountStatus.CONNECTED:
        at_provider = (
            f"At {record.provider}: the app first revokes this account's tokens, as Revoke does."
        )
    elif record.status is AccountStatus.REVOCATION_PENDING:
        at_provider = (
            f"At {record.provider}: the app has not yet been able to take the access back; "
            "it tries once more first. If the provider still cannot be reached, the account "
            "stays, so that the app can keep trying."
        )
    else:
        at_provider = (
            f"At {record.provider}: nothing more; this account's access was already taken back."
        )
    return (
        f"Remove “{record.display_name}” ({record.provider})?\n\n"
        f"{at_provider}\n\n"
        "Here: its tokens are deleted from this computer (the keyring, or memory) and "
        "the account leaves the list, with its granted scopes and last data. Its history "
        "(what happened when, never a token) is kept: `desktop-oauth history` shows it. "
        "This cannot be undone; connecting again signs in anew."
    )


def ask(parent: QWidget, title: str, text: str, action: str) -> bool:
    """Ask ``text``; True only when the person presses ``action`` (the default is Cancel)."""
    box = QMessageBox(parent)
    box.setObjectName("confirmDialog")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    # Provider and account names come from the provider: plain text only.
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(text)
    yes = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
    yes.setObjectName("confirmButton")
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    cancel.setObjectName("cancelConfirmButton")
    box.setDefaultButton(cancel)
    box.exec()
    return box.clickedButton() is yes


def choose(parent: QWidget, title: str, text: str, actions: tuple[str, ...]) -> str | None:
    """Offer ``actions`` beside Cancel; the one pressed, or None (the default is Cancel)."""
    box = QMessageBox(parent)
    box.setObjectName("chooseDialog")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.PlainText)  # names come from the provider
    box.setText(text)
    buttons = {box.addButton(a, QMessageBox.ButtonRole.AcceptRole): a for a in actions}
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.exec()
    clicked = box.clickedButton()
    for pressed, action in buttons.items():
        if pressed is clicked:
            return action
    return None
