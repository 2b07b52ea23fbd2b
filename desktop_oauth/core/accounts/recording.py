"""Each account's history (:mod:`~desktop_oauth.core.history`), noted as its operations
end: connected, scopes changed, refreshed, refresh failed, signed in again, revoked,
removed.

:class:`Recording` wraps the public operations of the layers below and notes what each
one did, from what it returned or raised and the record before and after, so those
modules stay as they are. Only scopes, plain reasons, outcomes and times are noted:
never a token, code or secret.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .. import history
from ..config import AccountRecord, AccountStatus, Revocation
from ..errors import ConfigurationError, DesktopOAuthError, InvalidGrantError
from ..history import AccountHistory, HistoryEntry, RevokeResult
from .records import AccountView
from .revocation import RevokeOutcome, Revoking

if TYPE_CHECKING:
    from ..connect import ConnectResult

log = logging.getLogger(__name__)

#: The reason noted when the provider refuses the refresh token (RFC 6749 §5.2).
REFUSED = "the provider no longer accepts the refresh token (invalid_grant); sign in again"
#: Statuses after which a sign-in is a new connection, not the same one renewed.
_ENDED = (AccountStatus.REVOKED, AccountStatus.REVOCATION_PENDING)


class Recording(Revoking):
    """The account operations, each noted in the account's history."""

    def history(self, account_id: str) -> AccountHistory:
        """What happened to ``account_id``, oldest first (in memory: no I/O)."""
        with self._lock:
            return self._config.history_of(account_id)

    def save_connection(self, result: ConnectResult, *, same_as: str | None = None) -> AccountView:
        with self._lock:
            before = {a.id: a for a in self._config.accounts}
        view = super().save_connection(result, same_as=same_as)
        self._note(view.record.id, _sign_in(self._clock(), before.get(view.record.id), view))
        return view

    def refresh(self, account_id: str, *, unless_valid_for: float | None = None) -> AccountView:
        before = self._record(account_id)
        try:
            view = super().refresh(account_id, unless_valid_for=unless_valid_for)
        except InvalidGrantError:
            self._note(account_id, history.refresh_failed(self._clock(), REFUSED))
            raise
        except ConfigurationError:
            raise  # not a refresh that failed: no such account, no such provider
        except DesktopOAuthError as exc:
            self._note(account_id, history.refresh_failed(self._clock(), str(exc)))
            raise
        # The record is unchanged when the stored token was still valid (no refresh).
        if unless_valid_for is None or view.record != before:
            self._note(account_id, history.refreshed(self._clock()))
        return view

    def revoke(self, account_id: str) -> RevokeOutcome:
        before = self._record(account_id)
        outcome = super().revoke(account_id)
        if outcome.account != before or before.status is not AccountStatus.REVOKED:
            self._note_revocation(before, outcome)  # not for one revoked before, unchanged
        return outcome

    def retry_revocations(self) -> list[RevokeOutcome]:
        with self._lock:
            waiting = [
                a for a in self._config.accounts if a.status is AccountStatus.REVOCATION_PENDING
            ]
        outcomes = super().retry_revocations()
        told = {o.account.id for o in outcomes}
        by_id = {a.id: a for a in waiting}
        for outcome in outcomes:
            # One that began waiting meanwhile (another thread's revoke) was noted there.
            self._note_revocation(by_id.get(outcome.account.id, outcome.account), outcome)
        for record in waiting:
            now = self._config_record(record.id)
            if record.id not in told and now is not None and now.status is AccountStatus.REVOKED:
                # Nothing was left to tell the provider: it stays unconfirmed.
                self._note(record.id, history.revoked(self._clock(), RevokeResult.UNCONFIRMED))
        return outcomes

    def remove(self, account_id: str) -> RevokeOutcome | None:
        before = self._record(account_id)
        outcome = super().remove(account_id)  # notes its revocation through revoke()
        if outcome is not None and before.status is AccountStatus.REVOCATION_PENDING:
            self._note_revocation(before, outcome)  # the waiting one, tried once more
        if self._config_record(account_id) is None:
            self._note(account_id, history.removed(self._clock()), known_as=before)
        return outcome

    def remove_provider(self, name: str) -> tuple[AccountRecord, ...]:
        forgotten = super().remove_provider(name)
        for record in forgotten:
            entry = history.removed(self._clock(), "forgotten with its provider; not revoked there")
            self._note(record.id, entry, known_as=record)
        return forgotten

    def _note_revocation(self, before: AccountRecord, outcome: RevokeOutcome) -> None:
        after = outcome.account
        if (
            before.status is AccountStatus.REVOCATION_PENDING
            and after.status is AccountStatus.REVOCATION_PENDING
        ):
            return  # still waiting for the provider: noted once, when the wait began
        result = RevokeResult(after.revocation or Revocation.UNCONFIRMED)
        if after.status is AccountStatus.REVOCATION_PENDING:
            result = RevokeResult.PENDING
        reason = "" if result is RevokeResult.VERIFIED else outcome.message
        self._note(after.id, history.revoked(self._clock(), result, reason))

    def _note(
        self, account_id: str, entry: HistoryEntry, *, known_as: AccountRecord | None = None
    ) -> None:
        """Add ``entry`` to the account's history in the settings file. The operation it
        records has happened already, so a history that cannot be written is logged,
        not raised."""
        try:
            self._modify(lambda c: c.with_event(account_id, entry, known_as=known_as))
        except ConfigurationError:
            log.warning("The account's history could not be saved.")

    def _config_record(self, account_id: str) -> AccountRecord | None:
        with self._lock:
            return next((a for a in self._config.accounts if a.id == account_id), None)


def _sign_in(at: float, before: AccountRecord | None, view: AccountView) -> HistoryEntry:
    """Connected (a new, revoked or removed account), scopes changed, or signed in again."""
    granted = view.record.granted_scopes
    if before is None or before.status in _ENDED:
        return history.connected(at, granted)
    return history.after_sign_in(at, before.granted_scopes, granted)
