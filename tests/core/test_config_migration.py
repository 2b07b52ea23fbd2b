"""A settings file of schema 1 (written by the schema-1 code: tests/core/data/config-v1.json)
loads as schema 3 without losing anything, and its pending revocation is still retried; a
file of schema 2 (written by the schema-2 code: tests/core/data/config-v2.json) loads the
same, with an empty history that fills from then on and survives a restart."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import requests

from desktop_oauth.core import config as config_file
from desktop_oauth.core.account_state import AccountState, describe
from desktop_oauth.core.accounts import AccountService, LocalProvider
from desktop_oauth.core.config import AccountStatus, Revocation
from desktop_oauth.core.history import HistoryKind
from desktop_oauth.core.profile import Profile
from desktop_oauth.core.provider import Endpoints, ProviderConfig
from desktop_oauth.core.token_store import TokenStore
from desktop_oauth.core.tokens import TokenSet

from .scripted_server import Answer, Received, scripted_server
from .test_token_store import FlakyKeyring

SAVED = Path(__file__).parent / "data" / "config-v1.json"
SAVED_V2 = Path(__file__).parent / "data" / "config-v2.json"


def _v1() -> dict[str, dict[str, object]]:
    data = json.loads(SAVED.read_text())
    assert data["schema"] == 1
    return {a["id"]: a for a in data["accounts"]}


@pytest.fixture(params=[SAVED, SAVED_V2], ids=["schema-1", "schema-2"])
def migrated(tmp_path: Path, request: pytest.FixtureRequest) -> config_file.Config:
    path = tmp_path / "config.json"
    shutil.copy(request.param, path)
    loaded = config_file.load(path)
    assert loaded.recovered_from is None
    assert loaded.history == ()  # no event is made up from what the old file kept
    return loaded


EXPECTED = {
    "acct-connected": (AccountStatus.CONNECTED, None, ""),
    "acct-expired": (AccountStatus.CONNECTED, None, ""),
    "acct-needs-signin": (
        AccountStatus.NEEDS_SIGN_IN,
        None,
        "The provider no longer accepts the refresh token.",
    ),
    "acct-revoked-verified": (AccountStatus.REVOKED, Revocation.VERIFIED, ""),
    "acct-revoked-unconfirmed": (AccountStatus.REVOKED, Revocation.UNCONFIRMED, ""),
    "acct-pending": (AccountStatus.REVOCATION_PENDING, Revocation.UNCONFIRMED, ""),
}

#: Fields whose meaning did not change from schema 1 to 2: kept exactly.
UNCHANGED = (
    "provider",
    "issuer",
    "subject",
    "display_name",
    "requested_scopes",
    "granted_scopes",
    "expires_at",
    "has_refresh_token",
    "connected_at",
    "previous_granted_scopes",
    "refreshed_at",
    "last_refresh",
    "api_urls",
    "last_data",
)


def test_every_account_keeps_every_field(migrated: config_file.Config) -> None:
    old = _v1()
    assert sorted(a.id for a in migrated.accounts) == sorted(old)
    for record in migrated.accounts:
        before = old[record.id]
        for name in UNCHANGED:
            value = getattr(record, name)
            expected = before[name]
            if isinstance(value, tuple):
                value = list(value)
            assert value == expected, (record.id, name)
        status, revocation, note = EXPECTED[record.id]
        assert (record.status, record.revocation, record.status_note) == (
            status,
            revocation,
            note,
        ), record.id
        assert record.revoked_at is None  # schema 1 did not keep it; none is made up
    [provider] = migrated.providers
    assert (provider.name, provider.issuer, provider.client_id) == (
        "Example",
        "https://id.example.test",
        "desktop-app",
    )


def test_the_migrated_file_is_saved_as_schema_3_and_reads_back_the_same(
    migrated: config_file.Config, tmp_path: Path
) -> None:
    path = tmp_path / "again.json"
    config_file.save(path, migrated)
    assert json.loads(path.read_text())["schema"] == config_file.SCHEMA_VERSION == 3
    again = config_file.load(path)
    assert again.accounts == migrated.accounts
    assert [a.last_data for a in again.accounts] == [a.last_data for a in migrated.accounts]


def test_the_migrated_states_are_what_schema_1_meant(migrated: config_file.Config) -> None:
    states = {r.id: describe(r, 1767001000.0).state for r in migrated.accounts}
    assert states == {
        "acct-connected": AccountState.CONNECTED,
        "acct-expired": AccountState.EXPIRED,
        "acct-needs-signin": AccountState.NEEDS_SIGN_IN,
        "acct-revoked-verified": AccountState.REVOKED,
        "acct-revoked-unconfirmed": AccountState.REVOKED,
        "acct-pending": AccountState.REVOCATION_PENDING,
    }


def test_the_pending_revocation_of_a_schema_1_file_is_still_retried(tmp_path: Path) -> None:
    revoked: list[str] = []

    def answer(request: Received) -> Answer:
        if request.path == "/revoke":
            revoked.extend(parse_qs(request.body.decode())["token"])
            return Answer(200, b"")
        if request.path == "/userinfo":
            return Answer(401, b"")  # the proof afterwards: refused
        return Answer(404, b"")

    with scripted_server(answer) as server:
        url = server.url
        profile = Profile(home=tmp_path, keyring_service=f"test:{uuid.uuid4().hex}")
        profile.config_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SAVED, profile.config_path)
        sandbox = ProviderConfig(
            name="sandbox",
            issuer=url,
            client_id="app",
            endpoints=Endpoints(
                authorization=url + "/auth",
                token=url + "/token",
                revocation=url + "/revoke",
                userinfo=url + "/userinfo",
            ),
        )
        store = TokenStore(profile.keyring_service, FlakyKeyring())
        # What schema 1 kept in the keyring for a pending revocation (its own entry).
        store.save(
            "acct-pending-pending-revocation",
            TokenSet(access_token="at-old", refresh_token="rt-old"),
        )
        service = AccountService(
            profile,
            store=store,
            session=requests.Session(),
            local_providers=[LocalProvider("sandbox", lambda: sandbox)],
        )
        service.load()
        [outcome] = service.retry_revocations()
    assert outcome.account.id == "acct-pending"
    assert outcome.provider_confirmed and outcome.verified
    assert outcome.account.status is AccountStatus.REVOKED
    assert outcome.account.revocation is Revocation.VERIFIED
    assert revoked == ["rt-old", "at-old"]
    assert store.load("acct-pending-pending-revocation") is None


def test_the_schema_2_file_of_the_last_release_holds_what_the_schema_1_file_meant() -> None:
    v1 = config_file.load(SAVED)
    v2 = config_file.load(SAVED_V2)
    assert json.loads(SAVED_V2.read_text())["schema"] == 2
    assert (v2.accounts, v2.providers) == (v1.accounts, v1.providers)


def test_a_migrated_file_keeps_its_history_across_a_restart(tmp_path: Path) -> None:
    """History survives a config migration and a restart (a new service on the file)."""
    profile = Profile(home=tmp_path, keyring_service=f"test:{uuid.uuid4().hex}")
    profile.config_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(SAVED_V2, profile.config_path)
    store = TokenStore(profile.keyring_service, FlakyKeyring())
    service = AccountService(profile, store=store, session=requests.Session())
    service.load()
    service.remove("acct-expired")  # no tokens held: nothing to revoke, only forgotten
    assert [e.kind for e in service.history("acct-expired").entries] == [HistoryKind.REMOVED]
    assert json.loads(profile.config_path.read_text())["schema"] == 3

    restarted = AccountService(profile, store=store, session=requests.Session())
    restarted.load()
    kept = restarted.history_for("bob@sandbox.test")  # removed: named by what it kept
    assert kept.account_id == "acct-expired"
    assert [e.kind for e in kept.entries] == [HistoryKind.REMOVED]
    assert sorted(a.id for a in restarted.config.accounts) == sorted(set(_v1()) - {"acct-expired"})
