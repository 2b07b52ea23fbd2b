"""Killing the app (SIGKILL) at random points of a refresh loses no account (issue 5).

A worker process refreshes one account in a loop (``AccountService.refresh``, the
same call the window's scheduler and ``desktop-oauth token`` make) against an
oidc-provider whose access tokens live a few seconds and whose refresh tokens
rotate. It is killed at a random moment 0-300 ms into the loop, 20 times. After
each kill the account must still be listed in a readable config.json with a
readable keyring entry, and either still work (``desktop-oauth token`` succeeds,
which with a 5 s token means a refresh with the stored refresh token) or say
"sign in again" (the provider had rotated the token before the new one reached
the keyring). Then it is signed in again, with the real browser, and the next
round starts.
"""

from __future__ import annotations

import contextlib
import json
import random
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop_oauth.core import config as config_file
from desktop_oauth.core.accounts import AccountService
from desktop_oauth.core.provider import ProviderConfig
from desktop_oauth.core.token_store import TokenStore
from tests.cli.runner import PYTHON, REPO, Cli

from .browser.driver import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Plan,
    block_non_loopback,
    browser_environment,
    classify,
    handle_oidc_provider_consent,
    handle_oidc_provider_login,
    lands_on,
)
from .oidc_provider import OidcProvider

pytestmark = pytest.mark.e2e

KILLS = 20
MAX_DELAY = 0.300
PROVIDER = "op"

#: The "app": load the profile, then refresh the account again and again.
WORKER = """
import sys
from desktop_oauth.core.accounts import AccountService
from desktop_oauth.core.profile import Profile

service = AccountService(Profile.from_environment())
service.load()
service.resolve_provider(sys.argv[2])
print("ready", flush=True)
done = 0
while True:
    service.refresh(sys.argv[1])
    done += 1
    print(done, flush=True)
"""


@pytest.fixture(scope="module")
def short_lived_provider() -> Iterator[OidcProvider]:
    provider = OidcProvider().start(access_token_ttl=5)
    try:
        yield provider
    finally:
        provider.stop()


class Browser:
    """One Chromium for the whole test: the person signing in again after a kill
    (its session cookie is kept, so only the consent page is shown after the first)."""

    def __init__(self) -> None:
        from playwright.sync_api import sync_playwright

        self._folder = tempfile.TemporaryDirectory(prefix="desktop-oauth-chromium-")
        self._playwright = sync_playwright().start()
        self._context = self._playwright.chromium.launch_persistent_context(
            self._folder.name,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            env=browser_environment(),
            timeout=10_000,
        )
        self._context.route("**/*", block_non_loopback)
        self._page = self._context.new_page()

    def sign_in(self, url: str, redirect_uri: str, login: str) -> None:
        page, plan = self._page, Plan(login=login, action="consent")
        page.goto(url, wait_until="load")
        for _ in range(4):
            page.wait_for_load_state("load")
            kind = classify(page, redirect_uri)
            if kind == "redirect":
                return
            if kind == "oidc_provider_login":
                handle_oidc_provider_login(page, plan)
            elif kind == "oidc_provider_consent":
                handle_oidc_provider_consent(page, plan)
            else:
                raise AssertionError(f"unexpected page {page.url}: {kind}")
        page.wait_for_url(lambda u: lands_on(u, redirect_uri))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._context.close()
        self._playwright.stop()
        self._folder.cleanup()


def sign_in(cli: Cli, browser: Browser, login: str) -> str:
    """Connect ``login`` as the window does (core calls), the browser signing in."""
    service = AccountService(cli.profile)
    service.load()
    attempt = service.begin_connect(PROVIDER, deadline_seconds=20)
    caught: dict[str, Any] = {}
    waiter = threading.Thread(target=lambda: caught.update(params=attempt.wait_for_redirect()))
    waiter.start()
    try:
        browser.sign_in(attempt.url, attempt.redirect_uri, login)
    finally:
        waiter.join(20)
        attempt.close()
    view = service.save_connection(attempt.complete(caught["params"]))
    return view.record.id


def run_and_kill(cli: Cli, account_id: str, delay: float) -> int:
    """Start the worker, kill it ``delay`` seconds into its refresh loop; how many
    refreshes it reported finished."""
    worker = subprocess.Popen(
        [PYTHON, "-c", WORKER, account_id, PROVIDER],
        cwd=REPO,
        env=cli.environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout is not None
    watchdog = threading.Timer(20, worker.kill)  # a worker that never gets ready
    watchdog.start()
    try:
        ready = worker.stdout.readline()
        assert ready.strip() == "ready", (ready, worker.stderr.read() if worker.stderr else "")
        time.sleep(delay)
    finally:
        watchdog.cancel()
        worker.send_signal(signal.SIGKILL)
        out, err = worker.communicate(timeout=10)
    assert worker.returncode == -signal.SIGKILL, f"the worker ended by itself:\n{err}"
    return len(out.split())


def test_sigkill_during_refresh_never_loses_or_corrupts_the_account(
    tmp_path: Path,
    short_lived_provider: OidcProvider,
    capsys: pytest.CaptureFixture[str],
) -> None:
    op = short_lived_provider
    cli = Cli(tmp_path / "home")
    config_file.save(
        cli.profile.config_path,
        config_file.Config(
            providers=(
                ProviderConfig(
                    name=PROVIDER,
                    issuer=op.issuer,
                    client_id=op.client_id,
                    scopes=("openid", "email", "offline_access"),
                ),
            )
        ),
    )
    seed = random.randrange(1 << 32)  # noqa: S311 - test timing, not a secret
    rng = random.Random(seed)  # noqa: S311
    outcomes: dict[str, int] = {"worked": 0, "needs sign-in": 0}
    refreshes = 0
    started = time.monotonic()
    browser = Browser()
    try:
        account_id = sign_in(cli, browser, "kim")
        for _ in range(KILLS):
            refreshes += run_and_kill(cli, account_id, rng.uniform(0.0, MAX_DELAY))

            # Not lost, not corrupted: the file parses and lists the account; the
            # keyring entry reads (or is absent), never "damaged".
            json.loads(cli.profile.config_path.read_text(encoding="utf-8"))
            config = config_file.load(cli.profile.config_path)
            assert config.recovered_from is None
            assert [a.id for a in config.accounts] == [account_id]
            TokenStore(cli.profile.keyring_service).load(account_id)

            # "Restarted": a token call either works or says to sign in again.
            result = cli.run("token", account_id)
            if result.returncode == 0:
                outcomes["worked"] += 1
                assert op.introspect(result.stdout.strip())["active"] is True
                continue
            assert "sign in again" in result.error_line.lower(), str(result)
            outcomes["needs sign-in"] += 1
            status = AccountService(cli.profile)
            status.load()
            assert status.summary(account_id).state == "needs sign-in again"
            assert sign_in(cli, browser, "kim") == account_id  # the same account again
    finally:
        browser.close()
    elapsed = time.monotonic() - started
    # A kill while config.json is written leaves the temporary file of the atomic
    # write (the old file stays intact): listed, not fatal.
    leftovers = sorted(p.name for p in cli.profile.home.glob(".config-*.tmp"))
    with capsys.disabled():
        print(
            f"\nSIGKILL during refresh x{KILLS} (seed {seed}): "
            f"{outcomes['worked']} still worked, {outcomes['needs sign-in']} said "
            f"'sign in again', 0 lost or corrupted; {refreshes} refreshes completed "
            f"before the kills; {elapsed:.1f} s; leftover files: {leftovers or 'none'}"
        )
    assert sum(outcomes.values()) == KILLS
    assert not list(cli.profile.home.glob("config.json.unreadable-*"))
