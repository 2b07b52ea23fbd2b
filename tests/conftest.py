"""Shared test setup.

Qt must know it has no display before it is imported: without a platform it
aborts the whole process.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

#: The three tiers (pyproject.toml's markers; CONTRIBUTING.md, "Test tiers").
TIERS = ("unit", "integration", "e2e")

#: A test's tier when it names none itself: by its folder under tests/.
FOLDER_TIERS = {
    "core": "unit",
    "sandbox": "unit",
    "qt": "unit",
    "ui": "unit",
    # Property-based runs of a minute: not for the 30 s unit tier.
    "fuzz": "integration",
    "cli": "integration",
    "scripts": "integration",  # the project's own scripts, run as commands
    "packaging": "integration",  # Debian's desktop-file and AppStream validators
    "e2e": "e2e",
}

#: Fixtures that start the real OpenID provider or drive the browser.
E2E_FIXTURES = frozenset({"oidc_provider", "browser_plan"})

_TESTS = Path(__file__).resolve().parent


def tier_of(item: pytest.Item) -> str:
    """The tier a test names itself, else the one its folder and fixtures imply."""
    named = {mark.name for mark in item.iter_markers() if mark.name in TIERS}
    if len(named) > 1:
        raise pytest.UsageError(f"{item.nodeid} is marked {sorted(named)}: one tier only")
    if named:
        return named.pop()
    if E2E_FIXTURES & set(getattr(item, "fixturenames", ())):
        return "e2e"
    parts = item.path.resolve().relative_to(_TESTS).parts
    if len(parts) == 1:  # tests/test_*.py: checks of the repository's own files
        return "unit"
    try:
        return FOLDER_TIERS[parts[0]]
    except KeyError:
        raise pytest.UsageError(f"tests/{parts[0]} has no tier in tests/conftest.py") from None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give every test exactly one tier marker, so that ``-m unit``, ``-m integration``
    and ``-m e2e`` split the suite with nothing left over."""
    for item in items:
        tier = tier_of(item)
        if not any(mark.name == tier for mark in item.iter_markers()):
            item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(autouse=True, scope="session")
def _no_automatic_garbage_collection() -> Iterator[None]:
    """What the app does with desktop_oauth.qt.collector, for the tests: automatic
    collection may run on a worker thread and destroy a Qt object there."""
    gc.disable()
    yield
    gc.enable()


@pytest.fixture(autouse=True)
def _collect_garbage_in_the_main_thread(_no_automatic_garbage_collection: None) -> Iterator[None]:
    """Collect after each test, in the main thread; then freeze what survived, so that
    the next collection looks only at what the next test made (a full collection
    over PySide6 and everything else imported took ~0.15 s per test)."""
    yield
    gc.collect()
    gc.freeze()


@pytest.fixture(scope="session")
def signing_key_pem(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """One sandbox signing key for the whole run, for sandboxes started on
    tests.sandbox.helpers.seeded_home (tests of key creation start on an empty folder)."""
    from desktop_oauth.sandbox import SandboxServer

    home = tmp_path_factory.mktemp("key-maker")
    with SandboxServer(home, poll_interval=0.01):
        pass
    return (home / "sandbox" / "signing-key.pem").read_bytes()
