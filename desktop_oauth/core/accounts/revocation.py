"""Taking access back (RFC 7009), with the list of revocations still to tell the provider."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace

from ..config import AccountRecord, AccountStatus, Revocation
from ..errors import (
    DesktopOAuthError,
    DiscoveryError,
    ProviderHTTPError,
    RevocationError,
    TokenStoreError,
)
from ..revoke import confirm_revoked, revoke_tokens
from ..tokens import TokenSet
from .renewal import Renewal


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


class Revoking(Renewal):
    """Revoking and removing accounts, and retrying revocations that could not be sent."""

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
            self._mark(account_id, AccountStatus.REVOKED, revocation=Revocation.UNCONFIRMED)
            return RevokeOutcome(record, False, f"{exc} The account was marked revoked here.")
        if tokens is None:
            updated = self._mark(
                account_id,
                AccountStatus.REVOKED,
                revocation=record.revocation or Revocation.UNCONFIRMED,
            )
            return RevokeOutcome(updated, False, "No tokens were stored for this account.")
        outcome = self._revoke_at_provider(record, tokens)
        if outcome.account.status is AccountStatus.REVOCATION_PENDING:
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
            waiting = [
                a for a in self._config.accounts if a.status is AccountStatus.REVOCATION_PENDING
            ]
        for record in waiting:
            try:
                tokens = self.store.load(_pending_entry(record.id))
            except TokenStoreError:
                continue
            if tokens is None:
                self._mark(record.id, AccountStatus.REVOKED, revocation=Revocation.UNCONFIRMED)
                continue
            outcome = self._revoke_at_provider(record, tokens)
            if outcome.account.status is not AccountStatus.REVOCATION_PENDING:
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
                    self.session, endpoints.revocation, provider.client_id, tokens, secret
                )
                confirmed = True
            verified = confirm_revoked(self.session, endpoints, provider.client_id, tokens, secret)
        except (RevocationError, ProviderHTTPError, DiscoveryError) as exc:
            # RFC 7009 §2.2.1: 503 or no answer: try again later.
            problem = str(exc)
            retry = exc.retryable if isinstance(exc, RevocationError) else True
        except DesktopOAuthError as exc:
            problem = str(exc)
        status = AccountStatus.REVOKED
        if verified:
            revocation = Revocation.VERIFIED
            message = "Access revoked; the provider confirms the tokens no longer work."
        elif retry:
            status, revocation = AccountStatus.REVOCATION_PENDING, Revocation.UNCONFIRMED
            message = (
                f"{problem} The tokens were forgotten here; the app will tell the "
                "provider as soon as it can be reached."
            )
        else:
            unchecked = confirmed and verified is None
            revocation = Revocation.CONFIRMED if unchecked else Revocation.UNCONFIRMED
            message = (
                f"{problem} The tokens were forgotten here, but the provider did not "
                "confirm that access ended. Remove the app in your account settings "
                "there."
            ).strip()
        updated = self._mark(record.id, status, revocation=revocation)
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


def _pending_entry(account_id: str) -> str:
    return f"{account_id}-pending-revocation"


def _only_what_revokes(tokens: TokenSet) -> TokenSet:
    """The tokens a later revocation needs, nothing more (no id_token)."""
    return TokenSet(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        token_type=tokens.token_type,
    )
