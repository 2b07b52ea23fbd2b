"""Accounts: connecting, refreshing, revoking, and what each one holds.

:class:`AccountService` is the single entry point the window's controller and
the command line use. It is synchronous and thread-safe; callers run it off
the GUI thread.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import requests

from . import config as config_file
from .api import ApiResult, call_api
from .config import AccountRecord, Config
from .connect import ConnectAttempt, ConnectResult
from .discovery import resolve
from .errors import (
    ConfigurationError,
    DesktopOAuthError,
    RevocationError,
    TokenError,
    TokenStoreError,
)
from .exchange import post_token_request, refresh_body
from .flow import id_token_claims
from .http import new_session
from .profile import Profile
from .provider import ProviderConfig
from .revoke import revoke_tokens
from .token_store import TokenStore
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


def _display_name(claims: dict[str, Any], userinfo: dict[str, Any], subject: str) -> str:
    for source in (userinfo, claims):
        for key in ("email", "preferred_username", "name", "login"):
            value = source.get(key)
            if isinstance(value, str) and value:
                return value
    return subject
