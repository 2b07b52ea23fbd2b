"""Taking access back (RFC 7009), with the list of revocations still to tell the provider."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .. import flow_log
from ..config import AccountRecord, AccountStatus, Revocation
from ..errors import (
    DesktopOAuthError,
    DiscoveryError,
    ProviderHTTPError,
    RevocationError,
    TokenStoreError,
)
from ..tokens import TokenSet
from .records import dead_by_expiry, learn, only_what_revokes, pending_entry, superseded_entry
from .renewal import Renewal

if TYPE_CHECKING:
    from ..connect import ConnectResult


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
        with self._operation(flow_log.Operation.REVOKE, account_id):
            return self._revoke(account_id)

    def _revoke(self, account_id: str) -> RevokeOutcome:
        record = self._record(account_id)
        try:
            tokens = self.store.load(account_id)
        except TokenStoreError as exc:
            self._mark(account_id, AccountStatus.REVOKED, revocation=Revocation.UNCONFIRMED)
            return RevokeOutcome(record, False, f"{exc} The account was marked revoked here.")
        if tokens is None and not record.superseded and record.status is AccountStatus.REVOKED:
            # Revoked before: nothing is left to tell the provider, and nothing changes.
            if record.revocation is Revocation.VERIFIED:
                return RevokeOutcome(
                    record, False, "Its access was already taken back, and verified.", True
                )
            return RevokeOutcome(
                record,
                False,
                "Its access was already taken back here; the provider did not confirm it.",
            )
        if tokens is None and not record.superseded:
            updated = self._mark(
                account_id,
                AccountStatus.REVOKED,
                revocation=record.revocation or Revocation.UNCONFIRMED,
            )
            return RevokeOutcome(updated, False, "No tokens were stored for this account.")
        outcome = self._revoke_at_provider(record, tokens)
        if tokens is not None and outcome.account.status is AccountStatus.REVOCATION_PENDING:
            with contextlib.suppress(TokenStoreError):
                self.store.save(pending_entry(account_id), only_what_revokes(tokens))
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
            outcome = self._retry(record)
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    def _retry(self, record: AccountRecord) -> RevokeOutcome | None:
        """Tell the provider once more about the revocation ``record`` waits on; None when
        the keyring cannot be read."""
        try:
            tokens = self.store.load(pending_entry(record.id))
        except TokenStoreError:
            return None
        if tokens is None and not record.superseded:
            self._mark(record.id, AccountStatus.REVOKED, revocation=Revocation.UNCONFIRMED)
            return None
        with self._operation(flow_log.Operation.REVOKE, record.id):
            outcome = self._revoke_at_provider(record, tokens)
        if outcome.account.status is not AccountStatus.REVOCATION_PENDING:
            with contextlib.suppress(TokenStoreError):
                self.store.delete(pending_entry(record.id))
        return outcome

    def _revoke_at_provider(self, record: AccountRecord, tokens: TokenSet | None) -> RevokeOutcome:
        """Tell the provider about ``tokens`` and about every token set a re-consent or
        a refresh replaced (``record.superseded``), check that it took, and mark the
        account: verified only when every one of them is proved dead."""
        told = [self._tell(record, tokens)] if tokens is not None else []
        kept: list[str] = []
        for entry in record.superseded:
            try:
                old = self.store.load(entry)
            except TokenStoreError:
                kept.append(entry)
                continue
            if old is None:
                continue
            if dead_by_expiry(old, self._clock()):
                with contextlib.suppress(TokenStoreError):
                    self.store.delete(entry)
                continue  # expired by itself: nothing left to revoke or prove
            result = self._tell(record, old)
            told.append(result)
            if result.retry:
                kept.append(entry)
            else:
                with contextlib.suppress(TokenStoreError):
                    self.store.delete(entry)
        confirmed = bool(told) and all(t.confirmed for t in told)
        proofs = [t.verified for t in told]
        verified = False if False in proofs else None if (None in proofs or not proofs) else True
        problem = next((t.problem for t in told if t.problem), "")
        retry = bool(kept) or any(t.retry for t in told)
        if tuple(kept) != record.superseded:
            self._modify(
                lambda c: c.with_account(
                    replace(self._record_in(c, record.id), superseded=tuple(kept))
                )
            )
        status = AccountStatus.REVOKED
        if verified and not retry:
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

    def _tell(self, record: AccountRecord, tokens: TokenSet) -> _Told:
        """Revoke ``tokens`` at the provider (RFC 7009) and probe that they are dead."""
        from ..revoke import confirm_revoked, revoke_tokens

        confirmed = False
        learn(tokens)
        try:
            provider = self.resolve_provider(record.provider)
            endpoints = provider.endpoints
            assert endpoints is not None
            secret = self._secret_for(provider)
            if endpoints.revocation:
                with flow_log.step(flow_log.Step.REVOKE):
                    revoke_tokens(
                        self.session,
                        endpoints.revocation,
                        provider.client_id,
                        tokens,
                        secret,
                        endpoints.revocation_auth_methods,
                    )
                confirmed = True
            with flow_log.step(flow_log.Step.VERIFY):
                verified = confirm_revoked(
                    self.session, endpoints, provider.client_id, tokens, secret
                )
        except (RevocationError, ProviderHTTPError, DiscoveryError) as exc:
            # RFC 7009 §2.2.1: 503 or no answer: try again later.
            retry = exc.retryable if isinstance(exc, RevocationError) else True
            return _Told(confirmed, None, str(exc), retry)
        except DesktopOAuthError as exc:
            return _Told(confirmed, None, str(exc), False)
        return _Told(confirmed, verified)

    def discard_connection(self, result: ConnectResult) -> bool | None:
        """Take back a connection nobody keeps: another person signed in than the
        account being renewed, and was not added. Nothing is stored as an account.

        Its tokens are revoked at the provider (RFC 7009) now. When that person
        already has an account here that holds tokens, the new ones may share its
        grant (oidc-provider keeps one grant per person and client in a browser
        session), and revoking them would end it: they are kept as that account's
        replaced tokens instead, revoked at its Revoke or Remove.

        Returns:
            Whether the provider now refuses them (True), still honours them (False),
            or could not be asked or they were kept (None).
        """
        record = self.account_view(result).record
        with self._lock:
            existing = next((a for a in self._config.accounts if a.id == record.id), None)
        if existing is not None and self._holds_tokens(record.id):
            entry = superseded_entry(record.id)
            try:
                self.store.save(entry, only_what_revokes(result.tokens))
            except TokenStoreError:
                return None
            self._modify(
                lambda c: c.with_account(
                    replace(
                        self._record_in(c, record.id),
                        superseded=(*self._record_in(c, record.id).superseded, entry),
                    )
                )
            )
            return None
        return self._tell(record, result.tokens).verified

    def _holds_tokens(self, account_id: str) -> bool:
        """Whether the keyring holds tokens for the account (unreadable: assume so)."""
        try:
            return self.store.load(account_id) is not None
        except TokenStoreError:
            return True

    def remove(self, account_id: str) -> RevokeOutcome | None:
        """Revoke (if tokens are still held, or a revocation still waits), then forget
        the account entirely.

        A revocation the provider still cannot be told about keeps the account, marked
        pending and retried as before: forgetting it would leave the grant active at
        the provider with nothing here to show it. The outcome says so.
        """
        outcome = None
        record = self._record(account_id)
        if record.status is AccountStatus.REVOCATION_PENDING:
            outcome = self._retry(record)
            if outcome is not None and outcome.account.status is AccountStatus.REVOCATION_PENDING:
                return replace(
                    outcome,
                    message=f"{outcome.message} The account was not removed, so that the app "
                    "can still take the access back; remove it again once that is done.",
                )
        with contextlib.suppress(TokenStoreError):
            superseded = self._record(account_id).superseded
            if self.store.load(account_id) is not None or superseded:
                outcome = self.revoke(account_id)
        with contextlib.suppress(TokenStoreError):
            self.store.delete(pending_entry(account_id))  # nothing kept for a forgotten one
        with self._lock:
            left = next((a.superseded for a in self._config.accounts if a.id == account_id), ())
        for entry in left:
            with contextlib.suppress(TokenStoreError):
                self.store.delete(entry)
        self._modify(lambda c: c.without_account(account_id))
        return outcome


@dataclass(frozen=True)
class _Told:
    """What telling the provider about one token set gave."""

    confirmed: bool = False
    verified: bool | None = None
    problem: str = ""
    retry: bool = False
