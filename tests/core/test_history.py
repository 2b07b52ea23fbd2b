"""The per-account history: its entries, its bounds, its place in the settings file, and
the events the account service records (against the real sandbox on 127.0.0.1)."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from desktop_oauth.core import config as config_file
from desktop_oauth.core import history
from desktop_oauth.core.accounts import AccountService
from desktop_oauth.core.config import AccountRecord, Config
from desktop_oauth.core.errors import InvalidGrantError, TokenError
from desktop_oauth.core.history import HistoryEntry, HistoryKind, RevokeResult
from desktop_oauth.core.lookup import UnknownAccountError
from desktop_oauth.core.tokens import TokenSet
from desktop_oauth.sandbox import SandboxServer
from tests.sandbox.helpers import Browser

from .scripted_server import Answer, Received, scripted_server
from .test_accounts import connect
from .test_revocation_retry import connected_service

ACCOUNT = AccountRecord(
    id="acct-1",
    provider="Example",
    issuer="https://id.example.test",
    subject="s-1",
    display_name="ada@example.test",
    granted_scopes=("openid",),
)
T0 = 1_767_000_000.0


# -- entries -----------------------------------------------------------------------------
def test_an_entry_carries_its_local_time_with_the_zone() -> None:
    entry = history.refreshed(T0)
    assert entry.at.tzinfo is not None
    assert entry.at.timestamp() == T0
    assert entry.at.utcoffset() == datetime.fromtimestamp(T0).astimezone().utcoffset()
    with pytest.raises(ValueError, match="time zone"):
        HistoryEntry(HistoryKind.REFRESHED, datetime(2026, 12, 4, 7, 0))


def test_a_sign_in_is_connected_scopes_changed_or_signed_in_again() -> None:
    first = history.after_sign_in(T0, None, ("openid", "email"))
    assert (first.kind, first.scopes) == (HistoryKind.CONNECTED, ("openid", "email"))
    changed = history.after_sign_in(T0, ("openid", "email"), ("openid", "notes.read"))
    assert changed.kind is HistoryKind.SCOPES_CHANGED
    assert (changed.added, changed.removed) == (("notes.read",), ("email",))
    assert changed.detail == "added: notes.read; removed: email"
    same = history.after_sign_in(T0, ("openid", "email"), ("email", "openid"))
    assert same.kind is HistoryKind.SIGNED_IN_AGAIN


def test_a_reason_is_one_short_line_without_secrets() -> None:
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln"
    entry = history.refresh_failed(T0, f"bad\nanswer refresh_token=rt-SECRET {jwt} " + "x" * 500)
    assert "\n" not in entry.reason
    assert "rt-SECRET" not in entry.reason and jwt not in entry.reason
    assert len(entry.reason) == history.MAX_REASON


def test_every_kind_reads_back_from_the_file(tmp_path: Path) -> None:
    offset = timezone(timedelta(hours=5, minutes=30))
    entries = [
        history.connected(T0, ("openid",)),
        history.after_sign_in(T0 + 1, ("openid",), ("openid", "email")),
        history.refreshed(T0 + 2),
        history.refresh_failed(T0 + 3, "The provider could not be reached."),
        history.after_sign_in(T0 + 4, ("openid", "email"), ("openid", "email")),
        history.revoked(T0 + 5, RevokeResult.VERIFIED),
        HistoryEntry(HistoryKind.REMOVED, datetime.fromtimestamp(T0 + 6, tz=offset)),
    ]
    config = Config(accounts=(ACCOUNT,))
    for entry in entries:
        config = config.with_event(ACCOUNT.id, entry)
    path = tmp_path / "config.json"
    config_file.save(path, config)
    again = config_file.load(path)
    assert again.recovered_from is None
    assert again.history_of(ACCOUNT.id).entries == tuple(entries)
    assert [e.kind for e in again.history_of(ACCOUNT.id).entries] == list(HistoryKind)
    kept = again.history_of(ACCOUNT.id)
    assert (kept.name, kept.provider, kept.subject) == ("ada@example.test", "Example", "s-1")
    assert again.history_of(ACCOUNT.id).entries[-1].at.utcoffset() == timedelta(hours=5.5)


# -- bounds ------------------------------------------------------------------------------
def event(n: int) -> HistoryEntry:
    """Event ``n`` of a run in which no two in a row are the same."""
    if n % 2:
        return history.refresh_failed(T0 + n, "The provider could not be reached.")
    return history.refreshed(T0 + n)


def test_ten_thousand_events_keep_the_last_hundred(tmp_path: Path) -> None:
    config = Config(accounts=(ACCOUNT,))
    for n in range(10_000):
        config = config.with_event(ACCOUNT.id, event(n))
    entries = config.history_of(ACCOUNT.id).entries
    assert len(entries) == history.MAX_ENTRIES == 100
    assert entries[0].at.timestamp() == T0 + 9_900  # the oldest were dropped
    assert entries[-1].at.timestamp() == T0 + 9_999
    path = tmp_path / "config.json"
    config_file.save(path, config)
    assert config_file.load(path).history_of(ACCOUNT.id).entries == entries
    assert path.stat().st_size < 30_000


def test_repeats_in_a_row_are_one_entry_that_counts_them(tmp_path: Path) -> None:
    config = Config(accounts=(ACCOUNT,)).with_event(ACCOUNT.id, history.connected(T0, ()))
    for n in range(1, 4):
        config = config.with_event(ACCOUNT.id, history.refreshed(T0 + n))
    for n in range(4, 6):
        config = config.with_event(ACCOUNT.id, history.refresh_failed(T0 + n, "unreachable"))
    config = config.with_event(ACCOUNT.id, history.refresh_failed(T0 + 6, "refused"))
    config = config.with_event(ACCOUNT.id, history.refreshed(T0 + 7))
    entries = config.history_of(ACCOUNT.id).entries
    assert [(e.kind.label, e.count, e.at.timestamp()) for e in entries] == [
        ("connected", 1, T0),
        ("refreshed", 3, T0 + 3),
        ("refresh failed", 2, T0 + 5),
        ("refresh failed", 1, T0 + 6),  # another reason: another entry
        ("refreshed", 1, T0 + 7),
    ]
    assert entries[1].since == history.local_time(T0 + 1)
    assert entries[1].detail.startswith("3 times in a row since ")
    assert entries[1].to_json()["count"] == 3
    assert entries[4].to_json()["since"] is None
    path = tmp_path / "config.json"
    config_file.save(path, config)
    assert config_file.load(path).history_of(ACCOUNT.id).entries == entries
    # Connections are never folded together: each is an event of its own.
    twice = config.with_event(ACCOUNT.id, history.connected(T0 + 8, ("openid",)))
    twice = twice.with_event(ACCOUNT.id, history.connected(T0 + 9, ("openid",)))
    assert [e.count for e in twice.history_of(ACCOUNT.id).entries[-2:]] == [1, 1]


def test_a_longer_history_in_the_file_is_cut_to_the_bound(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    config_file.save(path, Config(accounts=(ACCOUNT,)))
    data = json.loads(path.read_text())
    data["history"] = {
        ACCOUNT.id: {
            "entries": [
                {"kind": "refreshed", "time": history.local_time(T0 + n).isoformat()}
                for n in range(250)
            ]
        }
    }
    path.write_text(json.dumps(data))
    entries = config_file.load(path).history_of(ACCOUNT.id).entries
    assert len(entries) == 100 and entries[-1].at.timestamp() == T0 + 249


def test_removed_accounts_keep_their_history_within_a_bound() -> None:
    config = Config(accounts=(ACCOUNT,))
    for n in range(history.MAX_FORGOTTEN + 10):
        config = config.with_event(f"acct-gone-{n}", history.removed(T0 + n))
    config = config.with_event(ACCOUNT.id, history.refreshed(T0))
    ids = [h.account_id for h in config.history]
    assert len(ids) == history.MAX_FORGOTTEN + 1
    assert "acct-gone-0" not in ids and "acct-gone-10" in ids  # the stalest went first
    assert ACCOUNT.id in ids  # a configured account's history is never dropped


# -- the settings file -------------------------------------------------------------------
@pytest.mark.parametrize(
    "damage",
    [
        "not a map",
        {"acct-1": "not an object"},
        {"acct-1": {"entries": "not a list"}},
        {"acct-1": {"entries": [{"kind": "exploded", "time": "2026-12-04T07:00:00+00:00"}]}},
        {"acct-1": {"entries": [{"kind": "refreshed", "time": "2026-12-04T07:00:00"}]}},
        {"acct-1": {"entries": [{"kind": "refreshed", "time": 5}]}},
        {"acct-1": {"entries": [{"kind": "revoked", "time": "yesterday"}]}},
        {"acct-1": {"entries": [{"kind": "connected", "time": "x", "scopes": "openid"}]}},
    ],
)
def test_an_unreadable_history_never_costs_the_accounts(tmp_path: Path, damage: object) -> None:
    path = tmp_path / "config.json"
    good = Config(accounts=(ACCOUNT,)).with_event(ACCOUNT.id, history.refreshed(T0))
    config_file.save(path, good)
    data = json.loads(path.read_text())
    if isinstance(damage, dict):
        # The damaged entries come after a readable one, which stays.
        raw = damage.get("acct-1")
        kept = data["history"]["acct-1"]
        if isinstance(raw, dict) and isinstance(raw.get("entries"), list):
            kept["entries"] += raw["entries"]
        else:
            data["history"] = damage
    else:
        data["history"] = damage
    path.write_text(json.dumps(data))
    loaded = config_file.load(path)
    assert loaded.recovered_from is None
    assert loaded.accounts == (ACCOUNT,)
    assert all(e.kind is HistoryKind.REFRESHED for e in loaded.history_of(ACCOUNT.id).entries)


def test_a_schema_2_file_loads_with_an_empty_history(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    config_file.save(path, Config(accounts=(ACCOUNT,)))
    data = json.loads(path.read_text())
    del data["history"]
    data["schema"] = 2
    path.write_text(json.dumps(data))
    loaded = config_file.load(path)
    assert loaded.recovered_from is None
    assert loaded.accounts == (ACCOUNT,)
    assert loaded.history == ()


def test_a_removed_account_is_found_by_its_kept_names() -> None:
    config = Config(accounts=(ACCOUNT,)).with_event(ACCOUNT.id, history.removed(T0))
    config = config.without_account(ACCOUNT.id)
    for query in ("acct-1", "Example:s-1", "ADA@example.test", "s-1"):
        [found] = history.find_histories(config.history, query)
        assert found.account_id == ACCOUNT.id
    assert history.find_histories(config.history, "bob") == []


# -- what the account service records ----------------------------------------------------
def test_the_service_records_each_event_where_it_happens(
    service: AccountService, sandbox: SandboxServer
) -> None:
    browser = Browser(sandbox.issuer)
    first = connect(service, browser, ("openid", "email", "offline_access"))
    account = first.record.id
    connect(service, browser, ("openid", "profile", "offline_access"))
    service.refresh(account)
    tokens = service.store.load(account)
    assert tokens is not None
    service.store.save(account, TokenSet(tokens.access_token, refresh_token="rt-not-issued"))
    with pytest.raises(InvalidGrantError):
        service.refresh(account)
    connect(service, browser, ("openid", "profile", "offline_access"))
    service.revoke(account)
    service.remove(account)

    kept = service.history_for("ada")  # removed, still named by its display name
    kinds = [e.kind for e in kept.entries]
    assert kinds == [
        HistoryKind.CONNECTED,
        HistoryKind.SCOPES_CHANGED,
        HistoryKind.REFRESHED,
        HistoryKind.REFRESH_FAILED,
        HistoryKind.SIGNED_IN_AGAIN,
        HistoryKind.REVOKED,
        HistoryKind.REMOVED,
    ]
    connected, changed, _, failed, again, revoked, _ = kept.entries
    assert set(connected.scopes) == {"openid", "email", "offline_access"}
    assert (changed.added, changed.removed) == (("profile",), ("email",))
    assert "invalid_grant" in failed.reason
    assert set(again.scopes) == {"openid", "profile", "offline_access"}
    assert revoked.revocation is RevokeResult.VERIFIED
    times = [e.at for e in kept.entries]
    assert times == sorted(times) and all(t.tzinfo is not None for t in times)
    # Read back from the file by a new service, with no account left to name it by.
    again_service = AccountService(service.profile, store=service.store)
    again_service.load()
    assert again_service.config.accounts == ()
    assert again_service.history_for(account).entries == kept.entries
    text = service.profile.config_path.read_text()
    for secret in (tokens.access_token, tokens.refresh_token, "rt-not-issued"):
        assert secret and secret not in text


def test_an_unknown_name_is_an_unknown_account(service: AccountService) -> None:
    service.load()
    with pytest.raises(UnknownAccountError, match="connected or removed"):
        service.history_for("nobody")


def test_a_history_time_is_timezone_aware_even_in_utc() -> None:
    entry = HistoryEntry(HistoryKind.REFRESHED, datetime.fromtimestamp(T0, tz=UTC))
    assert entry.local_time.endswith(datetime.fromtimestamp(T0).astimezone().strftime("%Z"))


def test_a_revocation_that_waits_for_the_provider_is_noted_once_then_verified(
    tmp_path: Path,
) -> None:
    up = {"now": False}

    def answer(request: Received) -> Answer:
        if request.path == "/revoke":
            return Answer(200, b"") if up["now"] else Answer(503, b"busy", {})
        if request.path == "/userinfo":
            return Answer(401, b"") if up["now"] else Answer.json({"sub": "u1"})
        return Answer(404, b"")

    with scripted_server(answer) as server:
        service, account_id, _ = connected_service(tmp_path, server.url)
        service.revoke(account_id)
        for _ in range(3):
            service.retry_revocations()  # still down: nothing more to say
        up["now"] = True
        service.retry_revocations()
    entries = service.history(account_id).entries
    assert [(e.kind, e.revocation) for e in entries] == [
        (HistoryKind.CONNECTED, None),
        (HistoryKind.REVOKED, RevokeResult.PENDING),
        (HistoryKind.REVOKED, RevokeResult.VERIFIED),
    ]
    assert "as soon as it can be reached" in entries[1].reason
    assert entries[2].reason == ""


def test_a_token_still_valid_is_no_refresh_and_a_provider_removed_forgets_its_accounts(
    tmp_path: Path,
) -> None:
    with scripted_server(lambda request: Answer(404, b"")) as server:
        service, account_id, _ = connected_service(tmp_path, server.url)
        tokens = service.store.load(account_id)
        assert tokens is not None
        service.store.save(account_id, replace(tokens, expires_at=time.time() + 3600))
        service.usable_tokens(account_id, min_seconds=60.0)  # valid: nothing asked
        service.refresh(account_id, unless_valid_for=60.0)
        with pytest.raises(TokenError):
            service.refresh(account_id)  # the token endpoint answers 404
        service.remove_provider("down")
    assert service.config.accounts == ()
    entries = service.history(account_id).entries
    assert [e.kind for e in entries] == [
        HistoryKind.CONNECTED,
        HistoryKind.REFRESH_FAILED,
        HistoryKind.REMOVED,
    ]
    assert entries[2].reason == "forgotten with its provider; not revoked there"
    assert service.history(account_id).name == "u1"  # the names outlive the account
