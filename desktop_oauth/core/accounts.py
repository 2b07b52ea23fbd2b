"""Accounts: connecting, refreshing, revoking, and what each one holds.

:class:`AccountService` is the single entry point the window's controller and
the command line use. It is synchronous and thread-safe; callers run it off
the GUI thread.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import requests

from . import config as config_file
from . import lookup
from .api import ApiAuthError, ApiResult, call_api
from .config import NEEDS_SIGNIN, PENDING_REVOCATION, REVOKED, AccountRecord, Config
from .connect import ConnectAttempt, ConnectResult
from .discovery import fetch_metadata, resolve
from .errors import (
    ConfigurationError,
    DesktopOAuthError,
    DiscoveryError,
    IdTokenError,
    InvalidGrantError,
    ProviderHTTPError,
    RevocationError,
    TokenError,
    TokenStoreError,
)
from .exchange import post_token_request, refresh_body
from .flow import id_token_claims
from .http import new_session
from .id_token import KeySet, verify_signature
from .locks import profile_lock
from .lookup import AccountStatus, find_account, names_from_claims, state_of
from .presets import preset_for
from .profile import Profile
from .provider import Endpoints, ProviderConfig
from .provider_apis import fetch_api
from .revoke import confirm_revoked, revoke_tokens
from .token_store import TokenStore
from .tokens import TokenSet, check_id_token_claims, decode_jwt_claims


def account_id_for(issuer: str, subject: str) -> str:
    """A stable id for the account (issuer, subject) that reveals neither."""
    digest = hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()
    return f"acct-{digest[:20]}"


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


@dataclass(frozen=True)
class RevokeOutcome:
    """How a revocation went. Local tokens are deleted in every case.

    Attributes:
        provider_confirmed: The provider answered the revocation request with 200.
        verified: The provider was asked afterwards and no longer honours the
            tokens (True), still does (False), or could not be asked (None).
    """

    account: AccountRecord
    provider_confirmed: bool
    message: str
    verified: bool | None = None


class AccountService:
    """Connects, refreshes and revokes accounts of one profile.

    Args:
        profile: Where config and keyring namespace come from.
        store: The token store; by default the keyring of this profile.
        session: The HTTP session for every provider call.
        clock: Wall-clock seconds, for expiry.
        local_providers: Providers the app runs itself, listed first.
    """

    def __init__(
        self,
        profile: Profile,
        *,
        store: TokenStore | None = None,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        local_providers: Sequence[LocalProvider] = (),
    ) -> None:
        self.profile = profile
        self.store = store if store is not None else TokenStore(profile.keyring_service)
        self.session = session if session is not None else new_session()
        self._clock = clock
        self._lock = threading.RLock()
        self._config = Config()
        self._resolved: dict[str, ProviderConfig] = {}
        self._local: Mapping[str, LocalProvider] = {p.name: p for p in local_providers}

    # -- configuration ------------------------------------------------------------------
    def load(self) -> Config:
        """Read ``config.json`` (file I/O: call off the GUI thread)."""
        with self._lock:
            loaded = config_file.load(self.profile.config_path)
            if loaded.recovered_from is not None:
                # Write what this process knows (nothing at start; the accounts
                # on screen when the file is read again) so the damaged file is
                # not read again and a reload forgets nothing.
                loaded = replace(self._config, recovered_from=loaded.recovered_from)
                config_file.save(self.profile.config_path, loaded)
            self._config = loaded
            return self.config

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

    def is_built_in(self, name: str) -> bool:
        """Whether ``name`` is a provider the app runs itself."""
        return name in self._local

    def provider_name(self, name: str) -> str:
        """The provider a person means by ``name``: its exact name, the same ignoring
        case, or a built-in provider's short name (``sandbox``).

        Raises:
            ConfigurationError: no provider is called that.
        """
        names = [p.name for p in self.config.providers]
        if name in names:
            return name
        folded = name.casefold()
        matches = [n for n in names if n.casefold() == folded]
        matches += [
            p.name for p in self._local.values() if folded in (a.casefold() for a in p.aliases)
        ]
        if len(set(matches)) == 1:
            return matches[0]
        raise ConfigurationError(f"There is no provider called {name!r}.")

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

    # -- providers ----------------------------------------------------------------------
    def add_provider(
        self, provider: ProviderConfig, client_secret: str | None = None, *, check: bool = True
    ) -> ProviderConfig:
        """Add (or replace) a provider; its client secret goes to the keyring only.

        Args:
            check: Fetch an issuer's discovery document first, so that a wrong URL,
                a web page instead of JSON or another issuer is refused now.

        Raises:
            DiscoveryError, IssuerMismatchError, InsecureURLError: the check failed.
            TokenStoreError: the secret could not be kept; nothing was saved.
        """
        if provider.endpoints is not None:
            provider.endpoints.validate()
        elif check:
            Endpoints.from_metadata(fetch_metadata(self.session, provider.issuer)).validate()
        if client_secret:
            self.store.save_client_secret(provider.name, client_secret)
            provider = replace(provider, has_client_secret=True)
        try:
            self._modify(lambda c: c.with_provider(provider))
        except BaseException:
            if client_secret:
                with contextlib.suppress(TokenStoreError):
                    self.store.delete_client_secret(provider.name)
            raise
        with self._lock:
            self._resolved.pop(provider.name, None)
        return provider

    def remove_provider(self, name: str) -> tuple[AccountRecord, ...]:
        """Remove the provider ``name``, its client secret, and its accounts here.

        The accounts' tokens are deleted from the keyring, not revoked at the
        provider: revoke first to take access back there.

        Returns:
            The accounts that were forgotten.
        """
        with self._lock:
            self._config.provider(name)
            accounts = tuple(a for a in self._config.accounts if a.provider == name)
        for record in accounts:
            self.store.delete(record.id)
        self.store.delete_client_secret(name)
        self._modify(
            lambda c: replace(
                c,
                providers=tuple(p for p in c.providers if p.name != name),
                accounts=tuple(a for a in c.accounts if a.provider != name),
            )
        )
        with self._lock:
            self._resolved.pop(name, None)
        return accounts

    def set_client_secret(self, provider_name: str, secret: str) -> None:
        """Keep the client secret of ``provider_name`` in the keyring, never in a file."""
        if not secret:
            raise ConfigurationError("The client secret is empty.")
        self.store.save_client_secret(provider_name, secret)

    def client_secret(self, provider_name: str) -> str | None:
        """The client secret of ``provider_name`` from the keyring, or None."""
        return self.store.load_client_secret(provider_name)

    def delete_client_secret(self, provider_name: str) -> None:
        """Forget the client secret of ``provider_name``."""
        self.store.delete_client_secret(provider_name)

    def resolve_provider(self, name: str) -> ProviderConfig:
        """The provider ``name`` with its endpoints (discovery on first use).

        A built-in provider is started here if no process serves it yet.
        """
        with self._lock:
            cached = self._resolved.get(name)
        if cached is not None:
            return cached
        local = self._local.get(name)
        provider = local.start() if local is not None else self.config.provider(name)
        resolved = resolve(self.session, provider)
        with self._lock:
            self._resolved[name] = resolved
        return resolved

    def _secret_for(self, provider: ProviderConfig) -> str | None:
        if not provider.has_client_secret:
            return None
        secret = self.client_secret(provider.name)
        if secret is None:
            raise ConfigurationError(
                f"The client secret of {provider.name!r} is not in the keyring; add the "
                "provider again with its client secret."
            )
        return secret

    # -- connecting ---------------------------------------------------------------------
    def begin_connect(
        self,
        name: str,
        *,
        scopes: Sequence[str] | None = None,
        deadline_seconds: float = 300.0,
    ) -> ConnectAttempt:
        """Resolve the provider and hold a loopback port for a new connection.

        Args:
            scopes: Other scopes for this attempt (more, for incremental consent,
                or fewer).

        Raises:
            PortUnavailableError: the redirect port is taken (before any browser opens).
        """
        provider = self.resolve_provider(name)
        if scopes:
            provider = replace(provider, scopes=tuple(scopes))
        return ConnectAttempt(
            provider,
            self.session,
            deadline_seconds=deadline_seconds,
            client_secret=self._secret_for(provider),
            clock=self._clock,
        )

    def save_connection(self, result: ConnectResult) -> AccountView:
        """Store the tokens (keyring) and the account's metadata (config file).

        Connecting the same identity again updates its account, remembering what
        the previous consent granted.
        """
        view = self.account_view(result)
        notice = ""
        try:
            self.store.save(view.record.id, result.tokens)
        except TokenStoreError as exc:
            notice = f"{exc} The tokens are kept until the app closes."
        if not self.store.persistent:
            notice = (
                "No secure keyring is available, so tokens are kept only until the "
                "app closes. Nothing was written to disk."
            )
        self._modify(lambda c: c.with_account(view.record))
        return replace(view, notice=notice)

    def account_view(self, result: ConnectResult) -> AccountView:
        """The account a connection produced, before anything is stored (no I/O), so
        the window can show it while the keyring is still being written."""
        provider = result.provider
        userinfo = result.userinfo.data if result.userinfo else {}
        subject = str(result.claims.get("sub") or userinfo.get("sub"))
        account_id = account_id_for(provider.issuer, subject)
        with self._lock:
            before = next((a for a in self._config.accounts if a.id == account_id), None)
        now = self._clock()
        record = AccountRecord(
            id=account_id,
            provider=provider.name,
            issuer=provider.issuer,
            subject=subject,
            display_name=_display_name(result.claims, userinfo, subject),
            requested_scopes=result.requested_scopes,
            granted_scopes=result.tokens.granted_scopes,
            expires_at=result.tokens.expires_at,
            has_refresh_token=result.tokens.refresh_token is not None,
            connected_at=now,
            previous_granted_scopes=before.granted_scopes if before else None,
            refreshed_at=now,
            last_data=userinfo or None,
            api_urls=provider.api_urls,
        )
        return AccountView(record, result.tokens, result.claims, result.userinfo)

    # -- looking ------------------------------------------------------------------------
    def find_account(self, query: str) -> AccountRecord:
        """The account a person names by display name, email, login or
        ``provider:subject`` (see :func:`lookup.find_account`)."""
        with self._lock:
            records = self._config.accounts
        return find_account(records, query, self._stored_claims)

    def view(self, account_id: str) -> AccountView:
        """The account with its stored tokens (keyring read: off the GUI thread)."""
        record = self._record(account_id)
        tokens = self.store.load(account_id)
        return AccountView(record, tokens, _claims_of(tokens))

    def status(self, account_id: str, *, ask_provider: bool = False) -> AccountStatus:
        """The account's state from its stored tokens.

        Args:
            ask_provider: For a connected account, call the userinfo endpoint
                once: a token the provider refuses means access was revoked there.
        """
        record = self._record(account_id)
        try:
            tokens = self.store.load(account_id)
        except TokenStoreError as exc:
            return AccountStatus(record, lookup.UNKNOWN, str(exc))
        state, detail = state_of(record, tokens, self._clock())
        email, login = names_from_claims(_claims_of(tokens))
        if ask_provider and state == lookup.CONNECTED:
            try:
                self._call_userinfo(record, self._tokens(account_id))
            except ApiAuthError:
                state, detail = lookup.REVOKED, "The provider no longer accepts its access token."
            except DesktopOAuthError as exc:
                detail = f"The provider could not be asked: {exc}"
        return AccountStatus(record, state, detail, email, login)

    # -- using --------------------------------------------------------------------------
    def fetch_data(self, account_id: str, url: str | None = None) -> ApiResult:
        """Call the provider's API (``url``, by default the preset's call or userinfo).

        A 401 leads to one refresh and one retry; a second 401 means the person
        must sign in again (no loop).

        Raises:
            ApiAuthError: refused twice; the account is marked "needs sign-in again".
        """
        record = self._record(account_id)
        tokens = self.usable_tokens(account_id, min_seconds=5.0).tokens
        assert tokens is not None
        try:
            result = self._call(record, tokens, url)
        except ApiAuthError:
            if not tokens.refresh_token:
                self._mark(account_id, NEEDS_SIGNIN, "The provider refused the access token.")
                raise
            tokens = self.refresh(account_id).tokens
            assert tokens is not None
            try:
                result = self._call(record, tokens, url)
            except ApiAuthError:
                self._mark(account_id, NEEDS_SIGNIN, "The provider refused a fresh token too.")
                raise ApiAuthError(
                    "The provider refused the token even after a refresh; sign in again."
                ) from None
        if url is None:
            self._modify(
                lambda c: c.with_account(
                    replace(self._record_in(c, account_id), last_data=result.data)
                )
            )
        return result

    def _call(self, record: AccountRecord, tokens: TokenSet, url: str | None) -> ApiResult:
        provider = self.resolve_provider(record.provider)
        if url is not None:
            return call_api(self.session, url, tokens.access_token, f"{provider.name} API")
        preset = preset_for(provider)
        if preset is not None:
            return fetch_api(self.session, preset, tokens.access_token)
        return self._call_userinfo(record, tokens)

    def _call_userinfo(self, record: AccountRecord, tokens: TokenSet) -> ApiResult:
        provider = self.resolve_provider(record.provider)
        if provider.endpoints is None or not provider.endpoints.userinfo:
            raise ConfigurationError(f"{provider.name} has no userinfo endpoint.")
        return call_api(
            self.session, provider.endpoints.userinfo, tokens.access_token, "userinfo endpoint"
        )

    def usable_tokens(self, account_id: str, *, min_seconds: float = 60.0) -> AccountView:
        """Tokens whose access token stays valid ``min_seconds`` more, refreshing first
        when it would not.

        Without a refresh token, or when the provider cannot be reached, an
        access token that has not expired yet is still returned (with a notice
        in the second case).

        Raises:
            TokenError: expired and cannot be renewed (InvalidGrantError: sign in again).
            TokenStoreError: the keyring could not be read.
        """
        record = self._record(account_id)
        tokens = self._tokens(account_id)
        now = self._clock()
        if not _expires_within(tokens, min_seconds, now):
            return AccountView(record, tokens, _claims_of(tokens))
        if not tokens.refresh_token:
            if not _expires_within(tokens, 0.0, now):
                return AccountView(record, tokens, _claims_of(tokens))
            raise TokenError(
                "The access token has expired and this account holds no refresh "
                "token; connect it again."
            )
        try:
            return self.refresh(account_id, unless_valid_for=min_seconds)
        except InvalidGrantError:
            raise
        except TokenError as exc:
            if _expires_within(tokens, 0.0, self._clock()):
                raise
            return AccountView(
                record,
                tokens,
                _claims_of(tokens),
                notice=(f"{exc} The current access token is still valid for a short while."),
            )

    def refresh(self, account_id: str, *, unless_valid_for: float | None = None) -> AccountView:
        """Use the refresh token for a new access token (RFC 6749 §6).

        Holds the account's lock across processes and rereads the keyring inside
        it, so a refresh another process just made is used instead of spending a
        rotated-out token (RFC 9700 §4.14.2). The rotated refresh token is saved
        before it is used; when the answer carries none, the old one is kept
        (docs/security.md (a)23). ``invalid_grant`` deletes the tokens and marks the
        account "needs sign-in again", keeping its metadata and last data.

        Args:
            unless_valid_for: Skip the refresh when, once the lock is held, the
                stored access token is valid this many seconds more.
        """
        with profile_lock(self.profile.home, f"refresh-{account_id}"):
            record = self._record(account_id)
            provider = self.resolve_provider(record.provider)
            old = self._tokens(account_id)
            if unless_valid_for is not None and not _expires_within(
                old, unless_valid_for, self._clock()
            ):
                return AccountView(record, old, _claims_of(old))
            if not old.refresh_token:
                raise TokenError("This account holds no refresh token; connect it again.")
            assert provider.endpoints is not None
            try:
                data = post_token_request(
                    self.session,
                    provider.endpoints.token,
                    refresh_body(provider.client_id, old.refresh_token),
                    provider.client_id,
                    self._secret_for(provider),
                    auth_methods=provider.endpoints.token_auth_methods,
                )
            except InvalidGrantError:
                with contextlib.suppress(TokenStoreError):
                    self.store.delete(account_id)
                self._mark(
                    account_id,
                    NEEDS_SIGNIN,
                    "The provider no longer accepts the refresh token.",
                    last_refresh=self._when("refused: sign in again"),
                )
                raise
            except TokenError as exc:
                self._mark(account_id, None, last_refresh=self._when(f"failed: {exc}"))
                raise
            new = old.merged_after_refresh(
                TokenSet.from_response(data, record.granted_scopes, self._clock())
            )
            if isinstance(data.get("id_token"), str):
                try:
                    self._check_refreshed_id_token(provider, record, data["id_token"])
                except IdTokenError as exc:
                    with contextlib.suppress(TokenStoreError):
                        self.store.delete(account_id)
                    self._mark(
                        account_id,
                        NEEDS_SIGNIN,
                        str(exc),
                        last_refresh=self._when("refused: the new id_token failed"),
                    )
                    raise
            notice = ""
            try:
                self.store.save(account_id, new)
            except TokenStoreError as exc:
                notice = f"{exc} The new tokens are kept until the app closes."
            updated = self._modify(
                lambda c: c.with_account(
                    replace(
                        self._record_in(c, account_id),
                        granted_scopes=new.granted_scopes,
                        expires_at=new.expires_at,
                        has_refresh_token=new.refresh_token is not None,
                        refreshed_at=new.obtained_at,
                        last_refresh=self._when("ok"),
                    )
                )
            )
            return AccountView(
                self._record_in(updated, account_id), new, _claims_of(new), None, notice
            )

    def _check_refreshed_id_token(
        self, provider: ProviderConfig, record: AccountRecord, id_token: str
    ) -> None:
        """OIDC Core §12.2: an id_token from a refresh is checked like the first one,
        and must name the same issuer and the same user."""
        endpoints = provider.endpoints
        assert endpoints is not None
        claims = (
            verify_signature(id_token, KeySet(self.session, endpoints.jwks_uri))
            if endpoints.jwks_uri
            else decode_jwt_claims(id_token)
        )
        check_id_token_claims(
            claims,
            issuer=provider.issuer,
            client_id=provider.client_id,
            nonce=None,
            now=self._clock(),
        )
        if claims.get("sub") != record.subject:
            raise IdTokenError(
                "The refreshed id_token is about a different user (sub check "
                "failed); the tokens were not used. Sign in again."
            )

    # -- taking access back --------------------------------------------------------------
    def revoke(self, account_id: str) -> RevokeOutcome:
        """Revoke at the provider (RFC 7009), check that it took, and forget the tokens
        here. The account stays listed as revoked until removed.

        When the provider cannot be reached or answers 5xx, the person is told and
        the revocation is retried later (:meth:`retry_revocations`): only what is
        needed for that is kept, in the keyring, under its own entry.
        """
        record = self._record(account_id)
        try:
            tokens = self.store.load(account_id)
        except TokenStoreError as exc:
            self._mark(account_id, REVOKED, "revoked locally; the provider did not confirm")
            return RevokeOutcome(record, False, f"{exc} The account was marked revoked here.")
        if tokens is None:
            updated = self._mark(account_id, REVOKED, record.status_note or "revoked")
            return RevokeOutcome(updated, False, "No tokens were stored for this account.")
        outcome = self._revoke_at_provider(record, tokens)
        if outcome.account.status_note == PENDING_REVOCATION:
            with contextlib.suppress(TokenStoreError):
                self.store.save(_pending_entry(account_id), _only_what_revokes(tokens))
        try:
            self.store.delete(account_id)
        except TokenStoreError as exc:
            return replace(outcome, message=f"{outcome.message} {exc}")
        return outcome

    def retry_revocations(self) -> list[RevokeOutcome]:
        """Try again every revocation the provider could not be told about."""
        outcomes = []
        with self._lock:
            waiting = [a for a in self._config.accounts if a.status_note == PENDING_REVOCATION]
        for record in waiting:
            try:
                tokens = self.store.load(_pending_entry(record.id))
            except TokenStoreError:
                continue
            if tokens is None:
                self._mark(record.id, REVOKED, "revoked locally; the provider did not confirm")
                continue
            outcome = self._revoke_at_provider(record, tokens)
            if outcome.account.status_note != PENDING_REVOCATION:
                with contextlib.suppress(TokenStoreError):
                    self.store.delete(_pending_entry(record.id))
            outcomes.append(outcome)
        return outcomes

    def _revoke_at_provider(self, record: AccountRecord, tokens: TokenSet) -> RevokeOutcome:
        """Tell the provider, check that it took, and mark the account accordingly."""
        confirmed, verified, problem, retry = False, None, "", False
        try:
            provider = self.resolve_provider(record.provider)
            endpoints = provider.endpoints
            assert endpoints is not None
            secret = self._secret_for(provider)
            if endpoints.revocation:
                revoke_tokens(
                    self.session,
                    endpoints.revocation,
                    provider.client_id,
                    tokens,
                    secret,
                    endpoints.revocation_auth_methods,
                )
                confirmed = True
            verified = confirm_revoked(self.session, endpoints, provider.client_id, tokens, secret)
        except (RevocationError, ProviderHTTPError, DiscoveryError) as exc:
            # RFC 7009 §2.2.1: 503 or no answer: try again later.
            problem = str(exc)
            retry = exc.retryable if isinstance(exc, RevocationError) else True
        except DesktopOAuthError as exc:
            problem = str(exc)
        if verified:
            note = "revoked (verified)"
            message = "Access revoked; the provider confirms the tokens no longer work."
        elif retry:
            note = PENDING_REVOCATION
            message = (
                f"{problem} The tokens were forgotten here; the app will tell the "
                "provider as soon as it can be reached."
            )
        else:
            note = "revoked locally; the provider did not confirm"
            message = (
                f"{problem} The tokens were forgotten here, but the provider did not "
                "confirm that access ended. Remove the app in your account settings "
                "there."
            ).strip()
        updated = self._mark(record.id, REVOKED, note)
        return RevokeOutcome(updated, confirmed, message, verified)

    def remove(self, account_id: str) -> RevokeOutcome | None:
        """Revoke (if tokens are still held), then forget the account entirely."""
        outcome = None
        with contextlib.suppress(TokenStoreError):
            if self.store.load(account_id) is not None:
                outcome = self.revoke(account_id)
        with contextlib.suppress(TokenStoreError):
            self.store.delete(_pending_entry(account_id))  # nothing kept for a forgotten one
        self._modify(lambda c: c.without_account(account_id))
        return outcome

    # -- plumbing -----------------------------------------------------------------------
    def _mark(
        self,
        account_id: str,
        status: str | None,
        note: str = "",
        *,
        last_refresh: str | None = None,
    ) -> AccountRecord:
        def change(config: Config) -> Config:
            record = self._record_in(config, account_id)
            if status is not None:
                record = replace(record, status=status, status_note=note)
            if last_refresh is not None:
                record = replace(record, last_refresh=last_refresh)
            return config.with_account(record)

        return self._record_in(self._modify(change), account_id)

    def _when(self, what: str) -> str:
        return f"{time.strftime('%H:%M:%S', time.localtime(self._clock()))}, {what}"

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


def _pending_entry(account_id: str) -> str:
    return f"{account_id}-pending-revocation"


def _only_what_revokes(tokens: TokenSet) -> TokenSet:
    """The tokens a later revocation needs, nothing more (no id_token)."""
    return TokenSet(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        token_type=tokens.token_type,
    )


def _claims_of(tokens: TokenSet | None) -> dict[str, Any]:
    try:
        return id_token_claims(tokens) if tokens is not None else {}
    except DesktopOAuthError:
        return {}


def _expires_within(tokens: TokenSet, seconds: float, now: float) -> bool:
    left = tokens.seconds_left(now)
    return left is not None and left <= seconds


def _display_name(claims: dict[str, Any], userinfo: dict[str, Any], subject: str) -> str:
    for source in (userinfo, claims):
        for key in ("email", "preferred_username", "name", "login"):
            value = source.get(key)
            if isinstance(value, str) and value:
                return value
    return subject
