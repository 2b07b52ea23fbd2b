"""The menu bar and its shortcuts, from the platform's standard keys
(``QKeySequence.StandardKey``) where one exists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMainWindow, QMenu

if TYPE_CHECKING:
    # Imported where the actions are built, after the first frame: importing QAction
    # builds its enums and QKeySequence's (docs/performance.md, "Start-up").
    from PySide6.QtGui import QAction, QKeySequence

#: The menus' titles and object names, left to right.
MENUS = (
    ("&File", "fileMenu"),
    ("&Account", "accountMenu"),
    ("&View", "viewMenu"),
    ("&Help", "helpMenu"),
)


@dataclass(frozen=True)
class Actions:
    """The window's actions; tests and the window find them here."""

    add_provider: QAction
    quit: QAction
    connect: QAction
    refresh: QAction
    change_scopes: QAction
    revoke: QAction
    remove: QAction
    flow_view: QAction
    about: QAction


def _action(
    window: QMainWindow,
    text: str,
    name: str,
    standard: QKeySequence.StandardKey | None = None,
    fallback: str = "",
) -> QAction:
    from PySide6.QtGui import QAction, QKeySequence

    action = QAction(text, window)
    action.setObjectName(name)
    keys = QKeySequence.keyBindings(standard) if standard is not None else []
    if not keys and fallback:
        # Some platforms have no binding for a standard key (Quit on Windows).
        keys = [QKeySequence(fallback)]
    if keys:
        action.setShortcuts(keys)
    return action


def build_menu_bar(window: QMainWindow) -> None:
    """Add the File, Account, View and Help menus to ``window``, still empty.

    The first frame shows the bar at its final height without building any action
    (an action's first use builds PySide6's icon and key-sequence enums).
    """
    bar = window.menuBar()
    for title, name in MENUS:
        bar.addMenu(title).setObjectName(name)


def build_menus(window: QMainWindow) -> Actions:
    """Fill ``window``'s File, Account, View and Help menus (added first if
    :func:`build_menu_bar` has not); returns their actions."""
    from PySide6.QtGui import QAction, QKeySequence

    actions = Actions(
        add_provider=_action(
            window, "&Add provider…", "addProviderAction", QKeySequence.StandardKey.New
        ),
        quit=_action(window, "&Quit", "quitAction", QKeySequence.StandardKey.Quit, "Ctrl+Q"),
        connect=_action(window, "&Connect", "connectAction", None, "Ctrl+Return"),
        refresh=_action(
            window, "&Refresh", "refreshAction", QKeySequence.StandardKey.Refresh, "F5"
        ),
        change_scopes=_action(window, "Change &scopes…", "changeScopesAction"),
        revoke=_action(window, "Re&voke…", "revokeAction"),
        remove=_action(window, "Re&move…", "removeAction"),
        flow_view=_action(window, "&Flow", "flowViewAction", None, "Ctrl+Shift+F"),
        about=_action(window, "&About desktop-oauth", "aboutAction"),
    )
    # Shows or hides the flow view: each step of the last operation, with its exchanges.
    actions.flow_view.setCheckable(True)
    actions.quit.setMenuRole(QAction.MenuRole.QuitRole)
    actions.about.setMenuRole(QAction.MenuRole.AboutRole)
    bar = window.menuBar()
    if bar.findChild(QMenu, "fileMenu") is None:
        build_menu_bar(window)
    file_menu, account, view, help_menu = (bar.findChild(QMenu, name) for _, name in MENUS)
    assert file_menu and account and view and help_menu
    file_menu.addAction(actions.add_provider)
    file_menu.addSeparator()
    file_menu.addAction(actions.quit)
    account.addAction(actions.connect)
    account.addAction(actions.refresh)
    account.addAction(actions.change_scopes)
    account.addSeparator()
    account.addAction(actions.revoke)
    account.addAction(actions.remove)
    view.addAction(actions.flow_view)
    help_menu.addAction(actions.about)
    return actions
