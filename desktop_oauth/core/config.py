"""Non-secret metadata: providers and accounts, in one JSON file per profile.

The file holds no token and no client secret. It is written atomically (a
temporary file in the same folder, fsync, rename), so a crash mid-write leaves
either the old or the new file. A file that cannot be read is moved aside and
the app starts from defaults, telling the person where the old file went.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from .errors import ConfigurationError
from .files import remove_stale_temporaries, write_atomically
from .history import AccountHistory, HistoryEntry, with_entry
from .history_file import histories_from_json, histories_to_json
from .provider import Endpoints, ProviderConfig

#: 2: the status is one of :class:`AccountStatus` and a revocation's outcome is
#: :class:`Revocation`; files of schema 1 are migrated on load (:func:`_migrate_v1`).
#: 3: a top-level ``history`` object keeps each account's events by account id
#: (:mod:`.history`); files of schema 2 are read with an empty history.
SCHEMA_VERSION = 3


class AccountStatus(StrEnum):
    """An account's status, as stored. What the window and the command line show is
    derived from it, the tokens and the clock (:func:`desktop_oauth.core.account_state.describe`).
    """

    CONNECTED = "connected"
    NEEDS_SIGN_IN = "needs_sign_in"
    REVOKED = "revoked"
    #: Revoked here; the provider could not be told yet and is told when it can be
    #: reached (the tokens to revoke wait in the keyring).
    REVOCATION_PENDING = "revocation_pending"


class Revocation(StrEnum):
    """What is known about a revocation at the provider (RFC 7009)."""

    #: The provider was asked afterwards and no longer honours the tokens.
    VERIFIED = "verified"
    #: The provider accepted the request, but whether it took could not be checked.
    CONFIRMED = "confirmed"
    #: The provider did not confirm: the tokens were only forgotten here.
    UNCONFIRMED = "unconfirmed"


#: Schema 1's status note of a revoked account whose provider had not been told yet:
#: read only to migrate such a file (the status is :attr:`AccountStatus.REVOCATION_PENDING` now).
PENDING_REVOCATION = "revoked here; the provider will be told when it can be reached"


@dataclass(frozen=True)
class AccountRecord:
    """What the app remembers about a connected account, apart from its tokens.

    Attributes:
        status: The stored status (:class:`AccountStatus`).
        status_note: Words that go with the status (why it needs signing in again).
        revocation: For a revoked account, what the provider said (:class:`Revocation`).
        revoked_at: When it was revoked here (None: not revoked, or before schema 2).
        superseded: Keyring entries holding tokens that a re-consent replaced, still to
            be revoked at the provider (never the tokens themselves: names only).
        previous_granted_scopes: What the consent before the last one granted,
            so the window can show what changed.
        refreshed_at: When the current access token was obtained.
        last_refresh: When the last refresh ran and how it went, in words.
        last_data: The last answer of the provider's API, kept (marked stale)
            when the account needs signing in again.
    """

    id: str
    provider: str
    issuer: str
    subject: str
    display_name: str
    requested_scopes: tuple[str, ...] = ()
    granted_scopes: tuple[str, ...] = ()
    expires_at: float | None = None
    has_refresh_token: bool = False
    connected_at: float = 0.0
    status: AccountStatus = AccountStatus.CONNECTED
    status_note: str = ""
    revocation: Revocation | None = None
    revoked_at: float | None = None
    superseded: tuple[str, ...] = ()
    previous_granted_scopes: tuple[str, ...] | None = None
    refreshed_at: float = 0.0
    last_refresh: str = ""
    api_urls: tuple[str, ...] = ()
    last_data: dict[str, Any] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Config:
    """Everything in ``config.json``."""

    providers: tuple[ProviderConfig, ...] = ()
    accounts: tuple[AccountRecord, ...] = ()
    #: What happened to each account, removed ones included (:mod:`.history`).
    history: tuple[AccountHistory, ...] = field(default=(), repr=False)
    #: Set when the file on disk was unreadable and moved aside.
    recovered_from: Path | None = field(default=None, compare=False)

    def provider(self, name: str) -> ProviderConfig:
        """The provider called ``name``."""
        for provider in self.providers:
            if provider.name == name:
                return provider
        raise ConfigurationError(f"There is no provider called {name!r}.")

    def with_account(self, record: AccountRecord) -> Config:
        """A copy where ``record`` replaces the account with the same id, or is added."""
        others = tuple(a for a in self.accounts if a.id != record.id)
        return replace(self, accounts=(*others, record))

    def without_account(self, account_id: str) -> Config:
        """A copy without the account ``account_id``."""
        return replace(self, accounts=tuple(a for a in self.accounts if a.id != account_id))

    def with_event(
        self, account_id: str, entry: HistoryEntry, *, known_as: AccountRecord | None = None
    ) -> Config:
        """A copy with ``entry`` added to the history of ``account_id`` (bounded: see
        :mod:`.history`), under the names the account has now if it is configured, or
        those of ``known_as`` (the record of an account just removed)."""
        record = next((a for a in self.accounts if a.id == account_id), known_as)
        names = AccountHistory(account_id)
        if record is not None:
            names = AccountHistory(account_id, record.display_name, record.provider, record.subject)
        history = with_entry(self.history, names, entry, current=(a.id for a in self.accounts))
        return replace(self, history=history)

    def history_of(self, account_id: str) -> AccountHistory:
        """The history of ``account_id`` (empty when nothing was recorded)."""
        found = next((h for h in self.history if h.account_id == account_id), None)
        return found if found is not None else AccountHistory(account_id)

    def with_provider(self, provider: ProviderConfig) -> Config:
        """A copy where ``provider`` replaces the one with the same name, or is added."""
        others = tuple(p for p in self.providers if p.name != provider.name)
        return replace(self, providers=(*others, provider))


def load(path: Path) -> Config:
    """Read the config file; a missing file gives an empty config.

    An unreadable file (not UTF-8, not JSON, wrong types, a newer schema) is
    renamed to ``config.json.unreadable-<time>`` and an empty config returned
    with ``recovered_from`` set, so nothing is silently overwritten.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Config()
    except OSError as exc:
        raise ConfigurationError(
            f"The settings file {path} could not be read ({exc.strerror})."
        ) from None
    try:
        return _parse(json.loads(raw.decode("utf-8")))
    except (ValueError, TypeError, KeyError, AttributeError):
        backup = path.with_name(f"{path.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}")
        with contextlib.suppress(OSError):
            path.replace(backup)
        return Config(recovered_from=backup)


def save(path: Path, config: Config) -> None:
    """Write ``config`` atomically (temporary file, fsync, rename)."""
    data = {
        "schema": SCHEMA_VERSION,
        "providers": [_provider_to_json(p) for p in config.providers],
        "accounts": [asdict(a) for a in config.accounts],
        "history": histories_to_json(config.history),
    }
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path)
        write_atomically(path, text.encode("utf-8"))
    except OSError as exc:
        raise ConfigurationError(
            f"The settings could not be saved to {path.parent} ({exc.strerror}). "
            "Your previous settings are unchanged."
        ) from None


def _parse(data: Any) -> Config:
    if isinstance(data, dict) and data.get("schema") == 1:
        data = _migrate_v1(data)
    if isinstance(data, dict) and data.get("schema") == 2:
        data = _migrate_v2(data)
    if not isinstance(data, dict) or data.get("schema") != SCHEMA_VERSION:
        raise ValueError("unknown schema")
    providers = tuple(_provider_from_json(p) for p in data.get("providers", []))
    accounts = tuple(_account_from_json(a) for a in data.get("accounts", []))
    # Read leniently: an unreadable entry is dropped, never the accounts with it.
    history = histories_from_json(data.get("history"), current=(a.id for a in accounts))
    return Config(providers=providers, accounts=accounts, history=history)


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError("expected a list of strings")
    return tuple(value)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


#: The fields of Endpoints that are lists of strings.
_ENDPOINT_LISTS = (
    "code_challenge_methods",
    "token_auth_methods",
    "revocation_auth_methods",
    "introspection_auth_methods",
    "scopes_supported",
)


def _provider_to_json(provider: ProviderConfig) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": provider.name,
        "issuer": provider.issuer,
        "client_id": provider.client_id,
        "scopes": list(provider.scopes),
        "redirect_port": provider.redirect_port,
        "has_client_secret": provider.has_client_secret,
    }
    if provider.preset is not None:
        data["preset"] = provider.preset
    if provider.api_urls:
        data["api_urls"] = list(provider.api_urls)
    if provider.redirect_uri is not None:
        data["redirect_uri"] = provider.redirect_uri
    if provider.endpoint_overrides:
        data["endpoint_overrides"] = dict(provider.endpoint_overrides)
    if provider.endpoints is not None:
        endpoints = asdict(provider.endpoints)
        for key in _ENDPOINT_LISTS:
            endpoints[key] = list(endpoints[key])
        data["endpoints"] = endpoints
    return data


def _provider_from_json(data: dict[str, Any]) -> ProviderConfig:
    endpoints = None
    if data.get("endpoints") is not None:
        raw = dict(data["endpoints"])
        for key in _ENDPOINT_LISTS:
            raw[key] = _strings(raw.get(key, []))
        endpoints = Endpoints(**raw)
    port = data.get("redirect_port", 0)
    if not isinstance(port, int) or not 0 <= port <= 65535:
        raise TypeError("bad port")
    return ProviderConfig(
        name=_text(data["name"]),
        issuer=_text(data["issuer"]),
        client_id=_text(data["client_id"]),
        scopes=_strings(data.get("scopes", ["openid"])),
        endpoints=endpoints,
        redirect_port=port,
        has_client_secret=bool(data.get("has_client_secret", False)),
        preset=None if data.get("preset") is None else _text(data["preset"]),
        api_urls=_strings(data.get("api_urls", [])),
        redirect_uri=None if data.get("redirect_uri") is None else _text(data["redirect_uri"]),
        endpoint_overrides=_overrides(data.get("endpoint_overrides", {})),
    )


def _overrides(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict) or not set(value) <= set(Endpoints.OVERRIDABLE):
        raise TypeError("bad endpoint overrides")
    return tuple((name, _text(url)) for name, url in sorted(value.items()))


def _account_from_json(data: dict[str, Any]) -> AccountRecord:
    expires_at = data.get("expires_at")
    if expires_at is not None and not isinstance(expires_at, int | float):
        raise TypeError("bad expiry")
    status = AccountStatus(data.get("status", AccountStatus.CONNECTED))
    revocation = None if data.get("revocation") is None else Revocation(data["revocation"])
    revoked_at = data.get("revoked_at")
    if revoked_at is not None and not isinstance(revoked_at, int | float):
        raise TypeError("bad revocation time")
    previous = data.get("previous_granted_scopes")
    last_data = data.get("last_data")
    if last_data is not None and not isinstance(last_data, dict):
        raise TypeError("bad data")
    return AccountRecord(
        id=_text(data["id"]),
        provider=_text(data["provider"]),
        issuer=_text(data["issuer"]),
        subject=_text(data["subject"]),
        display_name=_text(data["display_name"]),
        requested_scopes=_strings(data.get("requested_scopes", [])),
        granted_scopes=_strings(data.get("granted_scopes", [])),
        expires_at=expires_at,
        has_refresh_token=bool(data.get("has_refresh_token", False)),
        connected_at=float(data.get("connected_at", 0.0)),
        status=status,
        status_note=_text(data.get("status_note", "")),
        revocation=revocation,
        revoked_at=revoked_at,
        superseded=_strings(data.get("superseded", [])),
        previous_granted_scopes=None if previous is None else _strings(previous),
        refreshed_at=float(data.get("refreshed_at", 0.0)),
        last_refresh=_text(data.get("last_refresh", "")),
        api_urls=_strings(data.get("api_urls", [])),
        last_data=last_data,
    )


_V1_REVOKED_NOTES = (
    PENDING_REVOCATION,
    "revoked (verified)",
    "revoked locally; the provider did not confirm",
    "revoked",
)


def _migrate_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 to 2: the status and the revocation's outcome were words.

    ``needs_signin`` becomes :attr:`AccountStatus.NEEDS_SIGN_IN`; a revoked account
    whose note was the pending sentence becomes :attr:`AccountStatus.REVOCATION_PENDING`
    (still retried), "revoked (verified)" becomes :attr:`Revocation.VERIFIED`, any
    other revoked account :attr:`Revocation.UNCONFIRMED`. Every other field is kept.
    """
    accounts = []
    for raw in data.get("accounts", []):
        account = dict(raw)
        status, note = account.get("status", "connected"), account.get("status_note", "")
        if status == "needs_signin":
            account["status"] = AccountStatus.NEEDS_SIGN_IN.value
        elif status == "revoked":
            if note == PENDING_REVOCATION:
                account["status"] = AccountStatus.REVOCATION_PENDING.value
                account["revocation"] = Revocation.UNCONFIRMED.value
            else:
                verified = note == "revoked (verified)"
                account["revocation"] = (
                    Revocation.VERIFIED if verified else Revocation.UNCONFIRMED
                ).value
            if note in _V1_REVOKED_NOTES:
                account["status_note"] = ""  # said by the status and revocation now
        accounts.append(account)
    return {**data, "schema": 2, "accounts": accounts}


def _migrate_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Schema 2 to 3: the history begins empty. Schema 2 kept no events, and none is
    made up from the times it did keep (``connected_at`` is the last sign-in's)."""
    return {**data, "schema": 3, "history": {}}
