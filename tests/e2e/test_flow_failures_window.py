"""A failure at each step of a real flow opens the window's flow view at that step,
with the provider's answer, and the status line names it: a redirect URI the
provider refuses, an invalid_grant at the token endpoint, an id_token whose
signature does not verify, a userinfo 401 and a revocation 503.

Real Chromium, the real keyring and the real sandbox (or oidc-provider); one
endpoint at a time is played by a scripted server on 127.0.0.1 where the sandbox
would never misbehave that way. (A refused consent and a refused refresh are in
test_flow_window.py.)"""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
import requests
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop_oauth.core import discovery
from desktop_oauth.core.flow_log import Step
from desktop_oauth.core.flow_model import OperationRecord
from desktop_oauth.core.provider import ProviderConfig
from desktop_oauth.sandbox import provider_config
from desktop_oauth.ui.flow_view import StepRow
from tests.core.scripted_server import Answer, Received, scripted_server
from tests.core.test_id_token import new_key, public_jwk

from .conftest import BrowserPlan
from .oidc_provider import OidcProvider
from .test_sandbox_window import Sandboxes, connect
from .window import Running, confirm_next_question, isolated_profile, open_window

pytestmark = pytest.mark.e2e

NAME = "Sandbox, one endpoint scripted"


@pytest.fixture
def sandboxes() -> Iterator[Sandboxes]:
    starter = Sandboxes()
    yield starter
    starter.stop()


def sandbox_with(
    tmp_path: Path, sandboxes: Sandboxes, endpoint: str, url: str | None = None
) -> tuple[ProviderConfig, str]:
    """The sandbox's settings, discovered, with ``endpoint`` at ``url``."""
    issuer = sandboxes(tmp_path / "sandbox").issuer
    with requests.Session() as http:
        http.trust_env = False
        config = discovery.resolve(http, provider_config(issuer))
    assert config.endpoints is not None
    config = dataclasses.replace(config, name=NAME)
    if url is None:
        return config, issuer
    endpoints = dataclasses.replace(config.endpoints, **{endpoint: url})
    return dataclasses.replace(config, endpoints=endpoints), issuer


def failed_at(
    qtbot: QtBot, running: Running, act: Callable[[], object], step: Step
) -> tuple[OperationRecord, StepRow]:
    """Do ``act``; the operation fails at ``step`` and the view opens there."""
    with qtbot.waitSignal(running.controller.operationFailed, timeout=45_000) as failed:
        act()
    record: OperationRecord = failed.args[0]
    assert record.failed_step is step, record
    view = running.window.flowView
    qtbot.waitUntil(lambda: not running.controller.connecting, timeout=15_000)
    qtbot.waitUntil(
        lambda: view.isVisible() and any(r.step is step and r.expanded for r in view.rows),
        timeout=5_000,
    )
    assert running.window.menu_actions.flow_view.isChecked()
    row = next(r for r in view.rows if r.step is step)
    assert row.state.text().startswith("✗ failed"), row.state.text()
    assert row.toggle.hasFocus() or view.isAncestorOf(running.window.focusWidget())
    # Every step after the failed one is absent: the view shows where it stopped.
    assert view.rows[-1].step is step
    return record, row


def status_starts(qtbot: QtBot, running: Running, text: str) -> None:
    label = running.window.statusLabel
    try:
        qtbot.waitUntil(lambda: label.text().startswith(text), timeout=10_000)
    except qtbot.TimeoutError:
        raise AssertionError(f"the status line says {label.text()!r}") from None


def press_connect(qtbot: QtBot, running: Running) -> Callable[[], None]:
    return lambda: qtbot.mouseClick(running.window.connectButton, Qt.MouseButton.LeftButton)


# ------------------------------------------------------------ the authorization request


@pytest.fixture(scope="module")
def strict_provider() -> Iterator[OidcProvider]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with OidcProvider(
        profile="strict", client_secret="s%e+c:ret", redirect_uri=f"http://127.0.0.1:{port}/cb"
    ).start() as provider:
        yield provider


def test_a_refused_redirect_uri_opens_the_view_at_the_sign_in_step(
    qtbot: QtBot, strict_provider: OidcProvider, browser_plan: BrowserPlan, tmp_path: Path
) -> None:
    """oidc-provider knows one exact redirect URI, not the app's: it shows its error
    page in the browser and never redirects; the app's wait for the callback ends."""
    provider = ProviderConfig(
        name="Strict provider", issuer=strict_provider.issuer, client_id=strict_provider.client_id
    )
    running = open_window(qtbot, isolated_profile(tmp_path / "p"), provider, deadline=6.0)
    browser_plan.set(action="ignore")
    record, row = failed_at(qtbot, running, press_connect(qtbot, running), Step.AUTHORIZE)
    assert record.account_id is None
    [request] = record.steps[-1].exchanges
    assert request.url.startswith(f"{strict_provider.issuer}/")
    assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A" in row.details.toPlainText()
    assert "state=«state, " in row.details.toPlainText()
    [opened] = browser_plan.results()
    assert opened["url_opened"].startswith(strict_provider.issuer)
    status_starts(qtbot, running, "The sign-in at the provider failed: no answer came back")
    assert "in time" in row.error.text()


# ------------------------------------------------------------------ the token endpoint


def test_an_invalid_grant_at_the_token_endpoint_opens_the_view_at_the_exchange(
    qtbot: QtBot, sandboxes: Sandboxes, browser_plan: BrowserPlan, tmp_path: Path
) -> None:
    """The code reaches the sandbox's token endpoint altered on the way, so the
    sandbox itself answers invalid_grant (RFC 6749 §5.2)."""
    token_url: list[str] = []

    def altered(request: Received) -> Answer:
        form = dict(parse_qsl(request.body.decode()))
        form["code"] = "not-the-code-the-provider-issued"
        with requests.Session() as http:
            http.trust_env = False
            answer = http.post(
                token_url[0],
                data=urlencode(form),
                timeout=10,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        return Answer(answer.status_code, answer.content, {"Content-Type": "application/json"})

    with scripted_server(altered) as server:
        config, issuer = sandbox_with(tmp_path, sandboxes, "token", f"{server.url}/token")
        token_url.append(f"{issuer}/token")
        running = open_window(qtbot, isolated_profile(tmp_path / "p"), config)
        browser_plan.set(login="ada")
        record, row = failed_at(qtbot, running, press_connect(qtbot, running), Step.TOKEN)
        assert len(server.posts()) == 1
    assert record.steps[-1].answer == "invalid_grant"
    details = row.details.toPlainText()
    assert f"POST {server.url}/token → 400" in details
    assert '"error": "invalid_grant"' in details
    assert "code_verifier=«PKCE verifier, " in details
    assert "invalid_grant" in row.error.text()
    status_starts(qtbot, running, "The token exchange failed: the provider answered invalid_grant.")


# ------------------------------------------------------------------------ the id_token


def test_a_bad_id_token_signature_opens_the_view_at_the_id_token_check(
    qtbot: QtBot, sandboxes: Sandboxes, browser_plan: BrowserPlan, tmp_path: Path
) -> None:
    """The sandbox's key id, published with another key: its id_token cannot verify."""
    keys: list[dict[str, object]] = []
    with scripted_server(lambda _: Answer.json({"keys": keys})) as server:
        config, issuer = sandbox_with(tmp_path, sandboxes, "jwks_uri", f"{server.url}/jwks")
        with requests.Session() as http:
            http.trust_env = False
            kid = http.get(f"{issuer}/jwks", timeout=10).json()["keys"][0]["kid"]
        keys.append(public_jwk(new_key(), kid))
        running = open_window(qtbot, isolated_profile(tmp_path / "p"), config)
        browser_plan.set(login="ada")
        record, row = failed_at(qtbot, running, press_connect(qtbot, running), Step.ID_TOKEN)
    assert [s.step for s in record.steps][-2:] == [Step.TOKEN, Step.ID_TOKEN]
    assert f"GET {server.url}/jwks → 200" in row.details.toPlainText()
    assert row.error.text()
    status_starts(qtbot, running, "The id_token check failed: ")
    # Nothing was kept: no account, no tokens in the keyring.
    assert running.service is not None and not running.service.config.accounts


# ---------------------------------------------------------------------------- userinfo


def test_a_userinfo_401_opens_the_view_at_the_api_call(
    qtbot: QtBot, sandboxes: Sandboxes, browser_plan: BrowserPlan, tmp_path: Path
) -> None:
    refusal = Answer.json(
        {"error": "invalid_token"}, 401, **{"WWW-Authenticate": 'Bearer error="invalid_token"'}
    )
    with scripted_server(lambda _: refusal) as server:
        config, _ = sandbox_with(tmp_path, sandboxes, "userinfo", f"{server.url}/userinfo")
        running = open_window(qtbot, isolated_profile(tmp_path / "p"), config)
        browser_plan.set(login="ada")
        record, row = failed_at(qtbot, running, press_connect(qtbot, running), Step.API)
        [call] = server.received
    assert call.headers["Authorization"].startswith("Bearer ")
    assert record.steps[-1].answer == "invalid_token"
    details = row.details.toPlainText()
    assert f"GET {server.url}/userinfo → 401" in details
    assert "Bearer «access token, " in details
    assert call.headers["Authorization"][7:] not in details
    status_starts(qtbot, running, "The API call failed: the provider answered invalid_token")


# -------------------------------------------------------------------------- revocation


def test_a_revocation_503_opens_the_view_at_the_revocation(
    qtbot: QtBot, sandboxes: Sandboxes, browser_plan: BrowserPlan, tmp_path: Path
) -> None:
    """Connected at the sandbox; its revocation endpoint is busy (503): the account
    waits to be revoked later, and the view shows which request failed and how."""
    busy = Answer(503, b"busy, try later", {"Content-Type": "text/plain", "Retry-After": "120"})
    with scripted_server(lambda _: busy) as server:
        config, _ = sandbox_with(tmp_path, sandboxes, "revocation", f"{server.url}/revoke")
        running = open_window(qtbot, isolated_profile(tmp_path / "p"), config)
        window = running.window
        connect(qtbot, running, browser_plan, login="ada")
        assert not window.flowView.isVisible()
        qtbot.waitUntil(window.revokeButton.isEnabled, timeout=5_000)

        def revoke() -> None:
            confirm_next_question(qtbot)
            qtbot.mouseClick(window.revokeButton, Qt.MouseButton.LeftButton)

        record, row = failed_at(qtbot, running, revoke, Step.REVOKE)
        assert server.posts()
    assert record.operation.value == "revoke" and record.account_id is not None
    assert f"POST {server.url}/revoke → 503" in row.details.toPlainText()
    assert "busy, try later" in row.details.toPlainText()
    assert "token=«" in row.details.toPlainText()
    status_starts(qtbot, running, "The revocation failed: the provider answered HTTP 503.")
