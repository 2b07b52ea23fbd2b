"""Finding 1 of the security review (docs/security.md), in real Chromium: a crafted
link to the sandbox's /login?next= must not plant a cookie for 127.0.0.1
(cookies ignore ports, so it would reach every local web app)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from desktop_oauth.sandbox import SandboxServer

from .browser.driver import CHROMIUM, CHROMIUM_ARGS, browser_environment

pytestmark = pytest.mark.e2e

NEXT = "/connections\r\nSet-Cookie: planted=by-attacker; Path=/; Max-Age=600"


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxServer]:
    with SandboxServer(tmp_path / "profile") as server:
        yield server


def test_crafted_login_link_plants_no_cookie(sandbox: SandboxServer, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            env=browser_environment(),
            timeout=10_000,
        )
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.goto(f"{sandbox.issuer}/login?next={quote(NEXT, safe='/')}")
            page.click("#login-ada")  # the person signs in, as the link invites
            page.wait_for_load_state()
            cookies = {cookie["name"]: cookie for cookie in context.cookies()}
            landed = page.url
        finally:
            context.close()
    assert "planted" not in cookies
    assert any(name.startswith("sandbox_session") for name in cookies)  # signed in
    assert landed.startswith(sandbox.issuer + "/")
