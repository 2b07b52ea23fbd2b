"""Renewing tokens (RFC 6749 §6) and calling the provider's API with them."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from typing import TYPE_CHECKING

from .. import flow_log
from ..config import AccountRecord, AccountStatus
from ..errors import (
    ConfigurationError,
    IdTokenError,
    InvalidGrantError,
    TokenError,
    TokenStoreError,
)
from ..locks import profile_lock
from ..provider import ProviderConfig
from ..tokens import TokenSet
from .connecting import Connecting
from .records import (
    AccountView,
    RefreshOutcome,
    _claims_of,
    _expires_within,
    dead_by_expiry,
    learn,
    only_what_revokes,
    superseded_entry,
)

if TYPE_CHECKING:
    from ..api import ApiResult


class Renewal(Connecting):
    """Keeping an access token usable, and using it."""

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
        except (InvalidGrantError, IdTokenError):
            # The provider ended the grant, or answered about another person (OIDC
            # Core §12.2): the tokens were deleted and nothing stands behind the old one.
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
        with (
            self._operation(flow_log.Operation.REFRESH, account_id),
            profile_lock(self.profile.home, f"refresh-{account_id}"),
        ):
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
            learn(old)
            from ..exchange import post_token_request, refresh_body

            try:
                with flow_log.step(flow_log.Step.REFRESH):
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
                    AccountStatus.NEEDS_SIGN_IN,
                    "The provider no longer accepts the refresh token.",
                    last_refresh=self._when(RefreshOutcome.REFUSED, "sign in again"),
                )
                raise
            except TokenError as exc:
                self._mark(
                    account_id, None, last_refresh=self._when(RefreshOutcome.FAILED, str(exc))
                )
                raise
            new = old.merged_after_refresh(
                TokenSet.from_response(data, record.granted_scopes, self._clock())
            )
            if isinstance(data.get("id_token"), str):
                try:
                    self._check_refreshed_id_token(provider, record, data["id_token"])
                except IdTokenError as exc:
                    # Both the replaced tokens and the unusable new ones may still work
                    # at the provider: kept for Revoke/Remove, not used, not shown.
                    self._supersede(account_id, provider, old, new)
                    with contextlib.suppress(TokenStoreError):
                        self.store.delete(account_id)
                    self._mark(
                        account_id,
                        AccountStatus.NEEDS_SIGN_IN,
                        str(exc),
                        last_refresh=self._when(RefreshOutcome.REFUSED, "the new id_token failed"),
                    )
                    raise
            notice = ""
            try:
                self.store.save(account_id, new)
            except TokenStoreError as exc:
                notice = f"{exc} The new tokens are kept until the app closes."
            kept = self._keep_refreshed(account_id, provider, old, new)
            dead = set(record.superseded) - set(self._live_superseded(record.superseded))
            updated = self._modify(
                lambda c: c.with_account(
                    replace(
                        self._record_in(c, account_id),
                        superseded=_still_kept(self._record_in(c, account_id), dead, kept),
                        granted_scopes=new.granted_scopes,
                        expires_at=new.expires_at,
                        has_refresh_token=new.refresh_token is not None,
                        refreshed_at=new.obtained_at,
                        last_refresh=self._when(RefreshOutcome.OK),
                    )
                )
            )
            return AccountView(
                self._record_in(updated, account_id), new, _claims_of(new), None, notice
            )

    def _keep_refreshed(
        self, account_id: str, provider: ProviderConfig, old: TokenSet, new: TokenSet
    ) -> tuple[str, ...]:
        """Keep what a refresh replaced and may still be live, to revoke at Revoke or
        Remove; the keyring entry's name, or nothing.

        The old access token stays valid until it expires (RFC 6749 §6 does not end
        it). It is not revoked now: RFC 7009 §2.1 lets a provider end the whole grant
        for it, and both the sandbox and oidc-provider do (the latter's revocation
        action revokes every token of the grant), which would end the live account.
        A rotated-out refresh token (RFC 9700 §4.14.2) is kept only when introspection
        says it is still active; one the provider cannot be asked about is dropped, as
        RFC 6749 §6 tells the client to discard it (revoking the current refresh token
        ends the grant it belongs to, RFC 7009 §2.1).
        """
        if old.access_token == new.access_token:
            return ()
        rotated = old.refresh_token if old.refresh_token != new.refresh_token else None
        if rotated is not None and provider.endpoints is not None:
            from ..revoke import token_inactive

            with flow_log.step(flow_log.Step.VERIFY):
                dead = token_inactive(
                    self.session,
                    provider.endpoints,
                    provider.client_id,
                    rotated,
                    self._secret_for(provider),
                )
            if dead is not False:
                rotated = None
        kept = replace(only_what_revokes(old), refresh_token=rotated)
        if dead_by_expiry(kept, self._clock()):
            return ()
        entry = superseded_entry(account_id)
        try:
            self.store.save(entry, kept)
        except TokenStoreError:
            return ()  # it expires by itself; nothing else can be done here
        return (entry,)

    def _supersede(
        self, account_id: str, provider: ProviderConfig, old: TokenSet, new: TokenSet
    ) -> None:
        """A refresh whose answer is refused: what it replaced and what it brought
        both join the account's superseded entries."""
        kept = self._keep_refreshed(account_id, provider, old, new)
        entry = superseded_entry(account_id)
        try:
            self.store.save(entry, only_what_revokes(new))
            kept = (*kept, entry)
        except TokenStoreError:
            pass  # nothing more can be done here; it expires by itself
        self._modify(
            lambda c: c.with_account(
                replace(
                    self._record_in(c, account_id),
                    superseded=_still_kept(self._record_in(c, account_id), set(), kept),
                )
            )
        )

    def _check_refreshed_id_token(
        self, provider: ProviderConfig, record: AccountRecord, id_token: str
    ) -> None:
        """OIDC Core §12.2: an id_token from a refresh is checked like the first one,
        and must name the same issuer and the same user."""
        from ..id_token_validation import provider_keys, validate_id_token

        with flow_log.step(flow_log.Step.ID_TOKEN):
            validate_id_token(
                id_token,
                provider,
                provider_keys(self.session, provider),
                nonce=None,
                now=self._clock(),
                subject=record.subject,
            )

    def fetch_data(self, account_id: str, url: str | None = None) -> ApiResult:
        """Call the provider's API (``url``, by default the preset's call or userinfo).

        A 401 leads to one refresh and one retry; a second 401 means the person
        must sign in again (no loop).

        Raises:
            ApiAuthError: refused twice; the account is marked "needs sign-in again".
        """
        with self._operation(flow_log.Operation.API_CALL, account_id):
            return self._fetch_data(account_id, url)

    def _fetch_data(self, account_id: str, url: str | None) -> ApiResult:
        from ..api import ApiAuthError

        record = self._record(account_id)
        tokens = self.usable_tokens(account_id, min_seconds=5.0).tokens
        assert tokens is not None
        try:
            result = self._call(record, tokens, url)
        except ApiAuthError:
            if not tokens.refresh_token:
                self._mark(
                    account_id,
                    AccountStatus.NEEDS_SIGN_IN,
                    "The provider refused the access token.",
                )
                raise
            tokens = self.refresh(account_id).tokens
            assert tokens is not None
            try:
                result = self._call(record, tokens, url)
            except ApiAuthError:
                self._mark(
                    account_id,
                    AccountStatus.NEEDS_SIGN_IN,
                    "The provider refused a fresh token too.",
                )
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
        learn(tokens)
        with flow_log.step(flow_log.Step.API):
            return self._call_api(record, tokens, url)

    def _call_api(self, record: AccountRecord, tokens: TokenSet, url: str | None) -> ApiResult:
        from ..api import call_api
        from ..presets import preset_for
        from ..provider_apis import fetch_api

        provider = self.resolve_provider(record.provider)
        if url is not None:
            return call_api(self.session, url, tokens.access_token, f"{provider.name} API")
        preset = preset_for(provider)
        if preset is not None:
            return fetch_api(self.session, preset, tokens.access_token)
        return self._call_userinfo(record, tokens)

    def _call_userinfo(self, record: AccountRecord, tokens: TokenSet) -> ApiResult:
        from ..api import call_api

        provider = self.resolve_provider(record.provider)
        if provider.endpoints is None or not provider.endpoints.userinfo:
            raise ConfigurationError(f"{provider.name} has no userinfo endpoint.")
        return call_api(
            self.session, provider.endpoints.userinfo, tokens.access_token, "userinfo endpoint"
        )


def _still_kept(record: AccountRecord, dead: set[str], kept: tuple[str, ...]) -> tuple[str, ...]:
    """The record's superseded entries as the file has them now, less ``dead``, plus
    ``kept`` (another process may have changed the list meanwhile)."""
    return (*(e for e in record.superseded if e not in dead), *kept)
