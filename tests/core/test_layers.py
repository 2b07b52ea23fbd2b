"""The core stays Qt-free, and widgets stay away from the network, keyring and files."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "desktop_oauth"


def imported_modules(folder: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(PACKAGE))] = names
    return found


def test_core_never_imports_qt() -> None:
    offenders = {
        path: sorted(n for n in names if n.split(".")[0] in ("PySide6", "shiboken6"))
        for path, names in imported_modules(PACKAGE / "core").items()
    }
    assert {p: n for p, n in offenders.items() if n} == {}
    assert len(offenders) >= 10  # the walk really saw the core's modules


def test_widgets_never_touch_network_keyring_or_files() -> None:
    forbidden = {"requests", "keyring", "urllib", "http", "socket", "oauthlib", "pathlib"}
    offenders = {
        path: sorted(n for n in names if n.split(".")[0] in forbidden)
        for path, names in imported_modules(PACKAGE / "ui").items()
    }
    assert {p: n for p, n in offenders.items() if n} == {}
