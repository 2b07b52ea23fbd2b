"""The accounts of one profile as the config file and the keyring hold them.

:class:`AccountRecords` is the bottom layer of :class:`~desktop_oauth.core.accounts.AccountService`:
it owns the loaded configuration, the token store and the HTTP session, and the
small read-modify-write helpers every other layer uses.

The accounts package loads the HTTP stack (requests, urllib3, ssl, oauthlib,
http.server) only when a provider is first called: each layer imports what makes
a call inside the method that makes it, so reading and describing the accounts
costs none of its memory (docs/performance.md, "Memory").
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from .. import config as config_file
from .. import flow_log
from ..config import AccountRecord, AccountStatus, Config, Revocation
from ..errors import (
    ConfigurationError,
    DesktopOAuthError,
    TokenError,
    TokenStoreError,
)
from ..files import remove_stale_temporaries, temporaries_of
from ..flow_log import FlowLog, Operation, OperationRecorder
from ..locks import profile_lock
from ..profile import Profile
from ..provider import ProviderConfig
from ..token_store import TokenStore
from ..tokens import TokenSet, id_token_claims

if TYPE_CHECKING:
    import requests

    from ..api import ApiResult


class RefreshOutcome(StrEnum):
    """How the last refresh (RFC 6749 §6) went, as ``last_refresh`` says it."""

    OK = "ok"
    #: The provider could not be reached or answered an error: retried later.
    FAILED = "failed"
    #: The provider ended the grant or answered about another person: sign in again.
    REFUSED = "refused"


@dataclass(frozen=True)
class LocalProvider:
    """A provider that runs inside the app (the built-in sandbox).

    The core does not know what it is: ``start`` makes sure it serves and
    returns its configuration, which is then used like any other provider's.
    """

    name: str
    start: Callable[[], ProviderConfig]
    #: Shown before it is started (client id, scopes), and short names for it.
    client_id: str = ""
    scopes: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccountView:
    """One account as the window shows it."""

    record: AccountRecord
    tokens: TokenSet | None = field(default=None, repr=False)
    claims: dict[str, Any] = field(default_factory=dict, repr=False)
    userinfo: ApiResult | None = field(default=None, repr=False)
    #: A warning to show beside the account (session-only storage, for example).
    notice: str = ""


class AccountRecords:
    """The loaded configuration, the token store and the helpers that change them.

    Args:
        profile: Where config and keyring namespace come from.
        store: The token store; by default the keyring of this profile.
        session: The HTTP session for every provider call; by default one made
            when the first call needs it (:attr:`session`).
        clock: Wall-clock seconds, for expiry.
        local_providers: Providers the app runs itself, listed first.
        flow_log: Where each operation's steps and HTTP exchanges are recorded
            (the window and the command line pass the one they listen to).
    """

    def __init__(
        self,
        profile: Profile,
        *,
        store: TokenStore | None = None,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        local_providers: Sequence[LocalProvider] = (),
        flow_log: FlowLog | None = None,
    ) -> None:
        self.profile = profile
        self.flow_log = flow_log if flow_log is not None else FlowLog()
        self.store = store if store is not None else TokenStore(profile.keyring_service)
        self._session = session
        self._session_lock = threading.Lock()
        self._clock = clock
        self._lock = threading.RLock()
        self._config = Config()
        self._resolved: dict[str, ProviderConfig] = {}
        self._local: Mapping[str, LocalProvider] = {p.name: p for p in local_providers}

    @property
    def session(self) -> requests.Session:
        """The HTTP session for every provider call: the one passed in, or else a
        :func:`~desktop_oauth.core.http.new_session` made on first use, which loads
        the HTTP stack (on the caller's thread: a worker, never the GUI thread)."""
        with self._session_lock:  # not self._lock: reading the config does not wait
            if self._session is None:
                from ..http import new_session

                self._session = new_session()
            return self._session

    def load(self) -> Config:
        """Read ``config.json`` (file I/O: call off the GUI thread), after removing
        what earlier writes killed midway left behind."""
        with self._lock:
            self._sweep_temporaries()
            loaded = config_file.load(self.profile.config_path)
            if loaded.recovered_from is not None:
                # Write what this process knows (nothing at start; the accounts
                # on screen when the file is read again) so the damaged file is
                # not read again and a reload forgets nothing.
                loaded = replace(self._config, recovered_from=loaded.recovered_from)
                config_file.save(self.profile.config_path, loaded)
            self._config = loaded
            return self.config

    def _sweep_temporaries(self) -> None:
        """Remove the temporary files of config writes whose process was killed.

        Two conditions, both needed: the profile's config lock is held, so no write
        that takes it (every :meth:`_modify`) is under way; and the file is a minute
        old, which covers a write outside the lock (the rewrite of a damaged file in
        :meth:`load`, another release of the app). A busy lock skips the sweep until
        the next start rather than making this one wait.
        """
        path = self.profile.config_path
        if not temporaries_of(path):  # the usual case: no lock file touched
            return
        with suppress(DesktopOAuthError), profile_lock(self.profile.home, "config", timeout=0):
            remove_stale_temporaries(path)

    @property
    def config(self) -> Config:
        """The configuration as last loaded or saved, built-in providers first."""
        with self._lock:
            saved = {p.name for p in self._config.providers}
            local = tuple(
                ProviderConfig(
                    name=p.name,
                    issuer="(built in; starts on first use)",
                    client_id=p.client_id,
                    scopes=p.scopes,
                )
                for p in self._local.values()
                if p.name not in saved
            )
            return replace(self._config, providers=(*local, *self._config.providers))

    def _modify(self, change: Callable[[Config], Config]) -> Config:
        """Apply ``change`` to the file as it is now on disk, under the profile's lock,
        so that a change another process saved meanwhile is not lost."""
        with self._lock, profile_lock(self.profile.home, "config"):
            current = config_file.load(self.profile.config_path)
            if current.recovered_from is not None:
                current = self._config
            new = change(current)
            config_file.save(self.profile.config_path, new)
            self._config = new
            return new

    def _mark(
        self,
        account_id: str,
        status: AccountStatus | None,
        note: str = "",
        *,
        revocation: Revocation | None = None,
        last_refresh: str | None = None,
    ) -> AccountRecord:
        """Store a new status (and what goes with it) for ``account_id``."""
        now = self._clock()

        def change(config: Config) -> Config:
            record = self._record_in(config, account_id)
            if status is not None:
                revoked = status in (AccountStatus.REVOKED, AccountStatus.REVOCATION_PENDING)
                record = replace(
                    record,
                    status=status,
                    status_note=note,
                    revocation=revocation if revoked else None,
                    # The first revocation's time stays when a pending one is retried.
                    revoked_at=(record.revoked_at or now) if revoked else None,
                )
            if last_refresh is not None:
                record = replace(record, last_refresh=last_refresh)
            return config.with_account(record)

        return self._record_in(self._modify(change), account_id)

    def _when(self, outcome: RefreshOutcome, detail: str = "") -> str:
        """The record's ``last_refresh``: when (local time with its date and zone, as
        every other time the app shows), the outcome, and what went with it."""
        when = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(self._clock()))
        return f"{when}, {outcome}: {detail}" if detail else f"{when}, {outcome}"

    @contextmanager
    def _operation(self, operation: Operation, account_id: str) -> Iterator[OperationRecorder]:
        """Record ``operation`` on ``account_id`` in the flow log; inside one already
        running on this thread (a refresh during an API call) its steps join that one."""
        running = flow_log.current()
        if running is not None:
            yield running
            return
        provider = self._record(account_id).provider
        with self.flow_log.operation(
            operation, provider=provider, account_id=account_id
        ) as recorder:
            yield recorder

    def _record(self, account_id: str) -> AccountRecord:
        with self._lock:
            return self._record_in(self._config, account_id)

    @staticmethod
    def _record_in(config: Config, account_id: str) -> AccountRecord:
        for record in config.accounts:
            if record.id == account_id:
                return record
        raise ConfigurationError("That account is not connected any more.")

    def _tokens(self, account_id: str) -> TokenSet:
        tokens = self.store.load(account_id)
        if tokens is None:
            raise TokenError("No tokens are stored for this account; connect it again.")
        return tokens

    def _stored_claims(self, record: AccountRecord) -> dict[str, Any]:
        try:
            return _claims_of(self.store.load(record.id))
        except TokenStoreError:
            return {}


def _claims_of(tokens: TokenSet | None) -> dict[str, Any]:
    try:
        return id_token_claims(tokens) if tokens is not None else {}
    except DesktopOAuthError:
        return {}


def _expires_within(tokens: TokenSet, seconds: float, now: float) -> bool:
    left = tokens.seconds_left(now)
    return left is not None and left <= seconds


def learn(tokens: TokenSet | None) -> None:
    """Tell the running operation's flow log these tokens, so each is hidden
    wherever it would appear (RFC 7009 bodies, echoes)."""
    recorder = flow_log.current()
    if recorder is not None and tokens is not None:
        recorder.secrets.add_all(
            (
                ("access token", tokens.access_token),
                ("refresh token", tokens.refresh_token),
                ("id token", tokens.id_token),
            )
        )


def pending_entry(account_id: str) -> str:
    """The keyring entry of tokens whose revocation the provider has not heard of yet."""
    return f"{account_id}-pending-revocation"


def superseded_entry(account_id: str) -> str:
    """A new keyring entry for tokens a re-consent or a refresh replaced, kept until
    the provider has been told (RFC 7009) at Revoke or Remove."""
    return f"{account_id}-superseded-{secrets.token_hex(4)}"


def only_what_revokes(tokens: TokenSet) -> TokenSet:
    """The tokens a later revocation needs, and the access token's expiry (after which
    it is dead by itself, RFC 6749 §4.2.2 expires_in), nothing more (no id_token)."""
    return TokenSet(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        token_type=tokens.token_type,
        expires_at=tokens.expires_at,
    )


def dead_by_expiry(tokens: TokenSet, now: float) -> bool:
    """Nothing left to revoke: no refresh token, and the access token has expired."""
    return tokens.refresh_token is None and _expires_within(tokens, 0.0, now)
