"""The command-line tests reuse the end-to-end fixtures: the real OpenID provider
and the browser hook. Importing tests.e2e.conftest also points ``BROWSER`` and the
plan file at the test browser; the CLI subprocesses inherit both."""

from __future__ import annotations

from tests.e2e.conftest import browser_plan, oidc_provider

__all__ = ["browser_plan", "oidc_provider"]
