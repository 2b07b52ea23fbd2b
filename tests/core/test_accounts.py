"""The account service's decisions, against the real sandbox on 127.0.0.1 (its pages
walked by tests/sandbox/helpers.Browser, the redirect delivered to the app's real
loopback receiver) and against scripted servers."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import keyring.backends.fail
import pytest
import requests

from desktop_oauth.core.account_state import AccountState
from desktop_oauth.core.accounts import AccountService, AccountView, LocalProvider
from desktop_oauth.core.accounts.records import RefreshOutcome
from desktop_oauth.core.config import AccountStatus, Revocation
from desktop_oauth.core.errors import DifferentPersonError, InvalidGrantError, TokenError
from desktop_oauth.core.history import HistoryKind
from desktop_oauth.core.profile import Profile
from desktop_oauth.core.token_store import TokenStore
from desktop_oauth.sandbox import SandboxServer, provider_config
from tests.sandbox.helpers import Browser, Client

from .scripted_server import Answer, Received, scripted_server
from .test_token_store import FlakyKeyring


def connect(
    service: AccountService,
    browser: Browser,
    scopes: tuple[str, ...],
    user: str = "ada",
    *,
    uncheck: tuple[str, ...] = (),
) -> AccountView:
    """Connect as the app does; the person signs in and allows on the sandbox's pages
    (unticking the scopes in ``uncheck``)."""
    name = service.provider_name("sandbox")
    attempt = service.begin_connect(name, scopes=scopes, deadline_seconds=30)
    try:
        location = browser.walk(attempt.url, user=user, uncheck=uncheck)
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


def sign_in_again_as(
    service: AccountService, browser: Browser, account: AccountView, user: str
) -> DifferentPersonError:
    """Sign in again for ``account``, where ``user`` signs in instead."""
    name = service.provider_name("sandbox")
    attempt = service.begin_connect(name, deadline_seconds=30, account_id=account.record.id)
    try:
        query = parse_qs(urlsplit(attempt.url).query)
        assert query["login_hint"] == [account.record.display_name]
        assert "login" in query["prompt"][0].split()
        # The sandbox asks who signs in (prompt=login); ``user`` does.
        location = browser.walk(attempt.url, user=user)
        assert isinstance(location, str), location
        deliver = threading.Thread(target=lambda: requests.get(location, timeout=10))
        deliver.start()
        params = attempt.wait_for_redirect()
        deliver.join()
        result = attempt.complete(params)
    finally:
        attempt.close()
    with pytest.raises(DifferentPersonError) as refused:
        service.save_connection(result, same_as=account.record.id)
    return refused.value


def test_signing_in_again_as_someone_else_leaves_the_account_untouched(
    service: AccountService, sandbox: SandboxServer
) -> None:
    browser = Browser(sandbox.issuer)
    grace = connect(service, browser, ("openid", "email", "offline_access"), user="grace")
    before = service.config.accounts
    refused = sign_in_again_as(service, browser, grace, "ada")
    assert refused.signed_in.startswith("ada")
    assert "ada" in str(refused) and "grace" in str(refused)
    assert service.config.accounts == before  # grace's account as it was
    assert service.store.load(grace.record.id) == grace.tokens
    # Adding ada as an account of her own is the person's choice, and works.
    ada = service.save_connection(refused.result)  # type: ignore[arg-type]
    assert ada.record.id != grace.record.id
    assert len(service.config.accounts) == 2


def test_someone_else_not_added_has_their_new_tokens_revoked(
    service: AccountService, sandbox: SandboxServer
) -> None:
    browser, client = Browser(sandbox.issuer), Client(sandbox.issuer)
    grace = connect(service, browser, ("openid", "email", "offline_access"), user="grace")
    before = service.config.accounts
    refused = sign_in_again_as(service, browser, grace, "ada")
    issued = refused.result.tokens  # type: ignore[attr-defined]
    for_ada = [t for t in (issued.access_token, issued.refresh_token) if t]
    assert len(for_ada) == 2 and all(client.introspect(t)["active"] for t in for_ada)

    assert service.discard_connection(refused.result) is True  # type: ignore[arg-type]

    assert [client.introspect(t)["active"] for t in for_ada] == [False, False]
    assert service.config.accounts == before
    assert grace.tokens is not None and grace.tokens.refresh_token is not None
    assert client.introspect(grace.tokens.refresh_token)["active"]  # grace still works
    assert client.api("/userinfo", grace.tokens.access_token).status_code == 200


def test_someone_else_who_has_an_account_keeps_it_working_and_loses_the_new_tokens_later(
    service: AccountService, sandbox: SandboxServer
) -> None:
    browser, client = Browser(sandbox.issuer), Client(sandbox.issuer)
    ada = connect(service, Browser(sandbox.issuer), ("openid", "email", "offline_access"))
    grace = connect(service, browser, ("openid", "email", "offline_access"), user="grace")
    refused = sign_in_again_as(service, browser, grace, "ada")
    issued = refused.result.tokens  # type: ignore[attr-defined]

    assert service.discard_connection(refused.result) is None  # type: ignore[arg-type]

    # The new tokens may share ada's grant: kept as replaced tokens of her account.
    assert service.store.load(ada.record.id) == ada.tokens
    assert ada.tokens is not None and ada.tokens.refresh_token is not None
    assert client.introspect(ada.tokens.refresh_token)["active"]
    [entry] = service.view(ada.record.id).record.superseded
    kept = service.store.load(entry)
    assert kept is not None and kept.access_token == issued.access_token
    assert service.revoke(ada.record.id).verified is True
    assert not client.introspect(issued.access_token)["active"]
    assert not client.introspect(issued.refresh_token)["active"]


def test_someone_else_whose_account_holds_no_tokens_has_the_new_ones_revoked_now(
    service: AccountService, sandbox: SandboxServer
) -> None:
    browser, client = Browser(sandbox.issuer), Client(sandbox.issuer)
    ada = connect(service, Browser(sandbox.issuer), ("openid", "email", "offline_access"))
    service.revoke(ada.record.id)  # nothing live left that the new tokens could share
    grace = connect(service, browser, ("openid", "email", "offline_access"), user="grace")
    refused = sign_in_again_as(service, browser, grace, "ada")
    issued = refused.result.tokens  # type: ignore[attr-defined]

    assert service.discard_connection(refused.result) is True  # type: ignore[arg-type]

    assert not client.introspect(issued.access_token)["active"]
    assert not client.introspect(issued.refresh_token)["active"]
    assert service.view(ada.record.id).record.superseded == ()
    assert service.store.load(ada.record.id) is None


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
    when = f"{time.strftime('%Y-%m-%d %H:%M:%S', local)} {time.strftime('%Z', local)}"
    assert service._when(RefreshOutcome.OK) == f"{when}, ok"
    assert service._when(RefreshOutcome.FAILED, "offline") == f"{when}, failed: offline"


# -- the service's decisions when the provider refuses, fails or narrows ---------------

OFFLINE = ("openid", "email", "offline_access", "notes.read")


def test_a_refresh_refused_with_invalid_grant_forgets_the_tokens_and_asks_for_a_sign_in(
    service: AccountService, sandbox: SandboxServer
) -> None:
    view = connect(service, Browser(sandbox.issuer), OFFLINE)
    assert view.tokens is not None and view.tokens.refresh_token is not None
    # Another client spends the refresh token first: the sandbox rotates it, and the
    # app's copy coming back is a reuse, which ends the whole grant (RFC 9700 §4.14.2).
    assert Client(sandbox.issuer).refresh(view.tokens.refresh_token).status_code == 200

    with pytest.raises(InvalidGrantError):
        service.refresh(view.record.id)

    record = service.view(view.record.id).record
    assert record.status is AccountStatus.NEEDS_SIGN_IN
    assert record.display_name == view.record.display_name  # the account stays listed
    assert record.last_refresh is not None and "refused: sign in again" in record.last_refresh
    assert service.store.load(view.record.id) is None  # nothing left that could work
    assert service.summary(view.record.id).state is AccountState.NEEDS_SIGN_IN


def test_a_refresh_that_cannot_reach_the_provider_keeps_the_account_and_its_tokens(
    service: AccountService, sandbox: SandboxServer
) -> None:
    view = connect(service, Browser(sandbox.issuer), OFFLINE)
    sandbox.stop()  # the provider is unreachable: connection refused

    with pytest.raises(TokenError) as failed:
        service.refresh(view.record.id)

    assert not isinstance(failed.value, InvalidGrantError)
    record = service.view(view.record.id).record
    assert record.status is AccountStatus.CONNECTED  # a network error is no verdict
    assert record.last_refresh is not None and "failed:" in record.last_refresh
    assert service.store.load(view.record.id) == view.tokens  # the refresh token too
    # The access token has not expired: whoever needs one gets it, with a notice.
    usable = service.usable_tokens(view.record.id, min_seconds=10 * 3600)
    assert usable.tokens == view.tokens
    assert "still valid for a short while" in usable.notice


class RevocationGateway:
    """The provider's revocation endpoint behind a gateway that answers 503 while
    ``down``, and otherwise passes the request on to the sandbox."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer
        self.down = True

    def answer(self, request: Received) -> Answer:
        if self.down:
            return Answer(503, b"busy", {"Content-Type": "text/plain"})
        passed = requests.post(
            f"{self.issuer}/revoke",
            data=request.body,
            headers={"Content-Type": request.headers.get("Content-Type", "")},
            timeout=5,
        )
        return Answer(passed.status_code, passed.content, {"Content-Type": "application/json"})


@pytest.fixture
def gateway(sandbox: SandboxServer) -> Iterator[tuple[RevocationGateway, str]]:
    gateway = RevocationGateway(sandbox.issuer)
    with scripted_server(gateway.answer) as server:
        yield gateway, f"{server.url}/revoke"


def service_revoking_through(
    tmp_path: Path, sandbox: SandboxServer, revocation: str
) -> tuple[AccountService, FlakyKeyring]:
    """The service of the ``service`` fixture, with the sandbox's revocation endpoint
    at ``revocation``; its in-memory keyring returned too."""
    profile = Profile(home=tmp_path / "app", keyring_service=f"test:{uuid.uuid4().hex}")
    # An endpoint set over the discovery document, as the provider dialog allows.
    config = replace(
        provider_config(sandbox.issuer), endpoint_overrides=(("revocation", revocation),)
    )
    backend = FlakyKeyring()
    service = AccountService(
        profile,
        store=TokenStore(profile.keyring_service, backend),
        session=requests.Session(),
        local_providers=[LocalProvider(config.name, lambda: config, aliases=("sandbox",))],
    )
    return service, backend


def test_a_revocation_answered_503_stays_pending_and_is_delivered_later(
    tmp_path: Path, sandbox: SandboxServer, gateway: tuple[RevocationGateway, str]
) -> None:
    front, revocation = gateway
    service, backend = service_revoking_through(tmp_path, sandbox, revocation)
    client = Client(sandbox.issuer)
    view = connect(service, Browser(sandbox.issuer), OFFLINE)
    assert view.tokens is not None and view.tokens.refresh_token is not None
    issued = [view.tokens.access_token, view.tokens.refresh_token]

    outcome = service.revoke(view.record.id)

    # RFC 7009 §2.2.1: a 503 means try again later; the provider was not told.
    assert outcome.provider_confirmed is False
    assert outcome.account.status is AccountStatus.REVOCATION_PENDING
    assert outcome.account.revocation is Revocation.UNCONFIRMED
    assert service.store.load(view.record.id) is None  # forgotten for the account...
    assert any("pending-revocation" in name for _, name in backend.entries)  # ...kept to tell
    assert all(client.introspect(t)["active"] for t in issued)
    assert service.summary(view.record.id).state is AccountState.REVOCATION_PENDING
    assert [o.account.status for o in service.retry_revocations()] == [
        AccountStatus.REVOCATION_PENDING
    ]

    front.down = False
    [later] = service.retry_revocations()

    assert later.provider_confirmed and later.verified is True
    assert later.account.status is AccountStatus.REVOKED
    assert later.account.revocation is Revocation.VERIFIED
    assert [client.introspect(t)["active"] for t in issued] == [False, False]
    assert backend.entries == {}
    assert service.retry_revocations() == []


def test_removing_an_account_whose_revocation_is_pending_tries_it_first_and_keeps_it_if_it_fails(
    tmp_path: Path, sandbox: SandboxServer, gateway: tuple[RevocationGateway, str]
) -> None:
    front, revocation = gateway
    service, backend = service_revoking_through(tmp_path, sandbox, revocation)
    client = Client(sandbox.issuer)
    view = connect(service, Browser(sandbox.issuer), OFFLINE)
    assert view.tokens is not None and view.tokens.refresh_token is not None
    issued = [view.tokens.access_token, view.tokens.refresh_token]
    assert service.revoke(view.record.id).account.status is AccountStatus.REVOCATION_PENDING

    # The provider is still down: the account stays, and so does what revokes it.
    refused = service.remove(view.record.id)
    assert refused is not None and not refused.provider_confirmed
    assert "was not removed" in refused.message
    [kept] = service.config.accounts
    assert kept.status is AccountStatus.REVOCATION_PENDING
    assert any("pending-revocation" in name for _, name in backend.entries)
    assert all(client.introspect(t)["active"] for t in issued)

    # Reachable again: Remove tells the provider first, then forgets the account.
    front.down = False
    removed = service.remove(view.record.id)
    assert removed is not None and removed.provider_confirmed and removed.verified is True
    assert service.config.accounts == ()
    assert backend.entries == {}
    assert [client.introspect(t)["active"] for t in issued] == [False, False]
    assert service.retry_revocations() == []


def test_connecting_the_same_person_again_updates_their_one_account(
    service: AccountService, sandbox: SandboxServer
) -> None:
    browser = Browser(sandbox.issuer)
    first = connect(service, browser, ("openid", "email", "offline_access"))
    second = connect(service, browser, ("openid", "profile", "offline_access", "notes.read"))

    [record] = service.config.accounts
    assert record.id == first.record.id == second.record.id
    assert record.status is AccountStatus.CONNECTED
    assert record.requested_scopes == ("openid", "profile", "offline_access", "notes.read")
    assert set(record.granted_scopes) == {"openid", "profile", "offline_access", "notes.read"}
    assert service.store.load(record.id) == second.tokens  # the new tokens, not the old
    assert len(record.superseded) == 1  # the old ones wait to be revoked with the account


def test_scopes_the_person_unticks_are_not_held_by_the_account(
    service: AccountService, sandbox: SandboxServer
) -> None:
    asked = ("openid", "email", "offline_access", "notes.read")
    view = connect(service, Browser(sandbox.issuer), asked, uncheck=("notes.read",))

    assert view.record.requested_scopes == asked
    assert set(view.record.granted_scopes) == {"openid", "email", "offline_access"}
    assert view.tokens is not None
    assert set(view.tokens.granted_scopes) == set(view.record.granted_scopes)
    # The access token really lacks it: the sandbox's API refuses the notes.
    refused = Client(sandbox.issuer).api("/api/notes", view.tokens.access_token)
    assert refused.status_code == 403
    # A refresh keeps the narrowed grant; it does not widen to what was asked.
    refreshed = service.refresh(view.record.id)
    assert "notes.read" not in refreshed.record.granted_scopes
    assert set(refreshed.record.granted_scopes) == {"openid", "email", "offline_access"}


def test_revoking_an_account_revoked_before_says_so_and_changes_nothing(
    service: AccountService, sandbox: SandboxServer
) -> None:
    view = connect(service, Browser(sandbox.issuer), OFFLINE)
    first = service.revoke(view.record.id)
    assert first.verified is True and first.account.revocation is Revocation.VERIFIED

    again = service.revoke(view.record.id)

    assert again.verified is True and not again.provider_confirmed
    assert again.message == "Its access was already taken back, and verified."
    assert again.account == first.account
    kinds = [e.kind for e in service.config.history_of(view.record.id).entries]
    assert kinds.count(HistoryKind.REVOKED) == 1


def test_without_a_keyring_a_connected_account_is_unknown_not_signed_out(
    service: AccountService, sandbox: SandboxServer
) -> None:
    view = connect(service, Browser(sandbox.issuer), OFFLINE)
    # The same settings, read where no keyring can be reached (an SSH session).
    elsewhere = AccountService(
        service.profile,
        store=TokenStore(service.profile.keyring_service, keyring.backends.fail.Keyring()),  # type: ignore[no-untyped-call]
        session=requests.Session(),
    )
    elsewhere.load()
    summary = elsewhere.summary(view.record.id)
    assert summary.state is AccountState.UNKNOWN
    assert "No keyring is available here" in summary.detail
