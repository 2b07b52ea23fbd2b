"""Fixtures for the end-to-end tests: a real OpenID provider, a real browser.

At import (before any test can import ``webbrowser``) this points Python's
``webbrowser`` at ``tests/e2e/browser/open-url`` through ``BROWSER``, and
``DESKTOP_OAUTH_TEST_BROWSER_PLAN`` at a plan file in a session temp folder.
A test says what the "person at the browser" does with the ``browser_plan``
fixture, then reads what happened with ``browser_plan.results()``.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.oidc_provider import OidcProvider

OPEN_URL = Path(__file__).resolve().parent / "browser" / "open-url"

_SESSION_DIR = Path(tempfile.mkdtemp(prefix="desktop-oauth-e2e-"))
atexit.register(shutil.rmtree, _SESSION_DIR, ignore_errors=True)
PLAN_PATH = _SESSION_DIR / "browser-plan.json"

os.environ["BROWSER"] = str(OPEN_URL)
os.environ["DESKTOP_OAUTH_TEST_BROWSER_PLAN"] = str(PLAN_PATH)
# scripts/test sets it to the venv's python; a bare `pytest` uses its own.
os.environ.setdefault("DESKTOP_OAUTH_TEST_PYTHON", sys.executable)


class BrowserPlan:
    """What the test browser does with the next URL it is asked to open.

    The plan file is read by tests/e2e/browser/driver.py, which appends one
    JSON line per URL it handled to ``<plan>.result.jsonl`` (contract in the
    driver's docstring) and its log to ``<plan>.log``.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.result_path = path.with_name(path.name + ".result.jsonl")
        self.log_path = path.with_name(path.name + ".log")
        self.plan_id = ""

    def set(
        self,
        login: str = "alice",
        action: str = "consent",
        wrong_state_first: bool = False,
        **extra: Any,
    ) -> None:
        """Say what the browser does next. ``extra`` carries the sandbox's plan fields:
        ``uncheck_scopes`` (scopes to untick on consent) and ``user_code`` (action
        ``device``: enter this code on the verification page)."""
        if action not in ("consent", "cancel", "ignore", "device"):
            raise ValueError(f"unknown browser action {action!r}")
        self.plan_id = uuid.uuid4().hex
        plan = {
            "login": login,
            "action": action,
            "wrong_state_first": wrong_state_first,
            "plan_id": self.plan_id,
            **extra,
        }
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(plan), encoding="utf-8")
        tmp.replace(self.path)
        self.result_path.unlink(missing_ok=True)

    def _read(self) -> list[dict[str, Any]]:
        try:
            text = self.result_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        lines = [json.loads(line) for line in text.splitlines() if line.strip()]
        # A driver started under an earlier plan may still finish late: ignore it.
        return [line for line in lines if line.get("plan_id") == self.plan_id]

    def results(self, timeout: float = 20, count: int = 1) -> list[dict[str, Any]]:
        """Wait until the driver reported ``count`` runs under this plan; return them all."""
        deadline = time.monotonic() + timeout
        while True:
            found = self._read()
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"the test browser reported {len(found)} of {count} expected result(s) "
                    f"within {timeout} s (was the URL ever handed to webbrowser?).\n"
                    f"driver log tail:\n{self.log_tail()}"
                )
            time.sleep(0.05)

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except FileNotFoundError:
            return "(no driver log: the browser hook never ran)"


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[OidcProvider]:
    provider = OidcProvider().start()
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture
def browser_plan() -> BrowserPlan:
    plan = BrowserPlan(PLAN_PATH)
    plan.set()  # sign in as alice and consent, unless the test says otherwise
    return plan
