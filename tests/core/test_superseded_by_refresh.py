"""Tokens a refresh replaced: kept until Revoke or Remove, revoked then with every other
token the account ever held, and dropped once expired, against the real sandbox."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from desktop_oauth.core.accounts import AccountService, LocalProvider
from desktop_oauth.core.config import AccountStatus, Revocation
from desktop_oauth.core.profile import Profile
from desktop_oauth.core.token_store import TokenStore
from desktop_oauth.core.tokens import TokenSet
from desktop_oauth.sandbox import SandboxServer, provider_config
from tests.sandbox.helpers import STOP_POLL, Browser, Client, seeded_home

from .test_accounts import connect
from .test_token_store import FlakyKeyring

SCOPES = ("openid", "profile", "email", "offline_access")


class Clock:
    """The time both the sandbox and the app read: a test moves it forward."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    import time

    return Clock(time.time())


@pytest.fixture
def sandbox(tmp_path: Path, clock: Clock, signing_key_pem: bytes) -> Iterator[SandboxServer]:
    home = seeded_home(tmp_path / "sandbox-home", signing_key_pem)
    with SandboxServer(
        home, rate_limit=(1_000_000, 60.0), clock=clock, poll_interval=STOP_POLL
    ) as server:
        yield server


@pytest.fixture
def service(tmp_path: Path, sandbox: SandboxServer, clock: Clock) -> AccountService:
    profile = Profile(home=tmp_path / "app", keyring_service=f"test:{uuid.uuid4().hex}")
    config = provider_config(sandbox.issuer)
    return AccountService(
        profile,
        store=TokenStore(profile.keyring_service, FlakyKeyring()),
        session=requests.Session(),
        clock=clock,
        local_providers=[LocalProvider(config.name, lambda: config, aliases=("sandbox",))],
    )


def tokens_of(*sets: TokenSet | None) -> list[str]:
    return [t for s in sets if s is not None for t in (s.access_token, s.refresh_token) if t]


def works(client: Client, tokens: TokenSet | None) -> bool:
    """The account's current tokens are honoured (its API answers, its refresh token lives)."""
    assert tokens is not None and tokens.refresh_token is not None
    answer = client.api("/userinfo", tokens.access_token)
    return answer.status_code == 200 and bool(client.introspect(tokens.refresh_token)["active"])


def test_revoke_ends_the_tokens_of_every_refresh_and_re_consent(
    service: AccountService, sandbox: SandboxServer
) -> None:
    browser, client = Browser(sandbox.issuer), Client(sandbox.issuer)
    first = connect(service, browser, SCOPES)
    account = first.record.id
    refreshed = []
    for _ in range(2):
        refreshed.append(service.refresh(account))
        assert works(client, refreshed[-1].tokens)
    again = connect(service, browser, ("openid", "email", "offline_access", "notes.read"))
    assert works(client, again.tokens)
    assert again.record.id == account

    received = tokens_of(first.tokens, *(v.tokens for v in refreshed), again.tokens)
    assert len(set(received)) == 8
    # Each refresh left the access token before it live (only refresh tokens rotate).
    access = [v.tokens.access_token for v in (first, *refreshed, again) if v.tokens]
    assert all(client.introspect(t)["active"] for t in access)
    assert len(service.view(account).record.superseded) == 3

    outcome = service.revoke(account)

    assert [client.introspect(t)["active"] for t in received] == [False] * 8, outcome
    assert outcome.verified is True
    assert outcome.account.revocation is Revocation.VERIFIED
    assert outcome.account.superseded == ()
    assert 'id="no-connections"' in browser.get("/connections").text


def test_a_refresh_keeps_the_account_working_and_remove_ends_what_it_replaced(
    service: AccountService, sandbox: SandboxServer
) -> None:
    browser, client = Browser(sandbox.issuer), Client(sandbox.issuer)
    first = connect(service, browser, SCOPES)
    second = service.refresh(first.record.id)
    assert works(client, second.tokens)
    [entry] = second.record.superseded
    kept = service.store.load(entry)
    assert first.tokens is not None and kept is not None
    assert kept.access_token == first.tokens.access_token
    assert kept.expires_at == first.tokens.expires_at
    # The rotated-out refresh token is dead at the sandbox (introspection says so): not kept.
    assert kept.refresh_token is None and kept.id_token is None

    service.remove(first.record.id)

    assert service.store.load(entry) is None
    assert not client.introspect(first.tokens.access_token)["active"]
    assert service.config.accounts == ()


def test_expired_replaced_tokens_are_dropped_not_kept_forever(
    service: AccountService, sandbox: SandboxServer, clock: Clock
) -> None:
    browser, client = Browser(sandbox.issuer), Client(sandbox.issuer)
    first = connect(service, browser, SCOPES)
    account = first.record.id
    service.refresh(account)
    entries = service.refresh(account).record.superseded
    assert len(entries) == 2

    clock.now += sandbox.access_token_ttl + 1  # every access token so far has expired
    third = service.refresh(account)

    assert third.record.superseded == ()
    assert [service.store.load(e) for e in entries] == [None, None]
    assert works(client, third.tokens)
    assert service.revoke(account).account.status is AccountStatus.REVOKED


def test_why_a_replaced_access_token_waits_for_revoke_the_sandbox_ends_the_grant(
    service: AccountService, sandbox: SandboxServer
) -> None:
    """Revoking the access token a refresh replaced, right away, would end the live
    account: the sandbox ends the whole grant for it (RFC 7009 §2.1 allows that)."""
    browser, client = Browser(sandbox.issuer), Client(sandbox.issuer)
    first = connect(service, browser, SCOPES)
    second = service.refresh(first.record.id)
    assert first.tokens is not None and works(client, second.tokens)

    answer = client.post(
        "/revoke",
        {
            "token": first.tokens.access_token,
            "token_type_hint": "access_token",
            "client_id": client.client_id,
        },
    )

    assert answer.status_code == 200
    assert not works(client, second.tokens)
