"""Shared test setup.

Qt must know it has no display before it is imported: without a platform it
aborts the whole process (FACTS: Qt).
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


import gc
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def _no_automatic_garbage_collection() -> Iterator[None]:
    """What the app does with desktop_oauth.qt.collector, for the tests: automatic
    collection may run on a worker thread and destroy a Qt object there."""
    gc.disable()
    yield
    gc.enable()


@pytest.fixture(autouse=True)
def _collect_garbage_in_the_main_thread(_no_automatic_garbage_collection: None) -> Iterator[None]:
    """Collect after each test, in the main thread."""
    yield
    gc.collect()
