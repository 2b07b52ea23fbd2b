"""Accounts: connecting, refreshing, revoking, and what each one holds.

:class:`AccountService` is the single entry point the window's controller and
the command line use. It is synchronous and thread-safe; callers run it off
the GUI thread.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import keyring.errors
import requests

from . import config as config_file
from . import lookup
from .api import ApiAuthError, ApiResult, call_api
from .config import AccountRecord, Config
from .connect import ConnectAttempt, ConnectResult
from .discovery import resolve
from .errors import (
    ConfigurationError,
    DesktopOAuthError,
    InvalidGrantError,
    RevocationError,
    TokenError,
    TokenStoreError,
)
from .exchange import post_token_request, refresh_body
from .flow import id_token_claims
from .http import new_session
from .lookup import AccountStatus, find_account, names_from_claims, state_of
from .profile import Profile
from .provider import ProviderConfig
from .revoke import revoke_tokens
from .token_store import TokenStore
from .token_store import _explain as _keyring_failure
from .tokens import TokenSet

log = logging.getLogger(__name__)


def account_id_for(issuer: str, subject: str) -> str:
    """A stable id for the account (issuer, subject) that reveals neither."""
    digest = hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()
    return f"acct-{digest[:20]}"


@dataclass(frozen=True)
class AccountView:
    """One account as the window shows it."""

    record: AccountRecord
    tokens: TokenSet | None = field(default=None, repr=False)
    claims: dict[str, Any] = field(default_factory=dict, repr=False)
    userinfo: ApiResult | None = field(default=None, repr=False)
    #: A warning to show beside the account (session-only storage, for example).
    notice: str = ""


@dataclass(frozen=True)
class RevokeOutcome:
    """How a revocation went. Local tokens are deleted in every case."""

    account: AccountRecord
    provider_confirmed: bool
    message: str


class AccountService:
    """Connects, refreshes and revokes accounts of one profile.

    Args:
        profile: Where config and keyring namespace come from.
        store: The token store; by default the keyring of this profile.
        session: The HTTP session for every provider call.
        clock: Wall-clock seconds, for expiry.
    """

    def __init__(
        self,
        profile: Profile,
        *,
        store: TokenStore | None = None,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.profile = profile
        self.store = store if store is not None else TokenStore(profile.keyring_service)
        self.session = session if session is not None else new_session()
        self._clock = clock
        self._lock = threading.RLock()
        self._config = Config()
        self._resolved: dict[str, ProviderConfig] = {}

    # -- configuration ---------------------------------------------------------------
    def load(self) -> Config:
        """Read ``config.json`` (file I/O: call off the GUI thread)."""
        with self._lock:
            self._config = config_file.load(self.profile.config_path)
            if self._config.recovered_from is not None:
                # Keep the new empty file so the damaged one is not read again.
                config_file.save(self.profile.config_path, self._config)
            return self._config

    @property
    def config(self) -> Config:
        """The configuration as last loaded or saved."""
        with self._lock:
            return self._config

    def add_provider(self, provider: ProviderConfig) -> None:
        """Add or replace a provider and save."""
        with self._lock:
            self._update(self._config.with_provider(provider))
            self._resolved.pop(provider.name, None)

    def _update(self, new: Config) -> None:
        config_file.save(self.profile.config_path, new)
        self._config = new

    # -- connecting ------------------------------------------------------------------
    def resolve_provider(self, name: str) -> ProviderConfig:
        """The provider ``name`` with its endpoints (discovery on first use)."""
        with self._lock:
            cached = self._resolved.get(name)
            provider = self._config.provider(name)
        if cached is not None:
            return cached
        resolved = resolve(self.session, provider)
        with self._lock:
            self._resolved[name] = resolved
        return resolved

    def begin_connect(self, name: str, *, deadline_seconds: float = 300.0) -> ConnectAttempt:
        """Resolve the provider and hold a loopback port for a new connection."""
        return ConnectAttempt(
            self.resolve_provider(name), self.session, deadline_seconds=deadline_seconds,
            clock=self._clock,
        )

    def save_connection(self, result: ConnectResult) -> AccountView:
        """Store the tokens (keyring) and the account's metadata (config file).

        Connecting the same identity again updates its account.
        """
        provider = result.provider
        userinfo = result.userinfo.data if result.userinfo else {}
        subject = str(result.claims.get("sub") or userinfo.get("sub"))
        record = AccountRecord(
            id=account_id_for(provider.issuer, subject),
            provider=provider.name,
            issuer=provider.issuer,
            subject=subject,
            display_name=_display_name(result.claims, userinfo, subject),
            requested_scopes=result.requested_scopes,
            granted_scopes=result.tokens.granted_scopes,
            expires_at=result.tokens.expires_at,
            has_refresh_token=result.tokens.refresh_token is not None,
            connected_at=self._clock(),
        )
        notice = ""
        try:
            self.store.save(record.id, result.tokens)
        except TokenStoreError as exc:
            notice = f"{exc} The tokens are kept until the app closes."
        if not self.store.persistent:
            notice = (
                "No secure keyring is available, so tokens are kept only until the app "
                "closes. Nothing was written to disk."
            )
        with self._lock:
            self._update(self._config.with_account(record))
        return AccountView(record, result.tokens, result.claims, result.userinfo, notice)

    # -- using ------------------------------------------------------------------------
    def view(self, account_id: str) -> AccountView:
        """The account with its stored tokens (keyring read: off the GUI thread)."""
        record = self._record(account_id)
        tokens = self.store.load(account_id)
        claims = id_token_claims(tokens) if tokens else {}
        return AccountView(record, tokens, claims)

    def fetch_userinfo(self, account_id: str) -> ApiResult:
        """Call the provider's userinfo endpoint with the account's token."""
        record = self._record(account_id)
        provider = self.resolve_provider(record.provider)
        tokens = self._tokens(account_id)
        if provider.endpoints is None or not provider.endpoints.userinfo:
            raise ConfigurationError(f"{provider.name} has no userinfo endpoint.")
        return call_api(self.session, provider.endpoints.userinfo, tokens.access_token,
                        "userinfo endpoint")

    def refresh(self, account_id: str) -> AccountView:
        """Use the refresh token for a new access token (RFC 6749 §6).

        A rotated refresh token is written to the keyring before it is used;
        when the answer carries none, the old one is kept (SECURITY (a)23).
        """
        record = self._record(account_id)
        provider = self.resolve_provider(record.provider)
        old = self._tokens(account_id)
        if not old.refresh_token:
            raise TokenError("This account holds no refresh token; connect it again.")
        assert provider.endpoints is not None
        data = post_token_request(
            self.session, provider.endpoints.token,
            refresh_body(provider.client_id, old.refresh_token), provider.client_id,
        )
        new = old.merged_after_refresh(
            TokenSet.from_response(data, record.granted_scopes, self._clock())
        )
        notice = ""
        try:
            self.store.save(account_id, new)
        except TokenStoreError as exc:
            notice = f"{exc} The new tokens are kept until the app closes."
        updated = replace(
            record, granted_scopes=new.granted_scopes, expires_at=new.expires_at,
            has_refresh_token=new.refresh_token is not None,
        )
        with self._lock:
            self._update(self._config.with_account(updated))
        return AccountView(updated, new, id_token_claims(new), None, notice)

    def revoke(self, account_id: str) -> RevokeOutcome:
        """Revoke at the provider (RFC 7009), then always forget the tokens locally."""
        record = self._record(account_id)
        confirmed, message = False, ""
        try:
            tokens = self.store.load(account_id)
        except TokenStoreError as exc:
            tokens, message = None, str(exc)
        if tokens is not None:
            try:
                provider = self.resolve_provider(record.provider)
                assert provider.endpoints is not None
                if provider.endpoints.revocation:
                    revoke_tokens(self.session, provider.endpoints.revocation,
                                  provider.client_id, tokens)
                    confirmed, message = True, "Access revoked at the provider and forgotten here."
                else:
                    message = ("This provider offers no revocation endpoint; the tokens were "
                               "forgotten here. Remove the app in your account settings there.")
            except (RevocationError, DesktopOAuthError) as exc:
                message = f"{exc} The tokens were forgotten here anyway."
        elif not message:
            message = "No tokens were stored for this account; it was forgotten here."
        try:
            self.store.delete(account_id)
        except TokenStoreError as exc:
            message += f" {exc}"
        with self._lock:
            self._update(self._config.without_account(account_id))
        return RevokeOutcome(record, confirmed, message)

    def _record(self, account_id: str) -> AccountRecord:
        with self._lock:
            for record in self._config.accounts:
                if record.id == account_id:
                    return record
        raise ConfigurationError("That account is not connected any more.")

    def _tokens(self, account_id: str) -> TokenSet:
        tokens = self.store.load(account_id)
        if tokens is None:
            raise TokenError("No tokens are stored for this account; connect it again.")
        return tokens

    # -- the command line (issue 4) ---------------------------------------------------
    def remove_provider(self, name: str) -> tuple[AccountRecord, ...]:
        """Remove the provider ``name``, its client secret, and its accounts here.

        The accounts' tokens are deleted from the keyring, not revoked at the
        provider: revoke first to take access back there. When the keyring
        refuses, nothing is removed.

        Returns:
            The accounts that were forgotten.

        Raises:
            ConfigurationError: there is no provider called ``name``.
            TokenStoreError: the keyring could not delete a secret.
        """
        with self._lock:
            self._config.provider(name)
            accounts = tuple(a for a in self._config.accounts if a.provider == name)
        for record in accounts:
            self.store.delete(record.id)
        self.delete_client_secret(name)
        with self._lock:
            self._update(replace(
                self._config,
                providers=tuple(p for p in self._config.providers if p.name != name),
                accounts=tuple(a for a in self._config.accounts if a.provider != name),
            ))
            self._resolved.pop(name, None)
        return accounts

    def set_client_secret(self, provider_name: str, secret: str) -> None:
        """Keep the client secret of ``provider_name`` in the keyring, never in a file.

        Raises:
            ConfigurationError: the secret is empty.
            TokenStoreError: no secure keyring, or it refused.
        """
        if not secret:
            raise ConfigurationError("The client secret is empty.")
        if not self.store.persistent:
            raise TokenStoreError(
                "No secure keyring is available, so the client secret cannot be kept. "
                "Nothing was saved."
            )
        backend, namespace = self._secret_keyring()
        try:
            backend.set_password(namespace, _client_secret_entry(provider_name), secret)
        except keyring.errors.KeyringError as exc:
            raise TokenStoreError(_keyring_failure(exc, "store the client secret")) from None

    def client_secret(self, provider_name: str) -> str | None:
        """The client secret of ``provider_name`` from the keyring, or None.

        Raises:
            TokenStoreError: the keyring could not be read (locked, for example).
        """
        if not self.store.persistent:
            return None
        backend, namespace = self._secret_keyring()
        try:
            secret = backend.get_password(namespace, _client_secret_entry(provider_name))
        except keyring.errors.KeyringError as exc:
            raise TokenStoreError(_keyring_failure(exc, "read the client secret")) from None
        return secret if isinstance(secret, str) and secret else None

    def delete_client_secret(self, provider_name: str) -> None:
        """Forget the client secret of ``provider_name`` (no error when there is none).

        Raises:
            TokenStoreError: the keyring refused.
        """
        if not self.store.persistent:
            return
        backend, namespace = self._secret_keyring()
        try:
            backend.delete_password(namespace, _client_secret_entry(provider_name))
        except keyring.errors.PasswordDeleteError:
            pass  # there was none
        except keyring.errors.KeyringError as exc:
            raise TokenStoreError(_keyring_failure(exc, "delete the client secret")) from None

    def begin_connect_with(
        self,
        name: str,
        *,
        scopes: Sequence[str] | None = None,
        deadline_seconds: float = 300.0,
    ) -> ConnectAttempt:
        """Like :meth:`begin_connect`, with other scopes for this attempt and the
        provider's client secret (from the keyring) when it has one.

        Raises:
            ConfigurationError: unknown provider, or its client secret is missing.
            PortUnavailableError: the redirect port is taken (before any browser opens).
        """
        provider = self.resolve_provider(name)
        if scopes:
            provider = replace(provider, scopes=tuple(scopes))
        secret = None
        if provider.has_client_secret:
            secret = self.client_secret(name)
            if secret is None:
                raise ConfigurationError(
                    f"The client secret of {name!r} is not in the keyring; add the provider "
                    "again with its client secret."
                )
        return ConnectAttempt(
            provider, self.session, deadline_seconds=deadline_seconds, client_secret=secret,
            clock=self._clock,
        )

    def find_account(self, query: str) -> AccountRecord:
        """The account a person names by display name, email, login or
        ``provider:subject`` (see :func:`lookup.find_account`).

        Raises:
            UnknownAccountError, AmbiguousAccountError.
        """
        with self._lock:
            records = self._config.accounts
        return find_account(records, query, self._stored_claims)

    def status(self, account_id: str, *, ask_provider: bool = False) -> AccountStatus:
        """The account's state from its stored tokens (keyring read: off the GUI thread).

        Args:
            ask_provider: For a connected account, call the userinfo endpoint
                once: an access token the provider refuses means access was
                revoked there.
        """
        record = self._record(account_id)
        try:
            tokens = self.store.load(account_id)
        except TokenStoreError as exc:
            return AccountStatus(record, lookup.UNKNOWN, str(exc))
        state, detail = state_of(record, tokens, self._clock())
        email, login = names_from_claims(self._claims_of(tokens))
        if ask_provider and state == lookup.CONNECTED:
            try:
                self.fetch_userinfo(account_id)
            except ApiAuthError:
                state, detail = lookup.REVOKED, "The provider no longer accepts its access token."
            except DesktopOAuthError as exc:
                detail = f"The provider could not be asked: {exc}"
        return AccountStatus(record, state, detail, email, login)

    def usable_tokens(self, account_id: str, *, min_seconds: float = 60.0) -> AccountView:
        """Tokens whose access token stays valid for ``min_seconds`` more,
        refreshing first when it would not.

        Without a refresh token, or when the provider cannot be reached, an
        access token that has not expired yet is still returned (with a notice
        in the second case). The refresh holds a lock file in the profile
        folder, so that two processes never spend the same refresh token: a
        provider that rotates refresh tokens revokes the whole grant on reuse
        (RFC 9700 §4.14.2). ``invalid_grant`` deletes the stored tokens
        (SECURITY (a)23); the account stays, needing sign-in again.

        Raises:
            TokenError: expired and cannot be renewed (InvalidGrantError when
                the provider refuses the refresh token: sign in again).
            TokenStoreError: the keyring could not be read.
        """
        record = self._record(account_id)
        tokens = self._tokens(account_id)
        if not _expires_within(tokens, min_seconds, self._clock()):
            return AccountView(record, tokens)
        if not tokens.refresh_token:
            if not _expires_within(tokens, 0.0, self._clock()):
                return AccountView(record, tokens)
            raise TokenError(
                "The access token has expired and this account holds no refresh token; "
                "connect it again."
            )
        with self._refresh_lock():
            # Another process may have refreshed while this one waited for the lock.
            self.load()
            record = self._record(account_id)
            tokens = self._tokens(account_id)
            if not _expires_within(tokens, min_seconds, self._clock()):
                return AccountView(record, tokens)
            try:
                return self.refresh(account_id)
            except InvalidGrantError:
                with contextlib.suppress(TokenStoreError):
                    self.store.delete(account_id)
                with self._lock, contextlib.suppress(ConfigurationError):
                    current = next((a for a in self._config.accounts if a.id == account_id), None)
                    if current is not None:
                        self._update(self._config.with_account(
                            replace(current, status=config_file.NEEDS_SIGNIN)))
                raise
            except TokenError as exc:
                if _expires_within(tokens, 0.0, self._clock()):
                    raise
                return AccountView(record, tokens, notice=(
                    f"{exc} The current access token is still valid for a short while."
                ))

    def _stored_claims(self, record: AccountRecord) -> dict[str, Any]:
        try:
            return self._claims_of(self.store.load(record.id))
        except TokenStoreError:
            return {}

    @staticmethod
    def _claims_of(tokens: TokenSet | None) -> dict[str, Any]:
        try:
            return id_token_claims(tokens) if tokens is not None else {}
        except DesktopOAuthError:
            return {}

    def _secret_keyring(self) -> tuple[Any, str]:
        # The client secret sits beside the tokens, in the same per-profile
        # keyring namespace; TokenStore offers no call for other secrets yet.
        return self.store._backend, self.store._namespace

    @contextlib.contextmanager
    def _refresh_lock(self, timeout: float = 45.0) -> Iterator[None]:
        """Hold ``<home>/.refresh.lock`` (shared by every process of this profile)."""
        path = self.profile.home / ".refresh.lock"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(path, "a+b")  # noqa: SIM115 - closed in finally
        except OSError as exc:
            raise TokenError(
                f"The lock file {path} could not be opened ({exc.strerror})."
            ) from None
        try:
            deadline = time.monotonic() + timeout
            while not _try_lock(handle.fileno()):
                if time.monotonic() >= deadline:
                    raise TokenError(
                        "Another desktop-oauth process is still renewing tokens; try again."
                    )
                time.sleep(0.05)
            yield
        finally:
            handle.close()  # closing the file releases the lock


def _client_secret_entry(provider_name: str) -> str:
    return f"client-secret:{provider_name}"


def _expires_within(tokens: TokenSet, seconds: float, now: float) -> bool:
    left = tokens.seconds_left(now)
    return left is not None and left <= seconds


def _try_lock(fd: int) -> bool:
    """Take an exclusive lock on ``fd`` without waiting; False when another holds it."""
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _display_name(claims: dict[str, Any], userinfo: dict[str, Any], subject: str) -> str:
    for source in (userinfo, claims):
        for key in ("email", "preferred_username", "name", "login"):
            value = source.get(key)
            if isinstance(value, str) and value:
                return value
    return subject
