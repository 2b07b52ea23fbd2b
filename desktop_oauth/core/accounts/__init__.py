"""Accounts: connecting, refreshing, revoking, and what each one holds.

:class:`AccountService` is the single entry point the window's controller and
the command line use. It is synchronous and thread-safe; callers run it off
the GUI thread. Each concern lives in its own module, one layer on the next:

- :mod:`.records`: the loaded config, the token store, read-modify-write helpers;
- :mod:`.providers`: provider settings and client secrets;
- :mod:`.connecting`: starting a connection and saving its result;
- :mod:`.renewal`: refreshing tokens and calling the provider's API;
- :mod:`.revocation`: revoking, removing, and the pending revocations;
- :mod:`.recording`: each of those operations noted in the account's history;
- this module: what the window and the command line read about an account.
"""

from __future__ import annotations

from dataclasses import replace

from ..account_state import AccountState, AccountSummary, describe, unknown
from ..config import AccountRecord, AccountStatus
from ..errors import DesktopOAuthError, TokenStoreError
from ..history import AccountHistory, find_histories
from ..lookup import UnknownAccountError, find_account
from .connecting import account_id_for
from .recording import Recording
from .records import AccountView, LocalProvider, _claims_of
from .revocation import RevokeOutcome

__all__ = [
    "AccountService",
    "AccountView",
    "LocalProvider",
    "RevokeOutcome",
    "account_id_for",
]


class AccountService(Recording):
    """Connects, refreshes and revokes accounts of one profile.

    Args:
        profile: Where config and keyring namespace come from.
        store: The token store; by default the keyring of this profile.
        session: The HTTP session for every provider call.
        clock: Wall-clock seconds, for expiry.
        local_providers: Providers the app runs itself, listed first.
    """

    def find_account(self, query: str) -> AccountRecord:
        """The account a person names by display name, email, login or
        ``provider:subject`` (see :func:`lookup.find_account`)."""
        with self._lock:
            records = self._config.accounts
        return find_account(records, query, self._stored_claims)

    def history_for(self, query: str) -> AccountHistory:
        """The history of the account ``query`` names (:meth:`find_account`), or of an
        account removed earlier, by the id, name or ``provider:subject`` it kept.

        Raises:
            UnknownAccountError: no account, connected or removed, has that name.
            AmbiguousAccountError: several connected accounts have it.
        """
        try:
            record = self.find_account(query)
            return replace(
                self.history(record.id),  # under the names it has now
                name=record.display_name,
                provider=record.provider,
                subject=record.subject,
            )
        except UnknownAccountError:
            with self._lock:
                found = find_histories(self._config.history, query)
        if len(found) == 1:
            return found[0]
        if found:
            ids = ", ".join(h.account_id for h in found)
            raise UnknownAccountError(
                f"That name matches {len(found)} removed accounts ({ids}); name one by its id."
            )
        raise UnknownAccountError(
            "No account, connected or removed, has that name. Use a name, email or "
            "PROVIDER:SUBJECT from the accounts list, or a removed account's id."
        )

    def view(self, account_id: str) -> AccountView:
        """The account with its stored tokens (keyring read: off the GUI thread)."""
        record = self._record(account_id)
        tokens = self.store.load(account_id)
        return AccountView(record, tokens, _claims_of(tokens))

    def summary(self, account_id: str, *, ask_provider: bool = False) -> AccountSummary:
        """What the account is now (:func:`~desktop_oauth.core.account_state.describe`),
        from its record, its stored tokens and the clock.

        The email and login come from the id_token, and from the last userinfo
        answer where the id_token lacks them.

        Args:
            ask_provider: For a connected account, call the userinfo endpoint
                once: a token the provider refuses means access was revoked there.
        """
        record = self._record(account_id)
        try:
            tokens = self.store.load(account_id)
        except TokenStoreError as exc:
            return unknown(record, str(exc))
        if (
            tokens is None
            and not self.store.persistent
            and record.status is AccountStatus.CONNECTED
        ):
            # Tokens live in a keyring that this process cannot reach: nothing can be
            # said about them, least of all that they are gone.
            return unknown(record, "No keyring is available here, so its tokens cannot be read.")
        claims = {**(record.last_data or {}), **_claims_of(tokens)}
        summary = describe(record, self._clock(), tokens, claims=claims)
        if ask_provider and summary.state is AccountState.CONNECTED and tokens is not None:
            from ..api import ApiAuthError  # with the call: the HTTP stack loads here

            try:
                self._call_userinfo(record, tokens)
            except ApiAuthError:
                return replace(
                    summary,
                    state=AccountState.REVOKED,
                    detail="The provider no longer accepts its access token.",
                    scopes=(),
                    expires_at=None,
                    has_refresh_token=False,
                    former_scopes=record.granted_scopes,
                )
            except DesktopOAuthError as exc:
                return replace(summary, detail=f"The provider could not be asked: {exc}")
        return summary
