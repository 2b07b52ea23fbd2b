"""What every platform's PyInstaller spec shares: the app, the sandbox, keyring with
its backends (found through entry points, so their metadata comes along), and only
the Qt modules the app uses. Loaded by the specs with ``exec``; not part of the app."""

from PyInstaller.utils.hooks import collect_submodules, copy_metadata

APP_ID = "io.github.desktop_oauth.DesktopOAuth"

HIDDEN_IMPORTS = [
    # Imported lazily (after the first paint, or on first use): invisible to analysis.
    *collect_submodules("desktop_oauth"),
    # keyring picks its backend at run time from entry points.
    *collect_submodules("keyring.backends"),
    "secretstorage",
    "jeepney",
    "jwt",
    "cryptography",
]

DATAS = [
    *copy_metadata("keyring"),
    *copy_metadata("desktop-oauth"),
    ("../resources/io.github.desktop_oauth.DesktopOAuth.svg", "resources"),
]

# Qt modules and tools the app never loads; leaving them out keeps the bundle small.
EXCLUDES = [
    "tkinter",
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtQuickWidgets",
    "PySide6.QtOpenGL",
    "PySide6.QtOpenGLWidgets",
    "PySide6.QtSql",
    "PySide6.QtTest",
    "PySide6.QtXml",
    "PySide6.QtConcurrent",
    "PySide6.QtDesigner",
    "PySide6.QtHelp",
    "PySide6.QtPrintSupport",
    "PySide6.QtUiTools",
    "PySide6.QtDBus",
    "pytest",
    "playwright",
    "mypy",
]
