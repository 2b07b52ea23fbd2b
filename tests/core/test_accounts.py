"""The account service's decisions, against the real sandbox on 127.0.0.1 (its pages
walked by tests/sandbox/helpers.Browser, the redirect delivered to the app's real
loopback receiver) and against scripted servers."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from desktop_oauth.core.account_state import AccountState
from desktop_oauth.core.accounts import AccountService, AccountView, LocalProvider
from desktop_oauth.core.config import AccountStatus, Revocation
from desktop_oauth.core.errors import DifferentPersonError
from desktop_oauth.core.profile import Profile
from desktop_oauth.core.token_store import TokenStore
from desktop_oauth.sandbox import SandboxServer, provider_config
from tests.sandbox.helpers import STOP_POLL, Browser, Client, seeded_home

from .test_token_store import FlakyKeyring


@pytest.fixture
def sandbox(tmp_path: Path, signing_key_pem: bytes) -> Iterator[SandboxServer]:
    home = seeded_home(tmp_path / "sandbox-home", signing_key_pem)
    with SandboxServer(home, rate_limit=(1_000_000, 60.0), poll_interval=STOP_POLL) as server:
        yield server


@pytest.fixture
def service(tmp_path: Path, sandbox: SandboxServer) -> AccountService:
    profile = Profile(home=tmp_path / "app", keyring_service=f"test:{uuid.uuid4().hex}")
    config = provider_config(sandbox.issuer)
    return AccountService(
        profile,
        store=TokenStore(profile.keyring_service, FlakyKeyring()),
        session=requests.Session(),
        local_providers=[LocalProvider(config.name, lambda: config, aliases=("sandbox",))],
    )


def connect(
    service: AccountService, browser: Browser, scopes: tuple[str, ...], user: str = "ada"
) -> AccountView:
    """Connect as the app does; the person signs in and allows on the sandbox's pages."""
    name = service.provider_name("sandbox")
    attempt = service.begin_connect(name, scopes=scopes, deadline_seconds=30)
    try:
        location = browser.walk(attempt.url, user=user)
        assert isinstance(location, str), location
        deliver = threading.Thread(target=lambda: requests.get(location, timeout=10))
        deliver.start()
        params = attempt.wait_for_redirect()
        deliver.join()
        result = attempt.complete(params)
    finally:
        attempt.close()
    return service.save_connection(result)


def test_revoke_after_a_re_consent_ends_every_grant_ever_held(
    service: AccountService, sandbox: SandboxServer
) -> None:
    browser, client = Browser(sandbox.issuer), Client(sandbox.issuer)
    first = connect(service, browser, ("openid", "profile", "email", "offline_access"))
    second = connect(service, browser, ("openid", "email", "offline_access", "notes.read"))
    assert first.record.id == second.record.id  # the same person, the same account
    assert first.tokens is not None and second.tokens is not None
    received = [
        t
        for view in (first, second)
        for t in (view.tokens.access_token, view.tokens.refresh_token)  # type: ignore[union-attr]
        if t
    ]
    assert len(received) == 4
    assert all(client.introspect(t)["active"] for t in received)

    outcome = service.revoke(second.record.id)

    assert [client.introspect(t)["active"] for t in received] == [False] * 4, outcome
    assert outcome.verified is True
    assert outcome.account.status is AccountStatus.REVOKED
    assert outcome.account.revocation is Revocation.VERIFIED
    assert outcome.account.superseded == ()
    page = browser.get("/connections").text
    assert 'id="no-connections"' in page
    summary = service.summary(second.record.id)
    assert summary.state is AccountState.REVOKED
    assert (summary.scopes, summary.expires_at, summary.has_refresh_token) == ((), None, False)
    assert "notes.read" in summary.former_scopes
    assert summary.revoked_at is not None


def test_a_re_consent_keeps_the_replaced_tokens_out_of_the_account(
    service: AccountService, sandbox: SandboxServer
) -> None:
    browser = Browser(sandbox.issuer)
    first = connect(service, browser, ("openid", "profile", "offline_access"))
    second = connect(service, browser, ("openid", "email", "offline_access"))
    [entry] = second.record.superseded
    kept = service.store.load(entry)
    assert kept is not None and first.tokens is not None
    assert kept.access_token == first.tokens.access_token
    assert kept.id_token is None  # only what a revocation needs
    service.remove(second.record.id)
    assert service.store.load(entry) is None
    assert service.config.accounts == ()


def test_signing_in_again_as_someone_else_leaves_the_account_untouched(
    service: AccountService, sandbox: SandboxServer
) -> None:
    browser = Browser(sandbox.issuer)
    grace = connect(service, browser, ("openid", "email", "offline_access"), user="grace")
    before = service.config.accounts

    name = service.provider_name("sandbox")
    attempt = service.begin_connect(name, deadline_seconds=30, account_id=grace.record.id)
    try:
        query = parse_qs(urlsplit(attempt.url).query)
        assert query["login_hint"] == [grace.record.display_name]
        assert "login" in query["prompt"][0].split()
        # The sandbox asks who signs in (prompt=login); ada does.
        location = browser.walk(attempt.url, user="ada")
        assert isinstance(location, str), location
        deliver = threading.Thread(target=lambda: requests.get(location, timeout=10))
        deliver.start()
        params = attempt.wait_for_redirect()
        deliver.join()
        result = attempt.complete(params)
    finally:
        attempt.close()
    with pytest.raises(DifferentPersonError) as refused:
        service.save_connection(result, same_as=grace.record.id)
    assert refused.value.signed_in.startswith("ada")
    assert "ada" in str(refused.value) and "grace" in str(refused.value)
    assert service.config.accounts == before  # grace's account as it was
    assert service.store.load(grace.record.id) == grace.tokens
    # Adding ada as an account of her own is the person's choice, and works.
    ada = service.save_connection(result)
    assert ada.record.id != grace.record.id
    assert len(service.config.accounts) == 2


def test_email_and_login_come_from_userinfo_when_the_id_token_lacks_them(
    service: AccountService, sandbox: SandboxServer
) -> None:
    # Without openid there is no id_token: the names come from the userinfo answer
    # kept at connect time (issue 10, "Claims and exit codes").
    browser = Browser(sandbox.issuer)
    view = connect(service, browser, ("openid", "email", "profile"), user="linus")
    assert view.tokens is not None
    stripped = view.tokens.__class__(
        access_token=view.tokens.access_token,
        refresh_token=view.tokens.refresh_token,
        expires_at=view.tokens.expires_at,
        granted_scopes=view.tokens.granted_scopes,
    )
    service.store.save(view.record.id, stripped)  # as a provider that sends no id_token
    summary = service.summary(view.record.id)
    assert summary.email == "linus@sandbox.test"
    assert summary.login == "linus"


def test_the_last_refresh_is_noted_with_its_date_and_time_zone(tmp_path: Path) -> None:
    profile = Profile(home=tmp_path, keyring_service=f"test:{uuid.uuid4().hex}")
    noon = 1_780_000_000.0
    service = AccountService(
        profile, store=TokenStore(profile.keyring_service, FlakyKeyring()), clock=lambda: noon
    )
    local = time.localtime(noon)
    assert service._when("ok") == (
        f"{time.strftime('%Y-%m-%d %H:%M:%S', local)} {time.strftime('%Z', local)}, ok"
    )
